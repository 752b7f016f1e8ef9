"""The member directory: who is in the network, in which role, with which keys.

Loaded from the federation manifest (``pxhub pki init``), served signed by
``DirectoryService`` and used by the envelope verifier as its key resolver.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from google.protobuf.timestamp_pb2 import Timestamp

from hub.core import signing
from hub.runtime.clock import edge_clock
from pxhub.v1 import directory_pb2, envelope_pb2

ROLE_TO_PROTO = {
    "member": directory_pb2.MEMBER_ROLE_MEMBER,
    "auditor": directory_pb2.MEMBER_ROLE_AUDITOR,
    "operator": directory_pb2.MEMBER_ROLE_OPERATOR,
}
USE_TO_PROTO = {
    "signing": directory_pb2.KEY_USE_SIGNING,
    "encryption": directory_pb2.KEY_USE_ENCRYPTION,
    "approver": directory_pb2.KEY_USE_APPROVER,
}
ALGORITHM_TO_PROTO = {
    "ed25519": directory_pb2.KEY_ALGORITHM_ED25519,
    "x25519": directory_pb2.KEY_ALGORITHM_X25519,
}
MEMBER_STATUS_TO_PROTO = {
    "active": directory_pb2.MEMBER_STATUS_ACTIVE,
    "suspended": directory_pb2.MEMBER_STATUS_SUSPENDED,
    "revoked": directory_pb2.MEMBER_STATUS_REVOKED,
}
MEMBER_STATUS_FROM_PROTO = {value: name for name, value in MEMBER_STATUS_TO_PROTO.items()}
KEY_STATUS_TO_PROTO = {
    "current": directory_pb2.KEY_STATUS_CURRENT,
    "previous": directory_pb2.KEY_STATUS_PREVIOUS,
    "revoked": directory_pb2.KEY_STATUS_REVOKED,
}
CERTIFICATE_STATUS_TO_PROTO = {
    "current": directory_pb2.CERTIFICATE_STATUS_CURRENT,
    "previous": directory_pb2.CERTIFICATE_STATUS_PREVIOUS,
}

#: How long before its end a certificate or key is flagged by default: the hub warns at start (setting
#: ``expiry_warning_days``), ``pxhub members`` highlights it (``--warn-days``), and the rotate-keys flow
#: rotates a key that is this close to its end.
EXPIRY_WARNING = timedelta(days=30)


def _timestamp(value: datetime | None) -> Timestamp:
    stamp = Timestamp()
    if value is not None:
        stamp.FromDatetime(value.astimezone(UTC))
    return stamp


@dataclass(frozen=True)
class KeyEntry:
    key_id: str
    use: str
    algorithm: str
    public_key: bytes
    valid_from: datetime
    valid_until: datetime
    status: str = "current"

    def usable_at(self, now: datetime) -> bool:
        return self.status != "revoked" and self.valid_from <= now <= self.valid_until


@dataclass(frozen=True)
class CertificateEntry:
    """A TLS client certificate the directory lets a member connect with."""

    sha256: str  # hex SHA-256 of the DER
    serial: str  # hex
    not_before: datetime
    not_after: datetime
    status: str = "current"  # or "previous": replaced by a renewal, accepted until not_after

    def accepted_at(self, now: datetime) -> bool:
        return self.not_before <= now <= self.not_after


@dataclass(frozen=True)
class RevokedCertificate:
    """An entry of the directory's trust list."""

    member_id: str
    sha256: str
    serial: str
    revoked_at: datetime
    reason: str


@dataclass
class MemberEntry:
    member_id: str
    role: str
    institution_name: str = ""
    acronym: str = ""
    country_iso2: str = ""
    country_name: str = ""
    status: str = "active"
    certificate_not_after: datetime | None = None
    keys: list[KeyEntry] = field(default_factory=list)
    certificates: list[CertificateEntry] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status == "active"

    def key(self, key_id: str, use: str) -> KeyEntry | None:
        for key in self.keys:
            if key.key_id == key_id and key.use == use:
                return key
        return None

    def current_key(self, use: str) -> KeyEntry | None:
        for key in self.keys:
            if key.use == use and key.status == "current":
                return key
        return None


@dataclass(frozen=True)
class Expiry:
    """A certificate or key of an active or suspended member that ends within the warning window."""

    member_id: str
    what: str  # "certificate" or "<use> key"
    ident: str  # the certificate's serial or the key id
    ends: datetime
    days: int  # whole days left; negative once it has ended

    def text(self) -> str:
        when = self.ends.date().isoformat()
        if self.days < 0:
            return f"{self.what} {self.ident} expired on {when}"
        return f"{self.what} {self.ident} expires on {when} (in {self.days} d)"


class Directory:
    """Members by id; implements the envelope ``KeyResolver`` protocol."""

    def __init__(
        self,
        members: Iterable[MemberEntry],
        hub_origin: str = "pxhub.dev/hub",
        version: int = 1,
        revoked: Iterable[RevokedCertificate] = (),
    ):
        self.members = {m.member_id: m for m in members}
        self.hub_origin = hub_origin
        self.version = version
        #: The trust list: revoked certificates by SHA-256.
        self.revoked: dict[str, RevokedCertificate] = {r.sha256: r for r in revoked}

    @classmethod
    def from_federation(cls, federation_dir: Path) -> Directory:
        from hub.identity.manifest import load_manifest

        manifest = load_manifest(federation_dir)
        members = []
        for identity in manifest.identities:
            if identity.role == "hub":
                continue
            certificate = _manifest_certificate(federation_dir, identity.certificate_path)
            members.append(
                MemberEntry(
                    member_id=identity.id,
                    role=identity.role,
                    institution_name=identity.institution_name or "",
                    acronym=identity.acronym or "",
                    country_iso2=identity.country_iso2 or "",
                    country_name=identity.country_name or "",
                    certificate_not_after=identity.certificate_not_after,
                    keys=[
                        KeyEntry(
                            key_id=k.key_id,
                            use=k.use,
                            algorithm=k.algorithm,
                            public_key=k.public_key,
                            valid_from=k.valid_from,
                            valid_until=k.valid_until,
                            status=k.status,
                        )
                        for k in identity.keys
                    ],
                    certificates=[certificate] if certificate is not None else [],
                )
            )
        return cls(members, hub_origin=manifest.hub_origin)

    def member(self, member_id: str) -> MemberEntry | None:
        return self.members.get(member_id)

    def expiring(self, now: datetime, within: timedelta = EXPIRY_WARNING) -> list[Expiry]:
        """Every current certificate and current key that ends before ``now + within`` (or has
        ended), of every member not revoked, in directory order: what ``pxhub members`` and the
        hub's log warn of."""
        out: list[Expiry] = []
        for member in self.members.values():
            if member.status == "revoked":
                continue
            ends: list[tuple[str, str, datetime]] = [
                ("certificate", c.serial, c.not_after) for c in member.certificates if c.status == "current"
            ]
            if not member.certificates and member.certificate_not_after is not None:
                ends.append(("certificate", "", member.certificate_not_after))
            ends += [(f"{k.use} key", k.key_id, k.valid_until) for k in member.keys if k.status == "current"]
            for what, ident, until in ends:
                if until - now < within:
                    days = (until - now) // timedelta(days=1)
                    out.append(Expiry(member.member_id, what, ident, until, days))
        return out

    def rotate_key(self, member_id: str, new_key: KeyEntry, now: datetime, overlap: timedelta) -> None:
        """Make ``new_key`` current; the current key of its use becomes previous until ``now + overlap``.

        A previous key still verifies what it signed (and recipients keep its private key) during
        the overlap; after it, ``usable_at`` is false and it is retired.
        """
        member = self.members[member_id]
        if member.key(new_key.key_id, new_key.use) is not None:
            raise ValueError(f"{member_id} already has key {new_key.key_id!r}")
        keys = [
            replace(key, status="previous", valid_until=min(key.valid_until, now + overlap))
            if key.use == new_key.use and key.status == "current"
            else key
            for key in member.keys
        ]
        keys.append(replace(new_key, status="current"))
        member.keys = keys  # one assignment: readers on other threads see the old or the new list
        self.version += 1

    def set_status(self, member_id: str, status: str, at: datetime | None = None, reason: str = "") -> None:
        """active, suspended or revoked; a revoked member's keys are revoked with it and its
        certificates join the trust list (dated ``at``)."""
        if status not in MEMBER_STATUS_TO_PROTO:
            raise ValueError(f"unknown member status {status!r}")
        member = self.members[member_id]
        if status == "revoked":
            member.keys = [replace(key, status="revoked") for key in member.keys]
            for certificate in member.certificates:
                self._revoke(member_id, certificate, at, reason or "member revoked")
        member.status = status
        self.version += 1

    def _revoke(
        self, member_id: str, certificate: CertificateEntry, at: datetime | None, reason: str
    ) -> None:
        if certificate.sha256 not in self.revoked:
            when = at if at is not None else certificate.not_before
            self.revoked[certificate.sha256] = RevokedCertificate(
                member_id, certificate.sha256, certificate.serial, when, reason
            )

    def add_member(self, entry: MemberEntry) -> None:
        """A newly admitted member (the caller checked its id is free)."""
        self.members[entry.member_id] = entry
        self.version += 1

    def renew_certificate(
        self, member_id: str, certificate: CertificateEntry, now: datetime, overlap: timedelta
    ) -> None:
        """``certificate`` becomes current; the one it replaces is accepted until ``now + overlap``."""
        member = self.members[member_id]
        kept = [
            replace(c, status="previous", not_after=min(c.not_after, now + overlap))
            if c.status == "current"
            else c
            for c in member.certificates
        ]
        member.certificates = [*kept, replace(certificate, status="current")]
        member.certificate_not_after = certificate.not_after
        self.version += 1

    def revoke_certificate(self, member_id: str, sha256: str, at: datetime, reason: str) -> None:
        """Put one of ``member_id``'s certificates on the trust list."""
        member = self.members[member_id]
        certificate = next(c for c in member.certificates if c.sha256 == sha256)
        self._revoke(member_id, certificate, at, reason)
        self.version += 1

    def certificate_refusal(self, member_id: str, sha256: str, now: datetime) -> str | None:
        """Why the hub refuses ``member_id`` connecting with certificate ``sha256`` (None: accepted).

        ``"revoked"`` when it is on the trust list; ``"unknown"`` when the directory names other
        certificates for the member and not this one (or its overlap has ended).
        """
        if sha256 in self.revoked:
            return "revoked"
        member = self.members.get(member_id)
        if member is None or not member.certificates:
            return None  # an entry that names no certificate: identified by its name alone
        for certificate in member.certificates:
            if certificate.sha256 == sha256 and certificate.accepted_at(now):
                return None
        return "unknown"

    def apply_trust_list(self) -> list[str]:
        """Treat every member whose current certificate is on the trust list as revoked.

        What a member does with a directory it loads: a peer entry presenting a revoked
        certificate is not trusted to receive or to have signed anything, whatever its status
        says. Returns the ids so treated.
        """
        distrusted = []
        for member in self.members.values():
            current = [c for c in member.certificates if c.status == "current"]
            if current and all(c.sha256 in self.revoked for c in current) and member.status != "revoked":
                member.keys = [replace(key, status="revoked") for key in member.keys]
                member.status = "revoked"
                distrusted.append(member.member_id)
        return distrusted

    def national_members(self) -> list[MemberEntry]:
        return [m for m in self.members.values() if m.role == "member"]

    def _public(self, member_id: str, key_id: str, use: str) -> KeyEntry | None:
        member = self.members.get(member_id)
        if member is None:
            return None
        key = member.key(key_id, use)
        if key is None or not key.usable_at(edge_clock()):
            return None
        return key

    # KeyResolver protocol
    def signing_key(self, member_id: str, key_id: str) -> Ed25519PublicKey | None:
        key = self._public(member_id, key_id, "signing")
        return Ed25519PublicKey.from_public_bytes(key.public_key) if key else None

    def approver_key(self, member_id: str, key_id: str) -> Ed25519PublicKey | None:
        key = self._public(member_id, key_id, "approver")
        return Ed25519PublicKey.from_public_bytes(key.public_key) if key else None

    def encryption_key(self, member_id: str) -> tuple[str, X25519PublicKey] | None:
        member = self.members.get(member_id)
        key = member.current_key("encryption") if member and member.status != "revoked" else None
        if key is None:
            return None
        return key.key_id, X25519PublicKey.from_public_bytes(key.public_key)

    def to_proto(
        self, hub_key: KeyEntry | None = None, now: datetime | None = None
    ) -> directory_pb2.Directory:
        message = directory_pb2.Directory(
            version=self.version, hub_origin=self.hub_origin, issued_at=_timestamp(now or datetime.now(UTC))
        )
        for member in self.members.values():
            message.members.append(member_to_proto(member))
        for revoked in self.revoked.values():
            entry = message.revoked_certificates.add(
                member_id=revoked.member_id,
                sha256=revoked.sha256,
                serial=revoked.serial,
                reason=revoked.reason,
            )
            entry.revoked_at.CopyFrom(_timestamp(revoked.revoked_at))
        if hub_key is not None:
            message.hub_key.CopyFrom(key_to_proto(hub_key))
        return message

    @classmethod
    def from_proto(cls, message: directory_pb2.Directory) -> Directory:
        """The directory as a member loads it: its trust list applied (:meth:`apply_trust_list`)."""
        revoked = [
            RevokedCertificate(r.member_id, r.sha256, r.serial, r.revoked_at.ToDatetime(UTC), r.reason)
            for r in message.revoked_certificates
        ]
        directory = cls(
            (member_from_proto(m) for m in message.members), message.hub_origin, message.version, revoked
        )
        directory.apply_trust_list()
        return directory


def _manifest_certificate(federation_dir: Path, rel: str) -> CertificateEntry | None:
    """The certificate a manifest entry names, when its file is at hand (the operator's, the hub's folder)."""
    try:
        certificate = x509.load_pem_x509_certificate((Path(federation_dir) / rel).read_bytes())
    except (OSError, ValueError):
        return None
    return certificate_entry(certificate)


def certificate_entry(certificate: x509.Certificate, status: str = "current") -> CertificateEntry:
    from cryptography.hazmat.primitives import serialization

    der = certificate.public_bytes(serialization.Encoding.DER)
    return CertificateEntry(
        sha256=hashlib.sha256(der).hexdigest(),
        serial=format(certificate.serial_number, "x"),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        status=status,
    )


def key_to_proto(key: KeyEntry) -> directory_pb2.PublicKey:
    return directory_pb2.PublicKey(
        key_id=key.key_id,
        use=USE_TO_PROTO[key.use],
        algorithm=ALGORITHM_TO_PROTO[key.algorithm],
        public_key=key.public_key,
        valid_from=_timestamp(key.valid_from),
        valid_until=_timestamp(key.valid_until),
        status=KEY_STATUS_TO_PROTO[key.status],
    )


def member_to_proto(member: MemberEntry) -> directory_pb2.Member:
    message = directory_pb2.Member(
        member_id=member.member_id,
        institution_name=member.institution_name,
        acronym=member.acronym,
        country_iso2=member.country_iso2,
        country_name=member.country_name,
        status=MEMBER_STATUS_TO_PROTO[member.status],
        role=ROLE_TO_PROTO[member.role],
        keys=[key_to_proto(k) for k in member.keys],
    )
    if member.certificate_not_after is not None:
        message.certificate_not_after.CopyFrom(_timestamp(member.certificate_not_after))
    for certificate in member.certificates:
        message.certificates.add(
            sha256=certificate.sha256,
            serial=certificate.serial,
            not_before=_timestamp(certificate.not_before),
            not_after=_timestamp(certificate.not_after),
            status=CERTIFICATE_STATUS_TO_PROTO[certificate.status],
        )
    return message


def _reverse(mapping: Mapping[str, int]) -> dict[int, str]:
    return {v: k for k, v in mapping.items()}


_USES, _ALGORITHMS, _KEY_STATUSES, _CERTIFICATE_STATUSES = (
    _reverse(USE_TO_PROTO),
    _reverse(ALGORITHM_TO_PROTO),
    _reverse(KEY_STATUS_TO_PROTO),
    _reverse(CERTIFICATE_STATUS_TO_PROTO),
)


def key_from_proto(k: directory_pb2.PublicKey, status: str | None = None) -> KeyEntry:
    """Raises ``KeyError`` for an unspecified or unknown use, algorithm or status (unless given)."""
    return KeyEntry(
        key_id=k.key_id,
        use=_USES[k.use],
        algorithm=_ALGORITHMS[k.algorithm],
        public_key=k.public_key,
        valid_from=k.valid_from.ToDatetime(UTC),
        valid_until=k.valid_until.ToDatetime(UTC),
        status=status or _KEY_STATUSES[k.status],
    )


def member_from_proto(message: directory_pb2.Member) -> MemberEntry:
    return MemberEntry(
        member_id=message.member_id,
        role=_reverse(ROLE_TO_PROTO)[message.role],
        institution_name=message.institution_name,
        acronym=message.acronym,
        country_iso2=message.country_iso2,
        country_name=message.country_name,
        status=MEMBER_STATUS_FROM_PROTO.get(message.status, "suspended"),  # an unknown status is not active
        certificate_not_after=(
            message.certificate_not_after.ToDatetime(UTC)
            if message.HasField("certificate_not_after")
            else None
        ),
        keys=[key_from_proto(k) for k in message.keys],
        certificates=[
            CertificateEntry(
                sha256=c.sha256,
                serial=c.serial,
                not_before=c.not_before.ToDatetime(UTC),
                not_after=c.not_after.ToDatetime(UTC),
                status=_CERTIFICATE_STATUSES.get(c.status, "previous"),
            )
            for c in message.certificates
        ],
    )


def sign_directory(
    message: directory_pb2.Directory, hub_key: Ed25519PrivateKey, hub_key_id: str
) -> directory_pb2.GetDirectoryResponse:
    """Serialise once and sign those exact bytes."""
    data = message.SerializeToString()
    return directory_pb2.GetDirectoryResponse(
        directory=data,
        signature=envelope_pb2.Signature(
            signer="hub",
            key_id=hub_key_id,
            algorithm=envelope_pb2.SIGNATURE_ALGORITHM_ED25519,
            value=signing.sign(signing.DIRECTORY, data, hub_key),
        ),
    )


class DirectorySignatureError(ValueError):
    pass


def verify_directory(
    response: directory_pb2.GetDirectoryResponse, hub_public_key: Ed25519PublicKey
) -> directory_pb2.Directory:
    """Check the hub's signature over the exact bytes, then parse them."""
    if not signing.verify(signing.DIRECTORY, response.directory, response.signature.value, hub_public_key):
        raise DirectorySignatureError("directory signature does not verify under the hub key")
    message = directory_pb2.Directory()
    message.ParseFromString(response.directory)
    return message
