"""Join and renewal requests: what an institution signs on its own machine, and its checks.

A join request carries the institution's metadata, the CSR of its TLS key and its public
application keys, dated with an expiry, and is signed by its new signing key (proof that it holds
it; the CSR is signed by the TLS key). A renewal request has the same shape, the member's current
keys and a CSR for a new TLS key, signed by its current signing key. The checks here need nothing
but the request and a time; whether the id is free, the keys unused, or the signer current is the
directory's question (:mod:`hub.identity.directory_changes`).

Pure: no I/O, no clock (callers pass the time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.message import DecodeError

from hub.core.envelope import EnvelopeError, SignerKey, check_signed, sign_as
from hub.core.members import Institution, validate_member_id
from hub.identity.authority import parse_csr
from hub.identity.directory import KeyEntry, key_from_proto, key_to_proto
from hub.identity.manifest import ALGORITHM_FOR_USE, USES, PkiError
from hub.identity.manifest import key_id as derive_key_id
from pxhub.v1 import directory_pb2, envelope_pb2

R = envelope_pb2
DOMAIN_JOIN_REQUEST: Final = "pxhub/v1/join-request"
#: How long a join request stays valid unless told otherwise, and the most it may.
DEFAULT_REQUEST_VALIDITY: Final = timedelta(days=14)
MAX_REQUEST_VALIDITY: Final = timedelta(days=90)
MAX_CONTACT: Final = 200
KINDS: Final = {"join": directory_pb2.JOIN_KIND_JOIN, "renew": directory_pb2.JOIN_KIND_RENEW}
KIND_NAMES: Final = {v: k for k, v in KINDS.items()}


@dataclass(frozen=True)
class JoinRequestView:
    """A parsed, self-checked join or renewal request (its signature checked only for a join)."""

    kind: str  # "join" or "renew"
    institution: Institution
    contact: str
    csr_der: bytes
    keys: tuple[KeyEntry, ...]
    created_at: datetime
    expires_at: datetime
    signer_key_id: str
    request_id: str  # "<member id>-<kind>-<16 hex of SHA-256 of the signed bytes>"

    @property
    def member_id(self) -> str:
        return self.institution.member_id

    def key(self, use: str) -> KeyEntry | None:
        return next((k for k in self.keys if k.use == use), None)


def sign_join_request(
    kind: str,
    institution: Institution,
    contact: str,
    csr_der: bytes,
    keys: list[KeyEntry],
    created_at: datetime,
    expires_at: datetime,
    signer: SignerKey,
) -> directory_pb2.SignedJoinRequest:
    message = directory_pb2.JoinRequest(
        kind=KINDS[kind],
        member_id=institution.member_id,
        institution_name=institution.name,
        acronym=institution.acronym,
        country_iso2=institution.country_iso2,
        country_name=institution.country_name,
        contact=contact,
        csr_der=csr_der,
        keys=[key_to_proto(k) for k in keys],
    )
    message.created_at.FromDatetime(created_at.astimezone(UTC))
    message.expires_at.FromDatetime(expires_at.astimezone(UTC))
    raw = message.SerializeToString()
    return directory_pb2.SignedJoinRequest(request=raw, signature=sign_as(DOMAIN_JOIN_REQUEST, raw, signer))


def _invalid(detail: str) -> EnvelopeError:
    return EnvelopeError(R.REASON_JOIN_REQUEST_INVALID, detail)


def read_join_request(signed: directory_pb2.SignedJoinRequest, now: datetime) -> JoinRequestView:
    """Parse and check a request as of ``now``; raise ``EnvelopeError`` with the precise reason.

    Checked: the fields, the CSR (self-signed, CN the member id, P-256), every key (derived id,
    algorithm, one of each use, still valid), the dates (not expired, at most 90 days), and for a
    join the signature under the request's own signing key.
    """
    import hashlib

    message = directory_pb2.JoinRequest()
    try:
        message.ParseFromString(signed.request)
    except DecodeError:
        raise _invalid("the join request is not a valid protobuf message") from None
    kind = KIND_NAMES.get(message.kind)
    if kind is None:
        raise _invalid("kind must be JOIN or RENEW")
    try:
        member_id = validate_member_id(message.member_id)
    except ValueError as error:
        raise _invalid(f"member_id: {error}") from None
    for name in ("institution_name", "acronym", "country_name", "contact"):
        value = getattr(message, name)
        if not value.strip() or not value.isprintable() or len(value) > MAX_CONTACT:
            raise _invalid(f"{name} must be 1 to {MAX_CONTACT} printable characters")
    if message.country_iso2 != member_id.split("-", 1)[0]:
        raise _invalid(f"country_iso2 {message.country_iso2!r} is not the member id's prefix")
    institution = Institution(
        member_id, message.acronym, message.institution_name, message.country_iso2, message.country_name
    )
    if not message.HasField("created_at") or not message.HasField("expires_at"):
        raise _invalid("created_at and expires_at are required")
    created_at = message.created_at.ToDatetime(UTC)
    expires_at = message.expires_at.ToDatetime(UTC)
    if not created_at < expires_at or expires_at - created_at > MAX_REQUEST_VALIDITY:
        raise _invalid(
            f"expires_at must be after created_at and at most {MAX_REQUEST_VALIDITY.days} days later"
        )
    if expires_at <= now:
        raise EnvelopeError(
            R.REASON_JOIN_REQUEST_EXPIRED,
            f"the request expired on {expires_at.isoformat()}; ask for a new one",
        )
    try:
        parse_csr(message.csr_der, member_id)
    except PkiError as error:
        raise _invalid(str(error)) from None
    keys = _keys(message, member_id, now)
    view = JoinRequestView(
        kind=kind,
        institution=institution,
        contact=message.contact,
        csr_der=message.csr_der,
        keys=keys,
        created_at=created_at,
        expires_at=expires_at,
        signer_key_id=signed.signature.key_id,
        request_id=f"{member_id}-{kind}-{hashlib.sha256(signed.request).hexdigest()[:16]}",
    )
    if kind == "join":
        signing = view.key("signing")
        if signing is None or signed.signature.key_id != signing.key_id:
            raise EnvelopeError(
                R.REASON_SIGNATURE_INVALID, "a join request is signed by the signing key it carries"
            )
        check_join_signature(signed, Ed25519PublicKey.from_public_bytes(signing.public_key), member_id)
    return view


def check_join_signature(
    signed: directory_pb2.SignedJoinRequest, public: Ed25519PublicKey, member_id: str
) -> None:
    if not signed.signature.value:
        raise EnvelopeError(R.REASON_SIGNATURE_MISSING, "the join request is not signed")
    if signed.signature.signer != member_id:
        raise EnvelopeError(R.REASON_SIGNATURE_INVALID, "the join request is signed in another member's name")
    check_signed(
        DOMAIN_JOIN_REQUEST,
        signed.request,
        signed.signature,
        public,
        R.REASON_SIGNATURE_INVALID,
        "join request",
    )


def _keys(message: directory_pb2.JoinRequest, member_id: str, now: datetime) -> tuple[KeyEntry, ...]:
    keys: list[KeyEntry] = []
    for proto in message.keys:
        try:
            key = key_from_proto(proto, status="current")
        except KeyError:
            raise _invalid("a key's use or algorithm is unspecified or unknown") from None
        if any(k.use == key.use for k in keys):
            raise _invalid(f"two {key.use} keys; one of each use is expected")
        if key.algorithm != ALGORITHM_FOR_USE[key.use] or len(key.public_key) != 32:  # type: ignore[index]
            raise _invalid(f"the {key.use} key must be a 32-byte {ALGORITHM_FOR_USE[key.use]} key")  # type: ignore[index]
        if key.key_id != derive_key_id(member_id, key.use, key.public_key):  # type: ignore[arg-type]
            raise _invalid(f"key id {key.key_id[:80]!r} is not derived from its public key")
        if not key.valid_from < key.valid_until or key.valid_until <= now:
            raise _invalid(f"the {key.use} key's validity is empty or over")
        keys.append(key)
    missing = [use for use in USES if not any(k.use == use for k in keys)]
    if missing:
        raise _invalid(f"missing keys: {', '.join(missing)}")
    return tuple(keys)
