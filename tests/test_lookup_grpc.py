"""Lookups and requests over real gRPC: hit / no hit, requests answered, refused, withdrawn, overdue.

Every bad input gets its own reason in ``ErrorInfo`` (or in the receipt), changes nothing, and is
audited.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, timedelta
from pathlib import Path

import grpc
import pytest

from adapters.samples.synthetic import generate_profiles
from hub.core.lookup import Token, document_token, profile_tokens, record_handle
from hub.runtime.clock import MovableClock
from hub.sdk import MemberClient
from hub.transport.status import reason_of, retry_delay_of
from pxhub.v1 import best_practice_pb2, envelope_pb2, lookup_pb2, options_pb2, record_pb2, request_pb2
from tests.conftest import HubHandle, start_test_hub

E = envelope_pb2
L = lookup_pb2
Q = request_pb2
HANDLE_KEY = b"test record handle key, 32 byte"
CRIME = (E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME, E.LEGAL_BASIS_BILATERAL_AGREEMENT)
LAYERS = [
    options_pb2.SENSITIVITY_PERSONAL,
    options_pb2.SENSITIVITY_IDENTIFIER,
    options_pb2.SENSITIVITY_JUDICIAL,
]


@pytest.fixture
async def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def hub(federation_dir: Path, clock: MovableClock) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir, clock=clock, member_lookup_token_burst=300)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def clients(hub: HubHandle, *members: str) -> list[MemberClient]:
    """Clients that see a rate-limit refusal at once (the refusals are under test here)."""
    return [await hub.client(m, rate_limit_wait=0) for m in members]


async def refused(call: object) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call  # type: ignore[misc]
    return reason_of(raised.value)


def audit_actions(hub: HubHandle) -> list[tuple[str, str, str]]:
    entries = [json.loads(e) for e in hub.store.audit_entries(0, hub.store.audit_size())]
    return [(e["action"], e["outcome"], e["reason"]) for e in entries]


async def indexed(hub: HubHandle, clock: MovableClock) -> tuple[MemberClient, MemberClient, list[Token], str]:
    """Epoch 1 started by the issuer, PE publishing one profile: (CO, PE, its tokens, its handle)."""
    co, pe = await clients(hub, "CO-INPEC", "PE-INPE")
    assert await co.start_epoch() == 1
    epoch, key = await pe.matching_key()
    profile = next(generate_profiles("PE-INPE", 1, 11))
    handle = record_handle(HANDLE_KEY, profile.custodian_subject_id)
    tokens = profile_tokens(key, profile)
    added, _, held = await pe.publish_tokens(epoch, [(handle, t) for t in tokens])
    assert added == held == len(tokens)
    return co, pe, tokens, handle


async def test_only_the_issuer_starts_an_epoch_and_every_member_opens_one_key(hub: HubHandle) -> None:
    co, pe, mx = await clients(hub, "CO-INPEC", "PE-INPE", "MX-OADPRS")
    assert await pe.current_epoch() == 0
    with pytest.raises(ValueError, match="issuer"):
        await pe.start_epoch()
    assert await co.start_epoch() == 1
    keys = {(await c.matching_key())[1] for c in (co, pe, mx)}
    assert len(keys) == 1 and len(next(iter(keys))) == 32
    assert await co.start_epoch() == 2
    assert (await pe.matching_key())[0] == 2
    assert ("lookup.key", "ok", "") in audit_actions(hub)


async def test_lookup_answers_hit_no_hit_not_permitted_and_not_indexed(
    hub: HubHandle, clock: MovableClock
) -> None:
    co, pe, tokens, handle = await indexed(hub, clock)
    epoch, key = await co.matching_key()
    nobody = Token(L.MATCH_KIND_DOCUMENT, document_token(key, "CO", "CO_CEDULA_CIUDADANIA", "9999999999"))
    response = await co.lookup(*CRIME, [*tokens, nobody], epoch)
    answers = {a.member_id: a for a in response.answers}
    assert "CO-INPEC" not in answers  # never matched against the asker's own records
    assert answers["PE-INPE"].outcome == L.LOOKUP_OUTCOME_HIT
    assert {h.token_index for h in answers["PE-INPE"].hits} == set(range(len(tokens)))
    assert {h.kind for h in answers["PE-INPE"].hits} == {L.MATCH_KIND_DOCUMENT, L.MATCH_KIND_DEMOGRAPHIC}
    assert answers["MX-OADPRS"].outcome == L.LOOKUP_OUTCOME_NOT_INDEXED  # CO-MX agreement, no tokens yet
    for member in ("GT-DGSP", "EC-SNAI", "UY-INR", "DO-DGSPC"):  # no agreement with CO for the purpose
        assert answers[member].outcome == L.LOOKUP_OUTCOME_NOT_PERMITTED
        assert answers[member].reason == E.REASON_NO_AGREEMENT
    assert await pe.resolve_match(answers["PE-INPE"].hits[0].match_ref) == handle
    assert await refused(co.resolve_match(answers["PE-INPE"].hits[0].match_ref)) == "MATCH_REF_INVALID"
    entries = (json.loads(x) for x in hub.store.audit_entries(0, hub.store.audit_size()))
    query = next(e for e in entries if e["action"] == "lookup.query")
    assert query["details"]["hit"] == "PE-INPE" and query["details"]["tokens"] == len(tokens) + 1
    assert all(t.value.hex() not in json.dumps(query) for t in tokens)  # counts, never tokens


async def test_bad_lookups_are_refused_each_with_its_reason_and_audited(
    hub: HubHandle, clock: MovableClock
) -> None:
    co, pe, tokens, _ = await indexed(hub, clock)
    epoch = (await co.matching_key())[0]
    short = Token(L.MATCH_KIND_DOCUMENT, b"x" * 31)
    assert await refused(co.lookup(*CRIME, [short], epoch)) == "LOOKUP_TOKEN_INVALID"
    assert await refused(co.lookup(*CRIME, tokens, epoch + 1)) == "LOOKUP_EPOCH_STALE"
    assert (
        await refused(
            co.lookup(E.PURPOSE_OVERSIGHT_AND_AUDIT, E.LEGAL_BASIS_BILATERAL_AGREEMENT, tokens, epoch)
        )
        == "LOOKUP_NOT_PERMITTED"
    )
    assert (
        await refused(
            co.lookup(E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME, E.LEGAL_BASIS_CONSENT, tokens, epoch)
        )
        == "LEGAL_BASIS_NOT_PERMITTED"
    )
    assert await refused(co.lookup(*CRIME, [], epoch)) == "LOOKUP_TOKEN_INVALID"
    bad_handle = await refused(pe.publish_tokens(epoch, [("12345678", tokens[0])]))
    assert bad_handle == "RECORD_HANDLE_INVALID"
    denied = [a for a in audit_actions(hub) if a[1] == "deny"]
    assert ("lookup.query", "deny", "LOOKUP_TOKEN_INVALID") in denied
    assert ("lookup.publish", "deny", "RECORD_HANDLE_INVALID") in denied
    many = tokens * (300 // len(tokens) + 1)
    with pytest.raises(grpc.aio.AioRpcError) as raised:  # the burst (300 here) is spent
        await co.lookup(*CRIME, many[:300], epoch)
        await co.lookup(*CRIME, many[:300], epoch)
    assert reason_of(raised.value) == "RATE_LIMITED" and (retry_delay_of(raised.value) or 0) > 0


async def test_a_suspended_member_cannot_look_up(hub: HubHandle, clock: MovableClock) -> None:
    co, _, tokens, _ = await indexed(hub, clock)
    epoch = (await co.matching_key())[0]
    operator = await hub.client("OPERATOR-1")
    await operator.set_member_status("CO-INPEC", "suspended", "audit pending")
    try:
        assert await refused(co.lookup(*CRIME, tokens, epoch)) == "SENDER_INACTIVE"
    finally:
        await operator.set_member_status("CO-INPEC", "active", "audit closed")


def peru_hit(response: L.LookupResponse) -> str:
    """The match reference of PE-INPE's first hit."""
    return next(a for a in response.answers if a.member_id == "PE-INPE").hits[0].match_ref


async def _request(
    co: MemberClient,
    match_ref: str,
    holder: str = "PE-INPE",
    urgency: int = E.REQUEST_URGENCY_ORDINARY,
    layers: Sequence[int] = LAYERS,
) -> E.Receipt:
    envelope = co.request_envelope(holder, match_ref, *CRIME, urgency, layers, "investigación", "CO-1")
    return (await co.submit([envelope]))[0]


async def _opened_request(pe: MemberClient) -> E.RecordMetadata:
    for delivery in [d async for d in pe.fetch()]:
        if delivery.HasField("envelope"):
            opened = pe.open(delivery)
            if opened.verified.metadata.type == E.MESSAGE_TYPE_REQUEST:
                assert opened.record.HasField("file_request")
                return opened.verified.metadata
    raise AssertionError("no request delivered")


async def test_a_request_is_answered_once_by_the_member_asked(hub: HubHandle, clock: MovableClock) -> None:
    co, pe, tokens, _ = await indexed(hub, clock)
    mx = await hub.client("MX-OADPRS")
    epoch = (await co.matching_key())[0]
    match_ref = peru_hit(await co.lookup(*CRIME, tokens, epoch))
    assert (await _request(co, match_ref, holder="MX-OADPRS")).reason == E.REASON_MATCH_REF_INVALID
    assert (await _request(co, match_ref, holder="GT-DGSP")).reason == E.REASON_NO_AGREEMENT
    bogus = "mr:" + "0" * 32
    assert (await _request(co, bogus)).reason == E.REASON_MATCH_REF_INVALID
    receipt = await _request(co, match_ref)
    assert receipt.outcome == E.Receipt.OUTCOME_ACCEPTED, receipt.detail
    [view] = await co.list_requests()
    assert view.state == Q.REQUEST_STATE_OPEN and view.responder == "PE-INPE"
    assert view.deadline.ToDatetime(UTC) - view.opened_at.ToDatetime(UTC) == timedelta(days=10)
    asked = await _opened_request(pe)
    profile = next(generate_profiles("PE-INPE", 1, 11))
    answer = pe.answer_envelope(asked, record_pb2.Record(inmate_security_profile=profile))
    header = E.RecordMetadata.FromString(E.EnvelopeHeader.FromString(answer.header).metadata)
    assert set(header.layers) <= {1, *LAYERS}
    stolen = mx.answer_envelope(asked, record_pb2.Record(inmate_security_profile=profile))
    assert (await mx.submit([stolen]))[0].reason == E.REASON_REQUEST_NOT_YOURS
    receipts = await pe.submit([answer])
    assert receipts[0].outcome == E.Receipt.OUTCOME_ACCEPTED, receipts[0].detail
    again = pe.answer_envelope(asked, record_pb2.Record(inmate_security_profile=profile))
    assert (await pe.submit([again]))[0].reason == E.REASON_REQUEST_CLOSED
    [closed] = await co.list_requests()
    assert closed.state == Q.REQUEST_STATE_ANSWERED and closed.response_message_id == header.message_id
    assert await refused(pe.list_requests(member_id="MX-OADPRS")) == "REQUEST_NOT_YOURS"
    operator = await hub.client("OPERATOR-1")
    assert [v.message_id for v in await operator.list_requests(state=Q.REQUEST_STATE_ANSWERED)] == [
        view.message_id
    ]


async def test_bad_responses_are_refused_and_nothing_is_stored(hub: HubHandle, clock: MovableClock) -> None:
    co, pe, tokens, _ = await indexed(hub, clock)
    epoch = (await co.matching_key())[0]
    match_ref = peru_hit(await co.lookup(*CRIME, tokens, epoch))
    assert (await _request(co, match_ref)).outcome == E.Receipt.OUTCOME_ACCEPTED
    asked = await _opened_request(pe)
    unknown = E.RecordMetadata()
    unknown.CopyFrom(asked)
    unknown.message_id = "00000000-0000-4000-8000-000000000000"
    orphan = pe.refusal_envelope(unknown, E.REFUSAL_REASON_NO_RECORD, "x")
    before = hub.store.stats().envelopes
    assert (await pe.submit([orphan]))[0].reason == E.REASON_REQUEST_UNKNOWN
    no_reason = pe.refusal_envelope(asked, E.REFUSAL_REASON_UNSPECIFIED, "x")
    assert (await pe.submit([no_reason]))[0].reason == E.REASON_REQUEST_INVALID
    assert hub.store.stats().envelopes == before
    refusal = pe.refusal_envelope(asked, E.REFUSAL_REASON_LEGAL_IMPEDIMENT, "ley nacional")
    assert (await pe.submit([refusal]))[0].outcome == E.Receipt.OUTCOME_ACCEPTED
    [view] = await co.list_requests()
    assert (view.state, view.refusal_reason) == (Q.REQUEST_STATE_REFUSED, E.REFUSAL_REASON_LEGAL_IMPEDIMENT)


async def test_a_withdrawn_request_cannot_be_answered_and_the_holder_is_told(
    hub: HubHandle, clock: MovableClock
) -> None:
    co, pe, tokens, _ = await indexed(hub, clock)
    epoch = (await co.matching_key())[0]
    match_ref = peru_hit(await co.lookup(*CRIME, tokens, epoch))
    assert (await _request(co, match_ref)).outcome == E.Receipt.OUTCOME_ACCEPTED
    asked = await _opened_request(pe)
    assert await refused(pe.withdraw_request(asked.message_id, "not mine")) == "REQUEST_NOT_YOURS"
    view = await co.withdraw_request(asked.message_id, "case closed")
    assert view.state == Q.REQUEST_STATE_WITHDRAWN
    assert await refused(co.withdraw_request(asked.message_id, "again")) == "REQUEST_CLOSED"
    late = pe.refusal_envelope(asked, E.REFUSAL_REASON_NO_RECORD, "x")
    assert (await pe.submit([late]))[0].reason == E.REASON_REQUEST_WITHDRAWN
    notices = [d.request_notice async for d in pe.fetch() if d.HasField("request_notice")]
    assert [n.event for n in notices] == [Q.REQUEST_EVENT_WITHDRAWN]
    assert [d async for d in pe.fetch() if d.HasField("request_notice")] == []  # carried once
    assert ("request.withdraw", "ok", "") in audit_actions(hub)


async def test_an_unanswered_request_goes_overdue_and_both_members_are_told(
    hub: HubHandle, clock: MovableClock
) -> None:
    co, pe, tokens, _ = await indexed(hub, clock)
    epoch = (await co.matching_key())[0]
    match_ref = peru_hit(await co.lookup(*CRIME, tokens, epoch))
    assert (
        await _request(co, match_ref, urgency=E.REQUEST_URGENCY_URGENT)
    ).outcome == E.Receipt.OUTCOME_ACCEPTED
    asked = await _opened_request(pe)
    exchange = hub.running.context.exchange  # type: ignore[attr-defined]
    assert exchange.requests.sweep() == []  # within its 48 hours
    clock.advance(timedelta(hours=49))
    [overdue] = exchange.requests.sweep()
    assert overdue.message_id == asked.message_id
    assert ("request.overdue", "ok", "") in audit_actions(hub)
    for member in (co, pe):
        events = [d.request_notice.event async for d in member.fetch() if d.HasField("request_notice")]
        assert events == [Q.REQUEST_EVENT_OVERDUE]
    operator = await hub.client("OPERATOR-1")
    assert [v.state for v in await operator.list_requests(overdue_only=True)] == [Q.REQUEST_STATE_OVERDUE]


async def test_pull_only_layers_travel_only_in_an_approved_answer(
    hub: HubHandle, clock: MovableClock
) -> None:
    co, pe, tokens, _ = await indexed(hub, clock)
    epoch = (await co.matching_key())[0]
    match_ref = peru_hit(await co.lookup(*CRIME, tokens, epoch))
    biometric = options_pb2.SENSITIVITY_BIOMETRIC
    assert (await _request(co, match_ref, layers=[*LAYERS, biometric])).outcome == E.Receipt.OUTCOME_ACCEPTED
    asked = await _opened_request(pe)
    profile = next(generate_profiles("PE-INPE", 1, 11))
    assert profile.biometrics, "the sample profile carries biometric references"
    record = record_pb2.Record(inmate_security_profile=profile)
    unapproved = pe.answer_envelope(asked, record)
    assert (await pe.submit([unapproved]))[0].reason == E.REASON_APPROVER_SIGNATURE_MISSING
    approved = pe.answer_envelope(asked, record, approve=True)
    assert (await pe.submit([approved]))[0].outcome == E.Receipt.OUTCOME_ACCEPTED
    delivered = [d async for d in co.fetch() if d.HasField("envelope")]
    opened = co.open(delivered[-1])  # the requester's guard accepts pull-only layers in an answer
    assert opened.record.inmate_security_profile.biometrics
    pushed = pe.seal(
        record,
        E.RecordMetadata(purpose=CRIME[0], legal_basis=CRIME[1], type=E.MESSAGE_TYPE_REPORT),
        ["CO-INPEC"],
        approve=True,
    )
    assert (await pe.submit([pushed]))[0].reason == E.REASON_LAYER_NOT_PERMITTED


async def test_an_identifier_in_clear_is_refused_in_the_header(hub: HubHandle) -> None:
    pe = await hub.client("PE-INPE")
    practice = record_pb2.Record(
        best_practice=best_practice_pb2.BestPracticeRecord(practice_id="p1", owner="PE-INPE")
    )
    metadata = E.RecordMetadata(
        purpose=E.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING,
        legal_basis=E.LEGAL_BASIS_NOT_PERSONAL_DATA,
        originating_record_id="45678912",
    )
    receipt = (await pe.submit([pe.seal(practice, metadata, ["CO-INPEC"])]))[0]
    assert receipt.reason == E.REASON_RECORD_HANDLE_INVALID
    metadata.originating_record_id = record_handle(os.urandom(32), "45678912")
    metadata.message_id = ""
    assert (await pe.submit([pe.seal(practice, metadata, ["CO-INPEC"])]))[
        0
    ].outcome == E.Receipt.OUTCOME_ACCEPTED
    stray = E.RecordMetadata(
        purpose=E.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING,
        legal_basis=E.LEGAL_BASIS_NOT_PERSONAL_DATA,
        match_ref="mr:" + "1" * 32,
    )
    assert (await pe.submit([pe.seal(practice, stray, ["CO-INPEC"])]))[0].reason == E.REASON_REQUEST_INVALID
