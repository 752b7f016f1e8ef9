"""Recompute the log's tree on the auditor's side, from entries alone.

An auditor trusts no hash the hub sends except those a checked signature
covers, so it rebuilds what it needs from the entry bytes:

* :func:`mth` folds a list of leaf hashes into the RFC 9162 root, level by
  level (the verifier's hot path);
* :class:`LevelTree` holds every complete subtree hash of a list of leaves
  (the same nodes the hub stores, fewer than 2n), so the root of any prefix
  and any inclusion or consistency proof comes from ``hub.core.merkle`` in
  O(log n) — what the export and the search for a first bad entry need.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from hub.core import merkle

__all__ = ["LevelTree", "mth"]


def mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 ``MTH`` of a list of leaf hashes, level by level.

    Pairing neighbours left to right and carrying an odd last node up
    unchanged builds exactly the RFC's left-balanced tree; list
    comprehensions keep the million-leaf case fast.
    """
    if not leaves:
        return merkle.EMPTY_ROOT
    level = list(leaves)
    sha256 = hashlib.sha256
    while len(level) > 1:
        paired = [sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


class LevelTree:
    """Every complete subtree hash of ``leaves``, level by level; a ``merkle.NodeReader``."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        levels: list[list[bytes]] = [list(leaves)]
        node = merkle.node_hash
        while len(levels[-1]) >= 2:
            below = levels[-1]
            levels.append([node(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
        self._levels = levels

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def get_node(self, level: int, index: int) -> bytes:
        try:
            if level < 0 or index < 0:
                raise IndexError
            return self._levels[level][index]
        except IndexError:
            raise KeyError(f"no complete node at level {level}, index {index}") from None

    def root(self, size: int | None = None) -> bytes:
        return merkle.root(self.size if size is None else size, self)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return merkle.inclusion_proof(index, self.size if size is None else size, self)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return merkle.consistency_proof(old_size, self.size if new_size is None else new_size, self)
