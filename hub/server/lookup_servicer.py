"""Thin gRPC servicer for LookupService: authenticate, rate-limit, delegate to ``LookupBook``."""

from __future__ import annotations

import asyncio

from hub.core.envelope import EnvelopeError
from hub.identity.caller import Caller
from hub.server.refusals import abort_audited
from hub.server.rpc import MEMBERS, RpcEvent, RpcGuard
from hub.services.lookup import LookupBook
from hub.transport.status import Context, RpcRefusal
from pxhub.v1 import lookup_pb2, lookup_pb2_grpc

L = lookup_pb2


class LookupServicer(lookup_pb2_grpc.LookupServiceServicer):
    def __init__(self, book: LookupBook, guard: RpcGuard) -> None:
        self.book = book
        self.guard = guard

    async def _caller(self, event: RpcEvent, context: Context, request: object) -> Caller:
        try:
            return self.guard.authenticate(event, context, MEMBERS, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise

    async def GetMatchingKey(
        self, request: lookup_pb2.GetMatchingKeyRequest, context: Context
    ) -> lookup_pb2.GetMatchingKeyResponse:
        event = RpcEvent("GetMatchingKey")
        await self._caller(event, context, request)
        try:
            signed, current = await asyncio.to_thread(self.book.matching_key, request.epoch)
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"epoch": request.epoch or current}
        event.emit("ok")
        return L.GetMatchingKeyResponse(key=signed, current_epoch=current)

    async def PublishMatchingKey(
        self, request: lookup_pb2.PublishMatchingKeyRequest, context: Context
    ) -> lookup_pb2.PublishMatchingKeyResponse:
        event = RpcEvent("PublishMatchingKey")
        caller = await self._caller(event, context, request)
        try:
            epoch = await asyncio.to_thread(self.book.publish_key, caller, request.key)
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"epoch": epoch}
        event.emit("ok")
        response = L.PublishMatchingKeyResponse(epoch=epoch)
        response.published_at.FromDatetime(self.book.clock())
        return response

    async def PublishTokens(
        self, request: lookup_pb2.PublishTokensRequest, context: Context
    ) -> lookup_pb2.PublishTokensResponse:
        event = RpcEvent("PublishTokens")
        caller = await self._caller(event, context, request)
        try:
            counts = await asyncio.to_thread(self.book.publish_tokens, caller, request)
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"epoch": request.epoch, "added": counts.added, "removed": counts.removed}
        event.emit("ok")
        return L.PublishTokensResponse(added=counts.added, removed=counts.removed, held=counts.held)

    async def Lookup(self, request: lookup_pb2.LookupRequest, context: Context) -> lookup_pb2.LookupResponse:
        event = RpcEvent("Lookup")
        caller = await self._caller(event, context, request)
        try:
            self.guard.limits.take_lookup_tokens(caller.id, max(1, len(request.tokens)))
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        try:
            response = await asyncio.to_thread(self.book.lookup, caller, request)
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {
            "lookup_id": response.lookup_id,
            "tokens": len(request.tokens),
            "hit": [a.member_id for a in response.answers if a.outcome == L.LOOKUP_OUTCOME_HIT],
        }
        event.emit("ok")
        return response

    async def ResolveMatch(
        self, request: lookup_pb2.ResolveMatchRequest, context: Context
    ) -> lookup_pb2.ResolveMatchResponse:
        event = RpcEvent("ResolveMatch")
        caller = await self._caller(event, context, request)
        try:
            match = await asyncio.to_thread(self.book.resolve, caller, request.match_ref)
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.emit("ok")
        return L.ResolveMatchResponse(record_handle=match.record_handle, asker=match.asker, kind=match.kind)  # type: ignore[arg-type]
