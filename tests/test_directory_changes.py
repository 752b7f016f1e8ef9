"""Durable key rotation and member status: signed changes, stored, audited, replayed at start."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hub.core.audit_entry import AuditEntry
from hub.core.envelope import EnvelopeError, SignerKey
from hub.dev.federation import default_members
from hub.identity import keyring
from hub.identity.credentials import load_identity
from hub.identity.directory import Directory, KeyEntry
from hub.identity.directory_changes import (
    apply_rotation,
    check_key_announcement,
    check_status_change,
    sign_key_announcement,
    sign_status_change,
)
from hub.identity.manifest import key_id, load_manifest
from hub.sdk.rotation import rotate_key
from hub.store.directory_changes import KEY_ANNOUNCEMENT, StoredDirectoryChange
from hub.transport.status import reason_of
from pxhub.v1 import envelope_pb2
from tests.conftest import PASSPHRASE, fresh_database_url, start_test_hub
from tests.test_exchange_grpc import knowledge_metadata, practice

E = envelope_pb2
MEMBER, PARTNER, OTHER = (m.member_id for m in default_members()[:3])
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # for the store, which only keeps the time


def new_key(member_id: str, use: str, now: datetime) -> tuple[KeyEntry, object]:
    private: Ed25519PrivateKey | X25519PrivateKey
    private = X25519PrivateKey.generate() if use == "encryption" else Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes_raw()
    algorithm = "x25519" if use == "encryption" else "ed25519"
    entry = KeyEntry(key_id(member_id, use, raw), use, algorithm, raw, now, now + timedelta(days=365))  # type: ignore[arg-type]
    return entry, private


def signer_of(federation_dir: Path, member_id: str) -> SignerKey:
    identity = load_identity(federation_dir, member_id, PASSPHRASE)
    return SignerKey(member_id, identity.signing_key_id, identity.signing_key)


@pytest.fixture
def now(federation_dir: Path) -> datetime:
    """A moment inside the session federation's key validity: it is made when the run starts."""
    return load_manifest(federation_dir).created + timedelta(minutes=1)


@pytest.fixture
def own_federation(federation_dir: Path, tmp_path: Path) -> Path:
    """A copy of the session federation: rotation writes keyrings into it."""
    copy = tmp_path / "fed"
    shutil.copytree(federation_dir, copy)
    return copy


# --------------------------------------------------------------------------- the pure checks


def test_announcement_checks_each_rule_with_its_own_reason(federation_dir: Path, now: datetime) -> None:
    directory = Directory.from_federation(federation_dir)
    signer = signer_of(federation_dir, MEMBER)
    entry, private = new_key(MEMBER, "signing", now)
    good = sign_key_announcement(entry, timedelta(days=7), now, signer, private)  # type: ignore[arg-type]
    rotation = check_key_announcement(good, directory, MEMBER, now)
    assert rotation.key.key_id == entry.key_id and not rotation.already_current

    def refusal(request: object, caller: str = MEMBER, at: datetime = now) -> EnvelopeError:
        with pytest.raises(EnvelopeError) as refused:
            check_key_announcement(request, directory, caller, at)  # type: ignore[arg-type]
        return refused.value

    def reason(request: object, caller: str = MEMBER, at: datetime = now) -> str:
        return refusal(request, caller, at).reason_name

    assert reason(good, caller=PARTNER) == "SENDER_MISMATCH"
    assert reason(good, at=now + timedelta(hours=1)) == "CLOCK_SKEW"
    tampered = type(good)()
    tampered.CopyFrom(good)
    tampered.signature.value = bytes(64)
    assert reason(tampered) == "SIGNATURE_INVALID"
    relabelled = type(good)()
    relabelled.CopyFrom(good)
    relabelled.signature.algorithm = envelope_pb2.SIGNATURE_ALGORITHM_UNSPECIFIED  # the value still verifies
    assert "signature algorithm is SIGNATURE_ALGORITHM_UNSPECIFIED" in refusal(relabelled).detail
    no_proof = sign_key_announcement(entry, timedelta(days=7), now, signer)
    assert reason(no_proof) == "KEY_INVALID"  # an Ed25519 key without proof of possession
    wrong_proof = sign_key_announcement(entry, timedelta(days=7), now, signer, Ed25519PrivateKey.generate())
    assert reason(wrong_proof) == "SIGNATURE_INVALID"
    too_long = sign_key_announcement(entry, timedelta(days=91), now, signer, private)  # type: ignore[arg-type]
    assert reason(too_long) == "KEY_INVALID"
    bad_id = KeyEntry(f"{MEMBER}/signing/0000000000000000", *list(entry.__dict__.values())[1:])
    assert reason(sign_key_announcement(bad_id, timedelta(0), now, signer, private)) == "KEY_INVALID"  # type: ignore[arg-type]
    x_entry, _ = new_key(MEMBER, "encryption", now)
    # An encryption key announced as Ed25519, with its proof of possession: only the algorithm
    # rule is left to refuse it.
    ed_private = Ed25519PrivateKey.generate()
    wrong_algorithm = KeyEntry(
        x_entry.key_id, "encryption", "ed25519", ed_private.public_key().public_bytes_raw(), now,
        x_entry.valid_until,
    )
    refused = refusal(sign_key_announcement(wrong_algorithm, timedelta(0), now, signer, ed_private))
    assert refused.reason_name == "KEY_INVALID"
    assert "encryption keys must be x25519, not ed25519" in refused.detail
    old_signer = SignerKey(MEMBER, "CO-INPEC/signing/ffffffffffffffff", signer.private_key)
    assert reason(sign_key_announcement(x_entry, timedelta(0), now, old_signer)) == "UNKNOWN_SIGNING_KEY"
    malformed = type(good)(announcement=b"\xff\xff", signature=good.signature)
    assert reason(malformed) == "MALFORMED"
    # Applied, the same announcement is answered as success; another key under the same id is not.
    apply_rotation(directory, rotation, now)
    assert check_key_announcement(good, directory, MEMBER, now).already_current
    # The old signing key is now previous: it still authorises during the overlap.
    member = directory.member(MEMBER)
    assert member is not None and [k.status for k in member.keys if k.use == "signing"] == [
        "previous",
        "current",
    ]


def test_status_change_only_by_an_operator_and_revocation_is_final(
    federation_dir: Path, now: datetime
) -> None:
    directory = Directory.from_federation(federation_dir)
    operator = signer_of(federation_dir, "OPERATOR-1")
    revoke = sign_status_change(OTHER, "revoked", "key compromise reported", now, operator)
    change = check_status_change(revoke, directory, "OPERATOR-1", now)
    assert (change.member_id, change.status) == (OTHER, "revoked")
    member_signed = sign_status_change(OTHER, "suspended", "", now, signer_of(federation_dir, MEMBER))
    with pytest.raises(EnvelopeError) as refused:
        check_status_change(member_signed, directory, MEMBER, now)
    assert refused.value.reason_name == "SENDER_MISMATCH"
    with pytest.raises(EnvelopeError) as refused:
        check_status_change(
            sign_status_change(OTHER, "active", "x\ny", now, operator), directory, "OPERATOR-1", now
        )
    assert refused.value.reason_name == "MALFORMED"
    directory.set_status(OTHER, "revoked")
    reinstate = sign_status_change(OTHER, "active", "appeal", now, operator)
    with pytest.raises(EnvelopeError) as refused:
        check_status_change(reinstate, directory, "OPERATOR-1", now)
    assert refused.value.reason_name == "MEMBER_REVOKED"
    with pytest.raises(ValueError, match="status must be one of"):
        sign_status_change(OTHER, "paused", "", now, operator)


# --------------------------------------------------------------------------- the store (every backend)


def test_store_keeps_one_linear_order_of_changes(store) -> None:
    entry = AuditEntry(
        time=NOW,
        actor_kind="member",
        actor_id=MEMBER,
        officer_pseudonym="",
        action="key.rotate",
        object_ids=(f"member:{MEMBER}",),
        outcome="ok",
        reason="",
        details={},
    ).encode()
    size = store.audit_size()
    change = StoredDirectoryChange(0, KEY_ANNOUNCEMENT, MEMBER, b"first", NOW)
    assert store.directory_sequence() == 0
    assert store.record_directory_change(change, 0, entry) == 1
    # A replica that has not seen change 1 cannot store on top of 0: nothing is written.
    assert store.record_directory_change(change, 0, entry) is None
    assert store.audit_size() == size + 1
    assert (
        store.record_directory_change(
            StoredDirectoryChange(0, KEY_ANNOUNCEMENT, MEMBER, b"second", NOW), 1, entry
        )
        == 2
    )
    stored = store.directory_changes()
    assert [(c.sequence, c.request) for c in stored] == [(1, b"first"), (2, b"second")]
    assert stored[0].recorded_at == NOW and stored[0].member_id == MEMBER
    assert [c.sequence for c in store.directory_changes(1)] == [2]
    assert store.directory_sequence() == 2 and store.audit_size() == size + 2


# --------------------------------------------------------------------------- over gRPC, across restarts


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_rotation_and_revocation_survive_a_restart(
    own_federation: Path, tmp_path: Path, backend: str
) -> None:
    url = fresh_database_url(backend, tmp_path)
    first_key = load_identity(own_federation, MEMBER, PASSPHRASE).signing_key_id  # signs both rotations
    hub = await start_test_hub(own_federation, url)
    try:
        sender = await hub.client(PARTNER)
        before = sender.seal(practice(PARTNER), knowledge_metadata(), [MEMBER])  # sealed to the old key
        member = await hub.client(MEMBER)
        encryption = await rotate_key(
            member, own_federation, "encryption", PASSPHRASE, overlap=timedelta(days=7)
        )
        await member.close()
        member = await hub.client(MEMBER)  # reconnect: sign with the rotated keys from the keyring
        signing = await rotate_key(member, own_federation, "signing", PASSPHRASE, overlap=timedelta(days=7))
        assert signing.directory_version == encryption.directory_version + 1
        assert signing.previous_valid_until is not None
        await member.close()
        entries = keyring.read_keyring(own_federation, MEMBER)
        assert entries is not None and {e.status for e in entries} == {"current", "previous"}
        # A re-run after a lost answer: the same key announced again is success and changes nothing.
        current = next(e for e in entries if e.use == "encryption" and e.status == "current")
        member = await hub.client(MEMBER)
        again = await member.announce_key(
            KeyEntry(
                current.key_id,
                "encryption",
                "x25519",
                current.public_key,
                current.valid_from,
                current.valid_until,
            ),
            timedelta(days=7),
        )
        await member.close()
        assert again.directory_version == signing.directory_version
        assert again.previous_valid_until.ToDatetime(UTC) == encryption.previous_valid_until
        assert hub.store.directory_sequence() == 2
        await sender.refresh_directory()
        after = sender.seal(practice(PARTNER), knowledge_metadata(), [MEMBER])  # sealed to the new key
        assert after.key_wraps[0].key_id == encryption.new_key_id
        assert [r.outcome for r in await sender.submit([before, after])] == [
            E.Receipt.Outcome.OUTCOME_ACCEPTED
        ] * 2
        operator = await hub.client("OPERATOR-1")
        await operator.set_member_status(OTHER, "revoked", "certificate key compromised")
        # Refusals are specific and audited.
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await sender.set_member_status(OTHER, "active", "")
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        await operator.close()
        await sender.close()
        version = hub.running.directory.version  # type: ignore[attr-defined]
        actions = [AuditEntry.decode(e) for e in hub.store.audit_entries(0, hub.store.audit_size())]
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]
    assert [(e.action, e.outcome) for e in actions if e.action in ("key.rotate", "directory.change")] == [
        ("key.rotate", "ok"),
        ("key.rotate", "ok"),
        ("directory.change", "ok"),
    ]
    # Each entry names the key that signed the change and when the signer made it.
    operator_key = load_identity(own_federation, "OPERATOR-1", PASSPHRASE).signing_key_id
    changes = [e for e in actions if e.outcome == "ok" and e.action in ("key.rotate", "directory.change")]
    assert [e.details["signed_with"] for e in changes] == [first_key, first_key, operator_key]
    signed_at = [datetime.fromisoformat(str(e.details.get("announced_at") or e.details["changed_at"]))
                 for e in changes]
    assert all(abs(at - e.time) < timedelta(minutes=1) for at, e in zip(signed_at, changes, strict=True))

    # A new hub process on the same database replays the stored changes over the manifest.
    hub = await start_test_hub(own_federation, url)
    try:
        directory = hub.running.directory  # type: ignore[attr-defined]
        assert directory.version == version
        assert directory.member(OTHER).status == "revoked"
        assert directory.member(MEMBER).current_key("signing").key_id == signing.new_key_id
        assert directory.encryption_key(MEMBER)[0] == encryption.new_key_id
        member = await hub.client(MEMBER)
        opened = []
        async for delivery in member.fetch(limit=2):
            opened.append(member.open(delivery))  # one under the previous key, one under the new
        assert len(opened) == 2
        receipts = await member.submit([member.seal(practice(MEMBER), knowledge_metadata(), [PARTNER])])
        assert receipts[0].outcome == E.Receipt.Outcome.OUTCOME_ACCEPTED  # signed with the new key
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await hub.client(OTHER)
        assert reason_of(refused.value) == "MEMBER_REVOKED"
        await member.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_a_refused_announcement_is_audited_and_changes_nothing(own_federation: Path) -> None:
    hub = await start_test_hub(own_federation)
    try:
        member = await hub.client(MEMBER)
        version = hub.running.directory.version  # type: ignore[attr-defined]
        entry, private = new_key(PARTNER, "signing", datetime.now(UTC))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            # Announcing a key for another member: the hub refuses before anything is stored.
            await member.directory_stub.AnnounceKey(
                sign_key_announcement(
                    entry,
                    timedelta(days=1),
                    datetime.now(UTC),
                    SignerKey(PARTNER, "x", cast(Ed25519PrivateKey, private)),  # a signing key: Ed25519
                ),
                timeout=10,
            )
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert reason_of(refused.value) == "SENDER_MISMATCH"
        assert hub.running.directory.version == version  # type: ignore[attr-defined]
        assert hub.store.directory_sequence() == 0
        last = AuditEntry.decode(
            hub.store.audit_entries(hub.store.audit_size() - 1, hub.store.audit_size())[0]
        )
        assert (last.action, last.outcome, last.reason) == ("key.rotate", "deny", "SENDER_MISMATCH")
        await member.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


def test_retirement_deletes_the_private_half_after_the_overlap(own_federation: Path) -> None:
    now = datetime.now(UTC)
    entry, _ = keyring.generate_key(
        own_federation, MEMBER, "encryption", PASSPHRASE, now, timedelta(days=365)
    )
    again, _ = keyring.generate_key(
        own_federation, MEMBER, "encryption", PASSPHRASE, now, timedelta(days=365)
    )
    assert again.key_id == entry.key_id  # a crashed run's pending key is reused, not a second one
    keyring.activate(own_federation, MEMBER, entry.key_id, now + timedelta(hours=1), now)
    identity = load_identity(own_federation, MEMBER, PASSPHRASE)
    assert identity.encryption_key_id == entry.key_id and len(identity.decryption_keys) == 2
    assert keyring.retire_expired(own_federation, MEMBER, now) == []
    previous = next(e for e in keyring.read_keyring(own_federation, MEMBER) or [] if e.status == "previous")
    assert keyring.retire_expired(own_federation, MEMBER, now + timedelta(hours=2)) == [previous.key_id]
    assert not (own_federation / previous.private_key_path).exists()
    identity = load_identity(own_federation, MEMBER, PASSPHRASE)
    assert list(identity.decryption_keys) == [entry.key_id]


# --------------------------------------------------------------------------- the rotate-keys flow


@pytest.mark.prefect
async def test_rotate_keys_flow_rotates_what_is_due_and_retires_after_the_overlap(
    prefect_harness: None, own_federation: Path
) -> None:
    from prefect.artifacts import Artifact

    from flows.keys import rotate_keys

    hub = await start_test_hub(own_federation)
    fed = str(own_federation)
    try:
        first = await rotate_keys(MEMBER, target=hub.target, federation_dir=fed, force=True, overlap_days=0)
        assert [r.use for r in first.rotated] == ["encryption", "approver", "signing"]
        directory = hub.running.directory  # type: ignore[attr-defined]
        for rotated in first.rotated:
            assert directory.member(MEMBER).current_key(rotated.use).key_id == rotated.new_key_id
        artifact = await Artifact.aget("rotate-keys-co-inpec")
        assert artifact is not None and first.rotated[0].new_key_id in str(artifact.data)
        # Nothing is due the next day; the replaced keys' overlap (none) is over: they are retired.
        second = await rotate_keys(MEMBER, target=hub.target, federation_dir=fed)
        assert second.rotated == [] and sorted(second.not_due) == ["approver", "encryption", "signing"]
        assert sorted(second.retired) == sorted(r.previous_key_id for r in first.rotated)
        # The member keeps exchanging under its new keys.
        partner = await hub.client(PARTNER)
        receipts = await partner.submit([partner.seal(practice(PARTNER), knowledge_metadata(), [MEMBER])])
        assert receipts[0].outcome == E.Receipt.Outcome.OUTCOME_ACCEPTED
        member = await hub.client(MEMBER)
        async for delivery in member.fetch(limit=1):
            assert member.open(delivery).sender == PARTNER
        await member.close()
        await partner.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the operator's CLI


def test_operator_suspends_and_reinstates_from_the_cli(own_federation: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.demo import HubThread
    from hub.cli.main import app
    from hub.settings import HubSettings

    hub = HubThread(
        HubSettings(federation_dir=own_federation, data_dir=tmp_path, listen="127.0.0.1:0"),
        own_federation,
        PASSPHRASE,
    )
    target = f"127.0.0.1:{hub.start()}"
    env = {"PXHUB_KEY_PASSPHRASE": PASSPHRASE.decode(), "COLUMNS": "250"}
    common = ["--target", target, "--federation-dir", str(own_federation)]
    runner = CliRunner()
    try:
        done = runner.invoke(
            app, ["member-status", OTHER, "suspended", "--reason", "audit pending", *common], env=env
        )
        assert done.exit_code == 0, done.output
        assert f"{OTHER} is now suspended" in done.output
        listed = runner.invoke(app, ["members", *common], env=env)
        assert listed.exit_code == 0, listed.output
        assert next(line for line in listed.output.splitlines() if OTHER in line).count("suspended") == 1
        refused = runner.invoke(
            app, ["member-status", OTHER, "active", "--reason", "ok", *common, "--as", MEMBER], env=env
        )
        assert refused.exit_code == 1  # the hub refused it
        assert "ROLE_NOT_PERMITTED" in refused.output
        bad = runner.invoke(app, ["member-status", OTHER, "paused", "--reason", "x", *common], env=env)
        assert bad.exit_code == 2 and "status: expected active, suspended or revoked" in bad.output
        back = runner.invoke(
            app, ["member-status", OTHER, "active", "--reason", "audit closed", *common], env=env
        )
        assert back.exit_code == 0, back.output
    finally:
        hub.stop()
    # The file as issued still shows it active; the hub's database holds the changes.
    offline = runner.invoke(app, ["members", "--federation-dir", str(own_federation)], env=env)
    assert offline.exit_code == 0 and "version 1)" in offline.output


# --------------------------------------------------------------------------- replicas


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_replicas_apply_each_others_changes_in_one_order(
    own_federation: Path, tmp_path: Path, backend: str, now: datetime
) -> None:
    url = fresh_database_url(backend, tmp_path)
    first = await start_test_hub(own_federation, url)
    second = await start_test_hub(own_federation, url)
    try:
        on_first = await first.client(MEMBER)
        rotated = await rotate_key(
            on_first, own_federation, "encryption", PASSPHRASE, overlap=timedelta(days=1)
        )
        await on_first.close()
        # The second replica has not looked yet; a change made through it catches up first.
        on_second = await second.client(MEMBER)
        again = await rotate_key(on_second, own_federation, "approver", PASSPHRASE, overlap=timedelta(days=1))
        await on_second.close()
        assert again.directory_version == rotated.directory_version + 1
        first.running.context.directory_book.catch_up()  # type: ignore[attr-defined]
        one, two = first.running.directory, second.running.directory  # type: ignore[attr-defined]
        assert one.version == two.version
        assert one.to_proto(now=now).SerializeToString() == two.to_proto(now=now).SerializeToString()
        assert [c.sequence for c in first.store.directory_changes()] == [1, 2]
    finally:
        await first.running.stop(grace=0.1)  # type: ignore[attr-defined]
        await second.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_a_recipient_with_a_stale_directory_refreshes_it_once(own_federation: Path) -> None:
    hub = await start_test_hub(own_federation)
    try:
        recipient = await hub.client(PARTNER)  # loads the directory before the sender rotates
        sender = await hub.client(MEMBER)
        await rotate_key(sender, own_federation, "signing", PASSPHRASE, overlap=timedelta(days=1))
        await sender.close()
        sender = await hub.client(MEMBER)
        await sender.submit([sender.seal(practice(MEMBER), knowledge_metadata(), [PARTNER])])
        delivery = await anext(recipient.fetch(limit=1))
        with pytest.raises(EnvelopeError) as stale:
            recipient.open(delivery)
        assert stale.value.reason_name == "UNKNOWN_SIGNING_KEY"
        assert (await recipient.open_current(delivery)).sender == MEMBER
        await sender.close()
        await recipient.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


def test_replicas_starting_together_both_take_the_federation_policy(
    federation_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, now: datetime
) -> None:
    """The second replica checks, the first publishes, then the second's publish finds it done."""
    from hub.services.policy_gate import PolicyBook
    from hub.store import open_store
    from hub.store.policy_consent import PolicyConsentStore

    url = fresh_database_url("sqlite", tmp_path)
    directory = Directory.from_federation(federation_dir)
    first, second = open_store(url), open_store(url)
    try:
        assert isinstance(first, PolicyConsentStore) and isinstance(second, PolicyConsentStore)
        late = PolicyBook(second, directory)
        seen = [0]  # what `late` saw before the first replica published; then the real number
        real = second.policy_version
        monkeypatch.setattr(second, "policy_version", lambda: seen.pop() if seen else real())
        PolicyBook(first, directory).bootstrap(federation_dir, now)
        policy = late.bootstrap(federation_dir, now)
        assert policy is not None and policy.version == first.policy_version() == 1
    finally:
        first.close()
        second.close()
