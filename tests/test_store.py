"""One contract suite for every store backend (in-memory and SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hub.core import merkle
from hub.store import (
    AcknowledgeOutcome,
    Admission,
    AdmitOutcome,
    DatePurge,
    HubStore,
    MailboxItem,
    ReceiptToRecord,
)
from hub.store.policy_consent import PolicyConsentStore
from tests.store_support import admit_each


def admission(
    message_id: str, recipients: tuple[str, ...] = ("PE-INPE",), digest: bytes = b"h" * 32
) -> Admission:
    return Admission(
        message_id=message_id,
        sender="CO-INPEC",
        recipients=recipients,
        header_sha256=digest,
        envelope=b"envelope-" + message_id.encode(),
        payload_kind=1,
        purpose=1,
    )


def test_admit_stores_envelope_mailbox_and_audit_atomically(store: HubStore) -> None:
    results = admit_each(store, [admission("m1", ("PE-INPE", "GT-DGSP"))], [b"deny:x"])
    assert [r.outcome for r in results] == [AdmitOutcome.ACCEPTED]
    assert store.audit_entries(0, 10) == [b"deny:x", b"accepted:m1"]
    assert [i.message_id for i in store.fetch("PE-INPE", 0, 10)] == ["m1"]
    assert [i.message_id for i in store.fetch("GT-DGSP", 0, 10)] == ["m1"]
    assert store.fetch("CO-INPEC", 0, 10) == []
    stats = store.stats()
    assert (stats.envelopes, stats.mailbox_pending, stats.audit_entries) == (1, 2, 2)


def test_resend_is_duplicate_and_other_content_is_replayed(store: HubStore) -> None:
    admit_each(store, [admission("m1")])
    again = admit_each(store, [admission("m1"), admission("m1", digest=b"x" * 32)])
    assert [r.outcome for r in again] == [AdmitOutcome.DUPLICATE, AdmitOutcome.REPLAYED]
    assert store.stats().envelopes == 1
    assert store.stats().mailbox_pending == 1


def test_duplicate_within_one_batch(store: HubStore) -> None:
    results = admit_each(store, [admission("m1"), admission("m1")])
    assert [r.outcome for r in results] == [AdmitOutcome.ACCEPTED, AdmitOutcome.DUPLICATE]


def test_fetch_is_ordered_resumable_and_counts_redeliveries(store: HubStore) -> None:
    admit_each(store, [admission(f"m{i}") for i in range(5)])
    first = store.fetch("PE-INPE", 0, 2)
    assert [i.message_id for i in first] == ["m0", "m1"]
    rest = store.fetch("PE-INPE", first[-1].seq, 10)
    assert [i.message_id for i in rest] == ["m2", "m3", "m4"]
    again = store.fetch("PE-INPE", 0, 1)
    assert again[0].message_id == "m0" and again[0].delivered_count == 1


def test_acknowledge_ends_delivery_and_is_idempotent(store: HubStore) -> None:
    admit_each(store, [admission("m1"), admission("m2")])
    outcome = store.acknowledge("PE-INPE", "m1", b"h" * 32, b"receipt", b"sig", b"ack:m1")
    assert outcome is AcknowledgeOutcome.RECORDED
    assert [i.message_id for i in store.fetch("PE-INPE", 0, 10)] == ["m2"]
    assert store.acknowledge("PE-INPE", "m1", b"h" * 32, b"r", b"s", b"x") is AcknowledgeOutcome.DUPLICATE
    assert (
        store.acknowledge("GT-DGSP", "m1", b"h" * 32, b"r", b"s", b"x") is AcknowledgeOutcome.NOT_A_RECIPIENT
    )
    assert store.acknowledge("PE-INPE", "m2", b"z" * 32, b"r", b"s", b"x") is AcknowledgeOutcome.MISMATCH
    assert store.audit_entries(0, 10)[-1] == b"ack:m1"


def test_acknowledge_many_is_one_call_with_one_outcome_each(store: HubStore) -> None:
    admit_each(store, [admission(f"m{i}") for i in range(4)])
    size = store.audit_size()
    items = [
        ReceiptToRecord("m0", b"h" * 32, b"r0", b"s0", b"ack:m0"),
        ReceiptToRecord("m1", b"z" * 32, b"r1", b"s1", b"ack:m1"),  # another header: MISMATCH
        ReceiptToRecord("m0", b"h" * 32, b"r0", b"s0", b"ack:m0 again"),  # twice in one call
        ReceiptToRecord("nope", b"h" * 32, b"r", b"s", b"ack:nope"),
        ReceiptToRecord("m2", b"h" * 32, b"r2", b"s2", b"ack:m2"),
    ]
    outcomes = store.acknowledge_many("PE-INPE", items)
    assert outcomes == [
        AcknowledgeOutcome.RECORDED,
        AcknowledgeOutcome.MISMATCH,
        AcknowledgeOutcome.DUPLICATE,
        AcknowledgeOutcome.NOT_A_RECIPIENT,
        AcknowledgeOutcome.RECORDED,
    ]
    assert store.audit_entries(size, store.audit_size()) == [b"ack:m0", b"ack:m2"]
    assert [i.message_id for i in store.fetch("PE-INPE", 0, 10)] == ["m1", "m3"]
    assert store.acknowledge_many("PE-INPE", []) == []
    # The caller's own audit entries, given the outcomes, are appended as given, in order.
    size = store.audit_size()
    two = [
        ReceiptToRecord("nope", b"h" * 32, b"r", b"s", b"-"),
        ReceiptToRecord("m3", b"h" * 32, b"r3", b"s3", b"-"),
    ]
    outcomes = store.acknowledge_many(
        "PE-INPE", two, audit_entries=lambda found: [o.value.encode() for o in found]
    )
    assert outcomes == [AcknowledgeOutcome.NOT_A_RECIPIENT, AcknowledgeOutcome.RECORDED]
    assert store.audit_entries(size, store.audit_size()) == [b"not_a_recipient", b"recorded"]
    assert [i.message_id for i in store.fetch("PE-INPE", 0, 10)] == ["m1"]


def test_purge_only_when_every_recipient_acknowledged(store: HubStore) -> None:
    admit_each(store, [admission("m1", ("PE-INPE", "GT-DGSP"))])
    store.acknowledge("PE-INPE", "m1", b"h" * 32, b"r", b"s", b"ack")
    future = datetime.now(UTC) + timedelta(seconds=5)
    assert store.purge_acknowledged(future, lambda m: f"purge:{m}".encode()) == 0
    store.acknowledge("GT-DGSP", "m1", b"h" * 32, b"r", b"s", b"ack")
    past = datetime.now(UTC) - timedelta(hours=1)
    assert store.purge_acknowledged(past, lambda m: f"purge:{m}".encode()) == 0  # still within retention
    assert store.purge_acknowledged(future, lambda m: f"purge:{m}".encode()) == 1
    assert store.stats().stored_ciphertexts == 0
    assert store.audit_entries(0, 100)[-1] == b"purge:m1"


def test_audit_nodes_give_the_rfc9162_root(store: HubStore) -> None:
    entries = [f"entry-{i}".encode() for i in range(37)]
    for chunk in (entries[:1], entries[1:20], entries[20:]):
        store.append_audit(chunk)
    assert store.audit_size() == 37
    reference = merkle.MemoryNodeStore()
    for entry in entries:
        reference.append(merkle.leaf_hash(entry))

    class Reader:
        def get_node(self, level: int, index: int) -> bytes:
            return store.merkle_node(level, index)

    for size in (1, 2, 3, 16, 37):
        assert merkle.root(size, Reader()) == merkle.root(size, reference)


def test_fetch_logs_each_delivery_with_the_hand_over(store: HubStore) -> None:
    admit_each(store, [admission("m1"), admission("m2")])
    before = store.audit_size()

    def named(items: Sequence[MailboxItem]) -> list[bytes]:  # sees each item before it is counted
        return [f"deliver:{item.message_id}:{item.delivered_count}".encode() for item in items]

    items = store.fetch("PE-INPE", 0, 10, named)
    assert [i.message_id for i in items] == ["m1", "m2"]
    assert store.audit_entries(before, store.audit_size()) == [b"deliver:m1:0", b"deliver:m2:0"]
    assert store.fetch("GT-DGSP", 0, 10, lambda items: [b"never"]) == []
    assert store.audit_size() == before + 2  # nothing handed over, nothing logged
    store.fetch("PE-INPE", 0, 1, named)
    assert store.audit_entries(before + 2, store.audit_size()) == [b"deliver:m1:1"]


def test_mailbox_depths_count_what_each_recipient_has_not_acknowledged(store: HubStore) -> None:
    assert store.mailbox_depths() == {}
    admit_each(store, [admission("m1", ("PE-INPE", "GT-DGSP")), admission("m2", ("PE-INPE",))])
    assert store.mailbox_depths() == {"PE-INPE": 2, "GT-DGSP": 1}
    store.fetch("GT-DGSP", 0, 10)
    store.acknowledge("GT-DGSP", "m1", b"h" * 32, b"receipt", b"signature", b"ack:m1")
    assert store.mailbox_depths() == {"PE-INPE": 2}


def test_purge_past_delete_date_drops_only_undelivered_ciphertext_with_one_entry(store: HubStore) -> None:
    """Due and unacknowledged: dropped, one run entry; acknowledged by all, or not yet due: kept."""
    accepted = datetime(2026, 3, 1, tzinfo=UTC)
    due = accepted + timedelta(days=30)
    dated = [
        replace(admission("late", ("PE-INPE", "GT-DGSP")), delete_at=due),
        replace(admission("read", ("PE-INPE",)), delete_at=due),
        replace(admission("later", ("PE-INPE",)), delete_at=due + timedelta(days=1)),
        admission("undated"),
    ]
    admit_each(store, dated, now=accepted)
    assert (
        store.acknowledge("PE-INPE", "late", b"h" * 32, b"r", b"s", b"ack:late")
        is AcknowledgeOutcome.RECORDED
    )
    assert (
        store.acknowledge("PE-INPE", "read", b"h" * 32, b"r", b"s", b"ack:read")
        is AcknowledgeOutcome.RECORDED
    )
    seen: list[list[DatePurge]] = []

    def entry(purged: Sequence[DatePurge]) -> bytes:
        seen.append(list(purged))
        return b"purge:" + b",".join(p.message_id.encode() for p in purged)

    assert store.purge_past_delete_date(due - timedelta(seconds=1), entry) == []
    size = store.audit_size()
    purged = store.purge_past_delete_date(due, entry)
    assert purged == [DatePurge("late", "CO-INPEC", ("GT-DGSP",))]
    assert seen == [purged]
    assert store.audit_entries(size, store.audit_size()) == [b"purge:late"]
    assert store.stats().stored_ciphertexts == 3
    assert store.fetch("GT-DGSP", 0, 10) == []  # a purged envelope can no longer be fetched
    assert store.mailbox_depths() == {"PE-INPE": 2}  # nor is it counted as waiting for GT-DGSP
    assert [i.message_id for i in store.fetch("PE-INPE", 0, 10)] == ["later", "undated"]
    assert isinstance(store, PolicyConsentStore)  # every backend keeps lineage
    lineage = store.lineage("late")
    assert lineage is not None and lineage.purged_at == due and lineage.delete_at == due
    read = store.lineage("read")
    assert read is not None and read.purged_at is None  # acknowledged by all: left to its retention
    assert store.purge_past_delete_date(due, entry) == []  # nothing twice
    assert store.audit_size() == size + 1
    later = store.purge_past_delete_date(due + timedelta(days=2), entry, limit=5)
    assert [p.message_id for p in later] == ["later"]
