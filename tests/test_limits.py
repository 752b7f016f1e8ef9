"""Per-member limits: envelope rate, concurrent streams, idle streams; others keep being served."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from hub.core.audit_entry import AuditEntry
from hub.core.envelope import MAX_ITEMS_PER_REQUEST
from hub.dev.federation import default_members
from hub.sdk import MemberClient
from hub.server.limits import MemberLimits
from hub.transport.status import RpcRefusal, reason_of, retry_delay_of
from pxhub.v1 import audit_log_pb2, audit_log_pb2_grpc, envelope_pb2, exchange_pb2
from tests.conftest import HubHandle, start_test_hub
from tests.security_support import channel, identity_credentials
from tests.test_exchange_grpc import knowledge_metadata, practice

A, B, C = (m.member_id for m in default_members()[:3])
ACCEPTED = envelope_pb2.Receipt.Outcome.OUTCOME_ACCEPTED


async def submit_one(client: MemberClient, sender: str) -> int:
    receipts = await client.submit([client.seal(practice(sender), knowledge_metadata(), [C])])
    return int(receipts[0].outcome)


def test_token_bucket_refills_and_names_the_wait() -> None:
    now = [0.0]
    limits = MemberLimits(envelopes_per_second=10, envelope_burst=5, max_streams=2, clock=lambda: now[0])
    limits.take_envelopes(A, 5)
    with pytest.raises(RpcRefusal) as refused:
        limits.take_envelopes(A, 1)
    assert refused.value.retry_after == pytest.approx(0.1)
    limits.take_envelopes(B, 5)  # another member has its own bucket
    now[0] = 0.5
    limits.take_envelopes(A, 5)
    now[0] = 10.0
    limits.take_envelopes(A, 50)  # larger than the burst: passes on a full bucket, empties it
    with limits.stream(A), limits.stream(A):
        with pytest.raises(RpcRefusal), limits.stream(A):
            pass
        assert limits.open_streams(A) == 2
    assert limits.open_streams(A) == 0


@pytest.fixture
async def hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(
        federation_dir,
        member_envelopes_per_second=5.0,
        member_envelope_burst=10,
        member_max_streams=3,
        stream_idle_seconds=1.5,
    )
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_rate_limit_refuses_with_retry_info(hub: HubHandle) -> None:
    client = await hub.client(A, rate_limit_wait=0)  # the refusal itself, not the SDK's retry
    other = await hub.client(B)
    try:
        for _ in range(2):
            batch = [client.seal(practice(A), knowledge_metadata(), [C]) for _ in range(5)]
            assert {r.outcome for r in await client.submit(batch)} == {ACCEPTED}
        before = hub.store.audit_size()
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.submit([client.seal(practice(A), knowledge_metadata(), [C]) for _ in range(5)])
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert reason_of(refused.value) == "RATE_LIMITED"
        delay = retry_delay_of(refused.value)
        assert delay is not None and 0 < delay <= 2
        entries = [AuditEntry.decode(e) for e in hub.store.audit_entries(before, hub.store.audit_size())]
        assert [(e.action, e.reason) for e in entries] == [("auth.refuse", "RATE_LIMITED")]
        # Another member is not affected; the limited one succeeds after the delay.
        assert await submit_one(other, B) == ACCEPTED
        await asyncio.sleep(delay + 0.05)
        assert await submit_one(client, A) == ACCEPTED
    finally:
        await client.close()
        await other.close()


async def test_stuck_client_cannot_hold_the_hub(hub: HubHandle, federation_dir: Path) -> None:
    """A member opens Submit streams and never sends: capped, then closed when idle."""
    stuck = channel(hub.target, identity_credentials(federation_dir, A))
    submit: grpc.aio.StreamStreamMultiCallable[exchange_pb2.SubmitRequest, exchange_pb2.SubmitResponse]
    submit = stuck.stream_stream(
        "/pxhub.v1.ExchangeService/Submit",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=exchange_pb2.SubmitResponse.FromString,
    )
    never = asyncio.Event()

    async def silent() -> AsyncIterator[exchange_pb2.SubmitRequest]:
        await never.wait()
        yield exchange_pb2.SubmitRequest()

    calls = [submit(silent()) for _ in range(3)]
    outcomes = [asyncio.create_task(_drain(call)) for call in calls]
    limits = hub.running.context.guard.limits  # type: ignore[attr-defined]
    for _ in range(100):
        if limits.open_streams(A) == 3:
            break
        await asyncio.sleep(0.02)
    assert limits.open_streams(A) == 3
    # A fourth stream of the same member is refused with a retry hint ...
    fetch: grpc.aio.UnaryStreamMultiCallable[exchange_pb2.FetchRequest, exchange_pb2.FetchResponse]
    fetch = stuck.unary_stream(
        "/pxhub.v1.ExchangeService/Fetch",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=exchange_pb2.FetchResponse.FromString,
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in fetch(exchange_pb2.FetchRequest(), timeout=5):
            pass
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert reason_of(refused.value) == "RATE_LIMITED" and retry_delay_of(refused.value)
    # ... and so is a listing of the audit log, which is a stream too ...
    entries = audit_log_pb2_grpc.AuditServiceStub(stuck)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        async for _ in entries.ListEntries(audit_log_pb2.ListEntriesRequest(page_size=1), timeout=5):
            pass
    assert reason_of(refused.value) == "RATE_LIMITED"
    assert limits.open_streams(A) == 3  # a refused stream holds no slot
    # ... while other members are served normally.
    other = await hub.client(B)
    try:
        assert await submit_one(other, B) == ACCEPTED
        recipient = await hub.client(C)
        assert len([d async for d in recipient.fetch()]) == 1
        await recipient.close()
    finally:
        await other.close()
    # The idle deadline closes the stuck streams and frees their slots.
    results = await asyncio.wait_for(asyncio.gather(*outcomes), 10)
    assert results == [(grpc.StatusCode.DEADLINE_EXCEEDED, "STREAM_IDLE")] * 3
    assert limits.open_streams(A) == 0
    assert [d async for d in fetch(exchange_pb2.FetchRequest(), timeout=5)] == []
    never.set()
    await stuck.close()


async def _drain(call: grpc.aio.StreamStreamCall) -> tuple[grpc.StatusCode, str]:  # type: ignore[type-arg]
    try:
        async for _ in call:
            pass
    except grpc.aio.AioRpcError as error:
        return error.code(), reason_of(error)
    return grpc.StatusCode.OK, ""


async def test_the_sdk_waits_out_a_rate_limit_by_itself(hub: HubHandle) -> None:
    """A Submit over the envelope quota is resent, the unanswered part only, after the hub's delay."""
    client = await hub.client(A)
    try:
        batch = [client.seal(practice(A), knowledge_metadata(), [C]) for _ in range(14)]
        receipts = await client.submit(batch, batch_size=7)  # 10 pass the burst, the rest wait
        assert [r.outcome for r in receipts] == [ACCEPTED] * 14
    finally:
        await client.close()


@pytest.fixture
async def call_quota_hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir, member_calls_per_second=1.0, member_call_burst=5)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_every_rpc_counts_against_the_call_quota_and_floods_are_audited_per_window(
    call_quota_hub: HubHandle,
) -> None:
    hub = call_quota_hub
    client = await hub.client(A, rate_limit_wait=0)
    other = await hub.client(B, rate_limit_wait=0)
    try:
        # connect made two calls (directory, policy); three more pass, then every call is refused.
        for _ in range(3):
            await client.list_requests()
        before = hub.store.audit_size()
        for _ in range(40):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await client.list_requests()
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert reason_of(refused.value) == "RATE_LIMITED" and retry_delay_of(refused.value)
        # The first refusal is audited at once; the other 39 are counted, not written one by one.
        first = [AuditEntry.decode(e) for e in hub.store.audit_entries(before, hub.store.audit_size())]
        assert [(e.action, e.reason, e.actor_id) for e in first] == [("auth.refuse", "RATE_LIMITED", A)]
        # Another caller has its own quota.
        await other.list_requests()
        # When the window closes (here: the hub stops) one entry counts the rest, per method.
        size = hub.store.audit_size()
        hub.running.context.guard.close_refusal_windows(all_windows=True)  # type: ignore[attr-defined]
        summary = [AuditEntry.decode(e) for e in hub.store.audit_entries(size, hub.store.audit_size())]
        assert len(summary) == 1
        assert summary[0].details["items"] == 39
        assert summary[0].details["by_method"] == "ListRequests=39"
        assert summary[0].details["by_reason"] == "RATE_LIMITED=39"
    finally:
        await client.close()
        await other.close()


async def test_a_unary_call_waits_out_its_rate_limit_within_the_budget_and_no_longer(
    call_quota_hub: HubHandle,
) -> None:
    hub = call_quota_hub  # 1 call per second, burst 5; connect spends two
    patient = await hub.client(A, rate_limit_wait=5)
    hasty = await hub.client(B, rate_limit_wait=0.2)
    try:
        for _ in range(3):
            await patient.list_requests()
            await hasty.list_requests()
        before = hub.store.audit_size()
        with pytest.raises(grpc.aio.AioRpcError) as refused:  # a second's delay is over its budget
            await hasty.list_requests()
        assert reason_of(refused.value) == "RATE_LIMITED"
        started = asyncio.get_running_loop().time()
        await patient.list_requests()  # refused once, retried after the hub's delay, answered
        assert asyncio.get_running_loop().time() - started >= 0.5
        entries = [AuditEntry.decode(e) for e in hub.store.audit_entries(before, hub.store.audit_size())]
        assert [(e.actor_id, e.reason) for e in entries] == [(B, "RATE_LIMITED"), (A, "RATE_LIMITED")]
    finally:
        await patient.close()
        await hasty.close()


@pytest.fixture
async def receipt_quota_hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir, member_receipts_per_second=1.0, member_receipt_burst=300)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_garbage_acknowledgements_add_one_entry_per_call_and_spend_the_receipt_quota(
    receipt_quota_hub: HubHandle,
) -> None:
    hub = receipt_quota_hub
    client = await hub.client(A, rate_limit_wait=0)
    garbage = [
        exchange_pb2.Acknowledgement(receipt=bytes([i % 256]) * 40, signature=envelope_pb2.Signature())
        for i in range(200)
    ]
    try:
        before = hub.store.audit_size()
        results = await client.acknowledge(garbage)
        assert {r.outcome for r in results} == {exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED}
        entries = [AuditEntry.decode(e) for e in hub.store.audit_entries(before, hub.store.audit_size())]
        assert [(e.action, e.outcome) for e in entries] == [("acknowledge", "deny")]
        assert entries[0].details["items"] == 200
        # 100 of the 300 receipts are left: another 200 are refused before any work.
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.acknowledge(garbage)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert reason_of(refused.value) == "RATE_LIMITED"
    finally:
        await client.close()


async def test_a_garbage_submit_batch_adds_one_entry(hub: HubHandle) -> None:
    client = await hub.client(A, rate_limit_wait=0)
    try:
        good = client.seal(practice(A), knowledge_metadata(), [C])
        garbage = [envelope_pb2.Envelope(header=bytes([i]) * 30, ciphertext=b"x") for i in range(8)]
        before = hub.store.audit_size()
        receipts = await client.submit([*garbage, good])
        assert [r.outcome for r in receipts] == [envelope_pb2.Receipt.OUTCOME_REJECTED] * 8 + [ACCEPTED]
        entries = [AuditEntry.decode(e) for e in hub.store.audit_entries(before, hub.store.audit_size())]
        assert [(e.action, e.outcome) for e in entries] == [("submit", "permit"), ("submit", "deny")]
        assert entries[1].details["items"] == 8
        # Resending the accepted envelope is a duplicate: nothing new happened, nothing is audited.
        size = hub.store.audit_size()
        again = await client.submit([good])
        assert again[0].outcome == envelope_pb2.Receipt.OUTCOME_DUPLICATE
        assert hub.store.audit_size() == size
    finally:
        await client.close()


@pytest.fixture
async def default_hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


def garbage_acks(count: int) -> list[exchange_pb2.Acknowledgement]:
    return [
        exchange_pb2.Acknowledgement(receipt=i.to_bytes(4, "big") * 10, signature=envelope_pb2.Signature())
        for i in range(count)
    ]


async def test_a_request_over_the_item_cap_is_refused_whole_and_the_sdk_splits_its_own(
    default_hub: HubHandle,
) -> None:
    hub = default_hub
    client = await hub.client(A, rate_limit_wait=0)
    try:
        before = hub.store.audit_size()
        too_many = exchange_pb2.AcknowledgeRequest(acknowledgements=garbage_acks(MAX_ITEMS_PER_REQUEST + 1))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await client.exchange.Acknowledge(too_many)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert reason_of(refused.value) == "TOO_LARGE"
        assert f"at most {MAX_ITEMS_PER_REQUEST:,}" in str(refused.value.details())

        async def one_request() -> AsyncIterator[exchange_pb2.SubmitRequest]:
            yield exchange_pb2.SubmitRequest(
                envelopes=[envelope_pb2.Envelope(header=b"h", ciphertext=b"x")] * (MAX_ITEMS_PER_REQUEST + 1)
            )

        code, reason = await _drain(client.exchange.Submit(one_request()))
        assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "TOO_LARGE")
        entries = [AuditEntry.decode(e) for e in hub.store.audit_entries(before, hub.store.audit_size())]
        assert [(e.action, e.reason) for e in entries] == [("auth.refuse", "TOO_LARGE")] * 2  # one per call
        assert hub.store.stats().envelopes == 0  # nothing of either request was stored
        # The SDK keeps to the cap by itself: three calls, every result in order.
        results = await client.acknowledge(garbage_acks(2 * MAX_ITEMS_PER_REQUEST + 5))
        assert len(results) == 2 * MAX_ITEMS_PER_REQUEST + 5
        assert {r.outcome for r in results} == {exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED}
    finally:
        await client.close()
