"""Rate-limit refusals, audited once per caller and window instead of once each.

A caller over its quota is refused on every call; auditing every refusal would let a flood grow the
log as fast as the hub can answer. So the first refusal of a caller in a window is audited at once
(an auditor sees the flood start), the rest are counted, and when the window closes one entry says
how many there were, per method. A caller therefore adds at most two rate-limit entries per window
(``WINDOW_SECONDS``). Counts still in an open window are lost if the hub process dies; the first
refusal of that window is durable.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from hub.identity.caller import Caller

WINDOW_SECONDS = 60.0


@dataclass
class _Window:
    opened: float  # monotonic time of the refusal that opened it (audited on its own)
    first_counted: datetime | None = None  # hub time of the first refusal counted after it
    counted: Counter[str] = field(default_factory=Counter)  # refusals per method after the first


@dataclass(frozen=True)
class RefusalSummary:
    """Refusals of one caller in a closed window beyond the first, which was audited on its own."""

    caller: Caller
    since: datetime
    until: datetime
    by_method: dict[str, int]

    @property
    def count(self) -> int:
        return sum(self.by_method.values())


class RateLimitTally:
    """Which rate-limit refusals to audit now, and the summaries of windows that closed."""

    def __init__(
        self, window_seconds: float = WINDOW_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.window_seconds = window_seconds
        self.monotonic = monotonic
        self._windows: dict[Caller, _Window] = {}
        self._lock = threading.Lock()

    def note(self, caller: Caller, method: str, now: datetime) -> tuple[bool, list[RefusalSummary]]:
        """Count one refusal: (audit it on its own now?, summaries of windows that closed)."""
        with self._lock:
            summaries = self._close(now, expired_only=True)
            window = self._windows.get(caller)
            if window is None:
                self._windows[caller] = _Window(self.monotonic())
                return True, summaries
            if window.first_counted is None:
                window.first_counted = now
            window.counted[method] += 1
            return False, summaries

    def open_windows(self) -> int:
        """Callers whose refusals are being counted now."""
        return len(self._windows)

    def close_expired(self, now: datetime) -> list[RefusalSummary]:
        """Summaries of every window that has closed (called periodically by the hub)."""
        with self._lock:
            return self._close(now, expired_only=True)

    def close_all(self, now: datetime) -> list[RefusalSummary]:
        """Summaries of every window, closed or not (when the hub stops)."""
        with self._lock:
            return self._close(now, expired_only=False)

    def _close(self, now: datetime, expired_only: bool) -> list[RefusalSummary]:
        current = self.monotonic()
        summaries = []
        for caller, window in list(self._windows.items()):
            if expired_only and current - window.opened < self.window_seconds:
                continue
            del self._windows[caller]
            if window.first_counted is not None:
                summaries.append(
                    RefusalSummary(caller, window.first_counted, now, dict(sorted(window.counted.items())))
                )
        return summaries
