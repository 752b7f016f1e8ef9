"""The auditor's side without a network: recomputed trees, witnessing, whole-log verification."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core import merkle
from hub.core.audit_entry import AuditEntry
from hub.core.audit_index import index_terms
from hub.core.checkpoint import Checkpoint, add_signature, cosign, sign_note
from hub.sdk.audit.tree import LevelTree, mth
from hub.sdk.audit.verify import TrustAnchors, VerificationFailure, entry_time_text, verify_log
from hub.sdk.audit.witness import WitnessError, WitnessInconsistentError, check_and_cosign

ORIGIN = "pxhub.example/audit/v1"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"log").digest())
WITNESS = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"witness").digest())
START = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)


def entry(i: int, when: datetime | None = None) -> bytes:
    return AuditEntry(
        time=when or START + timedelta(seconds=i),
        actor_kind="member",
        actor_id=("CO-INPEC", "PE-INPE", "UY-INR")[i % 3],
        officer_pseudonym="",
        action="submit",
        object_ids=(f"message:m{i}",),
        outcome="permit",
        details={"recipients": "EC-SNAI,MX-OADPRS"},
    ).encode()


def reference(leaves: list[bytes]) -> merkle.MemoryNodeStore:
    tree = merkle.MemoryNodeStore()
    for leaf in leaves:
        tree.append(leaf)
    return tree


@given(st.integers(min_value=0, max_value=300))
@settings(max_examples=40, deadline=None)
def test_recomputed_trees_match_the_core(size: int) -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    core = reference(leaves)
    tree = LevelTree(leaves)
    assert mth(leaves) == tree.root() == merkle.root(size, core)
    for m in range(1, size + 1, max(1, size // 7)):
        assert tree.root(m) == merkle.root(m, core)
        assert tree.inclusion_proof(m - 1, size) == merkle.inclusion_proof(m - 1, size, core)
        assert tree.consistency_proof(m, size) == merkle.consistency_proof(m, size, core)


def test_index_terms_name_every_member_an_entry_concerns() -> None:
    terms = index_terms(entry(1))
    assert terms.parties == ("PE-INPE", "EC-SNAI", "MX-OADPRS")
    assert terms.objects == ("message:m1",) and terms.action == "submit"
    assert terms.time == "2025-03-14T15:09:27.000000Z" == entry_time_text(entry(1))
    assert index_terms(b"not json") == index_terms(b"[1]")
    assert index_terms(b"not json").parties == ()
    assert entry_time_text(b'{"time":"x","v":1}') is None


# ---------------------------------------------------------------------------------------------
# Witnessing
# ---------------------------------------------------------------------------------------------


def signed(leaves: list[bytes], size: int) -> tuple[Checkpoint, str]:
    checkpoint = Checkpoint(ORIGIN, size, LevelTree(leaves).root(size))
    return checkpoint, sign_note(checkpoint.body(), ORIGIN, LOG_KEY)


def witness(note: str, last: Checkpoint | None, proof: list[bytes], key: Ed25519PrivateKey = LOG_KEY) -> None:
    check_and_cosign(
        note,
        origin=ORIGIN,
        log_key=key.public_key(),
        last=last,
        proof=proof,
        name="UY-INR",
        private_key=WITNESS,
        timestamp=int(time.time()),
    )


def test_witness_cosigns_only_a_consistent_extension() -> None:
    leaves = [merkle.leaf_hash(entry(i)) for i in range(20)]
    tree = LevelTree(leaves)
    old, old_note = signed(leaves, 7)
    new, new_note = signed(leaves, 20)
    witness(old_note, None, [])  # first contact: nothing to compare with
    witness(new_note, old, tree.consistency_proof(7, 20))
    witness(new_note, new, [])  # same tree head again
    with pytest.raises(WitnessInconsistentError, match="rollback"):
        witness(old_note, new, [])
    with pytest.raises(WitnessInconsistentError, match="fork"):
        witness(new_note, Checkpoint(ORIGIN, 20, bytes(32)), [])
    with pytest.raises(WitnessInconsistentError, match="does not extend"):
        witness(new_note, Checkpoint(ORIGIN, 7, bytes(32)), tree.consistency_proof(7, 20))
    with pytest.raises(WitnessInconsistentError):
        witness(new_note, old, tree.consistency_proof(6, 20))
    with pytest.raises(WitnessError, match="does not verify"):
        witness(new_note, old, tree.consistency_proof(7, 20), key=WITNESS)


# ---------------------------------------------------------------------------------------------
# Whole-log verification against an in-memory source
# ---------------------------------------------------------------------------------------------


class FakeHub:
    """An honest prover over the signed entries, serving possibly tampered entry bytes."""

    def __init__(self, signed_entries: list[bytes], served: list[bytes] | None = None) -> None:
        self.tree = LevelTree([merkle.leaf_hash(e) for e in signed_entries])
        self.served = list(signed_entries if served is None else served)
        self.note = sign_note(Checkpoint(ORIGIN, self.tree.size, self.tree.root()).body(), ORIGIN, LOG_KEY)
        self.proofs = 0

    async def checkpoint_note(self, issue: bool, cosigned_by: tuple[str, ...] = ()) -> str:
        return self.note

    async def entry_pages(self, start: int, end: int) -> AsyncIterator[list[tuple[int, bytes]]]:
        served = list(enumerate(self.served[start:end], start=start))
        for first in range(0, len(served), 5):  # small pages, so problems straddle page edges
            yield served[first : first + 5]

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        self.proofs += 1
        return self.tree.consistency_proof(old_size, new_size)


ANCHORS = TrustAnchors(ORIGIN, LOG_KEY.public_key())
ENTRIES = [entry(i) for i in range(37)]


async def test_an_honest_log_verifies() -> None:
    verified = await verify_log(FakeHub(ENTRIES), ANCHORS, keep_entries=True, check_entries=True)
    assert verified.checkpoint.size == 37 and verified.entries == ENTRIES


@pytest.mark.parametrize("index", range(37))
async def test_the_first_edited_entry_is_named_with_log_many_proofs(index: int) -> None:
    served = list(ENTRIES)
    served[index] = served[index].replace(b"permit", b"permiT")
    hub = FakeHub(ENTRIES, served)
    with pytest.raises(VerificationFailure) as failed:
        await verify_log(hub, ANCHORS)
    assert failed.value.index == index
    assert f"entry {index} does not match the signed log" in failed.value.message
    assert hub.proofs <= 6  # ceil(log2(37))


async def test_deleted_and_swapped_entries_are_named() -> None:
    deleted = ENTRIES[:11] + ENTRIES[12:]
    with pytest.raises(VerificationFailure) as failed:
        await verify_log(FakeHub(ENTRIES, deleted), ANCHORS)
    assert failed.value.index == 11
    swapped = list(ENTRIES)
    swapped[3], swapped[30] = swapped[30], swapped[3]
    with pytest.raises(VerificationFailure) as failed:
        await verify_log(FakeHub(ENTRIES, swapped), ANCHORS)
    assert failed.value.index == 3
    with pytest.raises(VerificationFailure) as failed:
        await verify_log(FakeHub(ENTRIES, ENTRIES[:-1]), ANCHORS)
    assert failed.value.index == 36 and "served no entry" in failed.value.message


async def test_a_checkpoint_under_another_key_or_without_required_witnesses_fails() -> None:
    hub = FakeHub(ENTRIES)
    with pytest.raises(VerificationFailure, match="not signed by the hub key"):
        await verify_log(hub, TrustAnchors(ORIGIN, WITNESS.public_key()))
    with_witness = TrustAnchors(ORIGIN, LOG_KEY.public_key(), {"UY-INR": WITNESS.public_key()})
    with pytest.raises(VerificationFailure, match="lacks cosignatures of the required witnesses: UY-INR"):
        await verify_log(hub, with_witness)
    body = Checkpoint(ORIGIN, 37, hub.tree.root()).body()
    hub.note = add_signature(hub.note, cosign(body, "UY-INR", WITNESS, int(time.time())))
    verified = await verify_log(hub, with_witness)
    assert set(verified.cosigned) == {"UY-INR"}


async def test_saved_checkpoints_and_back_dating() -> None:
    hub = FakeHub(ENTRIES)
    _, saved_note = signed([merkle.leaf_hash(e) for e in ENTRIES], 20)
    verified = await verify_log(hub, ANCHORS, saved_note=saved_note)
    assert verified.saved is not None and verified.saved.size == 20
    other = sign_note(Checkpoint(ORIGIN, 20, bytes(32)).body(), ORIGIN, LOG_KEY)
    with pytest.raises(VerificationFailure, match="history rewritten"):
        await verify_log(hub, ANCHORS, saved_note=other)
    late = [*ENTRIES, entry(99, START - timedelta(hours=1))]
    with pytest.raises(VerificationFailure) as failed:
        await verify_log(FakeHub(late), ANCHORS)
    assert failed.value.index == 37 and "back-dated" in failed.value.message
    slightly = [*ENTRIES, entry(99, START + timedelta(seconds=30))]  # within the tolerance
    await verify_log(FakeHub(slightly), ANCHORS)
