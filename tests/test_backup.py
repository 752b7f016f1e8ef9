"""Backup and restore drill: a running hub is backed up while it writes, restored into a new folder,
and the restored log verifies and extends the checkpoint an auditor saved before the backup.

An auditor who saved a checkpoint after the backup sees the restore for what it is (a rollback of
the entries after the backup), which is why docs/operations.md says to announce a restore.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli.main import app
from hub.store.sql.backup import BackupError, backup_sqlite, sqlite_path
from tests.conftest import start_test_hub
from tests.test_audit_cli import _HUB_LOG_LINE, pxhub
from tests.test_audit_grpc import populate

runner = CliRunner()


def without_hub_logs(output: str) -> str:
    """The command's own output (the hub in this process logs to the same captured stdout)."""
    return "\n".join(line for line in output.splitlines() if not _HUB_LOG_LINE.match(line))


async def test_restore_drill(federation_dir: Path, tmp_path: Path) -> None:
    live_db, backup_file = tmp_path / "live" / "pxhub.db", tmp_path / "backups" / "pxhub-backup.db"
    live_db.parent.mkdir()
    backup_file.parent.mkdir()
    saved, later = tmp_path / "saved-checkpoint.txt", tmp_path / "later-checkpoint.txt"
    live = await start_test_hub(federation_dir, f"sqlite:///{live_db}")
    try:
        await populate(live)
        first = await pxhub(live, "verify", "--save-checkpoint", str(saved))
        assert first.exit_code == 0, first.output
        saved_size = int(saved.read_text().split("\n")[1])
        # The backup runs while the hub accepts, delivers and audits more traffic.
        copied, _ = await asyncio.gather(
            asyncio.to_thread(
                runner.invoke,
                app,
                ["backup", str(backup_file), "--database-url", f"sqlite:///{live_db}", "--json"],
            ),
            populate(live),
        )
        assert copied.exit_code == 0, copied.output
        summary = json.loads(without_hub_logs(copied.output))
        await populate(live)
        after = await pxhub(live, "verify", "--checkpoint", str(saved), "--save-checkpoint", str(later))
        assert after.exit_code == 0, after.output
        later_size = int(later.read_text().split("\n")[1])
    finally:
        await live.running.stop(grace=0.1)  # type: ignore[attr-defined]

    assert saved_size <= summary["audit_entries"] < later_size
    assert summary["checkpoint_size"] >= saved_size
    assert not Path(f"{backup_file}-wal").exists()  # the copy stands alone

    restored_db = tmp_path / "restored" / "pxhub.db"  # a new folder, as on a replacement machine
    restored_db.parent.mkdir()
    shutil.copy2(backup_file, restored_db)
    restored = await start_test_hub(federation_dir, f"sqlite:///{restored_db}")
    try:
        assert restored.store.audit_size() >= summary["audit_entries"]  # the hub's start-up appends entries
        check = await pxhub(restored, "verify", "--checkpoint", str(saved))
        assert check.exit_code == 0, check.output
        assert f"extends the saved checkpoint of size {saved_size}" in check.output
        rolled_back = await pxhub(restored, "verify", "--checkpoint", str(later))
        assert rolled_back.exit_code == 1
        assert "rolled back" in rolled_back.output
    finally:
        await restored.running.stop(grace=0.1)  # type: ignore[attr-defined]


def test_a_backup_never_overwrites_and_leaves_nothing_when_refused(tmp_path: Path) -> None:
    source = tmp_path / "hub.db"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE t (x)")
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="never overwrites"):
        backup_sqlite(source, existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(BackupError, match="not a pxhub database"):
        backup_sqlite(source, tmp_path / "copy.db")  # a SQLite file without the hub's tables
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.db", "hub.db"]


def test_a_backup_refuses_what_is_not_a_sqlite_database(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.db"
    text_file.write_text("hello")
    with pytest.raises(BackupError, match="not a SQLite database"):
        backup_sqlite(text_file, tmp_path / "copy.db")
    with pytest.raises(BackupError, match="no database at"):
        backup_sqlite(tmp_path / "missing.db", tmp_path / "copy.db")
    with pytest.raises(BackupError, match="pg_dump"):
        sqlite_path("postgresql+psycopg://pxhub@db.example/pxhub")


def test_backup_command_fails_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["backup", str(tmp_path / "copy.db"), "--data-dir", str(tmp_path / "nowhere")]
    )
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "no database at" in result.output
