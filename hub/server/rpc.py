"""What every RPC does around its handler: identify, log one event, map refusals.

One event per RPC with the caller, method, message ids, outcome, reason and
latency; never payloads or key material. Refusals become a gRPC status with
ErrorInfo and an audit entry.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import grpc

from hub.identity.caller import Caller
from hub.runtime.clock import Clock, system_clock
from hub.runtime.logs import get_logger
from hub.server.auth import Authenticator
from hub.server.limits import MemberLimits
from hub.server.registration import MalformedRequest
from hub.services import audit_events
from hub.store import HubStore
from hub.transport.status import Context, RpcRefusal, to_status
from pxhub.v1 import envelope_pb2

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
        clock: Clock = system_clock,
    ) -> None:
        self.authenticator = authenticator
        self.store = store
        self.limits = limits or MemberLimits()
        self.clock = clock  # the hub's time, for the servicers and the refusals they audit

    def authenticate(
        self,
        event: RpcEvent,
        context: Context,
        roles: Collection[str],
        request: object = None,
    ) -> Caller:
        """The caller, once it may call this method and its request parsed."""
        event.caller = self.authenticator.caller(context, roles)
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
            except RpcRefusal:
                details["peer"] = context.peer() or "unknown"  # e.g. "ipv6:[::1]:5000": no actor id form
        event.emit("refused", refusal.reason_name)
        entry = audit_events.simple(
            event.caller or Caller("anonymous", ""),
            self.clock(),
            "auth.refuse",
            "deny",
            reason=refusal.reason,
            details=details,
        )
        await asyncio.to_thread(self.store.append_audit, [entry])
        await context.abort_with_status(to_status(refusal))
