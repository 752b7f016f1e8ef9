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

from hub.core.envelope.canonical import (
    check_signed,
    encryption_context,
    envelope_size,
    header_sha256,
    key_wraps_digest,
    sign_as,
    wrap_info,
)
from hub.core.envelope.model import (
    CONTEXT_LABEL,
    DATA_KEY_SIZE,
    FORMAT_VERSION,
    KEY_WRAP_SIZE,
    MAX_ITEMS_PER_REQUEST,
    NONCE_SIZE,
    SCHEMA_VERSION,
    TAG_SIZE,
    WRAP_LABEL,
    EnvelopeError,
    KeyResolver,
    RecipientKey,
    SignerKey,
    StaticKeyResolver,
    VerifiedEnvelope,
    is_canonical_message_id,
    parse_envelope,
    payload_kind_of,
)
from hub.core.envelope.opening import open_record
from hub.core.envelope.receipts import sign_delivery_receipt, verify_delivery_receipt
from hub.core.envelope.sealing import KeyWrapper, RandomBytes, add_approval, hpke_wrap, seal
from hub.core.envelope.verifying import verify

__all__ = [
    "CONTEXT_LABEL",
    "DATA_KEY_SIZE",
    "FORMAT_VERSION",
    "KEY_WRAP_SIZE",
    "MAX_ITEMS_PER_REQUEST",
    "NONCE_SIZE",
    "SCHEMA_VERSION",
    "TAG_SIZE",
    "WRAP_LABEL",
    "EnvelopeError",
    "KeyResolver",
    "KeyWrapper",
    "RandomBytes",
    "RecipientKey",
    "SignerKey",
    "StaticKeyResolver",
    "VerifiedEnvelope",
    "add_approval",
    "check_signed",
    "encryption_context",
    "envelope_size",
    "header_sha256",
    "hpke_wrap",
    "is_canonical_message_id",
    "key_wraps_digest",
    "open_record",
    "parse_envelope",
    "payload_kind_of",
    "seal",
    "sign_as",
    "sign_delivery_receipt",
    "verify",
    "verify_delivery_receipt",
    "wrap_info",
]
