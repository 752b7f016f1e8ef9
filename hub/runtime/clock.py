"""Where the edges get the time and their randomness, so the pure core can take both as parameters."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

#: A source of the current time; always timezone-aware (UTC).
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The machine's current time in UTC."""
    return datetime.now(UTC)


def system_random(size: int) -> bytes:
    """``size`` bytes from the operating system's CSPRNG (looked up at each call, so tests may wrap it)."""
    return os.urandom(size)


class MovableClock:
    """The system clock plus an offset that only moves forward: the demo and tests use it to let a
    deadline pass without waiting for it."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        if by < timedelta(0):
            raise ValueError("a movable clock moves forward only")
        self.offset += by
