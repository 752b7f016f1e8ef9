"""Findings as living records: the lifecycle (pure), the hub's check of a version's link, the flows.

The pure core decides which state changes a finding may make under the policy; the hub, from
headers alone, refuses an UPDATE naming a message its sender never sent (or sent to others); the
receiving flow refuses, with a signed REFUSED receipt, a version that supersedes nothing it holds
or skips the lifecycle, and stores nothing of it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import given
from hypothesis import strategies as st

from hub.core.envelope import EnvelopeError
from hub.core.findings import (
    CLOSED_STATES,
    FindingState,
    LifecycleRules,
    check_new_version,
    check_transition,
    check_version_header,
    record_state,
)
from pxhub.v1 import envelope_pb2, integrity_pb2, policy_pb2, record_pb2
from tests.conftest import HubHandle, start_test_hub

E = envelope_pb2
S = FindingState
STRICT = LifecycleRules(management_response_required=True)
LENIENT = LifecycleRules(management_response_required=False)


def versions() -> list[integrity_pb2.IntegrityAudit]:
    from adapters.samples.integrity import finding_lifecycle

    return finding_lifecycle("GT-DGSP", 2025)


def reason_of(error: pytest.ExceptionInfo[EnvelopeError]) -> str:
    return E.Reason.Name(error.value.reason)


# -- the pure lifecycle ----------------------------------------------------------------------


def test_the_sample_chain_goes_reported_response_closed() -> None:
    v1, v2, v3 = versions()
    assert [record_state(v) for v in (v1, v2, v3)] == [S.REPORTED, S.MANAGEMENT_RESPONSE, S.VERIFIED_CLOSED]
    check_new_version(v1, v2, STRICT)
    check_new_version(v2, v3, STRICT)


def test_reported_to_closed_is_refused_only_when_the_policy_requires_a_response() -> None:
    v1, _, v3 = versions()
    with pytest.raises(EnvelopeError) as refused:
        check_new_version(v1, v3, STRICT)
    assert reason_of(refused) == "REASON_LIFECYCLE_SKIPPED"
    assert "skips the management response" in refused.value.detail
    check_new_version(v1, v3, LENIENT)


def test_a_response_version_must_answer_every_recommendation() -> None:
    v1, v2, _ = versions()
    v2.findings[0].recommendations[0].management_response = integrity_pb2.MANAGEMENT_RESPONSE_UNSPECIFIED
    with pytest.raises(EnvelopeError) as refused:
        check_new_version(v1, v2, STRICT)
    assert reason_of(refused) == "REASON_LIFECYCLE_SKIPPED"
    assert v2.findings[0].recommendations[0].recommendation_id in refused.value.detail


def test_a_closed_finding_stays_closed_and_nothing_goes_back() -> None:
    _, v2, v3 = versions()
    with pytest.raises(EnvelopeError) as reopened:
        check_new_version(v3, v2, STRICT)
    assert reason_of(reopened) == "REASON_LIFECYCLE_INVALID"
    with pytest.raises(EnvelopeError) as back:
        check_transition(S.REMEDIATION_IN_PROGRESS, S.MANAGEMENT_RESPONSE, LENIENT, "f")
    assert reason_of(back) == "REASON_LIFECYCLE_INVALID"


def test_a_version_keeps_the_audit_and_every_finding() -> None:
    v1, v2, _ = versions()
    other = integrity_pb2.IntegrityAudit()
    other.CopyFrom(v2)
    other.audit_id = "SYN-OTRA"
    with pytest.raises(EnvelopeError) as another:
        check_new_version(v1, other, STRICT)
    assert reason_of(another) == "REASON_SUPERSEDES_UNKNOWN"
    del v2.findings[:]
    with pytest.raises(EnvelopeError) as dropped:
        check_new_version(v1, v2, STRICT)
    assert reason_of(dropped) == "REASON_LIFECYCLE_INVALID"


_ORDER = {S.REPORTED: 0, S.MANAGEMENT_RESPONSE: 1, S.REMEDIATION_IN_PROGRESS: 2}


@given(st.sampled_from(list(S)), st.sampled_from(list(S)), st.booleans())
def test_transitions_follow_the_lifecycle(before: FindingState, after: FindingState, strict: bool) -> None:
    rules = LifecycleRules(management_response_required=strict)
    forward = _ORDER.get(after, 3) > _ORDER.get(before, 3) and before not in CLOSED_STATES
    allowed = before == after or (
        forward and not (strict and before is S.REPORTED and after is not S.MANAGEMENT_RESPONSE)
    )
    if allowed:
        check_transition(before, after, rules, "f")
    else:
        with pytest.raises(EnvelopeError) as refused:
            check_transition(before, after, rules, "f")
        assert refused.value.reason in (E.REASON_LIFECYCLE_SKIPPED, E.REASON_LIFECYCLE_INVALID)
        assert refused.value.detail.startswith("f: ")


def test_rules_come_from_the_policy() -> None:
    from datetime import UTC, datetime

    from hub.policy import default_policy_message

    assert LifecycleRules.from_policy(default_policy_message(datetime(2026, 1, 1, tzinfo=UTC))) == STRICT
    lenient = policy_pb2.Policy(finding_lifecycle=policy_pb2.FindingLifecycle())
    assert LifecycleRules.from_policy(lenient) == LENIENT
    assert LifecycleRules.from_policy(None) == STRICT


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"type": E.MESSAGE_TYPE_REPORT}, "only an UPDATE"),
        ({"supersedes_message_id": "not-a-uuid"}, "must name the message id"),
        ({"record_version": 3}, "must be supersedes_version"),
        ({"originating_record_id": ""}, "originating_record_id"),
    ],
)
def test_a_version_header_must_hold_together(changes: dict[str, object], detail: str) -> None:
    metadata = E.RecordMetadata(
        message_id=str(uuid.uuid4()),
        type=E.MESSAGE_TYPE_UPDATE,
        supersedes_message_id=str(uuid.uuid4()),
        supersedes_version=1,
        record_version=2,
        originating_record_id="rh:" + "0" * 32,
    )
    check_version_header(metadata)
    for name, value in changes.items():
        setattr(metadata, name, value)
    with pytest.raises(EnvelopeError) as refused:
        check_version_header(metadata)
    assert reason_of(refused) == "REASON_SUPERSEDES_UNKNOWN"
    assert detail in refused.value.detail


# -- the hub, from headers alone ---------------------------------------------------------------


@pytest.fixture
async def hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


def _metadata(sender: str, version: int = 1, supersedes: str = "") -> E.RecordMetadata:
    from flows.plans import record_metadata

    metadata = record_metadata(
        sender,
        str(uuid.uuid4()),
        E.PURPOSE_OVERSIGHT_AND_AUDIT,
        E.LEGAL_BASIS_NOT_PERSONAL_DATA,
        E.CLASSIFICATION_INTERNAL,
        (),
    )
    metadata.record_version = version
    metadata.originating_record_id = "rh:" + "a" * 32
    if supersedes:
        metadata.type = E.MESSAGE_TYPE_UPDATE
        metadata.supersedes_message_id = supersedes
        metadata.supersedes_version = version - 1
    return metadata


async def test_the_hub_refuses_a_version_superseding_what_its_sender_never_sent(hub: HubHandle) -> None:
    v1, v2, _ = versions()
    guatemala, peru = await hub.client("GT-DGSP"), await hub.client("PE-INPE")
    try:
        first = _metadata("GT-DGSP")
        sent = await guatemala.submit(
            [guatemala.seal(record_pb2.Record(integrity_audit=v1), first, ("PE-INPE", "UY-INR"))]
        )
        assert sent[0].outcome == E.Receipt.OUTCOME_ACCEPTED
        peru_sent = _metadata("PE-INPE")
        await peru.submit([peru.seal(record_pb2.Record(integrity_audit=v1), peru_sent, ("UY-INR",))])
        update = record_pb2.Record(integrity_audit=v2)
        cases = [
            (str(uuid.uuid4()), ("PE-INPE", "UY-INR"), "never sent"),
            (peru_sent.message_id, ("UY-INR",), "never sent"),  # another member's message
            (first.message_id, ("UY-INR",), "recipients of the one it supersedes"),
        ]
        for link, recipients, detail in cases:
            receipt = (
                await guatemala.submit([guatemala.seal(update, _metadata("GT-DGSP", 2, link), recipients)])
            )[0]
            assert (receipt.outcome, E.Reason.Name(receipt.reason)) == (
                E.Receipt.OUTCOME_REJECTED,
                "REASON_SUPERSEDES_UNKNOWN",
            )
            assert detail in receipt.detail
        good = _metadata("GT-DGSP", 2, first.message_id)
        receipt = (await guatemala.submit([guatemala.seal(update, good, ("PE-INPE", "UY-INR"))]))[0]
        assert receipt.outcome == E.Receipt.OUTCOME_ACCEPTED
        # What `pxhub track` shows the originator: the chain, read from the audit log.
        from hub.identity.manifest import load_manifest
        from hub.sdk.audit.client import AuditClient

        audit = AuditClient(guatemala.channel, guatemala.identity, load_manifest(hub.federation_dir))
        chain = await audit.record_chain(good.message_id)
        assert chain is not None and chain.linked()
        assert [v.message_id for v in chain.versions] == [first.message_id, good.message_id]
        assert [lasted is None for _, lasted in chain.state_hours()] == [False, True]
        assert await audit.record_chain(peru_sent.message_id) is None  # not Guatemala's to see
    finally:
        await guatemala.close()
        await peru.close()
    from hub.core.audit_entry import AuditEntry

    store = hub.store
    entries = [AuditEntry.decode(e) for e in store.audit_entries(0, store.audit_size())]
    submits = [
        e
        for e in entries
        if e.action == "submit" and e.actor_id == "GT-DGSP" and "record:rh:" + "a" * 32 in e.object_ids
    ]
    assert [(e.details["version"], e.details["supersedes"]) for e in submits] == [
        (1, ""),
        (2, first.message_id),
    ]
    # The auditor's report: the chain and the time each state lasted, from headers alone.
    from hub.sdk.audit.report import build_report_data

    data = build_report_data(store.audit_entries(0, store.audit_size()))
    assert [(c.sender, len(c.versions), c.linked()) for c in data.chains()] == [("GT-DGSP", 2, True)]


# -- the flows: publish versions, receive them, refuse a broken chain ----------------------------


def _write(path: Path, audits: list[integrity_pb2.IntegrityAudit]) -> str:
    lines = (json_format.MessageToJson(record_pb2.Record(integrity_audit=a), indent=None) for a in audits)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return str(path)


@pytest.mark.prefect
async def test_a_finding_travels_as_three_versions_and_a_skip_is_refused(
    prefect_harness: None, hub: HubHandle, tmp_path: Path
) -> None:
    from flows.inbound import inbound_sync
    from flows.publish import publish_records
    from flows.sink import held_versions

    v1, v2, v3 = versions()
    args: dict[str, Any] = {
        "target": hub.target,
        "federation_dir": str(hub.federation_dir),
        "state_dir": str(tmp_path / "s"),
    }
    receive: dict[str, Any] = {"target": hub.target, "federation_dir": str(hub.federation_dir)}
    sink = tmp_path / "sink-pe"
    records = tmp_path / "records.jsonl"
    first = await publish_records("GT-DGSP", _write(records, [v1]), **args)
    assert first.accepted == 1
    skipped = await publish_records("GT-DGSP", _write(records, [v3]), **args)
    assert (skipped.accepted, [r[1] for r in skipped.rejected]) == (0, ["LIFECYCLE_SKIPPED"])
    for version in (v2, v3):
        sent = await publish_records("GT-DGSP", _write(records, [version]), **args)
        assert (sent.accepted, sent.rejected) == (1, [])
    again = await publish_records("GT-DGSP", str(records), **args)
    assert (again.accepted, again.already_sent) == (0, 1)
    received = await inbound_sync("PE-INPE", str(sink), **receive)
    assert (received.written, received.refused) == (3, [])
    held = sorted(held_versions(sink).values(), key=lambda h: h.version)
    assert [h.version for h in held] == [1, 2, 3]
    assert [h.supersedes for h in held] == ["", held[0].message_id, held[1].message_id]
    assert [record_state(h.record.integrity_audit) for h in held] == [
        S.REPORTED,
        S.MANAGEMENT_RESPONSE,
        S.VERIFIED_CLOSED,
    ]

    # A sender that bypasses its own flow: the hub sees a sound header, the receiver the skip.
    guatemala = await hub.client("GT-DGSP")
    try:
        reported = _metadata("GT-DGSP")
        skipped_audit = integrity_pb2.IntegrityAudit()
        skipped_audit.CopyFrom(v3)
        skipped_audit.audit_id = v1.audit_id = "SYN-OTRO-HALLAZGO"
        receipts = await guatemala.submit(
            [guatemala.seal(record_pb2.Record(integrity_audit=v1), reported, ("PE-INPE",))]
        )
        closing_version = _metadata("GT-DGSP", 2, reported.message_id)
        receipts += await guatemala.submit(
            [guatemala.seal(record_pb2.Record(integrity_audit=skipped_audit), closing_version, ("PE-INPE",))]
        )
        assert [r.outcome for r in receipts] == [E.Receipt.OUTCOME_ACCEPTED] * 2
        after = await inbound_sync("PE-INPE", str(sink), **receive)
        assert (after.written, [r[1] for r in after.refused]) == (1, ["LIFECYCLE_SKIPPED"])
        assert after.refused_acknowledged == 1
        assert closing_version.message_id not in held_versions(sink)
        lineage = await guatemala.track(closing_version.message_id)
        refused = E.DeliveryReceipt.DELIVERY_STATUS_REFUSED
        assert [(r.recipient, r.receipt_status) for r in lineage.recipients] == [("PE-INPE", refused)]
    finally:
        await guatemala.close()


# -- the regional integrity view (pure) -----------------------------------------------------------


def test_the_integrity_view_counts_the_newest_version_and_cites_its_records() -> None:
    from adapters.integrity_view import HeldRecord, integrity_view
    from adapters.samples.integrity import generate_ethics_training, generate_integrity_audits

    v1, v2, v3 = versions()
    ids = [str(uuid.uuid4()) for _ in range(5)]
    training = generate_ethics_training("GT-DGSP", 2025)
    other = next(generate_integrity_audits("EC-SNAI", 1, 2025))
    held = [
        HeldRecord(ids[0], 1, "", record_pb2.Record(integrity_audit=v1)),
        HeldRecord(ids[1], 2, ids[0], record_pb2.Record(integrity_audit=v2)),
        HeldRecord(ids[2], 3, ids[1], record_pb2.Record(integrity_audit=v3)),
        HeldRecord(ids[3], 1, "", record_pb2.Record(ethics_training=training)),
        HeldRecord(ids[4], 1, "", record_pb2.Record(integrity_audit=other)),
    ]
    view = integrity_view(held)
    assert list(view) == ["EC-SNAI", "GT-DGSP"]
    guatemala = view["GT-DGSP"]
    assert (guatemala.open, guatemala.closed) == (0, 1)  # the closed version counts, once
    assert guatemala.days_to_close == [150] and guatemala.median_days_to_close == 150
    assert guatemala.sources["days_to_close"] == ids[:3]  # every version of the chain dates it
    assert guatemala.sources["closed"] == [ids[2]]
    completed = sum(p.completed for p in training.participation)
    assert guatemala.coverage_per_100 == round(100 * completed / training.staff_in_scope, 1)
    assert guatemala.sources["coverage"] == [ids[3]]
    assert sum(guatemala.by_severity.values()) == sum(guatemala.by_category.values()) == 1
    ecuador = view["EC-SNAI"]
    assert ecuador.open + ecuador.closed == len(other.findings)
    assert ecuador.coverage_per_100 is None  # no training received: no figure, not zero


@pytest.mark.parametrize(
    "arrival",
    [(2, 1, 0), (2, 0, 1), (1, 2, 0), (0, 2), (2, 0)],
    ids=["reversed", "newest-first", "middle-first", "middle-missing", "newest-first-middle-missing"],
)
def test_the_integrity_view_counts_a_chain_as_its_highest_version_in_any_arrival_order(
    arrival: tuple[int, ...],
) -> None:
    from adapters.integrity_view import HeldRecord, integrity_view

    chain = versions()
    ids = [str(uuid.uuid4()) for _ in chain]
    held = [
        HeldRecord(ids[i], i + 1, ids[i - 1] if i else "", record_pb2.Record(integrity_audit=chain[i]))
        for i in arrival
    ]
    guatemala = integrity_view(held)["GT-DGSP"]
    assert (guatemala.open, guatemala.closed) == (0, 1)  # version 3 (verified closed) counts, once
    assert guatemala.sources["closed"] == [ids[2]]
    assert guatemala.days_to_close == [150]
    assert guatemala.sources["days_to_close"] == [ids[i] for i in sorted(arrival)]  # chain order


def test_the_integrity_view_counts_a_chain_still_open_when_its_newest_version_held_is_open() -> None:
    from adapters.integrity_view import HeldRecord, integrity_view

    v1, v2, _ = versions()
    ids = [str(uuid.uuid4()) for _ in range(2)]
    held = [
        HeldRecord(ids[1], 2, ids[0], record_pb2.Record(integrity_audit=v2)),
        HeldRecord(ids[0], 1, "", record_pb2.Record(integrity_audit=v1)),
    ]
    guatemala = integrity_view(held)["GT-DGSP"]
    assert (guatemala.open, guatemala.closed) == (1, 0)
    assert guatemala.sources["open"] == [ids[1]] and guatemala.days_to_close == []


def test_the_integrity_view_counts_the_newest_version_of_a_training_record() -> None:
    from adapters.integrity_view import HeldRecord, integrity_view
    from adapters.samples.integrity import generate_ethics_training

    first = generate_ethics_training("GT-DGSP", 2025)
    updated = record_pb2.Record(ethics_training=first).ethics_training
    updated.participation[0].enrolled += 7  # seven more staff took the course since
    updated.participation[0].completed += 7
    ids = [str(uuid.uuid4()) for _ in range(2)]
    held = [
        HeldRecord(ids[1], 2, ids[0], record_pb2.Record(ethics_training=updated)),
        HeldRecord(ids[0], 1, "", record_pb2.Record(ethics_training=first)),
    ]
    guatemala = integrity_view(held)["GT-DGSP"]
    assert guatemala.staff_in_scope == updated.staff_in_scope  # counted once, not twice
    assert guatemala.staff_completed == sum(p.completed for p in updated.participation)
    assert guatemala.sources["coverage"] == [ids[1]]
