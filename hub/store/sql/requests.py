"""``RequestStore`` over SQL (SQLite and PostgreSQL), mixed into ``SqlHubStore``.

Every change goes through the store's ``_write`` (which holds the audit sequencer, so reading a
request and changing it cannot race another writer) and commits with its notices and audit
entries. The decisions are those of ``hub.store.requests``, shared with the in-memory store.
``SqlHubStore.admit`` uses ``_read_requests`` and ``_save_requests`` for the requests that
envelopes open and close.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, bindparam, func, or_, select, update

from hub.core.requests import OPEN, PENDING, RequestRecord
from hub.store.requests import (
    RequestChanges,
    RequestEffects,
    RequestStore,
    StoredRequestNotice,
    WithdrawOutcome,
    overdue_of,
    with_effects,
    withdrawal,
)
from hub.store.sql.audit import in_chunks
from hub.store.sql.requests_tables import RequestNoticeRow, RequestRow
from hub.store.sql.tables import as_utc

REQUESTS = RequestRow.__table__  # type: ignore[attr-defined]
NOTICES = RequestNoticeRow.__table__  # type: ignore[attr-defined]

_TIMES = ("opened_at", "deadline", "closed_at", "overdue_at")
# What a request's life changes after it is opened; everything else is the REQUEST's header.
_CHANGING = ("state", "closed_at", "response_message_id", "refusal_reason", "overdue_at", "withdrawn_reason")


def _row(record: RequestRecord) -> dict[str, Any]:
    values = {f.name: getattr(record, f.name) for f in fields(record)}
    values["requested_layers"] = ",".join(str(layer) for layer in record.requested_layers)
    return values


def _record(row: Any) -> RequestRecord:
    values = dict(row._mapping)
    values["requested_layers"] = tuple(int(x) for x in values["requested_layers"].split(",") if x)
    for name in _TIMES:
        if values[name] is not None:
            values[name] = as_utc(values[name])
    return RequestRecord(**values)


def _notice(row: Any) -> StoredRequestNotice:
    return StoredRequestNotice(
        row.notice_id, row.member_id, row.request_message_id, bytes(row.notice), as_utc(row.issued_at)
    )


class SqlRequestMixin(RequestStore):
    """Needs the store's ``reader`` engine, ``_write`` and ``_append`` (``SqlHubStore``)."""

    if TYPE_CHECKING:
        reader: Engine

        def _write(self) -> AbstractContextManager[Connection]: ...

        def _append(self, conn: Connection, entries: Sequence[bytes]) -> int: ...

    # -- inside a write transaction ----------------------------------------------------------

    @staticmethod
    def _read_requests(conn: Connection, message_ids: Sequence[str]) -> dict[str, RequestRecord]:
        wanted = sorted(set(message_ids))
        found: dict[str, RequestRecord] = {}
        for chunk in in_chunks(wanted):
            for row in conn.execute(select(REQUESTS).where(REQUESTS.c.message_id.in_(chunk))):
                found[row.message_id] = _record(row)
        return found

    @staticmethod
    def _save_requests(
        conn: Connection, opened: Sequence[RequestRecord], changed: Sequence[RequestRecord]
    ) -> None:
        """Insert the ``opened`` requests, then write the changing columns of ``changed``."""
        if opened:
            conn.execute(REQUESTS.insert(), [_row(r) for r in opened])
        if changed:
            conn.execute(
                update(REQUESTS)
                .where(REQUESTS.c.message_id == bindparam("b_message_id"))
                .values({name: bindparam(name) for name in _CHANGING}),
                [{"b_message_id": r.message_id, **{n: getattr(r, n) for n in _CHANGING}} for r in changed],
            )

    def _save_changes(self, conn: Connection, changes: RequestChanges) -> None:
        self._save_requests(conn, (), changes.requests)
        if changes.notices:
            conn.execute(NOTICES.insert(), [asdict(n) for n in changes.notices])
        self._append(conn, changes.entries)

    # -- reads -------------------------------------------------------------------------------

    def get_request(self, message_id: str) -> RequestRecord | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(REQUESTS).where(REQUESTS.c.message_id == message_id)).first()
        return None if row is None else _record(row)

    def list_requests(
        self,
        *,
        member_id: str = "",
        state: int = 0,
        overdue_only: bool = False,
        message_id: str = "",
        limit: int = 500,
    ) -> list[RequestRecord]:
        query = select(REQUESTS)
        if member_id:
            query = query.where(or_(REQUESTS.c.requester == member_id, REQUESTS.c.responder == member_id))
        if state:
            query = query.where(REQUESTS.c.state == state)
        if overdue_only:
            query = query.where(REQUESTS.c.overdue_at.is_not(None))
        if message_id:
            query = query.where(REQUESTS.c.message_id == message_id)
        query = query.order_by(REQUESTS.c.opened_at.desc(), REQUESTS.c.message_id.desc()).limit(limit)
        with self.reader.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def pending_request_counts(self) -> dict[int, int]:
        query = (
            select(REQUESTS.c.state, func.count())
            .where(REQUESTS.c.state.in_(sorted(PENDING)))
            .group_by(REQUESTS.c.state)
        )  # ix_requests_due starts with the state: the count reads pending requests only
        with self.reader.connect() as conn:
            counts = {int(state): int(count) for state, count in conn.execute(query)}
        return {state: counts.get(state, 0) for state in sorted(PENDING)}

    def due_requests(self, now: datetime, limit: int = 1000) -> list[RequestRecord]:
        query = (
            select(REQUESTS)
            .where(REQUESTS.c.state == OPEN, REQUESTS.c.deadline <= now)
            .order_by(REQUESTS.c.deadline, REQUESTS.c.message_id)
            .limit(limit)
        )
        with self.reader.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    # -- changes -----------------------------------------------------------------------------

    def mark_overdue(self, requests: Sequence[RequestRecord], effects: RequestEffects) -> list[RequestRecord]:
        with self._write() as conn:
            stored = self._read_requests(conn, [r.message_id for r in requests])
            changes = with_effects(overdue_of(requests, stored), effects)
            self._save_changes(conn, changes)
        return changes.requests

    def withdraw_request(
        self, message_id: str, requester: str, at: datetime, reason: str, effects: RequestEffects
    ) -> tuple[WithdrawOutcome, RequestRecord | None]:
        with self._write() as conn:
            current = self._read_requests(conn, [message_id]).get(message_id)
            outcome, record = withdrawal(current, requester, at, reason)
            if outcome is WithdrawOutcome.WITHDRAWN and record is not None:
                self._save_changes(conn, with_effects([record], effects))
        return outcome, record

    # -- notices -----------------------------------------------------------------------------

    def pending_request_notices(self, member_id: str, limit: int) -> list[StoredRequestNotice]:
        query = (
            select(NOTICES)
            .where(NOTICES.c.member_id == member_id, NOTICES.c.delivered_at.is_(None))
            .order_by(NOTICES.c.issued_at, NOTICES.c.notice_id)
            .limit(limit)
        )
        with self.reader.connect() as conn:
            return [_notice(row) for row in conn.execute(query)]

    def mark_request_notices_delivered(self, member_id: str, notice_ids: Sequence[str], at: datetime) -> None:
        wanted = sorted(set(notice_ids))
        if not wanted:
            return
        with self._write() as conn:
            for chunk in in_chunks(wanted):
                conn.execute(
                    update(NOTICES)
                    .where(
                        NOTICES.c.member_id == member_id,
                        NOTICES.c.notice_id.in_(chunk),
                        NOTICES.c.delivered_at.is_(None),
                    )
                    .values(delivered_at=at)
                )
