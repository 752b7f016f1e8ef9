"""In-memory store: same contract as the SQL store, for tests and experiments."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
from hub.store.memory.audit import MemoryAuditMixin
from hub.store.memory.directory_changes import MemoryDirectoryChangeMixin
from hub.store.memory.lookup import MemoryLookupMixin
from hub.store.memory.policy_consent import MemoryPolicyConsentMixin
from hub.store.memory.requests import MemoryRequestMixin
from hub.store.memory.rows import EnvelopeRow, MailRow


@dataclass
class MemoryHubStore(
    MemoryAuditMixin,
    MemoryPolicyConsentMixin,
    MemoryDirectoryChangeMixin,
    MemoryLookupMixin,
    MemoryRequestMixin,
    HubStore,
):
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _envelopes: dict[str, EnvelopeRow] = field(default_factory=dict)
    _mail: dict[int, MailRow] = field(default_factory=dict)
    _mail_by_key: dict[tuple[str, str], int] = field(default_factory=dict)
    _next_seq: int = 1
    _entries: list[bytes] = field(default_factory=list)
    _nodes: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def _append(self, entries: Sequence[bytes]) -> None:
        _, nodes = plan_append(len(self._entries), entries, self.merkle_node)
        self._index_appended(len(self._entries), entries)
        self._entries.extend(entries)
        for level, index, node in nodes:
            self._nodes[(level, index)] = node

    def admit(
        self,
        admissions: Sequence[Admission],
        audit_entries: AuditEntriesFor,
        now: datetime | None = None,
    ) -> list[AdmitResult]:
        now = now or datetime.now(UTC)
        with self._lock:
            requests = self._requests()

            def stored_digest(message_id: str) -> bytes | None:
                known = self._envelopes.get(message_id)
                return None if known is None else known.admission.header_sha256

            plan = plan_admissions(admissions, stored_digest, requests.get, now)
            entries = list(audit_entries(plan.outcomes, now))
            results: list[AdmitResult] = []
            for admission, outcome in zip(admissions, plan.outcomes, strict=True):
                known = self._envelopes.get(admission.message_id)
                results.append(AdmitResult(outcome, known.accepted_at if known else now))
            for admission in plan.accepted:
                self._envelopes[admission.message_id] = EnvelopeRow(admission, now, admission.envelope)
                for recipient in admission.recipients:
                    seq = self._next_seq
                    self._next_seq += 1
                    self._mail[seq] = MailRow(seq, recipient, admission.message_id, now)
                    self._mail_by_key[(admission.message_id, recipient)] = seq
            for request in (*plan.opened, *plan.closed):
                requests[request.message_id] = request
            self._append(entries)
            return results

    def fetch(
        self,
        recipient: str,
        after_seq: int,
        limit: int,
        audit_entries: Callable[[Sequence[MailboxItem]], Sequence[bytes]] | None = None,
    ) -> list[MailboxItem]:
        with self._lock:
            items: list[MailboxItem] = []
            for seq in sorted(s for s in self._mail if s > after_seq):
                mail = self._mail[seq]
                if mail.recipient != recipient or mail.acknowledged_at is not None:
                    continue
                envelope = self._envelopes[mail.message_id].envelope
                if envelope is None:
                    continue
                items.append(
                    MailboxItem(seq, mail.message_id, envelope, mail.accepted_at, mail.delivered_count)
                )
                mail.delivered_count += 1
                mail.first_delivered_at = mail.first_delivered_at or datetime.now(UTC)
                if len(items) >= limit:
                    break
            if audit_entries is not None and items:
                self._append(list(audit_entries(items)))
            return items

    def acknowledge_many(
        self,
        recipient: str,
        receipts: Sequence[ReceiptToRecord],
        now: datetime | None = None,
        audit_entries: AckAuditEntries | None = None,
    ) -> list[AcknowledgeOutcome]:
        now = now or datetime.now(UTC)
        with self._lock:

            def delivered(message_id: str) -> tuple[bytes, bool] | None:
                seq = self._mail_by_key.get((message_id, recipient))
                if seq is None:
                    return None
                header = self._envelopes[message_id].admission.header_sha256
                return header, self._mail[seq].acknowledged_at is not None

            outcomes = acknowledgement_outcomes(receipts, delivered)
            for item, outcome in zip(receipts, outcomes, strict=True):
                if outcome is AcknowledgeOutcome.RECORDED:
                    mail = self._mail[self._mail_by_key[(item.message_id, recipient)]]
                    mail.acknowledged_at, mail.receipt, mail.signature = now, item.receipt, item.signature
            self._append((audit_entries or recorded_entries(receipts))(outcomes))
        return outcomes

    def purge_acknowledged(self, older_than: datetime, audit_entry_for: Callable[[str], bytes]) -> int:
        with self._lock:
            pending: dict[str, list[MailRow]] = {}
            for mail in self._mail.values():
                pending.setdefault(mail.message_id, []).append(mail)
            purged = []
            for message_id, mails in pending.items():
                stored = self._envelopes[message_id]
                if stored.envelope is None:
                    continue
                acks = [m.acknowledged_at for m in mails]
                if all(a is not None and a < older_than for a in acks):
                    stored.envelope = None
                    stored.purged_at = datetime.now(UTC)
                    purged.append(message_id)
            self._append([audit_entry_for(m) for m in purged])
            return len(purged)

    def purge_past_delete_date(
        self, now: datetime, audit_entry: DatePurgeEntry, limit: int = DATE_PURGE_BATCH
    ) -> list[DatePurge]:
        with self._lock:
            waiting: dict[str, list[str]] = {}
            for seq in sorted(self._mail):
                mail = self._mail[seq]
                if mail.acknowledged_at is None:
                    waiting.setdefault(mail.message_id, []).append(mail.recipient)
            due = sorted(
                (
                    (stored.admission.delete_at, message_id)
                    for message_id, stored in self._envelopes.items()
                    if stored.envelope is not None
                    and stored.admission.delete_at is not None
                    and stored.admission.delete_at <= now
                    and message_id in waiting
                ),
            )[:limit]
            purged = []
            for _, message_id in due:
                stored = self._envelopes[message_id]
                stored.envelope, stored.purged_at = None, now
                purged.append(DatePurge(message_id, stored.admission.sender, tuple(waiting[message_id])))
            if purged:
                self._append([audit_entry(purged)])
            return purged

    def append_audit(self, entries: Sequence[bytes]) -> int:
        with self._lock:
            self._append(entries)
            return len(self._entries)

    def audit_size(self) -> int:
        with self._lock:
            return len(self._entries)

    def audit_entries(self, start: int, end: int) -> list[bytes]:
        with self._lock:
            return self._entries[start:end]

    def merkle_node(self, level: int, index: int) -> bytes:
        return self._nodes[(level, index)]

    def stats(self) -> StoreStats:
        with self._lock:
            return StoreStats(
                envelopes=len(self._envelopes),
                stored_ciphertexts=sum(1 for e in self._envelopes.values() if e.envelope is not None),
                mailbox_pending=sum(1 for m in self._mail.values() if m.acknowledged_at is None),
                mailbox_acknowledged=sum(1 for m in self._mail.values() if m.acknowledged_at is not None),
                audit_entries=len(self._entries),
            )

    def mailbox_depths(self) -> dict[str, int]:
        with self._lock:
            return dict(
                Counter(
                    m.recipient
                    for m in self._mail.values()
                    if m.acknowledged_at is None and self._envelopes[m.message_id].envelope is not None
                )
            )

    def close(self) -> None:
        return None
