"""``RequestStore`` in memory (tests and throwaway hubs), mixed into ``MemoryHubStore``.

Same contract as the SQL mixin, and the same decisions (``overdue_of``, ``withdrawal``,
``with_effects`` of ``hub.store.requests``): every method works under the store's ``_lock``, gathers
everything it writes before it changes anything (a failing callback leaves the store as it was),
and appends the audit entries with the store's ``_append``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from hub.core.requests import OPEN, PENDING, RequestRecord
from hub.store.requests import (
    RequestChanges,
    RequestEffects,
    RequestStore,
    StoredRequestNotice,
    WithdrawOutcome,
    overdue_of,
    with_effects,
    withdrawal,
)


@dataclass
class _Notice:
    stored: StoredRequestNotice
    delivered_at: datetime | None = None


@dataclass
class _RequestState:
    requests: dict[str, RequestRecord] = field(default_factory=dict)
    notices: dict[str, _Notice] = field(default_factory=dict)


class MemoryRequestMixin(RequestStore):
    """Needs the store's ``_lock`` and ``_append`` (``MemoryHubStore``); its ``admit`` stores the
    requests the envelopes open and close through ``_requests``."""

    if TYPE_CHECKING:
        _lock: threading.Lock

        def _append(self, entries: Sequence[bytes]) -> None: ...

    def _request_state(self) -> _RequestState:
        """Created on first use (callers hold ``_lock``)."""
        state: _RequestState | None = self.__dict__.get("_request_state_data")
        if state is None:
            state = _RequestState()
            self.__dict__["_request_state_data"] = state
        return state

    def _requests(self) -> dict[str, RequestRecord]:
        return self._request_state().requests

    def _apply(self, changes: RequestChanges) -> None:
        state = self._request_state()
        state.requests.update((r.message_id, r) for r in changes.requests)
        state.notices.update((n.notice_id, _Notice(n)) for n in changes.notices)
        self._append(changes.entries)

    # -- reads -------------------------------------------------------------------------------

    def get_request(self, message_id: str) -> RequestRecord | None:
        with self._lock:
            return self._requests().get(message_id)

    def list_requests(
        self,
        *,
        member_id: str = "",
        state: int = 0,
        overdue_only: bool = False,
        message_id: str = "",
        limit: int = 500,
    ) -> list[RequestRecord]:
        with self._lock:
            found = [
                r
                for r in self._requests().values()
                if (not member_id or member_id in (r.requester, r.responder))
                and (not state or r.state == state)
                and (not overdue_only or r.overdue_at is not None)
                and (not message_id or r.message_id == message_id)
            ]
        found.sort(key=lambda r: (r.opened_at, r.message_id), reverse=True)
        return found[:limit]

    def pending_request_counts(self) -> dict[int, int]:
        with self._lock:
            states = [r.state for r in self._requests().values() if r.state in PENDING]
        return {state: states.count(state) for state in sorted(PENDING)}

    def due_requests(self, now: datetime, limit: int = 1000) -> list[RequestRecord]:
        with self._lock:
            due = [r for r in self._requests().values() if r.state == OPEN and r.deadline <= now]
        due.sort(key=lambda r: (r.deadline, r.message_id))
        return due[:limit]

    # -- changes -----------------------------------------------------------------------------

    def mark_overdue(self, requests: Sequence[RequestRecord], effects: RequestEffects) -> list[RequestRecord]:
        with self._lock:
            changes = with_effects(overdue_of(requests, self._requests()), effects)
            self._apply(changes)
            return changes.requests

    def withdraw_request(
        self, message_id: str, requester: str, at: datetime, reason: str, effects: RequestEffects
    ) -> tuple[WithdrawOutcome, RequestRecord | None]:
        with self._lock:
            outcome, record = withdrawal(self._requests().get(message_id), requester, at, reason)
            if outcome is WithdrawOutcome.WITHDRAWN and record is not None:
                self._apply(with_effects([record], effects))
            return outcome, record

    # -- notices -----------------------------------------------------------------------------

    def pending_request_notices(self, member_id: str, limit: int) -> list[StoredRequestNotice]:
        with self._lock:
            pending = [
                n.stored
                for n in self._request_state().notices.values()
                if n.stored.member_id == member_id and n.delivered_at is None
            ]
        pending.sort(key=lambda n: (n.issued_at, n.notice_id))
        return pending[:limit]

    def mark_request_notices_delivered(self, member_id: str, notice_ids: Sequence[str], at: datetime) -> None:
        with self._lock:
            notices = self._request_state().notices
            for notice_id in notice_ids:
                notice = notices.get(notice_id)
                if (
                    notice is not None
                    and notice.stored.member_id == member_id
                    and notice.delivered_at is None
                ):
                    notice.delivered_at = at
