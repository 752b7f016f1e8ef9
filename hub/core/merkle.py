"""RFC 9162 Merkle tree math for the audit log (SHA-256), with no I/O.

The log keeps every *complete* (perfect) subtree hash, addressed by
``(level, index)``: level 0 holds the leaf hashes, and node ``(level, index)``
covers leaves ``[index * 2**level, (index + 1) * 2**level)``. A tree of ``n``
leaves has fewer than ``2n`` such nodes, and each is written once, when the
leaf that completes it is appended (:func:`nodes_to_store`). Every hash the
RFC algorithms need is then a fold of at most ``log2(n)`` stored nodes, so
roots and proofs for *any* earlier tree size cost ``O(log n)`` reads and the
tree is never rebuilt.

Two halves live here on purpose:

* the **prover** (:func:`root`, :func:`inclusion_proof`,
  :func:`consistency_proof`) walks the RFC 9162 recursion (``MTH``, ``PATH``,
  ``SUBPROOF``) top-down over stored nodes;
* the **verifier** (:func:`verify_inclusion`, :func:`verify_consistency`) is
  a literal transcription of RFC 9162 §2.1.3.2 and §2.1.4.2. It uses only
  :func:`node_hash` and shares no code with the prover, so a bug in one
  cannot hide a bug in the other, and an auditor tool can rely on it alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Final, Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryNodeStore",
    "NodeReader",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "nodes_to_store",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE: Final = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"

EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
"""``MTH({})``: the root of the empty tree (RFC 9162 §2.1.1)."""


def leaf_hash(entry: bytes) -> bytes:
    """Return ``SHA-256(0x00 || entry)``; the prefix keeps leaves apart from nodes."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return ``SHA-256(0x01 || left || right)``, the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


class ProofError(ValueError):
    """A proof did not verify, or its parameters are impossible."""


# --------------------------------------------------------------------------
# Storage model
# --------------------------------------------------------------------------


class NodeReader(Protocol):
    """Read access to stored complete subtree hashes."""

    def get_node(self, level: int, index: int) -> bytes:
        """Return the hash of the perfect subtree ``(level, index)``; raise if absent."""
        ...


def nodes_to_store(
    index: int, leaf: bytes, get_node: Callable[[int, int], bytes]
) -> list[tuple[int, int, bytes]]:
    """Return the nodes completed by appending ``leaf`` at ``index``, leaf first.

    ``get_node`` must answer for the left siblings, all of which were stored by
    earlier appends; the caller writes the returned ``(level, index, hash)``
    rows in the same transaction as the leaf so the store never holds a leaf
    without its parents.
    """
    if index < 0:
        raise ValueError(f"leaf index must be >= 0, got {index}")
    if len(leaf) != HASH_SIZE:
        raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf)}")
    out = [(0, index, leaf)]
    level, i, h = 0, index, leaf
    while i & 1:  # a right child completes its parent
        h = node_hash(get_node(level, i - 1), h)
        level, i = level + 1, i >> 1
        out.append((level, i, h))
    return out


class MemoryNodeStore:
    """A dict-backed :class:`NodeReader` for tests, benchmarks and tools."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._size = 0

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def get_node(self, level: int, index: int) -> bytes:
        """Return a stored complete node; ``KeyError`` names the missing one."""
        try:
            return self._nodes[(level, index)]
        except KeyError:
            raise KeyError(f"no complete node at level {level}, index {index}") from None

    def append(self, leaf: bytes) -> int:
        """Append a leaf *hash* and return its index."""
        index = self._size
        for level, i, h in nodes_to_store(index, leaf, self.get_node):
            self._nodes[(level, i)] = h
        self._size = index + 1
        return index


# --------------------------------------------------------------------------
# Prover
# --------------------------------------------------------------------------


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``): the RFC's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """``MTH(D[start:end])`` for a range the RFC recursion produces.

    Such a range starts at a multiple of the smallest power of two not below
    its length, so it splits, left to right, into perfect subtrees whose
    sizes are the set bits of ``end - start``; ``MTH`` folds them from the
    right. That is one read per set bit.
    """
    size = end - start
    parts: list[bytes] = []
    pos = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            parts.append(reader.get_node(level, pos >> level))
            pos += 1 << level
    h = parts.pop()
    while parts:
        h = node_hash(parts.pop(), h)
    return h


def _check_size(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def root(size: int, reader: NodeReader) -> bytes:
    """Return ``MTH(D[0:size])``; ``EMPTY_ROOT`` for the empty tree."""
    _check_size("size", size)
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(reader, 0, size)


def inclusion_proof(index: int, size: int, reader: NodeReader) -> list[bytes]:
    """Return ``PATH(index, D[0:size])`` (RFC 9162 §2.1.3.1), nearest sibling first."""
    _check_size("index", index)
    _check_size("size", size)
    if index >= size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            path.append(_range_hash(reader, mid, hi))
            hi = mid
        else:
            path.append(_range_hash(reader, lo, mid))
            lo = mid
    path.reverse()
    return path


def consistency_proof(old_size: int, new_size: int, reader: NodeReader) -> list[bytes]:
    """Return ``PROOF(old_size, D[0:new_size])`` (RFC 9162 §2.1.4.1).

    This is ``SUBPROOF(m, D[n], true)``: when the old tree is itself a
    complete subtree of the new one its root is left out, because the
    verifier already holds it. Equal sizes give the empty proof. RFC 9162
    defines no proof from the empty tree (every tree extends it), so
    ``old_size == 0`` is refused rather than answered with something a
    verifier would have to special-case.
    """
    _check_size("old_size", old_size)
    _check_size("new_size", new_size)
    if old_size > new_size:
        raise ValueError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        return []
    if old_size == 0:
        raise ValueError("no consistency proof exists from the empty tree (old size 0)")
    proof: list[bytes] = []
    lo, hi, whole = 0, new_size, True  # ``whole`` is the RFC's flag b
    while old_size != hi:
        mid = lo + _split(hi - lo)
        if old_size <= mid:
            proof.append(_range_hash(reader, mid, hi))
            hi = mid
        else:
            proof.append(_range_hash(reader, lo, mid))
            lo, whole = mid, False
    if not whole:
        proof.append(_range_hash(reader, lo, hi))
    proof.reverse()
    return proof


# --------------------------------------------------------------------------
# Verifier: RFC 9162 §2.1.3.2 and §2.1.4.2, step by step
# --------------------------------------------------------------------------


def _check_hash(what: str, value: bytes) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        got = len(value) if isinstance(value, bytes | bytearray) else type(value).__name__
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, got {got}")


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProofError(f"{name} must be a non-negative int, got {value!r}")


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree ``(size, root)``.

    Returns ``None`` on success and raises :class:`ProofError` otherwise.
    ``size`` and ``root`` must come from the same signed checkpoint: the RFC
    algorithm checks the proof against the *shape* of a tree of ``size``
    leaves, and trees of different sizes can share a shape for one leaf.
    """
    _check_count("leaf index", index)
    _check_count("tree size", size)
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root hash", root)
    for i, p in enumerate(proof):
        _check_hash(f"inclusion proof component {i}", p)
    # 1. The index must fall inside the tree.
    if index >= size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    # 2.-3.
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    # 4.
    for p in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof has too many components ({len(proof)})")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn != 0 and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    # 5.
    if sn != 0:
        raise ProofError(f"inclusion proof has too few components ({len(proof)})")
    if r != root:
        raise ProofError("inclusion proof does not lead to the expected root hash")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``(new_size, new_root)`` extends ``(old_size, old_root)``.

    Returns ``None`` on success and raises :class:`ProofError` otherwise.
    Equal sizes need an empty proof and equal roots. An old size of 0 is
    refused: RFC 9162 defines no such proof, and a caller that trusts
    nothing yet has nothing to check.
    """
    if _trivial_consistency(old_size, new_size, old_root, new_root, proof):
        return
    # 1.
    if not proof:
        raise ProofError("consistency proof is empty")
    # 2. A complete old tree is a node of the new one; its root starts the path.
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    # 3.
    fn, sn = old_size - 1, new_size - 1
    # 4.
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof has too many components ({len(proof)})")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn != 0 and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # 7.
    if sn != 0:
        raise ProofError(f"consistency proof has too few components ({len(proof)})")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root hash")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root hash")


def _trivial_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check inputs and the cases outside the RFC algorithm; True if already verified."""
    _check_count("old size", old_size)
    _check_count("new size", new_size)
    _check_hash("old root hash", old_root)
    _check_hash("new root hash", new_root)
    for i, c in enumerate(proof):
        _check_hash(f"consistency proof component {i}", c)
    if old_size > new_size:
        raise ProofError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("trees of equal size need an empty consistency proof")
        if old_root != new_root:
            raise ProofError(f"two different root hashes for the same tree size {old_size}")
        return True
    if old_size == 0:
        raise ProofError("no consistency proof exists from the empty tree (old size 0)")
    return False
