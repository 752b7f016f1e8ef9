"""Format version 1 of the envelope: its constants, key types, errors and parsing.

The construction is fixed by the top comment of ``proto/pxhub/v1/envelope.proto`` and spelled
out for other languages in ``docs/envelope.md``; the package docstring summarises it. Every
refusal is an :class:`EnvelopeError` carrying one precise ``pxhub.v1.Reason``.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from google.protobuf.message import Message

from pxhub.v1 import envelope_pb2, record_pb2

if TYPE_CHECKING:
    from google.protobuf.internal.enum_type_wrapper import _EnumTypeWrapper

Reason = envelope_pb2.Reason

#: The only ``EnvelopeHeader.format_version`` this module reads or writes.
FORMAT_VERSION: Final = 1
#: Envelopes in one SubmitRequest message, acknowledgements in one AcknowledgeRequest, attestations
#: in one AttestDeletionRequest: a larger request is refused whole (REASON_TOO_LARGE), so that one
#: call's checks stay short beside other members' (the SDK splits for its callers).
MAX_ITEMS_PER_REQUEST: Final = 2_048
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

SCHEME: Final = envelope_pb2.ENCRYPTION_SCHEME_AES256GCM_HPKE_X25519
ED25519: Final = envelope_pb2.SIGNATURE_ALGORITHM_ED25519
ORIGINATOR: Final = envelope_pb2.SIGNER_ROLE_ORIGINATOR
APPROVER: Final = envelope_pb2.SIGNER_ROLE_APPROVER
HPKE_SUITE: Final = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
U16 = struct.Struct(">H").pack
UUID_FORM = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

#: Record oneof field name -> PayloadKind.
KIND_BY_FIELD: Final[Mapping[str, envelope_pb2.PayloadKind.ValueType]] = {
    "inmate_security_profile": envelope_pb2.PAYLOAD_KIND_INMATE_SECURITY_PROFILE,
    "integrity_audit": envelope_pb2.PAYLOAD_KIND_INTEGRITY_AUDIT,
    "ethics_training": envelope_pb2.PAYLOAD_KIND_ETHICS_TRAINING,
    "best_practice": envelope_pb2.PAYLOAD_KIND_BEST_PRACTICE,
    "file_request": envelope_pb2.PAYLOAD_KIND_FILE_REQUEST,
    "request_refusal": envelope_pb2.PAYLOAD_KIND_REQUEST_REFUSAL,
}


class EnvelopeError(Exception):
    """A refusal with a machine-readable reason and a specific human detail.

    ``detail`` names fields, member ids, key ids and sizes, never key material
    or plaintext, so it can go into receipts and the audit log as it is.
    """

    def __init__(self, reason: envelope_pb2.Reason.ValueType, detail: str) -> None:
        super().__init__(f"{enum_name(envelope_pb2.Reason, reason)}: {detail}")
        self.reason = reason
        self.detail = detail

    @property
    def reason_name(self) -> str:
        """The reason without its ``REASON_`` prefix, as google.rpc.ErrorInfo carries it."""
        return enum_name(envelope_pb2.Reason, self.reason).removeprefix("REASON_")

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


def enum_name(enum: _EnumTypeWrapper[Any], value: int) -> str:
    """Enum value name, or the bare number for values this contract does not define."""
    try:
        return enum.Name(value)
    except ValueError:
        return str(value)


def show(text: str, limit: int = 64) -> str:
    """Quote an untrusted identifier for a detail message, bounded in length."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def fail(reason: envelope_pb2.Reason.ValueType, detail: str) -> EnvelopeError:
    return EnvelopeError(reason, detail)


def is_canonical_message_id(message_id: str) -> bool:
    """True for a UUID in canonical lowercase 8-4-4-4-12 form, the only form ids take."""
    return UUID_FORM.fullmatch(message_id) is not None


def payload_kind_of(record: record_pb2.Record) -> envelope_pb2.PayloadKind.ValueType:
    """The PayloadKind of the record's set oneof member (UNSPECIFIED when none is set)."""
    name = record.WhichOneof("kind")
    if name is None:
        return envelope_pb2.PAYLOAD_KIND_UNSPECIFIED
    return KIND_BY_FIELD[name]


M = TypeVar("M", bound=Message)


def parse_as(cls: type[M], data: bytes, what: str) -> M:
    """Parse untrusted bytes; any failure at all becomes MALFORMED."""
    try:
        return cls.FromString(data)
    except Exception as exc:  # the parser's failure modes are not a stable API
        raise fail(Reason.REASON_MALFORMED, f"{what} does not parse as {cls.DESCRIPTOR.full_name}") from exc


def parse_envelope(data: bytes) -> envelope_pb2.Envelope:
    """Parse serialised ``Envelope`` bytes, raising only EnvelopeError(MALFORMED)."""
    return parse_as(envelope_pb2.Envelope, data, "envelope")
