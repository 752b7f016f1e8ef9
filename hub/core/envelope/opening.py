"""Opening: decrypt a verified envelope as one of its recipients and check the record against its header."""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.core.envelope.canonical import encryption_context, wrap_info
from hub.core.envelope.model import (
    DATA_KEY_SIZE,
    HPKE_SUITE,
    NONCE_SIZE,
    TAG_SIZE,
    Reason,
    VerifiedEnvelope,
    enum_name,
    fail,
    parse_as,
    payload_kind_of,
    show,
)
from hub.core.layers import layers_present
from pxhub.v1 import envelope_pb2, options_pb2, record_pb2


def _layer_names(layers: Iterable[int]) -> str:
    return ", ".join(enum_name(options_pb2.Sensitivity, layer) for layer in sorted(layers))


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
            raise fail(
                Reason.REASON_NOT_A_RECIPIENT,
                f"{show(member_id)} is a recipient under key {show(other_keys[0])}, not {show(key_id)}",
            )
        raise fail(Reason.REASON_NOT_A_RECIPIENT, f"{show(member_id)} is not a recipient of this envelope")

    metadata = verified.metadata
    context = encryption_context(verified.header.metadata)
    try:
        data_key = HPKE_SUITE.decrypt(wrap.enc, private_key, info=wrap_info(context, key_id))
    except (InvalidTag, ValueError):
        raise fail(
            Reason.REASON_KEY_WRAP_MISMATCH,
            f"cannot unwrap data key for {show(member_id)} key {show(key_id)}",
        ) from None
    if len(data_key) != DATA_KEY_SIZE:
        raise fail(Reason.REASON_KEY_WRAP_MISMATCH, f"unwrapped data key is {len(data_key)} bytes")

    ciphertext = memoryview(envelope.ciphertext)
    if len(ciphertext) < NONCE_SIZE + TAG_SIZE:
        raise fail(Reason.REASON_MALFORMED, "ciphertext is shorter than nonce and tag")
    try:
        plaintext = AESGCM(data_key).decrypt(ciphertext[:NONCE_SIZE], ciphertext[NONCE_SIZE:], context)
    except InvalidTag:
        raise fail(Reason.REASON_MALFORMED, "ciphertext does not authenticate") from None

    record = parse_as(record_pb2.Record, plaintext, "decrypted payload")
    kind = payload_kind_of(record)
    if kind != metadata.payload_kind:
        raise fail(
            Reason.REASON_PAYLOAD_MISMATCH,
            f"record is {enum_name(envelope_pb2.PayloadKind, kind)}, header declares "
            f"{enum_name(envelope_pb2.PayloadKind, metadata.payload_kind)}",
        )
    undeclared = layers_present(record).difference(metadata.layers)
    if undeclared:
        raise fail(
            Reason.REASON_PAYLOAD_MISMATCH,
            f"record holds layers the header does not declare: {_layer_names(undeclared)}",
        )
    return record


# --------------------------------------------------------------------------- delivery receipts
