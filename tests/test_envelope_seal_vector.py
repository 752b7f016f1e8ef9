"""Sealing-side vectors: an envelope a foreign sender can reproduce byte for byte, the layers rule, and
envelopes with unknown fields that every verifier must refuse.

``tests/vectors/envelope_seal_v1.json`` fixes everything a seal draws at random: the data key, the
nonce and, per recipient, HPKE's ephemeral X25519 key. The production wrap (``cryptography``'s
HPKE) cannot take an ephemeral key, so the vector is sealed through ``seal(..., wrap_key=...)``
with :func:`hpke_seal_base` below, a plain RFC 9180 base-mode SealBase that also records every
HKDF output; the tests check that ``cryptography`` opens what it wraps, so it is the same HPKE.

``tests/vectors/layers_v1.json`` lists, for one record, every set field with the tier it
carries (own option or inherited) and the resulting ``layers``.

Run ``python -m tests.test_envelope_seal_vector --write-vectors`` to regenerate both files (the
output is deterministic: the same bytes every time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.core import envelope as E
from hub.core.envelope.model import HPKE_SUITE
from hub.core.layers import layers_present
from hub.identity.manifest import KeyUse, key_id
from pxhub.v1 import envelope_pb2, options_pb2, record_pb2
from tests.test_envelope import Recipient, base_metadata, recipient_keys, vector_record

VECTORS = Path(__file__).parent / "vectors"
SEAL_VECTOR_PATH = VECTORS / "envelope_seal_v1.json"
LAYERS_VECTOR_PATH = VECTORS / "layers_v1.json"

# ============================================================================ RFC 9180, base mode

KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0x0002  # DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM
KEM_SUITE_ID = b"KEM" + struct.pack(">H", KEM_ID)
HPKE_SUITE_ID = b"HPKE" + struct.pack(">HHH", KEM_ID, KDF_ID, AEAD_ID)
MODE_BASE = b"\x00"


def _extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()  # HKDF-Extract (RFC 5869)


def _expand(prk: bytes, info: bytes, length: int) -> bytes:
    out, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
    return out[:length]


def _labeled_extract(suite_id: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return _extract(salt, b"HPKE-v1" + suite_id + label + ikm)


def _labeled_expand(suite_id: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return _expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite_id + label + info, length)


def _raw(key: X25519PublicKey | Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _raw_private(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def hpke_seal_base(
    ephemeral: X25519PrivateKey, recipient: X25519PublicKey, info: bytes, plaintext: bytes
) -> tuple[bytes, dict[str, str]]:
    """RFC 9180 SealBase with a given ephemeral key and empty aad: ``enc || ct`` and every step (hex)."""
    enc = _raw(ephemeral.public_key())
    dh = ephemeral.exchange(recipient)
    kem_context = enc + _raw(recipient)
    eae_prk = _labeled_extract(KEM_SUITE_ID, b"", b"eae_prk", dh)
    shared_secret = _labeled_expand(KEM_SUITE_ID, eae_prk, b"shared_secret", kem_context, 32)
    psk_id_hash = _labeled_extract(HPKE_SUITE_ID, b"", b"psk_id_hash", b"")
    info_hash = _labeled_extract(HPKE_SUITE_ID, b"", b"info_hash", info)
    key_schedule_context = MODE_BASE + psk_id_hash + info_hash
    secret = _labeled_extract(HPKE_SUITE_ID, shared_secret, b"secret", b"")
    key = _labeled_expand(HPKE_SUITE_ID, secret, b"key", key_schedule_context, 32)
    base_nonce = _labeled_expand(HPKE_SUITE_ID, secret, b"base_nonce", key_schedule_context, 12)
    ct = AESGCM(key).encrypt(base_nonce, plaintext, b"")  # sequence number 0: nonce = base_nonce
    steps = {
        "ephemeral_public_hex": enc,
        "dh_hex": dh,
        "kem_context_hex": kem_context,
        "eae_prk_hex": eae_prk,
        "shared_secret_hex": shared_secret,
        "psk_id_hash_hex": psk_id_hash,
        "info_hash_hex": info_hash,
        "key_schedule_context_hex": key_schedule_context,
        "secret_hex": secret,
        "key_hex": key,
        "base_nonce_hex": base_nonce,
        "sealed_data_key_hex": ct,
    }
    return enc + ct, {name: value.hex() for name, value in steps.items()}


def test_reference_hpke_is_the_hpke_the_hub_opens() -> None:
    recipient = X25519PrivateKey.from_private_bytes(_seeded("PE-INPE"))
    for label in ("a", "b", "c"):
        info = b"pxhub/v1/wrap\x00" + label.encode()
        data_key = _seeded("data key " + label)
        enc, _ = hpke_seal_base(
            X25519PrivateKey.from_private_bytes(_seeded(label)), recipient.public_key(), info, data_key
        )
        assert len(enc) == E.KEY_WRAP_SIZE
        assert HPKE_SUITE.decrypt(enc, recipient, info=info) == data_key


# ============================================================================ the sealing vector


def _seeded(label: str) -> bytes:
    """Test-only bytes: SHA-256("pxhub test vector v1 (NOT A REAL KEY): " || label)."""
    return hashlib.sha256(b"pxhub test vector v1 (NOT A REAL KEY): " + label.encode()).digest()


@dataclass
class _FixedRandom:
    """The seal's random_bytes: the data key, then the nonce, then nothing more."""

    draws: list[bytes]

    def __call__(self, n: int) -> bytes:
        value = self.draws.pop(0)
        assert len(value) == n, f"seal asked for {n} bytes, the vector fixes {len(value)}"
        return value


@dataclass
class _FixedEphemeral:
    """A KeyWrapper that uses one fixed ephemeral key per recipient key and records the steps."""

    ephemeral: dict[bytes, X25519PrivateKey]  # raw recipient public key -> ephemeral private key
    steps: list[dict[str, str]]

    def __call__(self, data_key: bytes, public_key: X25519PublicKey, info: bytes) -> bytes:
        enc, steps = hpke_seal_base(self.ephemeral[_raw(public_key)], public_key, info, data_key)
        self.steps.append(steps)
        return enc


def _signer(label: str, key_id: str) -> E.SignerKey:
    return E.SignerKey("CO-INPEC", key_id, Ed25519PrivateKey.from_private_bytes(_seeded(label)))


def _recipient(member_id: str) -> Recipient:
    private = X25519PrivateKey.from_private_bytes(_seeded(member_id))
    return Recipient(member_id, key_id(member_id, "encryption", _raw(private.public_key())), private)


def _key_id_of(label: str, use: KeyUse) -> str:
    return key_id("CO-INPEC", use, _raw(Ed25519PrivateKey.from_private_bytes(_seeded(label)).public_key()))


# Key ids as the directory derives them: "<member>/<use>/<16 hex of SHA-256(raw public key)>".
VECTOR_RECIPIENTS = (_recipient("PE-INPE"), _recipient("MX-OADPRS"))
ORIGINATOR_KEY_ID = _key_id_of("originator", "signing")
APPROVER_KEY_ID = _key_id_of("approver", "approver")
DATA_KEY = _seeded("data key")
NONCE = _seeded("nonce")[:12]


def _ephemeral(recipient: Recipient) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(_seeded("ephemeral " + recipient.member_id))


def _vector_metadata() -> envelope_pb2.RecordMetadata:
    metadata = base_metadata(
        message_id="6b1f0c2a-8e4d-4a7b-9c3e-2d5f7a9b1c0e",
        legal_instruments=["UNTOC art. 27"],
        subject_pseudonym="psn:CO:00112233445566778899aabbccddeeff",
        handling=envelope_pb2.HandlingInstructions(
            classification=envelope_pb2.CLASSIFICATION_RESTRICTED,
            handling_codes=[envelope_pb2.HANDLING_CODE_H0],
        ),
        language="es",
        record_version=1,
    )
    metadata.created_at.FromDatetime(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    return metadata


def _digest_input(wraps: list[envelope_pb2.KeyWrap]) -> bytes:
    parts = b""
    for wrap in wraps:
        for part in (wrap.recipient.encode(), wrap.key_id.encode(), wrap.enc):
            parts += struct.pack(">H", len(part)) + part
    return parts


def seal_vector_envelope() -> tuple[envelope_pb2.Envelope, list[dict[str, str]]]:
    """Seal the vector record with every random input fixed; returns the envelope and HPKE steps."""
    wrapper = _FixedEphemeral(
        {_raw(r.private_key.public_key()): _ephemeral(r) for r in VECTOR_RECIPIENTS}, []
    )
    envelope = E.seal(
        vector_record(),
        _vector_metadata(),
        _signer("originator", ORIGINATOR_KEY_ID),
        recipient_keys(VECTOR_RECIPIENTS),
        approver=_signer("approver", APPROVER_KEY_ID),
        now=datetime(2025, 6, 1, 12, 0, tzinfo=UTC),
        random_bytes=_FixedRandom([DATA_KEY, NONCE]),
        wrap_key=wrapper,
    )
    return envelope, wrapper.steps


def _resolver() -> E.StaticKeyResolver:
    originator, approver = _signer("originator", ORIGINATOR_KEY_ID), _signer("approver", APPROVER_KEY_ID)
    return E.StaticKeyResolver(
        {(originator.member_id, originator.key_id): originator.private_key.public_key()},
        {(approver.member_id, approver.key_id): approver.private_key.public_key()},
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _key_entry(member_id: str, key_id: str, private: Ed25519PrivateKey | X25519PrivateKey) -> dict[str, str]:
    kind = "ed25519" if isinstance(private, Ed25519PrivateKey) else "x25519"
    return {
        "member_id": member_id,
        "key_id": key_id,
        f"{kind}_private_hex": _raw_private(private).hex(),
        f"{kind}_public_hex": _raw(private.public_key()).hex(),
    }


def build_seal_vector() -> dict[str, Any]:
    envelope, hpke_steps = seal_vector_envelope()
    header = envelope_pb2.EnvelopeHeader.FromString(envelope.header)
    metadata = header.metadata
    context = E.encryption_context(metadata)
    record = vector_record()
    signatures = {s.role: s for s in envelope.signatures}
    signing_input = b"pxhub/v1/header\x00" + envelope.header
    wraps = list(envelope.key_wraps)
    originator, approver = _signer("originator", ORIGINATOR_KEY_ID), _signer("approver", APPROVER_KEY_ID)
    return {
        "description": (
            "pxhub envelope format version 1, SEALING-side test vector: every random input is fixed, so "
            "a sender that seals the same inputs must produce exactly envelope_b64. ALL PRIVATE KEYS "
            "BELOW, EPHEMERAL ONES INCLUDED, ARE TEST-ONLY, PUBLISHED ON PURPOSE AND MUST NEVER BE USED "
            "FOR REAL DATA; a real sender draws the data key, the nonce and every HPKE ephemeral key "
            "afresh for each envelope. The record is synthetic. See docs/envelope.md."
        ),
        "key_derivation": (
            'every fixed byte string is SHA-256("pxhub test vector v1 (NOT A REAL KEY): " + label): '
            "labels originator, approver, PE-INPE, MX-OADPRS (long-term keys), 'ephemeral PE-INPE', "
            "'ephemeral MX-OADPRS' (HPKE ephemeral keys), 'data key' (all 32 bytes) and 'nonce' "
            "(first 12 bytes)"
        ),
        "inputs": {
            "originator": _key_entry(originator.member_id, originator.key_id, originator.private_key),
            "approver": _key_entry(approver.member_id, approver.key_id, approver.private_key),
            "recipients": [
                {
                    **_key_entry(r.member_id, r.key_id, r.private_key),
                    "ephemeral_x25519_private_hex": _raw_private(_ephemeral(r)).hex(),
                    "ephemeral_x25519_public_hex": _raw(_ephemeral(r).public_key()).hex(),
                }
                for r in VECTOR_RECIPIENTS
            ],
            "data_key_hex": DATA_KEY.hex(),
            "nonce_hex": NONCE.hex(),
            "record_json": json_format.MessageToDict(record),
            "record_b64": _b64(record.SerializeToString()),
            "metadata_json": json_format.MessageToDict(envelope_pb2.RecordMetadata.FromString(metadata)),
        },
        "steps": {
            "1_metadata_b64": _b64(metadata),
            "3_context_hex": context.hex(),
            "5_aes_gcm": {
                "key_hex": DATA_KEY.hex(),
                "nonce_hex": NONCE.hex(),
                "aad_hex": context.hex(),
                "plaintext_b64": _b64(record.SerializeToString()),
                "ciphertext_and_tag_hex": envelope.ciphertext[12:].hex(),
                "ciphertext_b64": _b64(envelope.ciphertext),
            },
            "6_key_wraps": [
                {
                    "recipient": wrap.recipient,
                    "key_id": wrap.key_id,
                    "info_hex": E.wrap_info(context, wrap.key_id).hex(),
                    "hpke": steps,
                    "enc_hex": wrap.enc.hex(),
                }
                for wrap, steps in zip(wraps, hpke_steps, strict=True)
            ],
            "7_key_wraps_digest_input_hex": _digest_input(wraps).hex(),
            "7_key_wraps_sha256_hex": header.key_wraps_sha256.hex(),
            "8_ciphertext_sha256_hex": header.ciphertext_sha256.hex(),
            "8_ciphertext_size": header.ciphertext_size,
            "8_header_b64": _b64(envelope.header),
            "8_header_sha256_hex": hashlib.sha256(envelope.header).hexdigest(),
            "9_signing_input_hex": signing_input.hex(),
            "9_originator_signature_hex": signatures[envelope_pb2.SIGNER_ROLE_ORIGINATOR].value.hex(),
            "10_approver_signature_hex": signatures[envelope_pb2.SIGNER_ROLE_APPROVER].value.hex(),
        },
        "envelope_b64": _b64(envelope.SerializeToString()),
        "refused": [
            {
                "name": name,
                "why": why,
                "envelope_b64": _b64(data),
                "unknown_field": {"in": where, "field_number": number, "wire_type": wire_type},
                "expected_reason": "MALFORMED",
            }
            for name, why, data, (where, number, wire_type) in _refused_variants(envelope.SerializeToString())
        ],
    }


# ============================================================================ unknown fields


# The fields format version 1 defines, with their wire types (0 varint, 2 length-delimited), and
# which of them hold a sub-message that is scanned too. Header and metadata are covered by the
# signature and are not scanned.
ENVELOPE_FIELDS = {1: 2, 2: 2, 3: 2, 4: 2}
KEY_WRAP_FIELDS = {1: 2, 2: 2, 3: 2}
SIGNATURE_FIELDS = {1: 2, 2: 2, 3: 0, 4: 0, 5: 2}
NESTED = {3: KEY_WRAP_FIELDS, 4: SIGNATURE_FIELDS}


class WireError(ValueError):
    """The bytes are not a valid protobuf encoding."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise WireError("truncated or overlong varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def _fields(data: bytes) -> Iterator[tuple[int, int, int, bytes]]:
    """(offset of the tag, field number, wire type, value bytes) for each field, in order."""
    at = 0
    while at < len(data):
        start = at
        tag, at = _varint(data, at)
        number, wire_type = tag >> 3, tag & 7
        if number == 0:
            raise WireError("field number 0")
        if wire_type == 0:
            _, end = _varint(data, at)
        elif wire_type == 1:
            end = at + 8
        elif wire_type == 2:
            length, at = _varint(data, at)
            end = at + length
        elif wire_type == 5:
            end = at + 4
        else:  # 3 and 4 (groups), 6 and 7: never valid in a version 1 envelope
            yield start, number, wire_type, b""
            return
        if end > len(data):
            raise WireError("field runs past the end")
        yield start, number, wire_type, data[at:end]
        at = end


def unknown_field(data: bytes) -> tuple[str, int, int] | None:
    """The first field version 1 does not define, as (message, number, wire type); None if none.

    This is the raw scan a verifier needs when its protobuf library drops unknown fields: walk the
    Envelope's tags, and those of each KeyWrap (field 3) and Signature (field 4) inside it; a field
    number the message does not define, or a defined number with another wire type, is unknown.
    """
    for _, number, wire_type, value in _fields(data):
        if ENVELOPE_FIELDS.get(number) != wire_type:
            return ("Envelope", number, wire_type)
        inner = NESTED.get(number)
        if inner is not None:
            name = "KeyWrap" if number == 3 else "Signature"
            for _, sub_number, sub_type, _ in _fields(value):
                if inner.get(sub_number) != sub_type:
                    return (name, sub_number, sub_type)
    return None


def _refused_variants(valid: bytes) -> list[tuple[str, str, bytes, tuple[str, int, int]]]:
    """Envelopes a verifier must refuse although a library that drops unknown fields parses them."""
    fields = list(_fields(valid))
    last_signature = max(start for start, number, _, _ in fields if number == 4)
    assert valid[last_signature] == 0x22  # field 4, length-delimited: the approver's signature
    # One altered tag byte: field 4 becomes field 5, which version 1 does not define.
    renumbered = valid[:last_signature] + b"\x2a" + valid[last_signature + 1 :]
    # An extra varint field 15 (tag 0x78) appended to the first key wrap.
    first_wrap = next((start, value) for start, number, _, value in fields if number == 3)
    wrap_start, wrap_value = first_wrap
    _, after_tag = _varint(valid, wrap_start)
    length, value_at = _varint(valid, after_tag)
    assert valid[value_at : value_at + length] == wrap_value
    grown = wrap_value + b"\x78\x01"
    extended = valid[:wrap_start] + b"\x1a" + _encode_varint(len(grown)) + grown + valid[value_at + length :]
    return [
        (
            "approver_signature_renumbered",
            "the approver signature's tag byte 0x22 (field 4) altered to 0x2a (field 5): a library that "
            "drops unknown fields sees a valid envelope without approval",
            renumbered,
            ("Envelope", 5, 2),
        ),
        (
            "key_wrap_extra_field",
            "an extra varint field 15 (bytes 78 01) appended inside the first KeyWrap",
            extended,
            ("KeyWrap", 15, 0),
        ),
    ]


def _encode_varint(value: int) -> bytes:
    out = b""
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


# ============================================================================ the layers vector


def _tier_name(tier: int) -> str:
    return options_pb2.Sensitivity.Name(tier)  # type: ignore[arg-type]


def _set_fields(message: Message, path: str, inherited: int) -> Iterator[dict[str, Any]]:
    """Every set field below ``message``: its path, own option, the tier it counts with, its layer."""
    for field, value in message.ListFields():
        own = int(field.GetOptions().Extensions[options_pb2.sensitivity])
        tier = own or inherited
        name = f"{path}.{field.name}" if path else field.name
        yield {
            "path": name,
            "own_option": _tier_name(own) if own else None,
            "counts_as": _tier_name(tier) if tier else None,
        }
        if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
            children = value if field.is_repeated else [value]
            for index, child in enumerate(children):
                yield from _set_fields(child, f"{name}[{index}]" if field.is_repeated else name, tier)


def layers_record() -> record_pb2.Record:
    """The vector record plus fields that show inheritance, NONE, an empty sub-message and pull-only."""
    record = vector_record()
    profile = record.inmate_security_profile
    profile.custody.admitted_on.year = 2019  # PartialDate inherits JUDICIAL here ...
    profile.identity.physical.SetInParent()  # an empty sub-message still counts (it is on the wire)
    profile.contacts.add(relationship="TEST-RELATIONSHIP")  # THIRD_PARTY, pull-only
    profile.as_of.FromDatetime(datetime(2025, 6, 1, tzinfo=UTC))  # NONE is a layer like the others
    return record


def build_layers_vector() -> dict[str, Any]:
    record = layers_record()
    fields = list(_set_fields(record, "", 0))
    layers = sorted(layers_present(record))
    return {
        "description": (
            "pxhub sensitivity layers, version 1: for one synthetic record, every field that is set, the "
            "(pxhub.v1.sensitivity) option it carries itself (null: none), the tier it counts with (its "
            "own, else that of the field enclosing it; null: it adds nothing), and the resulting "
            "RecordMetadata.layers, sorted ascending. See docs/envelope.md, 'Sensitivity layers'."
        ),
        "record_json": json_format.MessageToDict(record),
        "record_b64": _b64(record.SerializeToString()),
        "set_fields": fields,
        "layers": [_tier_name(t) for t in layers],
        "layers_numbers": layers,
    }


# ============================================================================ tests


def _render(vector: dict[str, Any]) -> str:
    return json.dumps(vector, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(
    ("path", "build"), [(SEAL_VECTOR_PATH, build_seal_vector), (LAYERS_VECTOR_PATH, build_layers_vector)]
)
def test_committed_vector_is_regenerated_byte_for_byte(path: Path, build: Any) -> None:
    assert path.read_text(encoding="utf-8") == _render(build()), (
        f"{path.name} differs: run `python -m tests.test_envelope_seal_vector --write-vectors`"
    )


def test_seal_vector_by_hand() -> None:
    """Recompute the envelope from the inputs with bare primitives, as a foreign sender would."""
    vector = json.loads(SEAL_VECTOR_PATH.read_text(encoding="utf-8"))
    inputs, steps = vector["inputs"], vector["steps"]
    metadata = base64.b64decode(steps["1_metadata_b64"])
    assert json_format.ParseDict(
        inputs["metadata_json"], envelope_pb2.RecordMetadata()
    ).SerializeToString() == (metadata), (
        "serialising metadata_json in field-number order gives exactly the metadata bytes"
    )
    context = hashlib.sha256(b"pxhub/v1/context\x00" + metadata).digest()
    assert context.hex() == steps["3_context_hex"]
    plaintext = base64.b64decode(inputs["record_b64"])
    key, nonce = bytes.fromhex(inputs["data_key_hex"]), bytes.fromhex(inputs["nonce_hex"])
    ciphertext = nonce + AESGCM(key).encrypt(nonce, plaintext, context)
    assert ciphertext == base64.b64decode(steps["5_aes_gcm"]["ciphertext_b64"])
    wraps = []
    for entry, expected in zip(inputs["recipients"], steps["6_key_wraps"], strict=True):
        info = b"pxhub/v1/wrap\x00" + context + entry["key_id"].encode()
        assert info.hex() == expected["info_hex"]
        enc, hpke_steps = hpke_seal_base(
            X25519PrivateKey.from_private_bytes(bytes.fromhex(entry["ephemeral_x25519_private_hex"])),
            X25519PublicKey.from_public_bytes(bytes.fromhex(entry["x25519_public_hex"])),
            info,
            key,
        )
        assert hpke_steps == expected["hpke"]
        assert enc.hex() == expected["enc_hex"]
        wraps.append(envelope_pb2.KeyWrap(recipient=entry["member_id"], key_id=entry["key_id"], enc=enc))
    digest_input = _digest_input(wraps)
    assert digest_input.hex() == steps["7_key_wraps_digest_input_hex"]
    header = envelope_pb2.EnvelopeHeader(
        format_version=1,
        metadata=metadata,
        ciphertext_sha256=hashlib.sha256(ciphertext).digest(),
        key_wraps_sha256=hashlib.sha256(digest_input).digest(),
        ciphertext_size=len(ciphertext),
        encryption=envelope_pb2.ENCRYPTION_SCHEME_AES256GCM_HPKE_X25519,
    ).SerializeToString()
    assert header == base64.b64decode(steps["8_header_b64"])
    signing_input = b"pxhub/v1/header\x00" + header
    assert signing_input.hex() == steps["9_signing_input_hex"]
    signatures = []
    for who, role, step in (
        ("originator", envelope_pb2.SIGNER_ROLE_ORIGINATOR, "9_originator_signature_hex"),
        ("approver", envelope_pb2.SIGNER_ROLE_APPROVER, "10_approver_signature_hex"),
    ):
        private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(inputs[who]["ed25519_private_hex"]))
        value = private.sign(signing_input)  # Ed25519 is deterministic
        assert value.hex() == steps[step]
        signatures.append(
            envelope_pb2.Signature(
                signer=inputs[who]["member_id"],
                key_id=inputs[who]["key_id"],
                algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ED25519,
                role=role,
                value=value,
            )
        )
    envelope = envelope_pb2.Envelope(
        header=header, ciphertext=ciphertext, key_wraps=wraps, signatures=signatures
    )
    assert envelope.SerializeToString() == base64.b64decode(vector["envelope_b64"])


def test_seal_vector_verifies_approved_and_opens_for_each_recipient() -> None:
    vector = json.loads(SEAL_VECTOR_PATH.read_text(encoding="utf-8"))
    verified = E.verify(E.parse_envelope(base64.b64decode(vector["envelope_b64"])), _resolver())
    assert verified.approved
    for entry in vector["inputs"]["recipients"]:
        private = X25519PrivateKey.from_private_bytes(bytes.fromhex(entry["x25519_private_hex"]))
        opened = E.open_record(verified, entry["member_id"], entry["key_id"], private)
        assert opened.SerializeToString() == base64.b64decode(vector["inputs"]["record_b64"])


def test_refused_variants_parse_but_do_not_verify() -> None:
    vector = json.loads(SEAL_VECTOR_PATH.read_text(encoding="utf-8"))
    assert unknown_field(base64.b64decode(vector["envelope_b64"])) is None
    for case in vector["refused"]:
        data = base64.b64decode(case["envelope_b64"])
        expected = case["unknown_field"]
        assert unknown_field(data) == (expected["in"], expected["field_number"], expected["wire_type"])
        envelope = E.parse_envelope(data)  # parses: the unknown field is kept aside, not an error
        with pytest.raises(E.EnvelopeError) as refused:
            E.verify(envelope, _resolver())
        assert envelope_pb2.Reason.Name(refused.value.reason) == "REASON_" + case["expected_reason"]


def test_renumbered_approval_is_what_a_dropping_library_would_accept() -> None:
    """Why the scan is needed: without the unknown field, the envelope verifies (as unapproved)."""
    vector = json.loads(SEAL_VECTOR_PATH.read_text(encoding="utf-8"))
    case = next(c for c in vector["refused"] if c["name"] == "approver_signature_renumbered")
    envelope = E.parse_envelope(base64.b64decode(case["envelope_b64"]))
    envelope.DiscardUnknownFields()  # what protobuf.js and similar libraries do while decoding
    assert not E.verify(envelope, _resolver()).approved


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_wire_scan_agrees_with_the_verifier(data: st.DataObject) -> None:
    """Any one-byte change the scan calls an unknown field is refused by verify as MALFORMED."""
    vector = json.loads(SEAL_VECTOR_PATH.read_text(encoding="utf-8"))
    valid = base64.b64decode(vector["envelope_b64"])
    at = data.draw(st.integers(0, len(valid) - 1))
    altered = valid[:at] + bytes([data.draw(st.integers(0, 255))]) + valid[at + 1 :]
    try:
        found = unknown_field(altered)
    except WireError:
        return  # not protobuf at all; parse_envelope refuses it as MALFORMED too
    if found is None:
        return
    try:
        envelope = E.parse_envelope(altered)
    except E.EnvelopeError as refused:
        assert refused.reason == envelope_pb2.REASON_MALFORMED
        return
    with pytest.raises(E.EnvelopeError) as refused_info:
        E.verify(envelope, _resolver())
    assert refused_info.value.reason == envelope_pb2.REASON_MALFORMED


def test_layers_vector_matches_the_rule() -> None:
    vector = json.loads(LAYERS_VECTOR_PATH.read_text(encoding="utf-8"))
    record = json_format.ParseDict(vector["record_json"], record_pb2.Record())
    assert record.SerializeToString() == base64.b64decode(vector["record_b64"])
    counted = {f["counts_as"] for f in vector["set_fields"]} - {None}
    assert sorted(counted, key=options_pb2.Sensitivity.Value) == vector["layers"]
    assert sorted(layers_present(record)) == vector["layers_numbers"]
    by_path = {f["path"]: f for f in vector["set_fields"]}
    # What the vector is there to show:
    assert by_path["inmate_security_profile.identity.birth_date.year"]["counts_as"] == "SENSITIVITY_PERSONAL"
    assert by_path["inmate_security_profile.custody.admitted_on.year"]["counts_as"] == "SENSITIVITY_JUDICIAL"
    assert by_path["inmate_security_profile.identity.physical"]["counts_as"] == "SENSITIVITY_PERSONAL"
    assert by_path["inmate_security_profile"]["counts_as"] is None
    assert "SENSITIVITY_NONE" in vector["layers"]


if __name__ == "__main__":
    if sys.argv[1:] != ["--write-vectors"]:
        sys.exit("usage: python -m tests.test_envelope_seal_vector --write-vectors")
    for target, builder in ((SEAL_VECTOR_PATH, build_seal_vector), (LAYERS_VECTOR_PATH, build_layers_vector)):
        target.write_text(_render(builder()), encoding="utf-8")
        print(f"wrote {target}")
