"""``pxhub audit`` against a real hub on a SQLite file: verify, tamper, export, report.

The report's lookup and request figures are checked on a small built log as well (no hub).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner, Result

from hub.cli.main import app
from hub.core import merkle
from hub.core.audit_entry import AuditEntry
from hub.core.checkpoint import Checkpoint, open_checkpoint, sign_note, verifier_key_string
from hub.dev.federation import default_member_ids
from hub.identity.caller import Caller
from hub.identity.credentials import load_hub
from hub.identity.manifest import load_manifest
from hub.sdk.audit.client import AuditClient
from hub.sdk.audit.report import ReportHeader, build_report_data, render_report
from hub.services.audit_events import refused_items
from pxhub.v1 import envelope_pb2 as R
from tests.conftest import PASSPHRASE, HubHandle, start_test_hub
from tests.test_audit_grpc import populate

runner = CliRunner()


@pytest.fixture
async def sqlite_hub(federation_dir: Path, tmp_path: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir, f"sqlite:///{tmp_path / 'hub.db'}")
    await populate(handle)
    await populate(handle)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def pxhub(hub: HubHandle, *args: str) -> Result:
    """Run ``pxhub audit ...`` in a worker thread (it runs its own event loop) against ``hub``."""
    argv = ["audit", args[0], "--target", hub.target, "--federation-dir", str(hub.federation_dir), *args[1:]]
    return await asyncio.to_thread(runner.invoke, app, argv)


_HUB_LOG_LINE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")


def printed(result: Result) -> str:
    """What the command printed, without the log lines of the hub running in this process."""
    return "".join(line for line in result.output.splitlines(True) if not _HUB_LOG_LINE.match(line))


def db_path(hub: HubHandle) -> Path:
    return Path(hub.store.url.removeprefix("sqlite:///"))


async def test_verify_passes_saves_and_checks_a_saved_checkpoint(
    sqlite_hub: HubHandle, tmp_path: Path
) -> None:
    saved = tmp_path / "checkpoint.txt"
    first = await pxhub(sqlite_hub, "verify", "--save-checkpoint", str(saved))
    assert first.exit_code == 0, first.output
    assert "OK:" in first.output and "entries verified" in first.output
    size = int(saved.read_text().split("\n")[1])
    await populate(sqlite_hub)
    second = await pxhub(sqlite_hub, "verify", "--checkpoint", str(saved))
    assert second.exit_code == 0, second.output
    assert f"extends the saved checkpoint of size {size}" in second.output


@pytest.mark.parametrize(
    ("tamper", "index"),
    [("edit", 5), ("delete", 4), ("swap", 2)],
)
async def test_verify_fails_naming_the_first_tampered_entry(
    sqlite_hub: HubHandle, tamper: str, index: int
) -> None:
    with sqlite3.connect(db_path(sqlite_hub)) as db:
        entries = dict(db.execute("SELECT idx, entry FROM audit_entries WHERE idx < 12").fetchall())
        if tamper == "edit":
            edited = entries[5].replace(b'"outcome":"', b'"outcome":"x', 1)
            db.execute("UPDATE audit_entries SET entry = ? WHERE idx = 5", (edited,))
        elif tamper == "delete":
            db.execute("DELETE FROM audit_entries WHERE idx = 4")
        else:
            db.execute("UPDATE audit_entries SET entry = ? WHERE idx = 2", (entries[9],))
            db.execute("UPDATE audit_entries SET entry = ? WHERE idx = 9", (entries[2],))
    result = await pxhub(sqlite_hub, "verify")
    assert result.exit_code == 1, result.output
    assert f"entry {index} does not match the signed log (edited, deleted or reordered)" in result.output


async def test_verify_requires_the_named_witnesses(sqlite_hub: HubHandle) -> None:
    missing = await pxhub(sqlite_hub, "verify", "--witness", "UY-INR")
    assert missing.exit_code == 1 and "cosigned by all the required witnesses (UY-INR)" in missing.output
    uy = await AuditClient.connect(sqlite_hub.target, sqlite_hub.federation_dir, "UY-INR", PASSPHRASE)
    try:
        witnessed = await uy.witness(None, issue=True)
    finally:
        await uy.close()
    await populate(sqlite_hub)  # the log moves on; verify takes the latest checkpoint UY-INR cosigned
    result = await pxhub(sqlite_hub, "verify", "--witness", "UY-INR")
    assert result.exit_code == 0, result.output
    assert f"of size {witnessed.checkpoint.size} " in result.output and "cosigned by UY-INR" in result.output


async def test_verify_fails_when_the_log_does_not_extend_a_saved_checkpoint(
    sqlite_hub: HubHandle, tmp_path: Path
) -> None:
    """A checkpoint the hub signed for another history (here forged with the hub key itself)."""
    manifest = load_manifest(sqlite_hub.federation_dir)
    key = load_hub(sqlite_hub.federation_dir, PASSPHRASE).signing_key
    other = tmp_path / "other.txt"
    other.write_text(
        sign_note(Checkpoint(manifest.hub_origin, 3, bytes(32)).body(), manifest.hub_origin, key)
    )
    rewritten = await pxhub(sqlite_hub, "verify", "--checkpoint", str(other))
    assert rewritten.exit_code == 1, rewritten.output
    assert "does not extend the saved checkpoint of size 3" in rewritten.output
    future = tmp_path / "future.txt"
    future.write_text(
        sign_note(Checkpoint(manifest.hub_origin, 10**6, bytes(32)).body(), manifest.hub_origin, key)
    )
    rolled_back = await pxhub(sqlite_hub, "verify", "--checkpoint", str(future))
    assert rolled_back.exit_code == 1 and "rolled back" in rolled_back.output


async def test_verify_fails_on_a_back_dated_entry(sqlite_hub: HubHandle) -> None:
    entry = AuditEntry(
        time=datetime.now(UTC) - timedelta(days=2),
        actor_kind="hub",
        actor_id="hub",
        officer_pseudonym="",
        action="purge",
        object_ids=("message:late",),
        outcome="ok",
    ).encode()
    index = sqlite_hub.store.append_audit([entry]) - 1
    result = await pxhub(sqlite_hub, "verify")
    assert result.exit_code == 1, result.output
    assert f"entry {index} is back-dated" in result.output


async def test_export_round_trip_checks_with_the_export_alone(sqlite_hub: HubHandle, tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    result = await pxhub(sqlite_hub, "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[0])
    manifest = load_manifest(sqlite_hub.federation_dir)
    checkpoint, _ = open_checkpoint(head["checkpoint"], {manifest.hub_origin: manifest.hub_public_key()})
    assert head["size"] == checkpoint.size == len(lines) - 1
    assert base64.b64decode(head["root_hash"]) == checkpoint.root_hash
    for expected_index, line in enumerate(lines[1:]):
        record = json.loads(line)
        assert record["index"] == expected_index
        entry = base64.b64decode(record["entry_b64"])
        leaf = hashlib.sha256(b"\x00" + entry).digest()
        assert leaf.hex() == record["leaf_hash"]
        proof = [bytes.fromhex(h) for h in record["inclusion_proof"]]
        merkle.verify_inclusion(leaf, record["index"], checkpoint.size, proof, checkpoint.root_hash)
        assert record["entry"] == json.loads(entry)
    exported = sqlite_hub.store.audit_entries(0, sqlite_hub.store.audit_size())
    assert b'"action":"audit.export"' in exported[-1]


async def test_report_is_one_self_contained_html_file(sqlite_hub: HubHandle, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = await pxhub(sqlite_hub, "report", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    for section in (
        "Exchanges per country pair",
        "Exchanges per month",
        "Denials by reason",
        "Consent withdrawals",
        "Lookups",
        "Requests",
        "Activity per member",
        "Entries per action and outcome",
    ):
        assert f"<h2>{section}</h2>" in page
    assert page.count("<svg") == 6
    assert "SIGNATURE_INVALID" in page  # the tampered submission of populate()
    assert "No consent withdrawals recorded" in page
    assert "No lookups recorded" in page and "No requests recorded" in page
    lowered = page.lower()
    assert "<script" not in lowered and "http://" not in lowered and "https://" not in lowered
    assert "<link" not in lowered and "src=" not in lowered


async def test_cli_errors_name_the_option(sqlite_hub: HubHandle, tmp_path: Path) -> None:
    fed = str(sqlite_hub.federation_dir)
    verify = ["audit", "verify", "--target", sqlite_hub.target]
    cases = {
        "--target": ["audit", "verify", "--target", "no-port", "--federation-dir", fed],
        "--federation-dir": [*verify, "--federation-dir", str(tmp_path)],
        "--witness NOBODY": [*verify, "--federation-dir", fed, "--witness", "NOBODY"],
        "--identity NOBODY": [*verify, "--federation-dir", fed, "--identity", "NOBODY"],
        "--checkpoint": [*verify, "--federation-dir", fed, "--checkpoint", str(tmp_path / "missing.txt")],
        "--target 127.0.0.1:1": ["audit", "verify", "--target", "127.0.0.1:1", "--federation-dir", fed],
    }
    for option, argv in cases.items():
        result = await asyncio.to_thread(runner.invoke, app, argv)
        assert result.exit_code == 2, (option, result.output)
        assert option in result.output, (option, result.output)
    no_key = await asyncio.to_thread(
        runner.invoke,
        app,
        ["audit", "verify", "--target", sqlite_hub.target, "--federation-dir", fed],
        env={"PXHUB_KEY_PASSPHRASE": "", "PXHUB_KEY_PASSPHRASE_FILE": ""},
    )
    assert no_key.exit_code == 2 and "PXHUB_KEY_PASSPHRASE" in no_key.output
    keys = await asyncio.to_thread(runner.invoke, app, ["audit", "keys", "--federation-dir", fed])
    assert keys.exit_code == 0 and keys.output.startswith("log     ")


# -- the report's lookup and request sections, on a built log ----------------------------------

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def entry(
    at: timedelta,
    actor: str,
    action: str,
    outcome: str = "ok",
    *,
    objects: tuple[str, ...] = (),
    reason: str = "",
    actor_kind: str = "member",
    **details: str | int,
) -> bytes:
    return AuditEntry(
        time=T0 + at,
        actor_kind=actor_kind,
        actor_id=actor,
        officer_pseudonym="",
        action=action,
        object_ids=objects,
        outcome=outcome,
        reason=reason,
        details=details,
    ).encode()


def lookup(at: timedelta, actor: str, tokens: int, hit: str, hits: int) -> bytes:
    return entry(
        at,
        actor,
        "lookup.query",
        objects=(f"lookup:{at.total_seconds():.0f}",),
        purpose="ORGANISED_CRIME",
        legal_basis="AGREEMENT",
        tokens=tokens,
        asked="GT-DGSP,PE-INPE",
        hit=hit,
        hits=hits,
        epoch=1,
    )


def publish(actor: str, add: int, remove: int, replace_all: int) -> bytes:
    return entry(
        timedelta(0),
        actor,
        "lookup.publish",
        objects=("epoch:1",),
        epoch=1,
        add=add,
        remove=remove,
        replace_all=replace_all,
    )


def request_submit(
    at: timedelta, sender: str, recipient: str, request_id: str, state: str, allowed: timedelta
) -> bytes:
    """A REQUEST (state ``open``) or RESPONSE submission naming request ``request_id``."""
    message_id = request_id if state == "open" else f"{request_id}-reply"
    return entry(
        at,
        sender,
        "submit",
        "permit",
        objects=(f"message:{message_id}", f"request:{request_id}"),
        size=900,
        kind="FILE_REQUEST" if state == "open" else "INMATE_SECURITY_PROFILE",
        purpose="ORGANISED_CRIME",
        recipients=recipient,
        classification="RESTRICTED",
        legal_basis="AGREEMENT",
        request_state=state,
        deadline=(T0 + allowed).isoformat(),
    )


def scenario() -> list[bytes]:
    """Two lookups and a refused one; three requests: answered in 30 h, refused in 10 h, overdue."""
    h = timedelta(hours=1)
    ordinary, urgent = timedelta(days=10), timedelta(hours=48)
    return [
        publish("PE-INPE", add=120, remove=3, replace_all=0),
        publish("GT-DGSP", add=40, remove=0, replace_all=1),
        lookup(0 * h, "CO-INPEC", 4, "PE-INPE", 2),
        lookup(0 * h + timedelta(minutes=5), "CO-INPEC", 3, "", 0),
        entry(0 * h, "CO-INPEC", "lookup.query", "deny", reason="LOOKUP_NOT_PERMITTED"),
        entry(0 * h, "PE-INPE", "lookup.query", objects=("lookup:0",), resolve=1, asker="CO-INPEC"),
        request_submit(0 * h, "CO-INPEC", "PE-INPE", "req-a", "open", ordinary),
        request_submit(0 * h, "CO-INPEC", "PE-INPE", "req-b", "open", urgent),
        request_submit(0 * h, "CO-INPEC", "GT-DGSP", "req-c", "open", urgent),
        request_submit(10 * h, "PE-INPE", "CO-INPEC", "req-b", "refused", urgent),
        request_submit(30 * h, "PE-INPE", "CO-INPEC", "req-a", "answered", ordinary),
        entry(
            48 * h,
            "hub",
            "request.overdue",
            actor_kind="hub",
            objects=("request:req-c",),
            requester="CO-INPEC",
            responder="GT-DGSP",
            deadline=(T0 + urgent).isoformat(),
        ),
    ]


def header(size: int) -> ReportHeader:
    return ReportHeader("pxhub.test/log", size, "AAAA", "pxhub.test+key", {}, T0 + timedelta(days=3))


def test_report_counts_lookups_tokens_and_publications_per_member() -> None:
    data = build_report_data(scenario())
    assert data.lookups == {"CO-INPEC": 2}
    assert data.lookup_tokens == {"CO-INPEC": 7}
    assert data.lookups_hit == {"CO-INPEC": 1}
    assert data.lookups_refused == {"CO-INPEC": 1}
    assert data.resolves == {"PE-INPE": 1}
    assert data.tokens_added == {"PE-INPE": 120, "GT-DGSP": 40}
    assert data.tokens_removed["PE-INPE"] == 3
    known = list(default_member_ids())
    assert data.lookup_members(known)[: len(known)] == known


def test_report_times_answers_per_member_pair_against_the_deadline() -> None:
    pairs = {(p.requester, p.responder): p for p in build_report_data(scenario()).request_pairs()}
    assert set(pairs) == {("CO-INPEC", "PE-INPE"), ("CO-INPEC", "GT-DGSP")}
    pe, gt = pairs["CO-INPEC", "PE-INPE"], pairs["CO-INPEC", "GT-DGSP"]
    assert (pe.opened, pe.answered, pe.refused, pe.overdue, pe.withdrawn, pe.still_open) == (2, 1, 1, 0, 0, 0)
    assert sorted(pe.answer_hours) == [10.0, 30.0]
    assert (pe.median_hours, pe.max_hours) == (20.0, 30.0)
    assert pe.deadlines() == [48.0, 240.0]
    assert (gt.opened, gt.answered, gt.refused, gt.overdue, gt.withdrawn, gt.still_open) == (1, 0, 0, 1, 0, 1)
    assert gt.answer_hours == () and gt.median_hours is None and gt.max_hours is None
    assert gt.deadlines() == [48.0]


def test_report_counts_an_open_request_past_its_deadline_as_overdue_and_a_withdrawal() -> None:
    h, urgent = timedelta(hours=1), timedelta(hours=48)
    log = [
        request_submit(0 * h, "GT-DGSP", "PE-INPE", "req-d", "open", urgent),
        request_submit(0 * h, "GT-DGSP", "PE-INPE", "req-e", "open", urgent),
        entry(5 * h, "GT-DGSP", "request.withdraw", objects=("request:req-e",), responder="PE-INPE"),
        entry(49 * h, "PE-INPE", "acknowledge", objects=("message:other",)),  # the log's last entry
    ]
    (pair,) = build_report_data(log).request_pairs()
    assert (pair.opened, pair.overdue, pair.withdrawn, pair.still_open) == (2, 1, 1, 1)
    (early,) = build_report_data(log[:3]).request_pairs()  # before the deadline: open, not overdue
    assert (early.overdue, early.still_open) == (0, 1)


def test_report_renders_the_lookup_and_request_sections_with_their_charts() -> None:
    log = scenario()
    page = render_report(build_report_data(log), header(len(log)))
    assert "<h2>Lookups</h2>" in page and "<h2>Requests</h2>" in page
    assert page.count("<svg") == 6
    assert 'aria-label="Tokens asked per member"' in page
    assert 'aria-label="Answer times per member pair against the deadline"' in page
    assert "Tokens are never written to the audit log" in page
    assert "CO-INPEC → PE-INPE" in page and "CO-INPEC → GT-DGSP" in page
    assert "median answer time: 20 h" in page and "maximum answer time: 30 h" in page
    assert "deadline: 240 h" in page and "deadline: 48 h" in page
    assert "1 overdue · 1 open" in page
    assert "<td>48 h / 240 h</td>" in page
    assert "No lookups recorded" not in page and "No requests recorded" not in page
    assert "<script" not in page.lower() and "href=" not in page.lower()


def test_report_draws_the_lookup_and_request_charts_when_there_are_none() -> None:
    page = render_report(build_report_data([]), header(0))
    assert page.count("<svg") == 6
    assert "No lookups recorded" in page and "No requests recorded" in page


def test_report_counts_every_item_of_an_aggregated_refusal() -> None:
    """One entry for a call's refused items counts each of them, per reason and per member."""
    caller = Caller("member", "PE-INPE")
    aggregated = refused_items(
        caller, T0, "submit", [("", R.REASON_MALFORMED)] * 3 + [("m-1", R.REASON_REPLAYED)]
    )
    single = entry(timedelta(minutes=1), "PE-INPE", "acknowledge", "deny", reason="NOT_A_RECIPIENT")
    data = build_report_data([aggregated, single])
    assert data.denials_by_reason == {"MALFORMED": 3, "REPLAYED": 1, "NOT_A_RECIPIENT": 1}
    assert data.denied["PE-INPE"] == 5


async def test_the_first_run_trusts_on_first_use_and_saves_the_checkpoint(
    sqlite_hub: HubHandle, tmp_path: Path
) -> None:
    last = tmp_path / "last.txt"
    first = await pxhub(sqlite_hub, "verify", "--checkpoint", str(last), "--save-checkpoint", str(last))
    assert first.exit_code == 0, first.output
    assert "first use: no saved checkpoint yet" in first.output and last.exists()
    await populate(sqlite_hub)
    second = await pxhub(sqlite_hub, "verify", "--checkpoint", str(last), "--save-checkpoint", str(last))
    assert second.exit_code == 0, second.output
    assert "extends the saved checkpoint" in second.output and "first use" not in second.output
    alone = await pxhub(sqlite_hub, "verify", "--checkpoint", str(tmp_path / "none.txt"))
    assert alone.exit_code == 2 and "add --save-checkpoint" in alone.output


async def test_a_witness_behind_the_saved_checkpoint_is_a_warning_not_a_rollback(
    sqlite_hub: HubHandle, tmp_path: Path
) -> None:
    uy = await AuditClient.connect(sqlite_hub.target, sqlite_hub.federation_dir, "UY-INR", PASSPHRASE)
    try:
        witnessed = await uy.witness(None, issue=True)
    finally:
        await uy.close()
    await populate(sqlite_hub)
    saved = tmp_path / "last.txt"
    newer = await pxhub(sqlite_hub, "verify", "--save-checkpoint", str(saved))  # not cosigned by UY-INR
    assert newer.exit_code == 0, newer.output
    size = int(saved.read_text().split("\n")[1])
    assert size > witnessed.checkpoint.size
    result = await pxhub(sqlite_hub, "verify", "--witness", "UY-INR", "--checkpoint", str(saved))
    assert result.exit_code == 0, result.output
    assert "rolled back" in result.output and "was not rolled back" in result.output
    assert f"their newest cosigned checkpoint (size {witnessed.checkpoint.size})" in result.output
    assert f"extends the saved checkpoint of size {size}" in result.output


async def test_a_saved_checkpoint_larger_than_the_hubs_latest_is_a_rollback_with_witnesses_too(
    sqlite_hub: HubHandle, tmp_path: Path
) -> None:
    uy = await AuditClient.connect(sqlite_hub.target, sqlite_hub.federation_dir, "UY-INR", PASSPHRASE)
    try:
        await uy.witness(None, issue=True)
    finally:
        await uy.close()
    manifest = load_manifest(sqlite_hub.federation_dir)
    key = load_hub(sqlite_hub.federation_dir, PASSPHRASE).signing_key
    future = tmp_path / "future.txt"
    future.write_text(
        sign_note(Checkpoint(manifest.hub_origin, 10**6, bytes(32)).body(), manifest.hub_origin, key)
    )
    result = await pxhub(sqlite_hub, "verify", "--witness", "UY-INR", "--checkpoint", str(future))
    assert result.exit_code == 1, result.output
    assert (
        "smaller than the saved one (size 1000000) it signed before: the log was rolled back" in result.output
    )


async def test_check_export_passes_offline_and_refuses_a_tampered_export(
    sqlite_hub: HubHandle, tmp_path: Path
) -> None:
    out = tmp_path / "log.jsonl"
    exported = await pxhub(sqlite_hub, "export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    await sqlite_hub.running.stop(grace=0.1)  # type: ignore[attr-defined]  # offline: no hub from here
    fed = ["--federation-dir", str(sqlite_hub.federation_dir)]
    ok = runner.invoke(app, ["audit", "check-export", str(out), *fed])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith(f"OK: {out} holds exactly the ")
    lines = out.read_text(encoding="utf-8").splitlines()
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join([*lines[:3], *lines[4:]]) + "\n", encoding="utf-8")
    dropped = runner.invoke(app, ["audit", "check-export", str(tampered), *fed])
    assert dropped.exit_code == 1 and "missing (dropped): 2 (1 of " in dropped.output, dropped.output
    other_key = verifier_key_string("other.example/log", Ed25519PrivateKey.generate().public_key())
    wrong = runner.invoke(app, ["audit", "check-export", str(out), "--log-key", other_key])
    assert wrong.exit_code == 1 and "not signed by the pinned hub key other.example/log" in wrong.output
    garbled = runner.invoke(app, ["audit", "check-export", str(out), "--log-key", "nonsense"])
    assert garbled.exit_code == 2 and "--log-key" in garbled.output


async def test_list_filters_at_the_hub_and_here_and_prints_json_jsonl_and_a_table(
    sqlite_hub: HubHandle,
) -> None:
    every = await pxhub(sqlite_hub, "list", "--json")
    assert every.exit_code == 0, every.output
    rows = json.loads(printed(every))
    assert [r["index"] for r in rows] == list(range(len(rows))) and len(rows) > 10
    gt = json.loads(printed(await pxhub(sqlite_hub, "list", "--member", "GT-DGSP", "--json")))
    assert gt and all("GT-DGSP" in json.dumps(r) for r in gt) and len(gt) < len(rows)
    shared = await pxhub(
        sqlite_hub, "list", "--action", "submit", "--purpose", "programme_knowledge_sharing", "--json"
    )
    submitted = json.loads(printed(shared))
    assert submitted and all(r["action"] == "submit" for r in submitted)
    assert all(r["purpose"] == "PROGRAMME_KNOWLEDGE_SHARING" for r in submitted)
    full_name = await pxhub(
        sqlite_hub, "list", "--action", "submit", "--purpose", "PURPOSE_PROGRAMME_KNOWLEDGE_SHARING", "--json"
    )
    assert json.loads(printed(full_name)) == submitted
    refused = json.loads(printed(await pxhub(sqlite_hub, "list", "--reason", "SIGNATURE_INVALID", "--json")))
    assert len(refused) == 2 and all(r["outcome"] == "deny" for r in refused)  # populate() ran twice
    assert json.loads(printed(await pxhub(sqlite_hub, "list", "--limit", "3", "--json"))) == rows[:3]
    times = [r["time"] for r in rows]
    window = await pxhub(sqlite_hub, "list", "--since", times[3], "--until", times[-1], "--json")
    inside = json.loads(printed(window))
    assert inside and all(times[3] <= r["time"] < times[-1] for r in inside)
    none = await pxhub(sqlite_hub, "list", "--since", "2999-01-01")
    assert none.exit_code == 0 and "no entries match" in none.output
    lines = printed(await pxhub(sqlite_hub, "list", "--member", "GT-DGSP", "--jsonl")).splitlines()
    assert [json.loads(line) for line in lines] == gt
    first_refusal = printed(
        await pxhub(sqlite_hub, "list", "--reason", "SIGNATURE_INVALID", "--limit", "1", "--jsonl")
    )
    assert [json.loads(line) for line in first_refusal.splitlines()] == refused[:1]
    table = await asyncio.to_thread(
        runner.invoke,
        app,
        ["audit", "list", "--target", sqlite_hub.target, "--federation-dir", str(sqlite_hub.federation_dir)],
        env={"COLUMNS": "80"},
    )
    assert table.exit_code == 0, table.output
    for row in rows:
        assert row["time"] in table.output
        for object_id in row["object_ids"]:
            assert object_id in table.output, object_id
    for option, value in (
        ("--purpose", "NOPE"),
        ("--reason", "NOPE"),
        ("--action", "nope"),
        ("--since", "soon"),
    ):
        bad = await pxhub(sqlite_hub, "list", option, value)
        assert bad.exit_code == 2 and option in bad.output, bad.output


async def test_report_counts_only_the_period_asked_for(sqlite_hub: HubHandle, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = await pxhub(sqlite_hub, "report", "--out", str(out), "--since", "2999-01-01")
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<dt>Report period</dt><dd>from 2999-01-01T00:00:00Z until before the last entry" in page
    assert "No consent withdrawals recorded" in page and "SIGNATURE_INVALID" not in page
    backwards = await pxhub(
        sqlite_hub, "report", "--out", str(out), "--since", "2025-02-01", "--until", "2025-01-01"
    )
    assert backwards.exit_code == 2 and "--since" in backwards.output
