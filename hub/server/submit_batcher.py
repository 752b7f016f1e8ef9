"""Group commit for Submit, served fairly: each member's requests queue apart, taken in turn.

Without group commit every Submit request is its own durable transaction (one fsync), so a steady
stream of small requests queues up behind the disk. Without fairness one member's flood (a
20,000-envelope request, or many of them) would hold the single writer while every other member
waits. So the writer keeps one queue per member and serves them round-robin: each turn takes at
most ``FAIR_SHARE`` envelopes of one member (splitting a larger request across turns) and commits
them as one ``Exchange.submit`` (one transaction, signature checks on every core); when nobody
else waits the turn grows to ``MAX_ENVELOPES_PER_TRANSACTION``. A member's small request therefore
waits for at most one share of each other member's, never for a whole flood. A request's future
resolves with its receipts, in order, once all of them are durable; if the store fails part-way
through a split request the caller gets the error, and a retry meets the committed part as
duplicates (envelope ids are idempotent), so nothing is lost or doubled.

Checking and committing overlap: while one share commits (its transaction and fsync, in a
thread), the next share is checked (signatures on every core), so the disk and the processors
work at once. Commits stay one at a time, in the order the shares were taken; what can change
between a check and its commit is decided again in the transaction (see ``Exchange.check``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from hub.identity.caller import Caller
from hub.server.signals import MailboxSignals
from hub.services.exchange import CheckedBatch, Exchange, SubmitSummary, summarize
from pxhub.v1 import envelope_pb2

#: Envelopes of one member committed in one turn while other members wait (one transaction).
FAIR_SHARE = 256
#: Envelopes committed in one turn when no other member waits: a lone bulk sync keeps its pace.
MAX_ENVELOPES_PER_TRANSACTION = 1024


@dataclass
class _Pending:
    caller: Caller
    envelopes: list[envelope_pb2.Envelope]
    receipts: list[envelope_pb2.Receipt] = field(default_factory=list)
    taken: int = 0  # envelopes handed to a share so far (checked, committing or durable)
    done: asyncio.Future[tuple[list[envelope_pb2.Receipt], SubmitSummary]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def remaining(self) -> int:
        return len(self.envelopes) - len(self.receipts)


class SubmitBatcher:
    def __init__(
        self,
        exchange: Exchange,
        signals: MailboxSignals,
        fair_share: int = FAIR_SHARE,
        max_share: int = MAX_ENVELOPES_PER_TRANSACTION,
    ) -> None:
        self.exchange = exchange
        self.signals = signals
        self.fair_share = fair_share
        self.max_share = max(max_share, fair_share)
        self._queues: dict[Caller, deque[_Pending]] = {}
        self._turns: deque[Caller] = deque()  # members with queued work, in serving order
        self._wake = asyncio.Event()
        #: Told the size of every transaction committed (the metrics' batch histogram).
        self.on_commit: Callable[[int], None] | None = None

    def enqueue(
        self, caller: Caller, envelopes: list[envelope_pb2.Envelope]
    ) -> asyncio.Future[tuple[list[envelope_pb2.Receipt], SubmitSummary]]:
        """Queue one request; the future resolves with its receipts once they are durable."""
        pending = _Pending(caller, envelopes)
        queue = self._queues.get(caller)
        if queue is None:
            queue = self._queues[caller] = deque()
        if not queue:
            self._turns.append(caller)
        queue.append(pending)
        self._wake.set()
        return pending.done

    def queued(self, caller: Caller) -> int:
        """Envelopes of ``caller`` waiting for the writer."""
        return sum(p.remaining for p in self._queues.get(caller, ()))

    async def run(self) -> None:
        """The single writer; runs for the life of the hub (a background task)."""
        committing: asyncio.Task[None] | None = None
        while True:
            if not self._turns:
                if committing is not None:  # nothing to check meanwhile: finish the commit
                    await committing
                    committing = None
                    continue
                self._wake.clear()
                await self._wake.wait()
                continue
            caller = self._turns.popleft()
            share = self._take_share(caller)
            if self._queues[caller]:
                self._turns.append(caller)  # more of this member's work: back of the line
            merged = [e for pending, start, end in share for e in pending.envelopes[start:end]]
            try:
                checked = await asyncio.to_thread(self.exchange.check, caller, merged)
            except Exception as error:  # the store failed while checking (a read)
                self._fail(share, error)
                continue
            if committing is not None:
                await committing  # commits stay in order, one at a time
            committing = asyncio.get_running_loop().create_task(self._commit(share, checked))

    def _take_share(self, caller: Caller) -> list[tuple[_Pending, int, int]]:
        """The next envelopes of ``caller``'s oldest requests, as (request, start, end) slices.

        A share is ``fair_share`` envelopes while other members wait (``caller`` has already left
        the line, so anyone still in it is waiting) and ``max_share`` when nobody does.
        """
        queue = self._queues[caller]
        taken: list[tuple[_Pending, int, int]] = []
        room = self.fair_share if self._turns else self.max_share
        while queue and room > 0:
            pending = queue[0]
            start = pending.taken  # a request appears once per share, its slices in order
            end = min(len(pending.envelopes), start + room)
            taken.append((pending, start, end))
            pending.taken = end
            room -= end - start
            if end == len(pending.envelopes):
                queue.popleft()
        return taken

    async def _commit(self, share: list[tuple[_Pending, int, int]], checked: CheckedBatch) -> None:
        # A request whose earlier share failed to commit has its answer already: leave it out.
        ranges, offset = [], 0
        kept: list[tuple[_Pending, int, int]] = []
        for pending, start, end in share:
            if not pending.done.done():
                ranges.append((offset, offset + end - start))
                kept.append((pending, start, end))
            offset += end - start
        if not kept:
            return
        if len(kept) < len(share):
            checked = checked.part(ranges)
        merged = [e for pending, start, end in kept for e in pending.envelopes[start:end]]
        try:
            receipts = await asyncio.to_thread(self.exchange.commit, checked)
        except Exception as error:  # the store failed: every request in this share learns it
            self._fail(kept, error)
            return
        if self.on_commit is not None:
            self.on_commit(len(merged))
        accepted_for: set[str] = set()
        for receipt, envelope in zip(receipts, merged, strict=True):
            if receipt.outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED:
                accepted_for.update(wrap.recipient for wrap in envelope.key_wraps)
        self.signals.notify(accepted_for)
        offset = 0
        for pending, start, end in kept:
            pending.receipts.extend(receipts[offset : offset + end - start])
            offset += end - start
            if pending.remaining == 0 and not pending.done.done():
                pending.done.set_result((pending.receipts, summarize(pending.receipts)))

    def _fail(self, share: list[tuple[_Pending, int, int]], error: Exception) -> None:
        for pending, _, _ in share:
            self._drop(pending)
            if not pending.done.done():
                pending.done.set_exception(error)

    def _drop(self, pending: _Pending) -> None:
        """Take a failed request out of its queue (what remains of it is never committed)."""
        queue = self._queues.get(pending.caller)
        if queue is not None and pending in queue:
            queue.remove(pending)
            if not queue and pending.caller in self._turns:
                self._turns.remove(pending.caller)
