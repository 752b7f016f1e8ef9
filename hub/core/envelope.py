"""Seal, verify and open pxhub envelopes (format version 1).

Shared by the hub, which only ever calls :func:`verify` (it holds no key that
opens anything), and by the member SDK, which seals, verifies and opens. No
I/O and no gRPC: keys come in as objects and lookups go through a
:class:`KeyResolver`.

The construction is fixed by the top comment of ``proto/pxhub/v1/envelope.proto``
and spelled out for other languages in ``docs/envelope.md``:

* ``metadata``  = serialised ``RecordMetadata`` (the cleartext the hub decides on);
* ``context``   = SHA-256(``"pxhub/v1/context" || 0x00 || metadata``);
* ``ciphertext`` = nonce(12) || AES-256-GCM(data key, nonce, Record, aad=context);
* per recipient, HPKE base mode X25519/HKDF-SHA256/AES-256-GCM seals the data
  key with ``info = "pxhub/v1/wrap" || 0x00 || context || key_id``;
* the header (metadata, digests, size, scheme) is signed as the exact bytes
  that travel, under the ``pxhub/v1/header`` domain.

Verification checks the signature over the received header bytes before it
parses anything inside them (principle 3), and every refusal is an
:class:`EnvelopeError` carrying one precise ``pxhub.v1.Reason``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import struct
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf import unknown_fields
from google.protobuf.message import Message

from hub.core import signing
from hub.core.layers import layers_present
from pxhub.v1 import envelope_pb2, exchange_pb2, options_pb2, record_pb2

if TYPE_CHECKING:
    from google.protobuf.internal.enum_type_wrapper import _EnumTypeWrapper

__all__ = [
    "CONTEXT_LABEL",
    "DATA_KEY_SIZE",
    "FORMAT_VERSION",
    "KEY_WRAP_SIZE",
    "NONCE_SIZE",
    "SCHEMA_VERSION",
    "TAG_SIZE",
    "WRAP_LABEL",
    "EnvelopeError",
    "KeyResolver",
    "RecipientKey",
    "SignerKey",
    "StaticKeyResolver",
    "VerifiedEnvelope",
    "add_approval",
    "encryption_context",
    "envelope_size",
    "header_sha256",
    "is_canonical_message_id",
    "key_wraps_digest",
    "open_record",
    "parse_envelope",
    "payload_kind_of",
    "seal",
    "sign_delivery_receipt",
    "verify",
    "verify_delivery_receipt",
    "wrap_info",
]

Reason = envelope_pb2.Reason

#: The only ``EnvelopeHeader.format_version`` this module reads or writes.
FORMAT_VERSION: Final = 1
#: ``RecordMetadata.schema_version`` of a plaintext ``pxhub.v1.Record``.
SCHEMA_VERSION: Final = "pxhub.v1.Record"
#: Prefix of the encryption context hash (label, then a 0x00 separator).
CONTEXT_LABEL: Final = b"pxhub/v1/context\x00"
#: Prefix of the HPKE ``info`` of every key wrap (label, then a 0x00 separator).
WRAP_LABEL: Final = b"pxhub/v1/wrap\x00"
DATA_KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
#: HPKE output for a 32-byte data key: X25519 enc (32) || sealed key (32) || tag (16).
KEY_WRAP_SIZE: Final = 32 + DATA_KEY_SIZE + TAG_SIZE

_SCHEME: Final = envelope_pb2.ENCRYPTION_SCHEME_AES256GCM_HPKE_X25519
_ED25519: Final = envelope_pb2.SIGNATURE_ALGORITHM_ED25519
_ORIGINATOR: Final = envelope_pb2.SIGNER_ROLE_ORIGINATOR
_APPROVER: Final = envelope_pb2.SIGNER_ROLE_APPROVER
_HPKE: Final = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_u16 = struct.Struct(">H").pack
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

#: Record oneof field name -> PayloadKind.
_KIND_BY_FIELD: Final[Mapping[str, envelope_pb2.PayloadKind.ValueType]] = {
    "inmate_security_profile": envelope_pb2.PAYLOAD_KIND_INMATE_SECURITY_PROFILE,
    "integrity_audit": envelope_pb2.PAYLOAD_KIND_INTEGRITY_AUDIT,
    "ethics_training": envelope_pb2.PAYLOAD_KIND_ETHICS_TRAINING,
    "best_practice": envelope_pb2.PAYLOAD_KIND_BEST_PRACTICE,
}


class EnvelopeError(Exception):
    """A refusal with a machine-readable reason and a specific human detail.

    ``detail`` names fields, member ids, key ids and sizes, never key material
    or plaintext, so it can go into receipts and the audit log as it is.
    """

    def __init__(self, reason: envelope_pb2.Reason.ValueType, detail: str) -> None:
        super().__init__(f"{_enum_name(envelope_pb2.Reason, reason)}: {detail}")
        self.reason = reason
        self.detail = detail

    @property
    def reason_name(self) -> str:
        """The reason without its ``REASON_`` prefix, as google.rpc.ErrorInfo carries it."""
        return _enum_name(envelope_pb2.Reason, self.reason).removeprefix("REASON_")

    def __reduce__(self) -> tuple[type[EnvelopeError], tuple[envelope_pb2.Reason.ValueType, str]]:
        # Keeps the error intact when a worker process or a task runner pickles it.
        return (type(self), (self.reason, self.detail))


@dataclass(frozen=True, slots=True)
class SignerKey:
    """A member's Ed25519 signing key with the id the directory lists it under."""

    member_id: str
    key_id: str
    private_key: Ed25519PrivateKey = field(repr=False)


@dataclass(frozen=True, slots=True)
class RecipientKey:
    """A recipient's current X25519 encryption key, as published in the directory."""

    member_id: str
    key_id: str
    public_key: X25519PublicKey = field(repr=False)


class KeyResolver(Protocol):
    """Public-key lookups the verifier needs; backed by the directory in production."""

    def signing_key(self, member_id: str, key_id: str) -> Ed25519PublicKey | None:
        """The member's originator signing key with that id (current or previous), if any."""
        ...

    def approver_key(self, member_id: str, key_id: str) -> Ed25519PublicKey | None:
        """The member's approver (four-eyes) signing key with that id, if any."""
        ...


@dataclass
class StaticKeyResolver:
    """A :class:`KeyResolver` over in-memory maps, for tests, tools and benchmarks."""

    signing_keys: dict[tuple[str, str], Ed25519PublicKey] = field(default_factory=dict)
    approver_keys: dict[tuple[str, str], Ed25519PublicKey] = field(default_factory=dict)

    def signing_key(self, member_id: str, key_id: str) -> Ed25519PublicKey | None:
        return self.signing_keys.get((member_id, key_id))

    def approver_key(self, member_id: str, key_id: str) -> Ed25519PublicKey | None:
        return self.approver_keys.get((member_id, key_id))


@dataclass(frozen=True, slots=True)
class VerifiedEnvelope:
    """An envelope whose signatures, header and digests have been checked.

    ``header`` and ``metadata`` are parsed from the verified bytes, so callers
    never parse them again; ``approved`` is True only when a valid APPROVER
    signature of the originating member is present.
    """

    envelope: envelope_pb2.Envelope
    header: envelope_pb2.EnvelopeHeader
    metadata: envelope_pb2.RecordMetadata
    header_sha256: bytes
    approved: bool


# --------------------------------------------------------------------------- helpers


def _enum_name(enum: _EnumTypeWrapper[Any], value: int) -> str:
    """Enum value name, or the bare number for values this contract does not define."""
    try:
        return enum.Name(value)
    except ValueError:
        return str(value)


def _show(text: str, limit: int = 64) -> str:
    """Quote an untrusted identifier for a detail message, bounded in length."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def _fail(reason: envelope_pb2.Reason.ValueType, detail: str) -> EnvelopeError:
    return EnvelopeError(reason, detail)


def is_canonical_message_id(message_id: str) -> bool:
    """True for a UUID in canonical lowercase 8-4-4-4-12 form, the only form ids take."""
    return _UUID.fullmatch(message_id) is not None


def payload_kind_of(record: record_pb2.Record) -> envelope_pb2.PayloadKind.ValueType:
    """The PayloadKind of the record's set oneof member (UNSPECIFIED when none is set)."""
    name = record.WhichOneof("kind")
    if name is None:
        return envelope_pb2.PAYLOAD_KIND_UNSPECIFIED
    return _KIND_BY_FIELD[name]


def encryption_context(metadata: bytes) -> bytes:
    """SHA-256(``"pxhub/v1/context" || 0x00 || metadata``): the AES-GCM AAD."""
    return hashlib.sha256(CONTEXT_LABEL + metadata).digest()


def wrap_info(context: bytes, key_id: str) -> bytes:
    """HPKE ``info`` binding a wrap to one envelope's context and one recipient key."""
    return WRAP_LABEL + context + key_id.encode("utf-8")


def _digest_wraps(wraps: Iterable[envelope_pb2.KeyWrap]) -> tuple[bytes, list[tuple[str, str, int]]]:
    """Key-wraps digest plus (recipient, key id, enc size) per wrap, in one pass over the wraps."""
    parts = []
    seen = []
    try:
        for wrap in wraps:
            recipient = wrap.recipient
            key_id = wrap.key_id
            enc = wrap.enc
            r = recipient.encode("utf-8")
            k = key_id.encode("utf-8")
            # struct.error when a length does not fit in 16 bits.
            parts.append(_u16(len(r)) + r + _u16(len(k)) + k + _u16(len(enc)) + enc)
            seen.append((recipient, key_id, len(enc)))
    except struct.error:
        raise ValueError("key wrap component longer than 65535 bytes") from None
    return hashlib.sha256(b"".join(parts)).digest(), seen


def key_wraps_digest(wraps: Iterable[envelope_pb2.KeyWrap]) -> bytes:
    """SHA-256 over each wrap's u16be-length-prefixed recipient, key id and enc, in order.

    Raises ValueError when a component is longer than 65,535 bytes, which the
    encoding cannot express (verification maps this to a digest mismatch).
    """
    return _digest_wraps(wraps)[0]


def header_sha256(envelope: envelope_pb2.Envelope) -> bytes:
    """SHA-256 of the exact header bytes: the envelope's identity in receipts and logs."""
    return hashlib.sha256(envelope.header).digest()


def envelope_size(envelope: envelope_pb2.Envelope) -> int:
    """Serialised size in bytes, for size limits and accounting."""
    return envelope.ByteSize()


_M = TypeVar("_M", bound=Message)


def _parse(cls: type[_M], data: bytes, what: str) -> _M:
    """Parse untrusted bytes; any failure at all becomes MALFORMED."""
    try:
        return cls.FromString(data)
    except Exception as exc:  # the parser's failure modes are not a stable API
        raise _fail(Reason.REASON_MALFORMED, f"{what} does not parse as {cls.DESCRIPTOR.full_name}") from exc


def parse_envelope(data: bytes) -> envelope_pb2.Envelope:
    """Parse serialised ``Envelope`` bytes, raising only EnvelopeError(MALFORMED)."""
    return _parse(envelope_pb2.Envelope, data, "envelope")


# --------------------------------------------------------------------------- sealing


def sign_as(
    domain: str, data: bytes, signer: SignerKey, role: envelope_pb2.SignerRole.ValueType = _ORIGINATOR
) -> envelope_pb2.Signature:
    """``signer``'s Ed25519 signature of ``data`` under ``domain``, as the contract's ``Signature``.

    Every signed object of the contract (headers, receipts, policies, consents, directory
    changes) carries its signature in this one shape.
    """
    return envelope_pb2.Signature(
        signer=signer.member_id,
        key_id=signer.key_id,
        algorithm=_ED25519,
        role=role,
        value=signing.sign(domain, data, signer.private_key),
    )


def check_signed(
    domain: str,
    data: bytes,
    signature: envelope_pb2.Signature,
    public_key: Ed25519PublicKey,
    invalid: envelope_pb2.Reason.ValueType,
    what: str,
) -> None:
    """Refuse with ``invalid`` unless ``signature`` is an Ed25519 signature of ``data`` under
    ``domain`` by ``public_key``: the check every signed object of the contract goes through, so
    none of them accepts another algorithm label or a signature made for another domain.
    """
    if signature.algorithm != _ED25519:
        raise _fail(
            invalid,
            f"{what} signature algorithm is "
            f"{_enum_name(envelope_pb2.SignatureAlgorithm, signature.algorithm)}, "
            "expected SIGNATURE_ALGORITHM_ED25519",
        )
    if not signing.verify(domain, data, signature.value, public_key):
        raise _fail(
            invalid,
            f"{what} signature of {_show(signature.signer)} key {_show(signature.key_id)} does not verify",
        )


def _header_signature(
    header: bytes, signer: SignerKey, role: envelope_pb2.SignerRole.ValueType
) -> envelope_pb2.Signature:
    return sign_as(signing.DOMAIN_HEADER, header, signer, role)


def _seal_serialized(
    record: bytes,
    metadata: bytes,
    signer: SignerKey,
    recipients: Sequence[RecipientKey],
    *,
    approver: SignerKey | None = None,
) -> envelope_pb2.Envelope:
    """The construction itself, over exact record and metadata bytes.

    :func:`seal` prepares and checks the metadata and then calls this; tests
    call it directly to build envelopes that :func:`verify` must refuse.
    """
    context = encryption_context(metadata)
    data_key = os.urandom(DATA_KEY_SIZE)
    nonce = os.urandom(NONCE_SIZE)
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, record, context)
    wraps = [
        envelope_pb2.KeyWrap(
            recipient=r.member_id,
            key_id=r.key_id,
            enc=_HPKE.encrypt(data_key, r.public_key, info=wrap_info(context, r.key_id)),
        )
        for r in recipients
    ]
    header = envelope_pb2.EnvelopeHeader(
        format_version=FORMAT_VERSION,
        metadata=metadata,
        ciphertext_sha256=hashlib.sha256(ciphertext).digest(),
        key_wraps_sha256=key_wraps_digest(wraps),
        ciphertext_size=len(ciphertext),
        encryption=_SCHEME,
    ).SerializeToString()
    signatures = [_header_signature(header, signer, _ORIGINATOR)]
    if approver is not None:
        signatures.append(_header_signature(header, approver, _APPROVER))
    return envelope_pb2.Envelope(header=header, ciphertext=ciphertext, key_wraps=wraps, signatures=signatures)


def _recipient_parties(
    given: Sequence[envelope_pb2.Party], recipients: Sequence[RecipientKey]
) -> list[envelope_pb2.Party]:
    """Metadata recipients in key order, keeping unit/officer details the caller gave."""
    by_member = {party.member_id: party for party in given}
    wanted = [r.member_id for r in recipients]
    if not all(r.member_id and r.key_id for r in recipients):
        raise ValueError("every RecipientKey needs a member_id and a key_id")
    if len(set(wanted)) != len(wanted):
        duplicates = sorted({m for m in wanted if wanted.count(m) > 1})
        raise ValueError(f"recipient keys list {duplicates} more than once; one key per member")
    missing = sorted(set(by_member) - set(wanted))
    if missing:
        raise ValueError(f"metadata names recipients {missing} but no RecipientKey was given for them")
    parties = []
    for r in recipients:
        party = envelope_pb2.Party()
        known = by_member.get(r.member_id)
        if known is not None:
            party.CopyFrom(known)
        party.member_id = r.member_id
        party.key_id = r.key_id
        parties.append(party)
    return parties


def seal(
    record: record_pb2.Record,
    metadata: envelope_pb2.RecordMetadata,
    signer: SignerKey,
    recipients: Sequence[RecipientKey],
    *,
    approver: SignerKey | None = None,
    now: datetime | None = None,
) -> envelope_pb2.Envelope:
    """Encrypt ``record`` to ``recipients`` and sign the header as ``signer``.

    ``metadata`` is not modified. Its copy gets a fresh message id (when
    empty), ``created_at`` (when unset; ``now`` or the current UTC time), the
    schema version, the payload kind and layers computed from the record, the
    sender and its key id, and one recipient Party per key (in key order). With
    ``approver`` an APPROVER signature of the same member is added.

    Raises ValueError for inputs that could only produce an envelope the hub
    refuses: no record kind, a payload kind that contradicts the record, a
    non-canonical message id, no or duplicate recipients, recipients without
    keys, or an approver of another member.
    """
    kind = payload_kind_of(record)
    if kind == envelope_pb2.PAYLOAD_KIND_UNSPECIFIED:
        raise ValueError("record has no kind set")
    if metadata.payload_kind not in (envelope_pb2.PAYLOAD_KIND_UNSPECIFIED, kind):
        raise ValueError(
            f"metadata.payload_kind is {_enum_name(envelope_pb2.PayloadKind, metadata.payload_kind)} "
            f"but the record is {_enum_name(envelope_pb2.PayloadKind, kind)}"
        )
    if not recipients:
        raise ValueError("an envelope needs at least one recipient")
    if approver is not None and approver.member_id != signer.member_id:
        raise ValueError(
            f"approver belongs to {approver.member_id}, not to the originating member {signer.member_id}"
        )
    parties = _recipient_parties(metadata.recipients, recipients)

    meta = envelope_pb2.RecordMetadata()
    meta.CopyFrom(metadata)
    if not meta.message_id:
        meta.message_id = str(uuid.uuid4())
    elif not is_canonical_message_id(meta.message_id):
        raise ValueError(f"message_id {_show(meta.message_id)} is not a canonical lowercase UUID")
    if not meta.HasField("created_at"):
        meta.created_at.FromDatetime(now if now is not None else datetime.now(UTC))
    meta.schema_version = SCHEMA_VERSION
    meta.payload_kind = kind
    del meta.layers[:]
    meta.layers.extend(options_pb2.Sensitivity.ValueType(t) for t in sorted(layers_present(record)))
    meta.sender.member_id = signer.member_id
    meta.sender_key_id = signer.key_id
    del meta.recipients[:]
    meta.recipients.extend(parties)

    return _seal_serialized(
        record.SerializeToString(),
        meta.SerializeToString(deterministic=True),
        signer,
        recipients,
        approver=approver,
    )


def add_approval(envelope: envelope_pb2.Envelope, approver: SignerKey) -> None:
    """Add an APPROVER signature to a sealed envelope, in place (four eyes).

    The approver signs the same header bytes as the originator, so approval can
    happen after sealing, in another process, without re-encrypting anything.
    Raises ValueError for a second approval or an approver of another member,
    and EnvelopeError(MALFORMED) when the header does not parse.
    """
    if any(s.role == _APPROVER for s in envelope.signatures):
        raise ValueError("the envelope already carries an APPROVER signature")
    header = _parse(envelope_pb2.EnvelopeHeader, envelope.header, "envelope header")
    metadata = _parse(envelope_pb2.RecordMetadata, header.metadata, "header metadata")
    if metadata.sender.member_id != approver.member_id:
        raise ValueError(
            f"approver belongs to {approver.member_id}, "
            f"not to the originating member {metadata.sender.member_id}"
        )
    envelope.signatures.append(_header_signature(envelope.header, approver, _APPROVER))


# --------------------------------------------------------------------------- verification


def _split_signatures(
    signatures: Sequence[envelope_pb2.Signature],
) -> tuple[envelope_pb2.Signature, envelope_pb2.Signature | None]:
    originator: envelope_pb2.Signature | None = None
    approver: envelope_pb2.Signature | None = None
    for index, signature in enumerate(signatures):
        if signature.role == _ORIGINATOR:
            if originator is not None:
                raise _fail(Reason.REASON_MALFORMED, "more than one ORIGINATOR signature")
            originator = signature
        elif signature.role == _APPROVER:
            if approver is not None:
                raise _fail(Reason.REASON_MALFORMED, "more than one APPROVER signature")
            approver = signature
        else:
            raise _fail(
                Reason.REASON_MALFORMED,
                f"signature {index} has role {_enum_name(envelope_pb2.SignerRole, signature.role)}; "
                "expected SIGNER_ROLE_ORIGINATOR or SIGNER_ROLE_APPROVER",
            )
    if originator is None:
        raise _fail(Reason.REASON_SIGNATURE_MISSING, "the envelope has no ORIGINATOR signature")
    return originator, approver


def _check_header_signature(
    signature: envelope_pb2.Signature, header: bytes, public_key: Ed25519PublicKey, who: str
) -> None:
    check_signed(
        signing.DOMAIN_HEADER, header, signature, public_key, Reason.REASON_SIGNATURE_INVALID, f"{who} header"
    )


def _check_metadata(metadata: envelope_pb2.RecordMetadata, originator: envelope_pb2.Signature) -> None:
    if metadata.sender.member_id != originator.signer:
        raise _fail(
            Reason.REASON_SENDER_MISMATCH,
            f"metadata sender {_show(metadata.sender.member_id)} "
            f"is not the signer {_show(originator.signer)}",
        )
    if metadata.sender_key_id != originator.key_id:
        raise _fail(
            Reason.REASON_SENDER_MISMATCH,
            f"metadata sender_key_id {_show(metadata.sender_key_id)} is not the signing key "
            f"{_show(originator.key_id)}",
        )
    if not is_canonical_message_id(metadata.message_id):
        raise _fail(
            Reason.REASON_INVALID_MESSAGE_ID,
            f"message_id {_show(metadata.message_id)} is not a canonical lowercase UUID",
        )
    if metadata.payload_kind == envelope_pb2.PAYLOAD_KIND_UNSPECIFIED:
        raise _fail(Reason.REASON_MISSING_FIELD, "payload_kind is unspecified")
    if metadata.purpose == envelope_pb2.PURPOSE_UNSPECIFIED:
        raise _fail(Reason.REASON_MISSING_FIELD, "purpose is unspecified")
    if metadata.legal_basis == envelope_pb2.LEGAL_BASIS_UNSPECIFIED:
        raise _fail(Reason.REASON_MISSING_FIELD, "legal_basis is unspecified")
    if not metadata.HasField("created_at"):
        raise _fail(Reason.REASON_MISSING_FIELD, "created_at is not set")
    if metadata.schema_version != SCHEMA_VERSION:
        if not metadata.schema_version:
            raise _fail(Reason.REASON_MISSING_FIELD, "schema_version is empty")
        raise _fail(
            Reason.REASON_PAYLOAD_MISMATCH,
            f"schema_version {_show(metadata.schema_version)} is not {SCHEMA_VERSION!r}",
        )


def _check_recipients(recipients: Sequence[envelope_pb2.Party]) -> list[tuple[str, str]]:
    """Check the recipient list; returns (member id, key id) per recipient for the wrap check."""
    if not recipients:
        raise _fail(Reason.REASON_NO_RECIPIENTS, "metadata lists no recipients")
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, party in enumerate(recipients):
        member_id = party.member_id
        key_id = party.key_id
        if not member_id:
            raise _fail(Reason.REASON_MISSING_FIELD, f"recipient {index} has no member_id")
        if not key_id:
            raise _fail(Reason.REASON_MISSING_FIELD, f"recipient {index} ({_show(member_id)}) has no key_id")
        if member_id in seen:
            raise _fail(
                Reason.REASON_DUPLICATE_RECIPIENT,
                f"recipient {_show(member_id)} is listed more than once",
            )
        seen.add(member_id)
        pairs.append((member_id, key_id))
    return pairs


def _check_body(
    ciphertext: bytes,
    key_wraps: Sequence[envelope_pb2.KeyWrap],
    header: envelope_pb2.EnvelopeHeader,
    recipients: list[tuple[str, str]],
) -> None:
    if header.ciphertext_size != len(ciphertext):
        raise _fail(
            Reason.REASON_CIPHERTEXT_DIGEST_MISMATCH,
            f"ciphertext is {len(ciphertext)} bytes, the header says {header.ciphertext_size}",
        )
    if not hmac.compare_digest(hashlib.sha256(ciphertext).digest(), header.ciphertext_sha256):
        raise _fail(Reason.REASON_CIPHERTEXT_DIGEST_MISMATCH, "ciphertext SHA-256 does not match the header")
    if len(ciphertext) < NONCE_SIZE + TAG_SIZE:
        raise _fail(
            Reason.REASON_MALFORMED,
            f"ciphertext is {len(ciphertext)} bytes, shorter than nonce and tag ({NONCE_SIZE + TAG_SIZE})",
        )
    try:
        wraps_digest, wraps = _digest_wraps(key_wraps)
    except ValueError:
        raise _fail(
            Reason.REASON_KEY_WRAPS_DIGEST_MISMATCH, "a key wrap component is too long to be digested"
        ) from None
    if not hmac.compare_digest(wraps_digest, header.key_wraps_sha256):
        raise _fail(Reason.REASON_KEY_WRAPS_DIGEST_MISMATCH, "key wraps SHA-256 does not match the header")
    if len(wraps) != len(recipients):
        raise _fail(
            Reason.REASON_KEY_WRAP_MISMATCH, f"{len(wraps)} key wraps for {len(recipients)} recipients"
        )
    for index, ((member_id, key_id, size), expected) in enumerate(zip(wraps, recipients, strict=True)):
        if (member_id, key_id) != expected:
            raise _fail(
                Reason.REASON_KEY_WRAP_MISMATCH,
                f"key wrap {index} is for {_show(member_id)} key {_show(key_id)}, "
                f"recipient {index} is {_show(expected[0])} key {_show(expected[1])}",
            )
        if size != KEY_WRAP_SIZE:
            raise _fail(
                Reason.REASON_KEY_WRAP_MISMATCH,
                f"key wrap {index} is {size} bytes, expected {KEY_WRAP_SIZE}",
            )


def verify(envelope: envelope_pb2.Envelope, keys: KeyResolver) -> VerifiedEnvelope:
    """Check everything that can be checked without a recipient's key.

    The hub calls this on every submission and members on every delivery
    before opening. Checks run in a fixed order so a given defect always
    yields the same Reason: structure, version and scheme, originator
    signature over the exact header bytes, then (only then) the metadata,
    the recipients, the ciphertext and key-wrap digests, the wraps against the
    recipients, and finally an approver signature if one is present.

    Format version 1 envelopes carry no unknown fields: the envelope's
    signatures and wraps sit outside the signed header, so an unknown field
    there (for instance a signature whose tag was altered) is refused rather
    than silently ignored.
    """
    # One pass over the sub-messages; the wrap list is reused for the digest below.
    signatures = list(envelope.signatures)
    wraps = list(envelope.key_wraps)
    unknown = unknown_fields.UnknownFieldSet
    for part in (envelope, *signatures, *wraps):
        if len(unknown(part)):
            raise _fail(Reason.REASON_MALFORMED, "envelope carries fields format version 1 does not define")
    raw_header = envelope.header
    if not raw_header:
        raise _fail(Reason.REASON_MALFORMED, "envelope header is empty")
    header = _parse(envelope_pb2.EnvelopeHeader, raw_header, "envelope header")
    if header.format_version != FORMAT_VERSION:
        raise _fail(
            Reason.REASON_UNSUPPORTED_VERSION,
            f"format_version is {header.format_version}; this verifier reads {FORMAT_VERSION}",
        )
    if header.encryption != _SCHEME:
        raise _fail(
            Reason.REASON_UNSUPPORTED_VERSION,
            f"encryption scheme {_enum_name(envelope_pb2.EncryptionScheme, header.encryption)} "
            "is not supported",
        )

    originator, approver = _split_signatures(signatures)
    public_key = keys.signing_key(originator.signer, originator.key_id)
    if public_key is None:
        raise _fail(
            Reason.REASON_UNKNOWN_SIGNING_KEY,
            f"no signing key {_show(originator.key_id)} is known for member {_show(originator.signer)}",
        )
    _check_header_signature(originator, raw_header, public_key, "originator")

    metadata = _parse(envelope_pb2.RecordMetadata, header.metadata, "header metadata")
    _check_metadata(metadata, originator)
    _check_body(envelope.ciphertext, wraps, header, _check_recipients(metadata.recipients))

    approved = False
    if approver is not None:
        if approver.signer != originator.signer:
            raise _fail(
                Reason.REASON_SIGNATURE_INVALID,
                f"approver signature is by {_show(approver.signer)}, "
                f"not by the originating member {_show(originator.signer)}",
            )
        approver_key = keys.approver_key(approver.signer, approver.key_id)
        if approver_key is None:
            raise _fail(
                Reason.REASON_UNKNOWN_SIGNING_KEY,
                f"no approver key {_show(approver.key_id)} is known for member {_show(approver.signer)}",
            )
        _check_header_signature(approver, raw_header, approver_key, "approver")
        approved = True

    return VerifiedEnvelope(
        envelope=envelope,
        header=header,
        metadata=metadata,
        header_sha256=hashlib.sha256(raw_header).digest(),
        approved=approved,
    )


# --------------------------------------------------------------------------- opening


def _layer_names(layers: Iterable[int]) -> str:
    return ", ".join(_enum_name(options_pb2.Sensitivity, layer) for layer in sorted(layers))


def open_record(
    verified: VerifiedEnvelope, member_id: str, key_id: str, private_key: X25519PrivateKey
) -> record_pb2.Record:
    """Decrypt the record as recipient ``member_id`` holding encryption key ``key_id``.

    Takes a :class:`VerifiedEnvelope` so nothing is ever decrypted before its
    signature is checked. After decrypting it checks the record against the
    signed header: its kind must be the declared payload kind and it may hold
    no sensitivity layer the header did not declare.
    """
    envelope = verified.envelope
    wrap: envelope_pb2.KeyWrap | None = None
    other_keys: list[str] = []
    for candidate in envelope.key_wraps:
        if candidate.recipient == member_id:
            if candidate.key_id == key_id:
                wrap = candidate
                break
            other_keys.append(candidate.key_id)
    if wrap is None:
        if other_keys:
            raise _fail(
                Reason.REASON_NOT_A_RECIPIENT,
                f"{_show(member_id)} is a recipient under key {_show(other_keys[0])}, not {_show(key_id)}",
            )
        raise _fail(Reason.REASON_NOT_A_RECIPIENT, f"{_show(member_id)} is not a recipient of this envelope")

    metadata = verified.metadata
    context = encryption_context(verified.header.metadata)
    try:
        data_key = _HPKE.decrypt(wrap.enc, private_key, info=wrap_info(context, key_id))
    except (InvalidTag, ValueError):
        raise _fail(
            Reason.REASON_KEY_WRAP_MISMATCH,
            f"cannot unwrap data key for {_show(member_id)} key {_show(key_id)}",
        ) from None
    if len(data_key) != DATA_KEY_SIZE:
        raise _fail(Reason.REASON_KEY_WRAP_MISMATCH, f"unwrapped data key is {len(data_key)} bytes")

    ciphertext = memoryview(envelope.ciphertext)
    if len(ciphertext) < NONCE_SIZE + TAG_SIZE:
        raise _fail(Reason.REASON_MALFORMED, "ciphertext is shorter than nonce and tag")
    try:
        plaintext = AESGCM(data_key).decrypt(ciphertext[:NONCE_SIZE], ciphertext[NONCE_SIZE:], context)
    except InvalidTag:
        raise _fail(Reason.REASON_MALFORMED, "ciphertext does not authenticate") from None

    record = _parse(record_pb2.Record, plaintext, "decrypted payload")
    kind = payload_kind_of(record)
    if kind != metadata.payload_kind:
        raise _fail(
            Reason.REASON_PAYLOAD_MISMATCH,
            f"record is {_enum_name(envelope_pb2.PayloadKind, kind)}, header declares "
            f"{_enum_name(envelope_pb2.PayloadKind, metadata.payload_kind)}",
        )
    undeclared = layers_present(record).difference(metadata.layers)
    if undeclared:
        raise _fail(
            Reason.REASON_PAYLOAD_MISMATCH,
            f"record holds layers the header does not declare: {_layer_names(undeclared)}",
        )
    return record


# --------------------------------------------------------------------------- delivery receipts


def sign_delivery_receipt(
    receipt: envelope_pb2.DeliveryReceipt, signer: SignerKey
) -> exchange_pb2.Acknowledgement:
    """Serialise and sign a recipient's receipt; the signed bytes travel as they are.

    The receipt's ``recipient`` is filled in with the signer's member when
    empty; a receipt naming another member is refused with ValueError.
    """
    if receipt.recipient and receipt.recipient != signer.member_id:
        raise ValueError(f"receipt names recipient {receipt.recipient}, but the signer is {signer.member_id}")
    if not receipt.recipient:
        filled = envelope_pb2.DeliveryReceipt()
        filled.CopyFrom(receipt)
        filled.recipient = signer.member_id
        receipt = filled
    raw = receipt.SerializeToString(deterministic=True)
    return exchange_pb2.Acknowledgement(
        receipt=raw, signature=sign_as(signing.DOMAIN_DELIVERY_RECEIPT, raw, signer)
    )


def verify_delivery_receipt(
    ack: exchange_pb2.Acknowledgement, keys: KeyResolver
) -> envelope_pb2.DeliveryReceipt:
    """Check a recipient's signed receipt and return it parsed from the signed bytes.

    Matching it against the delivery (message id, header digest) is the
    caller's job, since only the caller knows what was delivered.
    """
    if not ack.HasField("signature") or not ack.signature.value:
        raise _fail(Reason.REASON_SIGNATURE_MISSING, "acknowledgement carries no signature")
    signature = ack.signature
    public_key = keys.signing_key(signature.signer, signature.key_id)
    if public_key is None:
        raise _fail(
            Reason.REASON_UNKNOWN_SIGNING_KEY,
            f"no signing key {_show(signature.key_id)} is known for member {_show(signature.signer)}",
        )
    if signature.role != _ORIGINATOR:
        raise _fail(
            Reason.REASON_RECEIPT_SIGNATURE_INVALID,
            f"receipt signature has role {_enum_name(envelope_pb2.SignerRole, signature.role)}, "
            "expected SIGNER_ROLE_ORIGINATOR",
        )
    check_signed(
        signing.DOMAIN_DELIVERY_RECEIPT,
        ack.receipt,
        signature,
        public_key,
        Reason.REASON_RECEIPT_SIGNATURE_INVALID,
        "receipt",
    )
    receipt = _parse(envelope_pb2.DeliveryReceipt, ack.receipt, "delivery receipt")
    if receipt.recipient != signature.signer:
        raise _fail(
            Reason.REASON_SENDER_MISMATCH,
            f"receipt names recipient {_show(receipt.recipient)} but is signed by {_show(signature.signer)}",
        )
    if not is_canonical_message_id(receipt.message_id):
        raise _fail(
            Reason.REASON_MALFORMED, f"receipt message_id {_show(receipt.message_id)} is not a canonical UUID"
        )
    if len(receipt.header_sha256) != hashlib.sha256().digest_size:
        raise _fail(Reason.REASON_MALFORMED, f"receipt header_sha256 is {len(receipt.header_sha256)} bytes")
    return receipt
