"""Assemble and run the hub: one grpc.aio server with mTLS, health and reflection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer  # shipped asyncio servicer (grpcio-health-checking)
from grpc_reflection.v1alpha import reflection

from hub.identity.credentials import HubCredentials
from hub.identity.directory import EXPIRY_WARNING, Directory, KeyEntry
from hub.runtime.logs import get_logger
from hub.server.audit_servicer import install_audit, issue_checkpoints_forever
from hub.server.auth import Authenticator
from hub.server.consent_servicer import install_consent
from hub.server.directory_servicer import DirectoryServicer
from hub.server.exchange_servicer import ExchangeServicer
from hub.server.limits import MemberLimits
from hub.server.policy_servicer import install_policy
from hub.server.registration import add_servicer
from hub.server.rpc import RpcGuard
from hub.server.signals import MailboxSignals
from hub.server.submit_batcher import SubmitBatcher
from hub.services.admission import AdmissionLimits
from hub.services.directory_book import RECHECK_SECONDS, DirectoryBook
from hub.services.exchange import Exchange
from hub.settings import HubSettings
from hub.store import HubStore
from pxhub.v1 import directory_pb2, exchange_pb2

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
    ]


@dataclass
class HubContext:
    """Everything a service or background task of the hub is built from."""

    settings: HubSettings
    credentials: HubCredentials
    directory: Directory
    store: HubStore
    exchange: Exchange
    guard: RpcGuard
    hub_key_entry: KeyEntry
    signals: MailboxSignals
    batcher: SubmitBatcher
    directory_book: DirectoryBook


# A service installer registers one service and returns its descriptor (for health and reflection).
ServiceInstaller = Callable[[grpc.aio.Server, HubContext], ServiceDescriptor]
# A background task runs for the life of the hub and must never raise.
BackgroundTask = Callable[[HubContext], Coroutine[Any, Any, None]]


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


async def purge_forever(hub: HubContext) -> None:
    """Drop ciphertexts every recipient acknowledged longer ago than the retention."""
    while True:
        await asyncio.sleep(hub.settings.purge_interval_seconds)
        try:
            cutoff = datetime.now(UTC) - timedelta(seconds=hub.settings.retention_seconds)
            purged = await asyncio.to_thread(hub.exchange.purge, cutoff)
            if purged:
                log.info("purged", envelopes=purged)
        except Exception as error:  # the purge must never take the hub down
            log.error("purge_failed", error=type(error).__name__)


async def follow_directory_changes(hub: HubContext) -> None:
    """Apply the key rotations and status changes other replicas store."""
    while True:
        await asyncio.sleep(RECHECK_SECONDS)
        try:
            await asyncio.to_thread(hub.directory_book.catch_up)
        except Exception as error:  # logged loudly; the next round tries again
            log.error("directory_catch_up_failed", error=type(error).__name__, detail=str(error)[:300])


async def commit_submissions(hub: HubContext) -> None:
    """The group-commit writer of Submit (see submit_batcher)."""
    await hub.batcher.run()


SERVICES: tuple[ServiceInstaller, ...] = (
    install_exchange,
    install_directory,
    install_audit,
    install_policy,
    install_consent,
)
BACKGROUND_TASKS: tuple[BackgroundTask, ...] = (
    commit_submissions,
    purge_forever,
    issue_checkpoints_forever,
    follow_directory_changes,
)


@dataclass
class RunningHub:
    server: grpc.aio.Server
    port: int
    context: HubContext
    service_names: tuple[str, ...]
    _tasks: list[asyncio.Task[None]]

    @property
    def exchange(self) -> Exchange:
        return self.context.exchange

    @property
    def store(self) -> HubStore:
        return self.context.store

    @property
    def directory(self) -> Directory:
        return self.context.directory

    async def stop(self, grace: float = 2.0) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.server.stop(grace)
        self.store.close()


def warn_expiring(directory: Directory, now: datetime) -> list[str]:
    """Log a warning for every certificate or key that expires within 30 days (or has expired)."""
    warned = []
    for member in directory.members.values():
        ends = [("certificate", "", member.certificate_not_after)]
        ends += [("key", k.key_id, k.valid_until) for k in member.keys if k.status != "revoked"]
        for what, key_id, until in ends:
            if until is not None and until - now < EXPIRY_WARNING:
                days = (until - now).days
                log.warning(f"{what}_expiring", member=member.member_id, key_id=key_id or None, days=days)
                warned.append(f"{member.member_id}:{what}:{key_id}")
    return warned


async def start_hub(
    settings: HubSettings, credentials: HubCredentials, directory: Directory, store: HubStore
) -> RunningHub:
    """Start serving; returns once the port is bound."""
    server = grpc.aio.server(options=server_options(settings))
    exchange = Exchange(
        store,
        directory,
        AdmissionLimits(settings.max_envelope_bytes, timedelta(seconds=settings.clock_skew_seconds)),
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
    directory_book = DirectoryBook(store, directory)
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
            MemberLimits(
                settings.member_envelopes_per_second,
                settings.member_envelope_burst,
                settings.member_max_streams,
            ),
        ),
        hub_key_entry=hub_key_entry,
        signals=signals,
        batcher=SubmitBatcher(exchange, signals),
        directory_book=directory_book,
    )
    service_names = tuple(install(server, context).full_name for install in SERVICES)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        (*service_names, reflection.SERVICE_NAME, "grpc.health.v1.Health"), server
    )
    port = server.add_secure_port(settings.listen, credentials.grpc_server_credentials())
    if port == 0:
        raise OSError(f"cannot listen on {settings.listen}")
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
    warn_expiring(directory, datetime.now(UTC))
    return RunningHub(server, port, context, service_names, tasks)
