"""Sealing: encrypt a record to its recipients and sign the header, and the four-eyes approval.

Pure: the caller gives the time (``now``) and the source of random bytes (``random_bytes``, e.g.
``os.urandom``) that the data key, the nonce and a new message id come from. HPKE's ephemeral
X25519 key is drawn inside ``cryptography`` from OpenSSL's generator and cannot be given, so the
key wrap itself is a parameter (``wrap_key``): production leaves the default, and the
sealing-side test vector (tests/test_envelope_seal_vector.py) passes an RFC 9180 HPKE with a
fixed ephemeral key so a sender in another language can check its envelopes byte for byte.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.core import signing
from hub.core.envelope.canonical import encryption_context, key_wraps_digest, sign_as, wrap_info
from hub.core.envelope.model import (
    APPROVER,
    DATA_KEY_SIZE,
    FORMAT_VERSION,
    HPKE_SUITE,
    NONCE_SIZE,
    ORIGINATOR,
    SCHEMA_VERSION,
    SCHEME,
    RecipientKey,
    SignerKey,
    enum_name,
    is_canonical_message_id,
    parse_as,
    payload_kind_of,
    show,
)
from hub.core.layers import layers_present
from pxhub.v1 import envelope_pb2, options_pb2, record_pb2

#: Where a seal's random bytes come from: ``random_bytes(n)`` returns ``n`` unpredictable bytes.
RandomBytes = Callable[[int], bytes]

#: How a data key is wrapped for one recipient: ``wrap_key(data_key, public_key, info)`` returns
#: HPKE's ``enc || ciphertext`` (base mode, the suite of ``HPKE_SUITE``, empty aad).
KeyWrapper = Callable[[bytes, X25519PublicKey, bytes], bytes]


def hpke_wrap(data_key: bytes, public_key: X25519PublicKey, info: bytes) -> bytes:
    """The production key wrap: HPKE SealBase with a fresh ephemeral key from OpenSSL."""
    return HPKE_SUITE.encrypt(data_key, public_key, info=info)


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
    random_bytes: RandomBytes,
    approver: SignerKey | None = None,
    wrap_key: KeyWrapper = hpke_wrap,
) -> envelope_pb2.Envelope:
    """The construction itself, over exact record and metadata bytes.

    :func:`seal` prepares and checks the metadata and then calls this; tests
    call it directly to build envelopes that :func:`verify` must refuse.
    """
    context = encryption_context(metadata)
    data_key = random_bytes(DATA_KEY_SIZE)
    nonce = random_bytes(NONCE_SIZE)
    if len(data_key) != DATA_KEY_SIZE or len(nonce) != NONCE_SIZE:
        raise ValueError("random_bytes(n) must return exactly n bytes")
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, record, context)
    wraps = [
        envelope_pb2.KeyWrap(
            recipient=r.member_id,
            key_id=r.key_id,
            enc=wrap_key(data_key, r.public_key, wrap_info(context, r.key_id)),
        )
        for r in recipients
    ]
    header = envelope_pb2.EnvelopeHeader(
        format_version=FORMAT_VERSION,
        metadata=metadata,
        ciphertext_sha256=hashlib.sha256(ciphertext).digest(),
        key_wraps_sha256=key_wraps_digest(wraps),
        ciphertext_size=len(ciphertext),
        encryption=SCHEME,
    ).SerializeToString()
    signatures = [_header_signature(header, signer, ORIGINATOR)]
    if approver is not None:
        signatures.append(_header_signature(header, approver, APPROVER))
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
    now: datetime,
    random_bytes: RandomBytes,
    approver: SignerKey | None = None,
    wrap_key: KeyWrapper = hpke_wrap,
) -> envelope_pb2.Envelope:
    """Encrypt ``record`` to ``recipients`` and sign the header as ``signer``.

    ``metadata`` is not modified. Its copy gets a fresh message id (when
    empty: a version 4 UUID of 16 bytes of ``random_bytes``), ``created_at``
    (when unset: ``now``, which must be timezone-aware), the
    schema version, the payload kind and layers computed from the record, the
    sender and its key id, and one recipient Party per key (in key order). With
    ``approver`` an APPROVER signature of the same member is added. ``wrap_key`` is for
    test vectors only (see the module docstring).

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
            f"metadata.payload_kind is {enum_name(envelope_pb2.PayloadKind, metadata.payload_kind)} "
            f"but the record is {enum_name(envelope_pb2.PayloadKind, kind)}"
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
        meta.message_id = str(uuid.UUID(bytes=random_bytes(16), version=4))
    elif not is_canonical_message_id(meta.message_id):
        raise ValueError(f"message_id {show(meta.message_id)} is not a canonical lowercase UUID")
    if not meta.HasField("created_at"):
        if now.utcoffset() is None:
            raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC))")
        meta.created_at.FromDatetime(now)
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
        random_bytes=random_bytes,
        approver=approver,
        wrap_key=wrap_key,
    )


def add_approval(envelope: envelope_pb2.Envelope, approver: SignerKey) -> None:
    """Add an APPROVER signature to a sealed envelope, in place (four eyes).

    The approver signs the same header bytes as the originator, so approval can
    happen after sealing, in another process, without re-encrypting anything.
    Raises ValueError for a second approval or an approver of another member,
    and EnvelopeError(MALFORMED) when the header does not parse.
    """
    if any(s.role == APPROVER for s in envelope.signatures):
        raise ValueError("the envelope already carries an APPROVER signature")
    header = parse_as(envelope_pb2.EnvelopeHeader, envelope.header, "envelope header")
    metadata = parse_as(envelope_pb2.RecordMetadata, header.metadata, "header metadata")
    if metadata.sender.member_id != approver.member_id:
        raise ValueError(
            f"approver belongs to {approver.member_id}, "
            f"not to the originating member {metadata.sender.member_id}"
        )
    envelope.signatures.append(_header_signature(envelope.header, approver, APPROVER))


# --------------------------------------------------------------------------- verification
