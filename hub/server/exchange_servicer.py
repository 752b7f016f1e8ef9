"""Thin gRPC servicer for ExchangeService: translate, delegate to ``Exchange``, stream.

Submit, Fetch (led by the caller's unattested revocation notices), Acknowledge, Track and
AttestDeletion.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from hub.core.envelope import EnvelopeError
from hub.identity.caller import Caller
from hub.server.refusals import refusal_for
from hub.server.rpc import MEMBERS, RpcEvent, RpcGuard, check_parsed
from hub.server.signals import MailboxSignals
from hub.server.submit_batcher import SubmitBatcher
from hub.services.exchange import Exchange, SubmitSummary
from hub.transport.status import Context, RpcRefusal
from pxhub.v1 import envelope_pb2, exchange_pb2, exchange_pb2_grpc, request_pb2

DEFAULT_BATCH = 64
# A Submit stream reads ahead while earlier requests commit, so queued requests share one
# transaction; bounded in requests and bytes so a fast client cannot grow the hub's memory.
IN_FLIGHT_REQUESTS = 128
IN_FLIGHT_BYTES = 8 * 1024 * 1024
MAX_BATCH = 1024


async def notice_response(
    exchange: Exchange, caller: Caller, seen: set[str], cursor: str, limit: int
) -> exchange_pb2.FetchResponse | None:
    """Unattested notices not yet sent on this stream, as one response that leaves the cursor as it is."""
    if limit <= 0:
        return None
    notices = await asyncio.to_thread(exchange.consents.pending_notices, caller, limit + len(seen))
    fresh = [n for n in notices if n.notice_id not in seen][:limit]
    if not fresh:
        return None
    seen.update(n.notice_id for n in fresh)
    response = exchange_pb2.FetchResponse(cursor=cursor)
    for notice in fresh:
        response.deliveries.add(revocation_notice=notice, cursor=cursor, accepted_at=notice.issued_at)
    return response


async def request_notice_response(
    exchange: Exchange, caller: Caller, cursor: str, limit: int
) -> tuple[exchange_pb2.FetchResponse | None, list[str]]:
    """Request notices not yet carried by a Fetch, as one response that leaves the cursor as it is."""
    if limit <= 0:
        return None, []
    pending = await asyncio.to_thread(exchange.requests.pending_notices, caller, limit)
    if not pending:
        return None, []
    response = exchange_pb2.FetchResponse(cursor=cursor)
    for stored in pending:
        notice = request_pb2.RequestNotice.FromString(stored.notice)
        response.deliveries.add(request_notice=notice, cursor=cursor, accepted_at=notice.issued_at)
    return response, [n.notice_id for n in pending]


@dataclass(frozen=True)
class InFlight:
    """A request handed to the batcher: its size and its future receipts."""

    size: int
    result: asyncio.Future[tuple[list[envelope_pb2.Receipt], SubmitSummary]]


class ByteBudget:
    """Waits until ``size`` bytes fit under the limit (one request always fits).

    An event rather than a condition: giving back is a plain call, with no
    task scheduled per request.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._freed = asyncio.Event()

    async def take(self, size: int) -> None:
        while self.used and self.used + size > self.limit:
            self._freed.clear()
            await self._freed.wait()
        self.used += size

    def give(self, size: int) -> None:
        self.used -= size
        self._freed.set()


def parse_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 19:
        raise RpcRefusal(
            grpc.StatusCode.INVALID_ARGUMENT, envelope_pb2.REASON_INVALID_CURSOR, "cursor is not valid"
        )
    return int(cursor)


class ExchangeServicer(exchange_pb2_grpc.ExchangeServiceServicer):
    stream_idle: float = 60.0  # seconds a Submit stream may send nothing (settings.stream_idle_seconds)

    def __init__(
        self,
        exchange: Exchange,
        guard: RpcGuard,
        signals: MailboxSignals,
        batcher: SubmitBatcher,
        follow_poll: float,
    ) -> None:
        self.exchange = exchange
        self.guard = guard
        self.signals = signals
        self.batcher = batcher
        self.follow_poll = follow_poll

    async def Submit(
        self,
        request_iterator: AsyncIterator[exchange_pb2.SubmitRequest],
        context: Context,
    ) -> AsyncIterator[exchange_pb2.SubmitResponse]:
        event = RpcEvent("Submit")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS)
            self.guard.limits.acquire_stream(caller.id)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            return
        # Read ahead while earlier requests commit (bounded: gRPC flow control pushes back beyond it).
        in_flight: asyncio.Queue[InFlight | Exception | None] = asyncio.Queue(maxsize=IN_FLIGHT_REQUESTS)
        budget = ByteBudget(IN_FLIGHT_BYTES)

        async def read_requests() -> None:
            try:
                requests = aiter(request_iterator)
                while True:
                    try:  # a client that sends nothing cannot hold the stream (and its slot) forever
                        async with asyncio.timeout(self.stream_idle):  # a timer, not a task per request
                            request = await anext(requests)
                    except StopAsyncIteration:
                        break
                    except TimeoutError:
                        raise RpcRefusal(
                            grpc.StatusCode.DEADLINE_EXCEEDED,
                            envelope_pb2.REASON_STREAM_IDLE,
                            f"no request for {self.stream_idle:g} s; stream closed",
                        ) from None
                    check_parsed(request)
                    self.guard.limits.take_call(caller.id)  # each request message is a call's worth
                    self.guard.limits.take_envelopes(caller.id, len(request.envelopes))
                    size = request.ByteSize()
                    await budget.take(size)
                    await in_flight.put(InFlight(size, self.batcher.enqueue(caller, list(request.envelopes))))
            except Exception as error:  # surfaced in order, after earlier receipts
                await in_flight.put(error)
                return
            await in_flight.put(None)

        reader = asyncio.create_task(read_requests())
        try:
            while (item := await in_flight.get()) is not None:
                if isinstance(item, RpcRefusal):
                    await self.guard.refuse(event, item, context)
                    return
                if isinstance(item, Exception):
                    raise item
                receipts, summary = await item.result
                budget.give(item.size)
                ids = [r.message_id for r in receipts]
                event.fields = {
                    "batch": len(receipts),
                    "accepted": summary.accepted,
                    "duplicates": summary.duplicates,
                    "rejected": summary.rejected,
                    "message_ids": ids if len(ids) <= 16 else f"{len(ids)} ids",
                }
                event.emit("ok" if not summary.rejected else "partial", ",".join(summary.reasons))
                event = RpcEvent("Submit", caller=caller)
                yield exchange_pb2.SubmitResponse(receipts=receipts)
        finally:
            self.guard.limits.release_stream(caller.id)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async def Fetch(
        self,
        request: exchange_pb2.FetchRequest,
        context: Context,
    ) -> AsyncIterator[exchange_pb2.FetchResponse]:
        event = RpcEvent("Fetch")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS, request)
            after = parse_cursor(request.cursor)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            return
        async for response in self.guard.in_stream_slot(
            event, caller, context, self._fetch(request, caller, after, event, context)
        ):
            yield response

    async def _fetch(
        self,
        request: exchange_pb2.FetchRequest,
        caller: Caller,
        after: int,
        event: RpcEvent,
        context: Context,
    ) -> AsyncIterator[exchange_pb2.FetchResponse]:
        batch = min(request.batch_size or DEFAULT_BATCH, MAX_BATCH)
        remaining = request.limit or None
        signal = self.signals.event(caller.id)
        sent = 0
        notices_sent: set[str] = set()
        first = True
        while True:
            if not first:  # a following stream outlives revocations: check the caller again each round
                self.guard.recheck(context, MEMBERS)
            first = False
            signal.clear()
            want = batch if remaining is None else min(batch, remaining - sent)
            notices = await notice_response(self.exchange, caller, notices_sent, str(after), want)
            if notices is not None:  # revocation notices first, until attested; the cursor stays
                sent += len(notices.deliveries)
                yield notices
                continue
            notices, carried = await request_notice_response(self.exchange, caller, str(after), want)
            if notices is not None:  # then request notices, once each; the cursor stays
                sent += len(notices.deliveries)
                yield notices
                await asyncio.to_thread(self.exchange.requests.notices_sent, caller, carried)
                continue
            items = await asyncio.to_thread(self.exchange.fetch, caller, after, want) if want > 0 else []
            if items:
                after = items[-1].seq
                response = exchange_pb2.FetchResponse(cursor=str(after))
                for item in items:
                    stamp = Timestamp()
                    stamp.FromDatetime(item.accepted_at.astimezone(UTC))
                    delivery = response.deliveries.add(
                        cursor=str(item.seq), accepted_at=stamp, redelivery_count=item.delivered_count
                    )
                    delivery.envelope.ParseFromString(item.envelope)
                sent += len(items)
                yield response
                continue
            if not request.follow or (remaining is not None and sent >= remaining):
                break
            try:
                await asyncio.wait_for(signal.wait(), timeout=self.follow_poll)
            except TimeoutError:
                continue
        event.fields = {"delivered": sent, "cursor": str(after)}
        event.emit("ok")

    async def Acknowledge(
        self,
        request: exchange_pb2.AcknowledgeRequest,
        context: Context,
    ) -> exchange_pb2.AcknowledgeResponse:
        event = RpcEvent("Acknowledge")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS, request)
            self.guard.limits.take_receipts(caller.id, len(request.acknowledgements))
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise  # abort_with_status already raised; keeps type checkers honest
        results = await asyncio.to_thread(self.exchange.acknowledge, caller, list(request.acknowledgements))
        rejected = [r for r in results if r.outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED]
        event.fields = {"message_ids": [r.message_id for r in results][:16], "count": len(results)}
        event.emit("ok" if not rejected else "partial")
        return exchange_pb2.AcknowledgeResponse(results=results)

    async def Track(self, request: exchange_pb2.TrackRequest, context: Context) -> exchange_pb2.TrackResponse:
        event = RpcEvent("Track")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS, request)
            try:
                lineage = await asyncio.to_thread(self.exchange.consents.track, caller, request.message_id)
            except EnvelopeError as error:
                raise refusal_for(error) from error
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        event.fields = {"message_id": lineage.message_id}
        event.emit("ok")
        return exchange_pb2.TrackResponse(lineage=lineage)

    async def AttestDeletion(
        self, request: exchange_pb2.AttestDeletionRequest, context: Context
    ) -> exchange_pb2.AttestDeletionResponse:
        event = RpcEvent("AttestDeletion")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS, request)
            self.guard.limits.take_receipts(caller.id, len(request.attestations))
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        results = await asyncio.to_thread(self.exchange.consents.attest, caller, list(request.attestations))
        rejected = [r for r in results if r.outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED]
        event.fields = {"message_ids": [r.message_id for r in results][:16], "count": len(results)}
        event.emit("ok" if not rejected else "partial")
        return exchange_pb2.AttestDeletionResponse(results=results)


__all__ = ["ExchangeServicer", "MailboxSignals"]
