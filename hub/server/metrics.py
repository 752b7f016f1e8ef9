"""Prometheus metrics of one hub: gRPC calls by the grpc-ecosystem names, and the hub's state.

Per call the interceptor only bumps label children it looked up once per method; nothing is done per
record. The hub's state (mailbox depths, audit log and checkpoint, requests, quotas, expiry dates) is
read by a collector when Prometheus scrapes, from the store's cheap counts and the in-memory
directory and policy, so an idle hub costs nothing between scrapes. Each hub has its own
``CollectorRegistry`` (several hubs may run in one process, as the tests do).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import grpc
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.core.requests import OPEN, OVERDUE
from hub.server.context import HubContext
from hub.server.readiness import READINESS_CHECKS, readiness
from hub.store.audit import AuditLogStore
from hub.store.requests import RequestStore

#: Seconds per day, for the days-to-expiry gauges.
DAY_SECONDS = 86_400.0
#: Envelopes per group-commit transaction: powers of two up to the writer's largest turn.
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

_TYPES = {
    (False, False): "unary",
    (False, True): "server_stream",
    (True, False): "client_stream",
    (True, True): "bidi_stream",
}


class GrpcServerMetrics:
    """The grpc-ecosystem server metrics (the names go-grpc-prometheus and its kin use)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("grpc_type", "grpc_service", "grpc_method")
        self.started = Counter(
            "grpc_server_started_total", "RPCs started on the server.", labels, registry=registry
        )
        self.handled = Counter(
            "grpc_server_handled_total",
            "RPCs completed on the server, by status code.",
            (*labels, "grpc_code"),
            registry=registry,
        )
        self.handling = Histogram(
            "grpc_server_handling_seconds",
            "Time from the start of an RPC to its status, on the server.",
            labels,
            registry=registry,
        )
        self.received = Counter(
            "grpc_server_msg_received_total",
            "Stream messages received from clients.",
            labels,
            registry=registry,
        )
        self.sent = Counter(
            "grpc_server_msg_sent_total", "Stream messages sent to clients.", labels, registry=registry
        )


@dataclass
class _MethodMetrics:
    """The label children of one method, looked up once (a call only increments them)."""

    metrics: GrpcServerMetrics
    labels: tuple[str, str, str]
    started: Any = None
    handling: Any = None
    received: Any = None
    sent: Any = None
    handled: dict[grpc.StatusCode, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.started = self.metrics.started.labels(*self.labels)
        self.handling = self.metrics.handling.labels(*self.labels)
        self.received = self.metrics.received.labels(*self.labels)
        self.sent = self.metrics.sent.labels(*self.labels)

    def finish(self, code: grpc.StatusCode, began: float) -> None:
        child = self.handled.get(code)
        if child is None:
            child = self.handled[code] = self.metrics.handled.labels(*self.labels, code.name)
        child.inc()
        self.handling.observe(time.perf_counter() - began)


def final_code(context: grpc.aio.ServicerContext[Any, Any], error: BaseException | None) -> grpc.StatusCode:
    """The status an RPC ended with: the one the handler set or aborted with, else from how it ended."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):  # some grpcio versions keep the numeric value
        return next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)
    if error is None:
        return grpc.StatusCode.OK
    if isinstance(error, asyncio.CancelledError):
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts every RPC the hub serves, with the code its status ended with (aborts included)."""

    def __init__(self, metrics: GrpcServerMetrics) -> None:
        self.metrics = metrics
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler[Any, Any], grpc.RpcMethodHandler[Any, Any]]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None:  # an unknown method: gRPC answers UNIMPLEMENTED itself
            return handler
        method = handler_call_details.method
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(method, handler)
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    def _wrap(self, method: str, handler: grpc.RpcMethodHandler[Any, Any]) -> grpc.RpcMethodHandler[Any, Any]:
        service, _, name = method.lstrip("/").rpartition("/")
        kind = _TYPES[(handler.request_streaming, handler.response_streaming)]
        counted = _MethodMetrics(self.metrics, (kind, service, name))
        inner = handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream
        behavior = _observed(inner, counted, handler.request_streaming, handler.response_streaming)
        factory = {
            "unary": grpc.unary_unary_rpc_method_handler,
            "server_stream": grpc.unary_stream_rpc_method_handler,
            "client_stream": grpc.stream_unary_rpc_method_handler,
            "bidi_stream": grpc.stream_stream_rpc_method_handler,
        }[kind]
        return factory(
            behavior,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


async def _counting(requests: AsyncIterator[Any], counter: Any) -> AsyncIterator[Any]:
    async for request in requests:
        counter.inc()
        yield request


def _observed(inner: Any, counted: _MethodMetrics, streams_in: bool, streams_out: bool) -> Any:
    """``inner`` (a coroutine or async-generator handler) that starts and finishes ``counted``."""

    def arguments(request: Any) -> Any:
        return _counting(request, counted.received) if streams_in else request

    if inspect.isasyncgenfunction(inner):

        async def stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            counted.started.inc()
            began = time.perf_counter()
            try:
                async for response in inner(arguments(request), context):
                    counted.sent.inc()
                    yield response
            except BaseException as error:
                counted.finish(final_code(context, error), began)
                raise
            counted.finish(final_code(context, None), began)

        return stream

    async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        counted.started.inc()
        began = time.perf_counter()
        try:
            response = await inner(arguments(request), context)
        except BaseException as error:
            counted.finish(final_code(context, error), began)
            raise
        counted.finish(final_code(context, None), began)
        return response

    del streams_out  # a handler that writes with context.write is a coroutine: its messages are not counted
    return call


def _days_left(until: datetime, now: datetime) -> float:
    return round((until - now).total_seconds() / DAY_SECONDS, 3)


class HubStateCollector(Collector):
    """The hub's state as gauges, read when Prometheus scrapes (never on the call path)."""

    def __init__(self, hub: HubContext) -> None:
        self.hub = hub

    def describe(self) -> list[Metric]:
        """Nothing to declare at registration (collecting then would read the store needlessly)."""
        return []

    def collect(self) -> Iterator[Metric]:
        problems = readiness(self.hub)
        ready = GaugeMetricFamily(
            "pxhub_ready",
            "1 per readiness check that passes, 0 when it fails (all 0 when the store does not answer).",
            labels=["check"],
        )
        for check in READINESS_CHECKS:
            ready.add_metric([check], 0 if check in problems or "store" in problems else 1)
        yield ready
        if "store" not in problems:  # the store gauges need a store that answers
            yield from self._state()

    def _state(self) -> Iterator[Metric]:
        hub, now = self.hub, self.hub.clock()
        depth = GaugeMetricFamily(
            "pxhub_mailbox_depth", "Envelopes waiting for a member's acknowledgement.", labels=["member"]
        )
        depths = hub.store.mailbox_depths()
        members = {m.member_id for m in hub.directory.members.values() if m.role == "member"}
        for member in sorted(members | set(depths)):
            depth.add_metric([member], depths.get(member, 0))
        yield depth
        yield GaugeMetricFamily(
            "pxhub_audit_log_entries", "Entries in the audit log.", hub.store.audit_size()
        )
        yield from self._checkpoint(now)
        yield from self._requests()
        yield from self._quotas()
        yield from self._expiries(now)

    def _checkpoint(self, now: datetime) -> Iterator[Metric]:
        store = self.hub.store
        latest = store.latest_checkpoint() if isinstance(store, AuditLogStore) else None
        if latest is None:
            return
        yield GaugeMetricFamily(
            "pxhub_audit_checkpoint_size", "Size of the newest signed checkpoint.", latest.size
        )
        yield GaugeMetricFamily(
            "pxhub_audit_checkpoint_age_seconds",
            "Seconds since the newest signed checkpoint was issued.",
            max(0.0, (now - latest.issued_at).total_seconds()),
        )

    def _requests(self) -> Iterator[Metric]:
        store = self.hub.store
        if not isinstance(store, RequestStore):
            return
        counts = store.pending_request_counts()
        gauge = GaugeMetricFamily(
            "pxhub_requests", "Requests waiting for an answer, by state.", labels=["state"]
        )
        gauge.add_metric(["open"], counts.get(OPEN, 0))
        gauge.add_metric(["overdue"], counts.get(OVERDUE, 0))
        yield gauge

    def _quotas(self) -> Iterator[Metric]:
        refusals = CounterMetricFamily(
            "pxhub_quota_refusals",
            "Calls refused because a caller's quota was spent, by quota and caller.",
            labels=["quota", "caller"],
        )
        for (quota, caller), count in sorted(self.hub.guard.limits.refusals.copy().items()):
            refusals.add_metric([quota, caller], count)
        yield refusals
        yield GaugeMetricFamily(
            "pxhub_rate_limit_windows_open",
            "Callers inside a window of counted rate-limit refusals (audited when it closes).",
            self.hub.guard.tally.open_windows(),
        )

    def _expiries(self, now: datetime) -> Iterator[Metric]:
        certificates = GaugeMetricFamily(
            "pxhub_certificate_expiry_days", "Days until a member's certificate expires.", labels=["member"]
        )
        keys = GaugeMetricFamily(
            "pxhub_key_expiry_days",
            "Days until a member's key stops being valid (revoked keys left out).",
            labels=["member", "key_id", "use"],
        )
        for member in self.hub.directory.members.values():
            if member.certificate_not_after is not None:
                certificates.add_metric([member.member_id], _days_left(member.certificate_not_after, now))
            for key in member.keys:
                if key.status != "revoked":
                    keys.add_metric([member.member_id, key.key_id, key.use], _days_left(key.valid_until, now))
        yield certificates
        yield keys
        agreements = GaugeMetricFamily(
            "pxhub_agreement_expiry_days",
            "Days until an agreement of the policy in force ends.",
            labels=["agreement"],
        )
        policy = self.hub.exchange.policies.current()
        for agreement in policy.message.agreements if policy is not None else ():
            agreements.add_metric(
                [agreement.agreement_id], _days_left(agreement.valid_until.ToDatetime(tzinfo=now.tzinfo), now)
            )
        yield agreements


class HubMetrics:
    """One hub's registry: the gRPC metrics, the group-commit batches and the state collector."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.grpc = GrpcServerMetrics(self.registry)
        self.interceptor = MetricsInterceptor(self.grpc)
        self.submit_batch = Histogram(
            "pxhub_submit_batch_envelopes",
            "Envelopes committed per group-commit transaction of Submit.",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )

    def watch(self, hub: HubContext) -> None:
        """Read ``hub``'s state at each scrape and count its group-commit batches."""
        hub.batcher.on_commit = self.submit_batch.observe
        self.registry.register(HubStateCollector(hub))
