"""Domain-separated Ed25519 signatures.

Every signature pxhub makes or checks is over ``domain || 0x00 || data``, so a
signature made for one purpose (an envelope header) can never be replayed as
another (a delivery receipt or a directory entry), even when the signed bytes
happen to parse as both. The domains are part of the contract: clients in any
language must use the same strings.
"""

from __future__ import annotations

from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "DELIVERY_RECEIPT",
    "DIRECTORY",
    "DOMAIN_DELIVERY_RECEIPT",
    "DOMAIN_DIRECTORY",
    "DOMAIN_HEADER",
    "HEADER",
    "SIGNATURE_SIZE",
    "sign",
    "signing_input",
    "verify",
]

#: Envelope headers (``Envelope.header``), originator and approver alike.
DOMAIN_HEADER: Final = "pxhub/v1/header"
#: A recipient's ``DeliveryReceipt`` inside ``Acknowledgement.receipt``.
DOMAIN_DELIVERY_RECEIPT: Final = "pxhub/v1/delivery-receipt"
#: Directory entries signed by the hub.
DOMAIN_DIRECTORY: Final = "pxhub/v1/directory"

# Short aliases, for call sites that read ``signing.sign(signing.DIRECTORY, ...)``.
HEADER: Final = DOMAIN_HEADER
DELIVERY_RECEIPT: Final = DOMAIN_DELIVERY_RECEIPT
DIRECTORY: Final = DOMAIN_DIRECTORY

#: Ed25519 signatures are always 64 bytes (RFC 8032).
SIGNATURE_SIZE: Final = 64

# The prefix bytes are computed once per domain: the hub signs and verifies
# thousands of headers per second and the domains are a closed set.
_PREFIXES: dict[str, bytes] = {}


def _prefix(domain: str) -> bytes:
    prefix = _PREFIXES.get(domain)
    if prefix is None:
        encoded = domain.encode("utf-8")
        if b"\x00" in encoded:
            # A NUL inside the domain would make the separator ambiguous.
            raise ValueError("signature domain must not contain NUL")
        prefix = encoded + b"\x00"
        _PREFIXES[domain] = prefix
    return prefix


def signing_input(domain: str, data: bytes) -> bytes:
    """The exact bytes Ed25519 signs: ``domain (UTF-8) || 0x00 || data``."""
    return _prefix(domain) + data


def sign(domain: str, data: bytes, key: Ed25519PrivateKey) -> bytes:
    """Sign ``data`` under ``domain`` so the signature is valid for nothing else."""
    return key.sign(signing_input(domain, data))


def verify(domain: str, data: bytes, signature: bytes, public_key: Ed25519PublicKey) -> bool:
    """True when ``signature`` is ``public_key``'s signature of ``data`` under ``domain``.

    Returns a bool instead of raising so that callers map a bad signature to
    their own precise refusal reason.
    """
    if len(signature) != SIGNATURE_SIZE:
        return False
    try:
        public_key.verify(signature, signing_input(domain, data))
    except InvalidSignature:
        return False
    return True
