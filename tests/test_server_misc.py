"""Health, reflection, the blocking SDK and settings sources."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from hub.identity.credentials import load_identity
from hub.sdk import SyncMemberClient
from hub.settings import HubSettings
from hub.transport.channel import channel_credentials
from pxhub.v1 import best_practice_pb2, envelope_pb2, record_pb2
from tests.conftest import PASSPHRASE, HubHandle

PXHUB_SERVICES = (
    "pxhub.v1.ExchangeService",
    "pxhub.v1.DirectoryService",
    "pxhub.v1.AuditService",
    "pxhub.v1.PolicyService",
    "pxhub.v1.ConsentService",
    "pxhub.v1.LookupService",
    "pxhub.v1.RequestService",
)


async def test_health_and_reflection(hub_server: HubHandle) -> None:
    identity = load_identity(hub_server.federation_dir, "CO-INPEC", PASSPHRASE)
    async with grpc.aio.secure_channel(hub_server.target, channel_credentials(identity)) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", *PXHUB_SERVICES):  # the names docs/integrating.md lists
            # types-grpcio-health-checking declares HealthStub without its methods.
            reply = await health.Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service=service), timeout=10
            )
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as unknown:
            await health.Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service="pxhub.v1.NoSuchService"), timeout=10
            )
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
        # types-grpcio-reflection takes only a blocking grpc.Channel, and types ServerReflectionInfo as
        # binascii.Incomplete (a wrong import in the stub); the generated stub works on grpc.aio too.
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)  # type: ignore[arg-type]

        async def ask():
            yield reflection_pb2.ServerReflectionRequest(list_services="")

        services = set()
        async for reply in stub.ServerReflectionInfo(ask()):  # type: ignore[operator]
            services |= {s.name for s in reply.list_services_response.service}
        standard = {
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        }
        assert services == {*PXHUB_SERVICES, *standard}


async def test_health_needs_a_client_certificate(hub_server: HubHandle) -> None:
    """No gRPC method, health included, answers a connection without a member certificate."""
    identity = load_identity(hub_server.federation_dir, "CO-INPEC", PASSPHRASE)
    anonymous = grpc.ssl_channel_credentials(root_certificates=identity.ca_certificate_pem)
    async with grpc.aio.secure_channel(hub_server.target, anonymous) as channel:
        with pytest.raises(grpc.RpcError) as refused:
            await health_pb2_grpc.HealthStub(channel).Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service=""), timeout=10
            )
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_sync_client_round_trip(hub_server: HubHandle) -> None:
    """The blocking client drives its own loop; it runs in a thread while the hub's loop serves."""

    def exchange() -> str:
        record = record_pb2.Record(
            best_practice=best_practice_pb2.BestPracticeRecord(practice_id="p", owner="UY-INR", title="t")
        )
        metadata = envelope_pb2.RecordMetadata(
            purpose=envelope_pb2.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING,
            legal_basis=envelope_pb2.LEGAL_BASIS_NOT_PERSONAL_DATA,
        )
        with SyncMemberClient(hub_server.target, hub_server.federation_dir, "UY-INR", PASSPHRASE) as uy:
            receipts = uy.submit([uy.seal(record, metadata, ["DO-DGSPC"])])
            assert receipts[0].outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED
        with SyncMemberClient(hub_server.target, hub_server.federation_dir, "DO-DGSPC", PASSPHRASE) as do:
            opened = [do.open(d) for d in do.fetch()]
            results = do.acknowledge(opened)
            assert len(results) == 1
            return opened[0].record.best_practice.title

    assert await asyncio.to_thread(exchange) == "t"


def test_settings_from_toml_env_and_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('[hub]\nlisten = "127.0.0.1:6000"\nretention_seconds = 60\nlog_format = "json"\n')
    monkeypatch.setenv("PXHUB_RETENTION_SECONDS", "120")
    settings = HubSettings.load(config, log_format="console")
    assert settings.listen == "127.0.0.1:6000"  # from the file
    assert settings.retention_seconds == 120  # the environment beats the file
    assert settings.log_format == "console"  # a flag beats both
    monkeypatch.setenv("PXHUB_DATABASE_URL", "postgresql+psycopg://u:p@db/pxhub")
    assert HubSettings.load().sqlalchemy_url == "postgresql+psycopg://u:p@db/pxhub"


async def test_refusal_of_an_unidentified_ipv6_peer_is_audited() -> None:
    """A peer address is no actor id: the entry is anonymous and names the peer in its details."""
    import json

    import grpc

    from hub.identity.directory import Directory
    from hub.server.auth import Authenticator
    from hub.server.rpc import RpcEvent, RpcGuard
    from hub.store.memory.store import MemoryHubStore
    from hub.transport.status import RpcRefusal

    class Aborted(Exception):
        pass

    class Context:
        def auth_context(self) -> dict[str, list[bytes]]:
            return {}

        def peer(self) -> str:
            return "ipv6:[::1]:50001"

        async def abort_with_status(self, status: object) -> None:
            raise Aborted

    store = MemoryHubStore()
    guard = RpcGuard(Authenticator(Directory([])), store)
    refusal = RpcRefusal(
        grpc.StatusCode.UNAUTHENTICATED, envelope_pb2.REASON_UNKNOWN_CALLER, "no certificate"
    )
    with pytest.raises(Aborted):
        await guard.refuse(RpcEvent("Fetch"), refusal, Context())  # type: ignore[arg-type]
    (entry,) = store.audit_entries(0, 1)
    decoded = json.loads(entry)
    assert decoded["actor_kind"] == "anonymous" and decoded["actor_id"] == ""
    assert decoded["details"]["peer"] == "ipv6:[::1]:50001"
    assert decoded["reason"] == "UNKNOWN_CALLER"


def test_settling_the_heap_freezes_start_up_state_and_widens_thresholds() -> None:
    """`pxhub serve` calls this once the hub listens (hub/runtime/heap.py)."""
    import gc

    from hub.runtime.heap import OLDER_THRESHOLDS, YOUNG_THRESHOLD, settle_after_start

    before = gc.get_threshold()
    kept = [object() for _ in range(10)]  # noqa: F841 (survivors of start-up)
    try:
        settle_after_start()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
