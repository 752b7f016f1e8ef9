"""The store contract the hub relies on.

Every method is one transaction: either all of it is durable or none of it
is. Audit entries are appended in the same transaction as the change they
record, so an acknowledged submission always has its audit entry.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.core.requests import PENDING, RequestRecord


class AdmitOutcome(enum.Enum):
    ACCEPTED = "accepted"
    # Same message id, same header: a resend, nothing new stored.
    DUPLICATE = "duplicate"
    # Same message id, different header: refused.
    REPLAYED = "replayed"
    # A RESPONSE whose request is no longer pending (answered, refused or withdrawn meanwhile, or
    # answered earlier in the same batch): refused, nothing of it stored.
    CONFLICT = "conflict"


class AcknowledgeOutcome(enum.Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    NOT_A_RECIPIENT = "not_a_recipient"
    MISMATCH = "mismatch"


@dataclass(frozen=True, slots=True)
class ReceiptToRecord:
    """A verified delivery receipt and the audit entry that records it."""

    message_id: str
    header_sha256: bytes
    receipt: bytes
    signature: bytes
    audit_entry: bytes


#: The audit entries of an acknowledgement call, given each receipt's outcome, in the order to
#: append them (refusals included): written in the same transaction as the receipts.
AckAuditEntries = Callable[[Sequence["AcknowledgeOutcome"]], Sequence[bytes]]


def acknowledgement_outcomes(
    receipts: Sequence[ReceiptToRecord], delivered: Callable[[str], tuple[bytes, bool] | None]
) -> list[AcknowledgeOutcome]:
    """Each receipt's outcome, the same for every store. ``delivered(message_id)`` is the header
    digest of the message delivered to the recipient and whether it is already acknowledged, or
    None when it was not delivered to them; a message acknowledged twice in one call is RECORDED
    then DUPLICATE."""
    outcomes: list[AcknowledgeOutcome] = []
    recorded: set[str] = set()
    for item in receipts:
        found = delivered(item.message_id)
        if found is None:
            outcomes.append(AcknowledgeOutcome.NOT_A_RECIPIENT)
        elif found[0] != item.header_sha256:
            outcomes.append(AcknowledgeOutcome.MISMATCH)
        elif found[1] or item.message_id in recorded:
            outcomes.append(AcknowledgeOutcome.DUPLICATE)
        else:
            recorded.add(item.message_id)
            outcomes.append(AcknowledgeOutcome.RECORDED)
    return outcomes


def recorded_entries(receipts: Sequence[ReceiptToRecord]) -> AckAuditEntries:
    """The default audit of an acknowledgement call: the entry of each receipt recorded."""

    def entries(outcomes: Sequence[AcknowledgeOutcome]) -> list[bytes]:
        return [
            item.audit_entry
            for item, outcome in zip(receipts, outcomes, strict=True)
            if outcome is AcknowledgeOutcome.RECORDED
        ]

    return entries


@dataclass(frozen=True, slots=True)
class Admission:
    """An envelope that passed every check and may be stored."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    header_sha256: bytes
    envelope: bytes
    payload_kind: int
    purpose: int
    # Consent the envelope was sent under (legal basis CONSENT), else empty.
    consent_ref: str = ""
    # A REQUEST: the request it opens (stored with the envelope).
    request_opened: RequestRecord | None = None
    # A RESPONSE: its request as the answer closes it; applied only while the stored request is
    # still pending (OPEN or OVERDUE), else the admission is CONFLICT.
    request_closed: RequestRecord | None = None
    # The header's ``review_or_delete_at``: undelivered ciphertext is purged once it has passed.
    delete_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AdmitPlan:
    """What one ``admit`` call stores: each admission's outcome, the envelopes to store, and the
    request rows to insert (``opened``) and to update (``closed``), in that order."""

    outcomes: list[AdmitOutcome]
    accepted: list[Admission]
    opened: list[RequestRecord]
    closed: list[RequestRecord]


def plan_admissions(
    admissions: Sequence[Admission],
    stored_digest: Callable[[str], bytes | None],
    stored_request: Callable[[str], RequestRecord | None],
    now: datetime,
) -> AdmitPlan:
    """Each admission's outcome, the same for every store, read inside the admitting transaction.

    ``stored_digest(message_id)`` is the header digest of an envelope already stored, and
    ``stored_request(message_id)`` the request as stored, before this batch. A known message id is
    DUPLICATE (same header) or REPLAYED; a new one closing a request that is no longer pending, as
    stored or as an earlier admission of the batch left it, is CONFLICT. A request closed keeps the
    stored ``overdue_at``: the answer may have been checked before the deadline sweep ran.
    """
    outcomes: list[AdmitOutcome] = []
    batch: dict[str, Admission] = {}
    requests: dict[str, RequestRecord | None] = {}  # as this batch leaves them
    opened: list[RequestRecord] = []
    closed: list[RequestRecord] = []
    for admission in admissions:
        earlier = stored_digest(admission.message_id)
        if earlier is None and admission.message_id in batch:
            earlier = batch[admission.message_id].header_sha256
        answer = admission.request_closed
        if earlier is not None:
            same = earlier == admission.header_sha256
            outcomes.append(AdmitOutcome.DUPLICATE if same else AdmitOutcome.REPLAYED)
            continue
        if answer is not None:
            key = answer.message_id
            current = requests[key] if key in requests else stored_request(key)
            if current is None or current.state not in PENDING:
                outcomes.append(AdmitOutcome.CONFLICT)
                continue
            record = current.closed(
                answer.state, answer.closed_at or now, answer.response_message_id, answer.refusal_reason
            )
            requests[key] = record
            closed.append(record)
        if admission.request_opened is not None:
            requests[admission.request_opened.message_id] = admission.request_opened
            opened.append(admission.request_opened)
        outcomes.append(AdmitOutcome.ACCEPTED)
        batch[admission.message_id] = admission
    return AdmitPlan(outcomes, list(batch.values()), opened, closed)


@dataclass(frozen=True, slots=True)
class AdmitResult:
    outcome: AdmitOutcome
    accepted_at: datetime


@dataclass(frozen=True, slots=True)
class MailboxItem:
    seq: int
    message_id: str
    envelope: bytes
    accepted_at: datetime
    delivered_count: int


@dataclass(frozen=True, slots=True)
class DatePurge:
    """An envelope whose ciphertext was dropped at its review-or-delete date, undelivered."""

    message_id: str
    sender: str
    # Recipients that had not acknowledged it (they can no longer fetch it).
    unacknowledged: tuple[str, ...]


#: Most envelopes one retention purge run drops (the next run takes the rest).
DATE_PURGE_BATCH = 5_000

#: The one audit entry of a retention purge run, given what it dropped (inside its transaction).
DatePurgeEntry = Callable[[Sequence[DatePurge]], bytes]


@dataclass(frozen=True, slots=True)
class StoreStats:
    envelopes: int
    stored_ciphertexts: int
    mailbox_pending: int
    mailbox_acknowledged: int
    audit_entries: int


# Builds every audit entry of one admit call once the outcomes are known (one per admission, in
# order, and the time of the transaction): permits for the accepted, one aggregated deny for the rest.
AuditEntriesFor = Callable[[Sequence[AdmitOutcome], datetime], Sequence[bytes]]


class HubStore(ABC):
    """Abstract store; implementations must be safe to call from worker threads."""

    @abstractmethod
    def admit(
        self,
        admissions: Sequence[Admission],
        audit_entries: AuditEntriesFor,
        now: datetime | None = None,
    ) -> list[AdmitResult]:
        """Store accepted envelopes, their mailbox entries and the call's audit entries, atomically.

        ``audit_entries(outcomes, now)`` is called inside the transaction, once the outcome of
        every admission is known; what it returns is appended in the same transaction (it may
        cover decisions taken before storage too, such as envelopes refused while checking).
        """

    @abstractmethod
    def fetch(
        self,
        recipient: str,
        after_seq: int,
        limit: int,
        audit_entries: Callable[[Sequence[MailboxItem]], Sequence[bytes]] | None = None,
    ) -> list[MailboxItem]:
        """Unacknowledged mailbox items of ``recipient`` with seq > after_seq, oldest first.

        Marks them delivered (counting redeliveries) and appends ``audit_entries(items)`` (the
        items as found, before this delivery is counted), in one durable transaction, before
        returning them to be sent.
        """

    @abstractmethod
    def acknowledge_many(
        self,
        recipient: str,
        receipts: Sequence[ReceiptToRecord],
        now: datetime | None = None,
        audit_entries: AckAuditEntries | None = None,
    ) -> list[AcknowledgeOutcome]:
        """Record a recipient's signed receipts in one durable transaction, one outcome each
        (``acknowledgement_outcomes``).

        ``audit_entries(outcomes)`` gives the entries appended in that transaction, in order
        (refusals included); by default each recorded receipt's own entry.
        """

    def acknowledge(
        self,
        recipient: str,
        message_id: str,
        header_sha256: bytes,
        receipt: bytes,
        signature: bytes,
        audit_entry: bytes,
        now: datetime | None = None,
    ) -> AcknowledgeOutcome:
        """Record one signed receipt (``acknowledge_many`` with one item)."""
        item = ReceiptToRecord(message_id, header_sha256, receipt, signature, audit_entry)
        return self.acknowledge_many(recipient, [item], now)[0]

    @abstractmethod
    def purge_acknowledged(self, older_than: datetime, audit_entry_for: Callable[[str], bytes]) -> int:
        """Drop ciphertexts every recipient acknowledged before ``older_than``."""

    @abstractmethod
    def purge_past_delete_date(
        self, now: datetime, audit_entry: DatePurgeEntry, limit: int = DATE_PURGE_BATCH
    ) -> list[DatePurge]:
        """Drop the ciphertext of up to ``limit`` envelopes whose review-or-delete date is at or
        before ``now`` and that some recipient has not acknowledged, oldest date first, with the
        run's one ``audit_entry(purged)`` in the same transaction (nothing appended if none).

        Envelopes every recipient acknowledged are left to ``purge_acknowledged``: their
        receipts and lineage stay as they are."""

    @abstractmethod
    def append_audit(self, entries: Sequence[bytes]) -> int:
        """Append entries on their own (e.g. refused calls); returns the new log size."""

    @abstractmethod
    def audit_size(self) -> int: ...

    @abstractmethod
    def audit_entries(self, start: int, end: int) -> list[bytes]:
        """Entries with index in [start, end)."""

    @abstractmethod
    def merkle_node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree at (level, index); KeyError if not complete."""

    @abstractmethod
    def stats(self) -> StoreStats: ...

    @abstractmethod
    def mailbox_depths(self) -> dict[str, int]:
        """Unacknowledged mailbox entries per recipient whose ciphertext is still held (recipients
        with none are left out): an envelope purged past its delete date waits for no one.

        Read at every metrics scrape: an index of the unacknowledged rows keeps it proportional to
        what is waiting, not to the mailbox's history.
        """

    def schema_problem(self) -> str:
        """Empty when the stored schema is the one this code expects, else what differs (readiness)."""
        return ""

    @abstractmethod
    def close(self) -> None: ...
