"""Several hub replicas on one PostgreSQL: any replica serves, the audit log stays one linear log."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.core import merkle
from hub.core.audit_entry import AuditEntry
from hub.store import HubStore
from pxhub.v1 import best_practice_pb2, envelope_pb2, record_pb2
from tests.conftest import fresh_database_url, start_test_hub


def practice(title: str) -> record_pb2.Record:
    return record_pb2.Record(
        best_practice=best_practice_pb2.BestPracticeRecord(practice_id=title, owner="CO-INPEC", title=title)
    )


METADATA = envelope_pb2.RecordMetadata(
    purpose=envelope_pb2.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING,
    legal_basis=envelope_pb2.LEGAL_BASIS_NOT_PERSONAL_DATA,
)


async def test_two_replicas_one_linear_log(federation_dir: Path, tmp_path: Path) -> None:
    url = fresh_database_url("postgresql", tmp_path)
    first = await start_test_hub(federation_dir, url, follow_poll_seconds=0.1)
    second = await start_test_hub(federation_dir, url, follow_poll_seconds=0.1)
    replicas = [first, second]
    senders = [await r.client("CO-INPEC") for r in replicas]
    receivers = [await r.client("PE-INPE") for r in replicas]
    try:
        # A follower on replica 2 sees what replica 1 accepts.
        follower = receivers[1].fetch(follow=True, timeout=30)
        sent = []
        for round_index in range(10):
            sender = senders[round_index % 2]  # the client alternates between replicas
            batch = [sender.seal(practice(f"r{round_index}-{i}"), METADATA, ["PE-INPE"]) for i in range(5)]
            receipts = await sender.submit(batch)
            assert all(r.outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED for r in receipts)
            sent += [r.message_id for r in receipts]
        seen: list[envelope_pb2.Envelope] = []
        async with asyncio.timeout(20):
            while len(seen) < len(sent):
                seen.append((await anext(follower)).envelope)
        await follower.aclose()
        # Concurrent submissions through both replicas at once.
        extra = [
            [s.seal(practice(f"c{k}-{i}"), METADATA, ["PE-INPE"]) for i in range(20)]
            for k, s in enumerate(senders)
        ]
        results = await asyncio.gather(
            *(s.submit(b, batch_size=4) for s, b in zip(senders, extra, strict=True))
        )
        assert all(r.outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED for rs in results for r in rs)
        # Fetch alternately: each delivery acknowledged through the other replica.
        delivered = [d async for d in receivers[0].fetch()]
        assert len(delivered) == len(sent) + 40
        for index, delivery in enumerate(delivered):
            opener = receivers[index % 2]
            opened = opener.open(delivery)
            await receivers[(index + 1) % 2].acknowledge([opener.receipt_for(opened.verified)])
        assert [d async for d in receivers[1].fetch()] == []
        # One linear log: contiguous indices, every entry canonical, the stored tree matches a rebuild.
        store: HubStore = first.store
        size = store.audit_size()
        entries = store.audit_entries(0, size)
        assert len(entries) == size
        rebuilt = merkle.MemoryNodeStore()
        for entry in entries:
            AuditEntry.decode(entry)
            rebuilt.append(merkle.leaf_hash(entry))

        class Stored:
            def get_node(self, level: int, index: int) -> bytes:
                return store.merkle_node(level, index)

        assert merkle.root(size, Stored()) == merkle.root(size, rebuilt)
        assert second.store.audit_size() == size
    finally:
        for client in senders + receivers:
            await client.close()
        for replica in replicas:
            await replica.running.stop(0.1)  # type: ignore[attr-defined]
