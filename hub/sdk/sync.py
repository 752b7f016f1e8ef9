"""Blocking wrapper around ``MemberClient`` for scripts and synchronous flows.

It owns a private event loop, so the grpc.aio channel lives and dies in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from pathlib import Path

from hub.sdk.client import DEFAULT_BATCH, MemberClient, OpenedDelivery
from pxhub.v1 import envelope_pb2, exchange_pb2, record_pb2


class SyncMemberClient:
    def __init__(self, target: str, federation_dir: Path, member_id: str, passphrase: bytes) -> None:
        self._runner = asyncio.Runner()
        self.client = self._runner.run(MemberClient.connect(target, federation_dir, member_id, passphrase))

    def close(self) -> None:
        try:
            self._runner.run(self.client.close())
        finally:
            self._runner.close()

    def __enter__(self) -> SyncMemberClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def seal(
        self, record: record_pb2.Record, metadata: envelope_pb2.RecordMetadata, recipients: Sequence[str]
    ) -> envelope_pb2.Envelope:
        return self.client.seal(record, metadata, recipients)

    def submit(
        self, envelopes: Iterable[envelope_pb2.Envelope], batch_size: int = DEFAULT_BATCH
    ) -> list[envelope_pb2.Receipt]:
        return self._runner.run(self.client.submit(envelopes, batch_size))

    def fetch(self, cursor: str = "", limit: int = 0) -> list[exchange_pb2.Delivery]:
        async def collect() -> list[exchange_pb2.Delivery]:
            return [d async for d in self.client.fetch(cursor, limit=limit)]

        return self._runner.run(collect())

    def open(self, delivery: exchange_pb2.Delivery) -> OpenedDelivery:
        return self.client.open(delivery)

    def acknowledge(self, opened: Sequence[OpenedDelivery]) -> list[exchange_pb2.AcknowledgeResult]:
        acks = [self.client.receipt_for(o.verified) for o in opened]
        return self._runner.run(self.client.acknowledge(acks))
