"""The lookup store contract, one suite for every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from hub.store import HubStore
from hub.store.lookup import LookupStore, StoredEpoch, StoredMatch, TokenRow

NOW = datetime(2026, 6, 1, 12, 30, 15, 123456, tzinfo=UTC)
CO, PE, GT = "CO-INPEC", "PE-INPE", "GT-DGSP"
DOCUMENT, DEMOGRAPHIC = 1, 2


def lk(store: HubStore) -> LookupStore:
    assert isinstance(store, LookupStore)
    return store


def epoch(number: int) -> StoredEpoch:
    return StoredEpoch(number, CO, f"signed-{number}".encode(), NOW + timedelta(days=number))


def token(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


def handle(name: str) -> str:
    return "rh:" + hashlib.sha256(b"handle:" + name.encode()).hexdigest()[:32]


def row(member: str, record: str, name: str, kind: int = DOCUMENT) -> TokenRow:
    return TokenRow(member, handle(record), kind, token(name))


def start(store: HubStore, epochs: int = 1) -> LookupStore:
    s = lk(store)
    for number in range(1, epochs + 1):
        assert s.publish_epoch(epoch(number), f"epoch:{number}".encode())
    return s


def publish(
    s: LookupStore,
    member: str,
    number: int,
    add: list[TokenRow] | None = None,
    remove: list[str] | None = None,
    replace_all: bool = False,
) -> tuple[int, int, int]:
    return s.publish_tokens(member, number, add or [], remove or [], replace_all, f"tokens:{member}".encode())


def test_epochs_are_consecutive_and_a_stale_publish_stores_nothing(store: HubStore) -> None:
    s = lk(store)
    assert s.current_epoch() is None and s.get_epoch(1) is None
    assert not s.publish_epoch(epoch(2), b"epoch:2 too early")
    assert s.publish_epoch(epoch(1), b"epoch:1")
    assert not s.publish_epoch(epoch(1), b"epoch:1 again")
    assert not s.publish_epoch(epoch(3), b"epoch:3 skips 2")
    assert s.publish_epoch(epoch(2), b"epoch:2")
    assert s.current_epoch() == epoch(2)
    assert s.get_epoch(1) == epoch(1)  # kept, signed bytes and time as published
    assert s.get_epoch(3) is None
    assert store.audit_entries(0, 10) == [b"epoch:1", b"epoch:2"]


def test_a_new_epoch_deletes_tokens_older_than_the_one_it_replaces(store: HubStore) -> None:
    s = start(store)
    publish(s, PE, 1, [row(PE, "r1", "a"), row(PE, "r2", "b")])
    assert s.publish_epoch(epoch(2), b"epoch:2")
    assert s.token_counts(1) == {PE: 2}  # epoch 2 replaces 1: members republish meanwhile
    assert len(s.find_tokens(1, [token("a")], CO)) == 1
    publish(s, PE, 2, [row(PE, "r1", "a2")])
    assert s.publish_epoch(epoch(3), b"epoch:3")
    assert s.token_counts(1) == {} and s.find_tokens(1, [token("a"), token("b")], CO) == []
    assert s.token_counts(2) == {PE: 1}
    # What the new epoch deleted no longer counts as held or removed.
    assert publish(s, PE, 3, [row(PE, "r1", "a3")], replace_all=True) == (1, 1, 1)
    assert store.audit_entries(0, 10)[-2:] == [b"epoch:3", b"tokens:PE-INPE"]


def test_a_token_held_is_not_stored_twice(store: HubStore) -> None:
    s = start(store)
    a, b = row(PE, "r1", "a"), row(PE, "r1", "b")
    assert publish(s, PE, 1, [a, a, b]) == (2, 0, 2)
    assert publish(s, PE, 1, [a, b]) == (0, 0, 2)
    # Another handle, another kind or another member is another token row.
    others = [row(PE, "r2", "a"), row(PE, "r1", "a", DEMOGRAPHIC)]
    assert publish(s, PE, 1, [a, *others]) == (2, 0, 4)
    assert publish(s, GT, 1, [row(GT, "r1", "a")]) == (1, 0, 1)
    assert s.token_counts(1) == {PE: 4, GT: 1}
    assert len(s.find_tokens(1, [token("a")], CO)) == 4
    assert store.audit_entries(0, 10) == [b"epoch:1", *[b"tokens:PE-INPE"] * 3, b"tokens:GT-DGSP"]


def test_remove_by_handle_takes_every_epoch_and_only_the_member(store: HubStore) -> None:
    s = start(store)
    publish(s, PE, 1, [row(PE, "r1", "a"), row(PE, "r1", "b"), row(PE, "r2", "c")])
    publish(s, GT, 1, [row(GT, "r1", "a")])  # the same handle text at another member
    assert s.publish_epoch(epoch(2), b"epoch:2")
    publish(s, PE, 2, [row(PE, "r1", "a2")])
    assert publish(s, PE, 2, remove=[handle("r1"), handle("unknown")]) == (0, 3, 0)
    assert s.token_counts(1) == {PE: 1, GT: 1}
    assert s.token_counts(2) == {}  # members without tokens are absent
    assert [r.record_handle for r in s.find_tokens(1, [token("a"), token("c")], CO)] == [
        handle("r1"),  # GT's
        handle("r2"),
    ]
    # Removal comes first: a handle removed and added in one call is replaced.
    publish(s, PE, 2, [row(PE, "r3", "d"), row(PE, "r3", "e")])
    assert publish(s, PE, 2, [row(PE, "r3", "d")], [handle("r3")]) == (1, 2, 1)


def test_replace_all_removes_every_token_of_the_member_first(store: HubStore) -> None:
    s = start(store)
    publish(s, PE, 1, [row(PE, "r1", "a"), row(PE, "r2", "b")])
    publish(s, GT, 1, [row(GT, "r1", "a")])
    assert s.publish_epoch(epoch(2), b"epoch:2")
    publish(s, PE, 2, [row(PE, "r1", "a2")])
    assert publish(s, PE, 2, [row(PE, "r1", "a2"), row(PE, "r4", "x")], replace_all=True) == (2, 3, 2)
    assert s.token_counts(1) == {GT: 1}
    assert s.token_counts(2) == {PE: 2}
    assert publish(s, PE, 2, replace_all=True) == (0, 2, 0)
    assert s.token_counts(2) == {}


def test_find_tokens_excludes_the_asker_and_other_epochs(store: HubStore) -> None:
    s = start(store)
    publish(s, CO, 1, [row(CO, "c1", "t")])
    assert s.publish_epoch(epoch(2), b"epoch:2")
    publish(s, CO, 2, [row(CO, "c1", "t")])
    publish(s, PE, 2, [row(PE, "p1", "t"), row(PE, "p1", "u", DEMOGRAPHIC)])
    publish(s, GT, 2, [row(GT, "g1", "t")])
    found = s.find_tokens(2, [token("t"), token("t"), token("u"), token("nobody")], CO)
    assert sorted(found, key=lambda r: (r.member_id, r.kind)) == [
        row(GT, "g1", "t"),
        row(PE, "p1", "t"),
        row(PE, "p1", "u", DEMOGRAPHIC),
    ]
    assert s.find_tokens(1, [token("t")], PE) == [row(CO, "c1", "t")]
    assert s.find_tokens(1, [token("t")], CO) == []
    assert s.find_tokens(2, [], PE) == []


def test_find_tokens_asks_with_more_tokens_than_one_query_takes(store: HubStore) -> None:
    s = start(store)
    held = [row(PE, f"r{i}", f"t{i}") for i in range(1200)]
    assert publish(s, PE, 1, held) == (1200, 0, 1200)
    asked = [token(f"t{i}") for i in range(1200)] + [token(f"none{i}") for i in range(300)]
    found = s.find_tokens(1, asked, CO)
    assert len(found) == 1200 and set(found) == set(held)
    assert s.find_tokens(1, asked, PE) == []


def test_tokens_of_another_member_are_refused(store: HubStore) -> None:
    s = start(store)
    with pytest.raises(ValueError, match="GT-DGSP"):
        publish(s, PE, 1, [row(PE, "r1", "a"), row(GT, "r1", "b")])
    assert s.token_counts(1) == {}
    assert store.audit_entries(0, 10) == [b"epoch:1"]


def test_match_refs_round_trip_with_the_lookup_entry(store: HubStore) -> None:
    s = lk(store)
    matches = [
        StoredMatch(
            f"mr:{i:032x}",
            "lookup-1",
            CO,
            holder,
            handle(f"r{i}"),
            DOCUMENT,
            NOW,
            NOW + timedelta(days=30),
        )
        for i, holder in enumerate((PE, GT))
    ]
    s.record_lookup(matches, b"lookup:1")
    s.record_lookup([], b"lookup:2 no hit")
    assert [s.get_match(m.match_ref) for m in matches] == matches
    assert s.get_match("mr:" + "f" * 32) is None
    assert store.audit_entries(0, 10) == [b"lookup:1", b"lookup:2 no hit"]
