"""Thin gRPC servicer for ExchangeService: translate, delegate to ``Exchange``, stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from pxhub.v1 import envelope_pb2, exchange_pb2, exchange_pb2_grpc

from hub.exchange import Exchange
from hub.server.errors import Context, RpcRefusal
from hub.server.rpc import MEMBERS, RpcEvent, RpcGuard, check_parsed

DEFAULT_BATCH = 64
MAX_BATCH = 1024


class MailboxSignals:
    """Wakes a member's following Fetch streams when new mail arrives."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def event(self, member_id: str) -> asyncio.Event:
        return self._events.setdefault(member_id, asyncio.Event())

    def notify(self, member_ids: set[str]) -> None:
        for member_id in member_ids:
            self.event(member_id).set()


def parse_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    if not cursor.isdigit() or len(cursor) > 19:
        raise RpcRefusal(
            grpc.StatusCode.INVALID_ARGUMENT, envelope_pb2.REASON_INVALID_CURSOR, "cursor is not valid"
        )
    return int(cursor)


class ExchangeServicer(exchange_pb2_grpc.ExchangeServiceServicer):
    def __init__(
        self, exchange: Exchange, guard: RpcGuard, signals: MailboxSignals, follow_poll: float
    ) -> None:
        self.exchange = exchange
        self.guard = guard
        self.signals = signals
        self.follow_poll = follow_poll

    async def Submit(
        self,
        request_iterator: AsyncIterator[exchange_pb2.SubmitRequest],
        context: Context,
    ) -> AsyncIterator[exchange_pb2.SubmitResponse]:
        event = RpcEvent("Submit")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            return
        async for request in request_iterator:
            try:
                check_parsed(request)
            except RpcRefusal as refusal:
                await self.guard.refuse(event, refusal, context)
                return
            receipts, summary = await asyncio.to_thread(self.exchange.submit, caller, list(request.envelopes))
            accepted_for: set[str] = set()
            for envelope_receipt, envelope in zip(receipts, request.envelopes, strict=True):
                if envelope_receipt.outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED:
                    accepted_for.update(self._recipients(envelope))
            self.signals.notify(accepted_for)
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

    @staticmethod
    def _recipients(envelope: envelope_pb2.Envelope) -> list[str]:
        return [wrap.recipient for wrap in envelope.key_wraps]

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
        batch = min(request.batch_size or DEFAULT_BATCH, MAX_BATCH)
        remaining = request.limit or None
        signal = self.signals.event(caller.id)
        sent = 0
        while True:
            signal.clear()
            want = batch if remaining is None else min(batch, remaining - sent)
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
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise  # abort_with_status already raised; keeps type checkers honest
        results = await asyncio.to_thread(self.exchange.acknowledge, caller, list(request.acknowledgements))
        rejected = [r for r in results if r.outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED]
        event.fields = {"message_ids": [r.message_id for r in results][:16], "count": len(results)}
        event.emit("ok" if not rejected else "partial")
        return exchange_pb2.AcknowledgeResponse(results=results)


__all__ = ["ExchangeServicer", "MailboxSignals"]
