"""The exchange over real gRPC and real mTLS on loopback: no mocks of the hub."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hub.core.envelope import RecipientKey, SignerKey, seal
from hub.dev.federation import default_member_ids
from hub.policy import default_policy
from hub.services.audit_events import items_digest
from hub.transport.status import reason_of
from pxhub.v1 import (
    best_practice_pb2,
    directory_pb2,
    directory_pb2_grpc,
    envelope_pb2,
    exchange_pb2,
    exchange_pb2_grpc,
    inmate_profile_pb2,
    record_pb2,
)
from tests.conftest import PASSPHRASE, HubHandle, start_test_hub

E = envelope_pb2
Outcome = E.Receipt.Outcome
_ISSUED = datetime.now(UTC)  # any instant: the default policy's dates follow its issue
PARTNERS = {
    m: default_policy(_ISSUED).partners(
        m,
        E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
        E.LEGAL_BASIS_BILATERAL_AGREEMENT,
        default_member_ids(),
        _ISSUED,
    )
    for m in default_member_ids()
}


def practice(owner: str, title: str = "VIVIF") -> record_pb2.Record:
    return record_pb2.Record(
        best_practice=best_practice_pb2.BestPracticeRecord(
            practice_id=str(uuid.uuid4()), owner=owner, title=title
        )
    )


def profile(custodian: str) -> record_pb2.Record:
    return record_pb2.Record(
        inmate_security_profile=inmate_profile_pb2.InmateSecurityProfile(
            profile_id=str(uuid.uuid4()),
            custodian=custodian,
            identity=inmate_profile_pb2.PersonIdentity(given_names="Ana", first_surname="Pérez"),
        )
    )


def knowledge_metadata() -> envelope_pb2.RecordMetadata:
    return E.RecordMetadata(
        purpose=E.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING, legal_basis=E.LEGAL_BASIS_NOT_PERSONAL_DATA
    )


def security_metadata() -> envelope_pb2.RecordMetadata:
    return E.RecordMetadata(
        purpose=E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
        legal_basis=E.LEGAL_BASIS_BILATERAL_AGREEMENT,
        handling=E.HandlingInstructions(classification=E.CLASSIFICATION_RESTRICTED),
    )


async def test_exchange_among_all_seven(hub_server: HubHandle) -> None:
    clients = {m: await hub_server.client(m) for m in default_member_ids()}
    try:
        sent: dict[str, set[str]] = {m: set() for m in default_member_ids()}
        for sender, client in clients.items():
            others = [m for m in default_member_ids() if m != sender]
            envelopes = [client.seal(practice(sender), knowledge_metadata(), others)]
            # Profiles travel only to bilateral security-cooperation partners under the default policy.
            envelopes += [client.seal(profile(sender), security_metadata(), [r]) for r in PARTNERS[sender]]
            receipts = await client.submit(envelopes, batch_size=3)
            assert [r.outcome for r in receipts] == [Outcome.OUTCOME_ACCEPTED] * len(envelopes)
            for envelope, receipt in zip(envelopes, receipts, strict=True):
                for wrap in envelope.key_wraps:
                    sent[wrap.recipient].add(receipt.message_id)
        for member, client in clients.items():
            deliveries = [d async for d in client.fetch()]
            opened = [client.open(d) for d in deliveries]
            assert {o.message_id for o in opened} == sent[member]
            assert len(opened) == 8  # six programme records and a profile from each of two partners
            assert {o.sender for o in opened} == set(default_member_ids()) - {member}
            results = await client.acknowledge([client.receipt_for(o.verified) for o in opened])
            assert all(r.outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED for r in results)
            assert [d async for d in client.fetch()] == []  # nothing comes back after acknowledgement
        stats = hub_server.store.stats()
        assert stats.mailbox_pending == 0 and stats.mailbox_acknowledged == 7 * 8
    finally:
        for client in clients.values():
            await client.close()


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


TAMPERS = {
    "header": (
        lambda e: setattr(e, "header", _flip(e.header, len(e.header) // 2)),
        E.REASON_SIGNATURE_INVALID,
    ),
    "ciphertext": (
        lambda e: setattr(e, "ciphertext", _flip(e.ciphertext, 20)),
        E.REASON_CIPHERTEXT_DIGEST_MISMATCH,
    ),
    "key wrap": (
        lambda e: setattr(e.key_wraps[0], "enc", _flip(e.key_wraps[0].enc, 5)),
        E.REASON_KEY_WRAPS_DIGEST_MISMATCH,
    ),
    "signature": (
        lambda e: setattr(e.signatures[0], "value", _flip(e.signatures[0].value, 3)),
        E.REASON_SIGNATURE_INVALID,
    ),
    "signer key id": (
        lambda e: setattr(e.signatures[0], "key_id", "CO-INPEC/signing/0000000000000000"),
        E.REASON_UNKNOWN_SIGNING_KEY,
    ),
    "malformed header bytes": (lambda e: setattr(e, "header", b"\xff\xff\xff"), E.REASON_MALFORMED),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
async def test_each_tamper_is_rejected_with_its_reason_and_nothing_stored(
    hub_server: HubHandle, case: str
) -> None:
    mutate, reason = TAMPERS[case]
    co = await hub_server.client("CO-INPEC")
    try:
        good = co.seal(profile("CO-INPEC"), security_metadata(), ["PE-INPE"])
        bad = co.seal(profile("CO-INPEC"), security_metadata(), ["PE-INPE"])
        mutate(bad)
        receipts = await co.submit([bad, good])
    finally:
        await co.close()
    assert receipts[0].outcome == Outcome.OUTCOME_REJECTED
    assert receipts[0].reason == reason, receipts[0].detail
    assert receipts[0].detail
    assert receipts[1].outcome == Outcome.OUTCOME_ACCEPTED  # one bad item never sinks the batch
    stats = hub_server.store.stats()
    assert stats.envelopes == 1 and stats.mailbox_pending == 1
    last = hub_server.store.audit_entries(0, stats.audit_entries)
    assert any(b'"outcome":"deny"' in entry for entry in last)


async def test_resend_is_duplicate_and_replay_is_refused(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    try:
        first = co.seal(profile("CO-INPEC"), security_metadata(), ["PE-INPE"])
        message_id = E.RecordMetadata.FromString(
            E.EnvelopeHeader.FromString(first.header).metadata
        ).message_id
        replay = co.seal(
            profile("CO-INPEC"),
            E.RecordMetadata(
                message_id=message_id,
                purpose=E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
                legal_basis=E.LEGAL_BASIS_BILATERAL_AGREEMENT,
            ),
            ["PE-INPE"],
        )
        receipts = await co.submit([first])
        again = await co.submit([first, replay])
    finally:
        await co.close()
    assert receipts[0].outcome == Outcome.OUTCOME_ACCEPTED
    assert again[0].outcome == Outcome.OUTCOME_DUPLICATE
    assert again[1].outcome == Outcome.OUTCOME_REJECTED and again[1].reason == E.REASON_REPLAYED
    assert hub_server.store.stats().mailbox_pending == 1


async def test_officer_pseudonym_that_is_not_one_is_refused_alone(hub_server: HubHandle) -> None:
    """It goes into the audit entry as it is: a name (or any free text) refuses that envelope only."""
    co = await hub_server.client("CO-INPEC")
    try:
        named = security_metadata()
        named.sender.officer_pseudonym = "Ana Ruiz"
        bad = co.seal(profile("CO-INPEC"), named, ["PE-INPE"])
        good = co.seal(profile("CO-INPEC"), security_metadata(), ["PE-INPE"])
        receipts = await co.submit([bad, good])
    finally:
        await co.close()
    assert receipts[0].outcome == Outcome.OUTCOME_REJECTED and receipts[0].reason == E.REASON_MALFORMED
    assert "officer_pseudonym" in receipts[0].detail
    assert receipts[1].outcome == Outcome.OUTCOME_ACCEPTED
    assert hub_server.store.stats().envelopes == 1


async def test_unknown_recipient(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    try:
        signer = SignerKey("CO-INPEC", co.identity.signing_key_id, co.identity.signing_key)
        stranger = RecipientKey("AR-SPF", "AR-SPF/encryption/0", X25519PrivateKey.generate().public_key())
        envelope = seal(
            profile("CO-INPEC"),
            security_metadata(),
            signer,
            [stranger],
            now=datetime.now(UTC),
            random_bytes=os.urandom,
        )
        receipts = await co.submit([envelope])
    finally:
        await co.close()
    assert receipts[0].reason == E.REASON_UNKNOWN_RECIPIENT
    assert hub_server.store.stats().envelopes == 0


async def test_member_cannot_act_as_another(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    pe = await hub_server.client("PE-INPE")
    try:
        # PE signs correctly as itself but submits over CO's connection.
        as_pe = pe.seal(profile("PE-INPE"), security_metadata(), ["GT-DGSP"])
        # CO claims PE's key id but signs with its own key.
        signer = SignerKey("PE-INPE", pe.identity.signing_key_id, co.identity.signing_key)
        found = co.directory.encryption_key("GT-DGSP")
        assert found is not None
        forged = seal(
            profile("PE-INPE"),
            security_metadata(),
            signer,
            [RecipientKey("GT-DGSP", *found)],
            now=datetime.now(UTC),
            random_bytes=os.urandom,
        )
        receipts = await co.submit([as_pe, forged])
    finally:
        await co.close()
        await pe.close()
    assert receipts[0].reason == E.REASON_SENDER_MISMATCH
    assert receipts[1].reason == E.REASON_SIGNATURE_INVALID
    assert hub_server.store.stats().envelopes == 0


async def test_clock_skew_and_oversize(federation_dir: Path, tmp_path: Path) -> None:
    handle = await start_test_hub(
        federation_dir, f"sqlite:///{tmp_path / 'h.db'}", max_envelope_bytes=4096, clock_skew_seconds=60
    )
    co = await handle.client("CO-INPEC")
    try:
        old = security_metadata()
        old.created_at.FromSeconds(1_600_000_000)
        stale = co.seal(profile("CO-INPEC"), old, ["PE-INPE"])
        big_record = practice("CO-INPEC", title="x" * 10_000)
        big = co.seal(big_record, knowledge_metadata(), ["PE-INPE"])
        receipts = await co.submit([stale, big])
    finally:
        await co.close()
        await handle.running.stop(0.1)  # type: ignore[attr-defined]
    assert receipts[0].reason == E.REASON_CLOCK_SKEW
    assert receipts[1].reason == E.REASON_TOO_LARGE
    assert "4096" in receipts[1].detail


async def test_message_over_grpc_limit_is_refused_and_hub_keeps_serving(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    try:
        huge = E.Envelope(header=b"h", ciphertext=b"\0" * (17 * 1024 * 1024))
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await co.submit([huge])
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        ok = await co.submit([co.seal(practice("CO-INPEC"), knowledge_metadata(), ["PE-INPE"])])
        assert ok[0].outcome == Outcome.OUTCOME_ACCEPTED
    finally:
        await co.close()


async def test_malformed_protobuf_bytes(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    try:
        raw = co.channel.stream_stream(
            "/pxhub.v1.ExchangeService/Submit",
            request_serializer=lambda b: b,
            response_deserializer=exchange_pb2.SubmitResponse.FromString,
        )

        async def garbage():
            yield b"\x0a\xff\xff\xff\xff\x0f"  # field 1 with an impossible length

        with pytest.raises(grpc.aio.AioRpcError) as raised:
            async for _ in raw(garbage()):
                pass
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert reason_of(raised.value) == "MALFORMED"
        ok = await co.submit([co.seal(practice("CO-INPEC"), knowledge_metadata(), ["PE-INPE"])])
        assert ok[0].outcome == Outcome.OUTCOME_ACCEPTED
    finally:
        await co.close()
    assert hub_server.store.stats().envelopes == 1


async def test_client_without_certificate_cannot_connect(hub_server: HubHandle) -> None:
    identity_ca = (hub_server.federation_dir / "ca" / "ca.crt").read_bytes()
    channel = grpc.aio.secure_channel(
        hub_server.target, grpc.ssl_channel_credentials(root_certificates=identity_ca)
    )
    try:
        stub = directory_pb2_grpc.DirectoryServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.GetDirectory(directory_pb2.GetDirectoryRequest(), timeout=10)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await channel.close()


async def test_auditor_may_read_directory_but_not_submit(hub_server: HubHandle) -> None:
    from hub.identity.credentials import load_identity
    from hub.transport.channel import channel_credentials

    auditor = load_identity(hub_server.federation_dir, "AUDITOR-1", PASSPHRASE)
    channel = grpc.aio.secure_channel(hub_server.target, channel_credentials(auditor))
    try:
        directory = await directory_pb2_grpc.DirectoryServiceStub(channel).GetDirectory(
            directory_pb2.GetDirectoryRequest(), timeout=10
        )
        assert directory.directory
        stub = exchange_pb2_grpc.ExchangeServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.Acknowledge(exchange_pb2.AcknowledgeRequest(), timeout=10)
        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert reason_of(raised.value) == "ROLE_NOT_PERMITTED"
    finally:
        await channel.close()
    entries = hub_server.store.audit_entries(0, hub_server.store.audit_size())
    assert any(b'"action":"auth.refuse"' in e and b"ROLE_NOT_PERMITTED" in e for e in entries)


async def test_fetch_resumes_from_cursor_and_follows_new_arrivals(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    pe = await hub_server.client("PE-INPE")
    try:
        await co.submit(
            [co.seal(practice("CO-INPEC", f"p{i}"), knowledge_metadata(), ["PE-INPE"]) for i in range(3)]
        )
        first = [d async for d in pe.fetch(limit=2)]
        assert len(first) == 2
        rest = [d async for d in pe.fetch(first[-1].cursor)]
        assert len(rest) == 1
        stream = pe.fetch(rest[-1].cursor, follow=True, timeout=20)
        await co.submit([co.seal(practice("CO-INPEC", "later"), knowledge_metadata(), ["PE-INPE"])])
        arrived = await anext(stream)
        assert pe.open(arrived).record.best_practice.title == "later"
        await stream.aclose()
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            _ = [d async for d in pe.fetch("not-a-cursor")]
        assert reason_of(raised.value) == "INVALID_CURSOR"
    finally:
        await co.close()
        await pe.close()


async def test_acknowledgement_must_be_the_recipients_own(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    pe = await hub_server.client("PE-INPE")
    gt = await hub_server.client("GT-DGSP")
    try:
        await co.submit([co.seal(practice("CO-INPEC"), knowledge_metadata(), ["PE-INPE"])])
        opened = pe.open(await anext(pe.fetch()))
        not_mine = await gt.acknowledge([gt.receipt_for(opened.verified)])
        assert not_mine[0].reason == E.REASON_NOT_A_RECIPIENT
        forwarded = await gt.acknowledge([pe.receipt_for(opened.verified)])  # PE's receipt sent by GT
        assert forwarded[0].reason == E.REASON_SENDER_MISMATCH
        mine = await pe.acknowledge([pe.receipt_for(opened.verified)])
        assert mine[0].outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED
    finally:
        for client in (co, pe, gt):
            await client.close()


async def test_one_acknowledge_call_answers_and_audits_each_receipt_in_request_order(
    hub_server: HubHandle,
) -> None:
    """Receipts refused before the store (a receipt of another member) and by it (not delivered
    to the caller) share one aggregated deny entry, written with the recorded ones in one
    transaction."""
    import json

    co = await hub_server.client("CO-INPEC")
    pe = await hub_server.client("PE-INPE")
    gt = await hub_server.client("GT-DGSP")
    try:
        await co.submit([co.seal(practice("CO-INPEC", "to PE"), knowledge_metadata(), ["PE-INPE"])])
        await co.submit([co.seal(practice("CO-INPEC", "to GT"), knowledge_metadata(), ["GT-DGSP"])])
        to_pe = pe.open(await anext(pe.fetch()))
        to_gt = gt.open(await anext(gt.fetch()))
        size = hub_server.store.audit_size()
        results = await pe.acknowledge(
            [
                gt.receipt_for(to_gt.verified),  # GT's receipt sent by PE: refused before the store
                pe.receipt_for(to_pe.verified),  # recorded
                pe.receipt_for(to_pe.verified),  # the same message again: a duplicate, not audited
                pe.receipt_for(to_gt.verified),  # never delivered to PE: refused by the store
            ]
        )
        assert [(r.outcome, r.reason) for r in results] == [
            (exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED, E.REASON_SENDER_MISMATCH),
            (exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED, 0),
            (exchange_pb2.ACKNOWLEDGE_OUTCOME_DUPLICATE, 0),
            (exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED, E.REASON_NOT_A_RECIPIENT),
        ]
        entries = [json.loads(e) for e in hub_server.store.audit_entries(size, hub_server.store.audit_size())]
        assert [(e["action"], e["outcome"], e["reason"]) for e in entries] == [
            ("acknowledge", "ok", ""),
            ("acknowledge", "deny", "NOT_A_RECIPIENT"),  # ties ranked by name
        ]
        assert entries[0]["object_ids"] == [f"message:{to_pe.verified.metadata.message_id}"]
        refused = entries[1]
        assert refused["object_ids"] == [f"message:{to_gt.verified.metadata.message_id}"]  # verified ids only
        assert refused["details"]["items"] == 2
        assert refused["details"]["by_reason"] == "NOT_A_RECIPIENT=1,SENDER_MISMATCH=1"
        assert refused["details"]["items_sha256"] == items_digest(["", to_gt.verified.metadata.message_id])
    finally:
        for client in (co, pe, gt):
            await client.close()


async def test_ciphertext_purged_after_retention(federation_dir: Path) -> None:
    handle = await start_test_hub(
        federation_dir, "memory://", retention_seconds=0, purge_interval_seconds=0.05
    )
    co = await handle.client("CO-INPEC")
    pe = await handle.client("PE-INPE")
    try:
        await co.submit([co.seal(practice("CO-INPEC"), knowledge_metadata(), ["PE-INPE"])])
        opened = pe.open(await anext(pe.fetch()))
        await pe.acknowledge([pe.receipt_for(opened.verified)])
        import asyncio

        for _ in range(100):
            if handle.store.stats().stored_ciphertexts == 0:
                break
            await asyncio.sleep(0.05)
        assert handle.store.stats().stored_ciphertexts == 0
        entries = handle.store.audit_entries(0, handle.store.audit_size())
        assert b'"action":"purge"' in entries[-1]
    finally:
        await co.close()
        await pe.close()
        await handle.running.stop(0.1)  # type: ignore[attr-defined]


async def test_undelivered_ciphertext_purged_at_its_review_or_delete_date(federation_dir: Path) -> None:
    """On the hub's clock: past the header's date the background purge drops what PE never
    acknowledged (GT can no longer fetch it, the sender's track says why), in one audit entry."""
    import asyncio
    import json
    from datetime import timedelta

    from hub.runtime.clock import MovableClock
    from pxhub.v1 import consent_pb2

    clock = MovableClock()
    handle = await start_test_hub(
        federation_dir, "memory://", clock=clock, purge_interval_seconds=0.05, retention_seconds=90 * 86_400
    )
    co, pe, gt = [await handle.client(m) for m in ("CO-INPEC", "PE-INPE", "GT-DGSP")]
    try:
        metadata = knowledge_metadata()
        metadata.review_or_delete_at.FromDatetime(clock() + timedelta(days=30))
        dated = co.seal(practice("CO-INPEC"), metadata, ["PE-INPE", "GT-DGSP"])
        read = co.seal(practice("CO-INPEC"), metadata, ["PE-INPE"])
        await co.submit([dated, read])
        delivered = [pe.open(d) async for d in pe.fetch()]
        await pe.acknowledge([pe.receipt_for(o.verified) for o in delivered])
        ids = {o.verified.metadata.message_id for o in delivered}
        before = handle.store.audit_size()
        await asyncio.sleep(0.2)  # purge runs meanwhile: nothing is due yet
        assert handle.store.stats().stored_ciphertexts == 2
        clock.advance(timedelta(days=31))
        for _ in range(200):
            if handle.store.stats().stored_ciphertexts < 2:
                break
            await asyncio.sleep(0.05)
        assert handle.store.stats().stored_ciphertexts == 1  # the one acknowledged by all stays
        assert [d async for d in gt.fetch()] == []
        entries = [json.loads(e) for e in handle.store.audit_entries(before, handle.store.audit_size())]
        purges = [e for e in entries if e["action"] == "purge"]
        assert len(purges) == 1
        (entry,) = purges
        purged_ids = [o.removeprefix("message:") for o in entry["object_ids"]]
        assert len(purged_ids) == 1 and purged_ids[0] in ids
        assert entry["details"]["by_sender"] == "CO-INPEC=1"
        assert entry["details"]["by_recipient"] == "GT-DGSP=1"
        assert entry["details"]["items_sha256"] == items_digest(purged_ids)
        lineage = await co.track(purged_ids[0])
        assert lineage.purge_reason == consent_pb2.PURGE_REASON_REVIEW_OR_DELETE_DATE
        assert lineage.HasField("review_or_delete_at") and lineage.HasField("purged_at")
        by_recipient = {r.recipient: r for r in lineage.recipients}
        assert by_recipient["GT-DGSP"].cancelled and not by_recipient["PE-INPE"].cancelled
        (kept,) = ids - set(purged_ids)
        assert (await co.track(kept)).purge_reason == consent_pb2.PURGE_REASON_UNSPECIFIED
    finally:
        for client in (co, pe, gt):
            await client.close()
        await handle.running.stop(0.1)  # type: ignore[attr-defined]


async def test_members_delete_at_the_review_or_delete_date_and_attest(
    federation_dir: Path, tmp_path: Path
) -> None:
    """Past the header's date each recipient's sink loses the record (GT-DGSP, under its legal hold,
    blocks and retains it), each attests, signed, without a notice; the sender's track shows both."""
    import json
    from datetime import timedelta

    from flows.sink import NationalSink, other_records
    from flows.withdrawals import LEGAL_HOLDS, WithdrawalResult, delete_past_date
    from hub.runtime.clock import MovableClock
    from pxhub.v1 import consent_pb2

    clock = MovableClock()
    handle = await start_test_hub(federation_dir, "memory://", clock=clock, retention_seconds=90 * 86_400)
    co, pe, gt = [await handle.client(m) for m in ("CO-INPEC", "PE-INPE", "GT-DGSP")]
    try:
        metadata = knowledge_metadata()
        metadata.review_or_delete_at.FromDatetime(clock() + timedelta(days=30))
        await co.submit([co.seal(practice("CO-INPEC"), metadata, ["PE-INPE", "GT-DGSP"])])
        sinks = {}
        for client in (pe, gt):
            opened = [client.open(d) async for d in client.fetch()]
            sinks[client.member_id] = NationalSink(client.member_id, tmp_path / client.member_id)
            sinks[client.member_id].write_batch(opened)
            await client.acknowledge([client.receipt_for(o.verified) for o in opened])
        (message_id,) = {o.message_id for o in opened}
        early = WithdrawalResult("PE-INPE")
        await delete_past_date(pe, sinks["PE-INPE"], clock(), early)
        assert early.deleted == [] and len(other_records(sinks["PE-INPE"].folder)) == 1

        clock.advance(timedelta(days=31))
        results = {}
        for client in (pe, gt):
            results[client.member_id] = WithdrawalResult(client.member_id)
            await delete_past_date(client, sinks[client.member_id], clock(), results[client.member_id])
        assert results["PE-INPE"].deleted == [(message_id, "", "deleted (review-or-delete date)")]
        assert results["GT-DGSP"].deleted == [
            (message_id, "", "blocked, retained under legal hold (review-or-delete date)")
        ]
        assert all(r.attested == 1 and r.past_date == 1 for r in results.values())
        for sink in sinks.values():
            assert other_records(sink.folder) == [] and sink.past_delete_date(clock()) == {}
        kept = json.loads((sinks["GT-DGSP"].folder / "legal-hold" / f"{message_id}.json").read_text())
        assert kept["blocked"] == f"review-or-delete date passed; legal hold: {LEGAL_HOLDS['GT-DGSP']}"
        assert not (sinks["PE-INPE"].folder / "legal-hold").exists()

        lineage = await co.track(message_id)
        status = {r.recipient: r.deletion_status for r in lineage.recipients if r.HasField("attested_at")}
        assert status == {
            "PE-INPE": consent_pb2.DELETION_STATUS_DELETED,
            "GT-DGSP": consent_pb2.DELETION_STATUS_RETAINED_UNDER_LEGAL_HOLD,
        }
        assert not any(r.HasField("notified_at") for r in lineage.recipients)  # no withdrawal notice
    finally:
        for client in (co, pe, gt):
            await client.close()
        await handle.running.stop(0.1)  # type: ignore[attr-defined]
