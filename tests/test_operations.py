"""What the people who run a hub rely on: metrics, probes, reflection, readable help and counts.

Every probe and scrape here is a real HTTP request to the hub's listener after real gRPC calls over
loopback; counters are compared before and after the calls, so the calls a client makes while
connecting do not matter.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from structlog.testing import capture_logs
from typer.testing import CliRunner

from hub.cli.main import app
from hub.core.words import counted, plural
from hub.dev.federation import default_member_ids
from hub.identity.credentials import load_identity
from hub.server.reflection import V1_SERVICE_NAME
from hub.settings import HubSettings
from hub.transport.channel import channel_credentials
from pxhub.v1 import envelope_pb2
from tests.conftest import PASSPHRASE, HubHandle, start_test_hub
from tests.test_exchange_grpc import knowledge_metadata, practice

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
DIRECTORY = "pxhub.v1.DirectoryService"

runner = CliRunner()


@pytest.mark.parametrize(
    ("noun", "expected"),
    [("entry", "entries"), ("day", "days"), ("envelope", "envelopes"), ("witness", "witnesses")],
)
def test_plural_of_regular_nouns(noun: str, expected: str) -> None:
    assert plural(noun) == expected


def test_counted_uses_the_singular_for_one_only() -> None:
    assert counted(1, "entry") == "1 entry"
    assert counted(0, "entry") == "0 entries"
    assert counted(1024, "entry") == "1,024 entries"


def test_serve_help_shows_the_toml_section_name() -> None:
    result = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "(section [hub])" in result.output


async def test_a_stopping_hub_logs_one_line_with_its_reason(federation_dir: Path) -> None:
    handle = await start_test_hub(federation_dir)
    with capture_logs() as logs:
        await handle.running.stop(grace=0.1, reason="signal SIGTERM")  # type: ignore[attr-defined]
    stopped = [line for line in logs if line["event"] == "hub_stopped"]
    assert len(stopped) == 1
    assert stopped[0]["reason"] == "signal SIGTERM"
    assert stopped[0]["port"] == handle.running.port  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- metrics and probes


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


async def http_get(handle: HubHandle, path: str) -> tuple[int, bytes]:
    """GET ``path`` from the hub's operations listener (off the event loop, which serves gRPC)."""
    return await asyncio.to_thread(_get, handle.running.operations.port, path)  # type: ignore[attr-defined]


async def scrape(handle: HubHandle) -> Samples:
    status, body = await http_get(handle, "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def rpc_labels(method: str, code: str = "", kind: str = "unary", service: str = DIRECTORY) -> dict[str, str]:
    labels = {"grpc_type": kind, "grpc_service": service, "grpc_method": method}
    return {**labels, "grpc_code": code} if code else labels


@pytest.fixture
async def metered_hub(federation_dir: Path, tmp_path: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(
        federation_dir, f"sqlite:///{tmp_path / 'hub.db'}", metrics_listen="127.0.0.1:0"
    )
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_metrics_count_calls_by_method_and_code_and_read_the_hub_state(metered_hub: HubHandle) -> None:
    co = await metered_hub.client("CO-INPEC")
    try:
        before = await scrape(metered_hub)
        await co.refresh_directory()
        await co.refresh_directory()
        with pytest.raises(grpc.aio.AioRpcError) as refused:  # a member may not change a member's status
            await co.set_member_status("GT-DGSP", "suspended", "not an operator")
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        receipts = await co.submit(
            [co.seal(practice("CO-INPEC"), knowledge_metadata(), ["PE-INPE", "UY-INR"])]
        )
        assert receipts[0].outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED
        after = await scrape(metered_hub)
    finally:
        await co.close()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("grpc_server_started_total", **rpc_labels("GetDirectory")) == 2
    assert grew("grpc_server_handled_total", **rpc_labels("GetDirectory", "OK")) == 2
    assert grew("grpc_server_handling_seconds_count", **rpc_labels("GetDirectory")) == 2
    assert grew("grpc_server_handled_total", **rpc_labels("SetMemberStatus", "PERMISSION_DENIED")) == 1
    assert grew("grpc_server_handled_total", **rpc_labels("SetMemberStatus", "OK")) == 0
    submit = rpc_labels("Submit", kind="bidi_stream", service="pxhub.v1.ExchangeService")
    assert grew("grpc_server_handled_total", **submit, grpc_code="OK") == 1
    assert grew("grpc_server_msg_received_total", **submit) == 1  # one request message (one batch)
    assert grew("grpc_server_msg_sent_total", **submit) == 1
    assert grew("pxhub_submit_batch_envelopes_count") == 1
    assert grew("pxhub_submit_batch_envelopes_sum") == 1
    assert {m: value(after, "pxhub_mailbox_depth", member=m) for m in ("PE-INPE", "UY-INR", "MX-OADPRS")} == {
        "PE-INPE": 1,
        "UY-INR": 1,
        "MX-OADPRS": 0,
    }
    assert {key[1][0][1] for key in after if key[0] == "pxhub_mailbox_depth"} == set(default_member_ids())
    assert value(after, "pxhub_audit_log_entries") == metered_hub.store.audit_size()
    assert {
        check: value(after, "pxhub_ready", check=check) for check in ("store", "migrations", "policy")
    } == {
        "store": 1,
        "migrations": 1,
        "policy": 1,
    }
    assert value(after, "pxhub_requests", state="open") == 0
    assert value(after, "pxhub_requests", state="overdue") == 0
    assert value(after, "pxhub_certificate_expiry_days", member="CO-INPEC") > 30
    assert any(key[0] == "pxhub_agreement_expiry_days" for key in after)
    assert any(key[0] == "pxhub_key_expiry_days" and ("member", "PE-INPE") in key[1] for key in after)


async def test_a_call_refused_for_its_quota_counts_with_its_code(federation_dir: Path) -> None:
    handle = await start_test_hub(
        federation_dir, metrics_listen="127.0.0.1:0", member_call_burst=20, member_calls_per_second=0.001
    )
    co = await handle.client("CO-INPEC")
    try:
        refusals = 0
        for _ in range(25):
            try:
                await co.refresh_directory()
            except grpc.aio.AioRpcError as error:
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                refusals += 1
        samples = await scrape(handle)
    finally:
        await co.close()
        await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]
    assert refusals > 0
    exhausted = value(
        samples, "grpc_server_handled_total", **rpc_labels("GetDirectory", "RESOURCE_EXHAUSTED")
    )
    assert exhausted == refusals
    assert value(samples, "pxhub_quota_refusals_total", quota="calls", caller="CO-INPEC") == refusals
    assert value(samples, "pxhub_rate_limit_windows_open") == 1


async def test_checkpoint_gauges_follow_the_newest_checkpoint(federation_dir: Path) -> None:
    handle = await start_test_hub(federation_dir, metrics_listen="127.0.0.1:0")
    try:
        from hub.server.context import audit_service

        issued = await asyncio.to_thread(audit_service(handle.running.context).issue_if_grown)  # type: ignore[attr-defined]
        assert issued is not None
        samples = await scrape(handle)
    finally:
        await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]
    assert value(samples, "pxhub_audit_checkpoint_size") == issued.size
    assert value(samples, "pxhub_audit_checkpoint_age_seconds") >= 0


async def test_healthz_and_readyz_answer_without_a_certificate(metered_hub: HubHandle) -> None:
    assert await http_get(metered_hub, "/healthz") == (200, b'{"status": "alive"}')
    status, body = await http_get(metered_hub, "/readyz")
    assert (status, json.loads(body)) == (200, {"ready": True})
    status, body = await http_get(metered_hub, "/nothing-here")
    assert status == 404 and b"/readyz" in body


async def test_readyz_names_a_database_migrated_past_this_hub(metered_hub: HubHandle) -> None:
    """A newer release migrated the shared database: this replica's code no longer matches it."""
    engine = create_engine(metered_hub.store.engine.url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    engine.dispose()
    status, body = await http_get(metered_hub, "/readyz")
    assert status == 503
    answer = json.loads(body)
    assert answer["ready"] is False and list(answer["not_ready"]) == ["migrations"]
    assert "ffffffffffff" in answer["not_ready"]["migrations"]
    assert (await http_get(metered_hub, "/healthz"))[0] == 200  # alive all the same
    samples = await scrape(metered_hub)
    assert value(samples, "pxhub_ready", check="migrations") == 0
    assert value(samples, "pxhub_ready", check="store") == 1


async def test_readyz_names_a_missing_policy(metered_hub: HubHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    policies = metered_hub.running.exchange.policies  # type: ignore[attr-defined]
    monkeypatch.setattr(policies, "current", lambda: None)
    status, body = await http_get(metered_hub, "/readyz")
    assert (status, json.loads(body)) == (
        503,
        {"ready": False, "not_ready": {"policy": "no signed policy loaded"}},
    )


async def test_a_hub_without_metrics_listen_serves_no_listener(federation_dir: Path) -> None:
    handle = await start_test_hub(federation_dir)
    try:
        assert handle.running.operations is None  # type: ignore[attr-defined]
    finally:
        await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("given", "expected"), [("9464", "127.0.0.1:9464"), ("0.0.0.0:9464", "0.0.0.0:9464"), ("", "")]
)
def test_metrics_listen_defaults_to_loopback(federation_dir: Path, given: str, expected: str) -> None:
    assert HubSettings(federation_dir=federation_dir, metrics_listen=given).metrics_listen == expected


@pytest.mark.parametrize("given", ["localhost", "::1:9464", "127.0.0.1:70000"])
def test_serve_refuses_a_bad_metrics_address_in_one_line(tmp_path: Path, given: str) -> None:
    result = runner.invoke(app, ["serve", "--federation-dir", str(tmp_path), "--metrics-listen", given])
    assert result.exit_code == 2
    assert "metrics_listen" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


# --------------------------------------------------------------------------- reflection


@pytest.mark.parametrize("service", [V1_SERVICE_NAME, "grpc.reflection.v1alpha.ServerReflection"])
async def test_reflection_lists_the_services_under_v1_and_v1alpha(
    metered_hub: HubHandle, service: str
) -> None:
    identity = load_identity(metered_hub.federation_dir, "CO-INPEC", PASSPHRASE)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    symbol = reflection_pb2.ServerReflectionRequest(file_containing_symbol=V1_SERVICE_NAME)
    async with grpc.aio.secure_channel(metered_hub.target, channel_credentials(identity)) as channel:
        call = channel.stream_stream(
            f"/{service}/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        replies = [reply async for reply in call(iter([request, symbol]), timeout=30)]
    listed = {s.name for s in replies[0].list_services_response.service}
    assert {"pxhub.v1.ExchangeService", "grpc.health.v1.Health", V1_SERVICE_NAME} <= listed
    assert "grpc.reflection.v1alpha.ServerReflection" in listed
    assert replies[1].file_descriptor_response.file_descriptor_proto  # v1 describes itself too


# --------------------------------------------------------------------------- the shipped service files

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def test_the_shipped_settings_file_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PXHUB_LISTEN", "PXHUB_METRICS_LISTEN", "PXHUB_DATA_DIR", "PXHUB_FEDERATION_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = HubSettings.load(DEPLOY / "hub.toml")
    assert settings.metrics_listen == "127.0.0.1:9464"  # probes and metrics stay on loopback
    assert settings.data_dir == Path("/var/lib/pxhub") and settings.log_format == "json"


def test_the_unit_runs_serve_with_the_shipped_settings_and_a_passphrase_file() -> None:
    from hub.identity.manifest import ENV_PASSPHRASE_FILE

    unit = (DEPLOY / "pxhub.service").read_text()
    assert "ExecStart=/opt/pxhub/.venv/bin/pxhub serve --config /etc/pxhub/hub.toml" in unit
    assert f"Environment={ENV_PASSPHRASE_FILE}=%d/passphrase" in unit  # a file the hub reads, not the secret
    assert "PXHUB_KEY_PASSPHRASE=" not in unit
    assert "StateDirectory=pxhub" in unit and "NoNewPrivileges=yes" in unit
