"""Where the edges get the time and their randomness, so the pure core can take both as parameters."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime

#: A source of the current time; always timezone-aware (UTC).
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The machine's current time in UTC."""
    return datetime.now(UTC)


def system_random(size: int) -> bytes:
    """``size`` bytes from the operating system's CSPRNG (looked up at each call, so tests may wrap it)."""
    return os.urandom(size)
