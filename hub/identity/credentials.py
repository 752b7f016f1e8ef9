"""One party's credentials in memory: its TLS pair and application keys, decrypted from its files.

Every participant authenticates with mutual TLS; the certificate's SAN URI
(``spiffe://pxhub/<role>/<id>``) is the identity the hub acts on. On top of TLS each participant
holds application keys the hub never needs to open anything: Ed25519 to sign, X25519 to receive
sealed records, and a second Ed25519 "approver" key for an officer's countersignature.
``load_identity`` / ``load_hub`` bring one party's keys back into memory and check them against
the manifest; the key passphrase comes from the environment (``passphrase_from_env``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519

from hub.identity.key_files import check_passphrase, decrypt_private_key, raw_public_key, read_federation_file
from hub.identity.keyring import HeldKeys, held_keys
from hub.identity.manifest import (
    ENV_PASSPHRASE,
    ENV_PASSPHRASE_FILE,
    USES,
    FederationManifest,
    IdentityRecord,
    KeyUse,
    PkiError,
    Role,
    load_manifest,
)

if TYPE_CHECKING:
    import grpc

# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class IdentityCredentials:
    """One client's decrypted keys, in memory only.

    ``tls_private_key_pem`` is unencrypted because grpc takes PEM bytes and no
    passphrase; never write it to disk. ``repr`` shows key ids, not keys.
    """

    identity_id: str
    role: Role
    tls_certificate_pem: bytes
    tls_private_key_pem: bytes
    ca_certificate_pem: bytes
    signing_key: ed25519.Ed25519PrivateKey
    signing_key_id: str
    encryption_key: x25519.X25519PrivateKey | None
    encryption_key_id: str | None
    approver_key: ed25519.Ed25519PrivateKey | None
    approver_key_id: str | None
    #: Every encryption key this identity still opens with, by key id: the current one and,
    #: after a rotation, the previous ones until their overlap ends (``hub.identity.keyring``).
    decryption_keys: Mapping[str, x25519.X25519PrivateKey] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"IdentityCredentials(identity_id={self.identity_id!r}, role={self.role!r}, "
            f"signing_key_id={self.signing_key_id!r}, encryption_key_id={self.encryption_key_id!r}, "
            f"approver_key_id={self.approver_key_id!r}, private keys hidden)"
        )

    __str__ = __repr__


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class HubCredentials:
    """The hub's decrypted TLS server pair and signing key, in memory only."""

    hub_id: str
    hub_origin: str
    tls_certificate_pem: bytes
    tls_private_key_pem: bytes
    ca_certificate_pem: bytes
    signing_key: ed25519.Ed25519PrivateKey
    signing_key_id: str

    def __repr__(self) -> str:
        return (
            f"HubCredentials(hub_id={self.hub_id!r}, hub_origin={self.hub_origin!r}, "
            f"signing_key_id={self.signing_key_id!r}, private keys hidden)"
        )

    __str__ = __repr__

    def grpc_server_credentials(self, *, require_client_auth: bool = True) -> grpc.ServerCredentials:
        """mTLS server credentials trusting only the federation CA for client certificates."""
        import grpc

        return grpc.ssl_server_credentials(
            [(self.tls_private_key_pem, self.tls_certificate_pem)],
            root_certificates=self.ca_certificate_pem,
            require_client_auth=require_client_auth,
        )


def _load_tls_pair(directory: Path, record: IdentityRecord, passphrase: bytes) -> tuple[bytes, bytes]:
    cert_pem = read_federation_file(directory, record.certificate_path, "certificate")
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise PkiError(f"{directory / record.certificate_path} is not a PEM certificate") from None
    key = decrypt_private_key(directory, record.tls_key_path, passphrase)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
        raise PkiError(
            f"{directory / record.tls_key_path} does not match its certificate "
            f"{directory / record.certificate_path}"
        )
    plain = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert_pem, plain


_AppKey = ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey


def _load_app_key(
    directory: Path, record: IdentityRecord, use: KeyUse, passphrase: bytes
) -> tuple[ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey, str]:
    rec = record.key(use)
    key = decrypt_private_key(directory, rec.private_key_path, passphrase)
    expected = x25519.X25519PrivateKey if rec.algorithm == "x25519" else ed25519.Ed25519PrivateKey
    if not isinstance(key, expected) or raw_public_key(key) != rec.public_key:
        raise PkiError(
            f"{directory / rec.private_key_path} does not match the manifest's {use} key {rec.key_id}"
        )
    return key, rec.key_id


def _load_ca(directory: Path, manifest: FederationManifest) -> bytes:
    pem = read_federation_file(directory, manifest.ca_certificate_path, "CA certificate")
    try:
        der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    except ValueError:
        raise PkiError(f"{directory / manifest.ca_certificate_path} is not a PEM certificate") from None
    if hashlib.sha256(der).hexdigest() != manifest.ca_certificate_sha256:
        raise PkiError(f"{directory / manifest.ca_certificate_path} is not the CA named in the manifest")
    return pem


def load_identity(directory: Path, identity_id: str, passphrase: bytes) -> IdentityCredentials:
    """Decrypt one member's, auditor's or operator's keys and check them against the manifest."""
    directory = Path(directory)
    check_passphrase(passphrase)
    manifest = load_manifest(directory)
    record = manifest.identity(identity_id)
    if record.role == "hub":
        raise PkiError(f"{identity_id!r} is the hub; use load_hub() for its server credentials")
    ca_pem = _load_ca(directory, manifest)
    cert_pem, tls_key_pem = _load_tls_pair(directory, record, passphrase)

    # After a rotation the member's keyring says which keys it holds; before, the manifest does.
    held = held_keys(directory, identity_id, passphrase)
    if held is None:
        current: dict[str, tuple[_AppKey, str]] = {
            use: _load_app_key(directory, record, use, passphrase) for use in USES if record.has_key(use)
        }
        encryption_pair = current.get("encryption")
        held = HeldKeys(current, {encryption_pair[1]: encryption_pair[0]} if encryption_pair else {})
    signing, signing_id = held.current["signing"]
    encryption, encryption_id = held.current.get("encryption", (None, None))
    approver, approver_id = held.current.get("approver", (None, None))
    return IdentityCredentials(
        identity_id=record.id,
        role=record.role,
        tls_certificate_pem=cert_pem,
        tls_private_key_pem=tls_key_pem,
        ca_certificate_pem=ca_pem,
        signing_key=cast(ed25519.Ed25519PrivateKey, signing),
        signing_key_id=signing_id,
        encryption_key=cast(x25519.X25519PrivateKey | None, encryption),
        encryption_key_id=encryption_id,
        approver_key=cast(ed25519.Ed25519PrivateKey | None, approver),
        approver_key_id=approver_id,
        decryption_keys={k: cast(x25519.X25519PrivateKey, v) for k, v in held.decryption.items()},
    )


def load_hub(directory: Path, passphrase: bytes) -> HubCredentials:
    """Decrypt the hub's TLS server pair and its Ed25519 signing key."""
    directory = Path(directory)
    check_passphrase(passphrase)
    manifest = load_manifest(directory)
    record = manifest.hub
    ca_pem = _load_ca(directory, manifest)
    cert_pem, tls_key_pem = _load_tls_pair(directory, record, passphrase)
    signing, signing_id = _load_app_key(directory, record, "signing", passphrase)
    return HubCredentials(
        hub_id=record.id,
        hub_origin=manifest.hub_origin,
        tls_certificate_pem=cert_pem,
        tls_private_key_pem=tls_key_pem,
        ca_certificate_pem=ca_pem,
        signing_key=cast(ed25519.Ed25519PrivateKey, signing),
        signing_key_id=signing_id,
    )


def passphrase_from_env(environ: Mapping[str, str] = os.environ) -> bytes:
    """The key passphrase from ``PXHUB_KEY_PASSPHRASE`` or the file named by ``PXHUB_KEY_PASSPHRASE_FILE``.

    The file form suits container secrets; exactly one trailing newline is
    removed because editors and ``echo`` add one. Setting both is an error
    rather than a silent precedence rule.
    """
    value = environ.get(ENV_PASSPHRASE)
    file_name = environ.get(ENV_PASSPHRASE_FILE)
    if value is not None and file_name is not None:
        raise PkiError(f"both {ENV_PASSPHRASE} and {ENV_PASSPHRASE_FILE} are set; set only one")
    if value is not None:
        if not value:
            raise PkiError(f"{ENV_PASSPHRASE} is set but empty")
        return value.encode("utf-8", "surrogateescape")
    if file_name is not None:
        if not file_name:
            raise PkiError(f"{ENV_PASSPHRASE_FILE} is set but empty")
        try:
            data = Path(file_name).read_bytes()
        except OSError as e:
            raise PkiError(f"cannot read {ENV_PASSPHRASE_FILE}={file_name}: {e.strerror}") from None
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        if not data:
            raise PkiError(f"the passphrase file {file_name} ({ENV_PASSPHRASE_FILE}) is empty")
        return data
    raise PkiError(
        f"no key passphrase: set {ENV_PASSPHRASE} to the passphrase, "
        f"or {ENV_PASSPHRASE_FILE} to a file that contains it"
    )


#: The file holding a member's pseudonym key (its own secret; the hub never has it).
ENV_PSEUDONYM_KEY_FILE: Final = "PXHUB_PSEUDONYM_KEY_FILE"
MIN_PSEUDONYM_KEY_BYTES: Final = 16


def pseudonym_key_from_env(environ: Mapping[str, str] = os.environ) -> bytes:
    """The member's pseudonym key from the file named by ``PXHUB_PSEUDONYM_KEY_FILE``.

    Like the passphrase, never on the command line (it would show in the process list and the
    shell history). The file holds hex text (one trailing newline allowed) or raw bytes, at least
    16 bytes of key either way.
    """
    file_name = environ.get(ENV_PSEUDONYM_KEY_FILE)
    if not file_name:
        raise PkiError(
            f"no pseudonym key: set {ENV_PSEUDONYM_KEY_FILE} to the file that holds your member's key"
        )
    try:
        data = Path(file_name).read_bytes()
    except OSError as e:
        raise PkiError(f"cannot read {ENV_PSEUDONYM_KEY_FILE}={file_name}: {e.strerror}") from None
    text = data.strip()
    try:
        key = bytes.fromhex(text.decode("ascii")) if text else b""
    except (UnicodeDecodeError, ValueError):
        key = data
    if len(key) < MIN_PSEUDONYM_KEY_BYTES:
        raise PkiError(
            f"the pseudonym key in {file_name} ({ENV_PSEUDONYM_KEY_FILE}) is {len(key)} bytes; "
            f"at least {MIN_PSEUDONYM_KEY_BYTES} are required"
        )
    return key
