"""Keys and certificates: rotation with overlap, revocation, expiry warnings."""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.core.envelope import EnvelopeError, SignerKey, verify
from hub.dev.federation import default_members
from hub.identity.directory import Directory, KeyEntry
from hub.identity.manifest import key_id
from hub.runtime.logs import configure_logging
from hub.server.app import warn_expiring
from hub.transport.status import reason_of
from pxhub.v1 import envelope_pb2
from tests.conftest import start_test_hub
from tests.test_exchange_grpc import knowledge_metadata, practice
from tests.test_hostile_input import RECIPIENTS, SENDER, _sealer

E = envelope_pb2


def new_signing_key(member_id: str, now: datetime) -> tuple[Ed25519PrivateKey, KeyEntry]:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes_raw()
    until = now + timedelta(days=365)
    entry = KeyEntry(key_id(member_id, "signing", raw), "signing", "ed25519", raw, now, until)
    return private, entry


def test_rotation_with_overlap_then_retirement(federation_dir: Path) -> None:
    directory = Directory.from_federation(federation_dir)
    before_rotation = _sealer(federation_dir, directory)()  # signed with the original key
    now = datetime.now(UTC)
    private, entry = new_signing_key(SENDER, now)
    version = directory.version
    directory.rotate_key(SENDER, entry, now, overlap=timedelta(hours=1))
    member = directory.member(SENDER)
    assert member is not None and directory.version == version + 1
    assert member.current_key("signing") == KeyEntry(**{**entry.__dict__, "status": "current"})
    assert [k.status for k in member.keys if k.use == "signing"] == ["previous", "current"]
    # During the overlap the old signature still verifies, and the new key signs new envelopes.
    assert verify(before_rotation, directory).metadata.sender.member_id == SENDER
    from hub.core.envelope import RecipientKey, seal

    keys = []
    for recipient in RECIPIENTS:
        found = directory.encryption_key(recipient)
        assert found is not None
        keys.append(RecipientKey(recipient, found[0], found[1]))
    after = seal(
        practice(SENDER),
        knowledge_metadata(),
        SignerKey(SENDER, entry.key_id, private),
        keys,
        now=datetime.now(UTC),
        random_bytes=os.urandom,
    )
    assert verify(after, directory).metadata.sender_key_id == entry.key_id
    with pytest.raises(ValueError, match="already has"):
        directory.rotate_key(SENDER, entry, now, timedelta(hours=1))
    # After the overlap the previous key is retired: what it signed no longer verifies.
    directory.rotate_key(SENDER, new_signing_key(SENDER, now)[1], now, overlap=timedelta(seconds=-1))
    old = next(k for k in member.keys if k.key_id == entry.key_id)
    assert old.status == "previous" and not old.usable_at(datetime.now(UTC))
    with pytest.raises(EnvelopeError) as refused:
        verify(after, directory)
    assert refused.value.reason == E.REASON_UNKNOWN_SIGNING_KEY


async def test_revocation_refuses_every_call_and_submission(federation_dir: Path) -> None:
    hub = await start_test_hub(federation_dir)
    revoked, partner = default_members()[3].member_id, default_members()[4].member_id
    try:
        client = await hub.client(revoked)
        partner_client = await hub.client(partner)
        ok = await client.submit([client.seal(practice(revoked), knowledge_metadata(), [partner])])
        assert ok[0].outcome == E.Receipt.Outcome.OUTCOME_ACCEPTED
        hub.running.directory.set_status(revoked, "revoked")  # type: ignore[attr-defined]
        member = hub.running.directory.member(revoked)  # type: ignore[attr-defined]
        assert {k.status for k in member.keys} == {"revoked"}
        # The open channel (its TLS session still up) is refused on every call, before handler work.
        for attempt in (
            client.submit([client.seal(practice(revoked), knowledge_metadata(), [partner])]),
            client.refresh_directory(),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await attempt
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert reason_of(refused.value) == "MEMBER_REVOKED"
        # The rest of the network keeps exchanging.
        receipts = await partner_client.submit(
            [partner_client.seal(practice(partner), knowledge_metadata(), [default_members()[0].member_id])]
        )
        assert receipts[0].outcome == E.Receipt.Outcome.OUTCOME_ACCEPTED
        await client.close()
        await partner_client.close()
    finally:
        await hub.running.stop(grace=0.1)  # type: ignore[attr-defined]


def test_expiry_warnings_in_logs(federation_dir: Path) -> None:
    directory = Directory.from_federation(federation_dir)
    now = datetime.now(UTC)
    soon = default_members()[2].member_id
    member = directory.member(soon)
    assert member is not None
    (current,) = member.certificates
    member.certificates = [replace(current, not_after=now + timedelta(days=5))]
    captured = io.StringIO()
    configure_logging("json", "info", stream=captured)
    try:
        warned = warn_expiring(directory, now)
    finally:
        configure_logging("console", "info")
    assert warned == [f"{soon}:certificate:{current.serial}"]
    line = json.loads(captured.getvalue().splitlines()[0])
    assert line["event"] == "certificate_expiring" and line["member"] == soon and line["days"] == 5
    assert line["level"] == "warning"
