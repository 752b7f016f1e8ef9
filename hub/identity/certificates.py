"""The pxhub identity a verified peer certificate names (``spiffe://pxhub/<role>/<id>``)."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import NamedTuple, cast

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.identity.manifest import CLIENT_ROLES, ROLES, TRUST_DOMAIN, PkiError, Role, validate_identity_id


class PeerIdentityError(PkiError):
    """A peer certificate does not carry a usable pxhub identity."""



class PeerIdentity(NamedTuple):
    """Who a verified peer certificate names; unpacks as ``(role, identity_id)``."""

    role: Role
    identity_id: str


_SPIFFE = re.compile(r"spiffe://([^/]*)/([^/]*)/([^/]*)")


def identity_from_certificate(
    certificate: bytes | str | x509.Certificate,
    *,
    allowed_roles: Collection[Role] = CLIENT_ROLES,
) -> PeerIdentity:
    """Read ``spiffe://pxhub/<role>/<id>`` from a certificate the TLS layer has already verified.

    The hub passes ``context.auth_context()['x509_pem_cert'][0]``. This does not
    check the chain (gRPC did, against the federation CA); it checks that the
    certificate names exactly one pxhub identity, in an allowed role, with a
    well-formed id equal to its CN, and is meant for client authentication.
    """
    cert = _parse_certificate(certificate)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise PeerIdentityError(
            "peer certificate has no subjectAltName; expected a URI spiffe://pxhub/<role>/<id>"
        ) from None
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    if not uris:
        raise PeerIdentityError("peer certificate has no SAN URI; expected spiffe://pxhub/<role>/<id>")
    if len(uris) > 1:
        raise PeerIdentityError(f"peer certificate has {len(uris)} SAN URIs; expected exactly one")
    uri = uris[0]
    shown = repr(uri) if len(uri) <= 100 else repr(uri[:100] + "…")
    m = _SPIFFE.fullmatch(uri)
    if m is None:
        raise PeerIdentityError(f"SAN URI {shown} is not of the form spiffe://pxhub/<role>/<id>")
    domain, role_s, ident = m.groups()
    if domain != TRUST_DOMAIN:
        raise PeerIdentityError(f"SAN URI {shown} is in trust domain {domain!r}, not {TRUST_DOMAIN!r}")
    if role_s not in ROLES:
        raise PeerIdentityError(f"SAN URI {shown} names unknown role {role_s!r}")
    role = cast(Role, role_s)
    if role not in allowed_roles:
        raise PeerIdentityError(
            f"role {role!r} is not accepted here (accepted: {', '.join(sorted(allowed_roles))})"
        )
    try:
        validate_identity_id(role, ident)
    except PkiError as e:
        raise PeerIdentityError(f"SAN URI {shown}: {e}") from None
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = cns[0].value if len(cns) == 1 else None
    if cn != ident:
        raise PeerIdentityError(f"subject CN {cn!r} does not match the SAN identity {ident!r}")
    needed = ExtendedKeyUsageOID.SERVER_AUTH if role == "hub" else ExtendedKeyUsageOID.CLIENT_AUTH
    try:
        ekus = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        ekus = x509.ExtendedKeyUsage([])
    if needed not in ekus:
        purpose = "server" if role == "hub" else "client"
        raise PeerIdentityError(
            f"peer certificate for {ident!r} is not issued for TLS {purpose} authentication"
        )
    return PeerIdentity(role, ident)


def _parse_certificate(certificate: bytes | str | x509.Certificate) -> x509.Certificate:
    if isinstance(certificate, x509.Certificate):
        return certificate
    data = certificate.encode("utf-8") if isinstance(certificate, str) else bytes(certificate)
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise PeerIdentityError("peer certificate is not a valid PEM or DER X.509 certificate") from None
