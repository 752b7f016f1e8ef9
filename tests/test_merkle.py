"""RFC 9162 Merkle math: prover and verifier against a naive recursive reference.

The reference below is the RFC's own recursive definitions (MTH, PATH,
SUBPROOF) over the raw entries, with its own hashing, so it shares no code
with ``hub.core.merkle``. The prover must reproduce it byte for byte; the
verifier must accept every honest proof and refuse every mutated one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from functools import cache, partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core.merkle import (
    EMPTY_ROOT,
    MemoryNodeStore,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    nodes_to_store,
    root,
    verify_consistency,
    verify_inclusion,
)

N = 2000  # largest tree size the property tests draw
STORE_SIZE = 2 * N  # mutated sizes go up to 2N


# --------------------------------------------------------------------------
# Reference: RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1, literally
# --------------------------------------------------------------------------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """Largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


ENTRIES = [f"pxhub test entry {i}".encode() for i in range(STORE_SIZE)]


@cache
def ref_mth(lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi])."""
    n = hi - lo
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + ENTRIES[lo])
    k = _k(n)
    return _sha256(b"\x01" + ref_mth(lo, lo + k) + ref_mth(lo + k, hi))


def ref_path(m: int, lo: int, hi: int) -> list[bytes]:
    """PATH(m, D[lo:hi]) with m relative to lo."""
    n = hi - lo
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, lo, lo + k), ref_mth(lo + k, hi)]
    return [*ref_path(m - k, lo + k, hi), ref_mth(lo, lo + k)]


def ref_subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b) with m relative to lo."""
    n = hi - lo
    if m == n:
        return [] if b else [ref_mth(lo, hi)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, lo, lo + k, b), ref_mth(lo + k, hi)]
    return [*ref_subproof(m - k, lo + k, hi, False), ref_mth(lo, lo + k)]


def ref_proof(m: int, n: int) -> list[bytes]:
    """PROOF(m, D[n])."""
    return ref_subproof(m, 0, n, True)


def ref_leaf(i: int) -> bytes:
    return ref_mth(i, i + 1)


@pytest.fixture(scope="module")
def store() -> MemoryNodeStore:
    s = MemoryNodeStore()
    for entry in ENTRIES:
        s.append(leaf_hash(entry))
    return s


class CountingReader:
    """Wraps a store and counts node reads, to check the O(log n) claim."""

    def __init__(self, inner: MemoryNodeStore) -> None:
        self.inner = inner
        self.reads = 0

    def get_node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.inner.get_node(level, index)


# --------------------------------------------------------------------------
# Mutations
# --------------------------------------------------------------------------

OTHER = _sha256(b"some other hash")


def _flip(h: bytes, bit: int = 3, at: int = 0) -> bytes:
    b = bytearray(h)
    b[at] ^= 1 << bit
    return bytes(b)


def _proof_mutations(proof: list[bytes], extra: list[bytes]) -> Iterator[tuple[str, list[bytes]]]:
    """Every proof one component away from ``proof``."""
    for i in range(len(proof)):
        yield f"removed [{i}]", proof[:i] + proof[i + 1 :]
        yield f"flipped [{i}]", [*proof[:i], _flip(proof[i], i % 8, i % 32), *proof[i + 1 :]]
        yield f"duplicated [{i}]", [*proof[: i + 1], proof[i], *proof[i + 1 :]]
    for i in range(len(proof) + 1):
        yield f"inserted at [{i}]", [*proof[:i], OTHER, *proof[i:]]
    for j, h in enumerate(extra):  # a root or leaf hash the verifier also holds
        yield f"prepended #{j}", [h, *proof]
        yield f"appended #{j}", [*proof, h]
    if len(proof) > 1:
        yield "reversed", proof[::-1]
        yield "swapped first two", [proof[1], proof[0], *proof[2:]]


def _raises(fn: Callable[[], None]) -> bool:
    try:
        fn()
    except ProofError:
        return True
    return False


def check_inclusion(index: int, size: int, store: MemoryNodeStore) -> None:
    """Prover equals reference, verifier accepts it, and refuses every mutation."""
    proof = inclusion_proof(index, size, store)
    assert proof == ref_path(index, 0, size), (index, size)
    leaf, top = ref_leaf(index), ref_mth(0, size)
    verify_inclusion(leaf, index, size, proof, top)

    wrong: list[str] = []

    def expect_fail(desc: str, fn: Callable[[], None]) -> None:
        if not _raises(fn):
            wrong.append(desc)

    for i in {index - 1, index + 1, index ^ 2, size, size + 1} - {index}:
        if i >= 0:
            expect_fail(f"index {i}", partial(verify_inclusion, leaf, i, size, proof, top))
    # A tree size comes with its own root (the checkpoint binds the two).
    for s in {size - 1, size + 1, size * 2, size // 2} - {size}:
        expect_fail(f"size {s}", partial(verify_inclusion, leaf, index, s, proof, root(s, store)))
    expect_fail("wrong leaf", lambda: verify_inclusion(_flip(leaf), index, size, proof, top))
    other_leaf = ref_leaf(index + 1)
    expect_fail("neighbour's leaf", lambda: verify_inclusion(other_leaf, index, size, proof, top))
    expect_fail("wrong root", lambda: verify_inclusion(leaf, index, size, proof, _flip(top)))
    expect_fail("empty root", lambda: verify_inclusion(leaf, index, size, proof, EMPTY_ROOT))
    for desc, p in _proof_mutations(proof, [top, leaf]):
        expect_fail(desc, partial(verify_inclusion, leaf, index, size, p, top))
    assert not wrong, f"inclusion ({index}, {size}) verified when mutated: {wrong}"


def check_consistency(m: int, n: int, store: MemoryNodeStore) -> None:
    """Prover equals reference, verifier accepts it, and refuses every mutation."""
    proof = consistency_proof(m, n, store)
    assert proof == ref_proof(m, n), (m, n)
    r1, r2 = ref_mth(0, m), ref_mth(0, n)
    verify_consistency(m, n, r1, r2, proof)
    if m == n:
        assert proof == []
        return

    wrong: list[str] = []

    def expect_fail(desc: str, fn: Callable[[], None]) -> None:
        if not _raises(fn):
            wrong.append(desc)

    for m2 in {m - 1, m + 1, m ^ 2, m * 2, n} - {m}:
        if m2 >= 0:
            expect_fail(
                f"old size {m2}",
                partial(verify_consistency, m2, n, root(m2, store), r2, proof),
            )
    for n2 in {n - 1, n + 1, n * 2, n // 2, m} - {n}:
        expect_fail(
            f"new size {n2}",
            partial(verify_consistency, m, n2, r1, root(n2, store), proof),
        )
    expect_fail("wrong old root", lambda: verify_consistency(m, n, _flip(r1), r2, proof))
    expect_fail("wrong new root", lambda: verify_consistency(m, n, r1, _flip(r2), proof))
    expect_fail("swapped roots", lambda: verify_consistency(m, n, r2, r1, proof))
    expect_fail("empty proof", lambda: verify_consistency(m, n, r1, r2, []))
    for desc, p in _proof_mutations(proof, [r1, r2]):
        expect_fail(desc, partial(verify_consistency, m, n, r1, r2, p))
    assert not wrong, f"consistency ({m}, {n}) verified when mutated: {wrong}"


# --------------------------------------------------------------------------
# Known answers
# --------------------------------------------------------------------------


def test_hasher_known_answers() -> None:
    # transparency-dev/merkle rfc6962/rfc6962_test.go
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert (
        node_hash(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )
    assert leaf_hash(b"Hello") != leaf_hash(b"World")
    assert node_hash(leaf_hash(b"a"), leaf_hash(b"b")) != leaf_hash(leaf_hash(b"a") + leaf_hash(b"b"))


# transparency-dev/merkle proof/verify_test.go: the 8-leaf RFC 6962 test tree.
VECTOR_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
VECTOR_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (index, size, proof); the Go file numbers leaves from 1.
VECTOR_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
VECTOR_CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


@pytest.fixture(scope="module")
def vector_store() -> MemoryNodeStore:
    s = MemoryNodeStore()
    for data in VECTOR_LEAVES:
        s.append(leaf_hash(data))
    return s


def test_vector_roots(vector_store: MemoryNodeStore) -> None:
    assert [root(n, vector_store).hex() for n in range(1, 9)] == VECTOR_ROOTS


@pytest.mark.parametrize(("index", "size", "expected"), VECTOR_INCLUSION)
def test_vector_inclusion(vector_store: MemoryNodeStore, index: int, size: int, expected: list[str]) -> None:
    proof = inclusion_proof(index, size, vector_store)
    assert [p.hex() for p in proof] == expected
    verify_inclusion(
        leaf_hash(VECTOR_LEAVES[index]), index, size, proof, bytes.fromhex(VECTOR_ROOTS[size - 1])
    )


@pytest.mark.parametrize(("old", "new", "expected"), VECTOR_CONSISTENCY)
def test_vector_consistency(vector_store: MemoryNodeStore, old: int, new: int, expected: list[str]) -> None:
    proof = consistency_proof(old, new, vector_store)
    assert [p.hex() for p in proof] == expected
    verify_consistency(
        old, new, bytes.fromhex(VECTOR_ROOTS[old - 1]), bytes.fromhex(VECTOR_ROOTS[new - 1]), proof
    )


# --------------------------------------------------------------------------
# Storage: complete nodes, roots at every size, O(log n) reads
# --------------------------------------------------------------------------


def test_store_holds_exactly_the_complete_nodes(store: MemoryNodeStore) -> None:
    n = store.size
    expected = {
        (level, i) for level in range(n.bit_length()) for i in range(n >> level)
    }  # every perfect subtree inside [0, n)
    assert set(store._nodes) == expected
    assert len(expected) == 2 * n - bin(n).count("1")
    for level, i in expected:
        assert store.get_node(level, i) == ref_mth(i << level, (i + 1) << level)


def test_nodes_to_store_lists_leaf_then_completed_parents() -> None:
    s = MemoryNodeStore()
    for i in range(7):
        s.append(ref_leaf(i))
    rows = nodes_to_store(7, ref_leaf(7), s.get_node)
    assert [(lv, i) for lv, i, _ in rows] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert rows[-1][2] == ref_mth(0, 8)
    assert nodes_to_store(8, ref_leaf(8), s.get_node) == [(0, 8, ref_leaf(8))]
    with pytest.raises(ValueError, match="32 bytes"):
        nodes_to_store(8, b"short", s.get_node)
    with pytest.raises(ValueError, match=">= 0"):
        nodes_to_store(-1, ref_leaf(0), s.get_node)


def test_missing_node_is_named() -> None:
    s = MemoryNodeStore()
    s.append(ref_leaf(0))
    with pytest.raises(KeyError, match="level 1, index 0"):
        root(2, s)


def test_root_at_every_earlier_size(store: MemoryNodeStore) -> None:
    for size in range(STORE_SIZE + 1):
        assert root(size, store) == ref_mth(0, size), size


def test_reads_are_logarithmic(store: MemoryNodeStore) -> None:
    reader = CountingReader(store)
    for n in [*range(1, 70), 1000, 1023, 1024, 1025, 1999, 2000, STORE_SIZE]:
        bound = 2 * n.bit_length()
        for i in {0, 1, n // 3, n // 2, n - 2, n - 1} & set(range(n)):
            reader.reads = 0
            inclusion_proof(i, n, reader)
            assert reader.reads <= bound, (i, n, reader.reads)
        for m in {1, 2, n // 3, n // 2, n - 1, n} & set(range(1, n + 1)):
            reader.reads = 0
            consistency_proof(m, n, reader)
            assert reader.reads <= bound, (m, n, reader.reads)
        reader.reads = 0
        root(n, reader)
        assert reader.reads == bin(n).count("1")


# --------------------------------------------------------------------------
# Proofs: exhaustive small trees, random large ones
# --------------------------------------------------------------------------


def test_all_inclusion_proofs_up_to_64(store: MemoryNodeStore) -> None:
    for size in range(1, 65):
        for index in range(size):
            check_inclusion(index, size, store)


def test_all_consistency_proofs_up_to_64(store: MemoryNodeStore) -> None:
    for new in range(1, 65):
        for old in range(1, new + 1):
            check_consistency(old, new, store)


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, N))
    return draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(1, N))
    return draw(st.integers(1, new)), new


@settings(max_examples=200, deadline=None)
@given(index_and_size())
def test_inclusion_property(store: MemoryNodeStore, case: tuple[int, int]) -> None:
    check_inclusion(*case, store)


@settings(max_examples=200, deadline=None)
@given(two_sizes())
def test_consistency_property(store: MemoryNodeStore, case: tuple[int, int]) -> None:
    check_consistency(*case, store)


def test_power_of_two_old_root_is_omitted(store: MemoryNodeStore) -> None:
    # SUBPROOF(m, D[n], true) leaves the old root out when it is a node of the new tree.
    for m in (1, 2, 4, 64, 1024):
        proof = consistency_proof(m, 2000, store)
        assert ref_mth(0, m) not in proof
        verify_consistency(m, 2000, ref_mth(0, m), ref_mth(0, 2000), proof)
        with pytest.raises(ProofError):
            verify_consistency(m, 2000, ref_mth(0, m), ref_mth(0, 2000), [ref_mth(0, m), *proof])
    proof = consistency_proof(3, 2000, store)
    assert proof[0] == ref_mth(2, 3)  # old size 3: its last subtree starts the path


# --------------------------------------------------------------------------
# Edge cases and bad input
# --------------------------------------------------------------------------


def test_empty_tree(store: MemoryNodeStore) -> None:
    assert root(0, store) == EMPTY_ROOT
    assert root(0, MemoryNodeStore()) == EMPTY_ROOT
    with pytest.raises(ValueError, match="not in a tree of size 0"):
        inclusion_proof(0, 0, store)
    with pytest.raises(ProofError, match="not in a tree of size 0"):
        verify_inclusion(ref_leaf(0), 0, 0, [], EMPTY_ROOT)


def test_prover_refuses_impossible_requests(store: MemoryNodeStore) -> None:
    with pytest.raises(ValueError, match="leaf index 5 is not in a tree of size 5"):
        inclusion_proof(5, 5, store)
    with pytest.raises(ValueError, match="old size 6 is larger than new size 5"):
        consistency_proof(6, 5, store)
    with pytest.raises(ValueError, match="empty tree"):
        consistency_proof(0, 5, store)
    with pytest.raises(ValueError, match="must be >= 0"):
        inclusion_proof(-1, 5, store)
    with pytest.raises(ValueError, match="must be >= 0"):
        root(-1, store)
    with pytest.raises(TypeError, match="must be an int"):
        root(True, store)
    assert consistency_proof(0, 0, store) == []
    assert consistency_proof(7, 7, store) == []


def test_verifier_edge_cases() -> None:
    r5, r6 = ref_mth(0, 5), ref_mth(0, 6)
    verify_consistency(5, 5, r5, r5, [])
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    with pytest.raises(ProofError, match="equal size need an empty"):
        verify_consistency(5, 5, r5, r5, [r5])
    with pytest.raises(ProofError, match="two different root hashes"):
        verify_consistency(5, 5, r5, r6, [])
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 5, EMPTY_ROOT, r5, [])
    with pytest.raises(ProofError, match="larger than new size"):
        verify_consistency(6, 5, r6, r5, [])
    with pytest.raises(ProofError, match="is empty"):
        verify_consistency(5, 6, r5, r6, [])
    with pytest.raises(ProofError, match="old root hash must be 32 bytes"):
        verify_consistency(5, 6, r5[:31], r6, [r5])
    with pytest.raises(ProofError, match="component 1 must be 32 bytes"):
        verify_consistency(5, 6, r5, r6, [r5, b""])
    with pytest.raises(ProofError, match="non-negative int"):
        verify_consistency(-1, 6, r5, r6, [r5])
    with pytest.raises(ProofError, match="leaf hash must be 32 bytes"):
        verify_inclusion(b"x", 0, 1, [], r5)
    with pytest.raises(ProofError, match="non-negative int"):
        verify_inclusion(ref_leaf(0), True, 1, [], r5)
    with pytest.raises(ProofError, match="too many components"):
        verify_inclusion(ref_leaf(0), 0, 1, [r5], ref_leaf(0))
    with pytest.raises(ProofError, match="too few components"):
        verify_inclusion(ref_leaf(0), 0, 2, [], ref_leaf(0))
    with pytest.raises(ProofError, match="expected root hash"):
        verify_inclusion(ref_leaf(0), 0, 1, [], r5)
    # ProofError is a ValueError, so callers can catch bad input uniformly.
    assert issubclass(ProofError, ValueError)


def test_single_leaf_tree() -> None:
    s = MemoryNodeStore()
    h = leaf_hash(b"data")
    assert s.append(h) == 0
    assert root(1, s) == h
    assert inclusion_proof(0, 1, s) == []
    verify_inclusion(h, 0, 1, [], h)
