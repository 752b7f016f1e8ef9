"""The audit-log store contract on every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.core import merkle
from hub.core.audit_entry import AuditEntry
from hub.core.audit_index import index_terms
from hub.store import HubStore
from hub.store.audit import AuditLogStore, EntryQuery, StoredCheckpoint, StoredCosignature

START = datetime(2025, 3, 14, tzinfo=UTC)
MEMBERS = ("CO-INPEC", "PE-INPE", "GT-DGSP", "UY-INR")


def entry(i: int) -> bytes:
    return AuditEntry(
        time=START + timedelta(minutes=i),
        actor_kind="member" if i % 5 else "hub",
        actor_id=MEMBERS[i % 4] if i % 5 else "hub",
        officer_pseudonym="",
        action=("submit", "acknowledge", "purge")[i % 3],
        object_ids=(f"message:m{i % 7}", f"consent:CO-INPEC/2025/{i % 2}"),
        outcome="ok",
        details={"recipient": MEMBERS[(i + 1) % 4]} if i % 2 else {},
    ).encode()


ENTRIES = [entry(i) for i in range(60)]


def audit(store: HubStore) -> AuditLogStore:
    assert isinstance(store, AuditLogStore)
    return store


def naive(query: EntryQuery, start: int, end: int) -> list[int]:
    found = []
    for i, data in enumerate(ENTRIES):
        terms = index_terms(data)
        if not start <= i < end:
            continue
        if query.party and query.party not in terms.parties:
            continue
        if query.actor_id and terms.actor_id != query.actor_id:
            continue
        if query.action and terms.action != query.action:
            continue
        if any(o not in terms.objects for o in query.objects):
            continue
        if (query.since and terms.time < query.since) or (query.until and terms.time >= query.until):
            continue
        found.append(i)
    return found


QUERIES = [
    EntryQuery(),
    EntryQuery(party="PE-INPE"),
    EntryQuery(party="UY-INR", action="acknowledge"),
    EntryQuery(actor_id="hub"),
    EntryQuery(action="purge", objects=("message:m3",)),
    EntryQuery(objects=("consent:CO-INPEC/2025/1", "message:m2"), party="GT-DGSP"),
    EntryQuery(since="2025-03-14T00:10:00.000000Z", until="2025-03-14T00:40:00.000000Z", party="CO-INPEC"),
    EntryQuery(party="NOBODY"),
]


def test_filters_are_index_lookups_that_agree_with_a_scan(store: HubStore) -> None:
    store.append_audit(ENTRIES[:25])
    store.append_audit(ENTRIES[25:])
    log = audit(store)
    for query in QUERIES:
        for start, end in ((0, 60), (7, 45)):
            expected = naive(query, start, end)
            assert [i for i, _ in log.find_entries(query, start, end, 1000)] == expected, query
            paged, at = [], start
            while page := log.find_entries(query, at, end, 4):  # pages of four, as the service reads
                paged += [i for i, _ in page]
                at = page[-1][0] + 1
            assert paged == expected
    hits = log.find_entries(EntryQuery(party="PE-INPE"), 0, 60, 3)
    assert [data for _, data in hits] == [ENTRIES[i] for i, _ in hits]
    assert log.time_bounds("2025-03-14T00:10:00.000000Z", "2025-03-14T00:40:00.000000Z") == (10, 40)
    assert log.time_bounds("", "2025-03-14T00:00:00.000001Z") == (0, 1)
    assert log.time_bounds("2026", "") is None
    assert log.entry_concerns(1, "PE-INPE") and log.entry_concerns(1, "GT-DGSP")  # actor, recipient
    assert not log.entry_concerns(1, "UY-INR")


def test_roots_and_proofs_come_from_stored_nodes(store: HubStore) -> None:
    log = audit(store)
    core = merkle.MemoryNodeStore()
    more = [entry(i) for i in range(150)]  # past 2^6 leaves: upper nodes are cached once read
    for chunk in (more[:1], more[:13][1:], more[13:70], more[70:]):
        store.append_audit(chunk)
        for data in chunk:
            core.append(merkle.leaf_hash(data))
        size = log.audit_tree_size()
        assert log.audit_root(size) == merkle.root(size, core)
    for _ in range(2):  # the second pass reads the upper levels from the cache
        for size in (1, 13, 64, 70, 129, 150):
            assert log.audit_root(size) == merkle.root(size, core)
            for index in range(0, size, 7):
                assert log.audit_inclusion_proof(index, size) == merkle.inclusion_proof(index, size, core)
            for old in range(1, size + 1, 9):
                assert log.audit_consistency_proof(old, size) == merkle.consistency_proof(old, size, core)


def test_one_checkpoint_per_size_and_one_cosignature_per_witness(store: HubStore) -> None:
    log = audit(store)
    now = datetime.now(UTC)
    assert log.latest_checkpoint() is None
    first = StoredCheckpoint(5, b"a" * 32, "note a", now)
    assert log.save_checkpoint(first) == first
    assert log.save_checkpoint(StoredCheckpoint(5, b"b" * 32, "note b", now)) == first
    later = StoredCheckpoint(9, b"c" * 32, "note c", now)
    log.save_checkpoint(later)
    assert (
        log.latest_checkpoint() == later and log.get_checkpoint(5) == first and log.get_checkpoint(6) is None
    )

    cosignature = StoredCosignature(5, "UY-INR", b"s" * 76, now)
    assert log.save_cosignature(cosignature) == (cosignature, True)
    assert log.save_cosignature(StoredCosignature(5, "UY-INR", b"t" * 76, now)) == (cosignature, False)
    log.save_cosignature(StoredCosignature(9, "AUDITOR-1", b"u" * 76, now))
    log.save_cosignature(StoredCosignature(5, "AUDITOR-1", b"v" * 76, now + timedelta(seconds=1)))
    assert [c.witness for c in log.cosignatures(5)] == ["UY-INR", "AUDITOR-1"]
    assert log.latest_cosigned_size("UY-INR") == 5 and log.latest_cosigned_size("PE-INPE") is None
    assert log.latest_cosigned_checkpoint(["AUDITOR-1"]) == later
    assert log.latest_cosigned_checkpoint(["AUDITOR-1", "UY-INR"]) == first
    assert log.latest_cosigned_checkpoint(["PE-INPE"]) is None


def test_entries_from_before_the_index_are_backfilled(store: HubStore) -> None:
    store.append_audit(ENTRIES[:10])
    log = audit(store)
    url = getattr(store, "url", "")
    if not url:
        pytest.skip("the in-memory store indexes as it appends; nothing predates its index")
    from sqlalchemy import text

    with store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("DELETE FROM audit_refs"))
        conn.execute(text("DELETE FROM audit_index WHERE idx >= 3"))
    assert log.find_entries(EntryQuery(party="PE-INPE"), 0, 10, 100) == []
    assert log.reindex_audit() == 7
    with store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("DELETE FROM audit_index"))
    assert log.reindex_audit() == 10
    assert [i for i, _ in log.find_entries(EntryQuery(party="PE-INPE"), 0, 10, 100)] == [
        i for i in naive(EntryQuery(party="PE-INPE"), 0, 10)
    ]
