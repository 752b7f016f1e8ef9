"""The store contract for lookups: matching-key epochs, members' tokens, lookups and their hits.

Mixed into ``SqlHubStore`` and ``MemoryHubStore`` beside ``HubStore``; one shared suite
(tests/test_store_lookup.py) runs against both. Each method is one transaction, and the audit
entry it is given commits with the change it records. The store holds tokens, opaque record
handles and sealed key copies only: nothing in it names a person.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["LookupStore", "StoredEpoch", "StoredMatch", "TokenRow", "own_tokens"]


@dataclass(frozen=True, slots=True)
class StoredEpoch:
    """A matching-key epoch as its issuer signed it (serialised ``SignedMatchingKey``)."""

    epoch: int
    issuer: str
    signed: bytes
    published_at: datetime


@dataclass(frozen=True, slots=True)
class TokenRow:
    """One published token: whose record (an opaque handle) and what it was derived from."""

    member_id: str
    record_handle: str
    kind: int  # pxhub.v1.MatchKind
    token: bytes


@dataclass(frozen=True, slots=True)
class StoredMatch:
    """A hit handed to an asker: ``match_ref`` names (holder, record handle) for a later REQUEST."""

    match_ref: str
    lookup_id: str
    asker: str
    holder: str
    record_handle: str
    kind: int
    created_at: datetime
    expires_at: datetime


def own_tokens(member_id: str, add: Sequence[TokenRow]) -> None:
    """Refuse a publish that would store tokens under another member than the one publishing."""
    others = sorted({row.member_id for row in add} - {member_id})
    if others:
        raise ValueError(f"tokens of {', '.join(others)} in a publish of {member_id}")


class LookupStore(ABC):
    @abstractmethod
    def current_epoch(self) -> StoredEpoch | None:
        """The epoch with the highest number, or None before the first."""

    @abstractmethod
    def get_epoch(self, epoch: int) -> StoredEpoch | None:
        """One epoch by number."""

    @abstractmethod
    def publish_epoch(self, epoch: StoredEpoch, audit_entry: bytes) -> bool:
        """Store ``epoch`` if it is the current epoch plus one (1 when there is none), with its audit
        entry, and delete every token of an older epoch than the one it replaces (members republish).

        False, and nothing stored, when another epoch was published meanwhile.
        """

    @abstractmethod
    def publish_tokens(
        self,
        member_id: str,
        epoch: int,
        add: Sequence[TokenRow],
        remove_handles: Sequence[str],
        replace_all: bool,
        audit_entry: bytes,
    ) -> tuple[int, int, int]:
        """Change ``member_id``'s tokens in one transaction: first every token of the member
        (``replace_all``) or of ``remove_handles`` (every epoch) is removed, then ``add`` (all of
        ``member_id``, of ``epoch``) is stored; a (member, handle, kind, token) already held is not
        stored twice. Returns (added, removed, held: the member's tokens of ``epoch`` after it)."""

    @abstractmethod
    def find_tokens(self, epoch: int, tokens: Sequence[bytes], exclude_member: str) -> list[TokenRow]:
        """Every stored token of ``epoch`` equal to one of ``tokens``, of members other than
        ``exclude_member`` (a read; the asker's own records are never matched), each once, in
        (member, handle, kind, token) order."""

    @abstractmethod
    def token_counts(self, epoch: int) -> dict[str, int]:
        """Tokens held per member in ``epoch`` (members with none are absent)."""

    @abstractmethod
    def record_lookup(self, matches: Sequence[StoredMatch], audit_entry: bytes) -> None:
        """Store a lookup's hits (their match references) with its audit entry, in one transaction."""

    @abstractmethod
    def get_match(self, match_ref: str) -> StoredMatch | None:
        """The hit a match reference names (expired ones too; the caller checks the time)."""
