"""The federation manifest (``federation.json``): the public description of every party.

Ids, roles, key ids and SPIFFE names; the manifest's records (identities, their certificates and
public application keys, never private ones) and their JSON form, read with errors that name the
offending field. Read by every party; written by whoever issues identities (the development CA
in :mod:`hub.dev.federation`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast, get_args

from cryptography.hazmat.primitives.asymmetric import ed25519

from hub.core.members import Institution, validate_member_id

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

ROLES: Final[tuple[Role, ...]] = get_args(Role)
USES: Final[tuple[KeyUse, ...]] = get_args(KeyUse)
_ALGORITHMS: Final[tuple[KeyAlgorithm, ...]] = get_args(KeyAlgorithm)
_STATUSES: Final[tuple[KeyStatus, ...]] = get_args(KeyStatus)
_MEMBER_FIELDS: Final = ("acronym", "institution_name", "country_iso2", "country_name")
_PRINCIPAL_ID = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*")
_PRINCIPAL_ID_MAX = 32


class PkiError(ValueError):
    """A federation cannot be created or loaded; the message says which file and why."""



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


def validate_identity_id(role: Role, identity_id: object) -> str:
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


# --------------------------------------------------------------------------- manifest (de)serialisation


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest_to_json(m: FederationManifest) -> dict[str, Any]:
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
    role = r.choice(o, "role", where, ROLES)
    try:
        ident = validate_identity_id(role, r.str_(o, "id", where))
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
    use = r.choice(o, "use", where, USES)
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
