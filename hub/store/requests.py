"""The store contract for requests: their state from the headers, deadlines, notices.

A request is opened and closed by the envelopes that carry it: ``HubStore.admit`` stores the
REQUEST's ``Admission.request_opened`` and applies a RESPONSE's ``Admission.request_closed`` in the
same transaction as the envelope (a RESPONSE to a request that is no longer pending is
``AdmitOutcome.CONFLICT`` and nothing of it is stored). This mixin holds the rest: reads, the
overdue sweep, withdrawal and the notices. One shared suite (tests/test_store_requests.py) runs
against both backends.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from hub.core.requests import OPEN, PENDING, WITHDRAWN, RequestRecord

__all__ = [
    "RequestChanges",
    "RequestEffects",
    "RequestStore",
    "StoredRequestNotice",
    "WithdrawOutcome",
    "overdue_of",
    "with_effects",
    "withdrawal",
]


@dataclass(frozen=True, slots=True)
class StoredRequestNotice:
    """A serialised ``RequestNotice`` waiting for ``member_id``'s next Fetch."""

    notice_id: str
    member_id: str
    request_message_id: str
    notice: bytes
    issued_at: datetime


#: What a change of a request writes besides the request: the notices and the audit entries
#: for the record as changed, asked for inside the change's transaction.
RequestEffects = Callable[[RequestRecord], tuple[Sequence[StoredRequestNotice], Sequence[bytes]]]


class WithdrawOutcome(enum.Enum):
    WITHDRAWN = "withdrawn"
    NOT_FOUND = "not_found"
    # The caller is not the requester.
    NOT_YOURS = "not_yours"
    # Answered, refused or already withdrawn.
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class RequestChanges:
    """Requests as one change leaves them, and the notices and audit entries it writes with them."""

    requests: list[RequestRecord]
    notices: list[StoredRequestNotice]
    entries: list[bytes]


def with_effects(requests: Sequence[RequestRecord], effects: RequestEffects) -> RequestChanges:
    """``requests`` with what ``effects`` gives for each, asked before anything is written (a
    failing callback changes nothing, in every store)."""
    notices: list[StoredRequestNotice] = []
    entries: list[bytes] = []
    for request in requests:
        its_notices, its_entries = effects(request)
        notices.extend(its_notices)
        entries.extend(its_entries)
    return RequestChanges(list(requests), notices, entries)


def overdue_of(requests: Sequence[RequestRecord], stored: Mapping[str, RequestRecord]) -> list[RequestRecord]:
    """The stored records of ``requests`` still OPEN, with the state and ``overdue_at`` the sweep
    gave them (``mark_overdue``, the same for every store); each request once."""
    changed: list[RequestRecord] = []
    for request in {r.message_id: r for r in requests}.values():
        current = stored.get(request.message_id)
        if current is not None and current.state == OPEN:
            changed.append(replace(current, state=request.state, overdue_at=request.overdue_at))
    return changed


def withdrawal(
    current: RequestRecord | None, requester: str, at: datetime, reason: str
) -> tuple[WithdrawOutcome, RequestRecord | None]:
    """A withdrawal's outcome and the record it leaves (``withdraw_request``, the same for every store)."""
    if current is None:
        return WithdrawOutcome.NOT_FOUND, None
    if current.requester != requester:
        return WithdrawOutcome.NOT_YOURS, current
    if current.state not in PENDING:
        return WithdrawOutcome.CLOSED, current
    return WithdrawOutcome.WITHDRAWN, replace(current, state=WITHDRAWN, closed_at=at, withdrawn_reason=reason)


class RequestStore(ABC):
    @abstractmethod
    def get_request(self, message_id: str) -> RequestRecord | None:
        """One request by its REQUEST message id."""

    @abstractmethod
    def list_requests(
        self,
        *,
        member_id: str = "",
        state: int = 0,
        overdue_only: bool = False,
        message_id: str = "",
        limit: int = 500,
    ) -> list[RequestRecord]:
        """Requests newest first (by ``opened_at``): of ``member_id`` as requester or responder, in
        ``state``, that were ever overdue (``overdue_at`` set), or the one ``message_id``; unset
        filters do not filter."""

    @abstractmethod
    def pending_request_counts(self) -> dict[int, int]:
        """How many requests are OPEN and how many OVERDUE (state -> count, both always present)."""

    @abstractmethod
    def due_requests(self, now: datetime, limit: int = 1000) -> list[RequestRecord]:
        """OPEN requests whose deadline is at or before ``now``, oldest deadline first."""

    @abstractmethod
    def mark_overdue(
        self,
        requests: Sequence[RequestRecord],
        effects: Callable[[RequestRecord], tuple[Sequence[StoredRequestNotice], Sequence[bytes]]],
    ) -> list[RequestRecord]:
        """Store each of ``requests`` (OVERDUE, with ``overdue_at``) that is still OPEN, with the
        notices and audit entries ``effects(request)`` gives for it, in one transaction; returns
        the requests changed (a request answered meanwhile is left alone)."""

    @abstractmethod
    def withdraw_request(
        self,
        message_id: str,
        requester: str,
        at: datetime,
        reason: str,
        effects: Callable[[RequestRecord], tuple[Sequence[StoredRequestNotice], Sequence[bytes]]],
    ) -> tuple[WithdrawOutcome, RequestRecord | None]:
        """Withdraw a pending request of ``requester``: state WITHDRAWN, ``closed_at`` = ``at``, with
        the notices and audit entries of ``effects(withdrawn)``, in one transaction. Any other
        outcome changes nothing (the record, when there is one, is returned as it stands)."""

    @abstractmethod
    def pending_request_notices(self, member_id: str, limit: int) -> list[StoredRequestNotice]:
        """Notices for ``member_id`` not yet carried by a Fetch, oldest first."""

    @abstractmethod
    def mark_request_notices_delivered(self, member_id: str, notice_ids: Sequence[str], at: datetime) -> None:
        """Record that a Fetch stream carried these notices (they are not sent again)."""
