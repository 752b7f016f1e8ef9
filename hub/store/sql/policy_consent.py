"""SQL side of the policy and consent store, mixed into ``SqlHubStore``.

Uses the store's engine, write lock, audit sequencer lock and ``_append``,
so every change commits with its audit entries in one transaction, exactly
as the exchange does. SQLAlchemy Core only, portable between SQLite and
PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, func, select, update

from hub.store.policy_consent import (
    GIVEN,
    AttestOutcome,
    ChangeOutcome,
    LineageRecord,
    NoticeItem,
    PolicyConsentStore,
    RecipientTrace,
    RegisterOutcome,
    StoredConsent,
    StoredEvent,
    StoredPolicy,
    WithdrawalEffect,
    WithdrawalEntries,
    deleted_at_its_date,
    notice_id,
)
from hub.store.sql.policy_consent_tables import ConsentEventRow, ConsentRow, PolicyRow, RevocationNoticeRow
from hub.store.sql.tables import EnvelopeRow, MailboxRow, as_utc

POLICIES = PolicyRow.__table__  # type: ignore[attr-defined]
CONSENTS = ConsentRow.__table__  # type: ignore[attr-defined]
EVENTS = ConsentEventRow.__table__  # type: ignore[attr-defined]
NOTICES = RevocationNoticeRow.__table__  # type: ignore[attr-defined]
ENVELOPES = EnvelopeRow.__table__  # type: ignore[attr-defined]
MAILBOX = MailboxRow.__table__  # type: ignore[attr-defined]


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _must(value: datetime | None) -> datetime:
    found = _utc(value)
    assert found is not None
    return found


class SqlPolicyConsentMixin(PolicyConsentStore):
    """``PolicyConsentStore`` over the SQL tables; needs the store's engine, ``_write`` and ``_append``."""

    if TYPE_CHECKING:
        engine: Engine
        reader: Engine
        _write_lock: threading.Lock

        def _write(self) -> AbstractContextManager[Connection]:
            """One write transaction holding the audit sequencer (``SqlHubStore._write``)."""
            ...

        def _append(self, conn: Connection, entries: Sequence[bytes]) -> int: ...

    # -- policy ------------------------------------------------------------------------------

    def publish_policy(self, stored: StoredPolicy, audit_entry: bytes) -> bool:
        with self._write() as conn:
            current = conn.execute(select(func.max(POLICIES.c.version))).scalar()
            if current is not None and int(current) >= stored.version:
                return False
            conn.execute(
                POLICIES.insert().values(
                    version=stored.version,
                    policy=stored.policy,
                    signature=stored.signature,
                    published_at=stored.published_at,
                )
            )
            self._append(conn, [audit_entry])
        return True

    def current_policy(self) -> StoredPolicy | None:
        with self.reader.connect() as conn:
            row = conn.execute(select(POLICIES).order_by(POLICIES.c.version.desc()).limit(1)).first()
        if row is None:
            return None
        return StoredPolicy(
            int(row.version), bytes(row.policy), bytes(row.signature), _must(row.published_at)
        )

    def policy_version(self) -> int:
        with self.reader.connect() as conn:
            current = conn.execute(select(func.max(POLICIES.c.version))).scalar()
        return 0 if current is None else int(current)

    # -- consents ----------------------------------------------------------------------------

    @staticmethod
    def _events(conn: Connection, consent_ids: Sequence[str]) -> dict[str, list[StoredEvent]]:
        found: dict[str, list[StoredEvent]] = {}
        if not consent_ids:
            return found
        rows = conn.execute(
            select(EVENTS).where(EVENTS.c.consent_id.in_(list(consent_ids))).order_by(EVENTS.c.sequence)
        )
        for r in rows:
            found.setdefault(r.consent_id, []).append(
                StoredEvent(int(r.sequence), bytes(r.event), bytes(r.signature), int(r.state), _must(r.at))
            )
        return found

    def _consents(self, conn: Connection, rows: Sequence[Any]) -> list[StoredConsent]:
        events = self._events(conn, [r.consent_id for r in rows])
        return [
            StoredConsent(
                consent_id=r.consent_id,
                controller=r.controller,
                subject_pseudonym=r.subject_pseudonym,
                record=bytes(r.record),
                signature=bytes(r.signature),
                state=int(r.state),
                registered_at=_must(r.registered_at),
                events=tuple(events.get(r.consent_id, ())),
            )
            for r in rows
        ]

    def register_consent(self, consent: StoredConsent, audit_entry: bytes) -> RegisterOutcome:
        with self._write() as conn:
            known = conn.execute(
                select(CONSENTS.c.record, CONSENTS.c.signature).where(
                    CONSENTS.c.consent_id == consent.consent_id
                )
            ).first()
            if known is not None:
                same = bytes(known[0]) == consent.record and bytes(known[1]) == consent.signature
                return RegisterOutcome.DUPLICATE if same else RegisterOutcome.CONFLICT
            conn.execute(
                CONSENTS.insert().values(
                    consent_id=consent.consent_id,
                    controller=consent.controller,
                    subject_pseudonym=consent.subject_pseudonym,
                    record=consent.record,
                    signature=consent.signature,
                    state=consent.state,
                    registered_at=consent.registered_at,
                    state_changed_at=None,
                )
            )
            self._append(conn, [audit_entry])
        return RegisterOutcome.REGISTERED

    def get_consent(self, consent_id: str) -> StoredConsent | None:
        found = self.get_consents([consent_id])
        return found[0] if found else None

    def get_consents(self, consent_ids: Sequence[str]) -> list[StoredConsent]:
        ids = list(dict.fromkeys(consent_ids))
        if not ids:
            return []
        with self.reader.connect() as conn:
            rows = conn.execute(select(CONSENTS).where(CONSENTS.c.consent_id.in_(ids))).all()
            found = {c.consent_id: c for c in self._consents(conn, rows)}
        return [found[c] for c in ids if c in found]

    def consents_for_subject(self, controller: str, subject_pseudonym: str) -> list[StoredConsent]:
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(CONSENTS)
                .where(CONSENTS.c.controller == controller, CONSENTS.c.subject_pseudonym == subject_pseudonym)
                .order_by(CONSENTS.c.registered_at, CONSENTS.c.consent_id)
            ).all()
            return self._consents(conn, rows)

    def _apply_withdrawal(
        self, conn: Connection, consent_id: str, event_sequence: int, now: datetime
    ) -> WithdrawalEffect:
        """Drop every remaining ciphertext under the consent; notify each member that was handed one."""
        envelopes = conn.execute(
            select(ENVELOPES.c.message_id, ENVELOPES.c.header_sha256, ENVELOPES.c.envelope.is_not(None))
            .where(ENVELOPES.c.consent_ref == consent_id)
            .order_by(ENVELOPES.c.accepted_at, ENVELOPES.c.message_id)
        ).all()
        if not envelopes:
            return WithdrawalEffect(consent_id)
        ids = [e[0] for e in envelopes]
        digests = {e[0]: bytes(e[1]) for e in envelopes}
        handed = conn.execute(
            select(MAILBOX.c.message_id, MAILBOX.c.recipient)
            .where(
                MAILBOX.c.message_id.in_(ids),
                (MAILBOX.c.delivered_count > 0) | MAILBOX.c.acknowledged_at.is_not(None),
            )
            .order_by(MAILBOX.c.seq)
        ).all()
        notified = {
            (r[0], r[1])
            for r in conn.execute(
                select(NOTICES.c.message_id, NOTICES.c.recipient).where(NOTICES.c.message_id.in_(ids))
            )
        }
        notices = [
            (notice_id(message_id, recipient), recipient, message_id)
            for message_id, recipient in handed
            if (message_id, recipient) not in notified
        ]
        if notices:
            conn.execute(
                NOTICES.insert(),
                [
                    {
                        "notice_id": nid,
                        "recipient": recipient,
                        "message_id": message_id,
                        "consent_id": consent_id,
                        "event_sequence": event_sequence,
                        "header_sha256": digests[message_id],
                        "issued_at": now,
                        "delivered_count": 0,
                        "deletion_status": 0,
                    }
                    for nid, recipient, message_id in notices
                ],
            )
        purged = [e[0] for e in envelopes if e[2]]
        if purged:
            conn.execute(
                update(ENVELOPES)
                .where(ENVELOPES.c.message_id.in_(purged))
                .values(envelope=None, purged_at=now)
            )
        return WithdrawalEffect(consent_id, tuple(purged), tuple(notices))

    def change_consent_state(
        self, consent_id: str, event: StoredEvent, audit_entries_for: WithdrawalEntries, now: datetime
    ) -> tuple[ChangeOutcome, WithdrawalEffect]:
        with self._write() as conn:
            state = conn.execute(select(CONSENTS.c.state).where(CONSENTS.c.consent_id == consent_id)).scalar()
            if state is None:
                return ChangeOutcome.NOT_FOUND, WithdrawalEffect(consent_id)
            if int(state) != GIVEN:
                return ChangeOutcome.NOT_GIVEN, WithdrawalEffect(consent_id)
            last = conn.execute(
                select(func.max(EVENTS.c.sequence)).where(EVENTS.c.consent_id == consent_id)
            ).scalar()
            sequence = (0 if last is None else int(last)) + 1
            conn.execute(
                EVENTS.insert().values(
                    consent_id=consent_id,
                    sequence=sequence,
                    event=event.event,
                    signature=event.signature,
                    state=event.state,
                    at=event.at,
                )
            )
            conn.execute(
                update(CONSENTS)
                .where(CONSENTS.c.consent_id == consent_id)
                .values(state=event.state, state_changed_at=now)
            )
            effect = self._apply_withdrawal(conn, consent_id, sequence, now)
            self._append(conn, list(audit_entries_for(effect)))
        return ChangeOutcome.CHANGED, effect

    def sweep_withdrawn(
        self, consent_id: str, audit_entries_for: WithdrawalEntries, now: datetime
    ) -> WithdrawalEffect:
        with self._write() as conn:
            state = conn.execute(select(CONSENTS.c.state).where(CONSENTS.c.consent_id == consent_id)).scalar()
            if state is None or int(state) == GIVEN:
                return WithdrawalEffect(consent_id)
            last = conn.execute(
                select(func.max(EVENTS.c.sequence)).where(EVENTS.c.consent_id == consent_id)
            ).scalar()
            effect = self._apply_withdrawal(conn, consent_id, int(last or 0), now)
            if effect.purged or effect.notices:
                self._append(conn, list(audit_entries_for(effect)))
        return effect

    # -- notices and attestations ------------------------------------------------------------

    def pending_notices(self, recipient: str, limit: int) -> list[NoticeItem]:
        query = (
            select(
                NOTICES.c.notice_id,
                NOTICES.c.message_id,
                NOTICES.c.header_sha256,
                NOTICES.c.consent_id,
                CONSENTS.c.controller,
                EVENTS.c.event,
                EVENTS.c.signature,
                NOTICES.c.issued_at,
                NOTICES.c.delivered_count,
            )
            .join(CONSENTS, CONSENTS.c.consent_id == NOTICES.c.consent_id)
            .join(
                EVENTS,
                (EVENTS.c.consent_id == NOTICES.c.consent_id)
                & (EVENTS.c.sequence == NOTICES.c.event_sequence),
            )
            .where(NOTICES.c.recipient == recipient, NOTICES.c.attested_at.is_(None))
            .order_by(NOTICES.c.issued_at, NOTICES.c.notice_id)
            .limit(limit)
        )
        with self.reader.connect() as conn:  # every Fetch asks: read first, write only when there is one
            rows = conn.execute(query).all()
        if rows:
            with self._write_lock, self.engine.begin() as conn:
                conn.execute(
                    update(NOTICES)
                    .where(NOTICES.c.notice_id.in_([r[0] for r in rows]))
                    .values(delivered_count=NOTICES.c.delivered_count + 1)
                )
        return [
            NoticeItem(
                notice_id=r[0],
                recipient=recipient,
                message_id=r[1],
                header_sha256=bytes(r[2]),
                consent_id=r[3],
                controller=r[4],
                event=bytes(r[5]),
                event_signature=bytes(r[6]),
                issued_at=_must(r[7]),
                delivered_count=int(r[8]),
            )
            for r in rows
        ]

    def attest_deletion(
        self,
        recipient: str,
        message_id: str,
        header_sha256: bytes,
        attestation: bytes,
        signature: bytes,
        status: int,
        audit_entry: bytes,
        now: datetime,
    ) -> AttestOutcome:
        with self._write() as conn:
            row = conn.execute(
                select(NOTICES.c.notice_id, NOTICES.c.header_sha256, NOTICES.c.attested_at).where(
                    NOTICES.c.message_id == message_id, NOTICES.c.recipient == recipient
                )
            ).first()
            if row is None:
                dated = conn.execute(
                    select(ENVELOPES.c.header_sha256, ENVELOPES.c.delete_at)
                    .join(MAILBOX, MAILBOX.c.message_id == ENVELOPES.c.message_id)
                    .where(
                        ENVELOPES.c.message_id == message_id,
                        MAILBOX.c.recipient == recipient,
                        (MAILBOX.c.delivered_count > 0) | MAILBOX.c.acknowledged_at.is_not(None),
                    )
                ).first()
                if dated is None or not deleted_at_its_date(_utc(dated[1]), True, now):
                    return AttestOutcome.NO_NOTICE
                if bytes(dated[0]) != header_sha256:
                    return AttestOutcome.MISMATCH
                conn.execute(  # its own notice row: the attestation is kept, and shown, like any other
                    NOTICES.insert().values(
                        notice_id=notice_id(message_id, recipient),
                        recipient=recipient,
                        message_id=message_id,
                        consent_id="",
                        event_sequence=0,
                        header_sha256=header_sha256,
                        issued_at=now,
                        delivered_count=0,
                        attested_at=now,
                        attestation=attestation,
                        attestation_signature=signature,
                        deletion_status=status,
                    )
                )
                self._append(conn, [audit_entry])
                return AttestOutcome.RECORDED
            if bytes(row[1]) != header_sha256:
                return AttestOutcome.MISMATCH
            if row[2] is not None:
                return AttestOutcome.DUPLICATE
            conn.execute(
                update(NOTICES)
                .where(NOTICES.c.notice_id == row[0])
                .values(
                    attested_at=now,
                    attestation=attestation,
                    attestation_signature=signature,
                    deletion_status=status,
                )
            )
            self._append(conn, [audit_entry])
        return AttestOutcome.RECORDED

    # -- lineage -----------------------------------------------------------------------------

    def _lineage(self, conn: Connection, envelope_rows: Sequence[Any]) -> list[LineageRecord]:
        if not envelope_rows:
            return []
        ids = [r.message_id for r in envelope_rows]
        mail: dict[str, list[Any]] = {}
        for r in conn.execute(select(MAILBOX).where(MAILBOX.c.message_id.in_(ids)).order_by(MAILBOX.c.seq)):
            mail.setdefault(r.message_id, []).append(r)
        notices = {
            (r.message_id, r.recipient): r
            for r in conn.execute(select(NOTICES).where(NOTICES.c.message_id.in_(ids)))
        }
        records = []
        for e in envelope_rows:
            purged_at = _utc(e.purged_at)
            traces = []
            for m in mail.get(e.message_id, []):
                notice = notices.get((e.message_id, m.recipient))
                acknowledged = _utc(m.acknowledged_at)
                traces.append(
                    RecipientTrace(
                        recipient=m.recipient,
                        delivery_count=int(m.delivered_count),
                        first_delivered_at=_utc(m.first_delivered_at),
                        acknowledged_at=acknowledged,
                        receipt=bytes(m.receipt) if m.receipt is not None else None,
                        cancelled=purged_at is not None
                        and int(m.delivered_count) == 0
                        and acknowledged is None,
                        notified_at=_utc(notice.issued_at)
                        if notice is not None and notice.consent_id
                        else None,
                        attested_at=_utc(notice.attested_at) if notice is not None else None,
                        deletion_status=int(notice.deletion_status) if notice is not None else 0,
                    )
                )
            records.append(
                LineageRecord(
                    message_id=e.message_id,
                    sender=e.sender,
                    payload_kind=int(e.payload_kind),
                    purpose=int(e.purpose),
                    consent_id=e.consent_ref or "",
                    accepted_at=_must(e.accepted_at),
                    purged_at=purged_at,
                    recipients=tuple(traces),
                    delete_at=_utc(e.delete_at),
                )
            )
        return records

    _ENVELOPE_COLUMNS = (
        ENVELOPES.c.message_id,
        ENVELOPES.c.sender,
        ENVELOPES.c.payload_kind,
        ENVELOPES.c.purpose,
        ENVELOPES.c.consent_ref,
        ENVELOPES.c.accepted_at,
        ENVELOPES.c.purged_at,
        ENVELOPES.c.delete_at,
    )

    def lineage(self, message_id: str) -> LineageRecord | None:
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(*self._ENVELOPE_COLUMNS).where(ENVELOPES.c.message_id == message_id)
            ).all()
            found = self._lineage(conn, rows)
        return found[0] if found else None

    def lineages_for_consent(self, consent_id: str) -> list[LineageRecord]:
        with self.reader.connect() as conn:
            rows = conn.execute(
                select(*self._ENVELOPE_COLUMNS)
                .where(ENVELOPES.c.consent_ref == consent_id)
                .order_by(ENVELOPES.c.accepted_at, ENVELOPES.c.message_id)
            ).all()
            return self._lineage(conn, rows)
