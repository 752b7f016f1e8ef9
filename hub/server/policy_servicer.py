"""Thin gRPC servicer for PolicyService: read the policy in force, publish a signed new one."""

from __future__ import annotations

import asyncio

import grpc

from hub.core.envelope import EnvelopeError
from hub.server.refusals import abort_audited
from hub.server.rpc import ANY_ROLE, OPERATORS, RpcEvent, RpcGuard
from hub.services.policy_gate import PolicyBook
from hub.transport.status import Context, RpcRefusal
from pxhub.v1 import envelope_pb2, policy_pb2, policy_pb2_grpc

R = envelope_pb2


class PolicyServicer(policy_pb2_grpc.PolicyServiceServicer):
    def __init__(self, book: PolicyBook, guard: RpcGuard) -> None:
        self.book = book
        self.guard = guard

    async def GetPolicy(
        self, request: policy_pb2.GetPolicyRequest, context: Context
    ) -> policy_pb2.GetPolicyResponse:
        event = RpcEvent("GetPolicy")
        try:
            self.guard.authenticate(event, context, ANY_ROLE, request)
            policy = await asyncio.to_thread(self.book.current)
            if policy is None:
                raise RpcRefusal(
                    grpc.StatusCode.NOT_FOUND, R.REASON_POLICY_UNAVAILABLE, "no policy is in force"
                )
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        event.fields = {"version": policy.version}
        event.emit("ok")
        return policy_pb2.GetPolicyResponse(policy=policy.signed())

    async def PublishPolicy(
        self, request: policy_pb2.PublishPolicyRequest, context: Context
    ) -> policy_pb2.PublishPolicyResponse:
        event = RpcEvent("PublishPolicy")
        try:
            caller = self.guard.authenticate(event, context, OPERATORS, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        now = self.guard.clock()
        try:
            policy = await asyncio.to_thread(self.book.publish, caller, request.policy, now)
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"version": policy.version}
        event.emit("ok")
        response = policy_pb2.PublishPolicyResponse(version=policy.version, policy_sha256=policy.sha256)
        response.published_at.FromDatetime(now)
        return response
