"""Development federation: a private CA, mTLS certificates and application keys for every party.

``init_federation`` writes the whole set to one directory (private keys as encrypted PKCS#8,
0600) plus the public ``federation.json`` manifest. Everything is EC P-256 or Curve25519, so
creating a federation of seven members takes milliseconds and tests can afford a fresh one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.x509.oid import NameOID

from hub.core.members import Institution, institutions_from_data
from hub.identity.authority import CLOCK_SKEW, build_certificate, key_usage
from hub.identity.key_files import KeyFileWriter, check_passphrase
from hub.identity.manifest import (
    DEFAULT_HUB_ORIGIN,
    FORMAT_VERSION,
    HUB_ID,
    MANIFEST_NAME,
    MIN_PASSPHRASE_BYTES,
    TRUST_DOMAIN,
    FederationManifest,
    IdentityRecord,
    KeyAlgorithm,
    KeyRecord,
    KeyUse,
    PkiError,
    Role,
    key_id,
    manifest_to_json,
    spiffe_id,
    validate_identity_id,
)
from hub.runtime.clock import edge_clock, system_clock

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
_HOSTNAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*")
_DIR_MODE = 0o700


#: The development federation's members: data, not code (a real network grows by join requests).
DEFAULT_MEMBERS_FILE: Final = "default_members.json"


@cache
def default_members() -> tuple[Institution, ...]:
    """The seven founding members ``pxhub pki init`` creates, read from ``default_members.json``."""
    source = resources.files("hub.dev").joinpath(DEFAULT_MEMBERS_FILE)
    return institutions_from_data(json.loads(source.read_text("utf-8")), DEFAULT_MEMBERS_FILE)


def default_member_ids() -> tuple[str, ...]:
    """The default members' ids, in file order (the demo's and the samples' seven)."""
    return tuple(m.member_id for m in default_members())


# --------------------------------------------------------------------------- creation


def demo_pseudonym_key(controller: str) -> bytes:
    """A member's pseudonym key in a development federation, derived from its id: not a secret.

    The demo's consent flow and ``pxhub consent pseudonym --dev-key`` share it, so the pseudonyms
    the demo registers can be recomputed. A real member keeps a random key in its own vault.
    """
    return hashlib.sha256(b"pxhub development pseudonym key\x00" + controller.encode()).digest()


def init_federation(
    directory: Path,
    passphrase: bytes,
    *,
    members: Sequence[Institution] | None = None,
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
    check_passphrase(passphrase)
    if len(passphrase) < MIN_PASSPHRASE_BYTES:
        raise PkiError(f"passphrase is {len(passphrase)} bytes; at least {MIN_PASSPHRASE_BYTES} are required")
    # TLS handshakes check certificates against the machine's clock, whatever clock the edges run on
    # (PXHUB_CLOCK): certificates follow the machine's clock unless ``now`` is given.
    certificates_now = now if now is not None else system_clock()
    if now is None:
        now = edge_clock()
    if now.tzinfo is None or now.utcoffset() is None:
        raise PkiError("now must be timezone-aware (e.g. datetime.now(UTC))")
    now = now.astimezone(UTC).replace(microsecond=0)
    certificates_now = certificates_now.astimezone(UTC).replace(microsecond=0)
    if isinstance(validity_days, bool) or not isinstance(validity_days, int) or validity_days < 1:
        raise PkiError(f"validity_days must be a positive integer, got {validity_days!r}")
    if (
        not isinstance(hub_origin, str)
        or not hub_origin
        or hub_origin != hub_origin.strip()
        or not hub_origin.isprintable()
    ):
        raise PkiError(f"hub_origin must be a non-empty single line of printable text, got {hub_origin!r}")
    plan = _plan_identities(default_members() if members is None else members, auditors, operators)
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
            certificates_now=certificates_now,
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
        validate_identity_id("member", m.member_id)
        if not re.fullmatch(r"[A-Z]{2}", m.country_iso2):
            raise PkiError(f"member {m.member_id}: country_iso2 {m.country_iso2!r} is not two letters A-Z")
        if not m.name.strip():
            raise PkiError(f"member {m.member_id}: institution name is empty")
        plan.append(_Planned("member", m.member_id, m))
    plan.extend(_Planned("auditor", validate_identity_id("auditor", a), None) for a in auditors)
    plan.extend(_Planned("operator", validate_identity_id("operator", o), None) for o in operators)
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


def _write_federation(
    root: Path,
    passphrase: bytes,
    *,
    plan: Sequence[_Planned],
    san_entries: list[x509.GeneralName],
    hub_origin: str,
    now: datetime,
    certificates_now: datetime,
    validity: timedelta,
) -> FederationManifest:
    w = KeyFileWriter(root, passphrase)
    not_before = certificates_now - CLOCK_SKEW
    not_after = certificates_now + validity

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
        .add_extension(key_usage(cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    w.private_key("ca/ca.key", ca_key)
    ca_der = ca_cert.public_bytes(serialization.Encoding.DER)
    w.public("ca/ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM))

    identities: list[IdentityRecord] = []
    for role, ident, inst in plan:
        base = _ROLE_DIRS[role] if role == "hub" else f"{_ROLE_DIRS[role]}/{ident}"
        if role != "hub" and not (root / _ROLE_DIRS[role]).exists():
            w.mkdir(_ROLE_DIRS[role])
        w.mkdir(base)

        tls_key = ec.generate_private_key(ec.SECP256R1())
        cert = build_certificate(
            ca_key, ca_cert, tls_key.public_key(), role, ident, inst, not_before, not_after, san_entries
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
                    valid_until=now + validity,
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
    text = json.dumps(manifest_to_json(manifest), indent=2, ensure_ascii=False) + "\n"
    w.public(MANIFEST_NAME, text.encode("utf-8"))
    return manifest
