"""``pxhub audit`` against a real hub on a SQLite file: verify, tamper, export, report."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from hub.cli.main import app
from hub.core import merkle
from hub.core.audit_entry import AuditEntry
from hub.core.checkpoint import Checkpoint, open_checkpoint, sign_note
from hub.identity.credentials import load_hub
from hub.identity.manifest import load_manifest
from hub.sdk.audit.client import AuditClient
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
        "Activity per member",
        "Entries per action and outcome",
    ):
        assert f"<h2>{section}</h2>" in page
    assert page.count("<svg") == 4
    assert "SIGNATURE_INVALID" in page  # the tampered submission of populate()
    assert "No consent withdrawals recorded" in page
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
