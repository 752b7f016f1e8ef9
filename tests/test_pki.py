"""Development federation: files and modes, keys, certificates, manifest, peer identity, mTLS."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import grpc
import grpc.aio
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store

from hub.core.members import Institution, institutions_from_data, validate_member_id
from hub.dev.federation import default_members, init_federation
from hub.identity.certificates import PeerIdentity, PeerIdentityError, identity_from_certificate
from hub.identity.credentials import load_hub, load_identity, passphrase_from_env
from hub.identity.manifest import (
    CLIENT_ROLES,
    HUB_ID,
    MANIFEST_NAME,
    FederationManifest,
    PkiError,
    key_id,
    load_manifest,
)
from hub.transport.channel import channel_credentials

PASSPHRASE = b"correct horse battery staple"
WRONG = b"incorrect horse battery staple"
AUDITORS = ("AUDITOR-1", "AUDITOR-2")
OPERATORS = ("OPERATOR-1",)


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FederationManifest]:
    """One federation shared by the read-only tests (creating one takes ~50 ms)."""
    directory = tmp_path_factory.mktemp("fed") / "federation"
    manifest = init_federation(directory, PASSPHRASE, auditors=AUDITORS, operators=OPERATORS)
    return directory, manifest


def _expected_files() -> dict[str, int]:
    files = {"ca/ca.crt": 0o644, "ca/ca.key": 0o600, MANIFEST_NAME: 0o644}
    files |= {"hub/tls.crt": 0o644, "hub/tls.key": 0o600, "hub/signing.key": 0o600, "hub/signing.pub": 0o644}
    for m in default_members():
        base = f"members/{m.member_id}"
        files |= {f"{base}/tls.crt": 0o644, f"{base}/tls.key": 0o600}
        for use in ("signing", "encryption", "approver"):
            files |= {f"{base}/{use}.key": 0o600, f"{base}/{use}.pub": 0o644}
    for kind, ids in (("auditors", AUDITORS), ("operators", OPERATORS)):
        for i in ids:
            base = f"{kind}/{i}"
            files |= {f"{base}/tls.crt": 0o644, f"{base}/tls.key": 0o600}
            files |= {f"{base}/signing.key": 0o600, f"{base}/signing.pub": 0o644}
    return files


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


# --------------------------------------------------------------------------- members


def test_default_members_are_data() -> None:
    assert [m.member_id for m in default_members()] == [
        "CO-INPEC",
        "PE-INPE",
        "GT-DGSP",
        "EC-SNAI",
        "UY-INR",
        "DO-DGSPC",
        "MX-OADPRS",
    ]
    assert by_id()["PE-INPE"].country_name == "Perú"
    for m in default_members():
        assert validate_member_id(m.member_id) == m.member_id
        assert m.member_id == f"{m.country_iso2}-{m.acronym}"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "'members' list"),
        ({"members": [1]}, "not an object"),
        ({"members": [{"member_id": "BO-DGRP"}]}, "acronym must be"),
        (
            {
                "members": [
                    dict(member_id="BO-DGRP", acronym="DGRP", name="x", country_iso2="PE", country_name="y")
                ]
            },
            "prefix",
        ),
        (
            {
                "members": [
                    dict(member_id="BO-DGRP", acronym="DGRP", name="x", country_iso2="BO", country_name="y")
                ]
                * 2
            },
            "twice",
        ),
    ],
)
def test_member_data_errors_name_the_entry(data: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        institutions_from_data(data)


def by_id() -> dict[str, Institution]:
    return {m.member_id: m for m in default_members()}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "empty"),
        ("co-inpec", "upper case"),
        ("COINPEC", "no '-'"),
        ("COL-INPEC", "country prefix"),
        ("CO-IN_PEC", "only A-Z and 0-9"),
        ("CO-I", "shorter than 2"),
        ("CO-ABCDEFGHIJKLM", "at most 12"),
        (" CO-INPEC", "whitespace"),
        ("CO-INPEC\n", "whitespace"),
        (42, "must be a string"),
    ],
)
def test_validate_member_id_names_the_problem(value: object, problem: str) -> None:
    with pytest.raises(ValueError, match="member id") as err:
        validate_member_id(value)
    assert problem in str(err.value)


# --------------------------------------------------------------------------- creation


def test_init_creates_every_file_with_its_mode(fed: tuple[Path, FederationManifest]) -> None:
    directory, _ = fed
    expected = _expected_files()
    found = {p.relative_to(directory).as_posix(): p for p in directory.rglob("*") if p.is_file()}
    assert set(found) == set(expected)
    for rel, mode in expected.items():
        assert stat.S_IMODE(found[rel].stat().st_mode) == mode, rel
    for d in [directory, *(p for p in directory.rglob("*") if p.is_dir())]:
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    assert [p.name for p in directory.parent.iterdir()] == [directory.name]  # no staging left behind


def test_modes_do_not_depend_on_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        init_federation(tmp_path / "f", PASSPHRASE, members=default_members()[:1], auditors=(), operators=())
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f/ca/ca.crt").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "f/members/CO-INPEC/tls.key").stat().st_mode) == 0o600


def test_private_keys_are_encrypted_and_open_only_with_the_passphrase(
    fed: tuple[Path, FederationManifest],
) -> None:
    directory, _ = fed
    keys = sorted(directory.rglob("*.key"))
    assert len(keys) == 1 + 2 + 7 * 4 + 3 * 2
    for path in keys:
        pem = path.read_bytes()
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"), path
        serialization.load_pem_private_key(pem, password=PASSPHRASE)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(keys[0].read_bytes(), password=WRONG)


def test_wrong_passphrase_is_a_clear_error_without_the_passphrase(
    fed: tuple[Path, FederationManifest],
) -> None:
    directory, _ = fed
    with pytest.raises(
        PkiError, match=r"^cannot decrypt .*/members/CO-INPEC/tls\.key: wrong passphrase$"
    ) as err:
        load_identity(directory, "CO-INPEC", WRONG)
    assert WRONG.decode() not in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__
    with pytest.raises(PkiError, match=r"cannot decrypt .*/hub/tls\.key: wrong passphrase"):
        load_hub(directory, WRONG)


def test_every_wrong_passphrase_reads_as_one(tmp_path: Path) -> None:
    """About 1 in 256 wrong passphrases decrypt to validly padded garbage; same message."""
    from hub.identity.key_files import decrypt_private_key as _decrypt

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"the right one"),
    )
    (tmp_path / "k.key").write_bytes(pem)
    for i in range(1500):
        with pytest.raises(PkiError, match=r"^cannot decrypt .*/k\.key: wrong passphrase$"):
            _decrypt(tmp_path, "k.key", b"wrong-%d" % i)


def test_certificates_chain_to_the_ca_with_the_right_names_and_uses(
    fed: tuple[Path, FederationManifest],
) -> None:
    directory, manifest = fed
    ca = _cert(directory / "ca/ca.crt")
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    assert ca.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign and not ku.digital_signature
    store = Store([ca])

    hub = _cert(directory / "hub/tls.crt")
    hub.verify_directly_issued_by(ca)
    for name in (x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))):
        PolicyBuilder().store(store).build_server_verifier(name).verify(hub, [])
    san = hub.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert list(hub.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH
    ]

    client_verifier = PolicyBuilder().store(store).build_client_verifier()
    for ident in manifest.identities:
        if ident.role == "hub":
            continue
        cert = _cert(directory / ident.certificate_path)
        assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
        verified = client_verifier.verify(cert, [])
        assert verified.subjects == [
            x509.UniformResourceIdentifier(f"spiffe://pxhub/{ident.role}/{ident.id}")
        ]
        assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
            ExtendedKeyUsageOID.CLIENT_AUTH
        ]
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ident.id
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert cert.not_valid_after_utc == ident.certificate_not_after

    inpec = _cert(directory / "members/CO-INPEC/tls.crt").subject
    assert inpec.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == by_id()["CO-INPEC"].name
    assert inpec.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "CO"
    # Names longer than RFC 5280's 64-character organizationName bound fall back to the acronym.
    snai = _cert(directory / "members/EC-SNAI/tls.crt").subject
    assert snai.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "SNAI"


def test_manifest_matches_the_keys_on_disk(fed: tuple[Path, FederationManifest]) -> None:
    directory, manifest = fed
    assert load_manifest(directory) == manifest
    raw = json.loads((directory / MANIFEST_NAME).read_text("utf-8"))
    assert raw["format_version"] == 1 and raw["hub_origin"] == "pxhub.dev/hub"
    assert [i["id"] for i in raw["identities"]] == [HUB_ID, *by_id(), *AUDITORS, *OPERATORS]
    assert manifest.hub.id == manifest.hub.identity_id == HUB_ID
    hub_signature = load_hub(directory, PASSPHRASE).signing_key.sign(b"checkpoint")
    manifest.hub_public_key().verify(hub_signature, b"checkpoint")
    inpec = raw["identities"][1]
    assert (inpec["acronym"], inpec["institution_name"], inpec["country_iso2"], inpec["country_name"]) == (
        "INPEC",
        "Instituto Nacional Penitenciario y Carcelario",
        "CO",
        "Colombia",
    )
    assert "acronym" not in raw["identities"][0]
    ca_der = _cert(directory / "ca/ca.crt").public_bytes(serialization.Encoding.DER)
    assert manifest.ca_certificate_sha256 == hashlib.sha256(ca_der).hexdigest()

    expected_uses = {
        "hub": ["signing"],
        "member": ["signing", "encryption", "approver"],
        "auditor": ["signing"],
        "operator": ["signing"],
    }
    for ident in manifest.identities:
        assert [k.use for k in ident.keys] == expected_uses[ident.role]
        if ident.role == "member":
            assert ident.institution == by_id()[ident.id]
            assert ident.institution_name == by_id()[ident.id].name
        else:
            assert ident.institution is None
            assert ident.acronym is ident.institution_name is ident.country_iso2 is ident.country_name is None
        der = _cert(directory / ident.certificate_path).public_bytes(serialization.Encoding.DER)
        assert ident.certificate_sha256 == hashlib.sha256(der).hexdigest()
        for k in ident.keys:
            private = serialization.load_pem_private_key(
                (directory / k.private_key_path).read_bytes(), password=PASSPHRASE
            )
            expected_type = x25519.X25519PrivateKey if k.use == "encryption" else ed25519.Ed25519PrivateKey
            assert isinstance(private, expected_type)
            assert k.algorithm == ("x25519" if k.use == "encryption" else "ed25519")
            pub = private.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            assert k.public_key == pub == base64.b64decode(k.public_key_b64)
            assert k.key_id == key_id(ident.id, k.use, pub)
            assert k.key_id == f"{ident.id}/{k.use}/{hashlib.sha256(pub).hexdigest()[:16]}"
            spki = serialization.load_pem_public_key((directory / k.public_key_path).read_bytes())
            assert spki.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == pub
            assert k.status == "current"
            assert k.valid_from == manifest.created
            assert k.valid_until == ident.certificate_not_after


def test_now_and_validity_are_honoured(tmp_path: Path) -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    manifest = init_federation(
        tmp_path / "f",
        PASSPHRASE,
        members=default_members()[:1],
        auditors=(),
        operators=(),
        now=now,
        validity_days=30,
    )
    assert manifest.created == now.replace(microsecond=0)
    assert manifest.hub.certificate_not_after == datetime(2025, 3, 31, 12, tzinfo=UTC)
    cert = _cert(tmp_path / "f/members/CO-INPEC/tls.crt")
    assert cert.not_valid_before_utc == now.replace(microsecond=0) - timedelta(minutes=5)


def test_refuses_to_overwrite(fed: tuple[Path, FederationManifest], tmp_path: Path) -> None:
    directory, _ = fed
    before = (directory / MANIFEST_NAME).read_bytes()
    with pytest.raises(PkiError, match=r"already exists .*refusing to overwrite"):
        init_federation(directory, PASSPHRASE)
    assert (directory / MANIFEST_NAME).read_bytes() == before

    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("x")
    with pytest.raises(PkiError, match="not empty"):
        init_federation(busy, PASSPHRASE)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]

    empty = tmp_path / "empty"
    empty.mkdir()
    init_federation(empty, PASSPHRASE, members=default_members()[:1], auditors=(), operators=())
    assert (empty / MANIFEST_NAME).is_file()
    assert stat.S_IMODE(empty.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"passphrase": b"short"}, "at least 12"),
        ({"passphrase": "a str passphrase"}, "must be bytes"),
        ({"auditors": ("auditor-1",)}, "auditor id"),
        ({"auditors": "AUDITOR-1"}, "not a single string"),
        ({"operators": ("CO-INPEC",)}, "used twice"),
        ({"auditors": (HUB_ID,)}, "used twice"),
        ({"members": (replace(default_members()[0], member_id="co-inpec"),)}, "upper case"),
        ({"members": (default_members()[0], default_members()[0])}, "used twice"),
        ({"hub_hostnames": ("bad_host",)}, "not a valid DNS name"),
        ({"now": datetime(2025, 1, 1)}, "timezone-aware"),
        ({"validity_days": 0}, "positive integer"),
        ({"hub_origin": "pxhub.dev/hub\nforged"}, "single line"),
        ({"hub_origin": ""}, "single line"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"passphrase": PASSPHRASE}
    args.update(kwargs)
    with pytest.raises(PkiError, match=message):
        init_federation(tmp_path / "f", **args)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_hub_hostnames_and_ip_literals(tmp_path: Path) -> None:
    init_federation(
        tmp_path / "f",
        PASSPHRASE,
        members=(),
        auditors=(),
        operators=(),
        hub_hostnames=("hub.example.org", "LOCALHOST", "10.0.0.5"),
    )
    san = (
        _cert(tmp_path / "f/hub/tls.crt")
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert san.get_values_for_type(x509.DNSName) == ["hub.example.org", "localhost"]
    assert ipaddress.ip_address("10.0.0.5") in san.get_values_for_type(x509.IPAddress)


# --------------------------------------------------------------------------- loading


def test_load_identity_and_hub(fed: tuple[Path, FederationManifest]) -> None:
    directory, manifest = fed
    member = load_identity(directory, "MX-OADPRS", PASSPHRASE)
    record = manifest.identity("MX-OADPRS")
    assert member.role == "member"
    assert member.signing_key_id == record.key("signing").key_id
    assert member.encryption_key is not None and member.encryption_key_id == record.key("encryption").key_id
    assert member.approver_key is not None and member.approver_key_id == record.key("approver").key_id
    assert member.tls_private_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert member.ca_certificate_pem == (directory / "ca/ca.crt").read_bytes()
    signature = member.signing_key.sign(b"header bytes")
    ed25519.Ed25519PublicKey.from_public_bytes(record.key("signing").public_key).verify(
        signature, b"header bytes"
    )

    auditor = load_identity(directory, "AUDITOR-2", PASSPHRASE)
    assert auditor.role == "auditor"
    assert auditor.encryption_key is None and auditor.encryption_key_id is None
    assert auditor.approver_key is None and auditor.approver_key_id is None

    hub = load_hub(directory, PASSPHRASE)
    assert hub.hub_id == HUB_ID and hub.hub_origin == "pxhub.dev/hub"
    assert hub.signing_key_id == manifest.hub.key("signing").key_id

    with pytest.raises(PkiError, match="use load_hub"):
        load_identity(directory, HUB_ID, PASSPHRASE)
    with pytest.raises(PkiError, match=r"no identity 'XX-NONE'.*CO-INPEC"):
        load_identity(directory, "XX-NONE", PASSPHRASE)
    with pytest.raises(PkiError, match="no federation at"):
        load_manifest(directory / "members")


def test_swapped_key_file_is_detected(tmp_path: Path) -> None:
    directory = tmp_path / "f"
    init_federation(directory, PASSPHRASE, members=default_members()[:1], auditors=(), operators=())
    base = directory / "members/CO-INPEC"
    (base / "signing.key").unlink()
    (base / "signing.key").write_bytes((base / "approver.key").read_bytes())
    with pytest.raises(PkiError, match="does not match the manifest's signing key"):
        load_identity(directory, "CO-INPEC", PASSPHRASE)


def test_unencrypted_key_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "f"
    init_federation(directory, PASSPHRASE, members=default_members()[:1], auditors=(), operators=())
    path = directory / "members/CO-INPEC/tls.key"
    key = serialization.load_pem_private_key(path.read_bytes(), password=PASSPHRASE)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(PkiError, match="not encrypted"):
        load_identity(directory, "CO-INPEC", PASSPHRASE)


def test_credentials_repr_hides_key_material(fed: tuple[Path, FederationManifest]) -> None:
    directory, _ = fed
    member = load_identity(directory, "CO-INPEC", PASSPHRASE)
    hub = load_hub(directory, PASSPHRASE)
    secrets = [
        member.tls_private_key_pem.decode(),
        *member.tls_private_key_pem.decode().splitlines()[1:-1],
        "PRIVATE KEY",
        PASSPHRASE.decode(),
    ]
    raw_keys = [member.signing_key, member.encryption_key, member.approver_key, hub.signing_key]
    for k in raw_keys:
        assert k is not None
        raw = k.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        secrets += [base64.b64encode(raw).decode(), raw.hex()]
    for text in (repr(member), str(member), repr(hub), str(hub), f"{member!r} {hub}"):
        for secret in secrets:
            assert secret not in text
    assert "CO-INPEC/signing/" in repr(member)
    assert "HUB/signing/" in repr(hub)


def test_passphrase_from_env(tmp_path: Path) -> None:
    assert passphrase_from_env({"PXHUB_KEY_PASSPHRASE": "clave secreta ñ"}) == "clave secreta ñ".encode()
    secret_file = tmp_path / "pass"
    secret_file.write_bytes(b"from a file\n\n")
    assert passphrase_from_env({"PXHUB_KEY_PASSPHRASE_FILE": str(secret_file)}) == b"from a file\n"
    secret_file.write_bytes(b"windows\r\n")
    assert passphrase_from_env({"PXHUB_KEY_PASSPHRASE_FILE": str(secret_file)}) == b"windows"
    with pytest.raises(PkiError, match=r"PXHUB_KEY_PASSPHRASE.*PXHUB_KEY_PASSPHRASE_FILE"):
        passphrase_from_env({})
    with pytest.raises(PkiError, match="set only one"):
        passphrase_from_env({"PXHUB_KEY_PASSPHRASE": "a", "PXHUB_KEY_PASSPHRASE_FILE": str(secret_file)})
    with pytest.raises(PkiError, match="cannot read PXHUB_KEY_PASSPHRASE_FILE"):
        passphrase_from_env({"PXHUB_KEY_PASSPHRASE_FILE": str(tmp_path / "missing")})
    secret_file.write_bytes(b"\n")
    with pytest.raises(PkiError, match="empty"):
        passphrase_from_env({"PXHUB_KEY_PASSPHRASE_FILE": str(secret_file)})


# --------------------------------------------------------------------------- peer identity


def test_identity_from_federation_certificates(fed: tuple[Path, FederationManifest]) -> None:
    directory, _ = fed
    pem = (directory / "members/GT-DGSP/tls.crt").read_bytes()
    assert identity_from_certificate(pem) == PeerIdentity("member", "GT-DGSP")
    assert identity_from_certificate(pem.decode()) == ("member", "GT-DGSP")
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    role, ident = identity_from_certificate(der)
    assert (role, ident) == ("member", "GT-DGSP")
    assert identity_from_certificate((directory / "auditors/AUDITOR-1/tls.crt").read_bytes()) == (
        "auditor",
        "AUDITOR-1",
    )
    assert identity_from_certificate((directory / "operators/OPERATOR-1/tls.crt").read_bytes()) == (
        "operator",
        "OPERATOR-1",
    )
    hub_pem = (directory / "hub/tls.crt").read_bytes()
    with pytest.raises(PeerIdentityError, match="role 'hub' is not accepted"):
        identity_from_certificate(hub_pem)
    assert identity_from_certificate(hub_pem, allowed_roles={"hub"}) == ("hub", HUB_ID)
    with pytest.raises(PeerIdentityError, match="role 'auditor' is not accepted"):
        identity_from_certificate(
            (directory / "auditors/AUDITOR-1/tls.crt").read_bytes(), allowed_roles={"member"}
        )
    assert frozenset({"member", "auditor", "operator"}) == CLIENT_ROLES


_CRAFT_KEY = ec.generate_private_key(ec.SECP256R1())


def _craft(
    *,
    san: list[x509.GeneralName] | None,
    cn: str | None = "CO-INPEC",
    eku: list[x509.ObjectIdentifier] | None = None,
) -> bytes:
    """A self-signed certificate with exactly the names asked for (the parser does not check chains)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(_CRAFT_KEY.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
    )
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=cn is None)
    builder = builder.add_extension(
        x509.ExtendedKeyUsage(eku if eku is not None else [ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
    )
    return builder.sign(_CRAFT_KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _uri(value: str) -> x509.GeneralName:
    return x509.UniformResourceIdentifier(value)


def test_crafted_certificate_is_accepted_when_well_formed() -> None:
    assert identity_from_certificate(_craft(san=[_uri("spiffe://pxhub/member/CO-INPEC")])) == (
        "member",
        "CO-INPEC",
    )


@pytest.mark.parametrize(
    ("cert", "message"),
    [
        (lambda: _craft(san=None), "no subjectAltName"),
        (lambda: _craft(san=[x509.DNSName("co-inpec.example")]), "no SAN URI"),
        (
            lambda: _craft(
                san=[_uri("spiffe://pxhub/member/CO-INPEC"), _uri("spiffe://pxhub/member/PE-INPE")]
            ),
            "2 SAN URIs",
        ),
        (lambda: _craft(san=[_uri("https://pxhub/member/CO-INPEC")]), "not of the form"),
        (lambda: _craft(san=[_uri("spiffe://pxhub/member/CO-INPEC/extra")]), "not of the form"),
        (lambda: _craft(san=[_uri("spiffe://other.org/member/CO-INPEC")]), "trust domain 'other.org'"),
        (lambda: _craft(san=[_uri("spiffe://pxhub/admin/CO-INPEC")]), "unknown role 'admin'"),
        (lambda: _craft(san=[_uri("spiffe://pxhub/member/co-inpec")], cn="co-inpec"), "upper case"),
        (lambda: _craft(san=[_uri("spiffe://pxhub/auditor/auditor_1")], cn="auditor_1"), "auditor id"),
        (lambda: _craft(san=[_uri("spiffe://pxhub/member/CO-INPEC")], cn="PE-INPE"), "does not match"),
        (lambda: _craft(san=[_uri("spiffe://pxhub/member/CO-INPEC")], cn=None), "CN None does not match"),
        (
            lambda: _craft(
                san=[_uri("spiffe://pxhub/member/CO-INPEC")], eku=[ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            "not issued for TLS client authentication",
        ),
        (lambda: b"not a certificate", "not a valid PEM or DER"),
        (lambda: b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a valid PEM or DER"),
    ],
)
def test_identity_from_certificate_rejects(cert: object, message: str) -> None:
    assert callable(cert)
    with pytest.raises(PeerIdentityError, match=message):
        identity_from_certificate(cert())


# --------------------------------------------------------------------------- real gRPC over mTLS


async def test_grpc_mtls_smoke(fed: tuple[Path, FederationManifest]) -> None:
    directory, _ = fed
    hub = load_hub(directory, PASSPHRASE)
    member = load_identity(directory, "UY-INR", PASSPHRASE)
    seen: dict[str, list[bytes]] = {}

    async def who_am_i(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        # grpc hands the auth context over as a dict of lists; the stubs only promise iterables.
        auth = cast(Mapping[str, list[bytes]], context.auth_context())
        seen.update(auth)
        role, ident = identity_from_certificate(auth["x509_pem_cert"][0])
        return f"{role}/{ident}:".encode() + request

    handler = grpc.method_handlers_generic_handler(
        "pxhub.test.Smoke", {"WhoAmI": grpc.unary_unary_rpc_method_handler(who_am_i)}
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_secure_port("127.0.0.1:0", hub.grpc_server_credentials(require_client_auth=True))
    assert port > 0
    await server.start()
    # No ssl_target_name_override: the hub certificate carries IP:127.0.0.1, so the
    # client verifies the server by the address it dialled.
    try:
        async with grpc.aio.secure_channel(f"127.0.0.1:{port}", channel_credentials(member)) as channel:
            who_am_i_call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
                "/pxhub.test.Smoke/WhoAmI"
            )
            reply = await who_am_i_call(b"hola", timeout=5)
        assert reply == b"member/UY-INR:hola"
        assert seen["x509_subject_alternative_name"] == [b"spiffe://pxhub/member/UY-INR"]
        assert seen["x509_common_name"] == [b"UY-INR"]
        assert seen["transport_security_type"] == [b"ssl"]

        anonymous = grpc.ssl_channel_credentials(root_certificates=hub.ca_certificate_pem)
        async with grpc.aio.secure_channel(f"127.0.0.1:{port}", anonymous) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                anonymous_call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
                    "/pxhub.test.Smoke/WhoAmI"
                )
                await anonymous_call(b"hola", timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop(grace=None)
