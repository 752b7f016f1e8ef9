"""gRPC errors with a machine-readable reason (google.rpc.ErrorInfo, domain pxhub.v1)."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from pxhub.v1 import envelope_pb2

DOMAIN = "pxhub.v1"

# The servicer context of every pxhub RPC (requests and responses are protobuf messages).
Context = grpc.aio.ServicerContext[Any, Any]


class RpcRefusal(Exception):
    """Raised by handlers; the servicer turns it into a gRPC status with ErrorInfo."""

    def __init__(
        self, code: grpc.StatusCode, reason: int, detail: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after  # seconds; sent as google.rpc.RetryInfo

    @property
    def reason_name(self) -> str:
        return envelope_pb2.Reason.Name(self.reason).removeprefix("REASON_")  # type: ignore[arg-type]


def to_status(refusal: RpcRefusal) -> grpc.Status:
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=refusal.reason_name, domain=DOMAIN))
    details = [info]
    if refusal.retry_after is not None:
        retry = any_pb2.Any()
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(max(1, int(refusal.retry_after * 1e9)))
        retry.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        details.append(retry)
    status = status_pb2.Status(code=refusal.code.value[0], message=refusal.detail, details=details)
    return rpc_status.to_status(status)


def reason_of(error: grpc.RpcError) -> str:
    """Client side: the ErrorInfo reason of a failed call ('' if none)."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]  # aio errors are calls too
    if status is None:
        return ""
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return str(info.reason)
    return ""


def retry_delay_of(error: grpc.RpcError) -> float | None:
    """Client side: the RetryInfo delay of a failed call in seconds (None if none)."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]  # aio errors are calls too
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            info = error_details_pb2.RetryInfo()
            detail.Unpack(info)
            return float(info.retry_delay.ToNanoseconds()) / 1e9
    return None
