"""Group commit for Submit: requests queued while a transaction runs share the next one.

Without it every Submit request is its own durable transaction (one fsync),
so a steady stream of small requests queues up behind the disk. The batcher
has one writer: it takes everything queued, merges the requests of each
caller into one ``Exchange.submit`` call (one transaction, signature checks
on every core), then hands each request its own receipts, in order.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hub.identity.caller import Caller
from hub.server.signals import MailboxSignals
from hub.services.exchange import Exchange, SubmitSummary, summarize
from pxhub.v1 import envelope_pb2

MAX_ENVELOPES_PER_TRANSACTION = 1024


@dataclass
class _Pending:
    caller: Caller
    envelopes: list[envelope_pb2.Envelope]
    done: asyncio.Future[tuple[list[envelope_pb2.Receipt], SubmitSummary]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SubmitBatcher:
    def __init__(self, exchange: Exchange, signals: MailboxSignals) -> None:
        self.exchange = exchange
        self.signals = signals
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()

    def enqueue(
        self, caller: Caller, envelopes: list[envelope_pb2.Envelope]
    ) -> asyncio.Future[tuple[list[envelope_pb2.Receipt], SubmitSummary]]:
        """Queue one request; the future resolves with its receipts once they are durable."""
        pending = _Pending(caller, envelopes)
        self._queue.put_nowait(pending)
        return pending.done

    async def run(self) -> None:
        """The single writer; runs for the life of the hub (a background task)."""
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0].envelopes)
            while not self._queue.empty() and size < MAX_ENVELOPES_PER_TRANSACTION:
                item = self._queue.get_nowait()
                batch.append(item)
                size += len(item.envelopes)
            await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        by_caller: dict[Caller, list[_Pending]] = {}
        for item in batch:
            by_caller.setdefault(item.caller, []).append(item)
        for caller, items in by_caller.items():
            merged = [envelope for item in items for envelope in item.envelopes]
            try:
                receipts = await asyncio.to_thread(self.exchange.submit, caller, merged)
            except Exception as error:  # the store failed: every waiting request learns it
                for item in items:
                    if not item.done.done():
                        item.done.set_exception(error)
                continue
            accepted_for: set[str] = set()
            for receipt, envelope in zip(receipts, merged, strict=True):
                if receipt.outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED:
                    accepted_for.update(wrap.recipient for wrap in envelope.key_wraps)
            self.signals.notify(accepted_for)
            offset = 0
            for item in items:
                own = receipts[offset : offset + len(item.envelopes)]
                offset += len(item.envelopes)
                if not item.done.done():
                    item.done.set_result((own, summarize(own)))
