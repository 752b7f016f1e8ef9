"""How a refusal from the service logic becomes a gRPC status: the code each reason maps to."""

from __future__ import annotations

from typing import NoReturn

import grpc

from hub.core.envelope import EnvelopeError
from hub.server.rpc import RpcEvent
from hub.transport.status import Context, RpcRefusal, to_status
from pxhub.v1 import envelope_pb2

R = envelope_pb2

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
    R.REASON_LOOKUP_NOT_PERMITTED: grpc.StatusCode.PERMISSION_DENIED,
    R.REASON_LEGAL_BASIS_NOT_PERMITTED: grpc.StatusCode.PERMISSION_DENIED,
    R.REASON_PURPOSE_UNKNOWN: grpc.StatusCode.PERMISSION_DENIED,
    R.REASON_LOOKUP_EPOCH_STALE: grpc.StatusCode.FAILED_PRECONDITION,
    R.REASON_MATCHING_KEY_INVALID: grpc.StatusCode.FAILED_PRECONDITION,
    R.REASON_REQUEST_UNKNOWN: grpc.StatusCode.NOT_FOUND,
    R.REASON_REQUEST_NOT_YOURS: grpc.StatusCode.PERMISSION_DENIED,
    R.REASON_REQUEST_CLOSED: grpc.StatusCode.FAILED_PRECONDITION,
    R.REASON_REQUEST_WITHDRAWN: grpc.StatusCode.FAILED_PRECONDITION,
    R.REASON_MEMBER_ID_TAKEN: grpc.StatusCode.ALREADY_EXISTS,
    R.REASON_KEY_REUSED: grpc.StatusCode.ALREADY_EXISTS,
    R.REASON_JOIN_REQUEST_EXPIRED: grpc.StatusCode.FAILED_PRECONDITION,
    R.REASON_CERTIFICATE_REVOKED: grpc.StatusCode.FAILED_PRECONDITION,
    R.REASON_CERTIFICATE_UNKNOWN: grpc.StatusCode.NOT_FOUND,
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
