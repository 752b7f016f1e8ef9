"""Requests for a person's file and their answers: the rules the hub applies to headers alone.

Pure: no I/O, no clock (callers pass the time). A REQUEST follows a lookup hit (its ``match_ref``)
and goes to the one member that had it; the answer is a RESPONSE whose ``correlation_id`` is the
request's message id. The hub keeps each request's state (``RequestRecord``) and its deadline: the
agreement's reply time for the urgency (calendar time; 10 days ordinary, 48 hours urgent unless
the agreement says otherwise).

State machine (``docs/lookup-and-requests.md``)::

    OPEN --answer--> ANSWERED        OPEN --refusal--> REFUSED       OPEN --withdraw--> WITHDRAWN
    OPEN --deadline passes--> OVERDUE --answer / refusal / withdraw--> ANSWERED / REFUSED / WITHDRAWN
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final

from hub.core.envelope import EnvelopeError
from hub.core.lookup import is_match_ref
from pxhub.v1 import envelope_pb2, options_pb2, policy_pb2, request_pb2

R = envelope_pb2
Q = request_pb2

#: Reply times when an agreement sets none (calendar time).
DEFAULT_REPLY_WITHIN: Final = {
    R.REQUEST_URGENCY_ORDINARY: timedelta(days=10),
    R.REQUEST_URGENCY_URGENT: timedelta(hours=48),
}
OPEN: Final = Q.REQUEST_STATE_OPEN
ANSWERED: Final = Q.REQUEST_STATE_ANSWERED
REFUSED: Final = Q.REQUEST_STATE_REFUSED
OVERDUE: Final = Q.REQUEST_STATE_OVERDUE
WITHDRAWN: Final = Q.REQUEST_STATE_WITHDRAWN
#: States in which a request still waits for its answer.
PENDING: Final = frozenset({OPEN, OVERDUE})
_NONE: Final = options_pb2.SENSITIVITY_NONE


def state_name(state: int) -> str:
    return Q.RequestState.Name(state).removeprefix("REQUEST_STATE_").lower()  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the hub keeps it: headers only."""

    message_id: str
    requester: str
    responder: str
    purpose: int
    legal_basis: int
    urgency: int
    requested_layers: tuple[int, ...]
    match_ref: str
    opened_at: datetime
    deadline: datetime
    agreement_id: str = ""
    state: int = OPEN
    closed_at: datetime | None = None
    response_message_id: str = ""
    refusal_reason: int = 0
    overdue_at: datetime | None = None
    withdrawn_reason: str = field(default="", compare=False)

    def closed(
        self, state: int, at: datetime, response_message_id: str, refusal_reason: int
    ) -> RequestRecord:
        return replace(
            self,
            state=state,
            closed_at=at,
            response_message_id=response_message_id,
            refusal_reason=refusal_reason,
        )

    def to_proto(self) -> request_pb2.RequestView:
        view = Q.RequestView(
            message_id=self.message_id,
            requester=self.requester,
            responder=self.responder,
            purpose=self.purpose,  # type: ignore[arg-type]
            legal_basis=self.legal_basis,  # type: ignore[arg-type]
            urgency=self.urgency,  # type: ignore[arg-type]
            requested_layers=self.requested_layers,  # type: ignore[arg-type]
            state=self.state,  # type: ignore[arg-type]
            response_message_id=self.response_message_id,
            refusal_reason=self.refusal_reason,  # type: ignore[arg-type]
            agreement_id=self.agreement_id,
        )
        view.opened_at.FromDatetime(self.opened_at)
        view.deadline.FromDatetime(self.deadline)
        if self.closed_at is not None:
            view.closed_at.FromDatetime(self.closed_at)
        if self.overdue_at is not None:
            view.overdue_at.FromDatetime(self.overdue_at)
        return view


def reply_within(agreement: policy_pb2.Agreement | None, urgency: int) -> timedelta:
    """The agreement's reply time for ``urgency`` (its own, or the default)."""
    if agreement is not None:
        own = (
            agreement.reply_within_urgent
            if urgency == R.REQUEST_URGENCY_URGENT
            else agreement.reply_within_ordinary
        )
        if own.seconds or own.nanos:
            return own.ToTimedelta()
    return DEFAULT_REPLY_WITHIN[urgency]  # type: ignore[index]


def _invalid(detail: str) -> EnvelopeError:
    return EnvelopeError(R.REASON_REQUEST_INVALID, detail)


def check_request_header(metadata: envelope_pb2.RecordMetadata) -> None:
    """The shape of a REQUEST header (REQUEST_INVALID, MATCH_REF_INVALID); the rest is policy."""
    if metadata.payload_kind != R.PAYLOAD_KIND_FILE_REQUEST:
        raise _invalid("a REQUEST carries a FILE_REQUEST record")
    if len(metadata.recipients) != 1:
        raise _invalid(f"a REQUEST goes to the one member that had the hit, not {len(metadata.recipients)}")
    if metadata.urgency not in DEFAULT_REPLY_WITHIN:
        raise _invalid("a REQUEST needs urgency ORDINARY or URGENT")
    if not metadata.requested_layers:
        raise _invalid("a REQUEST names the layers it asks for")
    if metadata.correlation_id:
        raise _invalid("a REQUEST starts a correlation; its correlation_id is empty")
    if not is_match_ref(metadata.match_ref):
        raise EnvelopeError(R.REASON_MATCH_REF_INVALID, "a REQUEST needs the match_ref of a lookup hit")


def check_response_header(
    metadata: envelope_pb2.RecordMetadata, request: RequestRecord | None, caller: str, now: datetime
) -> RequestRecord:
    """A RESPONSE against the request it names; returns the request as the answer closes it.

    Refusals, each with its reason: no such request (REQUEST_UNKNOWN), another pair of members
    (REQUEST_NOT_YOURS), already answered or refused (REQUEST_CLOSED), withdrawn
    (REQUEST_WITHDRAWN), another purpose or basis, a layer not asked for, a refusal without a
    reason (REQUEST_INVALID).
    """
    if request is None:
        raise EnvelopeError(
            R.REASON_REQUEST_UNKNOWN, f"correlation_id {metadata.correlation_id[:64]!r} names no request"
        )
    recipients = [p.member_id for p in metadata.recipients]
    if request.responder != caller or recipients != [request.requester]:
        raise EnvelopeError(
            R.REASON_REQUEST_NOT_YOURS,
            f"request {request.message_id} was sent by {request.requester} to {request.responder}",
        )
    if request.state == WITHDRAWN:
        raise EnvelopeError(R.REASON_REQUEST_WITHDRAWN, f"request {request.message_id} was withdrawn")
    if request.state not in PENDING:
        raise EnvelopeError(
            R.REASON_REQUEST_CLOSED, f"request {request.message_id} is already {state_name(request.state)}"
        )
    if metadata.purpose != request.purpose or metadata.legal_basis != request.legal_basis:
        raise _invalid("a RESPONSE keeps the purpose and legal basis of its request")
    if metadata.match_ref or metadata.urgency or metadata.requested_layers:
        raise _invalid("match_ref, urgency and requested_layers belong to the REQUEST, not the RESPONSE")
    if metadata.payload_kind == R.PAYLOAD_KIND_REQUEST_REFUSAL:
        if metadata.refusal_reason in (R.REFUSAL_REASON_UNSPECIFIED, R.REFUSAL_REASON_PARTIAL):
            raise _invalid("a refusal says why: NO_RECORD, LEGAL_IMPEDIMENT or OUTSIDE_AGREEMENT")
        return request.closed(REFUSED, now, metadata.message_id, metadata.refusal_reason)
    if metadata.payload_kind != R.PAYLOAD_KIND_INMATE_SECURITY_PROFILE:
        raise _invalid("a RESPONSE carries the profile or a REQUEST_REFUSAL")
    if metadata.refusal_reason not in (R.REFUSAL_REASON_UNSPECIFIED, R.REFUSAL_REASON_PARTIAL):
        raise _invalid("an answer carrying the profile may only say PARTIAL")
    extra = set(metadata.layers) - set(request.requested_layers) - {_NONE}
    if extra:
        names = ", ".join(options_pb2.Sensitivity.Name(x).removeprefix("SENSITIVITY_") for x in sorted(extra))
        raise _invalid(f"the answer holds layers the request did not ask for: {names}")
    return request.closed(ANSWERED, now, metadata.message_id, metadata.refusal_reason)


def newly_overdue(requests: list[RequestRecord], now: datetime) -> list[RequestRecord]:
    """Open requests whose deadline has passed, as they become overdue at ``now``."""
    return [
        replace(r, state=OVERDUE, overdue_at=now) for r in requests if r.state == OPEN and r.deadline <= now
    ]
