"""Client side: a call the hub refused for a quota is retried after the delay the hub named.

The hub refuses over-quota calls with RESOURCE_EXHAUSTED, ErrorInfo reason ``RATE_LIMITED`` and a
``google.rpc.RetryInfo`` delay, before doing any work, so retrying such a call is always safe. The
unary calls of every client channel retry through ``RateLimitRetry``; the member SDK retries the
unanswered part of a Submit stream itself. Each call waits at most ``max_wait`` seconds in total,
then the refusal reaches the caller.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import grpc

from hub.transport.status import reason_of, retry_delay_of

#: Seconds one call may spend waiting for quota, over all its retries.
DEFAULT_RATE_LIMIT_WAIT = 30.0
#: Refusals that name no delay are retried after this long.
FALLBACK_DELAY = 1.0


def rate_limit_delay(error: grpc.RpcError) -> float | None:
    """Seconds to wait before retrying, if ``error`` is a quota refusal; None for any other error."""
    code = error.code() if hasattr(error, "code") else None
    if code != grpc.StatusCode.RESOURCE_EXHAUSTED or reason_of(error) != "RATE_LIMITED":
        return None
    delay = retry_delay_of(error)
    return FALLBACK_DELAY if delay is None else delay


class QuotaWait:
    """The waiting budget of one call: how long to sleep before the next attempt, or None to give up."""

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait
        self.waited = 0.0

    def next_delay(self, error: grpc.RpcError) -> float | None:
        delay = rate_limit_delay(error)
        if delay is None or self.waited + delay > self.max_wait:
            return None
        delay += random.uniform(0, 0.1 * delay)  # noqa: S311  # spreads retries; no secret
        self.waited += delay
        return delay


class RateLimitRetry(grpc.aio.UnaryUnaryClientInterceptor):
    """Retries a unary call refused as RATE_LIMITED after the hub's delay, within ``max_wait``."""

    def __init__(self, max_wait: float = DEFAULT_RATE_LIMIT_WAIT) -> None:
        self.max_wait = max_wait

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        budget = QuotaWait(self.max_wait)
        while True:
            call = await continuation(client_call_details, request)
            try:
                await call
            except grpc.aio.AioRpcError as error:
                delay = budget.next_delay(error)
                if delay is None:
                    return call  # the caller awaits it and gets the refusal
                await asyncio.sleep(delay)
                continue
            return call
