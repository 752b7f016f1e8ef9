"""In-memory side of the policy and consent store, mixed into ``MemoryHubStore``.

Same contract as the SQL mixin; it works under the store's ``_lock`` on the
store's envelopes and mailbox, and appends audit entries with the store's
``_append``, so a change and its entries land together.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from hub.store.memory.rows import EnvelopeRow, MailRow
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


@dataclass
class _Notice:
    notice_id: str
    recipient: str
    message_id: str
    consent_id: str
    event_sequence: int
    header_sha256: bytes
    issued_at: datetime
    delivered_count: int = 0
    attested_at: datetime | None = None
    attestation: bytes | None = None
    signature: bytes | None = None
    deletion_status: int = 0


@dataclass
class _State:
    policies: dict[int, StoredPolicy] = field(default_factory=dict)
    consents: dict[str, StoredConsent] = field(default_factory=dict)
    notices: dict[tuple[str, str], _Notice] = field(default_factory=dict)


class MemoryPolicyConsentMixin(PolicyConsentStore):
    """``PolicyConsentStore`` in memory; needs ``_lock``, ``_envelopes``, ``_mail`` and ``_append``."""

    if TYPE_CHECKING:
        _lock: threading.Lock
        _envelopes: dict[str, EnvelopeRow]
        _mail: dict[int, MailRow]

        def _append(self, entries: Sequence[bytes]) -> None: ...

    def _pc_state(self) -> _State:
        """Created on first use (callers hold ``_lock`` or only read)."""
        state: _State | None = self.__dict__.get("_policy_consent_state")
        if state is None:
            state = _State()
            self.__dict__["_policy_consent_state"] = state
        return state

    # -- policy ------------------------------------------------------------------------------

    def publish_policy(self, stored: StoredPolicy, audit_entry: bytes) -> bool:
        with self._lock:
            policies = self._pc_state().policies
            if policies and max(policies) >= stored.version:
                return False
            policies[stored.version] = stored
            self._append([audit_entry])
            return True

    def current_policy(self) -> StoredPolicy | None:
        with self._lock:
            policies = self._pc_state().policies
            return policies[max(policies)] if policies else None

    def policy_version(self) -> int:
        with self._lock:
            return max(self._pc_state().policies, default=0)

    # -- consents ----------------------------------------------------------------------------

    def register_consent(self, consent: StoredConsent, audit_entry: bytes) -> RegisterOutcome:
        with self._lock:
            consents = self._pc_state().consents
            known = consents.get(consent.consent_id)
            if known is not None:
                same = known.record == consent.record and known.signature == consent.signature
                return RegisterOutcome.DUPLICATE if same else RegisterOutcome.CONFLICT
            consents[consent.consent_id] = consent
            self._append([audit_entry])
            return RegisterOutcome.REGISTERED

    def get_consent(self, consent_id: str) -> StoredConsent | None:
        with self._lock:
            return self._pc_state().consents.get(consent_id)

    def get_consents(self, consent_ids: Sequence[str]) -> list[StoredConsent]:
        with self._lock:
            consents = self._pc_state().consents
            return [consents[c] for c in dict.fromkeys(consent_ids) if c in consents]

    def consents_for_subject(self, controller: str, subject_pseudonym: str) -> list[StoredConsent]:
        with self._lock:
            found = [
                c
                for c in self._pc_state().consents.values()
                if c.controller == controller and c.subject_pseudonym == subject_pseudonym
            ]
        return sorted(found, key=lambda c: (c.registered_at, c.consent_id))

    def _apply_withdrawal(self, consent_id: str, event_sequence: int, now: datetime) -> WithdrawalEffect:
        notices = self._pc_state().notices
        stored = sorted(
            (e for e in self._envelopes.values() if e.admission.consent_ref == consent_id),
            key=lambda e: (e.accepted_at, e.admission.message_id),
        )
        ids = {e.admission.message_id: e for e in stored}
        queued = []
        for mail in sorted(self._mail.values(), key=lambda m: m.seq):
            envelope = ids.get(mail.message_id)
            if envelope is None or (mail.delivered_count == 0 and mail.acknowledged_at is None):
                continue
            key = (mail.message_id, mail.recipient)
            if key in notices:
                continue
            nid = notice_id(mail.message_id, mail.recipient)
            notices[key] = _Notice(
                nid,
                mail.recipient,
                mail.message_id,
                consent_id,
                event_sequence,
                envelope.admission.header_sha256,
                now,
            )
            queued.append((nid, mail.recipient, mail.message_id))
        purged = []
        for envelope in stored:
            if envelope.envelope is not None:
                envelope.envelope = None
                envelope.purged_at = now
                purged.append(envelope.admission.message_id)
        return WithdrawalEffect(consent_id, tuple(purged), tuple(queued))

    def change_consent_state(
        self, consent_id: str, event: StoredEvent, audit_entries_for: WithdrawalEntries, now: datetime
    ) -> tuple[ChangeOutcome, WithdrawalEffect]:
        with self._lock:
            consents = self._pc_state().consents
            consent = consents.get(consent_id)
            if consent is None:
                return ChangeOutcome.NOT_FOUND, WithdrawalEffect(consent_id)
            if consent.state != GIVEN:
                return ChangeOutcome.NOT_GIVEN, WithdrawalEffect(consent_id)
            sequence = len(consent.events) + 1
            recorded = StoredEvent(sequence, event.event, event.signature, event.state, event.at)
            consents[consent_id] = StoredConsent(
                consent.consent_id,
                consent.controller,
                consent.subject_pseudonym,
                consent.record,
                consent.signature,
                event.state,
                consent.registered_at,
                (*consent.events, recorded),
            )
            effect = self._apply_withdrawal(consent_id, sequence, now)
            self._append(list(audit_entries_for(effect)))
            return ChangeOutcome.CHANGED, effect

    def sweep_withdrawn(
        self, consent_id: str, audit_entries_for: WithdrawalEntries, now: datetime
    ) -> WithdrawalEffect:
        with self._lock:
            consent = self._pc_state().consents.get(consent_id)
            if consent is None or consent.state == GIVEN:
                return WithdrawalEffect(consent_id)
            effect = self._apply_withdrawal(consent_id, len(consent.events), now)
            if effect.purged or effect.notices:
                self._append(list(audit_entries_for(effect)))
            return effect

    # -- notices and attestations ------------------------------------------------------------

    def pending_notices(self, recipient: str, limit: int) -> list[NoticeItem]:
        with self._lock:
            state = self._pc_state()
            pending = sorted(
                (n for n in state.notices.values() if n.recipient == recipient and n.attested_at is None),
                key=lambda n: (n.issued_at, n.notice_id),
            )[:limit]
            items = []
            for notice in pending:
                consent = state.consents[notice.consent_id]
                event = consent.events[notice.event_sequence - 1]
                items.append(
                    NoticeItem(
                        notice_id=notice.notice_id,
                        recipient=recipient,
                        message_id=notice.message_id,
                        header_sha256=notice.header_sha256,
                        consent_id=notice.consent_id,
                        controller=consent.controller,
                        event=event.event,
                        event_signature=event.signature,
                        issued_at=notice.issued_at,
                        delivered_count=notice.delivered_count,
                    )
                )
                notice.delivered_count += 1
            return items

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
        with self._lock:
            notices = self._pc_state().notices
            notice = notices.get((message_id, recipient))
            stored = self._envelopes.get(message_id)
            if notice is None and stored is not None:
                handed = any(
                    m.message_id == message_id
                    and m.recipient == recipient
                    and (m.delivered_count > 0 or m.acknowledged_at is not None)
                    for m in self._mail.values()
                )
                if deleted_at_its_date(stored.admission.delete_at, handed, now):
                    notice = _Notice(
                        notice_id(message_id, recipient),
                        recipient,
                        message_id,
                        "",
                        0,
                        stored.admission.header_sha256,
                        now,
                    )
                    if notice.header_sha256 != header_sha256:
                        return AttestOutcome.MISMATCH
                    notices[(message_id, recipient)] = notice
            if notice is None:
                return AttestOutcome.NO_NOTICE
            if notice.header_sha256 != header_sha256:
                return AttestOutcome.MISMATCH
            if notice.attested_at is not None:
                return AttestOutcome.DUPLICATE
            notice.attested_at, notice.attestation, notice.signature = now, attestation, signature
            notice.deletion_status = status
            self._append([audit_entry])
            return AttestOutcome.RECORDED

    # -- lineage -----------------------------------------------------------------------------

    def _lineage_of(self, stored: Sequence[EnvelopeRow]) -> list[LineageRecord]:
        notices = self._pc_state().notices
        wanted = {e.admission.message_id for e in stored}
        mail: dict[str, list[MailRow]] = {}
        for m in sorted(self._mail.values(), key=lambda m: m.seq):
            if m.message_id in wanted:
                mail.setdefault(m.message_id, []).append(m)
        records = []
        for e in stored:
            admission = e.admission
            traces = []
            for m in mail.get(admission.message_id, []):
                notice = notices.get((admission.message_id, m.recipient))
                traces.append(
                    RecipientTrace(
                        recipient=m.recipient,
                        delivery_count=m.delivered_count,
                        first_delivered_at=m.first_delivered_at,
                        acknowledged_at=m.acknowledged_at,
                        receipt=m.receipt,
                        cancelled=e.purged_at is not None
                        and m.delivered_count == 0
                        and m.acknowledged_at is None,
                        notified_at=notice.issued_at if notice is not None and notice.consent_id else None,
                        attested_at=notice.attested_at if notice is not None else None,
                        deletion_status=notice.deletion_status if notice is not None else 0,
                    )
                )
            records.append(
                LineageRecord(
                    message_id=admission.message_id,
                    sender=admission.sender,
                    payload_kind=admission.payload_kind,
                    purpose=admission.purpose,
                    consent_id=admission.consent_ref,
                    accepted_at=e.accepted_at,
                    purged_at=e.purged_at,
                    recipients=tuple(traces),
                    delete_at=admission.delete_at,
                )
            )
        return records

    def lineage(self, message_id: str) -> LineageRecord | None:
        with self._lock:
            stored = self._envelopes.get(message_id)
            return self._lineage_of([stored])[0] if stored is not None else None

    def lineages_for_consent(self, consent_id: str) -> list[LineageRecord]:
        with self._lock:
            stored = sorted(
                (e for e in self._envelopes.values() if e.admission.consent_ref == consent_id),
                key=lambda e: (e.accepted_at, e.admission.message_id),
            )
            return self._lineage_of(stored)
