"""SQL side of the audit-log store: index, checkpoints, cosignatures, batched node reads.

Mixed into ``SqlHubStore`` (``hub/store/sql/store.py``), whose ``_append`` calls
:meth:`SqlAuditMixin._index_appended` inside the appending transaction, so an
entry and its index rows commit together.

Portable SQL only (SQLAlchemy Core, and one plain-text SELECT of primary-key
lookups); the tables are in ``hub/store/sql/audit_tables.py``.

Reads go through the store's ``reader`` engine (a WAL snapshot on SQLite,
see ``make_engine``), so proofs and listings never wait for a writer.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Table,
    and_,
    exists,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import TextClause

from hub.core.audit_index import index_terms
from hub.store.audit import (
    MAX_COSIGNATURES_PER_CHECKPOINT,
    AuditLogStore,
    EntryQuery,
    NodeKey,
    StoredCheckpoint,
    StoredCosignature,
    object_ref,
    party_ref,
)
from hub.store.sql.audit_tables import AuditIndexRow, AuditRefRow, CheckpointRow, CosignatureRow
from hub.store.sql.tables import AuditEntryRow, MerkleNodeRow, as_utc

# Nodes from this level up are cached in memory once read: n / 64 of them, at most this many.
_CACHED_LEVEL = 6
_CACHED_NODES = 1 << 18


AUDIT: Table = AuditEntryRow.__table__  # type: ignore[attr-defined]
NODES: Table = MerkleNodeRow.__table__  # type: ignore[attr-defined]
AUDIT_INDEX: Table = AuditIndexRow.__table__  # type: ignore[attr-defined]
AUDIT_REFS: Table = AuditRefRow.__table__  # type: ignore[attr-defined]
CHECKPOINTS: Table = CheckpointRow.__table__  # type: ignore[attr-defined]
COSIGNATURES: Table = CosignatureRow.__table__  # type: ignore[attr-defined]


_T = TypeVar("_T")
#: Values per ``IN`` list: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
IN_LIST_CHUNK = 500


def in_chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """``values`` in slices of ``IN_LIST_CHUNK``, one ``IN`` list each."""
    for start in range(0, len(values), IN_LIST_CHUNK):
        yield values[start : start + IN_LIST_CHUNK]


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    skip_existing: bool = False,
) -> int:
    """Insert many rows of plain values with one driver-level ``executemany``; returns how many.

    The statement is SQLAlchemy's own INSERT for the connection's dialect; the
    rows skip SQLAlchemy's per-row parameter processing, which costs more than
    the insert itself at tens of thousands of rows per second. Values must be
    what the driver takes as is (int, str, bytes); see ``driver_value`` for others.
    The INSERT is ``inline``: no RETURNING of generated keys nobody reads.
    ``skip_existing`` makes it ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL): a row
    whose key is already stored is left out, and the count says how many went in (both
    drivers sum an ``executemany``'s row counts).
    """
    if not rows:
        return 0
    sql, order = _insert_sql(table, tuple(columns), skip_existing, conn.dialect)
    if order is None:
        params: Any = [dict(zip(columns, row, strict=True)) for row in rows]
    elif order == tuple(range(len(columns))):
        params = rows if isinstance(rows, list) else list(rows)
    else:
        params = [tuple(row[i] for i in order) for row in rows]
    result = conn.exec_driver_sql(sql, params)
    return len(rows) if not skip_existing else int(result.rowcount)


@functools.lru_cache(maxsize=256)
def _insert_sql(
    table: Table, columns: tuple[str, ...], skip_existing: bool, dialect: Dialect
) -> tuple[str, tuple[int, ...] | None]:
    """The INSERT text of ``bulk_insert`` and, for a positional driver, the order of its values.

    Compiled once per table, columns and dialect: compiling the same statement for every
    transaction cost more than the rows it inserts. ``None`` as order means named parameters.
    """
    statement: Any = table.insert()
    if skip_existing and dialect.name == "postgresql":
        statement = postgresql_insert(table).on_conflict_do_nothing()
    elif skip_existing:
        statement = sqlite_insert(table).on_conflict_do_nothing()
    compiled = statement.inline().compile(dialect=dialect, column_keys=list(columns))
    if not compiled.positional:
        return str(compiled), None
    return str(compiled), tuple(columns.index(name) for name in compiled.positiontup or ())


def driver_value(conn: Connection, column: Any, value: Any) -> Any:
    """``value`` as the driver takes it for ``column``, converted once rather than per row.

    SQLite has no datetime type: SQLAlchemy stores one as text, and
    ``bulk_insert`` rows must already hold that text.
    """
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(value) if process is not None else value


@functools.cache
def _nodes_query(count: int) -> TextClause:
    """One primary-key lookup per node, OR-ed: ``(level = :l0 AND idx = :i0) OR ...``.

    Plain portable SQL with named parameters, built once per count. The
    obvious ``(level, idx) IN ((..), ..)`` row-value form is portable too,
    but SQLite answers it with a full table scan; this form is a handful of
    index seeks on every backend. Built as text because constructing the
    same expression with SQLAlchemy Core per proof costs more than the query.
    """
    terms = " OR ".join(f"(level = :l{n} AND idx = :i{n})" for n in range(count))
    return text(f"SELECT level, idx, hash FROM merkle_nodes WHERE {terms}")  # noqa: S608 (no user text)


class SqlAuditMixin(AuditLogStore):
    """``AuditLogStore`` over SQLAlchemy Core; needs ``engine``, ``_write_lock`` and ``_lock_sequencer``."""

    if TYPE_CHECKING:
        engine: Engine
        reader: Engine
        _write_lock: threading.Lock

        def _lock_sequencer(self, conn: Connection) -> None: ...

    # -- index, written by _append inside its transaction ---------------------------------

    def _index_appended(self, conn: Connection, leaves: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Index rows for freshly appended ``(index, entry, leaf hash)`` leaves."""
        rows: list[tuple[int, str, str, str]] = []
        refs: list[tuple[str, int]] = []
        for index, entry, _ in leaves:
            terms = index_terms(entry)
            rows.append((index, terms.time, terms.actor_id, terms.action))
            refs.extend((party_ref(p), index) for p in terms.parties)
            refs.extend((object_ref(o), index) for o in terms.objects)
        bulk_insert(conn, AUDIT_INDEX, ("idx", "time", "actor_id", "action"), rows)
        bulk_insert(conn, AUDIT_REFS, ("ref", "idx"), refs)

    def reindex_audit(self, batch: int = 5000) -> int:
        done = 0
        while True:
            with self._write_lock, self.engine.begin() as conn:
                indexed = conn.execute(select(func.max(AUDIT_INDEX.c.idx))).scalar()
                first = 0 if indexed is None else int(indexed) + 1
                rows = conn.execute(
                    select(AUDIT.c.idx, AUDIT.c.entry)
                    .where(AUDIT.c.idx >= first)
                    .order_by(AUDIT.c.idx)
                    .limit(batch)
                ).all()
                if not rows:
                    return done
                last = int(rows[-1][0])
                conn.execute(  # stale postings of a half-built index would collide
                    AUDIT_REFS.delete().where(AUDIT_REFS.c.idx >= first, AUDIT_REFS.c.idx <= last)
                )
                self._index_appended(conn, [(int(r[0]), bytes(r[1]), b"") for r in rows])
            done += len(rows)

    # -- tree -------------------------------------------------------------------------------

    def audit_tree_size(self) -> int:
        with self.reader.connect() as conn:
            current = conn.execute(select(func.max(AUDIT.c.idx))).scalar()
        return 0 if current is None else int(current) + 1

    def audit_nodes(self, keys: Collection[NodeKey]) -> dict[NodeKey, bytes]:
        # Complete nodes never change, so the upper levels (few: n / 2^level) are kept in memory and
        # a proof reads only its handful of low-level nodes from the database, in one query.
        cache: dict[NodeKey, bytes] = self.__dict__.setdefault("_upper_nodes", {})
        found: dict[NodeKey, bytes] = {}
        missing: list[NodeKey] = []
        for key in keys:
            cached = cache.get(key)
            if cached is None:
                missing.append(key)
            else:
                found[key] = cached
        if not missing:
            return found
        params: dict[str, int] = {}
        for n, (level, index) in enumerate(missing):
            params[f"l{n}"], params[f"i{n}"] = level, index
        with self.reader.connect() as conn:
            rows = conn.execute(_nodes_query(len(missing)), params).all()
        for row in rows:
            key, value = (int(row[0]), int(row[1])), bytes(row[2])
            found[key] = value
            if key[0] >= _CACHED_LEVEL and len(cache) < _CACHED_NODES:
                cache[key] = value
        return found

    # -- checkpoints ------------------------------------------------------------------------

    @staticmethod
    def _checkpoint(row: Any) -> StoredCheckpoint:
        return StoredCheckpoint(int(row[0]), bytes(row[1]), str(row[2]), as_utc(row[3]))

    _CHECKPOINT_COLUMNS = (
        CHECKPOINTS.c.size,
        CHECKPOINTS.c.root_hash,
        CHECKPOINTS.c.note,
        CHECKPOINTS.c.issued_at,
    )

    def save_checkpoint(self, checkpoint: StoredCheckpoint) -> StoredCheckpoint:
        try:
            with self._write_lock, self.engine.begin() as conn:
                existing = conn.execute(
                    select(*self._CHECKPOINT_COLUMNS).where(CHECKPOINTS.c.size == checkpoint.size)
                ).first()
                if existing is not None:
                    return self._checkpoint(existing)
                conn.execute(
                    CHECKPOINTS.insert().values(
                        size=checkpoint.size,
                        root_hash=checkpoint.root_hash,
                        note=checkpoint.note,
                        issued_at=checkpoint.issued_at,
                    )
                )
                return checkpoint
        except IntegrityError:  # another replica stored this size first; its row wins
            stored = self.get_checkpoint(checkpoint.size)
            if stored is None:
                raise
            return stored

    def get_checkpoint(self, size: int) -> StoredCheckpoint | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(*self._CHECKPOINT_COLUMNS).where(CHECKPOINTS.c.size == size)).first()
        return None if row is None else self._checkpoint(row)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.reader.connect() as conn:
            row = conn.execute(
                select(*self._CHECKPOINT_COLUMNS).order_by(CHECKPOINTS.c.size.desc()).limit(1)
            ).first()
        return None if row is None else self._checkpoint(row)

    def latest_cosigned_checkpoint(self, witnesses: Collection[str]) -> StoredCheckpoint | None:
        names = sorted(set(witnesses))
        if not names:
            return self.latest_checkpoint()
        sizes = (
            select(COSIGNATURES.c.size)
            .where(COSIGNATURES.c.witness.in_(names))
            .group_by(COSIGNATURES.c.size)
            .having(func.count(COSIGNATURES.c.witness.distinct()) == len(names))
        )
        with self.reader.connect() as conn:
            row = conn.execute(
                select(*self._CHECKPOINT_COLUMNS)
                .where(CHECKPOINTS.c.size.in_(sizes))
                .order_by(CHECKPOINTS.c.size.desc())
                .limit(1)
            ).first()
        return None if row is None else self._checkpoint(row)

    def save_cosignature(self, cosignature: StoredCosignature) -> tuple[StoredCosignature, bool]:
        columns = (
            COSIGNATURES.c.size,
            COSIGNATURES.c.witness,
            COSIGNATURES.c.signature,
            COSIGNATURES.c.received_at,
        )
        where = and_(COSIGNATURES.c.size == cosignature.size, COSIGNATURES.c.witness == cosignature.witness)
        try:
            with self._write_lock, self.engine.begin() as conn:
                row = conn.execute(select(*columns).where(where)).first()
                if row is not None:
                    return self._cosignature(row), False
                count = conn.execute(
                    select(func.count())
                    .select_from(COSIGNATURES)
                    .where(COSIGNATURES.c.size == cosignature.size)
                ).scalar()
                if int(count or 0) >= MAX_COSIGNATURES_PER_CHECKPOINT:
                    raise ValueError(f"checkpoint {cosignature.size} already has {count} cosignatures")
                conn.execute(
                    COSIGNATURES.insert().values(
                        size=cosignature.size,
                        witness=cosignature.witness,
                        signature=cosignature.signature,
                        received_at=cosignature.received_at,
                    )
                )
                return cosignature, True
        except IntegrityError:
            with self.reader.connect() as conn:
                row = conn.execute(select(*columns).where(where)).first()
            if row is None:
                raise
            return self._cosignature(row), False

    @staticmethod
    def _cosignature(row: Any) -> StoredCosignature:
        return StoredCosignature(int(row[0]), str(row[1]), bytes(row[2]), as_utc(row[3]))

    def cosignatures(self, size: int) -> list[StoredCosignature]:
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(
                    COSIGNATURES.c.size,
                    COSIGNATURES.c.witness,
                    COSIGNATURES.c.signature,
                    COSIGNATURES.c.received_at,
                )
                .where(COSIGNATURES.c.size == size)
                .order_by(COSIGNATURES.c.received_at, COSIGNATURES.c.witness)
            ).all()
        return [self._cosignature(r) for r in rows]

    def latest_cosigned_size(self, witness: str) -> int | None:
        with self.reader.connect() as conn:
            found = conn.execute(
                select(func.max(COSIGNATURES.c.size)).where(COSIGNATURES.c.witness == witness)
            ).scalar()
        return None if found is None else int(found)

    # -- entries ----------------------------------------------------------------------------

    def find_entries(self, query: EntryQuery, start: int, end: int, limit: int) -> list[tuple[int, bytes]]:
        if start >= end or limit <= 0:
            return []
        refs = query.refs
        if refs:
            # Drive from the most selective posting list, in index order, and stop at the limit.
            driver = AUDIT_REFS.alias("r0")
            position = driver.c.idx
            stmt = (
                select(AUDIT.c.idx, AUDIT.c.entry)
                .select_from(driver.join(AUDIT, AUDIT.c.idx == driver.c.idx))
                .where(driver.c.ref == refs[0])
            )
            for n, ref in enumerate(refs[1:], start=1):
                other = AUDIT_REFS.alias(f"r{n}")
                stmt = stmt.where(exists().where(other.c.ref == ref, other.c.idx == driver.c.idx))
        else:
            position = AUDIT.c.idx
            stmt = select(AUDIT.c.idx, AUDIT.c.entry)
        if query.actor_id or query.action or query.since or query.until:
            stmt = stmt.join(AUDIT_INDEX, AUDIT_INDEX.c.idx == AUDIT.c.idx)
            if query.actor_id:
                stmt = stmt.where(AUDIT_INDEX.c.actor_id == query.actor_id)
            if query.action:
                stmt = stmt.where(AUDIT_INDEX.c.action == query.action)
            if query.since:
                stmt = stmt.where(AUDIT_INDEX.c.time >= query.since)
            if query.until:
                stmt = stmt.where(AUDIT_INDEX.c.time < query.until)
            if not refs:
                position = AUDIT_INDEX.c.idx
        stmt = stmt.where(position >= start, position < end).order_by(position).limit(limit)
        with self.reader.connect() as conn:
            return [(int(r[0]), bytes(r[1])) for r in conn.execute(stmt)]

    def time_bounds(self, since: str, until: str) -> tuple[int, int] | None:
        stmt = select(func.min(AUDIT_INDEX.c.idx), func.max(AUDIT_INDEX.c.idx)).where(
            AUDIT_INDEX.c.time != ""
        )
        if since:
            stmt = stmt.where(AUDIT_INDEX.c.time >= since)
        if until:
            stmt = stmt.where(AUDIT_INDEX.c.time < until)
        with self.reader.connect() as conn:
            row = conn.execute(stmt).first()
        if row is None or row[0] is None:
            return None
        return int(row[0]), int(row[1]) + 1

    def entry_concerns(self, index: int, party: str) -> bool:
        with self.reader.connect() as conn:
            found = conn.execute(
                select(AUDIT_REFS.c.idx).where(
                    AUDIT_REFS.c.ref == party_ref(party), AUDIT_REFS.c.idx == index
                )
            ).first()
        return found is not None
