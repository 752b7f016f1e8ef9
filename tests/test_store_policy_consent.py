"""The policy-and-consent store contract, one suite for every backend (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hub.store import AcknowledgeOutcome, Admission, HubStore
from hub.store.policy_consent import (
    AttestOutcome,
    ChangeOutcome,
    PolicyConsentStore,
    RegisterOutcome,
    StoredConsent,
    StoredEvent,
    StoredPolicy,
    WithdrawalEffect,
    notice_id,
)
from tests.store_support import admit_each

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
GIVEN, WITHDRAWN, REVOKED = 1, 2, 3


def admission(message_id: str, recipients: tuple[str, ...], consent_ref: str = "") -> Admission:
    return Admission(
        message_id=message_id,
        sender="CO-INPEC",
        recipients=recipients,
        header_sha256=b"h" * 32,
        envelope=b"envelope-" + message_id.encode(),
        payload_kind=1,
        purpose=3,
        consent_ref=consent_ref,
    )


def stored_consent(
    consent_id: str = "c1", subject: str = "psn:CO:" + "a" * 32, state: int = GIVEN
) -> StoredConsent:
    return StoredConsent(
        consent_id, "CO-INPEC", subject, b"record-" + consent_id.encode(), b"sig", state, NOW
    )


def entries(effect: WithdrawalEffect) -> list[bytes]:
    return [f"withdraw:{effect.consent_id}:{len(effect.purged)}:{len(effect.notices)}".encode()]


def pc(store: HubStore) -> PolicyConsentStore:
    assert isinstance(store, PolicyConsentStore)
    return store


def test_policy_versions_only_increase(store: HubStore) -> None:
    s = pc(store)
    assert s.current_policy() is None and s.policy_version() == 0
    assert s.publish_policy(StoredPolicy(1, b"p1", b"s1", NOW), b"policy:1")
    assert s.publish_policy(StoredPolicy(3, b"p3", b"s3", NOW), b"policy:3")
    assert not s.publish_policy(StoredPolicy(2, b"p2", b"s2", NOW), b"policy:2")
    assert not s.publish_policy(StoredPolicy(3, b"px", b"sx", NOW), b"policy:3x")
    current = s.current_policy()
    assert current is not None and (current.version, current.policy, current.signature) == (3, b"p3", b"s3")
    assert s.policy_version() == 3
    assert store.audit_entries(0, 10) == [b"policy:1", b"policy:3"]  # refused versions leave no entry


def test_register_is_idempotent_and_a_conflict_changes_nothing(store: HubStore) -> None:
    s = pc(store)
    assert s.register_consent(stored_consent("c1"), b"reg:c1") is RegisterOutcome.REGISTERED
    assert s.register_consent(stored_consent("c1"), b"reg:again") is RegisterOutcome.DUPLICATE
    other = StoredConsent("c1", "CO-INPEC", "psn:CO:" + "a" * 32, b"other", b"sig", GIVEN, NOW)
    assert s.register_consent(other, b"reg:other") is RegisterOutcome.CONFLICT
    assert store.audit_entries(0, 10) == [b"reg:c1"]
    s.register_consent(stored_consent("c2", subject="psn:CO:" + "b" * 32), b"reg:c2")
    s.register_consent(stored_consent("c3"), b"reg:c3")
    found = s.consents_for_subject("CO-INPEC", "psn:CO:" + "a" * 32)
    assert [c.consent_id for c in found] == ["c1", "c3"]
    assert s.consents_for_subject("PE-INPE", "psn:CO:" + "a" * 32) == []
    assert [c.consent_id for c in s.get_consents(["c3", "nope", "c1"])] == ["c3", "c1"]
    got = s.get_consent("c1")
    assert got is not None and got.record == b"record-c1" and got.events == ()


def test_withdrawal_purges_undelivered_and_notifies_who_received(store: HubStore) -> None:
    s = pc(store)
    s.register_consent(stored_consent("c1"), b"reg")
    admit_each(
        store,
        [
            admission("m1", ("PE-INPE", "EC-SNAI", "UY-INR"), "c1"),
            admission("m2", ("PE-INPE",), "c1"),
            admission("m3", ("PE-INPE",)),  # another basis: untouched
        ],
    )
    assert [i.message_id for i in store.fetch("PE-INPE", 0, 1)] == ["m1"]  # PE received m1 only
    ec = store.fetch("EC-SNAI", 0, 10)
    assert store.acknowledge("EC-SNAI", "m1", b"h" * 32, b"r", b"s", b"ack") is AcknowledgeOutcome.RECORDED
    assert ec
    event = StoredEvent(0, b"event", b"event-sig", WITHDRAWN, NOW)
    outcome, effect = s.change_consent_state("c1", event, entries, NOW)
    assert outcome is ChangeOutcome.CHANGED
    assert sorted(effect.purged) == ["m1", "m2"]
    assert sorted((r, m) for _, r, m in effect.notices) == [("EC-SNAI", "m1"), ("PE-INPE", "m1")]
    assert store.audit_entries(0, 100)[-1] == b"withdraw:c1:2:2"
    # Nothing under the consent is delivered any more; the other record still is.
    assert [i.message_id for i in store.fetch("PE-INPE", 0, 10)] == ["m3"]
    assert store.fetch("UY-INR", 0, 10) == []
    changed = s.get_consent("c1")
    assert changed is not None and changed.state == WITHDRAWN
    assert [(e.sequence, e.event, e.state) for e in changed.events] == [(1, b"event", WITHDRAWN)]
    # Final: a second change is refused and changes nothing.
    again, nothing = s.change_consent_state("c1", StoredEvent(0, b"e2", b"s2", REVOKED, NOW), entries, NOW)
    assert again is ChangeOutcome.NOT_GIVEN and nothing == WithdrawalEffect("c1")
    missing, _ = s.change_consent_state("zz", event, entries, NOW)
    assert missing is ChangeOutcome.NOT_FOUND


def test_notices_until_attested_and_lineage(store: HubStore) -> None:
    s = pc(store)
    s.register_consent(stored_consent("c1"), b"reg")
    admit_each(store, [admission("m1", ("PE-INPE", "EC-SNAI", "UY-INR"), "c1")])
    store.fetch("PE-INPE", 0, 10)
    store.fetch("EC-SNAI", 0, 10)
    store.acknowledge("EC-SNAI", "m1", b"h" * 32, b"\x20\x02", b"s", b"ack")  # status REFUSED (field 4 = 2)
    s.change_consent_state("c1", StoredEvent(0, b"event", b"sig", REVOKED, NOW), entries, NOW)
    first = s.pending_notices("PE-INPE", 10)
    assert [(n.message_id, n.consent_id, n.controller, n.event, n.delivered_count) for n in first] == [
        ("m1", "c1", "CO-INPEC", b"event", 0)
    ]
    assert first[0].notice_id == notice_id("m1", "PE-INPE")
    assert s.pending_notices("PE-INPE", 10)[0].delivered_count == 1  # sent again until attested
    assert s.pending_notices("UY-INR", 10) == []  # never received it: nothing to delete
    later = NOW + timedelta(minutes=5)
    assert s.attest_deletion("UY-INR", "m1", b"h" * 32, b"a", b"s", 1, b"x", later) is AttestOutcome.NO_NOTICE
    assert s.attest_deletion("PE-INPE", "m1", b"z" * 32, b"a", b"s", 1, b"x", later) is AttestOutcome.MISMATCH
    assert (
        s.attest_deletion("PE-INPE", "m1", b"h" * 32, b"a", b"s", 1, b"att:PE", later)
        is AttestOutcome.RECORDED
    )
    assert (
        s.attest_deletion("PE-INPE", "m1", b"h" * 32, b"a", b"s", 1, b"x", later) is AttestOutcome.DUPLICATE
    )
    assert s.pending_notices("PE-INPE", 10) == []
    assert store.audit_entries(0, 100)[-1] == b"att:PE"
    lineage = s.lineage("m1")
    assert lineage is not None and lineage.consent_id == "c1" and lineage.purged_at is not None
    traces = {t.recipient: t for t in lineage.recipients}
    assert traces["PE-INPE"].delivery_count == 1 and traces["PE-INPE"].first_delivered_at is not None
    assert traces["PE-INPE"].attested_at is not None and traces["PE-INPE"].deletion_status == 1
    assert traces["EC-SNAI"].acknowledged_at is not None and traces["EC-SNAI"].receipt == b"\x20\x02"
    assert traces["EC-SNAI"].notified_at is not None and traces["EC-SNAI"].attested_at is None
    assert traces["UY-INR"].cancelled and traces["UY-INR"].notified_at is None
    assert [r.message_id for r in s.lineages_for_consent("c1")] == ["m1"]
    assert s.lineage("nope") is None


def test_sweep_applies_a_withdrawal_that_raced_an_admission(store: HubStore) -> None:
    s = pc(store)
    s.register_consent(stored_consent("c1"), b"reg")
    assert s.sweep_withdrawn("c1", entries, NOW) == WithdrawalEffect("c1")  # still given: no-op
    s.change_consent_state("c1", StoredEvent(0, b"event", b"sig", WITHDRAWN, NOW), entries, NOW)
    admit_each(store, [admission("late", ("PE-INPE",), "c1")])  # decided before, stored after
    store.fetch("PE-INPE", 0, 10)
    effect = s.sweep_withdrawn("c1", entries, NOW)
    assert effect.purged == ("late",) and [m for _, _, m in effect.notices] == ["late"]
    assert s.sweep_withdrawn("c1", entries, NOW) == WithdrawalEffect("c1")  # idempotent
    assert [n.message_id for n in s.pending_notices("PE-INPE", 10)] == ["late"]


def test_deletion_at_the_review_or_delete_date_is_attested_without_a_notice(store: HubStore) -> None:
    """Once the date has come, a recipient that was handed the record attests with no notice; before
    it, or never handed the record, it cannot; the attestation shows in lineage like any other."""
    s = pc(store)
    due = NOW + timedelta(days=30)
    admit_each(store, [replace(admission("m1", ("PE-INPE", "GT-DGSP")), delete_at=due)], now=NOW)
    admit_each(store, [admission("m2", ("PE-INPE",))], now=NOW)  # no date: a notice is needed
    store.fetch("PE-INPE", 0, 10)
    before = due - timedelta(seconds=1)
    assert (
        s.attest_deletion("PE-INPE", "m1", b"h" * 32, b"a", b"s", 1, b"x", before) is AttestOutcome.NO_NOTICE
    )
    assert s.attest_deletion("GT-DGSP", "m1", b"h" * 32, b"a", b"s", 1, b"x", due) is AttestOutcome.NO_NOTICE
    assert s.attest_deletion("PE-INPE", "m2", b"h" * 32, b"a", b"s", 1, b"x", due) is AttestOutcome.NO_NOTICE
    assert s.attest_deletion("PE-INPE", "m1", b"z" * 32, b"a", b"s", 1, b"x", due) is AttestOutcome.MISMATCH
    size = store.audit_size()
    recorded = s.attest_deletion("PE-INPE", "m1", b"h" * 32, b"att", b"sig", 2, b"att:PE", due)
    assert recorded is AttestOutcome.RECORDED
    assert store.audit_entries(size, store.audit_size()) == [b"att:PE"]
    again = s.attest_deletion("PE-INPE", "m1", b"h" * 32, b"att", b"sig", 2, b"x", due)
    assert again is AttestOutcome.DUPLICATE
    assert store.audit_size() == size + 1
    assert s.pending_notices("PE-INPE", 10) == []  # nothing to deliver: it answers no withdrawal
    lineage = s.lineage("m1")
    assert lineage is not None
    traces = {t.recipient: t for t in lineage.recipients}
    assert traces["PE-INPE"].attested_at == due and traces["PE-INPE"].deletion_status == 2
    assert traces["PE-INPE"].notified_at is None
    assert traces["GT-DGSP"].attested_at is None
