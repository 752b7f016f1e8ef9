"""What every RPC does around its handler: identify, log one event, map refusals.

One event per RPC with the caller, method, message ids, outcome, reason and
latency; never payloads or key material. Refusals become a gRPC status with
ErrorInfo and an audit entry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc

from hub.identity.caller import Caller
from hub.runtime.clock import Clock, edge_clock
from hub.runtime.logs import get_logger
from hub.server.auth import Authenticator, CertificateRefusal
from hub.server.limits import MemberLimits
from hub.server.refusal_tally import RateLimitTally, RefusalSummary
from hub.server.registration import MalformedRequest
from hub.services import audit_events
from hub.store import HubStore
from hub.transport.status import Context, RpcRefusal, to_status
from pxhub.v1 import envelope_pb2

Response = TypeVar("Response")

log = get_logger("pxhub.rpc")

MEMBERS = ("member",)
OPERATORS = ("operator",)
ANY_ROLE = ("member", "auditor", "operator")


@dataclass
class RpcEvent:
    """Accumulates what the log line for one RPC will say."""

    method: str
    started: float = field(default_factory=time.perf_counter)
    caller: Caller | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def emit(self, outcome: str, reason: str = "") -> None:
        log.info(
            "rpc",
            method=self.method,
            caller=str(self.caller) if self.caller else "unauthenticated",
            outcome=outcome,
            reason=reason or None,
            latency_ms=round((time.perf_counter() - self.started) * 1000, 2),
            **self.fields,
        )


def check_parsed(request: object) -> None:
    if isinstance(request, MalformedRequest):
        raise RpcRefusal(
            grpc.StatusCode.INVALID_ARGUMENT,
            envelope_pb2.REASON_MALFORMED,
            f"request is not a valid {request.type_name}: {request.error}",
        )


class RpcGuard:
    def __init__(
        self,
        authenticator: Authenticator,
        store: HubStore,
        limits: MemberLimits | None = None,
        clock: Clock = edge_clock,
    ) -> None:
        self.authenticator = authenticator
        self.store = store
        self.limits = limits or MemberLimits()
        self.clock = clock  # the hub's time, for the servicers and the refusals they audit
        self.tally = RateLimitTally()

    def authenticate(
        self,
        event: RpcEvent,
        context: Context,
        roles: Collection[str],
        request: object = None,
    ) -> Caller:
        """The caller, once it may call this method, has a call left in its quota and its request parsed.

        The call is charged before the role and status checks, so refusals of a caller's
        forbidden calls are bounded by its quota too.
        """
        identified = self.authenticator.identify(context)
        self.limits.take_call(identified.id)
        event.caller = self.authenticator.authorize(identified, roles)
        check_parsed(request)
        return event.caller

    async def refuse(
        self,
        event: RpcEvent,
        refusal: RpcRefusal,
        context: Context,
    ) -> None:
        """Log, audit and abort with the refusal's status."""
        details: dict[str, str | int] = {"method": event.method}
        if event.caller is None:
            try:  # a known certificate refused for its role or status: name it in the log and the entry
                event.caller = self.authenticator.identify(context)
            except CertificateRefusal as refused:  # a revoked or replaced certificate names its holder
                event.caller = refused.caller
            except RpcRefusal:
                details["peer"] = context.peer() or "unknown"  # e.g. "ipv6:[::1]:5000": no actor id form
        event.emit("refused", refusal.reason_name)
        caller = event.caller or Caller("anonymous", "")
        now = self.clock()
        entries: list[bytes] = []
        audit_now = True
        if refusal.reason == envelope_pb2.REASON_RATE_LIMITED:  # a flood: audited per window, counted
            audit_now, closed = self.tally.note(caller, event.method, now)
            entries += [rate_limit_summary(summary) for summary in closed]
        if audit_now:
            entries.append(
                audit_events.simple(
                    caller, now, "auth.refuse", "deny", reason=refusal.reason, details=details
                )
            )
        if entries:
            await asyncio.to_thread(self.store.append_audit, entries)
        await context.abort_with_status(to_status(refusal))

    async def in_stream_slot(
        self, event: RpcEvent, caller: Caller, context: Context, responses: AsyncIterator[Response]
    ) -> AsyncIterator[Response]:
        """Serve a response stream while it holds one of ``caller``'s stream slots (refused when
        every slot is taken; the slot is given back however the stream ends)."""
        try:
            self.limits.acquire_stream(caller.id)
        except RpcRefusal as refusal:
            await self.refuse(event, refusal, context)
            return
        try:
            async for response in responses:
                yield response
        except RpcRefusal as refusal:  # e.g. ``recheck`` found the caller revoked mid-stream
            await self.refuse(event, refusal, context)
        finally:
            self.limits.release_stream(caller.id)

    def recheck(self, context: Context, roles: Collection[str]) -> None:
        """For a long stream: the caller's certificate and directory entry are still accepted (a
        removal or a certificate on the trust list ends a following Fetch at its next batch)."""
        self.authenticator.authorize(self.authenticator.identify(context), roles)

    def close_refusal_windows(self, *, all_windows: bool = False) -> int:
        """Audit the counts of rate-limit windows that closed (every window when the hub stops)."""
        now = self.clock()
        closed = self.tally.close_all(now) if all_windows else self.tally.close_expired(now)
        if closed:
            self.store.append_audit([rate_limit_summary(summary) for summary in closed])
        return len(closed)


def rate_limit_summary(summary: RefusalSummary) -> bytes:
    """One entry for the rate-limit refusals of a caller's window after its first (audited alone)."""
    return audit_events.rate_limited_calls(summary.caller, summary.since, summary.until, summary.by_method)
