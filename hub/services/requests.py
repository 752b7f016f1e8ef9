"""The hub's side of requests: check REQUEST and RESPONSE headers, track state, escalate deadlines.

No gRPC here. A REQUEST opens a request (stored with the envelope, ``Admission.request_opened``),
its RESPONSE closes it (``Admission.request_closed``, applied only while the request is still
pending); the sweep marks open requests OVERDUE at their deadline, with a notice to both members
and an audit entry (the operator sees them in ``ListRequests`` and the hub's log). Everything is
decided on the cleartext header: the hub never sees the request's justification or the answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hub.core.envelope import EnvelopeError, VerifiedEnvelope
from hub.core.policy import Decision, ExchangePolicy, layer_name
from hub.core.requests import (
    OPEN,
    RequestRecord,
    check_request_header,
    check_response_header,
    newly_overdue,
    reply_within,
)
from hub.identity.caller import HUB_CALLER, Caller
from hub.runtime.logs import get_logger
from hub.services import audit_events
from hub.services.lookup import LookupBook
from hub.store import HubStore
from hub.store.requests import RequestStore, StoredRequestNotice, WithdrawOutcome
from pxhub.v1 import envelope_pb2, request_pb2

log = get_logger("pxhub.requests")
R = envelope_pb2
Q = request_pb2
#: Header fields that only a REQUEST or RESPONSE may carry.
_REQUEST_ONLY = ("match_ref", "urgency", "requested_layers", "refusal_reason")
#: Most requests one ListRequests returns.
MAX_LISTED = 5_000


def request_store(store: HubStore) -> RequestStore:
    """The store's request side (every store implementation mixes it in)."""
    if not isinstance(store, RequestStore):
        raise TypeError(f"{type(store).__name__} does not implement RequestStore")
    return store


@dataclass(frozen=True)
class RequestCheck:
    """What a checked envelope does to requests, and the pull-only layers its request asked for."""

    request: RequestRecord | None = None  # a RESPONSE: the request as it stands
    closed: RequestRecord | None = None  # a RESPONSE: the request as the answer closes it
    pull_layers_asked: frozenset[int] = field(default_factory=frozenset)


class RequestDesk:
    def __init__(self, store: HubStore, lookups: LookupBook, clock: Callable[[], datetime]) -> None:
        self.store = request_store(store)
        self.audit = store
        self.lookups = lookups
        self.clock = clock

    # -- at Submit ---------------------------------------------------------------------------

    def check(self, verified: VerifiedEnvelope, caller: Caller, now: datetime) -> RequestCheck:
        """Refuse a header that breaks the rules of requests; before the policy decision."""
        metadata = verified.metadata
        if metadata.type == R.MESSAGE_TYPE_REQUEST:
            check_request_header(metadata)
            policy = self.lookups.policies.current()
            beyond = set(metadata.requested_layers) - (
                policy.requestable_layers(metadata.purpose) if policy else set()
            )
            if beyond:
                names = ", ".join(map(layer_name, sorted(beyond)))
                raise EnvelopeError(
                    R.REASON_REQUEST_INVALID, f"the purpose does not let a request ask for layer(s) {names}"
                )
            return RequestCheck()
        if metadata.type == R.MESSAGE_TYPE_RESPONSE:
            request = self.store.get_request(metadata.correlation_id) if metadata.correlation_id else None
            closed = check_response_header(metadata, request, caller.id, now)
            return RequestCheck(request, closed, frozenset(closed.requested_layers))
        used = [name for name in _REQUEST_ONLY if _is_set(metadata, name)]
        if used or metadata.payload_kind in (R.PAYLOAD_KIND_FILE_REQUEST, R.PAYLOAD_KIND_REQUEST_REFUSAL):
            raise EnvelopeError(
                R.REASON_REQUEST_INVALID,
                f"{', '.join(used) or 'a request or refusal record'} belongs to a REQUEST or RESPONSE only",
            )
        return RequestCheck()

    def opened(
        self, verified: VerifiedEnvelope, decision: Decision, policy: ExchangePolicy | None, now: datetime
    ) -> RequestRecord:
        """The request a permitted REQUEST opens, with the deadline of the agreement it rests on.

        Its match reference is checked here, after the policy: a request to a member with no
        agreement is refused as NO_AGREEMENT, one naming a hit of another member as MATCH_REF_INVALID.
        """
        metadata = verified.metadata
        self.lookups.match_for(
            metadata.match_ref, metadata.sender.member_id, metadata.recipients[0].member_id, now
        )
        agreement_id = decision.grounds[0] if decision.grounds else ""
        agreement = next(
            (g for g in (policy.message.agreements if policy else ()) if g.agreement_id == agreement_id), None
        )
        return RequestRecord(
            message_id=metadata.message_id,
            requester=metadata.sender.member_id,
            responder=metadata.recipients[0].member_id,
            purpose=metadata.purpose,
            legal_basis=metadata.legal_basis,
            urgency=metadata.urgency,
            requested_layers=tuple(sorted(metadata.requested_layers)),
            match_ref=metadata.match_ref,
            opened_at=now,
            deadline=now + reply_within(agreement, metadata.urgency),
            agreement_id=agreement_id,
        )

    # -- the deadline sweep ------------------------------------------------------------------

    def sweep(self) -> list[RequestRecord]:
        """Mark every open request past its deadline OVERDUE: notices to both members, audited."""
        now = self.clock()
        due = newly_overdue(self.store.due_requests(now), now)
        if not due:
            return []

        def effects(request: RequestRecord) -> tuple[Sequence[StoredRequestNotice], Sequence[bytes]]:
            notices = [
                notice_for(member, Q.REQUEST_EVENT_OVERDUE, request, now)
                for member in (request.requester, request.responder)
            ]
            entry = audit_events.simple(
                HUB_CALLER,
                now,
                "request.overdue",
                "ok",
                object_ids=(f"request:{request.message_id}",),
                details={
                    "requester": request.requester,
                    "responder": request.responder,
                    "deadline": request.deadline.isoformat(),
                },
            )
            return notices, [entry]

        changed = self.store.mark_overdue(due, effects)
        for request in changed:
            log.warning(
                "request_overdue",
                request=request.message_id,
                requester=request.requester,
                responder=request.responder,
                deadline=request.deadline.isoformat(),
            )
        return changed

    # -- the requester and readers -----------------------------------------------------------

    def withdraw(self, caller: Caller, message_id: str, reason: str) -> RequestRecord:
        now = self.clock()

        def effects(request: RequestRecord) -> tuple[Sequence[StoredRequestNotice], Sequence[bytes]]:
            entry = audit_events.simple(
                caller,
                now,
                "request.withdraw",
                "ok",
                object_ids=(f"request:{request.message_id}",),
                details={"responder": request.responder},
            )
            return [notice_for(request.responder, Q.REQUEST_EVENT_WITHDRAWN, request, now)], [entry]

        outcome, request = self.store.withdraw_request(message_id, caller.id, now, reason[:200], effects)
        refusal = {
            WithdrawOutcome.NOT_FOUND: (R.REASON_REQUEST_UNKNOWN, f"no request {message_id[:64]!r}"),
            WithdrawOutcome.NOT_YOURS: (R.REASON_REQUEST_NOT_YOURS, "only the requester withdraws a request"),
            WithdrawOutcome.CLOSED: (R.REASON_REQUEST_CLOSED, f"request {message_id} is no longer pending"),
        }.get(outcome)
        if refusal is not None or request is None:
            reason_code, detail = refusal or (R.REASON_REQUEST_UNKNOWN, "no such request")
            self.audit.append_audit(
                [audit_events.simple(caller, now, "request.withdraw", "deny", reason=reason_code)]
            )
            raise EnvelopeError(reason_code, detail)
        return request

    def list_for(self, caller: Caller, request: request_pb2.ListRequestsRequest) -> list[RequestRecord]:
        """A member sees its own requests (either side); the operator and auditors see all."""
        member = request.member_id
        if caller.role == "member":
            if member and member != caller.id:
                raise EnvelopeError(R.REASON_REQUEST_NOT_YOURS, "a member lists only its own requests")
            member = caller.id
        limit = min(request.limit or 500, MAX_LISTED)
        found = self.store.list_requests(
            member_id=member,
            state=request.state,
            overdue_only=request.overdue_only,
            message_id=request.message_id,
            limit=limit,
        )
        return found

    def pending_notices(self, caller: Caller, limit: int) -> list[StoredRequestNotice]:
        return self.store.pending_request_notices(caller.id, limit)

    def notices_sent(self, caller: Caller, notice_ids: Sequence[str]) -> None:
        if notice_ids:
            self.store.mark_request_notices_delivered(caller.id, notice_ids, self.clock())


def notice_for(member_id: str, event: int, request: RequestRecord, now: datetime) -> StoredRequestNotice:
    notice = Q.RequestNotice(notice_id=str(uuid.uuid4()), event=event, request=request.to_proto())  # type: ignore[arg-type]
    notice.issued_at.FromDatetime(now)
    return StoredRequestNotice(
        notice.notice_id, member_id, request.message_id, notice.SerializeToString(), now
    )


def _is_set(metadata: envelope_pb2.RecordMetadata, name: str) -> bool:
    value = getattr(metadata, name)
    return bool(len(value)) if name == "requested_layers" else bool(value)


__all__ = ["OPEN", "RequestCheck", "RequestDesk", "notice_for", "request_store"]
