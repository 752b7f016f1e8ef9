"""Where the edges get the time and their randomness, so the pure core can take both as parameters.

``edge_clock`` is the clock every edge (hub, SDK, flows, CLI) uses unless it is handed another one.
It is the machine's clock, or, when ``PXHUB_CLOCK`` names an RFC 3339 instant, a clock that reads
that instant at its first use in the process and runs at real speed from there: how the demo and the
tests run the whole exchange years from now. TLS handshakes always run on the machine's clock, so
certificates and the keys they carry are dated by the machine's clock (docs/policy.md, "Time").
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

#: A source of the current time; always timezone-aware (UTC).
Clock = Callable[[], datetime]

#: Environment variable naming the instant the edges' clock starts from (unset: the machine's clock).
CLOCK_ENV: Final = "PXHUB_CLOCK"
_starts: dict[str, tuple[datetime, float]] = {}


def system_clock() -> datetime:
    """The machine's current time in UTC."""
    return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """An RFC 3339 instant with its offset (``2045-06-15T00:00:00Z``), in UTC; ValueError otherwise."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 instant such as 2045-06-15T00:00:00Z") from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset; write e.g. 2045-06-15T00:00:00Z")
    return when.astimezone(UTC)


def edge_clock() -> datetime:
    """The machine's clock, or the ``PXHUB_CLOCK`` instant plus the real time elapsed since first read."""
    value = os.environ.get(CLOCK_ENV, "")
    if not value:
        return datetime.now(UTC)
    start = _starts.get(value)
    if start is None:
        start = _starts.setdefault(value, (parse_instant(value), time.monotonic()))
    return start[0] + timedelta(seconds=time.monotonic() - start[1])


def system_random(size: int) -> bytes:
    """``size`` bytes from the operating system's CSPRNG (looked up at each call, so tests may wrap it)."""
    return os.urandom(size)


class MovableClock:
    """A base clock (the edges' clock by default) plus an offset that only moves forward: the demo and
    tests use it to let a deadline pass without waiting for it."""

    def __init__(self, base: Clock = edge_clock) -> None:
        self.base = base
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def advance(self, by: timedelta) -> None:
        if by < timedelta(0):
            raise ValueError("a movable clock moves forward only")
        self.offset += by
