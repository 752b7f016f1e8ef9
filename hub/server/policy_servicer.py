"""Thin gRPC servicer for PolicyService, its installer, and the refusal helper the consent services share."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn

import grpc
from google.protobuf.descriptor import ServiceDescriptor

from hub.core.envelope import EnvelopeError
from hub.server.registration import add_servicer
from hub.server.rpc import ANY_ROLE, RpcEvent, RpcGuard
from hub.services.policy_gate import PolicyBook
from hub.transport.status import Context, RpcRefusal, to_status
from pxhub.v1 import envelope_pb2, policy_pb2, policy_pb2_grpc

if TYPE_CHECKING:
    from hub.server.app import HubContext

R = envelope_pb2
OPERATORS = ("operator",)

_CODES = {
    R.REASON_UNKNOWN_CONSENT: grpc.StatusCode.NOT_FOUND,
    R.REASON_UNKNOWN_MESSAGE: grpc.StatusCode.NOT_FOUND,
    R.REASON_POLICY_UNAVAILABLE: grpc.StatusCode.NOT_FOUND,
    R.REASON_CONSENT_CONTROLLER_MISMATCH: grpc.StatusCode.PERMISSION_DENIED,
    R.REASON_NOT_ORIGINATOR: grpc.StatusCode.PERMISSION_DENIED,
    R.REASON_SENDER_MISMATCH: grpc.StatusCode.PERMISSION_DENIED,
    R.REASON_POLICY_VERSION_NOT_NEWER: grpc.StatusCode.FAILED_PRECONDITION,
    R.REASON_CONSENT_NOT_IN_FORCE: grpc.StatusCode.FAILED_PRECONDITION,
    R.REASON_REPLAYED: grpc.StatusCode.ALREADY_EXISTS,
    R.REASON_KEY_ALREADY_KNOWN: grpc.StatusCode.ALREADY_EXISTS,
    R.REASON_UNKNOWN_RECIPIENT: grpc.StatusCode.NOT_FOUND,
    R.REASON_UNKNOWN_CALLER: grpc.StatusCode.PERMISSION_DENIED,
    R.REASON_MEMBER_REVOKED: grpc.StatusCode.FAILED_PRECONDITION,
    R.REASON_INTERNAL: grpc.StatusCode.UNAVAILABLE,
}


def refusal_for(error: EnvelopeError) -> RpcRefusal:
    """The gRPC status a reason maps to (INVALID_ARGUMENT unless listed)."""
    return RpcRefusal(_CODES.get(error.reason, grpc.StatusCode.INVALID_ARGUMENT), error.reason, error.detail)


async def abort_audited(event: RpcEvent, error: EnvelopeError, context: Context) -> NoReturn:
    """Log and abort for a refusal the service logic has already written to the audit log."""
    refusal = refusal_for(error)
    event.emit("refused", refusal.reason_name)
    await context.abort_with_status(to_status(refusal))
    raise AssertionError("abort_with_status returned")  # pragma: no cover


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
        now = datetime.now(UTC)
        try:
            policy = await asyncio.to_thread(self.book.publish, caller, request.policy, now)
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"version": policy.version}
        event.emit("ok")
        response = policy_pb2.PublishPolicyResponse(version=policy.version, policy_sha256=policy.sha256)
        response.published_at.FromDatetime(now)
        return response


class PolicyBootstrapError(RuntimeError):
    """The federation's signed policy file does not verify: the hub refuses to start."""


def install_policy(server: grpc.aio.Server, hub: HubContext) -> ServiceDescriptor:
    """Load the signed policy into the store (once, or when the file is newer), then serve it."""
    book = hub.exchange.policies
    try:
        book.bootstrap(hub.settings.federation_dir, datetime.now(UTC))
    except EnvelopeError as error:
        raise PolicyBootstrapError(
            f"signed policy in {hub.settings.federation_dir} refused: {error.reason_name}: {error.detail}"
        ) from error
    service = policy_pb2.DESCRIPTOR.services_by_name["PolicyService"]
    add_servicer(server, service, PolicyServicer(book, hub.guard))
    return service
