"""The federation's certificate authority: issue a TLS certificate from a CSR, for a join or a renewal.

The operator runs it on its own machine with the CA key from its folder (``ca/ca.key``); the
development federation (:mod:`hub.dev.federation`) builds its certificates with the same
:func:`build_certificate`, so a certificate the operator issues for a new institution and one
``pxhub pki init`` writes have the same shape. Revocation is not a CA file here: it is published in
the hub-signed directory's trust list (:mod:`hub.identity.directory_changes`), which every member
and the hub check.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.core.members import Institution
from hub.identity.certificates import PeerIdentityError, identity_from_certificate
from hub.identity.key_files import decrypt_private_key, read_federation_file
from hub.identity.manifest import PkiError, Role, load_manifest, spiffe_id

#: Certificates start a little in the past so a peer whose clock lags still accepts them.
CLOCK_SKEW: Final = timedelta(minutes=5)
#: RFC 5280 upper bound for organizationName (ub-organization-name).
MAX_ORGANIZATION_NAME: Final = 64
_MEMBER_ROLE: Final[tuple[Role, ...]] = ("member",)
#: How long a certificate issued for a join or a renewal is valid unless told otherwise.
DEFAULT_VALIDITY: Final = timedelta(days=365)


def organization_name(inst: Institution) -> str:
    """The certificate's O: the official name, or the acronym when the name passes 64 characters."""
    return inst.name if len(inst.name) <= MAX_ORGANIZATION_NAME else inst.acronym


def subject_name(identity_id: str, inst: Institution | None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, identity_id)]
    if inst is not None:
        attrs = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, inst.country_iso2),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization_name(inst)),
            *attrs,
        ]
    return x509.Name(attrs)


def key_usage(*, digital_signature: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def build_certificate(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_certificate: x509.Certificate,
    public_key: ec.EllipticCurvePublicKey,
    role: Role,
    identity_id: str,
    institution: Institution | None,
    not_before: datetime,
    not_after: datetime,
    hub_names: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    """One party's TLS certificate: SAN ``spiffe://pxhub/<role>/<id>``, client auth (server for the hub)."""
    uri = x509.UniformResourceIdentifier(spiffe_id(role, identity_id))
    if role == "hub":
        san = x509.SubjectAlternativeName([*(hub_names or []), uri])
        eku = ExtendedKeyUsageOID.SERVER_AUTH
    else:
        san = x509.SubjectAlternativeName([uri])
        eku = ExtendedKeyUsageOID.CLIENT_AUTH
    ca_ski = ca_certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(subject_name(identity_id, institution))
        .issuer_name(ca_certificate.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(san, critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def certificate_sha256(certificate: x509.Certificate) -> str:
    """Hex SHA-256 of the DER: how the directory and its trust list name a certificate."""
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def serial_hex(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "x")


def make_csr(tls_key: ec.EllipticCurvePrivateKey, member_id: str, inst: Institution) -> bytes:
    """The PKCS#10 request (DER) an institution sends with its join or renewal request."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject_name(member_id, inst))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(spiffe_id("member", member_id))]),
            critical=False,
        )
        .sign(tls_key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.DER)


def parse_csr(der: bytes, member_id: str) -> ec.EllipticCurvePublicKey:
    """The CSR's P-256 public key, once its self-signature verifies and its CN is ``member_id``."""
    try:
        csr = x509.load_der_x509_csr(der)
    except ValueError:
        raise PkiError("the CSR is not a DER PKCS#10 request") from None
    if not csr.is_signature_valid:
        raise PkiError("the CSR's signature does not verify under its own key")
    cns = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(cns) != 1 or cns[0].value != member_id:
        raise PkiError(f"the CSR's subject CN must be {member_id!r}")
    key = csr.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise PkiError("the CSR's key must be EC P-256")
    return key


def check_issued(
    certificate_der: bytes, ca_certificate: x509.Certificate, member_id: str
) -> x509.Certificate:
    """Parse a member certificate and check the federation CA issued it, for ``member_id``, as a client."""
    try:
        certificate = x509.load_der_x509_certificate(certificate_der)
    except ValueError:
        raise PkiError("the certificate is not DER X.509") from None
    try:
        certificate.verify_directly_issued_by(ca_certificate)
    except (ValueError, TypeError, InvalidSignature):
        raise PkiError("the certificate was not issued by the federation CA") from None
    try:
        identity = identity_from_certificate(certificate, allowed_roles=_MEMBER_ROLE)
    except PeerIdentityError as error:
        raise PkiError(f"the certificate does not name a member: {error}") from None
    if identity.identity_id != member_id:
        raise PkiError(f"the certificate names {identity.identity_id!r}, not {member_id!r}")
    return certificate


@dataclass(frozen=True, repr=False)
class CertificateAuthority:
    """The CA's key and certificate, in memory for one issuing step."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def load(cls, directory: Path, passphrase: bytes) -> CertificateAuthority:
        """The CA of the operator's folder (``federation.json`` names the certificate, ``ca/ca.key``)."""
        directory = Path(directory)
        manifest = load_manifest(directory)
        pem = read_federation_file(directory, manifest.ca_certificate_path, "CA certificate")
        certificate = x509.load_pem_x509_certificate(pem)
        key_rel = str(Path(manifest.ca_certificate_path).with_name("ca.key"))
        if not (directory / key_rel).exists():
            raise PkiError(
                f"{directory} holds no CA key ({key_rel}): certificates are issued from the operator's folder"
            )
        key = decrypt_private_key(directory, key_rel, passphrase)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != certificate.public_key():
            raise PkiError(f"{directory / key_rel} is not the key of the CA certificate")
        return cls(key, certificate)

    def issue(
        self,
        csr_der: bytes,
        member_id: str,
        institution: Institution,
        now: datetime,
        validity: timedelta = DEFAULT_VALIDITY,
    ) -> x509.Certificate:
        """A member's client certificate for the key of ``csr_der`` (checked first), from ``now``."""
        public = parse_csr(csr_der, member_id)
        if validity <= timedelta(0):
            raise PkiError("validity must be positive")
        not_after = min(now + validity, self.certificate.not_valid_after_utc)
        return build_certificate(
            self.key, self.certificate, public, "member", member_id, institution, now - CLOCK_SKEW, not_after
        )
