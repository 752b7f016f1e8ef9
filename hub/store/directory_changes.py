"""Stored directory changes: signed key announcements and status changes, in one linear order.

The hub's directory is the federation manifest plus these changes, replayed
in sequence order at start and polled by every replica, so all replicas serve
the same directory. A change is stored with its audit entry in one
transaction, and only on top of the sequence number the caller last applied
(compare-and-set): two replicas can never both accept conflicting changes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

KEY_ANNOUNCEMENT = "key_announcement"
STATUS_CHANGE = "status_change"
#: A join or a certificate renewal (AdmitMemberRequest).
MEMBER_ADMISSION = "member_admission"
CERTIFICATE_REVOCATION = "certificate_revocation"


@dataclass(frozen=True)
class StoredDirectoryChange:
    """The exact request bytes the hub accepted, as of ``recorded_at`` (hub clock)."""

    sequence: int  # 1, 2, ... in the order the changes apply; 0 before storing
    kind: str  # KEY_ANNOUNCEMENT, STATUS_CHANGE, MEMBER_ADMISSION or CERTIFICATE_REVOCATION
    member_id: str  # whose entry changes
    request: bytes  # the serialised request (AnnounceKey..., SetMemberStatus..., AdmitMember..., Revoke...)
    recorded_at: datetime


class DirectoryChangeStore(ABC):
    @abstractmethod
    def record_directory_change(
        self, change: StoredDirectoryChange, after_sequence: int, audit_entry: bytes
    ) -> int | None:
        """Store ``change`` as number ``after_sequence + 1`` with its audit entry, in one transaction.

        Returns the new sequence number, or None (nothing stored) when another
        change was stored after ``after_sequence`` meanwhile: the caller
        catches up and checks again.
        """

    @abstractmethod
    def directory_changes(self, after_sequence: int = 0) -> list[StoredDirectoryChange]:
        """Every change with a sequence number above ``after_sequence``, in order."""

    @abstractmethod
    def directory_sequence(self) -> int:
        """The highest stored sequence number (0 when none): a cheap check for replicas."""
