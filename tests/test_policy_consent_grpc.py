"""Policy, consent, withdrawal and lineage over real gRPC and mTLS on loopback."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from adapters.samples.synthetic import generate_profiles
from hub.core.consent import SCHEMA_VERSION, sign_consent, subject_pseudonym
from hub.core.envelope import SignerKey
from hub.core.layers import layers_present
from hub.policy import SIGNED_POLICY_PATH, default_policy_message, sign_default_policy
from hub.sdk.policy_consent import RecipientGuardError
from hub.server.app import PolicyBootstrapError
from hub.transport.status import reason_of
from pxhub.v1 import (
    consent_pb2,
    consent_pb2_grpc,
    envelope_pb2,
    exchange_pb2,
    inmate_profile_pb2,
    options_pb2,
    policy_pb2,
    policy_pb2_grpc,
    record_pb2,
)
from tests.conftest import PASSPHRASE, HubHandle, start_test_hub

E = envelope_pb2
C = consent_pb2
Outcome = E.Receipt.Outcome
SUBJECT = subject_pseudonym(b"inpec-pseudonym-key-not-secret", "CO", "1.020.304.050")
CT = E.PURPOSE_CUSTODY_TRANSFER


def consent_record(
    controller: str = "CO-INPEC",
    recipients: tuple[str, ...] = ("PE-INPE", "EC-SNAI", "UY-INR"),
    subject: str = SUBJECT,
) -> consent_pb2.ConsentRecord:
    """A prisoner's own request to serve the sentence in another country (consent basis)."""
    now = datetime.now(UTC)
    record = C.ConsentRecord(
        schema_version=SCHEMA_VERSION,
        consent_id=str(uuid.uuid4()),
        subject_pseudonym=subject,
        subject_jurisdiction=controller[:2],
        controller=controller,
        purposes=[CT],
        recipients=list(recipients),
        data_categories=[
            options_pb2.SENSITIVITY_PERSONAL,
            options_pb2.SENSITIVITY_IDENTIFIER,
            options_pb2.SENSITIVITY_JUDICIAL,
            options_pb2.SENSITIVITY_BIOMETRIC,
            options_pb2.SENSITIVITY_HEALTH,
        ],
        legal_basis=E.LEGAL_BASIS_CONSENT,
        legal_instruments=[
            "Convención Interamericana para el Cumplimiento de Condenas Penales en el Extranjero"
        ],
        withdrawal_method="solicitud escrita ante la oficina jurídica del establecimiento",
        language="es",
        notice_uri="https://inpec.example/avisos/traslado-v1",
        notice_sha256=hashlib.sha256(b"aviso de traslado").digest(),
        collection_method="formulario firmado ante el asesor jurídico",
    )
    record.given_at.FromDatetime(now - timedelta(days=1))
    record.valid_from.FromDatetime(now - timedelta(days=1))
    record.valid_until.FromDatetime(now + timedelta(days=120))
    return record


def profile(custodian: str, **parts: object) -> record_pb2.Record:
    p = inmate_profile_pb2.InmateSecurityProfile(
        profile_id=str(uuid.uuid4()),
        custodian=custodian,
        identity=inmate_profile_pb2.PersonIdentity(given_names="Ana", first_surname="Pérez"),
        **parts,  # type: ignore[arg-type]
    )
    return record_pb2.Record(inmate_security_profile=p)


def under_consent(
    consent_id: str, classification: int = E.CLASSIFICATION_RESTRICTED
) -> envelope_pb2.RecordMetadata:
    return E.RecordMetadata(
        purpose=CT,
        legal_basis=E.LEGAL_BASIS_CONSENT,
        consent_ref=consent_id,
        subject_pseudonym=SUBJECT,
        handling=E.HandlingInstructions(classification=classification),  # type: ignore[arg-type]
    )


def message_id(envelope: envelope_pb2.Envelope) -> str:
    return E.RecordMetadata.FromString(E.EnvelopeHeader.FromString(envelope.header).metadata).message_id


async def test_policy_is_served_signed_by_the_operator(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    try:
        assert co.policy is not None and co.policy.version == 1
        assert co.policy.signature.signer == "OPERATOR-1"
        on_disk = policy_pb2.SignedPolicy.FromString(
            (hub_server.federation_dir / SIGNED_POLICY_PATH).read_bytes()
        )
        assert co.policy.raw == on_disk.policy  # the exact bytes the operator signed
    finally:
        await co.close()


async def test_operator_publishes_and_bad_policies_change_nothing(hub_server: HubHandle) -> None:
    operator = await hub_server.client("OPERATOR-1")
    co = await hub_server.client("CO-INPEC")
    stub = policy_pb2_grpc.PolicyServiceStub(operator.channel)
    try:
        same = default_policy_message(datetime.now(UTC))
        assert operator.policy is not None
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await operator.publish_policy(same)  # version 1 again
        assert reason_of(raised.value) == "POLICY_VERSION_NOT_NEWER"

        newer = default_policy_message(datetime.now(UTC))
        newer.version = 2
        del newer.agreements[2:]  # keep only the multilateral instruments: no bilateral security cooperation
        signed = operator.policy  # reuse the signature of v1 over v2's bytes: broken
        assert signed is not None
        broken = policy_pb2.SignedPolicy(policy=newer.SerializeToString(), signature=signed.signature)
        unsigned = policy_pb2.SignedPolicy(policy=newer.SerializeToString())
        for bad, reason in ((broken, "POLICY_SIGNATURE_INVALID"), (unsigned, "SIGNATURE_MISSING")):
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await stub.PublishPolicy(policy_pb2.PublishPolicyRequest(policy=bad), timeout=10)
            assert reason_of(raised.value) == reason
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await co.publish_policy(newer)  # a member may not publish
        assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert reason_of(raised.value) == "ROLE_NOT_PERMITTED"
        assert hub_server.store.policy_version() == 1  # nothing changed

        before = co.seal(profile("CO-INPEC"), security(), ["PE-INPE"])
        assert (await co.submit([before]))[0].outcome == Outcome.OUTCOME_ACCEPTED
        published = await operator.publish_policy(newer)
        assert published.version == 2 and hub_server.store.policy_version() == 2
        after = co.seal(profile("CO-INPEC"), security(), ["PE-INPE"])
        receipt = (await co.submit([after]))[0]
        assert receipt.reason == E.REASON_NO_AGREEMENT, receipt.detail
        assert (await co.refresh_policy()) is not None and co.policy is not None and co.policy.version == 2
    finally:
        await operator.close()
        await co.close()
    entries = hub_server.store.audit_entries(0, hub_server.store.audit_size())
    assert any(
        b'"action":"agreement.change"' in e and b'"outcome":"ok"' in e and b"policy:v2" in e for e in entries
    )
    assert any(b'"action":"agreement.change"' in e and b"POLICY_SIGNATURE_INVALID" in e for e in entries)


def security(classification: int = E.CLASSIFICATION_RESTRICTED) -> envelope_pb2.RecordMetadata:
    return E.RecordMetadata(
        purpose=E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
        legal_basis=E.LEGAL_BASIS_BILATERAL_AGREEMENT,
        handling=E.HandlingInstructions(classification=classification),  # type: ignore[arg-type]
    )


async def test_withdrawal_end_to_end_with_attestations_from_several_recipients(hub_server: HubHandle) -> None:
    co, pe, ec, uy, gt = [
        await hub_server.client(m) for m in ("CO-INPEC", "PE-INPE", "EC-SNAI", "UY-INR", "GT-DGSP")
    ]
    try:
        record = consent_record()
        registered = await co.register_consent(record)
        assert registered.registration == C.CONSENT_REGISTRATION_REGISTERED
        again = await co.register_consent(record)
        assert again.registration == C.CONSENT_REGISTRATION_DUPLICATE

        to_all = co.seal(
            profile("CO-INPEC"), under_consent(record.consent_id), ["PE-INPE", "EC-SNAI", "UY-INR"]
        )
        to_pe = co.seal(profile("CO-INPEC"), under_consent(record.consent_id), ["PE-INPE"])
        receipts = await co.submit([to_all, to_pe])
        assert [r.outcome for r in receipts] == [Outcome.OUTCOME_ACCEPTED] * 2, [r.detail for r in receipts]
        m1, m2 = message_id(to_all), message_id(to_pe)

        # PE receives and acknowledges both; EC receives m1 but has not acknowledged; UY never fetched.
        opened = [pe.open(d) for d in [d async for d in pe.fetch()]]
        assert {o.message_id for o in opened} == {m1, m2}
        await pe.acknowledge([pe.receipt_for(o.verified) for o in opened])
        assert [ec.open(d).message_id for d in [d async for d in ec.fetch()]] == [m1]

        follower = ec.fetch(
            follow=True, timeout=20
        )  # EC is following its mailbox when the consent is withdrawn
        changed = await co.withdraw_consent(record.consent_id, evidence_ref="acta 2026-114")
        assert changed.consent.state == C.CONSENT_STATE_WITHDRAWN
        assert changed.purged_envelopes == 2 and changed.notices == 3  # PE: m1, m2; EC: m1; UY: nothing
        noticed = await anext(follower)
        assert (
            noticed.WhichOneof("item") == "revocation_notice" and noticed.revocation_notice.message_id == m1
        )
        await follower.aclose()

        assert [d async for d in uy.fetch()] == []  # purged before it was ever delivered
        pe_notices = [d.revocation_notice for d in [d async for d in pe.fetch()]]
        ec_notices = [d.revocation_notice for d in [d async for d in ec.fetch()]]
        assert {n.message_id for n in pe_notices} == {m1, m2} and [n.message_id for n in ec_notices] == [m1]
        assert all(n.controller == "CO-INPEC" and n.consent_id == record.consent_id for n in pe_notices)
        event = pe.verify_notice(pe_notices[0])  # the controller's signed withdrawal travels with it
        assert event.state == C.CONSENT_STATE_WITHDRAWN and event.actor == C.CONSENT_ACTOR_SUBJECT

        results = await pe.attest_deletion([pe.attestation_for(n) for n in pe_notices])
        results += await ec.attest_deletion(
            [ec.attestation_for(ec_notices[0], legal_hold_basis="ley de archivos")]
        )
        assert [r.outcome for r in results] == [exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED] * 3
        duplicate = await pe.attest_deletion([pe.attestation_for(pe_notices[0])])
        assert duplicate[0].outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_DUPLICATE
        forged_notice = consent_pb2.RevocationNotice()
        forged_notice.CopyFrom(pe_notices[0])
        uy_attests = await uy.attest_deletion([uy.attestation_for(forged_notice)])
        assert uy_attests[0].reason == E.REASON_NO_REVOCATION_NOTICE
        assert [d async for d in pe.fetch()] == []  # attested: no more notices

        lineage = await co.track(m1)
        traces = {r.recipient: r for r in lineage.recipients}
        assert lineage.consent_id == record.consent_id and lineage.HasField("purged_at")
        assert (
            traces["PE-INPE"].HasField("acknowledged_at")
            and traces["PE-INPE"].deletion_status == C.DELETION_STATUS_DELETED
        )
        assert traces["EC-SNAI"].delivery_count >= 1 and not traces["EC-SNAI"].HasField("acknowledged_at")
        assert traces["EC-SNAI"].deletion_status == C.DELETION_STATUS_RETAINED_UNDER_LEGAL_HOLD
        assert traces["UY-INR"].cancelled and not traces["UY-INR"].HasField("notified_at")
        for stranger, reason in ((pe, "NOT_ORIGINATOR"), (co, "UNKNOWN_MESSAGE")):
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await stranger.track(m1 if stranger is pe else str(uuid.uuid4()))
            assert reason_of(raised.value) == reason

        late = co.seal(profile("CO-INPEC"), under_consent(record.consent_id), ["PE-INPE"])
        receipt = (await co.submit([late]))[0]
        assert receipt.reason == E.REASON_CONSENT_NOT_IN_FORCE and "withdrawn" in receipt.detail

        views = await co.consents_for_subject(SUBJECT)  # subject access
        assert len(views) == 1 and views[0].state == C.CONSENT_STATE_WITHDRAWN and len(views[0].events) == 1
        assert {t.message_id for t in views[0].transfers} == {m1, m2}
        recipient_view = await pe.get_consent(record.consent_id)
        assert recipient_view.state == C.CONSENT_STATE_WITHDRAWN and not recipient_view.transfers
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await gt.get_consent(record.consent_id)
        assert reason_of(raised.value) == "CONSENT_CONTROLLER_MISMATCH"
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await co.withdraw_consent(record.consent_id)
        assert reason_of(raised.value) == "CONSENT_NOT_IN_FORCE"
    finally:
        for client in (co, pe, ec, uy, gt):
            await client.close()
    entries = hub_server.store.audit_entries(0, hub_server.store.audit_size())
    for action in (b"consent.register", b"consent.withdraw", b"deletion.attest", b"rights.request"):
        assert any(b'"action":"' + action + b'"' in e for e in entries), action
    purges = [e for e in entries if b'"action":"purge"' in e and b"consent_withdrawn" in e]
    assert len(purges) == 2


async def test_bad_consents_are_refused_with_their_reason_and_change_nothing(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    pe = await hub_server.client("PE-INPE")
    stub = consent_pb2_grpc.ConsentServiceStub(pe.channel)
    co_stub = consent_pb2_grpc.ConsentServiceStub(co.channel)
    try:
        record = consent_record()
        signed = sign_consent(
            record, SignerKey("CO-INPEC", co.identity.signing_key_id, co.identity.signing_key)
        )
        unsigned = C.SignedConsent(record=signed.record)
        forged = C.SignedConsent(record=signed.record, signature=signed.signature)
        forged.signature.value = pe.identity.signing_key.sign(b"pxhub/v1/consent\x00" + signed.record)
        national_id = consent_record()
        national_id.subject_pseudonym = "1020304050"
        raw = national_id.SerializeToString()
        with_id = C.SignedConsent(record=raw, signature=signed.signature)
        with_id.signature.value = co.identity.signing_key.sign(b"pxhub/v1/consent\x00" + raw)
        cases = [
            (co_stub, unsigned, "SIGNATURE_MISSING"),
            (co_stub, forged, "CONSENT_SIGNATURE_INVALID"),
            (co_stub, with_id, "SUBJECT_PSEUDONYM_INVALID"),
            (stub, signed, "CONSENT_CONTROLLER_MISMATCH"),  # PE registers CO's consent
        ]
        for which, bad, reason in cases:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await which.RegisterConsent(C.RegisterConsentRequest(consent=bad), timeout=10)
            assert reason_of(raised.value) == reason
        assert hub_server.store.get_consent(record.consent_id) is None  # nothing changed

        await co.register_consent(record)
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await pe.withdraw_consent(record.consent_id)  # not the controller
        assert reason_of(raised.value) == "CONSENT_CONTROLLER_MISMATCH"
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await co.withdraw_consent(str(uuid.uuid4()))
        assert reason_of(raised.value) == "UNKNOWN_CONSENT"
        stored = hub_server.store.get_consent(record.consent_id)
        assert stored is not None and stored.state == C.CONSENT_STATE_GIVEN and stored.events == ()

        # At Submit: another controller's consent, another subject.
        misuse = pe.seal(profile("PE-INPE"), under_consent(record.consent_id), ["EC-SNAI"])
        other_subject = under_consent(record.consent_id)
        other_subject.subject_pseudonym = subject_pseudonym(
            b"inpec-pseudonym-key-not-secret", "CO", "79111222"
        )
        wrong_subject = co.seal(profile("CO-INPEC"), other_subject, ["PE-INPE"])
        receipts = [(await pe.submit([misuse]))[0], (await co.submit([wrong_subject]))[0]]
        assert [r.reason for r in receipts] == [
            E.REASON_CONSENT_CONTROLLER_MISMATCH,
            E.REASON_CONSENT_SUBJECT_MISMATCH,
        ]
        assert hub_server.store.stats().envelopes == 0
    finally:
        await co.close()
        await pe.close()
    entries = hub_server.store.audit_entries(0, hub_server.store.audit_size())
    assert any(b'"action":"consent.register"' in e and b"CONSENT_SIGNATURE_INVALID" in e for e in entries)


async def test_recipients_guard_refuses_an_over_shared_record(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    pe = await hub_server.client("PE-INPE")
    try:
        full = record_pb2.Record(inmate_security_profile=next(iter(generate_profiles("CO-INPEC", 1, 5))))
        full.inmate_security_profile.custody.charges.add(description="tráfico de estupefacientes")
        # Identity verification lets only the judicial status travel; the header can only say "JUDICIAL".
        identity = E.RecordMetadata(
            purpose=E.PURPOSE_IDENTITY_VERIFICATION,
            legal_basis=E.LEGAL_BASIS_BILATERAL_AGREEMENT,
            handling=E.HandlingInstructions(classification=E.CLASSIFICATION_RESTRICTED),
        )
        allowed = co.allowed_layers(E.PURPOSE_IDENTITY_VERIFICATION)
        assert allowed is not None
        # Whole layers the hub would refuse are dropped; the judicial layer travels whole (charges too).
        over = co.project(full, E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME)
        over.inmate_security_profile.ClearField("affiliations")
        over.inmate_security_profile.identity.physical.ClearField("smt")
        assert layers_present(over) <= allowed.layers
        honest = co.project(full, E.PURPOSE_IDENTITY_VERIFICATION)
        envelopes = [co.seal(over, identity, ["PE-INPE"]), co.seal(honest, identity, ["PE-INPE"])]
        receipts = await co.submit(envelopes)
        assert [r.outcome for r in receipts] == [Outcome.OUTCOME_ACCEPTED] * 2, [r.detail for r in receipts]
        deliveries = [d async for d in pe.fetch()]
        with pytest.raises(RecipientGuardError) as raised:
            pe.open(deliveries[0])
        assert raised.value.reason == E.REASON_LAYER_NOT_PERMITTED
        assert (
            "IDENTITY_VERIFICATION" in raised.value.detail
            and "inmate_security_profile.custody." in raised.value.detail
        )
        assert raised.value.acknowledgement is not None
        assert pe.open(deliveries[1]).record == honest
        results = await pe.acknowledge([raised.value.acknowledgement])
        assert results[0].outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED
        lineage = await co.track(message_id(envelopes[0]))
        assert lineage.recipients[0].receipt_status == E.DeliveryReceipt.DELIVERY_STATUS_REFUSED
    finally:
        await co.close()
        await pe.close()


async def test_four_eyes_over_grpc(hub_server: HubHandle) -> None:
    co = await hub_server.client("CO-INPEC")
    try:
        alone = co.seal(profile("CO-INPEC"), security(E.CLASSIFICATION_CONFIDENTIAL), ["PE-INPE"])
        approved = co.seal(
            profile("CO-INPEC"), security(E.CLASSIFICATION_CONFIDENTIAL), ["PE-INPE"], approve=True
        )
        receipts = await co.submit([alone, approved])
    finally:
        await co.close()
    assert receipts[0].reason == E.REASON_APPROVER_SIGNATURE_MISSING
    assert receipts[1].outcome == Outcome.OUTCOME_ACCEPTED


async def test_hub_refuses_a_tampered_policy_and_runs_deny_all_without_one(tmp_path: Path) -> None:
    from hub.dev.federation import init_federation

    federation = tmp_path / "fed"
    init_federation(federation, PASSPHRASE)
    sign_default_policy(federation, PASSPHRASE)
    path = federation / SIGNED_POLICY_PATH
    signed = policy_pb2.SignedPolicy.FromString(path.read_bytes())
    signed.policy = signed.policy.replace(b"BIL-CO-PE", b"BIL-CO-EC")
    path.write_bytes(signed.SerializeToString())
    with pytest.raises(PolicyBootstrapError, match="POLICY_SIGNATURE_INVALID"):
        await start_test_hub(federation, "memory://")

    path.unlink()
    shutil.rmtree(path.parent)
    handle = await start_test_hub(federation, "memory://")
    co = await handle.client("CO-INPEC")
    try:
        assert co.policy is None
        receipt = (await co.submit([co.seal(profile("CO-INPEC"), security(), ["PE-INPE"])]))[0]
        assert receipt.reason == E.REASON_POLICY_UNAVAILABLE
    finally:
        await co.close()
        await handle.running.stop(0.1)  # type: ignore[attr-defined]
