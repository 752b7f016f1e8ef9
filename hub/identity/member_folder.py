"""A member's own folder: its keys made on its machine, its join request, and the bundle it installs.

``create_join_request`` (``pxhub join request``) makes a new institution's TLS, signing,
encryption and approver keys (encrypted, 0600) and its signed join request, in a folder of its
own; no other party ever holds these private keys. The operator answers with a *member bundle*
(``write_member_bundle``: the member's certificate, the CA certificate, the hub's public record,
the hub address and the hub-signed directory); ``install_bundle`` (``pxhub join install``) checks
it against the member's keys and writes it in, after which the folder is an ordinary federation
folder (``federation.json`` with the hub and this member only) that ``MemberClient.connect`` and
every flow take as ``--federation-dir``. ``create_renewal_request`` (``pxhub join renew``) makes a
new TLS key and a renewal request signed with the member's current signing key.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519

from hub.core.envelope import SignerKey
from hub.core.members import Institution, validate_member_id
from hub.identity.authority import certificate_sha256, make_csr
from hub.identity.directory import Directory, KeyEntry, verify_directory
from hub.identity.join import DEFAULT_REQUEST_VALIDITY, read_join_request, sign_join_request
from hub.identity.key_files import DIR_MODE, KeyFileWriter, check_passphrase, decrypt_private_key
from hub.identity.keyring import keyring_or_manifest
from hub.identity.manifest import (
    ALGORITHM_FOR_USE,
    MANIFEST_NAME,
    MIN_PASSPHRASE_BYTES,
    USES,
    IdentityRecord,
    KeyRecord,
    PkiError,
    key_id,
    load_manifest,
    manifest_to_json,
    spiffe_id,
)
from hub.runtime.files import write_atomically
from pxhub.v1 import directory_pb2

JOIN_REQUEST_FILE: Final = "join-request.binpb"
RENEWAL_REQUEST_FILE: Final = "renewal-request.binpb"
#: The hub-signed directory as the bundle brought it (the member refreshes it from the hub).
SIGNED_DIRECTORY_FILE: Final = "directory.binpb"
#: HOST:PORT of the hub, one line.
HUB_ADDRESS_FILE: Final = "hub-address"
NEXT_TLS_KEY: Final = "tls-next.key"
#: How long a new institution's application keys are valid (rotated before, by the keys flow).
KEY_VALIDITY: Final = timedelta(days=730)


def _base(member_id: str) -> str:
    return f"members/{member_id}"


def _staging(folder: Path) -> Path:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise PkiError(f"{folder} exists and is not an empty folder; refusing to write there")
    folder.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))


def _move_into_place(staging: Path, folder: Path) -> None:
    os.chmod(staging, DIR_MODE)
    if folder.exists():
        folder.rmdir()  # empty (checked): rename replaces only a missing name
    os.rename(staging, folder)


def _check_passphrase(passphrase: bytes) -> None:
    check_passphrase(passphrase)
    if len(passphrase) < MIN_PASSPHRASE_BYTES:
        raise PkiError(f"passphrase is {len(passphrase)} bytes; at least {MIN_PASSPHRASE_BYTES} are required")


def create_join_request(
    folder: Path,
    passphrase: bytes,
    institution: Institution,
    contact: str,
    now: datetime,
    validity: timedelta = DEFAULT_REQUEST_VALIDITY,
) -> directory_pb2.SignedJoinRequest:
    """New keys and a signed join request in the new (or empty) ``folder``; all or nothing."""
    folder = Path(os.path.abspath(folder))
    _check_passphrase(passphrase)
    member_id = validate_member_id(institution.member_id)
    staging = _staging(folder)
    try:
        w = KeyFileWriter(staging, passphrase)
        base = _base(member_id)
        w.mkdir("members")
        w.mkdir(base)
        tls_key = ec.generate_private_key(ec.SECP256R1())
        w.private_key(f"{base}/tls.key", tls_key)
        keys: list[KeyEntry] = []
        signing: ed25519.Ed25519PrivateKey | None = None
        for use in USES:
            private: ed25519.Ed25519PrivateKey | x25519.X25519PrivateKey = (
                x25519.X25519PrivateKey.generate()
                if use == "encryption"
                else ed25519.Ed25519PrivateKey.generate()
            )
            if use == "signing":
                assert isinstance(private, ed25519.Ed25519PrivateKey)
                signing = private
            raw = private.public_key().public_bytes_raw()
            w.private_key(f"{base}/{use}.key", private)
            w.public(
                f"{base}/{use}.pub",
                private.public_key().public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                ),
            )
            keys.append(
                KeyEntry(
                    key_id(member_id, use, raw), use, ALGORITHM_FOR_USE[use], raw, now, now + KEY_VALIDITY
                )
            )
        assert signing is not None
        signed = sign_join_request(
            "join",
            institution,
            contact,
            make_csr(tls_key, member_id, institution),
            keys,
            now,
            now + validity,
            SignerKey(member_id, keys[0].key_id, signing),
        )
        read_join_request(signed, now)  # the same checks the operator and the hub will run
        w.public(JOIN_REQUEST_FILE, signed.SerializeToString())
        _move_into_place(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return signed


def create_renewal_request(
    folder: Path,
    member_id: str,
    passphrase: bytes,
    now: datetime,
    contact: str = "",
    validity: timedelta = DEFAULT_REQUEST_VALIDITY,
) -> directory_pb2.SignedJoinRequest:
    """A new TLS key (``tls-next.key``) and a renewal request signed with the current signing key."""
    from hub.identity.credentials import load_identity

    folder = Path(folder)
    identity = load_identity(folder, member_id, passphrase)
    record = load_manifest(folder).identity(member_id)
    institution = record.institution
    if institution is None:
        raise PkiError(f"{member_id} is not a member with an institution")
    current = [e for e in keyring_or_manifest(folder, member_id) if e.status == "current"]
    keys = [
        KeyEntry(e.key_id, e.use, e.algorithm, e.public_key, e.valid_from, e.valid_until) for e in current
    ]
    tls_key = ec.generate_private_key(ec.SECP256R1())
    signed = sign_join_request(
        "renew",
        institution,
        contact or f"renewal by {member_id}",
        make_csr(tls_key, member_id, institution),
        keys,
        now,
        now + validity,
        SignerKey(member_id, identity.signing_key_id, identity.signing_key),
    )
    read_join_request(signed, now)
    pem = tls_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    write_atomically(folder / _base(member_id) / NEXT_TLS_KEY, pem)
    write_atomically(folder / RENEWAL_REQUEST_FILE, signed.SerializeToString(), 0o644)
    return signed


def read_signed_request(path: Path) -> directory_pb2.SignedJoinRequest:
    """A join or renewal request file, parsed (not yet checked)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise PkiError(f"cannot read the request {path}: {error.strerror}") from None
    signed = directory_pb2.SignedJoinRequest()
    try:
        signed.ParseFromString(data)
    except Exception:
        raise PkiError(f"{path} is not a join request file") from None
    return signed


def member_record(
    member_id: str, institution: Institution, keys: Sequence[KeyEntry], certificate: x509.Certificate
) -> IdentityRecord:
    """The manifest record of a member whose files follow the standard layout of its folder."""
    base = _base(member_id)
    return IdentityRecord(
        id=member_id,
        role="member",
        spiffe_id=spiffe_id("member", member_id),
        certificate_path=f"{base}/tls.crt",
        certificate_not_after=certificate.not_valid_after_utc,
        certificate_sha256=certificate_sha256(certificate),
        tls_key_path=f"{base}/tls.key",
        keys=tuple(
            KeyRecord(
                key_id=k.key_id,
                use=k.use,  # type: ignore[arg-type]
                algorithm=k.algorithm,  # type: ignore[arg-type]
                public_key=k.public_key,
                valid_from=k.valid_from,
                valid_until=k.valid_until,
                status="current",
                private_key_path=f"{base}/{k.use}.key",
                public_key_path=f"{base}/{k.use}.pub",
            )
            for k in keys
        ),
        acronym=institution.acronym,
        institution_name=institution.name,
        country_iso2=institution.country_iso2,
        country_name=institution.country_name,
    )


def write_member_bundle(
    out: Path,
    operator_dir: Path,
    record: IdentityRecord,
    certificate_pem: bytes,
    signed_directory: directory_pb2.GetDirectoryResponse,
    hub_address: str,
    *,
    with_private_keys: bool = False,
) -> Path:
    """What a member needs to connect, in a new folder ``out``: its certificate, the CA certificate,
    the hub's public record, the hub address and the signed directory.

    ``with_private_keys`` (a development federation, where the operator's folder holds every
    party's keys) copies the member's private key files too; otherwise the member keeps its own
    and installs the bundle into its folder (``install_bundle``).
    """
    operator_dir = Path(operator_dir)
    out = Path(os.path.abspath(out))
    manifest = load_manifest(operator_dir)
    hub = manifest.hub
    staging = _staging(out)
    try:
        w = KeyFileWriter(staging, b"unused")
        w.mkdir("ca")
        w.mkdir("hub")
        w.mkdir("members")
        w.mkdir(_base(record.id))
        w.public(manifest.ca_certificate_path, (operator_dir / manifest.ca_certificate_path).read_bytes())
        w.public(hub.certificate_path, (operator_dir / hub.certificate_path).read_bytes())
        w.public(record.certificate_path, certificate_pem)
        if with_private_keys:
            for rel in {
                record.tls_key_path,
                *(k.private_key_path for k in record.keys),
                *(k.public_key_path for k in record.keys),
            }:
                source = operator_dir / rel
                if not source.is_file():
                    raise PkiError(
                        f"{source} is missing: export needs the member's files in the operator's folder"
                    )
                (staging / rel).parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
                shutil.copy2(source, staging / rel)
        bundle = replace(manifest, identities=(hub, record))
        text = json.dumps(manifest_to_json(bundle), indent=2, ensure_ascii=False) + "\n"
        w.public(MANIFEST_NAME, text.encode("utf-8"))
        w.public(SIGNED_DIRECTORY_FILE, signed_directory.SerializeToString())
        w.public(HUB_ADDRESS_FILE, (hub_address + "\n").encode("utf-8"))
        _move_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def install_bundle(folder: Path, bundle: Path, passphrase: bytes) -> IdentityRecord:
    """Check the bundle against the member's own keys in ``folder`` and write it in.

    The certificate must be for the folder's TLS key (``tls.key``, or ``tls-next.key`` after a
    renewal request, which then becomes ``tls.key``); the signed directory must verify under the
    bundle's hub key and name this certificate as the member's current one. Nothing is written
    unless every check passes.
    """
    folder, bundle = Path(folder), Path(bundle)
    manifest = load_manifest(bundle)
    members = manifest.by_role("member")
    if len(members) != 1:
        raise PkiError(f"{bundle} is not a member bundle (it names {len(members)} members)")
    record = members[0]
    base = folder / _base(record.id)
    certificate_pem = (bundle / record.certificate_path).read_bytes()
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    if certificate_sha256(certificate) != record.certificate_sha256:
        raise PkiError("the bundle's certificate is not the one its federation.json names")
    renewing = _tls_key_for(base, certificate, passphrase, record.id) == NEXT_TLS_KEY
    for key_record in record.keys:
        pub = base / Path(key_record.public_key_path).name
        if not pub.is_file() and not (folder / key_record.private_key_path).is_file():
            raise PkiError(f"{record.id} holds no {key_record.use} key {key_record.key_id} in {folder}")
    signed = directory_pb2.GetDirectoryResponse.FromString((bundle / SIGNED_DIRECTORY_FILE).read_bytes())
    directory = Directory.from_proto(verify_directory(signed, manifest.hub_public_key()))
    entry = directory.member(record.id)
    if entry is None or not any(
        c.sha256 == record.certificate_sha256 and c.status == "current" for c in entry.certificates
    ):
        raise PkiError(f"the bundle's signed directory does not name this certificate for {record.id}")
    if folder.joinpath(MANIFEST_NAME).is_file():  # a renewal keeps the member's own key records
        own = load_manifest(folder).identity(record.id)
        record = replace(
            own,
            certificate_not_after=record.certificate_not_after,
            certificate_sha256=record.certificate_sha256,
        )
        manifest = replace(manifest, identities=(manifest.hub, record))
    for rel in (manifest.ca_certificate_path, manifest.hub.certificate_path):
        write_atomically(folder / rel, (bundle / rel).read_bytes(), 0o644)
    if renewing:
        os.replace(base / NEXT_TLS_KEY, base / "tls.key")
    write_atomically(folder / record.certificate_path, certificate_pem, 0o644)
    for name in (SIGNED_DIRECTORY_FILE, HUB_ADDRESS_FILE):
        write_atomically(folder / name, (bundle / name).read_bytes(), 0o644)
    text = json.dumps(manifest_to_json(manifest), indent=2, ensure_ascii=False) + "\n"
    write_atomically(folder / MANIFEST_NAME, text.encode("utf-8"), 0o644)
    return record


def _tls_key_for(base: Path, certificate: x509.Certificate, passphrase: bytes, member_id: str) -> str:
    """Which TLS key file of the member's folder the certificate is for (the next one first)."""
    for name in (NEXT_TLS_KEY, "tls.key"):
        if not (base / name).is_file():
            continue
        key = decrypt_private_key(base, name, passphrase)
        if isinstance(key, ec.EllipticCurvePrivateKey) and key.public_key() == certificate.public_key():
            return name
    raise PkiError(f"the bundle's certificate is not for a TLS key of {member_id} in {base}")


def hub_address(folder: Path) -> str | None:
    """The hub address a bundle wrote into ``folder``, if any."""
    path = Path(folder) / HUB_ADDRESS_FILE
    return path.read_text("utf-8").strip() if path.is_file() else None
