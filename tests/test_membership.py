"""Membership over real gRPC and mTLS: an 8th member joins by request, exchanges, renews and is removed.

The operator and the new institution each have a folder of their own: the institution's private keys
are made in its folder and never appear in the operator's.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hub.core.envelope import EnvelopeError, SignerKey
from hub.core.members import Institution
from hub.dev.federation import init_federation
from hub.identity.authority import CertificateAuthority, certificate_sha256
from hub.identity.directory import Directory
from hub.identity.directory_changes import sign_admission
from hub.identity.join import read_join_request, sign_join_request
from hub.identity.member_folder import (
    JOIN_REQUEST_FILE,
    RENEWAL_REQUEST_FILE,
    create_join_request,
    create_renewal_request,
    install_bundle,
)
from hub.policy import default_policy_message, sign_default_policy
from hub.sdk import MemberClient
from hub.sdk.membership import REQUESTS_DIR, approve, export_bundle, review_requests
from hub.transport.status import reason_of
from pxhub.v1 import envelope_pb2, exchange_pb2
from tests.conftest import PASSPHRASE, HubHandle, start_test_hub
from tests.test_exchange_grpc import knowledge_metadata, practice

E = envelope_pb2
BOLIVIA = Institution("BO-DGRP", "DGRP", "Dirección General de Régimen Penitenciario", "BO", "Bolivia")
PANAMA = Institution("PA-DGSP", "DGSP", "Dirección General del Sistema Penitenciario", "PA", "Panamá")
CONTACT = "mesa-de-ayuda@dgrp.example"


@pytest.fixture
def operator_dir(tmp_path: Path) -> Path:
    """A fresh federation: the operator's folder (CA key, hub, operator, the seven)."""
    folder = tmp_path / "operator"
    init_federation(folder, PASSPHRASE)
    sign_default_policy(folder, PASSPHRASE)
    return folder


def file_request(member_dir: Path, operator_dir: Path, name: str = JOIN_REQUEST_FILE) -> Path:
    """What the institution sends and the operator puts in its inbox."""
    inbox = operator_dir / REQUESTS_DIR
    inbox.mkdir(exist_ok=True)
    target = inbox / f"{member_dir.name}-{name}"
    shutil.copy(member_dir / name, target)
    return target


async def join(hub: HubHandle, operator_dir: Path, member_dir: Path, inst: Institution = BOLIVIA) -> None:
    now = datetime.now(UTC)
    create_join_request(member_dir, PASSPHRASE, inst, CONTACT, now)
    request = file_request(member_dir, operator_dir)
    operator = await hub.client("OPERATOR-1")
    try:
        approved = await approve(operator, operator_dir, PASSPHRASE, request, hub.target)
    finally:
        await operator.close()
    assert approved.kind == "join" and approved.member_id == inst.member_id
    install_bundle(member_dir, approved.bundle, PASSPHRASE)


async def give_agreements(operator: MemberClient, country: str) -> None:
    """A new signed policy version: ``country`` joins the programme-knowledge agreement."""
    policy = default_policy_message(datetime.now(UTC))
    current = await operator.refresh_policy()
    policy.version = (current.version if current is not None else policy.version) + 1
    knowledge = next(a for a in policy.agreements if E.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING in a.purposes)
    knowledge.parties.append(country)
    await operator.publish_policy(policy)


def private_files(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*.key")}


async def test_eighth_member_joins_exchanges_renews_and_is_removed(
    operator_dir: Path, tmp_path: Path
) -> None:
    hub = await start_test_hub(operator_dir, f"sqlite:///{tmp_path / 'hub.db'}")
    member_dir = tmp_path / "bolivia"
    try:
        now = datetime.now(UTC)
        create_join_request(member_dir, PASSPHRASE, BOLIVIA, CONTACT, now)
        assert (member_dir / "members/BO-DGRP/signing.key").is_file()
        request = file_request(member_dir, operator_dir)
        (reviewed,) = review_requests(operator_dir, now)
        assert reviewed.problem == "" and reviewed.view is not None and reviewed.view.member_id == "BO-DGRP"

        operator = await hub.client("OPERATOR-1")
        approved = await approve(operator, operator_dir, PASSPHRASE, request, hub.target)
        assert approved.kind == "join"
        # The operator's folder holds the issued certificate and the bundle, never the member's keys.
        assert not (operator_dir / "members/BO-DGRP").exists()
        assert not private_files(approved.bundle)
        assert list((operator_dir / "issued").glob("BO-DGRP-*.crt"))
        install_bundle(member_dir, approved.bundle, PASSPHRASE)

        bolivia = await MemberClient.connect(hub.target, member_dir, "BO-DGRP", PASSPHRASE)
        colombia = await hub.client("CO-INPEC")
        entry = colombia.directory.member("BO-DGRP")
        assert (
            entry is not None and entry.active and entry.certificates[0].sha256 == approved.certificate_sha256
        )

        # Before a policy update gives it an agreement, the hub refuses what it sends.
        (early,) = await bolivia.submit(
            [bolivia.seal(practice("BO-DGRP"), knowledge_metadata(), ["CO-INPEC"])]
        )
        assert early.reason == E.REASON_NO_AGREEMENT
        await give_agreements(operator, "BO")
        for client in (bolivia, colombia):
            await client.refresh_policy()

        # It exchanges with an existing member, both ways.
        (receipt,) = await bolivia.submit(
            [bolivia.seal(practice("BO-DGRP"), knowledge_metadata(), ["CO-INPEC"])]
        )
        assert receipt.outcome == E.Receipt.OUTCOME_ACCEPTED, receipt.detail
        (delivery,) = [d async for d in colombia.fetch()]
        opened = colombia.open(delivery)
        assert opened.sender == "BO-DGRP"
        await colombia.acknowledge([colombia.receipt_for(opened.verified)])
        (back,) = await colombia.submit(
            [colombia.seal(practice("CO-INPEC"), knowledge_metadata(), ["BO-DGRP"])]
        )
        assert back.outcome == E.Receipt.OUTCOME_ACCEPTED, back.detail
        (arrived,) = [d async for d in bolivia.fetch()]
        assert bolivia.open(arrived).sender == "CO-INPEC"
        results = await bolivia.acknowledge([bolivia.receipt_for(bolivia.open(arrived).verified)])
        assert results[0].outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED

        # Renewal: a new TLS key and certificate, same identity; the old one overlaps, then is refused.
        await bolivia.close()
        create_renewal_request(member_dir, "BO-DGRP", PASSPHRASE, datetime.now(UTC))
        renewal = file_request(member_dir, operator_dir, RENEWAL_REQUEST_FILE)
        renewed = await approve(operator, operator_dir, PASSPHRASE, renewal, hub.target, overlap=timedelta(0))
        assert renewed.kind == "renew" and renewed.certificate_sha256 != approved.certificate_sha256
        install_bundle(member_dir, renewed.bundle, PASSPHRASE)
        bolivia = await MemberClient.connect(hub.target, member_dir, "BO-DGRP", PASSPHRASE)
        entry = bolivia.directory.member("BO-DGRP")
        assert entry is not None
        assert [c.status for c in entry.certificates] == ["previous", "current"]

        # A message waiting for it when it is removed stays stored and is never delivered.
        (waiting,) = await colombia.submit(
            [colombia.seal(practice("CO-INPEC"), knowledge_metadata(), ["BO-DGRP"])]
        )
        assert waiting.outcome == E.Receipt.OUTCOME_ACCEPTED
        await operator.set_member_status("BO-DGRP", "revoked", "left the network")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            _ = [d async for d in bolivia.fetch()]
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert reason_of(refused.value) == "MEMBER_REVOKED"
        await colombia.refresh_directory()
        removed = colombia.directory.member("BO-DGRP")
        assert removed is not None and removed.status == "revoked"
        assert set(colombia.directory.revoked) == {c.sha256 for c in removed.certificates}
        with pytest.raises(ValueError, match="revoked"):
            colombia.seal(practice("CO-INPEC"), knowledge_metadata(), ["BO-DGRP"])
        assert hub.store.stats().mailbox_pending == 1  # kept, as docs/operations.md says
        # Renewal for a removed member is refused, and nothing changes.
        create_renewal_request(member_dir, "BO-DGRP", PASSPHRASE, datetime.now(UTC))
        again = file_request(member_dir, operator_dir, RENEWAL_REQUEST_FILE)
        version = (await operator.refresh_directory()).version
        with pytest.raises(EnvelopeError) as late:
            await approve(operator, operator_dir, PASSPHRASE, again, hub.target)
        assert late.value.reason == E.REASON_MEMBER_REVOKED
        assert (await operator.refresh_directory()).version == version
        await colombia.close()
        await operator.close()
        await bolivia.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]
    # The admission, renewal and removal are replayed by a restarted hub.
    again_hub = await start_test_hub(operator_dir, f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        replayed = again_hub.running.context.directory.member("BO-DGRP")  # type: ignore[attr-defined]
        assert replayed is not None and replayed.status == "revoked" and len(replayed.certificates) == 2
    finally:
        await again_hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def admit_raw(operator: MemberClient, signed, certificate_der: bytes):
    """An admission sent as is, past the operator-side checks of ``approve``."""
    stub_request = sign_admission(
        signed,
        certificate_der,
        timedelta(0),
        datetime.now(UTC),
        SignerKey(operator.member_id, operator.identity.signing_key_id, operator.identity.signing_key),
    )
    return await operator.directory_stub.AdmitMember(stub_request)


def issue(operator_dir: Path, signed) -> bytes:
    view = read_join_request(signed, datetime.now(UTC))
    certificate = CertificateAuthority.load(operator_dir, PASSPHRASE).issue(
        view.csr_der, view.member_id, view.institution, datetime.now(UTC)
    )
    return certificate.public_bytes(serialization.Encoding.DER)


async def refused_reason(call) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    return reason_of(refused.value)


async def test_bad_join_requests_are_refused_and_change_nothing(operator_dir: Path, tmp_path: Path) -> None:
    hub = await start_test_hub(operator_dir)
    operator = await hub.client("OPERATOR-1")
    try:
        version = operator.directory.version
        audit_before = hub.store.audit_size()
        signed = create_join_request(tmp_path / "bo", PASSPHRASE, BOLIVIA, CONTACT, datetime.now(UTC))
        der = issue(operator_dir, signed)

        # A bad signature: one byte of the signed request changed.
        forged = type(signed)()
        forged.CopyFrom(signed)
        forged.signature.value = bytes([signed.signature.value[0] ^ 1]) + signed.signature.value[1:]
        assert await refused_reason(admit_raw(operator, forged, der)) == "SIGNATURE_INVALID"

        # A member id already taken (with keys of its own).
        taken = create_join_request(
            tmp_path / "co",
            PASSPHRASE,
            Institution("CO-INPEC", "INPEC", "Otra institución", "CO", "Colombia"),
            CONTACT,
            datetime.now(UTC),
        )
        assert (
            await refused_reason(admit_raw(operator, taken, issue(operator_dir, taken))) == "MEMBER_ID_TAKEN"
        )

        # A reused key: Panama's request carries Colombia's published signing key.
        colombia = operator.directory.member("CO-INPEC")
        assert colombia is not None
        reused = _request_with_foreign_key(tmp_path / "pa", colombia)
        assert await refused_reason(admit_raw(operator, reused, issue(operator_dir, reused))) == "KEY_REUSED"

        # An expired request: made 20 days ago, valid for 14.
        old = create_join_request(
            tmp_path / "old", PASSPHRASE, PANAMA, CONTACT, datetime.now(UTC) - timedelta(days=20)
        )
        with pytest.raises(EnvelopeError) as expired:
            read_join_request(old, datetime.now(UTC))
        assert expired.value.reason == E.REASON_JOIN_REQUEST_EXPIRED
        assert await refused_reason(admit_raw(operator, old, der)) == "JOIN_REQUEST_EXPIRED"

        # A certificate that is not for the request's CSR key.
        other = create_join_request(tmp_path / "pa2", PASSPHRASE, PANAMA, CONTACT, datetime.now(UTC))
        assert await refused_reason(admit_raw(operator, other, der)) == "CERTIFICATE_INVALID"

        # Approval by a non-operator: a member calling AdmitMember.
        member = await hub.client("PE-INPE")
        try:
            request = sign_admission(
                signed,
                der,
                timedelta(0),
                datetime.now(UTC),
                SignerKey("PE-INPE", member.identity.signing_key_id, member.identity.signing_key),
            )
            assert await refused_reason(member.directory_stub.AdmitMember(request)) == "ROLE_NOT_PERMITTED"
        finally:
            await member.close()

        await operator.refresh_directory()
        assert operator.directory.version == version  # nothing was admitted
        assert "BO-DGRP" not in operator.directory.members and "PA-DGSP" not in operator.directory.members
        assert hub.store.audit_size() >= audit_before + 6  # every refusal is audited
        # The well-formed request is still admissible after all that.
        await admit_raw(operator, signed, der)
        await operator.refresh_directory()
        assert operator.directory.member("BO-DGRP") is not None
    finally:
        await operator.close()
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


def _request_with_foreign_key(folder: Path, victim) -> object:
    """Panama's request with its own TLS key and CSR but Colombia's signing key listed (and so signed
    by a key Panama does not hold: its own signing key signs, under Colombia's key id)."""
    signed = create_join_request(folder, PASSPHRASE, PANAMA, CONTACT, datetime.now(UTC))
    view = read_join_request(signed, datetime.now(UTC))
    stolen = victim.current_key("encryption")
    keys = [k if k.use != "encryption" else stolen for k in view.keys]
    from hub.identity.key_files import decrypt_private_key
    from hub.identity.manifest import key_id

    signing_key = decrypt_private_key(folder, "members/PA-DGSP/signing.key", PASSPHRASE)
    # The stolen key keeps its raw bytes but is relabelled as Panama's: ids are derived per owner.
    keys = [
        type(k)(
            key_id("PA-DGSP", k.use, k.public_key),
            k.use,
            k.algorithm,
            k.public_key,
            k.valid_from,
            k.valid_until,
        )
        if k is stolen
        else k
        for k in keys
    ]
    signing = view.key("signing")
    assert signing is not None
    return sign_join_request(
        "join",
        PANAMA,
        CONTACT,
        view.csr_der,
        keys,
        view.created_at,
        view.expires_at,
        SignerKey("PA-DGSP", signing.key_id, signing_key),  # type: ignore[arg-type]
    )


async def test_revoked_certificate_is_refused_at_the_hub_and_distrusted_by_members(
    operator_dir: Path, tmp_path: Path
) -> None:
    hub = await start_test_hub(operator_dir)
    try:
        member_dir = tmp_path / "bolivia"
        await join(hub, operator_dir, member_dir)
        bolivia = await MemberClient.connect(hub.target, member_dir, "BO-DGRP", PASSPHRASE)
        operator = await hub.client("OPERATOR-1")
        sha = bolivia.directory.members["BO-DGRP"].certificates[0].sha256

        await give_agreements(operator, "BO")
        peru = await hub.client("PE-INPE")
        (sent,) = await peru.submit([peru.seal(practice("PE-INPE"), knowledge_metadata(), ["BO-DGRP"])])
        assert sent.outcome == E.Receipt.OUTCOME_ACCEPTED, sent.detail
        first = asyncio.Event()

        async def follow() -> None:
            async for _ in bolivia.fetch(follow=True):
                first.set()

        following = asyncio.create_task(follow())  # a stream open before the revocation
        await first.wait()
        await operator.revoke_certificate("BO-DGRP", sha, "TLS key lost")
        with pytest.raises(grpc.aio.AioRpcError) as cut:
            await following  # ends at its next round, refused like a new call
        assert reason_of(cut.value) == "CERTIFICATE_REVOKED"
        # The hub refuses it on the next call, whatever the RPC.
        assert await refused_reason(bolivia.refresh_directory()) == "CERTIFICATE_REVOKED"
        # Every member that loads the directory distrusts the entry presenting it.
        await peru.refresh_directory()
        assert peru.directory.members["BO-DGRP"].status == "revoked"
        assert sha in peru.directory.revoked
        with pytest.raises(ValueError, match="no current encryption key"):
            peru.seal(practice("PE-INPE"), knowledge_metadata(), ["BO-DGRP"])
        # Revoking it twice is refused with its reason.
        assert (
            await refused_reason(operator.revoke_certificate("BO-DGRP", sha, "again"))
            == "CERTIFICATE_REVOKED"
        )
        for client in (bolivia, operator, peru):
            await client.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_a_certificate_the_directory_does_not_name_is_refused(
    operator_dir: Path, tmp_path: Path
) -> None:
    """The CA's signature alone is not enough: a certificate never admitted names nobody the hub knows."""
    hub = await start_test_hub(operator_dir)
    try:
        # A second certificate for CO-INPEC from the same CA, never admitted.
        ca = CertificateAuthority.load(operator_dir, PASSPHRASE)
        key = ec.generate_private_key(ec.SECP256R1())
        from hub.identity.authority import make_csr

        colombia = Directory.from_federation(operator_dir).members["CO-INPEC"]
        inst = Institution(
            "CO-INPEC", colombia.acronym, colombia.institution_name, "CO", colombia.country_name
        )
        certificate = ca.issue(make_csr(key, "CO-INPEC", inst), "CO-INPEC", inst, datetime.now(UTC))
        assert certificate_sha256(certificate) not in {c.sha256 for c in colombia.certificates}
        from hub.identity.credentials import load_identity
        from hub.transport.channel import open_channel
        from pxhub.v1 import directory_pb2, directory_pb2_grpc

        identity = load_identity(operator_dir, "CO-INPEC", PASSPHRASE)
        from dataclasses import replace

        forged = replace(
            identity,
            tls_certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
            tls_private_key_pem=key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        channel = open_channel(hub.target, forged, None)
        try:
            stub = directory_pb2_grpc.DirectoryServiceStub(channel)
            assert (
                await refused_reason(stub.GetDirectory(directory_pb2.GetDirectoryRequest()))
                == "CERTIFICATE_UNKNOWN"
            )
        finally:
            await channel.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_export_gives_a_development_member_a_folder_of_its_own(
    operator_dir: Path, tmp_path: Path
) -> None:
    hub = await start_test_hub(operator_dir)
    try:
        operator = await hub.client("OPERATOR-1")
        out = await export_bundle(operator, operator_dir, "UY-INR", tmp_path / "uruguay", hub.target)
        await operator.close()
        assert private_files(out) == {"tls.key", "signing.key", "encryption.key", "approver.key"}
        assert not (out / "ca/ca.key").exists() and not (out / "hub/tls.key").exists()
        uruguay = await MemberClient.connect(hub.target, out, "UY-INR", PASSPHRASE)
        assert uruguay.directory.member("UY-INR") is not None
        await uruguay.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


def test_join_cli_makes_a_request_the_operator_lists_and_refuses_bad_input(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hub.cli.main import app

    runner = CliRunner()
    env = {"PXHUB_KEY_PASSPHRASE": PASSPHRASE.decode(), "COLUMNS": "200"}
    common = ["--acronym", "DGRP", "--name", BOLIVIA.name, "--country-name", "Bolivia", "--contact", CONTACT]
    bad = runner.invoke(
        app, ["join", "request", str(tmp_path / "x"), "--member-id", "bo-dgrp", *common], env=env
    )
    assert bad.exit_code == 2 and "--member-id" in bad.output and "upper case" in bad.output
    assert not (tmp_path / "x").exists()  # nothing half-written
    made = runner.invoke(
        app, ["join", "request", str(tmp_path / "bo"), "--member-id", "BO-DGRP", *common], env=env
    )
    assert made.exit_code == 0, made.output
    again = runner.invoke(
        app, ["join", "request", str(tmp_path / "bo"), "--member-id", "BO-DGRP", *common], env=env
    )
    assert again.exit_code == 2 and "not an empty folder" in again.output

    operator = tmp_path / "operator"
    assert runner.invoke(app, ["pki", "init", str(operator)], env=env).exit_code == 0
    (operator / REQUESTS_DIR).mkdir()
    shutil.copy(tmp_path / "bo" / JOIN_REQUEST_FILE, operator / REQUESTS_DIR / "bo.binpb")
    (operator / REQUESTS_DIR / "junk.binpb").write_bytes(b"\xff\xff not a request")
    listed = runner.invoke(app, ["members", "requests", "--federation-dir", str(operator), "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    import json

    rows = {r["file"].rsplit("/", 1)[-1]: r for r in json.loads(listed.output)}
    assert rows["bo.binpb"]["check"] == "ok" and rows["bo.binpb"]["member"] == "BO-DGRP"
    assert rows["junk.binpb"]["check"] != "ok"
    shown = runner.invoke(
        app, ["members", "show", rows["bo.binpb"]["request"], "--federation-dir", str(operator)], env=env
    )
    assert shown.exit_code == 0 and rows["bo.binpb"]["request"] in shown.output
    missing = runner.invoke(app, ["members", "show", "BO-NOPE", "--federation-dir", str(operator)], env=env)
    assert missing.exit_code == 2 and "no join request" in missing.output
