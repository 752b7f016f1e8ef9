"""The exact bytes pxhub hashes and signs: encryption context, wrap info, digests, signatures.

Signatures cover bytes, not re-encodings (protobuf serialisation is not canonical): every signed
object of the contract travels as the bytes that were signed, and this module is the one place
that says how those bytes are hashed and signed.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.core import signing
from hub.core.envelope.model import (
    CONTEXT_LABEL,
    ED25519,
    ORIGINATOR,
    U16,
    WRAP_LABEL,
    SignerKey,
    enum_name,
    fail,
    show,
)
from pxhub.v1 import envelope_pb2


def encryption_context(metadata: bytes) -> bytes:
    """SHA-256(``"pxhub/v1/context" || 0x00 || metadata``): the AES-GCM AAD."""
    return hashlib.sha256(CONTEXT_LABEL + metadata).digest()


def wrap_info(context: bytes, key_id: str) -> bytes:
    """HPKE ``info`` binding a wrap to one envelope's context and one recipient key."""
    return WRAP_LABEL + context + key_id.encode("utf-8")


def digest_wraps(wraps: Iterable[envelope_pb2.KeyWrap]) -> tuple[bytes, list[tuple[str, str, int]]]:
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
            parts.append(U16(len(r)) + r + U16(len(k)) + k + U16(len(enc)) + enc)
            seen.append((recipient, key_id, len(enc)))
    except struct.error:
        raise ValueError("key wrap component longer than 65535 bytes") from None
    return hashlib.sha256(b"".join(parts)).digest(), seen


def key_wraps_digest(wraps: Iterable[envelope_pb2.KeyWrap]) -> bytes:
    """SHA-256 over each wrap's u16be-length-prefixed recipient, key id and enc, in order.

    Raises ValueError when a component is longer than 65,535 bytes, which the
    encoding cannot express (verification maps this to a digest mismatch).
    """
    return digest_wraps(wraps)[0]


def header_sha256(envelope: envelope_pb2.Envelope) -> bytes:
    """SHA-256 of the exact header bytes: the envelope's identity in receipts and logs."""
    return hashlib.sha256(envelope.header).digest()


def envelope_size(envelope: envelope_pb2.Envelope) -> int:
    """Serialised size in bytes, for size limits and accounting."""
    return envelope.ByteSize()


def sign_as(
    domain: str, data: bytes, signer: SignerKey, role: envelope_pb2.SignerRole.ValueType = ORIGINATOR
) -> envelope_pb2.Signature:
    """``signer``'s Ed25519 signature of ``data`` under ``domain``, as the contract's ``Signature``.

    Every signed object of the contract (headers, receipts, policies, consents, directory
    changes) carries its signature in this one shape.
    """
    return envelope_pb2.Signature(
        signer=signer.member_id,
        key_id=signer.key_id,
        algorithm=ED25519,
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
    if signature.algorithm != ED25519:
        raise fail(
            invalid,
            f"{what} signature algorithm is "
            f"{enum_name(envelope_pb2.SignatureAlgorithm, signature.algorithm)}, "
            "expected SIGNATURE_ALGORITHM_ED25519",
        )
    if not signing.verify(domain, data, signature.value, public_key):
        raise fail(
            invalid,
            f"{what} signature of {show(signature.signer)} key {show(signature.key_id)} does not verify",
        )
