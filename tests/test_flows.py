"""The Prefect flows end to end against a real hub on loopback (mTLS, gRPC), in Prefect's test harness.

Each test starts its own hub (in-memory store) on the session federation; the Prefect API is the
session's ``prefect_harness``. Kept small: a dozen rows per export.
"""

from __future__ import annotations

import base64
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from hub.dev.federation import default_member_ids
from tests.conftest import HubHandle, start_test_hub

pytestmark = pytest.mark.prefect

ROWS = 12


@pytest.fixture
async def hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def artifact_data(key: str) -> str:
    from prefect.artifacts import Artifact

    found = await Artifact.aget(key)
    assert found is not None, key
    return str(found.data)


def export(tmp_path: Path, member: str, count: int = ROWS, seed: int = 1) -> str:
    from adapters.samples.exports import write_export

    return str(write_export(member, tmp_path / "exports", count=count, seed=seed, id_error_rate=0.25))


async def test_outbound_sync_rerun_sends_nothing_twice(
    prefect_harness: None, hub: HubHandle, tmp_path: Path
) -> None:
    from flows.outbound import outbound_sync

    source = export(tmp_path, "CO-INPEC")
    args: dict[str, Any] = {
        "target": hub.target,
        "federation_dir": str(hub.federation_dir),
        "state_dir": str(tmp_path / "s"),
    }
    first = await outbound_sync("CO-INPEC", source, batch_size=5, **args)
    partners = 2  # PE-INPE and MX-OADPRS under the default policy
    assert first.rows == ROWS and first.withheld == 0
    assert first.accepted == ROWS * partners and not first.rejected
    assert first.sent_to == {"PE-INPE": ROWS, "MX-OADPRS": ROWS}
    envelopes = hub.store.stats().envelopes

    again = await outbound_sync("CO-INPEC", source, batch_size=5, **args)
    assert (again.accepted, again.sealed, again.already_sent) == (0, 0, ROWS * partners)
    assert hub.store.stats().envelopes == envelopes

    # Receipts lost in a crash: the outbox resends the very same envelopes and the hub says DUPLICATE.
    with sqlite3.connect(tmp_path / "s" / "CO-INPEC" / "outbox.sqlite") as db:
        db.execute("UPDATE outbox SET outcome = ''")
    resent = await outbound_sync("CO-INPEC", source, batch_size=5, **args)
    assert (resent.accepted, resent.duplicates, resent.sealed) == (0, ROWS * partners, 0)
    assert hub.store.stats().envelopes == envelopes

    counts = await artifact_data("outbound-sync-co-inpec-counts")
    assert "duplicates" in counts and str(ROWS * partners) in counts

    # The adapter's documented sample: a row without its NUI is withheld, the others go with their issues.
    from adapters.registry import get_adapter

    sample = str(get_adapter("CO-INPEC").sample_path())
    checked = await outbound_sync(
        "CO-INPEC", sample, recipients=["PE-INPE"], **{**args, "state_dir": str(tmp_path / "t")}
    )
    assert (checked.rows, checked.withheld, checked.accepted) == (10, 1, 9)
    assert checked.id_warnings == 1  # a malformed national id is carried as a warning, never rejected
    rejects = await artifact_data("outbound-sync-co-inpec-rejects")
    assert "| 9 | error | NUI | MISSING_REQUIRED |" in rejects
    assert "| 7 | warning | NUMERO_DOCUMENTO | ID_INVALID_FORMAT |" in rejects


async def test_inbound_sync_crash_after_write_resumes_without_duplicates(
    prefect_harness: None, hub: HubHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.inbound
    from flows.inbound import inbound_sync
    from flows.outbound import outbound_sync
    from flows.sink import STATE_FILE, NationalSink

    common: dict[str, Any] = {"target": hub.target, "federation_dir": str(hub.federation_dir)}
    await outbound_sync("CO-INPEC", export(tmp_path, "CO-INPEC"), state_dir=str(tmp_path / "s"), **common)
    sink = tmp_path / "sink-pe"

    def crash(_: object) -> None:
        raise RuntimeError("power cut between the durable write and the acknowledgement")

    monkeypatch.setattr(flows.inbound, "after_durable_write", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        await inbound_sync("PE-INPE", str(sink), batch_size=5, **common)
    national = NationalSink("PE-INPE", sink)
    assert national.rows() == 5  # the first batch is durable, in the national format
    assert not (sink / STATE_FILE).exists()  # the cursor moves only after the acknowledgement
    assert hub.store.stats().mailbox_acknowledged == 0

    monkeypatch.undo()
    resumed = await inbound_sync("PE-INPE", str(sink), batch_size=5, **common)
    assert resumed.already_in_sink == 5  # redelivered, recognised by message id, not written again
    assert resumed.written == ROWS - 5 and resumed.acknowledged == ROWS
    assert national.rows() == ROWS
    assert len(national.known_message_ids()) == ROWS
    assert (sink / STATE_FILE).exists() and not list(sink.glob("*.part"))
    assert (await inbound_sync("PE-INPE", str(sink), **common)).received == 0
    counts = await artifact_data("inbound-sync-pe-inpe-counts")
    assert "already in the sink" in counts


async def test_withdrawal_deletes_from_the_national_sink_and_attests(
    prefect_harness: None, hub: HubHandle, tmp_path: Path
) -> None:
    from adapters.samples.synthetic import generate_profiles
    from flows.consent import consent_transfer, consent_withdrawal, track
    from flows.inbound import inbound_sync
    from flows.sink import NationalSink
    from flows.withdrawals import propagate_withdrawals

    target, fed = hub.target, str(hub.federation_dir)
    person = export(tmp_path, "CO-INPEC", count=3, seed=2026)
    subject_id = next(generate_profiles("CO-INPEC", 1, 2026)).custodian_subject_id
    transfer = await consent_transfer(
        "CO-INPEC", ("PE-INPE",), person, subject_id, target, fed, str(tmp_path / "s")
    )
    assert transfer.outcome == "ACCEPTED"
    sink = tmp_path / "sink-pe"
    assert (await inbound_sync("PE-INPE", str(sink), target=target, federation_dir=fed)).written == 1
    assert NationalSink("PE-INPE", sink).rows() == 1
    await consent_withdrawal("CO-INPEC", transfer.consent_id, target, fed)

    result = await propagate_withdrawals("PE-INPE", str(sink), target=target, federation_dir=fed)
    assert result.notices == 1 and result.attested == 1
    assert result.deleted == [(transfer.message_id, transfer.consent_id, "deleted")]
    assert NationalSink("PE-INPE", sink).rows() == 0
    lineage = await track("CO-INPEC", transfer.message_id, target, fed)
    assert lineage[0][0] == "PE-INPE" and lineage[0][3].endswith("deleted")
    assert transfer.message_id in await artifact_data("withdrawals-pe-inpe")
    again = await propagate_withdrawals("PE-INPE", str(sink), target=target, federation_dir=fed)
    assert again.notices == 0


async def test_best_practice_exchange_builds_the_regional_comparison(
    prefect_harness: None, hub: HubHandle, tmp_path: Path
) -> None:
    from adapters.samples.records import write_records
    from flows.best_practice import best_practice_exchange

    records = {m: str(write_records(m, tmp_path / f"{m}.jsonl")) for m in ("CO-INPEC", "PE-INPE")}
    args = {
        "target": hub.target,
        "federation_dir": str(hub.federation_dir),
        "state_dir": str(tmp_path / "s"),
        "output_dir": str(tmp_path / "out"),
    }
    colombia = await best_practice_exchange("CO-INPEC", records["CO-INPEC"], **args)
    assert colombia.published == colombia.accepted == 2
    peru = await best_practice_exchange("PE-INPE", records["PE-INPE"], **args)
    assert peru.accepted == 2
    assert {"PE-INPE", "CO-INPEC"} <= {row[0] for rows in peru.indicators.values() for row in rows}
    assert peru.indicators and set(peru.charts) == set(peru.indicators)
    report = await artifact_data("best-practice-pe-inpe-regional-comparison")
    assert "| CO-INPEC |" in report and "| PE-INPE |" in report
    encoded = re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", report)
    assert encoded is not None
    svg = base64.b64decode(encoded.group(1)).decode()
    assert svg.startswith("<svg") and "CO-INPEC" in svg and "PE-INPE" in svg
    assert all(Path(path).read_text().startswith("<svg") for path in peru.charts.values())
    rerun = await best_practice_exchange("CO-INPEC", records["CO-INPEC"], **args)
    assert (rerun.accepted, rerun.already_sent) == (0, 2)


async def test_witness_flow_cosigns_then_catches_a_forked_log(
    prefect_harness: None, hub: HubHandle, federation_dir: Path, tmp_path: Path
) -> None:
    from flows.outbound import outbound_sync
    from flows.witness import STATE_FILE, CheckpointForkError, witness_checkpoints

    state = str(tmp_path / "s")
    fed = str(federation_dir)
    first = await witness_checkpoints("PE-INPE", target=hub.target, federation_dir=fed, state_dir=state)
    assert first.previous_size == 0 and first.size > 0
    await outbound_sync(
        "CO-INPEC",
        export(tmp_path, "CO-INPEC", count=3),
        target=hub.target,
        federation_dir=fed,
        state_dir=state,
    )
    second = await witness_checkpoints("PE-INPE", target=hub.target, federation_dir=fed, state_dir=state)
    assert second.previous_size == first.size and second.size > first.size
    kept = (Path(state) / "PE-INPE" / STATE_FILE).read_text()

    # A second hub with the same key and a different history: what a forked log looks like to a witness.
    other = await start_test_hub(federation_dir)
    try:
        await outbound_sync(
            "GT-DGSP", export(tmp_path, "GT-DGSP", count=6), target=other.target, federation_dir=fed,
            state_dir=str(tmp_path / "s2"),
        )  # fmt: skip
        with pytest.raises(CheckpointForkError, match=r"refuses to cosign.*(rollback|fork|does not extend)"):
            await witness_checkpoints("PE-INPE", target=other.target, federation_dir=fed, state_dir=state)
    finally:
        await other.running.stop(grace=0.1)  # type: ignore[attr-defined]
    assert (Path(state) / "PE-INPE" / STATE_FILE).read_text() == kept  # nothing cosigned, state kept
    assert "INCONSISTENT" in await artifact_data("witness-pe-inpe")


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode) -> None:
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (grpc.StatusCode.UNAVAILABLE, True),
        (grpc.StatusCode.DEADLINE_EXCEEDED, True),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, True),
        (grpc.StatusCode.INVALID_ARGUMENT, False),
        (grpc.StatusCode.PERMISSION_DENIED, False),
        (grpc.StatusCode.UNAUTHENTICATED, False),
        (grpc.StatusCode.FAILED_PRECONDITION, False),
        (grpc.StatusCode.NOT_FOUND, False),
    ],
)
def test_retry_condition_retries_only_transient_grpc_codes(code: grpc.StatusCode, expected: bool) -> None:
    from prefect.states import Failed

    from flows.retry import retry_on_transient

    assert retry_on_transient(None, None, Failed(data=FakeRpcError(code))) is expected
    wrapped = RuntimeError("submit failed")
    wrapped.__cause__ = FakeRpcError(code)
    assert retry_on_transient(None, None, Failed(data=wrapped)) is expected


def test_retry_condition_never_retries_other_errors_and_backs_off() -> None:
    from prefect.states import Completed, Failed

    from flows.retry import RETRY_DELAYS, retry_on_transient

    assert retry_on_transient(None, None, Failed(data=ValueError("bad export"))) is False
    assert retry_on_transient(None, None, Completed(data=1)) is False
    assert sorted(RETRY_DELAYS) == RETRY_DELAYS and RETRY_DELAYS[-1] >= 4 * RETRY_DELAYS[0]


async def test_outbound_sync_shards_an_export_over_the_task_runner(
    prefect_harness: None, hub: HubHandle, tmp_path: Path
) -> None:
    from flows.outbound import outbound_sync

    args: dict[str, Any] = {
        "target": hub.target,
        "federation_dir": str(hub.federation_dir),
        "state_dir": str(tmp_path / "s"),
    }
    source = export(tmp_path, "GT-DGSP", count=9)
    sharded = await outbound_sync("GT-DGSP", source, shards=3, batch_size=2, **args)
    assert (sharded.rows, sharded.accepted, len(sharded.rejected)) == (9, 18, 0)
    assert sharded.sent_to == {"PE-INPE": 9, "EC-SNAI": 9}
    again = await outbound_sync("GT-DGSP", source, **args)  # unsharded re-run: same ids, nothing sent
    assert (again.accepted, again.already_sent) == (0, 18)


def test_cli_registry_and_served_deployments(tmp_path: Path) -> None:
    import typer

    from flows.cli import FLOWS, SCHEDULES, build_deployments, flow_parameters, load_flow

    assert set(SCHEDULES) <= set(FLOWS)
    for name in FLOWS:
        assert load_flow(name).name == name
    with pytest.raises(typer.BadParameter, match="--sink"):
        flow_parameters(load_flow("inbound-sync"), {"member": "PE-INPE"})
    deployments = build_deployments(
        ["CO-INPEC"], "hub:50051", tmp_path / "fed", tmp_path / "exports", tmp_path / "sinks", tmp_path / "s"
    )
    by_name = {d.name: d for d in deployments}
    assert set(by_name) == {f"{name}-co-inpec" for name in SCHEDULES}
    outbound = by_name["outbound-sync-co-inpec"]
    assert outbound.parameters["source"].endswith("CO-INPEC/export.csv")
    assert outbound.schedules[0].schedule.interval.total_seconds() == 3600
    assert by_name["best-practice-exchange-co-inpec"].schedules[0].schedule.cron == "0 6 * * 1"
    assert by_name["publish-records-co-inpec"].parameters["records"].endswith("CO-INPEC/records.jsonl")
    assert "source" not in by_name["best-practice-exchange-co-inpec"].parameters


async def test_publish_records_sends_audits_training_and_programmes_once(
    prefect_harness: None, hub: HubHandle, tmp_path: Path
) -> None:
    from google.protobuf import json_format

    from adapters.samples.records import sample_records, write_records
    from adapters.samples.synthetic import generate_profiles
    from flows.publish import publish_records
    from pxhub.v1 import record_pb2

    records = write_records("CO-INPEC", tmp_path / "records.jsonl", audits=2)
    profile = record_pb2.Record(inmate_security_profile=next(generate_profiles("CO-INPEC", 1, 1)))
    with records.open("a", encoding="utf-8") as lines:
        lines.write("not json\n\n")
        lines.write(json_format.MessageToJson(profile, indent=None) + "\n")
    expected = len(sample_records("CO-INPEC", audits=2))  # 2 audits, 1 training, 2 programmes
    args = {"target": hub.target, "federation_dir": str(hub.federation_dir), "state_dir": str(tmp_path / "s")}
    first = await publish_records("CO-INPEC", str(records), **args)
    assert (first.read, first.published, first.accepted) == (expected + 2, expected, expected)
    assert [line for line, _ in first.problems] == [expected + 1, expected + 3]
    assert "outbound-sync" in first.problems[1][1]
    assert first.sent_to == {m: expected for m in default_member_ids() if m != "CO-INPEC"}
    again = await publish_records("CO-INPEC", str(records), **args)
    assert (again.accepted, again.already_sent) == (0, expected)
    peru = await hub.client("PE-INPE")
    try:
        kinds = sorted([peru.open(d).record.WhichOneof("kind") or "" async for d in peru.fetch()])
    finally:
        await peru.close()
    assert kinds == ["best_practice"] * 2 + ["ethics_training"] + ["integrity_audit"] * 2


def test_message_ids_are_stable_and_keyed_by_the_member(tmp_path: Path) -> None:
    from flows.common import message_id_for, message_id_key

    key = message_id_key(str(tmp_path), "CO-INPEC")
    assert key == message_id_key(str(tmp_path), "CO-INPEC") and len(key) == 32
    assert (tmp_path / "CO-INPEC" / "message-id.key").stat().st_mode & 0o077 == 0
    one = message_id_for(key, "CO-INPEC", "profile", "NUI-1", "2025", ("PE-INPE", "MX-OADPRS"))
    assert one == message_id_for(key, "CO-INPEC", "profile", "NUI-1", "2025", ("MX-OADPRS", "PE-INPE"))
    assert one != message_id_for(key, "CO-INPEC", "profile", "NUI-1", "2026", ("PE-INPE", "MX-OADPRS"))
    assert one != message_id_for(b"x" * 32, "CO-INPEC", "profile", "NUI-1", "2025", ("PE-INPE", "MX-OADPRS"))
