"""A consistent copy of a hub's SQLite database while the hub runs: SQLite's online backup API.

Copying the file with ``cp`` while the hub writes can capture a half-applied transaction or leave the
newest ones in the ``-wal`` file behind. The backup API copies one read snapshot: in WAL mode the hub
keeps writing meanwhile and the copy holds exactly the transactions committed when the copy began,
the audit log included (its entries, tree nodes and checkpoints live in the same database). The copy
is checked (``PRAGMA integrity_check``), made self-contained (no ``-wal`` beside it), written 0600
and renamed into place only when whole. PostgreSQL is backed up with ``pg_dump`` instead.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from hub.runtime.files import fsync_directory
from hub.runtime.private import PRIVATE_FILE

SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(RuntimeError):
    """The backup cannot be made; nothing was written at the destination."""


@dataclass(frozen=True)
class BackupSummary:
    """What the copy holds, for the operator to note beside it."""

    path: Path
    size_bytes: int
    audit_entries: int
    checkpoint_size: int
    schema_revision: str


def sqlite_path(database_url: str) -> Path:
    """The file behind a SQLite URL; ``BackupError`` for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            f"{url.get_backend_name()} databases are backed up with their own tools (PostgreSQL: pg_dump, "
            "see docs/operations.md); this command copies SQLite files"
        )
    if not url.database or url.database == ":memory:":
        raise BackupError("the SQLite URL names no file")
    return Path(url.database)


def _check_source(source: Path) -> None:
    try:
        with source.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        raise BackupError(f"no database at {source} (is --data-dir or --database-url right?)") from None
    except OSError as error:
        raise BackupError(f"cannot read {source}: {error.strerror}") from None
    if header != SQLITE_HEADER:
        raise BackupError(f"{source} is not a SQLite database")


def _contents(copy: sqlite3.Connection) -> tuple[int, int, str]:
    """(audit entries, newest checkpoint size, schema revision) of a copied database."""

    def scalar(query: str) -> object:
        row = copy.execute(query).fetchone()
        return None if row is None else row[0]

    try:
        last = scalar("SELECT max(idx) FROM audit_entries")
        checkpoint = scalar("SELECT max(size) FROM audit_checkpoints")
        revision = scalar("SELECT version_num FROM alembic_version")
    except sqlite3.DatabaseError as error:
        raise BackupError(f"the copy is not a pxhub database: {error}") from None
    entries = 0 if last is None else int(str(last)) + 1
    return entries, 0 if checkpoint is None else int(str(checkpoint)), str(revision or "")


def backup_sqlite(source: Path, destination: Path) -> BackupSummary:
    """Copy the database at ``source`` to ``destination`` (which must not exist), safe while a hub runs."""
    _check_source(source)
    if destination.exists():
        raise BackupError(f"{destination} exists; a backup never overwrites a file")
    if not destination.parent.is_dir():
        raise BackupError(f"no folder {destination.parent} to write the backup in")
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        raise BackupError(f"{partial} exists: another backup is being written, or one was cut off") from None
    os.close(fd)
    try:
        entries, checkpoint, revision = _copy(source, partial)
        os.replace(partial, destination)
        fsync_directory(destination.parent)
    except BaseException:
        for suffix in ("", "-wal", "-shm", "-journal"):
            partial.with_name(partial.name + suffix).unlink(missing_ok=True)
        raise
    return BackupSummary(destination, destination.stat().st_size, entries, checkpoint, revision)


def _copy(source: Path, target: Path) -> tuple[int, int, str]:
    live = sqlite3.connect(source, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            # One step: a read snapshot of the whole file (a stepwise copy restarts whenever the hub
            # commits, which a busy hub does every few milliseconds).
            live.backup(copy)
            verdict = copy.execute("PRAGMA integrity_check").fetchone()
            if verdict is None or verdict[0] != "ok":
                raise BackupError(f"the copy failed its integrity check: {verdict}")
            copy.execute("PRAGMA journal_mode=DELETE")  # self-contained: no -wal file beside the copy
            contents = _contents(copy)
        finally:
            copy.close()
    finally:
        live.close()
    os.chmod(target, PRIVATE_FILE)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return contents
