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


class AdmitOutcome(enum.Enum):
    ACCEPTED = "accepted"
    # Same message id, same header: a resend, nothing new stored.
    DUPLICATE = "duplicate"
    # Same message id, different header: refused.
    REPLAYED = "replayed"


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
        return [item.audit_entry for item, outcome in zip(receipts, outcomes, strict=True)
                if outcome is AcknowledgeOutcome.RECORDED]

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
class StoreStats:
    envelopes: int
    stored_ciphertexts: int
    mailbox_pending: int
    mailbox_acknowledged: int
    audit_entries: int


# Builds the canonical audit entry for an admission once its outcome is known.
AuditEntryFor = Callable[[Admission, AdmitOutcome, datetime], bytes]


class HubStore(ABC):
    """Abstract store; implementations must be safe to call from worker threads."""

    @abstractmethod
    def admit(
        self,
        admissions: Sequence[Admission],
        audit_entry_for: AuditEntryFor,
        extra_audit_entries: Sequence[bytes] = (),
        now: datetime | None = None,
    ) -> list[AdmitResult]:
        """Store accepted envelopes, their mailbox entries and every audit entry, atomically.

        ``extra_audit_entries`` are decisions taken before storage (denials);
        they are logged in the same transaction.
        """

    @abstractmethod
    def fetch(
        self,
        recipient: str,
        after_seq: int,
        limit: int,
        audit_entry_for: Callable[[MailboxItem], bytes] | None = None,
    ) -> list[MailboxItem]:
        """Unacknowledged mailbox items of ``recipient`` with seq > after_seq, oldest first.

        Marks them delivered (counting redeliveries) and appends ``audit_entry_for(item)``
        of each, in one durable transaction, before returning them to be sent.
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
    def close(self) -> None: ...
