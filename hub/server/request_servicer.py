"""Thin gRPC servicer for RequestService: list requests, withdraw one; delegates to ``RequestDesk``."""

from __future__ import annotations

import asyncio

from hub.core.envelope import EnvelopeError
from hub.server.refusals import abort_audited, refusal_for
from hub.server.rpc import ANY_ROLE, MEMBERS, RpcEvent, RpcGuard
from hub.services.requests import RequestDesk
from hub.transport.status import Context, RpcRefusal
from pxhub.v1 import request_pb2, request_pb2_grpc

Q = request_pb2


class RequestServicer(request_pb2_grpc.RequestServiceServicer):
    def __init__(self, desk: RequestDesk, guard: RpcGuard) -> None:
        self.desk = desk
        self.guard = guard

    async def ListRequests(
        self, request: request_pb2.ListRequestsRequest, context: Context
    ) -> request_pb2.ListRequestsResponse:
        event = RpcEvent("ListRequests")
        try:
            caller = self.guard.authenticate(event, context, ANY_ROLE, request)
            try:
                found = await asyncio.to_thread(self.desk.list_for, caller, request)
            except EnvelopeError as error:
                raise refusal_for(error) from error
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        event.fields = {"requests": len(found)}
        event.emit("ok")
        return Q.ListRequestsResponse(requests=[r.to_proto() for r in found])

    async def WithdrawRequest(
        self, request: request_pb2.WithdrawRequestRequest, context: Context
    ) -> request_pb2.WithdrawRequestResponse:
        event = RpcEvent("WithdrawRequest")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        try:
            withdrawn = await asyncio.to_thread(
                self.desk.withdraw, caller, request.message_id, request.reason
            )
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"message_id": withdrawn.message_id}
        event.emit("ok")
        return Q.WithdrawRequestResponse(request=withdrawn.to_proto())
