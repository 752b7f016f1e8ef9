"""SQL store on SQLAlchemy Core over the SQLModel tables.

SQLite (WAL, synchronous=FULL, BEGIN IMMEDIATE) is the embedded default;
PostgreSQL is the same code with another URL. The hot path uses Core
``executemany`` statements, not per-row ORM objects.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    make_url,
    select,
    update,
)

from hub.runtime.private import private_dir, private_file
from hub.store.audit_append import plan_append
from hub.store.base import (
    DATE_PURGE_BATCH,
    AckAuditEntries,
    AcknowledgeOutcome,
    Admission,
    AdmitResult,
    AuditEntriesFor,
    DatePurge,
    DatePurgeEntry,
    HubStore,
    MailboxItem,
    ReceiptToRecord,
    StoreStats,
    acknowledgement_outcomes,
    plan_admissions,
    recorded_entries,
)
from hub.store.sql import schema
from hub.store.sql.audit import SqlAuditMixin, bulk_insert, driver_value, in_chunks
from hub.store.sql.directory_changes import SqlDirectoryChangeMixin
from hub.store.sql.lookup import SqlLookupMixin
from hub.store.sql.policy_consent import SqlPolicyConsentMixin
from hub.store.sql.requests import SqlRequestMixin
from hub.store.sql.tables import AuditEntryRow, EnvelopeRow, MailboxRow, MerkleNodeRow, as_utc

ENVELOPES = EnvelopeRow.__table__  # type: ignore[attr-defined]
MAILBOX = MailboxRow.__table__  # type: ignore[attr-defined]
AUDIT = AuditEntryRow.__table__  # type: ignore[attr-defined]
NODES = MerkleNodeRow.__table__  # type: ignore[attr-defined]

# Columns of the rows ``admit`` writes (mailbox ``seq`` comes from the database).
_ENVELOPE_COLUMNS = (
    "message_id",
    "sender",
    "header_sha256",
    "envelope",
    "payload_kind",
    "purpose",
    "consent_ref",
    "size",
    "recipients",
    "accepted_at",
    "delete_at",
)
_MAILBOX_COLUMNS = ("recipient", "message_id", "accepted_at", "delivered_count")

# Key of the PostgreSQL advisory lock that makes the audit log one linear sequence.
AUDIT_SEQUENCER_LOCK = 0x70786875


def frontier_keys(size: int) -> list[tuple[int, int]]:
    """(level, index) of the perfect subtrees that make up a tree of ``size`` leaves."""
    return [(level, (size >> level) - 1) for level in range(size.bit_length()) if (size >> level) & 1]


#: Page cache of the SQLite writer connection, in KiB (SQLite's default is 2,000): a publication
#: of 50,000 random tokens touches most pages of the token B-tree, and with too small a cache each
#: is read and written more than once. A bound on the hub's memory, not a share of the database.
WRITER_CACHE_KIB = 8_192


def make_engine(url: str, *, reads_only: bool = False) -> Engine:
    """An engine for ``url``.

    On SQLite, write transactions start with BEGIN IMMEDIATE (writers queue on the
    busy timeout instead of failing on a lock upgrade); ``reads_only`` engines start
    a deferred BEGIN, so readers take a WAL snapshot and never wait for a writer.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # the begin event below issues BEGIN
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            if not reads_only:  # random-key B-trees (lookup tokens) stay in cache while one call writes
                cursor.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
            cursor.close()

        begin = "BEGIN" if reads_only else "BEGIN IMMEDIATE"

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql(begin)

        return engine
    return create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (``sqlite:///path``), None for PostgreSQL or an in-memory database."""
    if not url.startswith("sqlite") or ":memory:" in url:
        return None
    path = make_url(url).database
    return Path(path) if path else None


def _separate_engines(url: str) -> bool:
    """A SQLite file gets its own read engine; PostgreSQL and in-memory SQLite do not need one."""
    return (
        url.startswith("sqlite") and ":memory:" not in url and url.rstrip("/") not in ("sqlite:", "sqlite:/")
    )


class SqlHubStore(
    SqlAuditMixin,
    SqlPolicyConsentMixin,
    SqlDirectoryChangeMixin,
    SqlLookupMixin,
    SqlRequestMixin,
    HubStore,
):
    def __init__(self, url: str) -> None:
        self.url = url
        sqlite_file = sqlite_path(url)
        if sqlite_file is not None:  # 0600 before SQLite first opens it; its WAL and SHM take its mode
            private_file(private_dir(sqlite_file.parent) / sqlite_file.name)
        self.engine = make_engine(url)
        self._is_postgres = self.engine.dialect.name == "postgresql"
        # Reads take a snapshot and never queue behind a writer.
        self.reader = make_engine(url, reads_only=True) if _separate_engines(url) else self.engine
        # One writer at a time within a process; across replicas the database lock decides.
        self._write_lock = threading.Lock()
        # Committed right-frontier nodes of the log, so an append reads its left siblings from memory.
        self._frontier: dict[tuple[int, int], bytes] = {}
        self._pending_nodes: dict[tuple[int, int], bytes] = {}
        self._pending_size = -1
        schema.upgrade(self.engine)

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction holding the audit sequencer; the node cache learns only what committed."""
        with self._write_lock:
            self._pending_nodes, self._pending_size = {}, -1
            with self.engine.begin() as conn:
                self._lock_sequencer(conn)
                yield conn
            if self._pending_size >= 0:
                known = {**self._frontier, **self._pending_nodes}
                self._frontier = {
                    key: known[key] for key in frontier_keys(self._pending_size) if key in known
                }

    # -- audit log ---------------------------------------------------------------------------

    def _lock_sequencer(self, conn: Connection) -> None:
        if self._is_postgres:
            conn.execute(select(func.pg_advisory_xact_lock(AUDIT_SEQUENCER_LOCK)))

    def _append(self, conn: Connection, entries: Sequence[bytes]) -> int:
        """Append inside the caller's transaction; returns the new log size."""
        current = conn.execute(select(func.max(AUDIT.c.idx))).scalar()
        first = 0 if current is None else int(current) + 1
        if not entries:
            return first

        def get_node(level: int, index: int) -> bytes:
            cached = self._frontier.get((level, index))
            if cached is not None:
                return cached
            found = conn.execute(
                select(NODES.c.hash).where(and_(NODES.c.level == level, NODES.c.idx == index))
            ).scalar()
            if found is None:
                raise KeyError((level, index))
            return bytes(found)

        leaves, nodes = plan_append(first, entries, get_node)
        bulk_insert(conn, AUDIT, ("idx", "entry", "leaf_hash"), leaves)
        bulk_insert(conn, NODES, ("level", "idx", "hash"), nodes)
        self._index_appended(conn, leaves)
        self._pending_nodes.update({(lv, i): h for lv, i, h in nodes})
        self._pending_size = first + len(entries)
        return first + len(entries)

    # -- exchange ----------------------------------------------------------------------------

    def admit(
        self,
        admissions: Sequence[Admission],
        audit_entries: AuditEntriesFor,
        now: datetime | None = None,
    ) -> list[AdmitResult]:
        now = now or datetime.now(UTC)
        ids = list({a.message_id for a in admissions})
        with self._write() as conn:
            known: dict[str, tuple[bytes, datetime]] = {}
            if ids:
                rows = conn.execute(
                    select(ENVELOPES.c.message_id, ENVELOPES.c.header_sha256, ENVELOPES.c.accepted_at).where(
                        ENVELOPES.c.message_id.in_(ids)
                    )
                )
                known = {r[0]: (bytes(r[1]), as_utc(r[2])) for r in rows}
            closing = [a.request_closed.message_id for a in admissions if a.request_closed is not None]
            requests = self._read_requests(conn, closing)

            def stored_digest(message_id: str) -> bytes | None:
                earlier = known.get(message_id)
                return None if earlier is None else earlier[0]

            plan = plan_admissions(admissions, stored_digest, requests.get, now)
            entries = list(audit_entries(plan.outcomes, now))
            results: list[AdmitResult] = []
            for admission, outcome in zip(admissions, plan.outcomes, strict=True):
                earlier = known.get(admission.message_id)
                results.append(AdmitResult(outcome, earlier[1] if earlier else now))
            if plan.accepted:
                # Prebuilt tuples, one driver-level executemany per table; the time is converted once.
                stored_now = driver_value(conn, ENVELOPES.c.accepted_at, now)
                bulk_insert(
                    conn,
                    ENVELOPES,
                    _ENVELOPE_COLUMNS,
                    [
                        (
                            a.message_id,
                            a.sender,
                            a.header_sha256,
                            a.envelope,
                            a.payload_kind,
                            a.purpose,
                            a.consent_ref,
                            len(a.envelope),
                            len(a.recipients),
                            stored_now,
                            None
                            if a.delete_at is None
                            else driver_value(conn, ENVELOPES.c.delete_at, a.delete_at.astimezone(UTC)),
                        )
                        for a in plan.accepted
                    ],
                )
                bulk_insert(
                    conn,
                    MAILBOX,
                    _MAILBOX_COLUMNS,
                    [(r, a.message_id, stored_now, 0) for a in plan.accepted for r in a.recipients],
                )
            self._save_requests(conn, plan.opened, plan.closed)
            self._append(conn, entries)
        return results

    def fetch(
        self,
        recipient: str,
        after_seq: int,
        limit: int,
        audit_entries: Callable[[Sequence[MailboxItem]], Sequence[bytes]] | None = None,
    ) -> list[MailboxItem]:
        query = (
            select(
                MAILBOX.c.seq,
                MAILBOX.c.message_id,
                ENVELOPES.c.envelope,
                MAILBOX.c.accepted_at,
                MAILBOX.c.delivered_count,
            )
            .join(ENVELOPES, ENVELOPES.c.message_id == MAILBOX.c.message_id)
            .where(
                MAILBOX.c.recipient == recipient,
                MAILBOX.c.seq > after_seq,
                MAILBOX.c.acknowledged_at.is_(None),
                ENVELOPES.c.envelope.is_not(None),
            )
            .order_by(MAILBOX.c.seq)
            .limit(limit)
        )
        with self.reader.connect() as conn:
            rows = conn.execute(query).all()
        items = [MailboxItem(int(r[0]), r[1], bytes(r[2]), as_utc(r[3]), int(r[4])) for r in rows]
        if items:
            now = datetime.now(UTC)
            with self._write() as conn:
                conn.execute(
                    update(MAILBOX)
                    .where(MAILBOX.c.seq.in_([i.seq for i in items]))
                    .values(
                        delivered_count=MAILBOX.c.delivered_count + 1,
                        first_delivered_at=func.coalesce(MAILBOX.c.first_delivered_at, now),
                    )
                )
                if audit_entries is not None:
                    self._append(conn, list(audit_entries(items)))
        return items

    def acknowledge_many(
        self,
        recipient: str,
        receipts: Sequence[ReceiptToRecord],
        now: datetime | None = None,
        audit_entries: AckAuditEntries | None = None,
    ) -> list[AcknowledgeOutcome]:
        now = now or datetime.now(UTC)
        with self._write() as conn:
            rows: dict[str, Any] = {}
            wanted = sorted({r.message_id for r in receipts})
            for chunk in in_chunks(wanted):  # within every backend's parameter limit
                rows.update(
                    (row.message_id, row)
                    for row in conn.execute(
                        select(
                            MAILBOX.c.message_id,
                            MAILBOX.c.seq,
                            MAILBOX.c.acknowledged_at,
                            ENVELOPES.c.header_sha256,
                        )
                        .join(ENVELOPES, ENVELOPES.c.message_id == MAILBOX.c.message_id)
                        .where(
                            MAILBOX.c.recipient == recipient,
                            MAILBOX.c.message_id.in_(chunk),
                        )
                    )
                )

            def delivered(message_id: str) -> tuple[bytes, bool] | None:
                row = rows.get(message_id)
                return None if row is None else (bytes(row.header_sha256), row.acknowledged_at is not None)

            outcomes = acknowledgement_outcomes(receipts, delivered)
            updates = [
                {
                    "b_seq": rows[item.message_id].seq,
                    "acknowledged_at": now,
                    "receipt": item.receipt,
                    "receipt_signature": item.signature,
                }
                for item, outcome in zip(receipts, outcomes, strict=True)
                if outcome is AcknowledgeOutcome.RECORDED
            ]
            if updates:
                conn.execute(
                    update(MAILBOX)
                    .where(MAILBOX.c.seq == bindparam("b_seq"))
                    .values(
                        acknowledged_at=bindparam("acknowledged_at"),
                        receipt=bindparam("receipt"),
                        receipt_signature=bindparam("receipt_signature"),
                    ),
                    updates,
                )
            entries = (audit_entries or recorded_entries(receipts))(outcomes)
            if entries:
                self._append(conn, entries)
        return outcomes

    def purge_acknowledged(self, older_than: datetime, audit_entry_for: Callable[[str], bytes]) -> int:
        unacked = (
            select(MAILBOX.c.message_id)
            .where(
                MAILBOX.c.message_id == ENVELOPES.c.message_id,
                (MAILBOX.c.acknowledged_at.is_(None)) | (MAILBOX.c.acknowledged_at >= older_than),
            )
            .exists()
        )
        with self._write() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    select(ENVELOPES.c.message_id)
                    .where(ENVELOPES.c.envelope.is_not(None), ~unacked)
                    .limit(5000)
                )
            ]
            if not ids:
                return 0
            conn.execute(
                update(ENVELOPES)
                .where(ENVELOPES.c.message_id.in_(ids))
                .values(envelope=None, purged_at=datetime.now(UTC))
            )
            self._append(conn, [audit_entry_for(m) for m in ids])
        return len(ids)

    def purge_past_delete_date(
        self, now: datetime, audit_entry: DatePurgeEntry, limit: int = DATE_PURGE_BATCH
    ) -> list[DatePurge]:
        unacked = (
            select(MAILBOX.c.message_id)
            .where(MAILBOX.c.message_id == ENVELOPES.c.message_id, MAILBOX.c.acknowledged_at.is_(None))
            .exists()
        )
        now = now.astimezone(UTC)  # SQLite compares the stored text of UTC times
        with self._write() as conn:
            due = conn.execute(
                select(ENVELOPES.c.message_id, ENVELOPES.c.sender)
                .where(ENVELOPES.c.delete_at <= now, ENVELOPES.c.envelope.is_not(None), unacked)
                .order_by(ENVELOPES.c.delete_at, ENVELOPES.c.message_id)
                .limit(limit)
            ).all()
            if not due:
                return []
            ids = [r[0] for r in due]
            waiting: dict[str, list[str]] = {}
            for chunk in in_chunks(ids):
                for message_id, recipient in conn.execute(
                    select(MAILBOX.c.message_id, MAILBOX.c.recipient)
                    .where(MAILBOX.c.message_id.in_(chunk), MAILBOX.c.acknowledged_at.is_(None))
                    .order_by(MAILBOX.c.seq)
                ):
                    waiting.setdefault(message_id, []).append(recipient)
                conn.execute(
                    update(ENVELOPES)
                    .where(ENVELOPES.c.message_id.in_(chunk))
                    .values(envelope=None, purged_at=now)
                )
            purged = [DatePurge(m, sender, tuple(waiting.get(m, ()))) for m, sender in due]
            self._append(conn, [audit_entry(purged)])
        return purged

    def append_audit(self, entries: Sequence[bytes]) -> int:
        with self._write() as conn:
            return self._append(conn, entries)

    def audit_size(self) -> int:
        with self.reader.connect() as conn:
            current = conn.execute(select(func.max(AUDIT.c.idx))).scalar()
        return 0 if current is None else int(current) + 1

    def audit_entries(self, start: int, end: int) -> list[bytes]:
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(AUDIT.c.entry).where(AUDIT.c.idx >= start, AUDIT.c.idx < end).order_by(AUDIT.c.idx)
            )
            return [bytes(r[0]) for r in rows]

    def merkle_node(self, level: int, index: int) -> bytes:
        with self.reader.connect() as conn:
            found = conn.execute(
                select(NODES.c.hash).where(and_(NODES.c.level == level, NODES.c.idx == index))
            ).scalar()
        if found is None:
            raise KeyError((level, index))
        return bytes(found)

    def stats(self) -> StoreStats:
        with self.reader.connect() as conn:
            envelopes = conn.execute(select(func.count()).select_from(ENVELOPES)).scalar() or 0
            stored = (
                conn.execute(
                    select(func.count()).select_from(ENVELOPES).where(ENVELOPES.c.envelope.is_not(None))
                ).scalar()
                or 0
            )
            pending = (
                conn.execute(
                    select(func.count()).select_from(MAILBOX).where(MAILBOX.c.acknowledged_at.is_(None))
                ).scalar()
                or 0
            )
            acked = (
                conn.execute(
                    select(func.count()).select_from(MAILBOX).where(MAILBOX.c.acknowledged_at.is_not(None))
                ).scalar()
                or 0
            )
            audit = conn.execute(select(func.count()).select_from(AUDIT)).scalar() or 0
        return StoreStats(int(envelopes), int(stored), int(pending), int(acked), int(audit))

    def schema_problem(self) -> str:
        return schema.schema_problem(self.reader)

    def mailbox_depths(self) -> dict[str, int]:
        query = (
            select(MAILBOX.c.recipient, func.count())
            .join(ENVELOPES, ENVELOPES.c.message_id == MAILBOX.c.message_id)
            .where(MAILBOX.c.acknowledged_at.is_(None), ENVELOPES.c.envelope.is_not(None))
            .group_by(MAILBOX.c.recipient)
        )
        with self.reader.connect() as conn:
            return {str(recipient): int(count) for recipient, count in conn.execute(query)}

    def close(self) -> None:
        for engine in {self.engine, self.reader}:
            engine.dispose()
