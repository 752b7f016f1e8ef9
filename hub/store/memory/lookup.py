"""``LookupStore`` in memory (tests and throwaway hubs), mixed into ``MemoryHubStore``.

Same contract as the SQL mixin, under the store's ``_lock``, with audit entries appended by the
store's ``_append``. Tokens are held twice, by (epoch, token) for lookups and by (member, handle)
for removal, with a count per (epoch, member), so no call scans every token but a new epoch's.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hub.store.lookup import LookupStore, StoredEpoch, StoredMatch, TokenRow, own_tokens

# (epoch, kind, token) under a (member, handle); (member, handle, kind) under an (epoch, token).
_Held = tuple[int, int, bytes]
_Holder = tuple[str, str, int]


@dataclass
class _LookupState:
    epochs: dict[int, StoredEpoch] = field(default_factory=dict)
    by_handle: dict[tuple[str, str], set[_Held]] = field(default_factory=dict)
    by_token: dict[tuple[int, bytes], set[_Holder]] = field(default_factory=dict)
    counts: Counter[tuple[int, str]] = field(default_factory=Counter)
    matches: dict[str, StoredMatch] = field(default_factory=dict)

    def add(self, epoch: int, row: TokenRow) -> bool:
        """Hold ``row`` in ``epoch``; False when it is held already."""
        held = self.by_handle.setdefault((row.member_id, row.record_handle), set())
        key = (epoch, row.kind, row.token)
        if key in held:
            return False
        held.add(key)
        self.by_token.setdefault((epoch, row.token), set()).add((row.member_id, row.record_handle, row.kind))
        self.counts[(epoch, row.member_id)] += 1
        return True

    def remove(self, member_id: str, handle: str) -> int:
        """Drop every token of (member, handle), of every epoch; returns how many."""
        held = self.by_handle.pop((member_id, handle), set())
        for epoch, kind, token in held:
            holders = self.by_token[(epoch, token)]
            holders.discard((member_id, handle, kind))
            if not holders:
                del self.by_token[(epoch, token)]
            self.counts[(epoch, member_id)] -= 1
        return len(held)

    def handles_of(self, member_id: str) -> list[str]:
        return [handle for member, handle in self.by_handle if member == member_id]

    def drop_epochs_before(self, epoch: int) -> None:
        for key, held in list(self.by_handle.items()):
            kept = {h for h in held if h[0] >= epoch}
            if kept:
                self.by_handle[key] = kept
            else:
                del self.by_handle[key]
        self.by_token = {k: v for k, v in self.by_token.items() if k[0] >= epoch}
        self.counts = Counter({k: v for k, v in self.counts.items() if k[0] >= epoch})


class MemoryLookupMixin(LookupStore):
    """Needs the store's ``_lock`` and ``_append`` (``MemoryHubStore``)."""

    if TYPE_CHECKING:
        _lock: threading.Lock

        def _append(self, entries: Sequence[bytes]) -> None: ...

    def _lookup_state(self) -> _LookupState:
        """Created on first use (callers hold ``_lock``)."""
        state: _LookupState | None = self.__dict__.get("_lookup_state_data")
        if state is None:
            state = _LookupState()
            self.__dict__["_lookup_state_data"] = state
        return state

    # -- epochs ------------------------------------------------------------------------------

    def current_epoch(self) -> StoredEpoch | None:
        with self._lock:
            epochs = self._lookup_state().epochs
            return epochs[max(epochs)] if epochs else None

    def get_epoch(self, epoch: int) -> StoredEpoch | None:
        with self._lock:
            return self._lookup_state().epochs.get(epoch)

    def publish_epoch(self, epoch: StoredEpoch, audit_entry: bytes) -> bool:
        with self._lock:
            state = self._lookup_state()
            if epoch.epoch != max(state.epochs, default=0) + 1:
                return False
            state.epochs[epoch.epoch] = epoch
            state.drop_epochs_before(epoch.epoch - 1)
            self._append([audit_entry])
            return True

    # -- tokens ------------------------------------------------------------------------------

    def publish_tokens(
        self,
        member_id: str,
        epoch: int,
        add: Sequence[TokenRow],
        remove_handles: Sequence[str],
        replace_all: bool,
        audit_entry: bytes,
    ) -> tuple[int, int, int]:
        own_tokens(member_id, add)
        with self._lock:
            state = self._lookup_state()
            handles = state.handles_of(member_id) if replace_all else dict.fromkeys(remove_handles)
            removed = sum(state.remove(member_id, handle) for handle in handles)
            added = sum(state.add(epoch, row) for row in add)
            self._append([audit_entry])
            return added, removed, state.counts[(epoch, member_id)]

    def find_tokens(self, epoch: int, tokens: Sequence[bytes], exclude_member: str) -> list[TokenRow]:
        with self._lock:
            by_token = self._lookup_state().by_token
            found = [
                TokenRow(member, handle, kind, token)
                for token in set(tokens)
                for member, handle, kind in by_token.get((epoch, token), ())
                if member != exclude_member
            ]
        return sorted(found, key=lambda r: (r.member_id, r.record_handle, r.kind, r.token))

    def token_counts(self, epoch: int) -> dict[str, int]:
        with self._lock:
            return {member: n for (e, member), n in self._lookup_state().counts.items() if e == epoch and n}

    # -- lookups -----------------------------------------------------------------------------

    def record_lookup(self, matches: Sequence[StoredMatch], audit_entry: bytes) -> None:
        with self._lock:
            self._lookup_state().matches.update((m.match_ref, m) for m in matches)
            self._append([audit_entry])

    def get_match(self, match_ref: str) -> StoredMatch | None:
        with self._lock:
            return self._lookup_state().matches.get(match_ref)
