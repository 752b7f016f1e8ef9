"""In-memory side of the audit-log store, mixed into ``MemoryHubStore``.

Same contract as the SQL mixin: ``MemoryHubStore._append`` calls
:meth:`MemoryAuditMixin._index_appended` under the store lock, so an entry
and its index change together. Posting lists are index-ordered Python lists
searched with ``bisect``.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hub.core.audit_index import index_terms
from hub.store.audit import (
    MAX_COSIGNATURES_PER_CHECKPOINT,
    AuditLogStore,
    EntryQuery,
    NodeKey,
    StoredCheckpoint,
    StoredCosignature,
    object_ref,
    party_ref,
)


@dataclass
class _AuditState:
    times: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    refs: dict[str, list[int]] = field(default_factory=dict)
    by_actor: dict[str, list[int]] = field(default_factory=dict)
    by_action: dict[str, list[int]] = field(default_factory=dict)
    checkpoints: dict[int, StoredCheckpoint] = field(default_factory=dict)
    cosignatures: dict[int, dict[str, StoredCosignature]] = field(default_factory=dict)
    witness_latest: dict[str, int] = field(default_factory=dict)


class MemoryAuditMixin(AuditLogStore):
    """``AuditLogStore`` in memory; needs ``_lock``, ``_entries`` and ``_nodes`` of the store."""

    if TYPE_CHECKING:
        _lock: threading.Lock
        _entries: list[bytes]
        _nodes: dict[tuple[int, int], bytes]

    def _audit_state(self) -> _AuditState:
        """The index and checkpoint state; created on first use (callers hold ``_lock``)."""
        state: _AuditState | None = self.__dict__.get("_audit_state_data")
        if state is None:
            state = _AuditState()
            self.__dict__["_audit_state_data"] = state
        return state

    def _index_appended(self, first: int, entries: Sequence[bytes]) -> None:
        state = self._audit_state()
        for offset, entry in enumerate(entries):
            index = first + offset
            terms = index_terms(entry)
            state.times.append(terms.time)
            state.actors.append(terms.actor_id)
            state.actions.append(terms.action)
            state.by_actor.setdefault(terms.actor_id, []).append(index)
            state.by_action.setdefault(terms.action, []).append(index)
            for ref in (*(party_ref(p) for p in terms.parties), *(object_ref(o) for o in terms.objects)):
                state.refs.setdefault(ref, []).append(index)

    def reindex_audit(self) -> int:
        with self._lock:
            state = self._audit_state()
            first = len(state.times)
            missing = self._entries[first:]
            self._index_appended(first, missing)
            return len(missing)

    # -- tree -------------------------------------------------------------------------------

    def audit_tree_size(self) -> int:
        with self._lock:
            return len(self._entries)

    def audit_nodes(self, keys: Collection[NodeKey]) -> dict[NodeKey, bytes]:
        with self._lock:
            return {k: self._nodes[k] for k in keys if k in self._nodes}

    # -- checkpoints ------------------------------------------------------------------------

    def save_checkpoint(self, checkpoint: StoredCheckpoint) -> StoredCheckpoint:
        with self._lock:
            return self._audit_state().checkpoints.setdefault(checkpoint.size, checkpoint)

    def get_checkpoint(self, size: int) -> StoredCheckpoint | None:
        with self._lock:
            return self._audit_state().checkpoints.get(size)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self._lock:
            checkpoints = self._audit_state().checkpoints
            return checkpoints[max(checkpoints)] if checkpoints else None

    def latest_cosigned_checkpoint(self, witnesses: Collection[str]) -> StoredCheckpoint | None:
        names = set(witnesses)
        with self._lock:
            state = self._audit_state()
            sizes = [
                size
                for size, held in state.cosignatures.items()
                if names <= set(held) and size in state.checkpoints
            ]
            if not names:
                sizes = list(state.checkpoints)
            return state.checkpoints[max(sizes)] if sizes else None

    def save_cosignature(self, cosignature: StoredCosignature) -> tuple[StoredCosignature, bool]:
        with self._lock:
            state = self._audit_state()
            held = state.cosignatures.setdefault(cosignature.size, {})
            existing = held.get(cosignature.witness)
            if existing is not None:
                return existing, False
            if len(held) >= MAX_COSIGNATURES_PER_CHECKPOINT:
                raise ValueError(f"checkpoint {cosignature.size} already has {len(held)} cosignatures")
            held[cosignature.witness] = cosignature
            latest = state.witness_latest.get(cosignature.witness, -1)
            state.witness_latest[cosignature.witness] = max(latest, cosignature.size)
            return cosignature, True

    def cosignatures(self, size: int) -> list[StoredCosignature]:
        with self._lock:
            return list(self._audit_state().cosignatures.get(size, {}).values())

    def latest_cosigned_size(self, witness: str) -> int | None:
        with self._lock:
            return self._audit_state().witness_latest.get(witness)

    # -- entries ----------------------------------------------------------------------------

    def find_entries(self, query: EntryQuery, start: int, end: int, limit: int) -> list[tuple[int, bytes]]:
        with self._lock:
            state = self._audit_state()
            end = min(end, len(state.times))
            if start >= end or limit <= 0:
                return []
            lists: list[list[int]] = [state.refs.get(ref, []) for ref in query.refs]
            if query.actor_id:
                lists.append(state.by_actor.get(query.actor_id, []))
            if query.action:
                lists.append(state.by_action.get(query.action, []))
            sets = [set(lst) for lst in sorted(lists, key=len)[1:]]
            candidates: Sequence[int]
            if lists:
                driver = min(lists, key=len)
                candidates = driver[bisect_left(driver, start) :]
            else:
                candidates = range(start, end)
            found: list[tuple[int, bytes]] = []
            for index in candidates:
                if index >= end:
                    break
                if any(index not in s for s in sets):
                    continue
                time = state.times[index]
                if (query.since and time < query.since) or (query.until and time >= query.until):
                    continue
                found.append((index, self._entries[index]))
                if len(found) >= limit:
                    break
            return found

    def time_bounds(self, since: str, until: str) -> tuple[int, int] | None:
        with self._lock:
            inside = [
                i
                for i, t in enumerate(self._audit_state().times)
                if t and (not since or t >= since) and (not until or t < until)
            ]
        return (inside[0], inside[-1] + 1) if inside else None

    def entry_concerns(self, index: int, party: str) -> bool:
        with self._lock:
            postings = self._audit_state().refs.get(party_ref(party), [])
            position = bisect_left(postings, index)
            return position < len(postings) and postings[position] == index
