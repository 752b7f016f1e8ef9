"""Development federation: a private CA, mTLS certificates and application keys.

The hub and every participant authenticate with mutual TLS; the certificate's
SAN URI (``spiffe://pxhub/<role>/<id>``) is the identity the hub acts on. On
top of TLS each participant holds application keys the hub never needs to
open anything: Ed25519 to sign, X25519 to receive sealed records, and a
second Ed25519 "approver" key for an officer's countersignature.

``init_federation`` writes the whole set to one directory (private keys as
encrypted PKCS#8, 0600) plus a public ``federation.json`` manifest;
``load_identity`` / ``load_hub`` bring one party's keys back into memory.
Everything is EC P-256 or Curve25519, so creating a federation of seven
members takes milliseconds and tests can afford a fresh one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import os
import re
import shutil
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, TypeVar, cast, get_args

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.core.members import MEMBERS, Institution, validate_member_id

if TYPE_CHECKING:
    import grpc

__all__ = [
    "ALGORITHM_FOR_USE",
    "CLIENT_ROLES",
    "DEFAULT_HUB_ORIGIN",
    "ENV_PASSPHRASE",
    "ENV_PASSPHRASE_FILE",
    "FORMAT_VERSION",
    "HUB_ID",
    "MANIFEST_NAME",
    "MIN_PASSPHRASE_BYTES",
    "TRUST_DOMAIN",
    "FederationManifest",
    "HubCredentials",
    "IdentityCredentials",
    "IdentityRecord",
    "KeyAlgorithm",
    "KeyRecord",
    "KeyStatus",
    "KeyUse",
    "PeerIdentity",
    "PeerIdentityError",
    "PkiError",
    "Role",
    "identity_from_certificate",
    "init_federation",
    "key_id",
    "load_hub",
    "load_identity",
    "load_manifest",
    "passphrase_from_env",
    "spiffe_id",
    "validate_principal_id",
]

Role = Literal["member", "auditor", "operator", "hub"]
KeyUse = Literal["signing", "encryption", "approver"]
KeyAlgorithm = Literal["ed25519", "x25519"]
#: ``init_federation`` writes only ``current``; rotation keeps old keys as ``previous``.
KeyStatus = Literal["current", "previous", "revoked"]
#: The one algorithm each key use takes: Ed25519 signs, X25519 receives HPKE wraps.
ALGORITHM_FOR_USE: Final[Mapping[KeyUse, KeyAlgorithm]] = {
    "signing": "ed25519",
    "approver": "ed25519",
    "encryption": "x25519",
}

TRUST_DOMAIN: Final = "pxhub"
FORMAT_VERSION: Final = 1
MANIFEST_NAME: Final = "federation.json"
DEFAULT_HUB_ORIGIN: Final = "pxhub.dev/hub"
HUB_ID: Final = "HUB"
MIN_PASSPHRASE_BYTES: Final = 12
# Names of environment variables, not secrets.
ENV_PASSPHRASE: Final = "PXHUB_KEY_PASSPHRASE"  # noqa: S105
ENV_PASSPHRASE_FILE: Final = "PXHUB_KEY_PASSPHRASE_FILE"  # noqa: S105
#: Roles that connect to the hub as TLS clients.
CLIENT_ROLES: Final[frozenset[Role]] = frozenset({"member", "auditor", "operator"})

_ROLES: Final[tuple[Role, ...]] = get_args(Role)
_USES: Final[tuple[KeyUse, ...]] = get_args(KeyUse)
_ALGORITHMS: Final[tuple[KeyAlgorithm, ...]] = get_args(KeyAlgorithm)
_STATUSES: Final[tuple[KeyStatus, ...]] = get_args(KeyStatus)
_MEMBER_FIELDS: Final = ("acronym", "institution_name", "country_iso2", "country_name")
_ROLE_DIRS: Final[Mapping[Role, str]] = {
    "member": "members",
    "auditor": "auditors",
    "operator": "operators",
    "hub": "hub",
}
_ROLE_KEY_USES: Final[Mapping[Role, tuple[KeyUse, ...]]] = {
    "member": ("signing", "encryption", "approver"),
    "auditor": ("signing",),
    "operator": ("signing",),
    "hub": ("signing",),
}
_PRINCIPAL_ID = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")
_PRINCIPAL_ID_MAX = 32
_HOSTNAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*")
#: RFC 5280 upper bound for organizationName (ub-organization-name).
_MAX_ORGANIZATION_NAME = 64
#: Certificates start a little in the past so a peer whose clock lags still accepts them.
_CLOCK_SKEW = timedelta(minutes=5)
_PRIVATE_MODE = 0o600
_PUBLIC_MODE = 0o644
_DIR_MODE = 0o700

_PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey


class PkiError(ValueError):
    """A federation cannot be created or loaded; the message says which file and why."""


class PeerIdentityError(PkiError):
    """A peer certificate does not carry a usable pxhub identity."""


# --------------------------------------------------------------------------- identifiers


def key_id(owner: str, use: KeyUse, raw_public_key: bytes) -> str:
    """``<owner>/<use>/<16 hex of SHA-256(raw key)>``: readable in logs, stable across re-encodings."""
    return f"{owner}/{use}/{hashlib.sha256(raw_public_key).hexdigest()[:16]}"


def spiffe_id(role: Role, identity_id: str) -> str:
    """The SAN URI naming ``identity_id`` in certificates (SPIFFE X509-SVID shape)."""
    return f"spiffe://{TRUST_DOMAIN}/{role}/{identity_id}"


def validate_principal_id(s: object, role: str = "principal") -> str:
    """Return ``s`` if it is a valid auditor/operator/hub id such as ``AUDITOR-1``.

    Ids become directory names, CNs and SPIFFE path segments, so they are kept
    to upper-case letters, digits and single inner hyphens.
    """
    if not isinstance(s, str):
        raise PkiError(f"{role} id must be a string, got {type(s).__name__}")
    if not s:
        raise PkiError(f"{role} id is empty")
    if len(s) > _PRINCIPAL_ID_MAX:
        raise PkiError(f"{role} id {s[:40]!r} is {len(s)} characters; at most {_PRINCIPAL_ID_MAX} allowed")
    if not _PRINCIPAL_ID.fullmatch(s):
        raise PkiError(
            f"{role} id {s!r} must be upper-case letters and digits separated by single hyphens, "
            "starting with a letter (e.g. 'AUDITOR-1')"
        )
    return s


def _validate_identity_id(role: Role, identity_id: object) -> str:
    if role == "member":
        try:
            return validate_member_id(identity_id)
        except ValueError as e:
            raise PkiError(str(e)) from None
    return validate_principal_id(identity_id, role)


# --------------------------------------------------------------------------- manifest model


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One public application key of an identity, as published in the manifest."""

    key_id: str
    use: KeyUse
    algorithm: KeyAlgorithm
    public_key: bytes  # raw 32-byte public key (what ``key_id`` hashes)
    valid_from: datetime
    valid_until: datetime
    status: KeyStatus
    private_key_path: str  # relative to the federation directory
    public_key_path: str

    @property
    def public_key_b64(self) -> str:
        """The raw public key in standard base64, as written in the manifest."""
        return base64.b64encode(self.public_key).decode("ascii")


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    """A party of the federation: its certificate and public keys, never private ones.

    Institution fields are set for members and ``None`` for the hub, auditors
    and operators.
    """

    id: str
    role: Role
    spiffe_id: str
    certificate_path: str  # relative to the federation directory
    certificate_not_after: datetime
    certificate_sha256: str  # hex SHA-256 of the certificate's DER
    tls_key_path: str
    keys: tuple[KeyRecord, ...]
    acronym: str | None = None
    institution_name: str | None = None
    country_iso2: str | None = None
    country_name: str | None = None

    @property
    def identity_id(self) -> str:
        """Same as ``id``; the name the credential classes use."""
        return self.id

    @property
    def institution(self) -> Institution | None:
        """The member's institution, or ``None`` for other roles."""
        if self.role != "member" or self.acronym is None or self.institution_name is None:
            return None
        return Institution(
            member_id=self.id,
            acronym=self.acronym,
            name=self.institution_name,
            country_iso2=self.country_iso2 or "",
            country_name=self.country_name or "",
        )

    def key(self, use: KeyUse) -> KeyRecord:
        """The current key for ``use``; raises ``PkiError`` if this identity has none."""
        for k in self.keys:
            if k.use == use and k.status == "current":
                return k
        raise PkiError(f"{self.role} {self.id} has no current {use} key")

    def has_key(self, use: KeyUse) -> bool:
        """Whether this identity has a current key for ``use`` (members have all three)."""
        return any(k.use == use and k.status == "current" for k in self.keys)


@dataclass(frozen=True, slots=True)
class FederationManifest:
    """Public description of a federation (``federation.json``)."""

    format_version: int
    hub_origin: str
    created: datetime
    trust_domain: str
    ca_certificate_path: str
    ca_certificate_sha256: str
    ca_not_after: datetime
    identities: tuple[IdentityRecord, ...]

    def identity(self, identity_id: str) -> IdentityRecord:
        """Look an identity up by id, with an error listing the known ids."""
        for ident in self.identities:
            if ident.id == identity_id:
                return ident
        known = ", ".join(i.id for i in self.identities)
        raise PkiError(f"no identity {identity_id!r} in the federation (known: {known})")

    def by_role(self, role: Role) -> tuple[IdentityRecord, ...]:
        """All identities with ``role``, in manifest order."""
        return tuple(i for i in self.identities if i.role == role)

    @property
    def hub(self) -> IdentityRecord:
        """The hub's identity record."""
        hubs = self.by_role("hub")
        if len(hubs) != 1:
            raise PkiError(f"the manifest lists {len(hubs)} hub identities; expected exactly one")
        return hubs[0]

    def hub_public_key(self) -> ed25519.Ed25519PublicKey:
        """The hub's current Ed25519 signing key: verifies the directory and audit checkpoints."""
        return ed25519.Ed25519PublicKey.from_public_bytes(self.hub.key("signing").public_key)


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

    def grpc_channel_credentials(self) -> grpc.ChannelCredentials:
        """mTLS channel credentials presenting this identity's certificate."""
        import grpc

        return grpc.ssl_channel_credentials(
            root_certificates=self.ca_certificate_pem,
            private_key=self.tls_private_key_pem,
            certificate_chain=self.tls_certificate_pem,
        )


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


# --------------------------------------------------------------------------- creation


def init_federation(
    directory: Path,
    passphrase: bytes,
    *,
    members: Sequence[Institution] = MEMBERS,
    auditors: Sequence[str] = ("AUDITOR-1",),
    operators: Sequence[str] = ("OPERATOR-1",),
    hub_hostnames: Sequence[str] = ("localhost",),
    hub_origin: str = DEFAULT_HUB_ORIGIN,
    now: datetime | None = None,
    validity_days: int = 825,
) -> FederationManifest:
    """Create a new federation in ``directory`` and return its manifest.

    All inputs are checked before anything is written; the files are built in
    a private sibling directory and renamed into place, so a failure leaves no
    half-made federation behind. An existing federation is never overwritten.
    """
    directory = Path(os.path.abspath(directory))  # "." or "x/.." have no usable name/parent
    _check_passphrase(passphrase)
    if len(passphrase) < MIN_PASSPHRASE_BYTES:
        raise PkiError(f"passphrase is {len(passphrase)} bytes; at least {MIN_PASSPHRASE_BYTES} are required")
    if now is None:
        now = datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise PkiError("now must be timezone-aware (e.g. datetime.now(UTC))")
    now = now.astimezone(UTC).replace(microsecond=0)
    if isinstance(validity_days, bool) or not isinstance(validity_days, int) or validity_days < 1:
        raise PkiError(f"validity_days must be a positive integer, got {validity_days!r}")
    if (
        not isinstance(hub_origin, str)
        or not hub_origin
        or hub_origin != hub_origin.strip()
        or not hub_origin.isprintable()
    ):
        raise PkiError(f"hub_origin must be a non-empty single line of printable text, got {hub_origin!r}")
    plan = _plan_identities(members, auditors, operators)
    san_entries = _hub_san_entries(hub_hostnames)
    _check_target(directory)

    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".partial", dir=directory.parent))
    try:
        manifest = _write_federation(
            staging,
            passphrase,
            plan=plan,
            san_entries=san_entries,
            hub_origin=hub_origin,
            now=now,
            validity=timedelta(days=validity_days),
        )
        os.chmod(staging, _DIR_MODE)
        _check_target(directory)  # someone may have created it meanwhile
        try:
            os.rename(staging, directory)  # atomic; replaces only an empty directory
        except OSError as e:
            raise PkiError(f"cannot move the new federation into {directory}: {e.strerror}") from e
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _check_passphrase(passphrase: object) -> None:
    if not isinstance(passphrase, bytes):
        raise PkiError(f"passphrase must be bytes, got {type(passphrase).__name__}")
    if not passphrase:
        raise PkiError("passphrase is empty")


def _check_target(directory: Path) -> None:
    if (directory / MANIFEST_NAME).exists():
        raise PkiError(
            f"a federation already exists at {directory} ({MANIFEST_NAME} present); refusing to overwrite"
        )
    if directory.exists() or directory.is_symlink():
        if not directory.is_dir() or directory.is_symlink():
            raise PkiError(
                f"{directory} exists and is not a plain directory; refusing to write a federation there"
            )
        if any(directory.iterdir()):
            raise PkiError(f"{directory} is not empty; refusing to write a federation into it")


class _Planned(NamedTuple):
    role: Role
    identity_id: str
    institution: Institution | None


def _plan_identities(
    members: Sequence[Institution], auditors: Sequence[str], operators: Sequence[str]
) -> list[_Planned]:
    for name, seq in (("members", members), ("auditors", auditors), ("operators", operators)):
        if isinstance(seq, str | bytes):
            raise PkiError(f"{name} must be a sequence of entries, not a single string")
    plan = [_Planned("hub", HUB_ID, None)]
    for m in members:
        if not isinstance(m, Institution):
            raise PkiError(f"members must be Institution objects, got {type(m).__name__}")
        _validate_identity_id("member", m.member_id)
        if not re.fullmatch(r"[A-Z]{2}", m.country_iso2):
            raise PkiError(f"member {m.member_id}: country_iso2 {m.country_iso2!r} is not two letters A-Z")
        if not m.name.strip():
            raise PkiError(f"member {m.member_id}: institution name is empty")
        plan.append(_Planned("member", m.member_id, m))
    plan.extend(_Planned("auditor", _validate_identity_id("auditor", a), None) for a in auditors)
    plan.extend(_Planned("operator", _validate_identity_id("operator", o), None) for o in operators)
    seen: dict[str, Role] = {}
    for p in plan:
        if p.identity_id in seen:
            raise PkiError(
                f"identity id {p.identity_id!r} is used twice ({seen[p.identity_id]} and {p.role}); "
                "ids must be unique across roles"
            )
        seen[p.identity_id] = p.role
    return plan


def _hub_san_entries(hostnames: Sequence[str]) -> list[x509.GeneralName]:
    if isinstance(hostnames, str | bytes):
        raise PkiError("hub_hostnames must be a sequence of host names, not a single string")
    entries: list[x509.GeneralName] = []
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for h in hostnames:
        if not isinstance(h, str):
            raise PkiError(f"hub host name must be a string, got {type(h).__name__}")
        try:
            ips.append(ipaddress.ip_address(h))
            continue
        except ValueError:
            pass
        name = h.lower().rstrip(".")
        if len(name) > 253 or not _HOSTNAME.fullmatch(name):
            raise PkiError(f"hub host name {h!r} is not a valid DNS name (letters, digits, hyphens, dots)")
        dns = x509.DNSName(name)
        if dns not in entries:
            entries.append(dns)
    for ip in (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"), *ips):
        entry = x509.IPAddress(ip)
        if entry not in entries:
            entries.append(entry)
    return entries


class _Writer:
    """Creates files under the staging root with their final modes from the first byte."""

    def __init__(self, root: Path, passphrase: bytes) -> None:
        self.root = root
        self._encryption = serialization.BestAvailableEncryption(passphrase)

    def mkdir(self, rel: str) -> None:
        path = self.root / rel
        path.mkdir(mode=_DIR_MODE)
        os.chmod(path, _DIR_MODE)  # mkdir's mode is filtered by the umask

    def _write(self, rel: str, data: bytes, mode: int) -> None:
        # O_EXCL: never follow or reuse something already there; the mode is set at
        # creation so a private key is never readable by others, even briefly.
        fd = os.open(
            self.root / rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode
        )
        try:
            os.fchmod(fd, mode)  # exact mode whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def private_key(self, rel: str, key: _PrivateKey) -> None:
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, self._encryption
        )
        self._write(rel, pem, _PRIVATE_MODE)

    def public(self, rel: str, data: bytes) -> None:
        self._write(rel, data, _PUBLIC_MODE)


def _organization_name(inst: Institution) -> str:
    # RFC 5280 caps organizationName at 64 characters; two official names are longer,
    # so those certificates carry the acronym and the manifest keeps the full name.
    return inst.name if len(inst.name) <= _MAX_ORGANIZATION_NAME else inst.acronym


def _write_federation(
    root: Path,
    passphrase: bytes,
    *,
    plan: Sequence[_Planned],
    san_entries: list[x509.GeneralName],
    hub_origin: str,
    now: datetime,
    validity: timedelta,
) -> FederationManifest:
    w = _Writer(root, passphrase)
    not_before = now - _CLOCK_SKEW
    not_after = now + validity

    w.mkdir("ca")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pxhub development federation"),
            x509.NameAttribute(NameOID.COMMON_NAME, "pxhub development root CA"),
        ]
    )
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    w.private_key("ca/ca.key", ca_key)
    ca_der = ca_cert.public_bytes(serialization.Encoding.DER)
    w.public("ca/ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM))
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)

    identities: list[IdentityRecord] = []
    for role, ident, inst in plan:
        base = _ROLE_DIRS[role] if role == "hub" else f"{_ROLE_DIRS[role]}/{ident}"
        if role != "hub" and not (root / _ROLE_DIRS[role]).exists():
            w.mkdir(_ROLE_DIRS[role])
        w.mkdir(base)

        tls_key = ec.generate_private_key(ec.SECP256R1())
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, ident)]
        if inst is not None:
            attrs = [
                x509.NameAttribute(NameOID.COUNTRY_NAME, inst.country_iso2),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _organization_name(inst)),
                *attrs,
            ]
        uri = x509.UniformResourceIdentifier(spiffe_id(role, ident))
        if role == "hub":
            san = x509.SubjectAlternativeName([*san_entries, uri])
            eku = ExtendedKeyUsageOID.SERVER_AUTH
        else:
            san = x509.SubjectAlternativeName([uri])
            eku = ExtendedKeyUsageOID.CLIENT_AUTH
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attrs))
            .issuer_name(ca_name)
            .public_key(tls_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
            .add_extension(san, critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(tls_key.public_key()), critical=False)
            .add_extension(aki, critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        w.private_key(f"{base}/tls.key", tls_key)
        w.public(f"{base}/tls.crt", cert.public_bytes(serialization.Encoding.PEM))

        keys: list[KeyRecord] = []
        for use in _ROLE_KEY_USES[role]:
            app_key: ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey
            algorithm: KeyAlgorithm
            if use == "encryption":
                app_key, algorithm = x25519.X25519PrivateKey.generate(), "x25519"
            else:
                app_key, algorithm = ed25519.Ed25519PrivateKey.generate(), "ed25519"
            pub = app_key.public_key()
            raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            w.private_key(f"{base}/{use}.key", app_key)
            w.public(
                f"{base}/{use}.pub",
                pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            )
            keys.append(
                KeyRecord(
                    key_id=key_id(ident, use, raw),
                    use=use,
                    algorithm=algorithm,
                    public_key=raw,
                    valid_from=now,
                    valid_until=not_after,
                    status="current",
                    private_key_path=f"{base}/{use}.key",
                    public_key_path=f"{base}/{use}.pub",
                )
            )
        identities.append(
            IdentityRecord(
                id=ident,
                role=role,
                spiffe_id=spiffe_id(role, ident),
                certificate_path=f"{base}/tls.crt",
                certificate_not_after=not_after,
                certificate_sha256=hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest(),
                tls_key_path=f"{base}/tls.key",
                keys=tuple(keys),
                acronym=inst.acronym if inst else None,
                institution_name=inst.name if inst else None,
                country_iso2=inst.country_iso2 if inst else None,
                country_name=inst.country_name if inst else None,
            )
        )

    manifest = FederationManifest(
        format_version=FORMAT_VERSION,
        hub_origin=hub_origin,
        created=now,
        trust_domain=TRUST_DOMAIN,
        ca_certificate_path="ca/ca.crt",
        ca_certificate_sha256=hashlib.sha256(ca_der).hexdigest(),
        ca_not_after=not_after,
        identities=tuple(identities),
    )
    text = json.dumps(_manifest_to_json(manifest), indent=2, ensure_ascii=False) + "\n"
    w.public(MANIFEST_NAME, text.encode("utf-8"))
    return manifest


def _key_usage(*, digital_signature: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
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


# --------------------------------------------------------------------------- manifest (de)serialisation


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _manifest_to_json(m: FederationManifest) -> dict[str, Any]:
    return {
        "format_version": m.format_version,
        "hub_origin": m.hub_origin,
        "created": _ts(m.created),
        "trust_domain": m.trust_domain,
        "ca": {
            "certificate_path": m.ca_certificate_path,
            "certificate_sha256": m.ca_certificate_sha256,
            "not_after": _ts(m.ca_not_after),
        },
        "identities": [
            {
                "id": i.id,
                "role": i.role,
                "spiffe_id": i.spiffe_id,
                **(
                    {
                        "acronym": i.acronym,
                        "institution_name": i.institution_name,
                        "country_iso2": i.country_iso2,
                        "country_name": i.country_name,
                    }
                    if i.role == "member"
                    else {}
                ),
                "certificate_path": i.certificate_path,
                "certificate_not_after": _ts(i.certificate_not_after),
                "certificate_sha256": i.certificate_sha256,
                "tls_key_path": i.tls_key_path,
                "keys": [
                    {
                        "key_id": k.key_id,
                        "use": k.use,
                        "algorithm": k.algorithm,
                        "public_key_b64": k.public_key_b64,
                        "valid_from": _ts(k.valid_from),
                        "valid_until": _ts(k.valid_until),
                        "status": k.status,
                        "private_key_path": k.private_key_path,
                        "public_key_path": k.public_key_path,
                    }
                    for k in i.keys
                ],
            }
            for i in m.identities
        ],
    }


_S = TypeVar("_S", bound=str)


class _Reader:
    """Typed access to the parsed JSON with errors that name the offending field."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> PkiError:
        return PkiError(f"{self.source}: {where}: {problem}")

    def obj(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {type(value).__name__}")
        return cast(dict[str, Any], value)

    def field(self, o: dict[str, Any], name: str, where: str) -> object:
        if name not in o:
            raise self.fail(where, f"missing field {name!r}")
        return o[name]

    def list_(self, o: dict[str, Any], name: str, where: str) -> list[object]:
        v = self.field(o, name, where)
        if not isinstance(v, list):
            raise self.fail(f"{where}.{name}", f"expected a list, got {type(v).__name__}")
        return cast(list[object], v)

    def str_(self, o: dict[str, Any], name: str, where: str) -> str:
        v = self.field(o, name, where)
        if not isinstance(v, str) or not v:
            raise self.fail(f"{where}.{name}", f"expected a non-empty string, got {v!r}")
        return v

    def choice(self, o: dict[str, Any], name: str, where: str, allowed: tuple[_S, ...]) -> _S:
        v = self.str_(o, name, where)
        if v not in allowed:
            raise self.fail(f"{where}.{name}", f"{v!r} is not one of {', '.join(allowed)}")
        return v

    def time(self, o: dict[str, Any], name: str, where: str) -> datetime:
        v = self.str_(o, name, where)
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            raise self.fail(f"{where}.{name}", f"{v!r} is not an ISO 8601 timestamp") from None
        if dt.tzinfo is None:
            raise self.fail(f"{where}.{name}", f"{v!r} has no time zone")
        return dt.astimezone(UTC)

    def rel_path(self, o: dict[str, Any], name: str, where: str) -> str:
        v = self.str_(o, name, where)
        parts = Path(v).parts
        if Path(v).is_absolute() or ".." in parts or not parts:
            raise self.fail(
                f"{where}.{name}", f"{v!r} must be a relative path inside the federation directory"
            )
        return v


def load_manifest(directory: Path) -> FederationManifest:
    """Read and check ``federation.json`` (public data only; no passphrase needed)."""
    path = Path(directory) / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PkiError(f"no federation at {directory}: {MANIFEST_NAME} not found") from None
    except OSError as e:
        raise PkiError(f"cannot read {path}: {e.strerror}") from e
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PkiError(f"{path} is not valid JSON: {e}") from None

    r = _Reader(path)
    top = r.obj(data, "manifest")
    version = r.field(top, "format_version", "manifest")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise r.fail(
            "manifest.format_version", f"unsupported version {version!r}; this code reads {FORMAT_VERSION}"
        )
    ca = r.obj(r.field(top, "ca", "manifest"), "manifest.ca")
    identities = tuple(
        _parse_identity(r, item, f"identities[{n}]")
        for n, item in enumerate(r.list_(top, "identities", "manifest"))
    )
    ids = [i.id for i in identities]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise r.fail("manifest.identities", f"duplicate identity ids: {', '.join(duplicates)}")
    return FederationManifest(
        format_version=FORMAT_VERSION,
        hub_origin=r.str_(top, "hub_origin", "manifest"),
        created=r.time(top, "created", "manifest"),
        trust_domain=r.str_(top, "trust_domain", "manifest"),
        ca_certificate_path=r.rel_path(ca, "certificate_path", "manifest.ca"),
        ca_certificate_sha256=r.str_(ca, "certificate_sha256", "manifest.ca"),
        ca_not_after=r.time(ca, "not_after", "manifest.ca"),
        identities=identities,
    )


def _parse_identity(r: _Reader, item: object, where: str) -> IdentityRecord:
    o = r.obj(item, where)
    role = r.choice(o, "role", where, _ROLES)
    try:
        ident = _validate_identity_id(role, r.str_(o, "id", where))
    except PkiError as e:
        raise r.fail(f"{where}.id", str(e)) from None
    where = f"identities[{ident}]"
    if r.str_(o, "spiffe_id", where) != spiffe_id(role, ident):
        raise r.fail(f"{where}.spiffe_id", f"expected {spiffe_id(role, ident)!r}")
    member_fields: dict[str, str | None] = dict.fromkeys(_MEMBER_FIELDS)
    if role == "member":
        member_fields = {name: r.str_(o, name, where) for name in _MEMBER_FIELDS}
        if not re.fullmatch(r"[A-Z]{2}", member_fields["country_iso2"] or ""):
            raise r.fail(f"{where}.country_iso2", "expected two letters A-Z")
    return IdentityRecord(
        id=ident,
        role=role,
        spiffe_id=spiffe_id(role, ident),
        certificate_path=r.rel_path(o, "certificate_path", where),
        certificate_not_after=r.time(o, "certificate_not_after", where),
        certificate_sha256=r.str_(o, "certificate_sha256", where),
        tls_key_path=r.rel_path(o, "tls_key_path", where),
        keys=tuple(
            _parse_key(r, ident, k, f"{where}.keys[{m}]") for m, k in enumerate(r.list_(o, "keys", where))
        ),
        **member_fields,
    )


def _parse_key(r: _Reader, owner: str, item: object, where: str) -> KeyRecord:
    o = r.obj(item, where)
    use = r.choice(o, "use", where, _USES)
    algorithm = r.choice(o, "algorithm", where, _ALGORITHMS)
    if algorithm != ALGORITHM_FOR_USE[use]:
        raise r.fail(f"{where}.algorithm", f"{algorithm!r} cannot be used for {use}")
    b64 = r.str_(o, "public_key_b64", where)
    try:
        pub = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise r.fail(f"{where}.public_key_b64", "not valid base64") from None
    if len(pub) != 32:
        raise r.fail(f"{where}.public_key_b64", f"{algorithm} public keys are 32 bytes, got {len(pub)}")
    kid = r.str_(o, "key_id", where)
    if kid != key_id(owner, use, pub):
        raise r.fail(
            f"{where}.key_id", f"{kid!r} does not match its public key ({key_id(owner, use, pub)!r})"
        )
    return KeyRecord(
        key_id=kid,
        use=use,
        algorithm=algorithm,
        public_key=pub,
        valid_from=r.time(o, "valid_from", where),
        valid_until=r.time(o, "valid_until", where),
        status=r.choice(o, "status", where, _STATUSES),
        private_key_path=r.rel_path(o, "private_key_path", where),
        public_key_path=r.rel_path(o, "public_key_path", where),
    )


# --------------------------------------------------------------------------- loading private material


def _read(directory: Path, rel: str, what: str) -> bytes:
    path = directory / rel
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise PkiError(f"missing {what} {path}") from None
    except OSError as e:
        raise PkiError(f"cannot read {what} {path}: {e.strerror}") from e


def _decrypt(directory: Path, rel: str, passphrase: bytes) -> _PrivateKey:
    path = directory / rel
    pem = _read(directory, rel, "private key")
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except TypeError:
        # The only TypeError here: the file holds an unencrypted key.
        raise PkiError(f"refusing {path}: the private key is not encrypted") from None
    except ValueError as e:
        # A wrong passphrase usually fails the padding check, but about one time in 256 the
        # garbage plaintext has valid padding and fails later, as undecodable key data. So an
        # encrypted PKCS#8 file that does not load is a wrong passphrase, whatever the text.
        if pem.lstrip().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"):
            raise PkiError(f"cannot decrypt {path}: wrong passphrase") from None
        raise PkiError(f"cannot load {path}: not an encrypted PKCS#8 PEM private key") from e
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey):
        raise PkiError(f"{path} holds a {type(key).__name__}; expected EC P-256, Ed25519 or X25519")
    return key


def _raw_public(key: ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _load_tls_pair(directory: Path, record: IdentityRecord, passphrase: bytes) -> tuple[bytes, bytes]:
    cert_pem = _read(directory, record.certificate_path, "certificate")
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise PkiError(f"{directory / record.certificate_path} is not a PEM certificate") from None
    key = _decrypt(directory, record.tls_key_path, passphrase)
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
    key = _decrypt(directory, rec.private_key_path, passphrase)
    expected = x25519.X25519PrivateKey if rec.algorithm == "x25519" else ed25519.Ed25519PrivateKey
    if not isinstance(key, expected) or _raw_public(key) != rec.public_key:
        raise PkiError(
            f"{directory / rec.private_key_path} does not match the manifest's {use} key {rec.key_id}"
        )
    return key, rec.key_id


def _load_ca(directory: Path, manifest: FederationManifest) -> bytes:
    pem = _read(directory, manifest.ca_certificate_path, "CA certificate")
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
    _check_passphrase(passphrase)
    manifest = load_manifest(directory)
    record = manifest.identity(identity_id)
    if record.role == "hub":
        raise PkiError(f"{identity_id!r} is the hub; use load_hub() for its server credentials")
    ca_pem = _load_ca(directory, manifest)
    cert_pem, tls_key_pem = _load_tls_pair(directory, record, passphrase)
    from hub.identity.keyring import HeldKeys, held_keys  # the keyring builds on this module

    # After a rotation the member's keyring says which keys it holds; before, the manifest does.
    held = held_keys(directory, identity_id, passphrase)
    if held is None:
        current: dict[str, tuple[_AppKey, str]] = {
            use: _load_app_key(directory, record, use, passphrase) for use in _USES if record.has_key(use)
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
    _check_passphrase(passphrase)
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


# --------------------------------------------------------------------------- peer identity


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
    if role_s not in _ROLES:
        raise PeerIdentityError(f"SAN URI {shown} names unknown role {role_s!r}")
    role = cast(Role, role_s)
    if role not in allowed_roles:
        raise PeerIdentityError(
            f"role {role!r} is not accepted here (accepted: {', '.join(sorted(allowed_roles))})"
        )
    try:
        _validate_identity_id(role, ident)
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
