"""Assemble and run the hub: one grpc.aio server with mTLS, health and reflection."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer  # shipped asyncio servicer (grpcio-health-checking)
from grpc_reflection.v1alpha import reflection
from pxhub.v1 import directory_pb2, exchange_pb2

from hub.admission import AdmissionLimits
from hub.directory import Directory, KeyEntry
from hub.exchange import Exchange
from hub.logs import get_logger
from hub.pki import HubCredentials
from hub.server.auth import Authenticator
from hub.server.directory_servicer import DirectoryServicer
from hub.server.exchange_servicer import ExchangeServicer, MailboxSignals
from hub.server.registration import add_servicer
from hub.server.rpc import RpcGuard
from hub.settings import HubSettings
from hub.store import HubStore

log = get_logger("pxhub.hub")

SERVICE_NAMES = (
    exchange_pb2.DESCRIPTOR.services_by_name["ExchangeService"].full_name,
    directory_pb2.DESCRIPTOR.services_by_name["DirectoryService"].full_name,
)


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
class RunningHub:
    server: grpc.aio.Server
    port: int
    exchange: Exchange
    store: HubStore
    directory: Directory
    _purger: asyncio.Task[None]

    async def stop(self, grace: float = 2.0) -> None:
        self._purger.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._purger
        await self.server.stop(grace)
        self.store.close()


async def _purge_forever(exchange: Exchange, settings: HubSettings) -> None:
    while True:
        await asyncio.sleep(settings.purge_interval_seconds)
        try:
            cutoff = datetime.now(UTC) - timedelta(seconds=settings.retention_seconds)
            purged = await asyncio.to_thread(exchange.purge, cutoff)
            if purged:
                log.info("purged", envelopes=purged)
        except Exception as error:  # the purge must never take the hub down
            log.error("purge_failed", error=type(error).__name__)


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
    guard = RpcGuard(Authenticator(directory), store)
    hub_key_entry = KeyEntry(
        key_id=credentials.signing_key_id,
        use="signing",
        algorithm="ed25519",
        public_key=credentials.signing_key.public_key().public_bytes_raw(),
        valid_from=datetime(2000, 1, 1, tzinfo=UTC),
        valid_until=datetime(9999, 1, 1, tzinfo=UTC),
    )
    add_servicer(
        server,
        exchange_pb2.DESCRIPTOR.services_by_name["ExchangeService"],
        ExchangeServicer(exchange, guard, MailboxSignals(), settings.follow_wait_seconds),
    )
    add_servicer(
        server,
        directory_pb2.DESCRIPTOR.services_by_name["DirectoryService"],
        DirectoryServicer(directory, guard, credentials.signing_key, hub_key_entry),
    )
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, reflection.SERVICE_NAME, "grpc.health.v1.Health"), server
    )
    tls = grpc.ssl_server_credentials(
        [(credentials.tls_private_key_pem, credentials.tls_certificate_pem)],
        root_certificates=credentials.ca_certificate_pem,
        require_client_auth=True,
    )
    port = server.add_secure_port(settings.listen, tls)
    if port == 0:
        raise OSError(f"cannot listen on {settings.listen}")
    await server.start()
    for name in ("", *SERVICE_NAMES):
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    purger = asyncio.create_task(_purge_forever(exchange, settings))
    log.info("hub_started", listen=settings.listen, port=port, members=len(directory.members))
    return RunningHub(server, port, exchange, store, directory, purger)
