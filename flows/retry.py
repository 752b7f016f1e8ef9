"""Retry policy shared by every flow task: transient gRPC failures only, with exponential backoff.

A hub that is restarting, overloaded or briefly unreachable answers ``UNAVAILABLE``,
``DEADLINE_EXCEEDED`` or ``RESOURCE_EXHAUSTED``: trying again later can succeed, and every
task is idempotent (deterministic message ids, a cursor written only after the
acknowledgement), so a retry never duplicates anything. A refusal (``INVALID_ARGUMENT``,
``PERMISSION_DENIED``, ``UNAUTHENTICATED``, ``FAILED_PRECONDITION``, ``NOT_FOUND``, ...) or any
non-gRPC error is permanent: retrying would only repeat it, so the task fails at once.

    @task(name="fetch-batch", **TRANSIENT_RETRY)
"""

from __future__ import annotations

from typing import Any, Final

import grpc
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

__all__ = [
    "PERMANENT_CODES",
    "RETRIES",
    "RETRY_DELAYS",
    "TRANSIENT_CODES",
    "TRANSIENT_RETRY",
    "grpc_code",
    "is_transient",
    "retry_on_transient",
]

TRANSIENT_CODES: Final = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}
)
#: Named for documentation and tests; anything not transient is treated as permanent.
PERMANENT_CODES: Final = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.NOT_FOUND,
    }
)
RETRIES: Final = 4
#: 2, 4, 8, 16 seconds (urllib3-style exponential backoff), with jitter set on the task.
RETRY_DELAYS: Final = exponential_backoff(backoff_factor=2)(RETRIES)
RETRY_JITTER: Final = 0.2


def grpc_code(error: BaseException | None) -> grpc.StatusCode | None:
    """The status code of the first gRPC error in ``error``'s cause/context chain, if any."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, grpc.RpcError):
            code = getattr(error, "code", None)
            if callable(code):
                value = code()
                if isinstance(value, grpc.StatusCode):
                    return value
        error = error.__cause__ or error.__context__
    return None


def is_transient(error: BaseException | None) -> bool:
    """True only for gRPC errors worth retrying."""
    return grpc_code(error) in TRANSIENT_CODES


def retry_on_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry a failed task run only on a transient gRPC status."""
    data = getattr(state, "data", None)
    if isinstance(data, BaseException):
        return is_transient(data)
    try:
        result = state.result(raise_on_failure=False)
    except Exception:  # a result that cannot be read is not a reason to retry
        return False
    return isinstance(result, BaseException) and is_transient(result)


#: The options of every task that talks to the hub: ``@task(name=..., **TRANSIENT_RETRY)``.
#: No result caching: each run must act on the hub's state now, not on a cached earlier answer.
TRANSIENT_RETRY: Final[dict[str, Any]] = {
    "retries": RETRIES,
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_jitter_factor": RETRY_JITTER,
    "retry_condition_fn": retry_on_transient,
    "cache_policy": NO_CACHE,
}
