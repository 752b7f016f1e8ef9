"""``DirectoryChangeStore`` in memory (tests and throwaway hubs)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from hub.store.directory_changes import DirectoryChangeStore, StoredDirectoryChange


class MemoryDirectoryChangeMixin(DirectoryChangeStore):
    """Needs the store's ``_lock`` and ``_append`` (``MemoryHubStore``)."""

    if TYPE_CHECKING:
        _lock: threading.Lock

        def _append(self, entries: Sequence[bytes]) -> None: ...

    def _changes(self) -> list[StoredDirectoryChange]:
        """Created on first use (callers hold ``_lock``)."""
        changes: list[StoredDirectoryChange] | None = self.__dict__.get("_directory_changes")
        if changes is None:
            changes = []
            self.__dict__["_directory_changes"] = changes
        return changes

    def record_directory_change(
        self, change: StoredDirectoryChange, after_sequence: int, audit_entry: bytes
    ) -> int | None:
        with self._lock:
            changes = self._changes()
            if len(changes) != after_sequence:
                return None
            changes.append(replace(change, sequence=after_sequence + 1))
            self._append([audit_entry])
            return after_sequence + 1

    def directory_changes(self, after_sequence: int = 0) -> list[StoredDirectoryChange]:
        with self._lock:
            return list(self._changes()[after_sequence:])

    def directory_sequence(self) -> int:
        with self._lock:
            return len(self._changes())
