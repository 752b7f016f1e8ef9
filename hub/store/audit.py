"""The audit-log part of the store contract: checkpoints, cosignatures, filtered reads.

``HubStore`` already appends entries and their Merkle nodes in the same
transaction as the change they record. This contract adds what the audit
service needs on top, implemented by a mixin per backend
(``hub/store/sql/audit.py``, ``hub/store/memory/audit.py``):

* an index of every entry (time, actor, action, the members it concerns, its
  object ids), written by the backend's ``_append`` in the same transaction
  as the leaf, so filters never scan the log;
* checkpoints keyed by tree size: one root per size, ever. Saving a
  checkpoint at a size that already has one returns the stored one;
* witness cosignatures, one per (size, witness), first one kept;
* proofs and roots for any earlier size from stored nodes, in one batched
  read of O(log n) nodes (never by rebuilding the tree).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from hub.core import merkle

__all__ = [
    "AuditLogStore",
    "EntryQuery",
    "StoredCheckpoint",
    "StoredCosignature",
    "object_ref",
    "party_ref",
]

NodeKey = tuple[int, int]

MAX_COSIGNATURES_PER_CHECKPOINT: Final = 64
"""A note carries at most 100 signature lines; the hub keeps room to spare."""


def party_ref(member_id: str) -> str:
    """Index key of "this entry concerns ``member_id``"."""
    return f"p:{member_id}"


def object_ref(object_id: str) -> str:
    """Index key of "this entry names object ``kind:value``"."""
    return f"o:{object_id}"


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A checkpoint as issued: the hub-signed note (body and the hub's line only)."""

    size: int
    root_hash: bytes
    note: str
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    """One witness's cosignature of the checkpoint of ``size``.

    ``signature`` is the note signature payload after the name: 4-byte key ID,
    8-byte big-endian time, 64-byte Ed25519 signature.
    """

    size: int
    witness: str
    signature: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class EntryQuery:
    """Filters of a read; every set field must match (empty = any).

    ``since``/``until`` are entry times in the canonical form
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (fixed width, so text order is time
    order); ``since`` is inclusive, ``until`` exclusive.
    """

    party: str = ""
    actor_id: str = ""
    action: str = ""
    objects: tuple[str, ...] = ()
    since: str = ""
    until: str = ""

    @property
    def refs(self) -> tuple[str, ...]:
        """Posting-list keys, most selective first (objects before the party)."""
        out = tuple(object_ref(o) for o in self.objects)
        return (*out, party_ref(self.party)) if self.party else out


class _RecordingReader:
    """A NodeReader that only notes which nodes the prover asks for."""

    _PLACEHOLDER: Final = bytes(merkle.HASH_SIZE)

    def __init__(self) -> None:
        self.keys: dict[NodeKey, None] = {}

    def get_node(self, level: int, index: int) -> bytes:
        self.keys[(level, index)] = None
        return self._PLACEHOLDER


class _DictReader:
    def __init__(self, nodes: dict[NodeKey, bytes]) -> None:
        self.nodes = nodes

    def get_node(self, level: int, index: int) -> bytes:
        try:
            return self.nodes[(level, index)]
        except KeyError:
            raise KeyError(f"no complete node at level {level}, index {index}") from None


class AuditLogStore(ABC):
    """Audit-log reads and checkpoint storage; mixed into every ``HubStore``."""

    # -- tree -----------------------------------------------------------------------------

    @abstractmethod
    def audit_tree_size(self) -> int:
        """Entries in the log now (a read that never waits for writers where the backend allows)."""

    @abstractmethod
    def audit_nodes(self, keys: Collection[NodeKey]) -> dict[NodeKey, bytes]:
        """Stored complete-subtree hashes for ``keys`` in one read; absent keys are left out."""

    def _batched(self, recorder: _RecordingReader) -> _DictReader:
        return _DictReader(self.audit_nodes(recorder.keys))

    def audit_root(self, size: int) -> bytes:
        """``MTH(D[0:size])`` from O(log n) stored nodes, read in one batch."""
        recorder = _RecordingReader()
        merkle.root(size, recorder)
        return merkle.root(size, self._batched(recorder))

    def audit_inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 ``PATH(index, D[size])`` from O(log n) stored nodes, read in one batch.

        The prover runs twice: once over a reader that only notes which nodes it
        asks for (the nodes depend on ``index`` and ``size``, never on hash
        values), then over those nodes fetched in one query.
        """
        recorder = _RecordingReader()
        merkle.inclusion_proof(index, size, recorder)
        return merkle.inclusion_proof(index, size, self._batched(recorder))

    def audit_consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 ``PROOF(old_size, D[new_size])`` from O(log n) stored nodes, read in one batch."""
        recorder = _RecordingReader()
        merkle.consistency_proof(old_size, new_size, recorder)
        return merkle.consistency_proof(old_size, new_size, self._batched(recorder))

    # -- checkpoints ----------------------------------------------------------------------

    @abstractmethod
    def save_checkpoint(self, checkpoint: StoredCheckpoint) -> StoredCheckpoint:
        """Store a checkpoint unless one exists at its size; return the one stored at that size."""

    @abstractmethod
    def get_checkpoint(self, size: int) -> StoredCheckpoint | None: ...

    @abstractmethod
    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The checkpoint of the largest size, if any."""

    @abstractmethod
    def latest_cosigned_checkpoint(self, witnesses: Collection[str]) -> StoredCheckpoint | None:
        """The checkpoint of the largest size that every one of ``witnesses`` cosigned, if any."""

    @abstractmethod
    def save_cosignature(self, cosignature: StoredCosignature) -> tuple[StoredCosignature, bool]:
        """Store a cosignature unless the witness already cosigned that size.

        Returns the stored cosignature and whether it is new.
        """

    @abstractmethod
    def cosignatures(self, size: int) -> list[StoredCosignature]:
        """Cosignatures of the checkpoint of ``size``, in the order received."""

    @abstractmethod
    def latest_cosigned_size(self, witness: str) -> int | None:
        """Largest checkpoint size ``witness`` cosigned, if any."""

    # -- entries --------------------------------------------------------------------------

    @abstractmethod
    def find_entries(self, query: EntryQuery, start: int, end: int, limit: int) -> list[tuple[int, bytes]]:
        """Entries with index in ``[start, end)`` matching ``query``, in index order, at most ``limit``."""

    @abstractmethod
    def time_bounds(self, since: str, until: str) -> tuple[int, int] | None:
        """``(first, last + 1)`` indexes of the entries timed in ``[since, until)`` (empty = open), if any.

        Lets a time-filtered read walk only that stretch of the log: entry times
        follow the log order closely but not exactly, so this is read from the
        time index, not guessed.
        """

    @abstractmethod
    def entry_concerns(self, index: int, party: str) -> bool:
        """Whether the entry at ``index`` concerns ``party`` (see ``hub.core.audit_index``)."""

    @abstractmethod
    def reindex_audit(self) -> int:
        """Index entries appended before the index existed; returns how many were indexed."""
