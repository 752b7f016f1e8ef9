"""``DirectoryChangeStore`` over SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, func, select

from hub.store.directory_changes import DirectoryChangeStore, StoredDirectoryChange
from hub.store.sql.directory_changes_tables import DirectoryChangeRow
from hub.store.sql.tables import as_utc

CHANGES = DirectoryChangeRow.__table__  # type: ignore[attr-defined]


class SqlDirectoryChangeMixin(DirectoryChangeStore):
    """Needs the store's ``reader`` engine, ``_write`` and ``_append`` (``SqlHubStore``)."""

    if TYPE_CHECKING:
        reader: Engine

        def _write(self) -> AbstractContextManager[Connection]: ...

        def _append(self, conn: Connection, entries: Sequence[bytes]) -> int: ...

    def record_directory_change(
        self, change: StoredDirectoryChange, after_sequence: int, audit_entry: bytes
    ) -> int | None:
        # _write holds the audit sequencer (a lock on SQLite's single writer, an advisory
        # lock on PostgreSQL), so reading the highest number and inserting the next cannot race.
        with self._write() as conn:
            if self._highest(conn) != after_sequence:
                return None
            sequence = after_sequence + 1
            conn.execute(
                CHANGES.insert().values(
                    sequence=sequence,
                    kind=change.kind,
                    member_id=change.member_id,
                    request=change.request,
                    recorded_at=change.recorded_at,
                )
            )
            self._append(conn, [audit_entry])
        return sequence

    def directory_changes(self, after_sequence: int = 0) -> list[StoredDirectoryChange]:
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(CHANGES).where(CHANGES.c.sequence > after_sequence).order_by(CHANGES.c.sequence)
            ).all()
        return [
            StoredDirectoryChange(
                int(row.sequence),
                row.kind,
                row.member_id,
                bytes(row.request),
                as_utc(row.recorded_at),
            )
            for row in rows
        ]

    def directory_sequence(self) -> int:
        with self.reader.connect() as conn:
            return self._highest(conn)

    @staticmethod
    def _highest(conn: Connection) -> int:
        found = conn.execute(select(func.max(CHANGES.c.sequence))).scalar()
        return 0 if found is None else int(found)
