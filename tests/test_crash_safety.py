"""Crash safety: the hub as its own process, SIGKILLed at random moments, restarted on the same file.

Proves: every record that got an ACCEPTED receipt is delivered; after the recipient's confirmed
acknowledgement it is never delivered again (redeliveries before an acknowledgement are allowed
and counted); the audit log verifies after every restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from hub.dev.federation import default_members
from hub.identity.manifest import load_manifest
from hub.sdk import MemberClient
from hub.sdk.audit.client import AuditClient, trust_anchors
from hub.sdk.audit.verify import verify_log
from pxhub.v1 import envelope_pb2, exchange_pb2
from tests.conftest import PASSPHRASE
from tests.test_exchange_grpc import knowledge_metadata, practice

pytestmark = pytest.mark.crash

SENDER = default_members()[0].member_id
RECIPIENT = default_members()[1].member_id
KILLS = 4
ACCEPTED = envelope_pb2.Receipt.Outcome.OUTCOME_ACCEPTED
DUPLICATE = envelope_pb2.Receipt.Outcome.OUTCOME_DUPLICATE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HubProcess:
    def __init__(self, federation_dir: Path, database: Path, port: int, log: Path) -> None:
        self.args = [
            sys.executable,
            "-m",
            "hub.cli.main",
            "serve",
            "--federation-dir",
            str(federation_dir),
            "--listen",
            f"127.0.0.1:{port}",
            "--database-url",
            f"sqlite:///{database}",
            "--log-format",
            "json",
        ]
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PXHUB_KEY_PASSPHRASE": PASSPHRASE.decode()}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, env=env)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


async def connect(target: str, federation_dir: Path, member: str) -> MemberClient:
    for _ in range(200):
        try:
            return await MemberClient.connect(target, federation_dir, member, PASSPHRASE)
        except grpc.aio.AioRpcError:
            await asyncio.sleep(0.1)
    raise AssertionError("the hub did not come up")


async def verify_audit(target: str, federation_dir: Path) -> int:
    client = await AuditClient.connect(target, federation_dir, "AUDITOR-1", PASSPHRASE)
    try:
        verified = await verify_log(client, trust_anchors(load_manifest(federation_dir)), check_entries=True)
    finally:
        await client.close()
    return verified.checkpoint.size


async def test_sigkill_loses_nothing_accepted(federation_dir: Path, tmp_path: Path) -> None:
    rng = random.Random(11)
    port = free_port()
    target = f"127.0.0.1:{port}"
    hub = HubProcess(federation_dir, tmp_path / "hub.db", port, tmp_path / "hub.log")
    accepted: set[str] = set()
    acknowledged: set[str] = set()  # the hub answered RECORDED
    after_ack: list[str] = []
    redeliveries = 0
    audit_sizes = []

    async def submit_forever(client: MemberClient) -> None:
        while True:
            envelopes = [client.seal(practice(SENDER), knowledge_metadata(), [RECIPIENT]) for _ in range(5)]
            receipts = await client.submit(envelopes, batch_size=5, timeout=5)
            accepted.update(r.message_id for r in receipts if r.outcome in (ACCEPTED, DUPLICATE))
            await asyncio.sleep(0.02)

    async def fetch_and_ack(client: MemberClient, fraction: float) -> None:
        nonlocal redeliveries
        deliveries = [d async for d in client.fetch()]
        receipts = []
        for delivery in deliveries:
            opened = client.open(delivery)
            if opened.message_id in acknowledged:
                after_ack.append(opened.message_id)
            if delivery.redelivery_count:
                redeliveries += 1
            if rng.random() < fraction:
                receipts.append(client.receipt_for(opened.verified))
        for result in await client.acknowledge(receipts):
            if result.outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED:
                acknowledged.add(result.message_id)

    try:
        for round_ in range(KILLS + 1):
            hub.start()
            sender = await connect(target, federation_dir, SENDER)
            recipient = await connect(target, federation_dir, RECIPIENT)
            audit_sizes.append(await verify_audit(target, federation_dir))  # after every restart
            if round_ == KILLS:
                await fetch_and_ack(recipient, 1.0)
                await sender.close()
                await recipient.close()
                break
            traffic = asyncio.create_task(submit_forever(sender))
            await asyncio.sleep(rng.uniform(0.3, 0.8))
            with contextlib.suppress(grpc.aio.AioRpcError):
                await fetch_and_ack(recipient, 0.5)
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            hub.kill()  # mid-stream: submits and commits are in flight
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.CancelledError):
                await asyncio.wait_for(traffic, 10)
            traffic.cancel()
            await sender.close()
            await recipient.close()
        # Everything accepted was delivered; everything delivered after its acknowledgement is a bug.
        final = await connect(target, federation_dir, RECIPIENT)
        assert [d async for d in final.fetch()] == []
        await final.close()
    finally:
        if hub.process is not None and hub.process.poll() is None:
            hub.kill()
    assert len(accepted) > 20, "the test must have moved real traffic"
    assert accepted <= acknowledged, f"{len(accepted - acknowledged)} accepted records never delivered"
    assert after_ack == [], f"delivered again after acknowledgement: {after_ack[:3]}"
    assert audit_sizes == sorted(audit_sizes) and audit_sizes[-1] > 0
    print(f"accepted={len(accepted)} redeliveries={redeliveries} audit sizes={audit_sizes}")
