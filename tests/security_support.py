"""Helpers for the security tests: raw mTLS channels as any caller, extra certificates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.identity.credentials import load_identity
from hub.identity.manifest import load_manifest
from hub.transport.channel import channel_credentials
from tests.conftest import PASSPHRASE


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def issue_client_certificate(
    issuer_key: ec.EllipticCurvePrivateKey,
    issuer_name: x509.Name,
    spiffe: str,
    not_before: datetime,
    not_after: datetime,
) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) of a client certificate naming ``spiffe``."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, spiffe.rsplit("/", 1)[-1])]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(spiffe)]), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


def federation_ca(federation_dir: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    manifest = load_manifest(federation_dir)
    ca_cert = x509.load_pem_x509_certificate((federation_dir / manifest.ca_certificate_path).read_bytes())
    ca_key = serialization.load_pem_private_key((federation_dir / "ca" / "ca.key").read_bytes(), PASSPHRASE)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    return ca_key, ca_cert


def ca_pem(federation_dir: Path) -> bytes:
    return (federation_dir / load_manifest(federation_dir).ca_certificate_path).read_bytes()


def expired_credentials(federation_dir: Path, member_id: str) -> grpc.ChannelCredentials:
    """A certificate from the federation CA, for a real member, that expired an hour ago."""
    ca_key, ca_cert = federation_ca(federation_dir)
    now = datetime.now(UTC)
    cert, key = issue_client_certificate(
        ca_key,
        ca_cert.subject,
        f"spiffe://pxhub/member/{member_id}",
        now - timedelta(days=2),
        now - timedelta(hours=1),
    )
    return grpc.ssl_channel_credentials(ca_pem(federation_dir), key, cert)


def foreign_ca_credentials(federation_dir: Path, member_id: str) -> grpc.ChannelCredentials:
    """A valid-looking certificate for a real member, issued by a CA the hub does not trust."""
    foreign_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pxhub development root CA")])
    now = datetime.now(UTC)
    cert, key = issue_client_certificate(
        foreign_key,
        name,
        f"spiffe://pxhub/member/{member_id}",
        now - timedelta(hours=1),
        now + timedelta(days=1),
    )
    return grpc.ssl_channel_credentials(ca_pem(federation_dir), key, cert)


def no_certificate_credentials(federation_dir: Path) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(ca_pem(federation_dir))


def identity_credentials(federation_dir: Path, identity_id: str) -> grpc.ChannelCredentials:
    return channel_credentials(load_identity(federation_dir, identity_id, PASSPHRASE))


def channel(target: str, credentials: grpc.ChannelCredentials) -> grpc.aio.Channel:
    return grpc.aio.secure_channel(target, credentials)
