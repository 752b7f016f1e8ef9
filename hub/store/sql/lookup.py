"""``LookupStore`` over SQL (SQLite and PostgreSQL), mixed into ``SqlHubStore``.

Changes go through the store's ``_write`` (the audit sequencer: reading the current epoch and
storing the next cannot race another writer) and commit with their audit entry. Token queries
use ``IN`` lists of ``IN_LIST_CHUNK`` values on an index that leads with the token or handle (an
index seek per value, however many are stored); tokens are written with ``bulk_insert``, and the
count per (epoch, member) is kept beside them. Portable SQL only: a token already held is left
out in the transaction, not by a dialect's upsert.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, select

from hub.store.lookup import LookupStore, StoredEpoch, StoredMatch, TokenRow, own_tokens
from hub.store.sql.audit import bulk_insert, in_chunks
from hub.store.sql.lookup_tables import LookupEpochRow, LookupMatchRow, LookupTokenCountRow, LookupTokenRow
from hub.store.sql.tables import as_utc

EPOCHS = LookupEpochRow.__table__  # type: ignore[attr-defined]
TOKENS = LookupTokenRow.__table__  # type: ignore[attr-defined]
MATCHES = LookupMatchRow.__table__  # type: ignore[attr-defined]
COUNTS = LookupTokenCountRow.__table__  # type: ignore[attr-defined]

_TOKEN_COLUMNS = ("epoch", "token", "member_id", "kind", "record_handle")
_COUNT_COLUMNS = ("epoch", "member_id", "tokens")


def _epoch(row: Any) -> StoredEpoch:
    return StoredEpoch(int(row.epoch), row.issuer, bytes(row.signed), as_utc(row.published_at))


def _match(row: Any) -> StoredMatch:
    return StoredMatch(
        row.match_ref,
        row.lookup_id,
        row.asker,
        row.holder,
        row.record_handle,
        int(row.kind),
        as_utc(row.created_at),
        as_utc(row.expires_at),
    )


def _plan_each_chunk(conn: Connection) -> None:
    """On PostgreSQL, plan every statement of this transaction for its own values and the table as
    it stands. The driver prepares a statement run five times (the chunks of one call are), and a
    generic plan cached while the table was nearly empty is a sequential scan that stays cached
    after a bulk publish: every chunk would then read every token."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def _tokens_equal_to(conn: Connection, epoch: int, tokens: Sequence[bytes]) -> list[TokenRow]:
    """Every stored token of ``epoch`` equal to one of ``tokens``, whoever holds it."""
    wanted = sorted(set(tokens))
    found: list[TokenRow] = []
    for chunk in in_chunks(wanted):
        rows = conn.execute(
            select(TOKENS.c.member_id, TOKENS.c.record_handle, TOKENS.c.kind, TOKENS.c.token).where(
                TOKENS.c.epoch == epoch, TOKENS.c.token.in_(chunk)
            )
        )
        found.extend(TokenRow(r.member_id, r.record_handle, int(r.kind), bytes(r.token)) for r in rows)
    return found


def _counts_of(conn: Connection, member_id: str) -> dict[int, int]:
    """The member's tokens per epoch, as ``lookup_token_counts`` keeps them."""
    rows = conn.execute(select(COUNTS.c.epoch, COUNTS.c.tokens).where(COUNTS.c.member_id == member_id))
    return {int(r.epoch): int(r.tokens) for r in rows}


def _remove(
    conn: Connection, member_id: str, held: dict[int, int], handles: Sequence[str], replace_all: bool
) -> int:
    """Delete every token of the member, or of ``handles`` in every epoch it holds, counting
    per epoch in ``held``; returns how many."""
    if replace_all:
        removed = conn.execute(TOKENS.delete().where(TOKENS.c.member_id == member_id)).rowcount
        held.clear()
        return int(removed)
    removed = 0
    wanted = sorted(set(handles))
    for epoch in held:
        for chunk in in_chunks(wanted):
            gone = conn.execute(
                TOKENS.delete().where(
                    TOKENS.c.record_handle.in_(chunk),
                    TOKENS.c.member_id == member_id,
                    TOKENS.c.epoch == epoch,
                )
            ).rowcount
            held[epoch] -= gone
            removed += gone
    return removed


class SqlLookupMixin(LookupStore):
    """Needs the store's ``reader`` engine, ``_write`` and ``_append`` (``SqlHubStore``)."""

    if TYPE_CHECKING:
        reader: Engine

        def _write(self) -> AbstractContextManager[Connection]: ...

        def _append(self, conn: Connection, entries: Sequence[bytes]) -> int: ...

    # -- epochs ------------------------------------------------------------------------------

    def current_epoch(self) -> StoredEpoch | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(EPOCHS).order_by(EPOCHS.c.epoch.desc()).limit(1)).first()
        return None if row is None else _epoch(row)

    def get_epoch(self, epoch: int) -> StoredEpoch | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(EPOCHS).where(EPOCHS.c.epoch == epoch)).first()
        return None if row is None else _epoch(row)

    def publish_epoch(self, epoch: StoredEpoch, audit_entry: bytes) -> bool:
        with self._write() as conn:
            current = conn.execute(select(func.max(EPOCHS.c.epoch))).scalar()
            if epoch.epoch != (0 if current is None else int(current)) + 1:
                return False
            conn.execute(EPOCHS.insert().values(asdict(epoch)))
            conn.execute(TOKENS.delete().where(TOKENS.c.epoch < epoch.epoch - 1))
            conn.execute(COUNTS.delete().where(COUNTS.c.epoch < epoch.epoch - 1))
            self._append(conn, [audit_entry])
        return True

    # -- tokens ------------------------------------------------------------------------------

    def publish_tokens(
        self,
        member_id: str,
        epoch: int,
        add: Sequence[TokenRow],
        remove_handles: Sequence[str],
        replace_all: bool,
        audit_entry: bytes,
    ) -> tuple[int, int, int]:
        own_tokens(member_id, add)
        with self._write() as conn:
            _plan_each_chunk(conn)
            held = _counts_of(conn, member_id)
            removed = _remove(conn, member_id, held, remove_handles, replace_all)
            # In key order, so one call walks each B-tree once; a token already held is skipped.
            rows = sorted({(epoch, r.token, member_id, r.kind, r.record_handle) for r in add})
            new = bulk_insert(conn, TOKENS, _TOKEN_COLUMNS, rows, skip_existing=True)
            held[epoch] = held.get(epoch, 0) + new
            conn.execute(COUNTS.delete().where(COUNTS.c.member_id == member_id))
            bulk_insert(conn, COUNTS, _COUNT_COLUMNS, [(e, member_id, n) for e, n in held.items() if n])
            self._append(conn, [audit_entry])
        return new, removed, held[epoch]

    def find_tokens(self, epoch: int, tokens: Sequence[bytes], exclude_member: str) -> list[TokenRow]:
        with self.reader.connect() as conn:
            _plan_each_chunk(conn)
            found = _tokens_equal_to(conn, epoch, tokens)
        others = [r for r in found if r.member_id != exclude_member]
        return sorted(others, key=lambda r: (r.member_id, r.record_handle, r.kind, r.token))

    def token_counts(self, epoch: int) -> dict[str, int]:
        query = select(COUNTS.c.member_id, COUNTS.c.tokens).where(COUNTS.c.epoch == epoch)
        with self.reader.connect() as conn:
            return {row.member_id: int(row.tokens) for row in conn.execute(query) if row.tokens}

    # -- lookups -----------------------------------------------------------------------------

    def record_lookup(self, matches: Sequence[StoredMatch], audit_entry: bytes) -> None:
        with self._write() as conn:
            if matches:
                conn.execute(MATCHES.insert(), [asdict(m) for m in matches])
            self._append(conn, [audit_entry])

    def get_match(self, match_ref: str) -> StoredMatch | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(MATCHES).where(MATCHES.c.match_ref == match_ref)).first()
        return None if row is None else _match(row)
