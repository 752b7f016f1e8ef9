"""Verification: everything that can be checked without a recipient's key.

The hub calls :func:`verify` on every submission and members on every delivery before opening.
It checks the signature over the received header bytes before it parses anything inside them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf import descriptor, unknown_fields
from google.protobuf.message import Message

from hub.core import signing
from hub.core.envelope.canonical import check_signed, digest_wraps
from hub.core.envelope.model import (
    APPROVER,
    FORMAT_VERSION,
    KEY_WRAP_SIZE,
    NONCE_SIZE,
    ORIGINATOR,
    SCHEMA_VERSION,
    SCHEME,
    TAG_SIZE,
    KeyResolver,
    Reason,
    VerifiedEnvelope,
    enum_name,
    fail,
    is_canonical_message_id,
    parse_as,
    show,
)
from pxhub.v1 import envelope_pb2


def _split_signatures(
    signatures: Sequence[envelope_pb2.Signature],
) -> tuple[envelope_pb2.Signature, envelope_pb2.Signature | None]:
    originator: envelope_pb2.Signature | None = None
    approver: envelope_pb2.Signature | None = None
    for index, signature in enumerate(signatures):
        if signature.role == ORIGINATOR:
            if originator is not None:
                raise fail(Reason.REASON_MALFORMED, "more than one ORIGINATOR signature")
            originator = signature
        elif signature.role == APPROVER:
            if approver is not None:
                raise fail(Reason.REASON_MALFORMED, "more than one APPROVER signature")
            approver = signature
        else:
            raise fail(
                Reason.REASON_MALFORMED,
                f"signature {index} has role {enum_name(envelope_pb2.SignerRole, signature.role)}; "
                "expected SIGNER_ROLE_ORIGINATOR or SIGNER_ROLE_APPROVER",
            )
    if originator is None:
        raise fail(Reason.REASON_SIGNATURE_MISSING, "the envelope has no ORIGINATOR signature")
    return originator, approver


def _check_header_signature(
    signature: envelope_pb2.Signature, header: bytes, public_key: Ed25519PublicKey, who: str
) -> None:
    check_signed(
        signing.DOMAIN_HEADER, header, signature, public_key, Reason.REASON_SIGNATURE_INVALID, f"{who} header"
    )


def _enum_fields(message: descriptor.Descriptor) -> tuple[tuple[str, bool, frozenset[int], str], ...]:
    """(field name, repeated, known numbers, enum name) for every enum field of ``message``."""
    fields = []
    for field in message.fields:
        enum = field.enum_type
        if enum is not None:
            fields.append((field.name, field.is_repeated, frozenset(enum.values_by_number), enum.name))
    return tuple(fields)


# proto3 enums are open: a value the schema does not know parses without error, so it is
# refused here rather than read as "below every marking" or some other silent default.
_METADATA_ENUMS = _enum_fields(envelope_pb2.RecordMetadata.DESCRIPTOR)
_HANDLING_ENUMS = _enum_fields(envelope_pb2.HandlingInstructions.DESCRIPTOR)


def _check_known_enums(
    message: Message, fields: tuple[tuple[str, bool, frozenset[int], str], ...], prefix: str
) -> None:
    for name, repeated, known, enum in fields:
        values = getattr(message, name) if repeated else (getattr(message, name),)
        for value in values:
            if value not in known:
                raise fail(Reason.REASON_MALFORMED, f"{prefix}{name} {value} is not a known {enum} value")


def _check_metadata(metadata: envelope_pb2.RecordMetadata, originator: envelope_pb2.Signature) -> None:
    _check_known_enums(metadata, _METADATA_ENUMS, "")
    _check_known_enums(metadata.handling, _HANDLING_ENUMS, "handling.")
    if metadata.sender.member_id != originator.signer:
        raise fail(
            Reason.REASON_SENDER_MISMATCH,
            f"metadata sender {show(metadata.sender.member_id)} is not the signer {show(originator.signer)}",
        )
    if metadata.sender_key_id != originator.key_id:
        raise fail(
            Reason.REASON_SENDER_MISMATCH,
            f"metadata sender_key_id {show(metadata.sender_key_id)} is not the signing key "
            f"{show(originator.key_id)}",
        )
    if not is_canonical_message_id(metadata.message_id):
        raise fail(
            Reason.REASON_INVALID_MESSAGE_ID,
            f"message_id {show(metadata.message_id)} is not a canonical lowercase UUID",
        )
    if metadata.payload_kind == envelope_pb2.PAYLOAD_KIND_UNSPECIFIED:
        raise fail(Reason.REASON_MISSING_FIELD, "payload_kind is unspecified")
    if metadata.purpose == envelope_pb2.PURPOSE_UNSPECIFIED:
        raise fail(Reason.REASON_MISSING_FIELD, "purpose is unspecified")
    if metadata.legal_basis == envelope_pb2.LEGAL_BASIS_UNSPECIFIED:
        raise fail(Reason.REASON_MISSING_FIELD, "legal_basis is unspecified")
    if not metadata.HasField("created_at"):
        raise fail(Reason.REASON_MISSING_FIELD, "created_at is not set")
    if metadata.schema_version != SCHEMA_VERSION:
        if not metadata.schema_version:
            raise fail(Reason.REASON_MISSING_FIELD, "schema_version is empty")
        raise fail(
            Reason.REASON_PAYLOAD_MISMATCH,
            f"schema_version {show(metadata.schema_version)} is not {SCHEMA_VERSION!r}",
        )


def _check_recipients(recipients: Sequence[envelope_pb2.Party]) -> list[tuple[str, str]]:
    """Check the recipient list; returns (member id, key id) per recipient for the wrap check."""
    if not recipients:
        raise fail(Reason.REASON_NO_RECIPIENTS, "metadata lists no recipients")
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, party in enumerate(recipients):
        member_id = party.member_id
        key_id = party.key_id
        if not member_id:
            raise fail(Reason.REASON_MISSING_FIELD, f"recipient {index} has no member_id")
        if not key_id:
            raise fail(Reason.REASON_MISSING_FIELD, f"recipient {index} ({show(member_id)}) has no key_id")
        if member_id in seen:
            raise fail(
                Reason.REASON_DUPLICATE_RECIPIENT,
                f"recipient {show(member_id)} is listed more than once",
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
        raise fail(
            Reason.REASON_CIPHERTEXT_DIGEST_MISMATCH,
            f"ciphertext is {len(ciphertext)} bytes, the header says {header.ciphertext_size}",
        )
    if not hmac.compare_digest(hashlib.sha256(ciphertext).digest(), header.ciphertext_sha256):
        raise fail(Reason.REASON_CIPHERTEXT_DIGEST_MISMATCH, "ciphertext SHA-256 does not match the header")
    if len(ciphertext) < NONCE_SIZE + TAG_SIZE:
        raise fail(
            Reason.REASON_MALFORMED,
            f"ciphertext is {len(ciphertext)} bytes, shorter than nonce and tag ({NONCE_SIZE + TAG_SIZE})",
        )
    try:
        wraps_digest, wraps = digest_wraps(key_wraps)
    except ValueError:
        raise fail(
            Reason.REASON_KEY_WRAPS_DIGEST_MISMATCH, "a key wrap component is too long to be digested"
        ) from None
    if not hmac.compare_digest(wraps_digest, header.key_wraps_sha256):
        raise fail(Reason.REASON_KEY_WRAPS_DIGEST_MISMATCH, "key wraps SHA-256 does not match the header")
    if len(wraps) != len(recipients):
        raise fail(
            Reason.REASON_KEY_WRAP_MISMATCH, f"{len(wraps)} key wraps for {len(recipients)} recipients"
        )
    for index, ((member_id, key_id, size), expected) in enumerate(zip(wraps, recipients, strict=True)):
        if (member_id, key_id) != expected:
            raise fail(
                Reason.REASON_KEY_WRAP_MISMATCH,
                f"key wrap {index} is for {show(member_id)} key {show(key_id)}, "
                f"recipient {index} is {show(expected[0])} key {show(expected[1])}",
            )
        if size != KEY_WRAP_SIZE:
            raise fail(
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
            raise fail(Reason.REASON_MALFORMED, "envelope carries fields format version 1 does not define")
    raw_header = envelope.header
    if not raw_header:
        raise fail(Reason.REASON_MALFORMED, "envelope header is empty")
    header = parse_as(envelope_pb2.EnvelopeHeader, raw_header, "envelope header")
    if header.format_version != FORMAT_VERSION:
        raise fail(
            Reason.REASON_UNSUPPORTED_VERSION,
            f"format_version is {header.format_version}; this verifier reads {FORMAT_VERSION}",
        )
    if header.encryption != SCHEME:
        raise fail(
            Reason.REASON_UNSUPPORTED_VERSION,
            f"encryption scheme {enum_name(envelope_pb2.EncryptionScheme, header.encryption)} "
            "is not supported",
        )

    originator, approver = _split_signatures(signatures)
    public_key = keys.signing_key(originator.signer, originator.key_id)
    if public_key is None:
        raise fail(
            Reason.REASON_UNKNOWN_SIGNING_KEY,
            f"no signing key {show(originator.key_id)} is known for member {show(originator.signer)}",
        )
    _check_header_signature(originator, raw_header, public_key, "originator")

    metadata = parse_as(envelope_pb2.RecordMetadata, header.metadata, "header metadata")
    _check_metadata(metadata, originator)
    _check_body(envelope.ciphertext, wraps, header, _check_recipients(metadata.recipients))

    approved = False
    if approver is not None:
        if approver.signer != originator.signer:
            raise fail(
                Reason.REASON_SIGNATURE_INVALID,
                f"approver signature is by {show(approver.signer)}, "
                f"not by the originating member {show(originator.signer)}",
            )
        approver_key = keys.approver_key(approver.signer, approver.key_id)
        if approver_key is None:
            raise fail(
                Reason.REASON_UNKNOWN_SIGNING_KEY,
                f"no approver key {show(approver.key_id)} is known for member {show(approver.signer)}",
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
