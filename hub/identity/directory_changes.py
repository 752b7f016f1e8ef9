"""Signed directory changes: a member's key announcement; the operator's status change, admission
of a member (or renewal of its certificate) and certificate revocation.

All are signed over their exact bytes by whoever has the authority: a member
announces its own keys under its current signing key (plus, for a new Ed25519
key, the new key's own signature as proof of possession); only an operator
changes a member's status. The hub checks them here, stores the signed bytes
and replays them at start, so the same check runs on every replay and a
stored change that no longer verifies stops the hub instead of being trusted.

Pure: no I/O, no clock (callers pass the time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar, cast

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from google.protobuf.message import DecodeError

from hub.core.envelope import EnvelopeError, SignerKey, check_signed, sign_as
from hub.identity.authority import check_issued
from hub.identity.directory import (
    MEMBER_STATUS_FROM_PROTO,
    MEMBER_STATUS_TO_PROTO,
    CertificateEntry,
    Directory,
    KeyEntry,
    MemberEntry,
    certificate_entry,
    key_from_proto,
    key_to_proto,
)
from hub.identity.join import JoinRequestView, check_join_signature, read_join_request
from hub.identity.manifest import ALGORITHM_FOR_USE, KeyUse, PkiError
from hub.identity.manifest import key_id as derive_key_id
from pxhub.v1 import directory_pb2, envelope_pb2

R = envelope_pb2

DOMAIN_KEY_ANNOUNCEMENT: Final = "pxhub/v1/key-announcement"
DOMAIN_KEY_POSSESSION: Final = "pxhub/v1/key-possession"
DOMAIN_MEMBER_STATUS: Final = "pxhub/v1/member-status"
DOMAIN_MEMBER_ADMISSION: Final = "pxhub/v1/member-admission"
DOMAIN_CERTIFICATE_REVOCATION: Final = "pxhub/v1/certificate-revocation"

#: The longest a replaced key may stay valid after a rotation.
MAX_OVERLAP: Final = timedelta(days=90)
#: How far a change's own timestamp may be from the hub's clock.
MAX_CLOCK_SKEW: Final = timedelta(minutes=5)


@dataclass(frozen=True)
class KeyRotation:
    """A checked key announcement: what :func:`apply_rotation` does to the directory."""

    member_id: str
    key: KeyEntry
    overlap: timedelta
    announced_at: datetime
    signer_key_id: str
    #: True when the announced key already is the member's current key (a re-sent announcement).
    already_current: bool = False


@dataclass(frozen=True)
class StatusChange:
    """A checked status change signed by an operator."""

    member_id: str
    status: str
    reason: str
    changed_at: datetime
    signer_key_id: str


# --------------------------------------------------------------------------- signing (member, operator)


def sign_key_announcement(
    key: KeyEntry,
    overlap: timedelta,
    announced_at: datetime,
    signer: SignerKey,
    new_private_key: Ed25519PrivateKey | None = None,
) -> directory_pb2.AnnounceKeyRequest:
    """The request announcing ``key`` for ``signer``'s member, signed by its current signing key.

    ``new_private_key`` is required for an Ed25519 key (signing, approver): it
    signs the same bytes to prove the member holds it.
    """
    message = directory_pb2.KeyAnnouncement(member_id=signer.member_id, key=key_to_proto(key))
    message.overlap.FromTimedelta(overlap)
    message.announced_at.FromDatetime(announced_at.astimezone(UTC))
    raw = message.SerializeToString()
    request = directory_pb2.AnnounceKeyRequest(
        announcement=raw, signature=sign_as(DOMAIN_KEY_ANNOUNCEMENT, raw, signer)
    )
    if new_private_key is not None:
        request.proof_of_possession.CopyFrom(
            sign_as(DOMAIN_KEY_POSSESSION, raw, SignerKey(signer.member_id, key.key_id, new_private_key))
        )
    return request


def sign_status_change(
    member_id: str, status: str, reason: str, changed_at: datetime, operator: SignerKey
) -> directory_pb2.SetMemberStatusRequest:
    """The operator's signed request to set ``member_id``'s status (active, suspended, revoked)."""
    if status not in MEMBER_STATUS_TO_PROTO:
        raise ValueError(f"status must be one of {', '.join(MEMBER_STATUS_TO_PROTO)}, not {status!r}")
    message = directory_pb2.MemberStatusChange(
        member_id=member_id,
        status=MEMBER_STATUS_TO_PROTO[status],
        reason=reason,
    )
    message.changed_at.FromDatetime(changed_at.astimezone(UTC))
    raw = message.SerializeToString()
    return directory_pb2.SetMemberStatusRequest(
        change=raw, signature=sign_as(DOMAIN_MEMBER_STATUS, raw, operator)
    )


# --------------------------------------------------------------------------- checking (hub side)


_Change = TypeVar(
    "_Change",
    directory_pb2.KeyAnnouncement,
    directory_pb2.MemberStatusChange,
    directory_pb2.MemberAdmission,
    directory_pb2.CertificateRevocation,
)


def _parse(message: _Change, raw: bytes, what: str) -> _Change:
    try:
        message.ParseFromString(raw)
    except DecodeError:
        raise EnvelopeError(R.REASON_MALFORMED, f"{what} is not a valid protobuf message") from None
    return message


def _check_time(stamp: datetime, now: datetime | None, what: str) -> None:
    if now is not None and abs(stamp - now) > MAX_CLOCK_SKEW:
        raise EnvelopeError(
            R.REASON_CLOCK_SKEW, f"{what} is {stamp.isoformat()}, more than 5 minutes from the hub's clock"
        )


def _check_operator(
    domain: str,
    raw: bytes,
    signature: envelope_pb2.Signature,
    directory: Directory,
    caller_id: str,
    stamp: datetime,
    at: datetime,
    live: bool,
    what: str,
) -> None:
    """``raw`` is signed by the calling operator's usable signing key and dated near the hub's clock."""
    operator = directory.member(caller_id)
    if operator is None or operator.role != "operator" or signature.signer != caller_id:
        raise EnvelopeError(
            R.REASON_SENDER_MISMATCH,
            f"{what} signed by {signature.signer[:40]!r}; only the calling operator may sign",
        )
    _check_time(stamp, at if live else None, what)
    public = _signing_key_at(operator, signature.key_id, at)
    _check_signature(domain, raw, signature, public, what)


def _signing_key_at(member: MemberEntry, key_id: str, at: datetime) -> Ed25519PublicKey:
    key = member.key(key_id, "signing")
    if key is None or not key.usable_at(at):
        raise EnvelopeError(
            R.REASON_UNKNOWN_SIGNING_KEY, f"{key_id[:80]!r} is not a usable signing key of {member.member_id}"
        )
    return Ed25519PublicKey.from_public_bytes(key.public_key)


def _check_signature(
    domain: str, raw: bytes, signature: envelope_pb2.Signature, public: Ed25519PublicKey, what: str
) -> None:
    if not signature.value:
        raise EnvelopeError(R.REASON_SIGNATURE_MISSING, f"{what} is not signed")
    check_signed(domain, raw, signature, public, R.REASON_SIGNATURE_INVALID, what)


def check_key_announcement(
    request: directory_pb2.AnnounceKeyRequest,
    directory: Directory,
    caller_id: str,
    at: datetime,
    *,
    live: bool = True,
) -> KeyRotation:
    """Check an announcement as of ``at``; raise ``EnvelopeError`` with the precise reason.

    ``live`` is False when a hub replays a stored announcement at ``at`` = the
    time it was accepted: the clock-skew check (against a clock that has moved
    on since) is skipped; every signature is checked again.
    """
    message = _parse(directory_pb2.KeyAnnouncement(), request.announcement, "announcement")
    if message.member_id != caller_id or request.signature.signer != caller_id:
        raise EnvelopeError(
            R.REASON_SENDER_MISMATCH,
            f"announcement for {message.member_id[:40]!r} signed by {request.signature.signer[:40]!r} "
            f"but the caller is {caller_id!r}",
        )
    member = directory.member(caller_id)
    if member is None or member.role != "member":
        raise EnvelopeError(R.REASON_UNKNOWN_CALLER, f"{caller_id!r} is not a member with keys")
    if not message.HasField("announced_at") or not message.HasField("key"):
        raise EnvelopeError(R.REASON_MISSING_FIELD, "announcement needs key and announced_at")
    announced_at = message.announced_at.ToDatetime(UTC)
    _check_time(announced_at, at if live else None, "announced_at")
    current_signing = _signing_key_at(member, request.signature.key_id, at)
    _check_signature(
        DOMAIN_KEY_ANNOUNCEMENT, request.announcement, request.signature, current_signing, "announcement"
    )
    try:
        key = key_from_proto(message.key, status="current")
    except KeyError:
        raise EnvelopeError(R.REASON_KEY_INVALID, "key use or algorithm is unspecified or unknown") from None
    overlap = message.overlap.ToTimedelta()
    _check_key(key, caller_id, overlap, at)
    if key.algorithm == "ed25519":
        proof = request.proof_of_possession
        if proof.key_id != key.key_id or proof.signer != caller_id:
            raise EnvelopeError(
                R.REASON_KEY_INVALID, "an Ed25519 key needs a proof of possession signed by that key"
            )
        _check_signature(
            DOMAIN_KEY_POSSESSION,
            request.announcement,
            proof,
            Ed25519PublicKey.from_public_bytes(key.public_key),
            "proof of possession",
        )
    known = member.key(key.key_id, key.use)
    if known is not None:
        if known.status == "current" and known.public_key == key.public_key:
            return KeyRotation(
                caller_id, known, overlap, announced_at, request.signature.key_id, already_current=True
            )
        raise EnvelopeError(
            R.REASON_KEY_ALREADY_KNOWN,
            f"{caller_id} already has {key.use} key {key.key_id!r} ({known.status})",
        )
    return KeyRotation(caller_id, key, overlap, announced_at, request.signature.key_id)


def _check_key(key: KeyEntry, member_id: str, overlap: timedelta, at: datetime) -> None:
    problem = ""
    use = cast("KeyUse", key.use)  # key_from_proto makes only known uses
    if ALGORITHM_FOR_USE[use] != key.algorithm:
        problem = f"{use} keys must be {ALGORITHM_FOR_USE[use]}, not {key.algorithm}"
    elif len(key.public_key) != 32:
        problem = f"public key is {len(key.public_key)} bytes, not 32"
    elif key.key_id != derive_key_id(member_id, use, key.public_key):
        problem = f"key id {key.key_id[:80]!r} is not derived from the public key"
    elif not key.valid_from < key.valid_until or key.valid_until <= at:
        problem = "validity window is empty or already over"
    elif not timedelta(0) <= overlap <= MAX_OVERLAP:
        problem = f"overlap {overlap} is outside 0 to {MAX_OVERLAP.days} days"
    if problem:
        raise EnvelopeError(R.REASON_KEY_INVALID, problem)


def check_status_change(
    request: directory_pb2.SetMemberStatusRequest,
    directory: Directory,
    caller_id: str,
    at: datetime,
    *,
    live: bool = True,
) -> StatusChange:
    """Check an operator's status change as of ``at`` (``live`` as in :func:`check_key_announcement`)."""
    message = _parse(directory_pb2.MemberStatusChange(), request.change, "status change")
    if not message.HasField("changed_at"):
        raise EnvelopeError(R.REASON_MISSING_FIELD, "status change needs changed_at")
    changed_at = message.changed_at.ToDatetime(UTC)
    _check_operator(
        DOMAIN_MEMBER_STATUS,
        request.change,
        request.signature,
        directory,
        caller_id,
        changed_at,
        at,
        live,
        "status change",
    )
    status = MEMBER_STATUS_FROM_PROTO.get(message.status)
    if status is None:
        raise EnvelopeError(
            R.REASON_MALFORMED, f"status {message.status} is not active, suspended or revoked"
        )
    target = directory.member(message.member_id)
    if target is None or target.role != "member":
        raise EnvelopeError(R.REASON_UNKNOWN_RECIPIENT, f"no member {message.member_id[:40]!r}")
    if target.status == "revoked" and status != "revoked":
        raise EnvelopeError(
            R.REASON_MEMBER_REVOKED,
            f"{target.member_id} is revoked for good; it rejoins with a new identity, not a reinstatement",
        )
    _check_reason(message.reason)
    return StatusChange(target.member_id, status, message.reason, changed_at, request.signature.key_id)


# --------------------------------------------------------------------------- applying


def apply_rotation(directory: Directory, rotation: KeyRotation, at: datetime) -> KeyEntry | None:
    """Make the announced key current; the replaced key (returned) stays valid until ``at + overlap``."""
    if rotation.already_current:
        return None
    member = directory.members[rotation.member_id]
    replaced = member.current_key(rotation.key.use)
    directory.rotate_key(rotation.member_id, rotation.key, at, rotation.overlap)
    return None if replaced is None else member.key(replaced.key_id, replaced.use)


def apply_status(directory: Directory, change: StatusChange) -> None:
    directory.set_status(change.member_id, change.status, change.changed_at, change.reason)


# --------------------------------------------------------------------------- admission and revocation


@dataclass(frozen=True)
class Admission:
    """A checked admission (a join) or certificate renewal, signed by an operator."""

    request: JoinRequestView
    certificate: CertificateEntry
    overlap: timedelta
    admitted_at: datetime
    signer_key_id: str

    @property
    def member_id(self) -> str:
        return self.request.member_id

    @property
    def kind(self) -> str:
        return self.request.kind


@dataclass(frozen=True)
class CertificateRevocation:
    """A checked revocation of one certificate, signed by an operator."""

    member_id: str
    sha256: str
    reason: str
    revoked_at: datetime
    signer_key_id: str


def sign_admission(
    join_request: directory_pb2.SignedJoinRequest,
    certificate_der: bytes,
    overlap: timedelta,
    admitted_at: datetime,
    operator: SignerKey,
) -> directory_pb2.AdmitMemberRequest:
    """The operator's signed admission of ``join_request`` with the certificate the CA issued."""
    message = directory_pb2.MemberAdmission(join_request=join_request, certificate_der=certificate_der)
    message.overlap.FromTimedelta(overlap)
    message.admitted_at.FromDatetime(admitted_at.astimezone(UTC))
    raw = message.SerializeToString()
    return directory_pb2.AdmitMemberRequest(
        admission=raw, signature=sign_as(DOMAIN_MEMBER_ADMISSION, raw, operator)
    )


def sign_certificate_revocation(
    member_id: str, sha256: str, reason: str, revoked_at: datetime, operator: SignerKey
) -> directory_pb2.RevokeCertificateRequest:
    message = directory_pb2.CertificateRevocation(
        member_id=member_id, certificate_sha256=sha256, reason=reason
    )
    message.revoked_at.FromDatetime(revoked_at.astimezone(UTC))
    raw = message.SerializeToString()
    return directory_pb2.RevokeCertificateRequest(
        revocation=raw, signature=sign_as(DOMAIN_CERTIFICATE_REVOCATION, raw, operator)
    )


def _check_reason(reason: str) -> None:
    if len(reason) > 200 or not reason.isprintable():
        raise EnvelopeError(R.REASON_MALFORMED, "reason must be at most 200 printable characters")


def check_admission(
    request: directory_pb2.AdmitMemberRequest,
    directory: Directory,
    caller_id: str,
    at: datetime,
    ca_certificate: x509.Certificate,
    *,
    live: bool = True,
) -> Admission:
    """Check an admission or renewal as of ``at`` (``live`` as in :func:`check_key_announcement`).

    The operator's signature; the institution's own request (fields, CSR, keys, expiry, its
    signature); the certificate (issued by ``ca_certificate`` for the request's identity and CSR
    key, valid at ``at``); then for a join that the id is free and no key is in use, for a renewal
    that the member is active, signed with its current signing key and keeps its keys.
    """
    message = _parse(directory_pb2.MemberAdmission(), request.admission, "admission")
    if not message.HasField("admitted_at") or not message.HasField("join_request"):
        raise EnvelopeError(R.REASON_MISSING_FIELD, "admission needs join_request and admitted_at")
    admitted_at = message.admitted_at.ToDatetime(UTC)
    _check_operator(
        DOMAIN_MEMBER_ADMISSION,
        request.admission,
        request.signature,
        directory,
        caller_id,
        admitted_at,
        at,
        live,
        "admission",
    )
    view = read_join_request(message.join_request, at)
    try:
        issued = check_issued(message.certificate_der, ca_certificate, view.member_id)
        csr = x509.load_der_x509_csr(view.csr_der)
        if issued.public_key() != csr.public_key():
            raise PkiError("the certificate is not for the request's CSR key")
        if not issued.not_valid_before_utc <= at <= issued.not_valid_after_utc:
            raise PkiError("the certificate is not valid now")
    except PkiError as error:
        raise EnvelopeError(R.REASON_CERTIFICATE_INVALID, str(error)) from None
    certificate = certificate_entry(issued)
    if certificate.sha256 in directory.revoked:
        raise EnvelopeError(R.REASON_CERTIFICATE_REVOKED, "the certificate is on the trust list")
    overlap = message.overlap.ToTimedelta()
    check_request_against(message.join_request, view, directory, at)
    if view.kind == "renew" and not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise EnvelopeError(R.REASON_MALFORMED, f"overlap {overlap} is outside 0 to {MAX_OVERLAP.days} days")
    return Admission(view, certificate, overlap, admitted_at, request.signature.key_id)


def check_request_against(
    signed: directory_pb2.SignedJoinRequest, view: JoinRequestView, directory: Directory, at: datetime
) -> None:
    """What a read request needs of the directory: for a join, a free id and unused keys; for a
    renewal, an active member that signed with its current signing key and keeps its keys."""
    existing = directory.member(view.member_id)
    if view.kind == "join":
        if existing is not None:
            raise EnvelopeError(
                R.REASON_MEMBER_ID_TAKEN,
                f"member id {view.member_id} is already in the directory ({existing.status})",
            )
        _check_keys_unused(view, directory)
    else:
        _check_renewal(signed, view, existing, at)


def _check_keys_unused(view: JoinRequestView, directory: Directory) -> None:
    new = {k.public_key: k.use for k in view.keys}
    for member in directory.members.values():
        for key in member.keys:
            if key.public_key in new:
                raise EnvelopeError(
                    R.REASON_KEY_REUSED,
                    f"the {new[key.public_key]} key is already a key of {member.member_id}; "
                    "a new member makes new keys",
                )


def _check_renewal(
    signed: directory_pb2.SignedJoinRequest, view: JoinRequestView, member: MemberEntry | None, at: datetime
) -> None:
    if member is None or member.role != "member":
        raise EnvelopeError(R.REASON_UNKNOWN_RECIPIENT, f"no member {view.member_id} to renew")
    if member.status == "revoked":
        raise EnvelopeError(
            R.REASON_MEMBER_REVOKED, f"{member.member_id} is revoked; it rejoins with a new identity"
        )
    check_join_signature(signed, _signing_key_at(member, signed.signature.key_id, at), member.member_id)
    current = {k.key_id for k in member.keys if k.status == "current"}
    if {k.key_id for k in view.keys} != current:
        raise EnvelopeError(
            R.REASON_JOIN_REQUEST_INVALID,
            "a renewal carries the member's current keys (rotate keys with AnnounceKey, not a renewal)",
        )


def apply_admission(directory: Directory, admission: Admission) -> None:
    """A join adds the member (active, its keys current); a renewal makes the new certificate current."""
    view = admission.request
    if view.kind == "renew":
        directory.renew_certificate(
            view.member_id, admission.certificate, admission.admitted_at, admission.overlap
        )
        return
    inst = view.institution
    directory.add_member(
        MemberEntry(
            member_id=inst.member_id,
            role="member",
            institution_name=inst.name,
            acronym=inst.acronym,
            country_iso2=inst.country_iso2,
            country_name=inst.country_name,
            certificate_not_after=admission.certificate.not_after,
            keys=list(view.keys),
            certificates=[admission.certificate],
        )
    )


def check_certificate_revocation(
    request: directory_pb2.RevokeCertificateRequest,
    directory: Directory,
    caller_id: str,
    at: datetime,
    *,
    live: bool = True,
) -> CertificateRevocation:
    message = _parse(directory_pb2.CertificateRevocation(), request.revocation, "revocation")
    if not message.HasField("revoked_at"):
        raise EnvelopeError(R.REASON_MISSING_FIELD, "revocation needs revoked_at")
    revoked_at = message.revoked_at.ToDatetime(UTC)
    _check_operator(
        DOMAIN_CERTIFICATE_REVOCATION,
        request.revocation,
        request.signature,
        directory,
        caller_id,
        revoked_at,
        at,
        live,
        "revocation",
    )
    _check_reason(message.reason)
    member = directory.member(message.member_id)
    if member is None:
        raise EnvelopeError(R.REASON_UNKNOWN_RECIPIENT, f"no member {message.member_id[:40]!r}")
    if not any(c.sha256 == message.certificate_sha256 for c in member.certificates):
        raise EnvelopeError(
            R.REASON_CERTIFICATE_UNKNOWN,
            f"{member.member_id} has no certificate {message.certificate_sha256[:64]!r}",
        )
    if message.certificate_sha256 in directory.revoked:
        raise EnvelopeError(R.REASON_CERTIFICATE_REVOKED, "the certificate is already on the trust list")
    return CertificateRevocation(
        member.member_id, message.certificate_sha256, message.reason, revoked_at, request.signature.key_id
    )


def apply_certificate_revocation(directory: Directory, revocation: CertificateRevocation) -> None:
    directory.revoke_certificate(
        revocation.member_id, revocation.sha256, revocation.revoked_at, revocation.reason
    )
