"""Per-caller quotas: token buckets on calls, envelopes, receipts and lookup tokens, a stream cap.

Every caller (member, auditor, operator) has its own buckets. ``calls`` is charged once per RPC and
once per request message of a Submit stream, before the handler does any work, so it also bounds
the audit entries a caller's refused or rejected calls can add (see docs/security.md). Refusals are
RESOURCE_EXHAUSTED with reason RATE_LIMITED and a ``google.rpc.RetryInfo`` saying when a retry can
succeed. State is per hub process (each replica limits on its own).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import grpc

from hub.core.envelope import MAX_ITEMS_PER_REQUEST
from hub.transport.status import RpcRefusal
from pxhub.v1 import envelope_pb2


def _check_request_items(what: str, count: int) -> None:
    if count > MAX_ITEMS_PER_REQUEST:
        raise RpcRefusal(
            grpc.StatusCode.INVALID_ARGUMENT,
            envelope_pb2.REASON_TOO_LARGE,
            f"{count:,} {what} in one request; at most {MAX_ITEMS_PER_REQUEST:,}: split it",
        )


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, count: int, now: float) -> float:
        """0 if ``count`` tokens were taken, else the seconds until they would be there."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        need = min(count, self.burst)  # a request larger than the burst passes only on a full bucket
        if need <= self.tokens:
            self.tokens -= need
            return 0.0
        return (need - self.tokens) / self.rate


@dataclass
class MemberLimits:
    """The quotas of one hub process, per caller id."""

    envelopes_per_second: float = 2_000.0
    envelope_burst: int = 20_000
    max_streams: int = 64
    #: RPCs (and Submit request messages) one caller may make.
    calls_per_second: float = 200.0
    call_burst: int = 1_000
    #: Signed delivery receipts and deletion attestations one member may hand in.
    receipts_per_second: float = 2_000.0
    receipt_burst: int = 20_000
    #: Lookup tokens one member may ask with: a slow rate, so a fishing expedition shows and stalls.
    lookup_tokens_per_second: float = 10.0
    lookup_token_burst: int = 1_000
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)
    _streams: dict[str, int] = field(default_factory=dict)
    #: Refusals per (quota, caller id) since the process started, for the metrics.
    refusals: Counter[tuple[str, str]] = field(default_factory=Counter)

    def _take(self, kind: str, member_id: str, count: int, rate: float, burst: int) -> None:
        now = self.clock()
        bucket = self._buckets.get((kind, member_id))
        if bucket is None:
            bucket = self._buckets[(kind, member_id)] = TokenBucket(rate, float(burst), float(burst), now)
        wait = bucket.take(count, now)
        if wait > 0:
            self.refusals[(kind, member_id)] += 1
            raise RpcRefusal(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                envelope_pb2.REASON_RATE_LIMITED,
                f"more than {rate:g} {kind} per second (burst {burst:,}); retry in {wait:.2f} s",
                retry_after=wait,
            )

    def take_call(self, caller_id: str) -> None:
        """Charge one call (or one Submit request message) to ``caller_id`` or refuse."""
        self._take("calls", caller_id, 1, self.calls_per_second, self.call_burst)

    def take_receipts(self, member_id: str, count: int) -> None:
        """Charge the acknowledgements or attestations of one call to ``member_id`` or refuse."""
        _check_request_items("acknowledgements or attestations", count)
        self._take("receipts", member_id, count, self.receipts_per_second, self.receipt_burst)

    def take_envelopes(self, member_id: str, count: int) -> None:
        """Charge the ``count`` envelopes of one request message to ``member_id`` or refuse."""
        _check_request_items("envelopes", count)
        self._take("envelopes", member_id, count, self.envelopes_per_second, self.envelope_burst)

    def take_lookup_tokens(self, member_id: str, count: int) -> None:
        """Charge the tokens of one lookup to ``member_id`` or refuse with a retry delay."""
        self._take("lookup tokens", member_id, count, self.lookup_tokens_per_second, self.lookup_token_burst)

    def acquire_stream(self, member_id: str) -> None:
        """Take one of the caller's stream slots, or refuse (release it with ``release_stream``)."""
        held = self._streams.get(member_id, 0)
        if held >= self.max_streams:
            self.refusals[("streams", member_id)] += 1
            raise RpcRefusal(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                envelope_pb2.REASON_RATE_LIMITED,
                f"{held} concurrent streams open, the limit is {self.max_streams}; retry after one closes",
                retry_after=1.0,
            )
        self._streams[member_id] = held + 1

    def release_stream(self, member_id: str) -> None:
        left = self._streams.get(member_id, 0) - 1
        if left > 0:
            self._streams[member_id] = left
        else:
            self._streams.pop(member_id, None)

    @contextlib.contextmanager
    def stream(self, member_id: str) -> Iterator[None]:
        """Hold one of the caller's stream slots for the life of a block."""
        self.acquire_stream(member_id)
        try:
            yield
        finally:
            self.release_stream(member_id)

    def open_streams(self, member_id: str) -> int:
        return self._streams.get(member_id, 0)
