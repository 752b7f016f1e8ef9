"""Consent records after ISO/IEC TS 27560:2023 (through the W3C DPV mapping), pure.

A consent record is registered and signed by its controller, the member that
holds the person; the hub and every recipient refer to the person only by a
keyed pseudonym. State changes are signed events:

    GIVEN --(subject withdraws, recorded by the controller)--> WITHDRAWN
    GIVEN --(controller or an authority revokes)-------------> REVOKED
    GIVEN --(valid_until passes)-----------------------------> EXPIRED (derived, no event)

WITHDRAWN and REVOKED are final. EXPIRED is computed from the clock, so a
consent that merely expired can still be withdrawn or revoked: expiry stops
new transfers by itself, a withdrawal also recalls what was sent.

Every signature is Ed25519 by the signer's directory signing key over
``domain || 0x00 || exact bytes``; verifiers check it before they parse.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.message import Message

from hub.core.envelope import EnvelopeError, SignerKey, check_signed, is_canonical_message_id, sign_as
from hub.core.members import MEMBER_ID_PATTERN, OFFICER_PSEUDONYM_PATTERN, OFFICER_PSEUDONYM_RULE
from pxhub.v1 import consent_pb2, envelope_pb2

__all__ = [
    "DOMAIN_CONSENT",
    "DOMAIN_CONSENT_EVENT",
    "DOMAIN_DELETION_ATTESTATION",
    "SCHEMA_VERSION",
    "Consent",
    "SigningKeys",
    "check_event",
    "check_record",
    "is_pseudonym",
    "read_event",
    "sign_attestation",
    "sign_consent",
    "sign_event",
    "state_name",
    "subject_pseudonym",
    "verify_attestation",
    "verify_event",
    "verify_signed_consent",
]

R = envelope_pb2
C = consent_pb2

SCHEMA_VERSION: Final = "pxhub.v1.ConsentRecord/1"
DOMAIN_CONSENT: Final = "pxhub/v1/consent"
DOMAIN_CONSENT_EVENT: Final = "pxhub/v1/consent-event"
DOMAIN_DELETION_ATTESTATION: Final = "pxhub/v1/deletion-attestation"
_PSEUDONYM_LABEL: Final = b"pxhub/v1/subject\x00"
_PSEUDONYM = re.compile(r"psn:[A-Z]{2}:[0-9a-f]{32}")
_NORMALISE = re.compile(r"[\s./_-]+")
_M = TypeVar("_M", bound=Message)

#: (member id, key id) -> that member's Ed25519 signing key, or None when unknown.
SigningKeys = Callable[[str, str], Ed25519PublicKey | None]


def state_name(state: int) -> str:
    try:
        return C.ConsentState.Name(state).removeprefix("CONSENT_STATE_").lower()  # type: ignore[arg-type]
    except ValueError:
        return str(state)


# --------------------------------------------------------------------------- pseudonyms


def is_pseudonym(text: str) -> bool:
    """True for a keyed subject pseudonym ``psn:<ISO2>:<32 lowercase hex>``; a national id never is."""
    return _PSEUDONYM.fullmatch(text) is not None


def subject_pseudonym(key: bytes, country_iso2: str, national_id: str) -> str:
    """The keyed pseudonym a controller uses for a person: HMAC-SHA256, truncated to 128 bits.

    The national id is normalised as the domain model §6 says (spaces, dots,
    hyphens, underscores and slashes removed, upper case). ``key`` is the
    controller's own secret; the hub never holds it, so it cannot reverse or
    recompute a pseudonym.
    """
    if len(key) < 16:
        raise ValueError("pseudonym key must be at least 16 bytes")
    if re.fullmatch(r"[A-Z]{2}", country_iso2) is None:
        raise ValueError(f"country {country_iso2!r} is not ISO 3166-1 alpha-2")
    normalised = _NORMALISE.sub("", national_id).upper()
    if not normalised:
        raise ValueError("national id is empty")
    message = _PSEUDONYM_LABEL + country_iso2.encode() + b"\x00" + normalised.encode("utf-8")
    return f"psn:{country_iso2}:{hmac.new(key, message, hashlib.sha256).hexdigest()[:32]}"


# --------------------------------------------------------------------------- signing helpers


def _check_signature(
    domain: str, data: bytes, signature: envelope_pb2.Signature, present: bool, keys: SigningKeys, what: str
) -> None:
    if not present or not signature.value:
        raise EnvelopeError(R.REASON_SIGNATURE_MISSING, f"{what} carries no signature")
    public_key = keys(signature.signer, signature.key_id)
    if public_key is None:
        raise EnvelopeError(
            R.REASON_UNKNOWN_SIGNING_KEY,
            f"no signing key {signature.key_id[:80]!r} is known for {signature.signer[:40]!r}",
        )
    invalid = (
        R.REASON_RECEIPT_SIGNATURE_INVALID
        if domain == DOMAIN_DELETION_ATTESTATION
        else R.REASON_CONSENT_SIGNATURE_INVALID
    )
    check_signed(domain, data, signature, public_key, invalid, what)


def _parse(cls: type[_M], data: bytes, what: str) -> _M:
    try:
        return cls.FromString(data)
    except Exception as error:  # the parser's failure modes are not a stable API
        raise EnvelopeError(R.REASON_MALFORMED, f"{what} does not parse") from error


def _at(stamp: object) -> datetime:
    return stamp.ToDatetime(UTC)  # type: ignore[attr-defined, no-any-return]


# --------------------------------------------------------------------------- records


def _missing(name: str) -> EnvelopeError:
    return EnvelopeError(R.REASON_MISSING_FIELD, f"consent record: {name} is missing")


def check_record(record: consent_pb2.ConsentRecord) -> None:  # noqa: PLR0912 - one check per field
    """Refuse a record that lacks what 27560 (and pxhub) make mandatory, naming the field."""
    if record.schema_version != SCHEMA_VERSION:
        raise EnvelopeError(
            R.REASON_UNSUPPORTED_VERSION,
            f"consent record schema_version {record.schema_version[:40]!r} is not {SCHEMA_VERSION!r}",
        )
    if not is_canonical_message_id(record.consent_id):
        raise EnvelopeError(R.REASON_MALFORMED, "consent_id is not a canonical lowercase UUID")
    if not is_pseudonym(record.subject_pseudonym):
        raise EnvelopeError(
            R.REASON_SUBJECT_PSEUDONYM_INVALID,
            "subject_pseudonym is not a keyed pseudonym (psn:<ISO2>:<32 hex>); never register a national id",
        )
    if not MEMBER_ID_PATTERN.fullmatch(record.controller):
        raise _missing("controller (a member id)")
    if not record.purposes or R.PURPOSE_UNSPECIFIED in record.purposes:
        raise _missing("purposes")
    if not record.recipients:
        raise _missing("recipients")
    for recipient in record.recipients:
        if not MEMBER_ID_PATTERN.fullmatch(recipient) or recipient == record.controller:
            raise EnvelopeError(
                R.REASON_UNKNOWN_RECIPIENT, f"consent recipient {recipient[:40]!r} is not valid"
            )
    if not record.data_categories:
        raise _missing("data_categories")
    if record.legal_basis != R.LEGAL_BASIS_CONSENT:
        raise EnvelopeError(
            R.REASON_LEGAL_BASIS_NOT_PERMITTED, "a consent record's legal_basis must be CONSENT"
        )
    for name in ("given_at", "valid_from", "valid_until"):
        if not record.HasField(name):
            raise _missing(name)
    if _at(record.valid_until) <= _at(record.valid_from):
        raise EnvelopeError(R.REASON_MALFORMED, "consent record: valid_until is not after valid_from")
    for name in ("withdrawal_method", "language", "notice_uri", "subject_jurisdiction"):
        if not getattr(record, name):
            raise _missing(name)
    if not record.notice_sha256:
        raise _missing("notice_sha256 (the SHA-256 of the notice shown to the subject)")
    if len(record.notice_sha256) != 32:
        raise EnvelopeError(
            R.REASON_MALFORMED,
            f"consent record: notice_sha256 must be 32 bytes (SHA-256), got {len(record.notice_sha256)}",
        )


def sign_consent(record: consent_pb2.ConsentRecord, controller: SignerKey) -> consent_pb2.SignedConsent:
    """Check the record, serialise it once and sign those bytes as its controller."""
    if record.controller != controller.member_id:
        raise ValueError(f"record names controller {record.controller}, the signer is {controller.member_id}")
    check_record(record)
    raw = record.SerializeToString()
    return C.SignedConsent(record=raw, signature=sign_as(DOMAIN_CONSENT, raw, controller))


def verify_signed_consent(signed: consent_pb2.SignedConsent, keys: SigningKeys) -> consent_pb2.ConsentRecord:
    """Signature over the exact bytes first, then parse, then the record's own checks."""
    _check_signature(
        DOMAIN_CONSENT, signed.record, signed.signature, signed.HasField("signature"), keys, "consent"
    )
    record = _parse(C.ConsentRecord, signed.record, "consent record")
    if record.controller != signed.signature.signer:
        raise EnvelopeError(
            R.REASON_CONSENT_CONTROLLER_MISMATCH,
            f"consent names controller {record.controller[:40]!r}, signed by {signed.signature.signer!r}",
        )
    check_record(record)
    return record


@dataclass(frozen=True)
class Consent:
    """A registered consent: the signed record, its signed events and its stored state."""

    record: consent_pb2.ConsentRecord
    raw: bytes
    signature: envelope_pb2.Signature
    state: int = C.CONSENT_STATE_GIVEN
    events: tuple[consent_pb2.SignedConsentEvent, ...] = ()
    registered_at: datetime | None = None
    record_sha256: bytes = field(default=b"", compare=False)

    def __post_init__(self) -> None:
        if not self.record_sha256:
            object.__setattr__(self, "record_sha256", hashlib.sha256(self.raw).digest())

    @classmethod
    def from_signed(
        cls, signed: consent_pb2.SignedConsent, record: consent_pb2.ConsentRecord, registered_at: datetime
    ) -> Consent:
        return cls(record, signed.record, signed.signature, C.CONSENT_STATE_GIVEN, (), registered_at)

    @property
    def consent_id(self) -> str:
        return self.record.consent_id

    @property
    def valid_from(self) -> datetime:
        return _at(self.record.valid_from)

    @property
    def valid_until(self) -> datetime:
        return _at(self.record.valid_until)

    def signed(self) -> consent_pb2.SignedConsent:
        return C.SignedConsent(record=self.raw, signature=self.signature)

    def state_at(self, now: datetime) -> int:
        """The 27560 state now: the stored one, or EXPIRED once a given consent's validity ended."""
        if self.state == C.CONSENT_STATE_GIVEN and now > self.valid_until:
            return C.CONSENT_STATE_EXPIRED
        return self.state

    def in_force(self, now: datetime) -> bool:
        """Given, within its validity: the only condition under which it justifies a transfer."""
        return self.state == C.CONSENT_STATE_GIVEN and self.valid_from <= now <= self.valid_until

    def describe_state(self, now: datetime) -> str:
        state = self.state_at(now)
        if state == C.CONSENT_STATE_EXPIRED:
            return f"expired since {self.valid_until.isoformat()}"
        if state == C.CONSENT_STATE_GIVEN and now < self.valid_from:
            return f"not valid before {self.valid_from.isoformat()}"
        return state_name(state)

    def with_event(self, signed: consent_pb2.SignedConsentEvent, event: consent_pb2.ConsentEvent) -> Consent:
        return replace(self, state=event.state, events=(*self.events, signed))


# --------------------------------------------------------------------------- events


def sign_event(event: consent_pb2.ConsentEvent, controller: SignerKey) -> consent_pb2.SignedConsentEvent:
    raw = event.SerializeToString()
    return C.SignedConsentEvent(event=raw, signature=sign_as(DOMAIN_CONSENT_EVENT, raw, controller))


_ACTORS: Final = {
    C.CONSENT_STATE_WITHDRAWN: frozenset({C.CONSENT_ACTOR_SUBJECT}),
    C.CONSENT_STATE_REVOKED: frozenset({C.CONSENT_ACTOR_CONTROLLER, C.CONSENT_ACTOR_AUTHORITY}),
}


def read_event(signed: consent_pb2.SignedConsentEvent, keys: SigningKeys) -> consent_pb2.ConsentEvent:
    """Verify the signer's signature over the exact event bytes, then parse them (not yet checked)."""
    _check_signature(
        DOMAIN_CONSENT_EVENT,
        signed.event,
        signed.signature,
        signed.HasField("signature"),
        keys,
        "consent event",
    )
    return _parse(C.ConsentEvent, signed.event, "consent event")


def verify_event(
    signed: consent_pb2.SignedConsentEvent, consent: Consent, keys: SigningKeys
) -> consent_pb2.ConsentEvent:
    """Check a state change against the consent it applies to; the transition must be allowed now.

    The controller signs every event (a subject's withdrawal is recorded by
    the controller on the subject's behalf, actor SUBJECT); the event binds
    the exact record bytes by SHA-256.
    """
    return check_event(read_event(signed, keys), signed.signature.signer, consent)


def check_event(event: consent_pb2.ConsentEvent, signer: str, consent: Consent) -> consent_pb2.ConsentEvent:
    """The checks of :func:`verify_event` on an event whose signature by ``signer`` verified."""
    controller = consent.record.controller
    if event.recorded_by != signer or event.recorded_by != controller:
        raise EnvelopeError(
            R.REASON_CONSENT_CONTROLLER_MISMATCH,
            f"consent {consent.consent_id} can only be changed by its controller {controller}",
        )
    if event.consent_id != consent.consent_id or not hmac.compare_digest(
        event.record_sha256, consent.record_sha256
    ):
        raise EnvelopeError(
            R.REASON_MALFORMED, "consent event does not name this consent record's exact bytes"
        )
    actors = _ACTORS.get(event.state)
    if actors is None:
        raise EnvelopeError(R.REASON_MALFORMED, "a consent event may only withdraw or revoke")
    if event.actor not in actors:
        raise EnvelopeError(
            R.REASON_MALFORMED,
            "WITHDRAWN is decided by the subject (actor SUBJECT); REVOKED by the controller or an authority",
        )
    if not event.HasField("at"):
        raise _missing("event time (at)")
    if consent.state != C.CONSENT_STATE_GIVEN:
        raise EnvelopeError(
            R.REASON_CONSENT_NOT_IN_FORCE,
            f"consent {consent.consent_id} is already {state_name(consent.state)}",
        )
    return event


# --------------------------------------------------------------------------- deletion attestations


def sign_attestation(
    attestation: consent_pb2.DeletionAttestation, recipient: SignerKey
) -> consent_pb2.SignedDeletionAttestation:
    if attestation.recipient != recipient.member_id:
        raise ValueError(f"attestation names {attestation.recipient}, the signer is {recipient.member_id}")
    raw = attestation.SerializeToString()
    return C.SignedDeletionAttestation(
        attestation=raw, signature=sign_as(DOMAIN_DELETION_ATTESTATION, raw, recipient)
    )


def verify_attestation(
    signed: consent_pb2.SignedDeletionAttestation, keys: SigningKeys
) -> consent_pb2.DeletionAttestation:
    """The recipient's signature over the exact bytes, then the attestation's own fields."""
    _check_signature(
        DOMAIN_DELETION_ATTESTATION,
        signed.attestation,
        signed.signature,
        signed.HasField("signature"),
        keys,
        "deletion attestation",
    )
    attestation = _parse(C.DeletionAttestation, signed.attestation, "deletion attestation")
    if attestation.recipient != signed.signature.signer:
        raise EnvelopeError(
            R.REASON_SENDER_MISMATCH,
            f"attestation names {attestation.recipient[:40]!r} but is signed by {signed.signature.signer!r}",
        )
    if not is_canonical_message_id(attestation.message_id):
        raise EnvelopeError(R.REASON_MALFORMED, "attestation message_id is not a canonical UUID")
    if attestation.status == C.DELETION_STATUS_UNSPECIFIED:
        raise _missing("attestation status")
    if attestation.status == C.DELETION_STATUS_RETAINED_UNDER_LEGAL_HOLD and not attestation.legal_hold_basis:
        raise _missing("legal_hold_basis for a record retained under legal hold")
    if not OFFICER_PSEUDONYM_PATTERN.fullmatch(attestation.officer_pseudonym):
        raise EnvelopeError(
            R.REASON_MALFORMED, f"attestation officer_pseudonym is not {OFFICER_PSEUDONYM_RULE}"
        )
    return attestation
