"""The store contract for policy versions, consents, revocation notices and lineage.

Mixed into ``SqlHubStore`` and ``MemoryHubStore`` beside ``HubStore``; one
shared suite (tests/test_store_policy_consent.py) runs against both. As
everywhere in the store, each method is one transaction and the audit
entries it is given commit with the change they record.
"""

from __future__ import annotations

import enum
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "AttestOutcome",
    "ChangeOutcome",
    "LineageRecord",
    "NoticeItem",
    "PolicyConsentStore",
    "RecipientTrace",
    "RegisterOutcome",
    "StoredConsent",
    "StoredEvent",
    "StoredPolicy",
    "WithdrawalEffect",
    "notice_id",
]

# Stored consent states (pxhub.v1.ConsentState numbers; EXPIRED is never stored, it is derived).
GIVEN = 1


class RegisterOutcome(enum.Enum):
    REGISTERED = "registered"
    # Same consent id, same signed bytes: nothing changed.
    DUPLICATE = "duplicate"
    # Same consent id, other bytes: refused (a change is a new record).
    CONFLICT = "conflict"


class ChangeOutcome(enum.Enum):
    CHANGED = "changed"
    NOT_FOUND = "not_found"
    # The stored state is no longer GIVEN (already withdrawn or revoked).
    NOT_GIVEN = "not_given"


def deleted_at_its_date(delete_at: datetime | None, handed: bool, now: datetime) -> bool:
    """Whether a recipient may attest deleting a record with no notice: it was handed the record
    and the record's review-or-delete date has come."""
    return handed and delete_at is not None and delete_at <= now


class AttestOutcome(enum.Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    # No revocation notice was sent to that member about that record, and its review-or-delete
    # date has not come (or it was never handed to them).
    NO_NOTICE = "no_notice"
    # The header digest is not the delivered envelope's.
    MISMATCH = "mismatch"


@dataclass(frozen=True, slots=True)
class StoredPolicy:
    version: int
    policy: bytes
    # Serialised pxhub.v1.Signature.
    signature: bytes
    published_at: datetime


@dataclass(frozen=True, slots=True)
class StoredEvent:
    sequence: int
    # Serialised ConsentEvent (the signed bytes) and serialised Signature.
    event: bytes
    signature: bytes
    state: int
    at: datetime


@dataclass(frozen=True, slots=True)
class StoredConsent:
    consent_id: str
    controller: str
    subject_pseudonym: str
    # Serialised ConsentRecord (the signed bytes) and serialised Signature.
    record: bytes
    signature: bytes
    state: int
    registered_at: datetime
    events: tuple[StoredEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class WithdrawalEffect:
    """What a withdrawal or revocation did to the records sent under the consent."""

    consent_id: str
    # Envelopes whose ciphertext was dropped (nothing undelivered remains).
    purged: tuple[str, ...] = ()
    # (notice id, recipient, message id) queued for members that received a record.
    notices: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class NoticeItem:
    notice_id: str
    recipient: str
    message_id: str
    header_sha256: bytes
    consent_id: str
    controller: str
    event: bytes
    event_signature: bytes
    issued_at: datetime
    delivered_count: int


@dataclass(frozen=True, slots=True)
class RecipientTrace:
    recipient: str
    delivery_count: int
    first_delivered_at: datetime | None
    acknowledged_at: datetime | None
    # The recipient's signed DeliveryReceipt bytes, once acknowledged.
    receipt: bytes | None
    # Withdrawn before this recipient ever received it.
    cancelled: bool
    notified_at: datetime | None
    attested_at: datetime | None
    deletion_status: int


@dataclass(frozen=True, slots=True)
class LineageRecord:
    message_id: str
    sender: str
    payload_kind: int
    purpose: int
    consent_id: str
    accepted_at: datetime
    purged_at: datetime | None
    recipients: tuple[RecipientTrace, ...]
    # The header's review_or_delete_at, if it had one.
    delete_at: datetime | None = None


def notice_id(message_id: str, recipient: str) -> str:
    """Deterministic notice id: one notice per (record, recipient), whatever retries happen."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pxhub:revocation-notice:{message_id}:{recipient}"))


# Builds the audit entries for a withdrawal once its effect is known (inside the transaction).
WithdrawalEntries = Callable[[WithdrawalEffect], Sequence[bytes]]


class PolicyConsentStore(ABC):
    """Policy versions, consent records and events, revocation notices, deletion attestations, lineage."""

    # -- policy ------------------------------------------------------------------------------

    @abstractmethod
    def publish_policy(self, stored: StoredPolicy, audit_entry: bytes) -> bool:
        """Store a new version if it is greater than every stored one (False, nothing stored, if not)."""

    @abstractmethod
    def current_policy(self) -> StoredPolicy | None:
        """The highest stored version."""

    @abstractmethod
    def policy_version(self) -> int:
        """The highest stored version number (0 when none): a cheap check for cached policies."""

    # -- consents ----------------------------------------------------------------------------

    @abstractmethod
    def register_consent(self, consent: StoredConsent, audit_entry: bytes) -> RegisterOutcome:
        """Store a verified consent record; the audit entry commits only when REGISTERED."""

    @abstractmethod
    def get_consent(self, consent_id: str) -> StoredConsent | None: ...

    @abstractmethod
    def get_consents(self, consent_ids: Sequence[str]) -> list[StoredConsent]:
        """The registered ones among ``consent_ids``, in that order (unknown ids are left out)."""

    @abstractmethod
    def consents_for_subject(self, controller: str, subject_pseudonym: str) -> list[StoredConsent]:
        """The controller's consents for one subject, oldest first."""

    @abstractmethod
    def change_consent_state(
        self, consent_id: str, event: StoredEvent, audit_entries_for: WithdrawalEntries, now: datetime
    ) -> tuple[ChangeOutcome, WithdrawalEffect]:
        """Record a withdrawal or revocation and apply it, atomically.

        Only from the stored state GIVEN. Every envelope sent under the
        consent loses its ciphertext (so nothing undelivered is ever
        delivered), and each recipient that was handed it (delivered or
        acknowledged) gets one revocation notice per record.
        """

    @abstractmethod
    def sweep_withdrawn(
        self, consent_id: str, audit_entries_for: WithdrawalEntries, now: datetime
    ) -> WithdrawalEffect:
        """Apply a past withdrawal again (idempotent); a no-op while the consent is GIVEN.

        Closes the race of a submission decided just before a withdrawal and
        stored just after it.
        """

    # -- notices and attestations ------------------------------------------------------------

    @abstractmethod
    def pending_notices(self, recipient: str, limit: int) -> list[NoticeItem]:
        """Unattested notices of ``recipient``, oldest first; counts the delivery."""

    @abstractmethod
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
        """Record a signed deletion attestation answering a notice; the entry commits only if recorded.

        Without a notice, a recipient the record was handed to may attest once the record's
        review-or-delete date is at or before ``now`` (``deleted_at_its_date``): the attestation is
        kept in a notice row of its own (no consent), so lineage shows it like any other."""

    # -- lineage -----------------------------------------------------------------------------

    @abstractmethod
    def lineage(self, message_id: str) -> LineageRecord | None:
        """Who received a record, who acknowledged, who was notified and who attested deletion."""

    @abstractmethod
    def lineages_for_consent(self, consent_id: str) -> list[LineageRecord]:
        """Lineage of every record accepted under a consent, oldest first."""
