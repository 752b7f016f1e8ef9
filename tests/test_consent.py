"""Consent records after ISO/IEC TS 27560, pure: shape, signatures, the state machine, attestations."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from adapters.samples.synthetic import generate_profiles
from hub.core.consent import (
    SCHEMA_VERSION,
    Consent,
    check_record,
    is_pseudonym,
    sign_attestation,
    sign_consent,
    sign_event,
    subject_pseudonym,
    verify_attestation,
    verify_event,
    verify_signed_consent,
)
from hub.core.envelope import (
    EnvelopeError,
    RecipientKey,
    SignerKey,
    StaticKeyResolver,
    open_record,
    seal,
    verify,
)
from hub.sdk import OpenedDelivery
from pxhub.v1 import best_practice_pb2, consent_pb2, envelope_pb2, exchange_pb2, options_pb2, record_pb2

C = consent_pb2
E = envelope_pb2
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CO = SignerKey("CO-INPEC", "CO-INPEC/signing/a", Ed25519PrivateKey.generate())
PE = SignerKey("PE-INPE", "PE-INPE/signing/b", Ed25519PrivateKey.generate())
KEYS = {(k.member_id, k.key_id): k.private_key.public_key() for k in (CO, PE)}
SUBJECT = subject_pseudonym(b"sixteen-byte-key!", "CO", "1.020.304.050")


def keys(member: str, key_id: str):
    return KEYS.get((member, key_id))


def record(**changes: object) -> consent_pb2.ConsentRecord:
    r = C.ConsentRecord(
        schema_version=SCHEMA_VERSION,
        consent_id=str(uuid.uuid4()),
        subject_pseudonym=SUBJECT,
        subject_jurisdiction="CO",
        controller="CO-INPEC",
        purposes=[E.PURPOSE_CUSTODY_TRANSFER],
        recipients=["PE-INPE"],
        data_categories=[
            options_pb2.SENSITIVITY_PERSONAL,
            options_pb2.SENSITIVITY_IDENTIFIER,
            options_pb2.SENSITIVITY_JUDICIAL,
        ],
        legal_basis=E.LEGAL_BASIS_CONSENT,
        withdrawal_method="escrito ante la oficina jurídica del establecimiento",
        language="es",
        notice_uri="https://example.org/aviso",
        notice_sha256=hashlib.sha256(b"aviso").digest(),
    )
    r.given_at.FromDatetime(NOW - timedelta(days=2))
    r.valid_from.FromDatetime(NOW - timedelta(days=1))
    r.valid_until.FromDatetime(NOW + timedelta(days=90))
    for name, value in changes.items():
        if value is None:
            r.ClearField(name)  # type: ignore[arg-type]
        elif isinstance(value, list):
            r.ClearField(name)  # type: ignore[arg-type]
            getattr(r, name).extend(value)
        else:
            setattr(r, name, value)
    return r


def registered(r: consent_pb2.ConsentRecord | None = None) -> Consent:
    signed = sign_consent(r or record(), CO)
    return Consent.from_signed(signed, verify_signed_consent(signed, keys), NOW)


def event(
    consent: Consent, state: int, actor: int, signer: SignerKey = CO, **changes: object
) -> consent_pb2.SignedConsentEvent:
    e = C.ConsentEvent(
        consent_id=consent.consent_id,
        record_sha256=hashlib.sha256(consent.raw).digest(),
        state=state,  # type: ignore[arg-type]
        actor=actor,  # type: ignore[arg-type]
        recorded_by=signer.member_id,
    )
    e.at.FromDatetime(NOW)
    for name, value in changes.items():
        setattr(e, name, value)
    return sign_event(e, signer)


def test_pseudonym_is_keyed_stable_and_never_a_national_id() -> None:
    assert subject_pseudonym(b"sixteen-byte-key!", "CO", "1020304050") == SUBJECT  # normalised
    assert subject_pseudonym(b"another-key-16-by", "CO", "1.020.304.050") != SUBJECT
    assert is_pseudonym(SUBJECT)
    for raw in ("1020304050", "BOXW310820HNERXN09", "001-1391820-5", "psn:CO:XYZ"):
        assert not is_pseudonym(raw)
    with pytest.raises(ValueError):
        subject_pseudonym(b"short", "CO", "1")


def test_a_signed_record_verifies_and_its_fields_are_checked() -> None:
    consent = registered()
    assert consent.state_at(NOW) == C.CONSENT_STATE_GIVEN and consent.in_force(NOW)
    assert consent.state_at(NOW + timedelta(days=91)) == C.CONSENT_STATE_EXPIRED
    assert not consent.in_force(NOW - timedelta(days=2))  # not valid yet
    assert "not valid before" in consent.describe_state(NOW - timedelta(days=2))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"subject_pseudonym": "1020304050"}, E.REASON_SUBJECT_PSEUDONYM_INVALID),
        ({"schema_version": "kantara/1.1"}, E.REASON_UNSUPPORTED_VERSION),
        ({"consent_id": "not-a-uuid"}, E.REASON_MALFORMED),
        ({"purposes": []}, E.REASON_MISSING_FIELD),
        ({"recipients": []}, E.REASON_MISSING_FIELD),
        ({"recipients": ["CO-INPEC"]}, E.REASON_UNKNOWN_RECIPIENT),
        ({"data_categories": []}, E.REASON_MISSING_FIELD),
        ({"legal_basis": E.LEGAL_BASIS_BILATERAL_AGREEMENT}, E.REASON_LEGAL_BASIS_NOT_PERMITTED),
        ({"valid_until": None}, E.REASON_MISSING_FIELD),
        ({"withdrawal_method": ""}, E.REASON_MISSING_FIELD),
        ({"language": ""}, E.REASON_MISSING_FIELD),
        ({"notice_sha256": b""}, E.REASON_MISSING_FIELD),
    ],
)
def test_an_incomplete_record_is_refused_with_its_reason(changes: dict[str, object], reason: int) -> None:
    with pytest.raises(EnvelopeError) as raised:
        check_record(record(**changes))
    assert raised.value.reason == reason


def test_forged_unsigned_and_other_controllers_consents_are_refused() -> None:
    signed = sign_consent(record(), CO)
    unsigned = C.SignedConsent(record=signed.record)
    forged = C.SignedConsent(record=signed.record, signature=signed.signature)
    forged.signature.value = PE.private_key.sign(b"pxhub/v1/consent\x00" + signed.record)
    tampered = C.SignedConsent(
        record=signed.record.replace(b"PE-INPE", b"EC-SNAI"), signature=signed.signature
    )
    other = C.SignedConsent(record=signed.record, signature=signed.signature)
    other.signature.signer, other.signature.key_id = PE.member_id, PE.key_id
    other.signature.value = PE.private_key.sign(b"pxhub/v1/consent\x00" + signed.record)
    unknown_key = C.SignedConsent(record=signed.record, signature=signed.signature)
    unknown_key.signature.key_id = "CO-INPEC/signing/unknown"
    cases = {
        "unsigned": (unsigned, E.REASON_SIGNATURE_MISSING),
        "forged": (forged, E.REASON_CONSENT_SIGNATURE_INVALID),
        "tampered": (tampered, E.REASON_CONSENT_SIGNATURE_INVALID),
        "signed by another member": (other, E.REASON_CONSENT_CONTROLLER_MISMATCH),
        "unknown key": (unknown_key, E.REASON_UNKNOWN_SIGNING_KEY),
    }
    for name, (candidate, reason) in cases.items():
        with pytest.raises(EnvelopeError) as raised:
            verify_signed_consent(candidate, keys)
        assert raised.value.reason == reason, name


def test_state_machine() -> None:
    consent = registered()
    withdrawn = event(consent, C.CONSENT_STATE_WITHDRAWN, C.CONSENT_ACTOR_SUBJECT)
    e = verify_event(withdrawn, consent, keys)
    after = consent.with_event(withdrawn, e)
    assert after.state == C.CONSENT_STATE_WITHDRAWN and not after.in_force(NOW) and len(after.events) == 1
    # Final: no second change, neither withdrawal nor revocation.
    for state, actor in (
        (C.CONSENT_STATE_WITHDRAWN, C.CONSENT_ACTOR_SUBJECT),
        (C.CONSENT_STATE_REVOKED, C.CONSENT_ACTOR_CONTROLLER),
    ):
        with pytest.raises(EnvelopeError) as raised:
            verify_event(event(after, state, actor), after, keys)
        assert raised.value.reason == E.REASON_CONSENT_NOT_IN_FORCE
    # Revocation by the controller or an authority; expiry does not block it.
    expired = (
        registered()
    )  # checked against its stored state only: a merely expired consent is still revocable
    revoke = event(
        expired, C.CONSENT_STATE_REVOKED, C.CONSENT_ACTOR_AUTHORITY, evidence_ref="resolución 12/2026"
    )
    assert verify_event(revoke, expired, keys).state == C.CONSENT_STATE_REVOKED
    assert expired.state_at(NOW + timedelta(days=365)) == C.CONSENT_STATE_EXPIRED


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("withdrawn by the controller", E.REASON_MALFORMED),
        ("revoked by the subject", E.REASON_MALFORMED),
        ("back to given", E.REASON_MALFORMED),
        ("another member signs", E.REASON_CONSENT_CONTROLLER_MISMATCH),
        ("other record bytes", E.REASON_MALFORMED),
        ("forged signature", E.REASON_CONSENT_SIGNATURE_INVALID),
    ],
)
def test_bad_events_are_refused(case: str, reason: int) -> None:
    consent = registered()
    if case == "withdrawn by the controller":
        signed = event(consent, C.CONSENT_STATE_WITHDRAWN, C.CONSENT_ACTOR_CONTROLLER)
    elif case == "revoked by the subject":
        signed = event(consent, C.CONSENT_STATE_REVOKED, C.CONSENT_ACTOR_SUBJECT)
    elif case == "back to given":
        signed = event(consent, C.CONSENT_STATE_GIVEN, C.CONSENT_ACTOR_SUBJECT)
    elif case == "another member signs":
        signed = event(consent, C.CONSENT_STATE_WITHDRAWN, C.CONSENT_ACTOR_SUBJECT, signer=PE)
    elif case == "other record bytes":
        signed = event(consent, C.CONSENT_STATE_WITHDRAWN, C.CONSENT_ACTOR_SUBJECT, record_sha256=bytes(32))
    else:
        signed = event(consent, C.CONSENT_STATE_WITHDRAWN, C.CONSENT_ACTOR_SUBJECT)
        signed.signature.value = bytes(64)
    with pytest.raises(EnvelopeError) as raised:
        verify_event(signed, consent, keys)
    assert raised.value.reason == reason


def test_deletion_attestation_round_trip_and_refusals() -> None:
    attestation = C.DeletionAttestation(
        notice_id=str(uuid.uuid4()),
        message_id=str(uuid.uuid4()),
        recipient="PE-INPE",
        header_sha256=bytes(32),
        consent_id=str(uuid.uuid4()),
        status=C.DELETION_STATUS_DELETED,
    )
    signed = sign_attestation(attestation, PE)
    assert verify_attestation(signed, keys) == attestation
    hold = C.DeletionAttestation()
    hold.CopyFrom(attestation)
    hold.status = C.DELETION_STATUS_RETAINED_UNDER_LEGAL_HOLD
    with pytest.raises(EnvelopeError) as raised:
        verify_attestation(sign_attestation(hold, PE), keys)
    assert raised.value.reason == E.REASON_MISSING_FIELD
    named = C.DeletionAttestation()
    named.CopyFrom(attestation)
    named.officer_pseudonym = "Ana Ruiz"  # a name, not a pseudonym: it would go into the audit log
    with pytest.raises(EnvelopeError) as raised:
        verify_attestation(sign_attestation(named, PE), keys)
    assert raised.value.reason == E.REASON_MALFORMED
    signed.signature.value = bytes(64)
    with pytest.raises(EnvelopeError) as raised:
        verify_attestation(signed, keys)
    assert raised.value.reason == E.REASON_RECEIPT_SIGNATURE_INVALID
    with pytest.raises(ValueError):
        sign_attestation(attestation, CO)  # names PE-INPE


def _delivered_to_guatemala(records: list[record_pb2.Record]) -> list[OpenedDelivery]:
    """Records CO-INPEC sealed to GT-DGSP, verified and opened as GT-DGSP's inbound sync does."""
    recipient = X25519PrivateKey.generate()
    resolver = StaticKeyResolver({(CO.member_id, CO.key_id): CO.private_key.public_key()})
    opened = []
    for record in records:
        metadata = E.RecordMetadata(
            purpose=E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME, legal_basis=E.LEGAL_BASIS_BILATERAL_AGREEMENT
        )
        keys = [RecipientKey("GT-DGSP", "GT-DGSP/encryption/a", recipient.public_key())]
        envelope = seal(record, metadata, CO, keys, now=NOW, random_bytes=os.urandom)
        verified = verify(envelope, resolver)
        plain = open_record(verified, "GT-DGSP", "GT-DGSP/encryption/a", recipient)
        opened.append(OpenedDelivery(exchange_pb2.Delivery(envelope=envelope), verified, plain))
    return opened


def test_national_sink_deletes_or_blocks_withdrawn_records(tmp_path: Path) -> None:
    from flows.sink import NationalSink, other_records

    profile, other = generate_profiles("GT-DGSP", 2, seed=3)
    practice = record_pb2.Record(best_practice=best_practice_pb2.BestPracticeRecord(practice_id="p1"))
    first, second, third = _delivered_to_guatemala(
        [
            record_pb2.Record(inmate_security_profile=profile),
            practice,
            record_pb2.Record(inmate_security_profile=other),
        ]
    )
    sink = NationalSink("GT-DGSP", tmp_path / "GT-DGSP")
    sink.write_batch([first, second])
    sink.write_batch([third])
    assert sink.rows() == 2 and len(other_records(sink.folder)) == 1
    removed = sink.delete({second.message_id, third.message_id})
    assert sorted(removed) == sorted([second.message_id, third.message_id])
    assert sink.rows() == 1 and other_records(sink.folder) == []
    assert third.message_id in sink.known_message_ids()  # a redelivery is not written again
    assert sink.write_batch([third]) is None

    held = NationalSink("GT-DGSP", tmp_path / "held")
    held.write_batch([first])
    assert held.delete({first.message_id}, legal_hold="LAIP art. 36") == [first.message_id]
    kept = json.loads((held.folder / "legal-hold" / f"{first.message_id}.json").read_text())
    assert "legal hold: LAIP art. 36" in kept["blocked"] and kept["record"]["custodianSubjectId"]
    assert held.rows() == 0
    assert held.delete({first.message_id}, legal_hold="LAIP art. 36") == []  # already removed
