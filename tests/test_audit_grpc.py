"""AuditService over real gRPC and mTLS on loopback: roles, proofs, checkpoints, cosignatures."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from hub.core import merkle
from hub.core.audit_index import index_terms
from hub.core.checkpoint import Checkpoint, cosign, open_checkpoint, verify_cosignatures
from hub.identity.manifest import load_manifest
from hub.sdk.audit.client import AuditClient, witness_key
from hub.sdk.audit.witness import WitnessInconsistentError, check_and_cosign
from hub.store.audit import StoredCheckpoint
from hub.transport.status import reason_of
from pxhub.v1 import audit_log_pb2, best_practice_pb2, envelope_pb2, record_pb2
from tests.conftest import PASSPHRASE, HubHandle, start_test_hub

Outcome = envelope_pb2.Receipt.Outcome


def practice(owner: str, title: str = "VIVIF") -> record_pb2.Record:
    """A programme record: not personal data, so any policy lets it travel between members."""
    return record_pb2.Record(
        best_practice=best_practice_pb2.BestPracticeRecord(
            practice_id=str(uuid.uuid4()), owner=owner, title=title
        )
    )


def knowledge_metadata() -> envelope_pb2.RecordMetadata:
    return envelope_pb2.RecordMetadata(
        purpose=envelope_pb2.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING,
        legal_basis=envelope_pb2.LEGAL_BASIS_NOT_PERSONAL_DATA,
    )


async def audit_client(hub: HubHandle, identity: str = "AUDITOR-1") -> AuditClient:
    return await AuditClient.connect(hub.target, hub.federation_dir, identity, PASSPHRASE)


async def populate(hub: HubHandle) -> None:
    """CO sends PE and GT a programme record each, plus a tampered one; GT sends MX one; PE acks."""
    co, gt, pe = [await hub.client(m) for m in ("CO-INPEC", "GT-DGSP", "PE-INPE")]
    try:
        bad = co.seal(practice("CO-INPEC"), knowledge_metadata(), ["PE-INPE"])
        bad.signatures[0].value = bytes(64)
        receipts = await co.submit(
            [
                co.seal(practice("CO-INPEC", "VIVIF"), knowledge_metadata(), ["PE-INPE"]),
                co.seal(practice("CO-INPEC"), knowledge_metadata(), ["GT-DGSP"]),
                bad,
            ]
        )
        expected = [Outcome.OUTCOME_ACCEPTED] * 2 + [Outcome.OUTCOME_REJECTED]
        assert [r.outcome for r in receipts] == expected, receipts
        sent = await gt.submit([gt.seal(practice("GT-DGSP", "CREO"), knowledge_metadata(), ["MX-OADPRS"])])
        assert sent[0].outcome == Outcome.OUTCOME_ACCEPTED
        opened = [pe.open(d) async for d in pe.fetch()]
        await pe.acknowledge([pe.receipt_for(o.verified) for o in opened])
    finally:
        for client in (co, gt, pe):
            await client.close()


async def all_entries(client: AuditClient, **filters: object) -> list[tuple[int, bytes]]:
    return [e async for e in client.entries(**filters)]  # type: ignore[arg-type]


async def test_auditor_reads_everything_and_a_member_only_what_concerns_it(hub_server: HubHandle) -> None:
    await populate(hub_server)
    auditor, co = await audit_client(hub_server), await audit_client(hub_server, "CO-INPEC")
    try:
        size = hub_server.store.audit_size()
        everything = await all_entries(auditor, end=size, page_size=2)
        assert [i for i, _ in everything] == list(range(size))
        assert [e for _, e in everything] == hub_server.store.audit_entries(0, size)

        mine = await all_entries(co, end=size)
        assert mine and all("CO-INPEC" in index_terms(e).parties for _, e in mine)
        assert {index_terms(e).action for _, e in mine} == {"submit"}
        assert not any(b"GT-DGSP" in e and b'"actor_id":"GT-DGSP"' in e for _, e in mine)
        concerning = [i for i, e in everything if "CO-INPEC" in index_terms(e).parties]
        assert [i for i, _ in mine] == concerning

        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await all_entries(co, member_id="GT-DGSP")
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert reason_of(refused.value) == "AUDIT_FILTER_INVALID"

        acks = await all_entries(auditor, action="acknowledge")
        assert acks and all(index_terms(e).action == "acknowledge" for _, e in acks)
        assert all(index_terms(e).actor_id == "PE-INPE" for _, e in acks)
        message = index_terms(acks[0][1]).objects[0].removeprefix("message:")
        about = await all_entries(auditor, message_id=message)
        assert [index_terms(e).action for _, e in about] == ["submit", "deliver", "acknowledge"]
        by_gt = await all_entries(auditor, actor_id="GT-DGSP", action="submit")
        assert len(by_gt) == 1 and b'"recipients":"MX-OADPRS"' in by_gt[0][1]
        later = datetime.now(UTC) + timedelta(hours=1)
        assert await all_entries(auditor, since=later) == []
        assert len(await all_entries(auditor, until=later, end=size)) == size
        assert len(await all_entries(auditor, limit=3)) == 3
        with pytest.raises(grpc.aio.AioRpcError) as bad_action:
            await all_entries(auditor, action="teleport")
        assert reason_of(bad_action.value) == "AUDIT_FILTER_INVALID"
    finally:
        await auditor.close()
        await co.close()


async def test_unknown_caller_is_refused_with_a_reason(federation_dir: Path, tmp_path: Path) -> None:
    from hub.identity.credentials import load_hub
    from hub.identity.directory import Directory
    from hub.server.app import start_hub
    from hub.settings import HubSettings
    from hub.store import open_store

    full = Directory.from_federation(federation_dir)
    without_do = Directory([m for m in full.members.values() if m.member_id != "DO-DGSPC"], full.hub_origin)
    running = await start_hub(
        HubSettings(federation_dir=federation_dir, listen="127.0.0.1:0"),
        load_hub(federation_dir, PASSPHRASE),
        without_do,
        open_store(f"sqlite:///{tmp_path / 'hub.db'}"),
    )
    stranger = await AuditClient.connect(f"127.0.0.1:{running.port}", federation_dir, "DO-DGSPC", PASSPHRASE)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stranger.checkpoint()
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert reason_of(refused.value) == "UNKNOWN_CALLER"
        entries = running.store.audit_entries(0, running.store.audit_size())
        assert any(b'"action":"auth.refuse"' in e and b"GetCheckpoint" in e for e in entries)
    finally:
        await stranger.close()
        await running.stop(0.1)


async def test_proofs_verify_against_signed_checkpoints(hub_server: HubHandle) -> None:
    await populate(hub_server)
    auditor = await audit_client(hub_server)
    pe = await audit_client(hub_server, "PE-INPE")
    try:
        first = await auditor.checkpoint(issue=True)
        old = first.checkpoint
        assert first.response.log_verifier_key.startswith(f"{old.origin}+")
        entries = await all_entries(auditor, end=old.size)
        for index, entry in entries:
            proof = await auditor.inclusion_proof(index, old.size)
            merkle.verify_inclusion(merkle.leaf_hash(entry), index, old.size, proof, old.root_hash)

        await populate(hub_server)
        second = (await auditor.checkpoint(issue=True)).checkpoint
        assert second.size > old.size
        proof = await auditor.consistency_proof(old.size, second.size)
        merkle.verify_consistency(old.size, second.size, old.root_hash, second.root_hash, proof)
        assert await auditor.consistency_proof(second.size, second.size) == []

        # A member proves its own entries, never others'.
        own = (await all_entries(pe, end=second.size))[0][0]
        proof = await pe.inclusion_proof(own, second.size)
        merkle.verify_inclusion(
            merkle.leaf_hash(dict(entries)[own]), own, second.size, proof, second.root_hash
        )
        foreign = next(i for i, e in entries if "PE-INPE" not in index_terms(e).parties)
        with pytest.raises(grpc.aio.AioRpcError) as not_theirs:
            await pe.inclusion_proof(foreign, second.size)
        assert not_theirs.value.code() == grpc.StatusCode.PERMISSION_DENIED

        for call, reason in (
            (auditor.inclusion_proof(second.size, second.size), "PROOF_RANGE"),
            (auditor.inclusion_proof(0, 10**9), "PROOF_RANGE"),
            (auditor.consistency_proof(0, second.size), "PROOF_RANGE"),
            (auditor.consistency_proof(second.size, old.size), "PROOF_RANGE"),
            (auditor.checkpoint(size=10**6), "CHECKPOINT_UNKNOWN"),
            (
                auditor.stub.GetCheckpoint(audit_log_pb2.GetCheckpointRequest(issue=True, size=1)),
                "AUDIT_FILTER_INVALID",
            ),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            assert reason_of(refused.value) == reason
        again = await auditor.checkpoint(size=old.size)
        assert again.note == first.note
    finally:
        await auditor.close()
        await pe.close()


async def test_never_two_roots_for_one_size(hub_server: HubHandle) -> None:
    await populate(hub_server)
    auditor = await audit_client(hub_server)
    try:
        store = hub_server.store
        # Nothing is appended between the two reads but the audit.query entries of the calls
        # themselves, so freeze the log by issuing from the service directly.
        from hub.server.context import audit_service

        service = audit_service(hub_server.running.context)  # type: ignore[attr-defined]
        issued = service.issue()
        assert service.issue() == issued  # unchanged log: the stored checkpoint, not a new signature
        forged = StoredCheckpoint(issued.size, bytes(32), "forged", datetime.now(UTC))
        assert store.save_checkpoint(forged) == issued
        served = await auditor.checkpoint(size=issued.size)
        assert served.checkpoint.root_hash == issued.root_hash
        assert served.note.startswith(issued.note.split("\n\n")[0])
    finally:
        await auditor.close()


async def test_hub_refuses_to_sign_a_tree_that_does_not_extend_its_last_checkpoint(
    federation_dir: Path, tmp_path: Path
) -> None:
    handle = await start_test_hub(federation_dir, f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        await populate(handle)
        from hub.server.context import audit_service

        service = audit_service(handle.running.context)  # type: ignore[attr-defined]
        issued = service.issue()
        await populate(handle)
        import sqlite3

        with sqlite3.connect(tmp_path / "hub.db") as db:  # rewrite history behind the hub's back
            db.execute("UPDATE merkle_nodes SET hash = ? WHERE idx = 0", (bytes(32),))
        from hub.services.audit import LogCorruptedError

        with pytest.raises(LogCorruptedError):
            service.issue()
        assert handle.store.latest_checkpoint() == issued
    finally:
        await handle.running.stop(0.1)  # type: ignore[attr-defined]


async def test_cosignatures_are_checked_before_they_are_stored(hub_server: HubHandle) -> None:
    await populate(hub_server)
    uy = await audit_client(hub_server, "UY-INR")
    pe = await audit_client(hub_server, "PE-INPE")
    operator = await audit_client(hub_server, "OPERATOR-1")
    auditor = await audit_client(hub_server)
    manifest = load_manifest(hub_server.federation_dir)
    try:
        witnessed = await uy.witness(None, issue=True)
        first = witnessed.checkpoint
        served = await auditor.checkpoint(size=first.size)
        assert [c.witness for c in served.response.checkpoint.cosignatures] == ["UY-INR"]
        assert verify_cosignatures(served.note, {"UY-INR": witness_key(manifest, "UY-INR")}) == {
            "UY-INR": served.response.checkpoint.cosignatures[0].cosigned_at
        }
        again = await uy.add_cosignature(first.size, witnessed.cosignature.line())
        assert again.already_present

        line = witnessed.cosignature.line()
        body = first.body()
        refusals = {
            "another witness's line": (pe, first.size, line, "COSIGNATURE_INVALID"),
            "bad signature": (
                uy,
                first.size,
                cosign(body, "UY-INR", pe.identity.signing_key, int(time.time())).line(),
                "COSIGNATURE_INVALID",
            ),
            "not a signature line": (uy, first.size, "hello", "COSIGNATURE_INVALID"),
            "unknown size": (uy, 10**6, line, "CHECKPOINT_UNKNOWN"),
            "operator": (operator, first.size, line, "ROLE_NOT_PERMITTED"),
        }
        for case, (client, size, text, reason) in refusals.items():
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await client.add_cosignature(size, text)
            assert reason_of(refused.value) == reason, case

        await populate(hub_server)
        middle = (await auditor.checkpoint(issue=True)).checkpoint  # UY-INR does not cosign this one
        await populate(hub_server)
        second = await uy.witness(first, issue=True)
        assert second.checkpoint.size > middle.size > first.size
        # Cosigning the older checkpoint now would contradict what UY-INR already stated.
        stale = cosign(middle.body(), "UY-INR", uy.identity.signing_key, int(time.time()))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await uy.add_cosignature(middle.size, stale.line())
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert reason_of(refused.value) == "WITNESS_INCONSISTENT"
    finally:
        for client in (uy, pe, operator, auditor):
            await client.close()


async def test_witness_refuses_a_checkpoint_that_does_not_extend_its_last(hub_server: HubHandle) -> None:
    await populate(hub_server)
    uy = await audit_client(hub_server, "UY-INR")
    try:
        view = await uy.checkpoint(issue=True)
        forked = Checkpoint(view.checkpoint.origin, view.checkpoint.size, bytes(32))
        with pytest.raises(WitnessInconsistentError, match="fork"):
            check_and_cosign(
                view.note,
                origin=uy.origin,
                log_key=uy.log_key,
                last=forked,
                proof=[],
                name="UY-INR",
                private_key=uy.identity.signing_key,
                timestamp=int(time.time()),
            )
        with pytest.raises(WitnessInconsistentError):
            await uy.witness(Checkpoint(view.checkpoint.origin, 1, bytes(32)))
        assert uy.origin == open_checkpoint(view.note, {uy.origin: uy.log_key})[0].origin
    finally:
        await uy.close()


async def test_every_audit_call_is_logged(hub_server: HubHandle) -> None:
    await populate(hub_server)
    auditor = await audit_client(hub_server)
    co = await audit_client(hub_server, "CO-INPEC")
    try:
        before = hub_server.store.audit_size()
        view = await auditor.checkpoint(issue=True)
        await all_entries(auditor, action="submit")
        _ = [e async for e in auditor.entries(end=3, for_export=True)]
        await auditor.inclusion_proof(0, view.checkpoint.size)
        await auditor.consistency_proof(1, view.checkpoint.size)
        await all_entries(co)
        with pytest.raises(grpc.aio.AioRpcError):
            await auditor.consistency_proof(0, 1)
        after = hub_server.store.audit_entries(before, hub_server.store.audit_size())
    finally:
        await auditor.close()
        await co.close()
    logged = [(index_terms(e).action, index_terms(e).actor_id, e) for e in after]
    methods = [e.split(b'"method":"')[1].split(b'"')[0].decode() for _, _, e in logged]
    assert methods == [
        "GetCheckpoint",
        "ListEntries",
        "ListEntries",
        "GetInclusionProof",
        "GetConsistencyProof",
        "ListEntries",
        "GetConsistencyProof",
    ]
    assert [a for a, _, _ in logged] == ["audit.query"] * 2 + ["audit.export"] + ["audit.query"] * 4
    assert [who for _, who, _ in logged][-2] == "CO-INPEC"
    assert b'"outcome":"deny"' in logged[-1][2] and b'"reason":"PROOF_RANGE"' in logged[-1][2]


async def test_checkpoints_are_issued_in_the_background(federation_dir: Path, tmp_path: Path) -> None:
    handle = await start_test_hub(
        federation_dir, f"sqlite:///{tmp_path / 'hub.db'}", checkpoint_interval_seconds=0.05
    )
    try:
        await populate(handle)
        size = handle.store.audit_size()
        async with asyncio.timeout(10):
            while (latest := handle.store.latest_checkpoint()) is None or latest.size < size:
                await asyncio.sleep(0.02)
        manifest = load_manifest(federation_dir)
        checkpoint, _ = open_checkpoint(latest.note, {manifest.hub_origin: manifest.hub_public_key()})
        assert checkpoint.size == latest.size and checkpoint.root_hash == handle.store.audit_root(latest.size)
    finally:
        await handle.running.stop(0.1)  # type: ignore[attr-defined]
