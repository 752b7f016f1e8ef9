"""Delivery receipts: a recipient's signed acknowledgement of exactly what it received."""

from __future__ import annotations

import hashlib

from hub.core import signing
from hub.core.envelope.canonical import check_signed, sign_as
from hub.core.envelope.model import (
    ORIGINATOR,
    KeyResolver,
    Reason,
    SignerKey,
    enum_name,
    fail,
    is_canonical_message_id,
    parse_as,
    show,
)
from hub.core.members import OFFICER_PSEUDONYM_PATTERN, OFFICER_PSEUDONYM_RULE
from pxhub.v1 import envelope_pb2, exchange_pb2


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
        raise fail(Reason.REASON_SIGNATURE_MISSING, "acknowledgement carries no signature")
    signature = ack.signature
    public_key = keys.signing_key(signature.signer, signature.key_id)
    if public_key is None:
        raise fail(
            Reason.REASON_UNKNOWN_SIGNING_KEY,
            f"no signing key {show(signature.key_id)} is known for member {show(signature.signer)}",
        )
    if signature.role != ORIGINATOR:
        raise fail(
            Reason.REASON_RECEIPT_SIGNATURE_INVALID,
            f"receipt signature has role {enum_name(envelope_pb2.SignerRole, signature.role)}, "
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
    receipt = parse_as(envelope_pb2.DeliveryReceipt, ack.receipt, "delivery receipt")
    if receipt.recipient != signature.signer:
        raise fail(
            Reason.REASON_SENDER_MISMATCH,
            f"receipt names recipient {show(receipt.recipient)} but is signed by {show(signature.signer)}",
        )
    if not is_canonical_message_id(receipt.message_id):
        raise fail(
            Reason.REASON_MALFORMED, f"receipt message_id {show(receipt.message_id)} is not a canonical UUID"
        )
    if len(receipt.header_sha256) != hashlib.sha256().digest_size:
        raise fail(Reason.REASON_MALFORMED, f"receipt header_sha256 is {len(receipt.header_sha256)} bytes")
    if not OFFICER_PSEUDONYM_PATTERN.fullmatch(receipt.officer_pseudonym):
        raise fail(Reason.REASON_MALFORMED, f"receipt officer_pseudonym is not {OFFICER_PSEUDONYM_RULE}")
    return receipt
