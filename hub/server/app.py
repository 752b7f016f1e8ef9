"""Assemble and run the hub: one grpc.aio server with mTLS, health and reflection.

The one place that wires: it builds the ``HubContext`` (hub.server.context), installs one thin
servicer per service and starts the background tasks (hub.server.background).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
from cryptography import x509
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer  # shipped asyncio servicer (grpcio-health-checking)

from hub.core.envelope import EnvelopeError
from hub.identity.credentials import HubCredentials
from hub.identity.directory import EXPIRY_WARNING, Directory, KeyEntry
from hub.runtime.clock import Clock, edge_clock
from hub.runtime.logs import get_logger
from hub.server.audit_servicer import AuditServicer
from hub.server.auth import Authenticator
from hub.server.background import BACKGROUND_TASKS
from hub.server.consent_servicer import ConsentServicer
from hub.server.context import HubContext, audit_service
from hub.server.directory_servicer import DirectoryServicer
from hub.server.exchange_servicer import ExchangeServicer
from hub.server.limits import MemberLimits
from hub.server.lookup_servicer import LookupServicer
from hub.server.metrics import HubMetrics
from hub.server.policy_servicer import PolicyServicer
from hub.server.probes import OperationsListener, operations_app
from hub.server.reflection import enable_reflection
from hub.server.registration import add_servicer
from hub.server.request_servicer import RequestServicer
from hub.server.rpc import RpcGuard
from hub.server.signals import MailboxSignals
from hub.server.submit_batcher import SubmitBatcher
from hub.services.admission import AdmissionLimits
from hub.services.directory_book import DirectoryBook
from hub.services.exchange import Exchange
from hub.settings import HubSettings
from hub.store import HubStore
from pxhub.v1 import (
    audit_log_pb2,
    consent_pb2,
    directory_pb2,
    exchange_pb2,
    lookup_pb2,
    policy_pb2,
    request_pb2,
)

log = get_logger("pxhub.hub")


def server_options(settings: HubSettings) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.keepalive_time_ms", 60_000),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.http2.min_ping_interval_without_data_ms", 30_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.max_concurrent_streams", 256),
        # One hub owns its port: a second process binding it fails instead of sharing connections.
        ("grpc.so_reuseport", 0),
    ]


# A service installer registers one service and returns its descriptor (for health and reflection).
ServiceInstaller = Callable[[grpc.aio.Server, HubContext], ServiceDescriptor]


def install_exchange(server: grpc.aio.Server, hub: HubContext) -> ServiceDescriptor:
    service = exchange_pb2.DESCRIPTOR.services_by_name["ExchangeService"]
    servicer = ExchangeServicer(
        hub.exchange, hub.guard, hub.signals, hub.batcher, hub.settings.follow_poll_seconds
    )
    servicer.stream_idle = hub.settings.stream_idle_seconds
    add_servicer(server, service, servicer)
    return service


def install_directory(server: grpc.aio.Server, hub: HubContext) -> ServiceDescriptor:
    service = directory_pb2.DESCRIPTOR.services_by_name["DirectoryService"]
    servicer = DirectoryServicer(
        hub.directory_book, hub.guard, hub.credentials.signing_key, hub.hub_key_entry
    )
    add_servicer(server, service, servicer)
    return service


def install_audit(server: grpc.aio.Server, hub: HubContext) -> ServiceDescriptor:
    """Register AuditService (and index entries written before the index existed)."""
    service = audit_log_pb2.DESCRIPTOR.services_by_name["AuditService"]
    audit = audit_service(hub)
    reindexed = audit.store.reindex_audit()
    if reindexed:
        log.info("audit_index_backfilled", entries=reindexed)
    add_servicer(server, service, AuditServicer(audit, hub.guard))
    return service


class PolicyBootstrapError(RuntimeError):
    """The federation's signed policy file does not verify: the hub refuses to start."""


def install_policy(server: grpc.aio.Server, hub: HubContext) -> ServiceDescriptor:
    """Load the signed policy into the store (once, or when the file is newer), then serve it."""
    book = hub.exchange.policies
    try:
        book.bootstrap(hub.settings.federation_dir, hub.clock())
    except EnvelopeError as error:
        raise PolicyBootstrapError(
            f"signed policy in {hub.settings.federation_dir} refused: {error.reason_name}: {error.detail}"
        ) from error
    service = policy_pb2.DESCRIPTOR.services_by_name["PolicyService"]
    add_servicer(server, service, PolicyServicer(book, hub.guard))
    return service


def install_lookup(server: grpc.aio.Server, hub: HubContext) -> ServiceDescriptor:
    service = lookup_pb2.DESCRIPTOR.services_by_name["LookupService"]
    add_servicer(server, service, LookupServicer(hub.exchange.lookups, hub.guard))
    return service


def install_requests(server: grpc.aio.Server, hub: HubContext) -> ServiceDescriptor:
    service = request_pb2.DESCRIPTOR.services_by_name["RequestService"]
    add_servicer(server, service, RequestServicer(hub.exchange.requests, hub.guard))
    return service


def install_consent(server: grpc.aio.Server, hub: HubContext) -> ServiceDescriptor:
    service = consent_pb2.DESCRIPTOR.services_by_name["ConsentService"]
    add_servicer(server, service, ConsentServicer(hub.exchange.consents, hub.guard, hub.signals))
    return service


SERVICES: tuple[ServiceInstaller, ...] = (
    install_exchange,
    install_directory,
    install_audit,
    install_policy,
    install_consent,
    install_lookup,
    install_requests,
)


@dataclass
class RunningHub:
    server: grpc.aio.Server
    port: int
    context: HubContext
    service_names: tuple[str, ...]
    _tasks: list[asyncio.Task[None]]
    #: The HTTP listener of /metrics, /healthz and /readyz (``settings.metrics_listen``), if any.
    operations: OperationsListener | None = None

    @property
    def exchange(self) -> Exchange:
        return self.context.exchange

    @property
    def store(self) -> HubStore:
        return self.context.store

    @property
    def directory(self) -> Directory:
        return self.context.directory

    async def stop(self, grace: float = 2.0, reason: str = "stopped by its owner") -> None:
        """Stop serving (in-flight calls get ``grace`` seconds), close the store, log why."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.server.stop(grace)
        if self.operations is not None:
            self.operations.close()
        try:  # the refusals counted in open windows are audited before the store closes
            self.context.guard.close_refusal_windows(all_windows=True)
        except Exception as error:  # a failing store must not keep the hub from stopping
            log.error("refusal_summary_failed", error=type(error).__name__, detail=str(error)[:200])
        self.store.close()
        log.info("hub_stopped", port=self.port, reason=reason)


def member_limits(settings: HubSettings) -> MemberLimits:
    """The per-caller quotas the settings name."""
    return MemberLimits(
        envelopes_per_second=settings.member_envelopes_per_second,
        envelope_burst=settings.member_envelope_burst,
        max_streams=settings.member_max_streams,
        calls_per_second=settings.member_calls_per_second,
        call_burst=settings.member_call_burst,
        receipts_per_second=settings.member_receipts_per_second,
        receipt_burst=settings.member_receipt_burst,
        lookup_tokens_per_second=settings.member_lookup_tokens_per_second,
        lookup_token_burst=settings.member_lookup_token_burst,
    )


def warn_expiring(directory: Directory, now: datetime, within: timedelta = EXPIRY_WARNING) -> list[str]:
    """Log a warning for every certificate or key that expires ``within`` (setting
    ``expiry_warning_days``) or has expired."""
    warned = []
    for expiry in directory.expiring(now, within):
        event = "certificate_expiring" if expiry.what == "certificate" else "key_expiring"
        log.warning(
            event,
            member=expiry.member_id,
            key_id=None if expiry.what == "certificate" else expiry.ident,
            serial=expiry.ident if expiry.what == "certificate" else None,
            days=expiry.days,
            ends=expiry.ends.isoformat(),
        )
        warned.append(f"{expiry.member_id}:{expiry.what}:{expiry.ident}")
    return warned


async def start_hub(
    settings: HubSettings,
    credentials: HubCredentials,
    directory: Directory,
    store: HubStore,
    clock: Clock = edge_clock,
) -> RunningHub:
    """Start serving; returns once the port is bound. ``clock`` is the hub's time (tests and the
    demo move it; every decision, deadline and audit entry of the services is dated by it)."""
    metrics = HubMetrics() if settings.metrics_listen else None  # no listener: no per-call counting
    server = grpc.aio.server(
        options=server_options(settings), interceptors=[metrics.interceptor] if metrics else None
    )
    exchange = Exchange(
        store,
        directory,
        AdmissionLimits(settings.max_envelope_bytes, timedelta(seconds=settings.clock_skew_seconds)),
        clock=clock,
    )
    hub_key_entry = KeyEntry(
        key_id=credentials.signing_key_id,
        use="signing",
        algorithm="ed25519",
        public_key=credentials.signing_key.public_key().public_bytes_raw(),
        valid_from=datetime(2000, 1, 1, tzinfo=UTC),
        valid_until=datetime(9999, 1, 1, tzinfo=UTC),
    )
    signals = MailboxSignals()
    directory_book = DirectoryBook(
        store, directory, x509.load_pem_x509_certificate(credentials.ca_certificate_pem)
    )
    replayed = directory_book.catch_up()  # raises DirectoryReplayError: the hub does not start
    context = HubContext(
        settings=settings,
        credentials=credentials,
        directory=directory,
        store=store,
        exchange=exchange,
        guard=RpcGuard(
            Authenticator(directory),
            store,
            member_limits(settings),
            clock,
        ),
        hub_key_entry=hub_key_entry,
        signals=signals,
        batcher=SubmitBatcher(exchange, signals),
        directory_book=directory_book,
        clock=clock,
    )
    service_names = tuple(install(server, context).full_name for install in SERVICES)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    enable_reflection(server, (*service_names, "grpc.health.v1.Health"))
    try:
        port = server.add_secure_port(settings.listen, credentials.grpc_server_credentials())
    except RuntimeError:  # grpc raises for an address it cannot bind
        port = 0
    if port == 0:
        raise OSError(f"cannot listen on {settings.listen}: the port is in use or the address is not local")
    operations = None
    if metrics is not None:
        metrics.watch(context)
        operations = OperationsListener(settings.metrics_listen, operations_app(context, metrics))
    await server.start()
    for name in ("", *service_names):
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    tasks = [asyncio.create_task(task(context)) for task in BACKGROUND_TASKS]
    log.info(
        "hub_started",
        listen=settings.listen,
        port=port,
        members=len(directory.members),
        directory_version=directory.version,
        directory_changes=replayed,
    )
    warn_expiring(directory, clock(), timedelta(days=settings.expiry_warning_days))
    return RunningHub(server, port, context, service_names, tasks, operations)
