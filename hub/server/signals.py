"""Wakes following Fetch streams of a member when new mail for it is accepted in this process."""

from __future__ import annotations

import asyncio


class MailboxSignals:
    """Wakes a member's following Fetch streams when new mail arrives."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}

    def event(self, member_id: str) -> asyncio.Event:
        return self._events.setdefault(member_id, asyncio.Event())

    def notify(self, member_ids: set[str]) -> None:
        for member_id in member_ids:
            self.event(member_id).set()
