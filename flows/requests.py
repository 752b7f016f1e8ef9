"""request-inbox: answer the requests other members sent after a lookup hit, within their deadline.

Thin over the SDK and the adapter. inbound-sync writes each REQUEST it receives to the member's
sink (its verified header and the opened FILE_REQUEST) and acknowledges it; this flow lists those
still pending at the hub, finds the record each names (the hub tells the holder which of its record
handles the request's ``match_ref`` is on; the member's lookup index maps handles to its national
record numbers; the national export holds the record) and answers with a RESPONSE: the profile,
projected to the purpose and the layers asked (PARTIAL when some were not permitted), or a signed
refusal: NO_RECORD when the record is no longer there, or the refusal an officer decided
(``refusals``: request id -> LEGAL_IMPEDIMENT or OUTSIDE_AGREEMENT). A request whose answer holds a
layer the policy puts under four eyes (``four_eyes_layers``) waits until the run is given
``approve`` (the member's approver key countersigns). Answers go through the outbox like every send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_table_artifact

from adapters.registry import get_adapter
from flows.common import (
    DEFAULT_FEDERATION_DIR,
    DEFAULT_STATE_DIR,
    DEFAULT_TARGET,
    FINAL_OUTCOMES,
    Outbox,
    artifact_key,
    connect,
    member_state_dir,
    record_receipts,
)
from flows.lookup import handle_records
from flows.retry import TRANSIENT_RETRY
from flows.sink import requests_in_sink
from hub.core.requests import PENDING
from hub.sdk import MemberClient
from pxhub.v1 import envelope_pb2, inmate_profile_pb2, record_pb2

E = envelope_pb2
#: Refusals an officer may decide, by name.
OFFICER_REFUSALS: Final = {
    "LEGAL_IMPEDIMENT": E.REFUSAL_REASON_LEGAL_IMPEDIMENT,
    "OUTSIDE_AGREEMENT": E.REFUSAL_REASON_OUTSIDE_AGREEMENT,
}


@dataclass
class RequestInboxResult:
    member_id: str
    pending: int = 0
    answered: list[str] = field(default_factory=list)  # request message ids
    refused: list[tuple[str, str]] = field(default_factory=list)  # (request id, reason)
    awaiting_approval: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # the hub's refusals of answers


def profiles_by_record(
    source: str, member: str, wanted: set[str]
) -> dict[str, inmate_profile_pb2.InmateSecurityProfile]:
    """The export's profiles whose national record number is in ``wanted``."""
    found = {}
    with Path(source).open("rb") as stream:
        for row in get_adapter(member).parse(stream):
            if row.record is not None and row.record.custodian_subject_id in wanted:
                found[row.record.custodian_subject_id] = row.record
    return found


async def _pending_requests(
    client: MemberClient, sink: str
) -> list[tuple[envelope_pb2.RecordMetadata, record_pb2.Record]]:
    """The sink's requests that the hub still has as OPEN or OVERDUE, to this member."""
    pending = {
        r.message_id
        for r in await client.list_requests(limit=5000)
        if r.responder == client.member_id and r.state in PENDING
    }
    return (
        [(h, r) for h, r in requests_in_sink(sink) if h.message_id in pending] if Path(sink).is_dir() else []
    )


@task(name="answer-requests", **TRANSIENT_RETRY)
async def answer_requests(
    member: str,
    sink: str,
    source: str,
    target: str,
    federation_dir: str,
    state_dir: str,
    approve: bool,
    refusals: dict[str, str],
) -> RequestInboxResult:
    result = RequestInboxResult(member)
    outbox = Outbox(member_state_dir(state_dir, member) / "outbox.sqlite")
    client = await connect(member, target, federation_dir)
    try:
        pending = await _pending_requests(client, sink)
        result.pending = len(pending)
        handles = handle_records(state_dir, member)
        wanted: dict[str, str] = {}  # request id -> national record number
        for header, _ in pending:
            handle = await client.resolve_match(header.match_ref)
            if handle in handles:
                wanted[header.message_id] = handles[handle]
        profiles = profiles_by_record(source, member, set(wanted.values()))
        policy = client.policy
        four_eyes = set(policy.message.four_eyes_layers) if policy is not None else set()
        to_send: list[tuple[str, bytes, tuple[str, ...]]] = []
        for header, _ in pending:
            request_id = header.message_id
            answer_id = f"response:{request_id}"
            outcome, stored = outbox.outcome(answer_id)
            if outcome in FINAL_OUTCOMES:
                continue
            requester = (header.sender.member_id,)
            if stored is None:
                profile = profiles.get(wanted.get(request_id, ""))
                decided = refusals.get(request_id, "")
                if decided in OFFICER_REFUSALS:
                    envelope = client.refusal_envelope(
                        header, OFFICER_REFUSALS[decided], "decidido por el oficial"
                    )
                    result.refused.append((request_id, decided))
                elif profile is None:
                    envelope = client.refusal_envelope(
                        header, E.REFUSAL_REASON_NO_RECORD, "la persona no figura en los registros vigentes"
                    )
                    result.refused.append((request_id, "NO_RECORD"))
                elif set(header.requested_layers) & four_eyes and not approve:
                    result.awaiting_approval.append(request_id)
                    continue
                else:
                    record = record_pb2.Record(inmate_security_profile=profile)
                    needs = bool(set(header.requested_layers) & four_eyes)
                    envelope = client.answer_envelope(header, record, approve=needs)
                    result.answered.append(request_id)
                stored = outbox.keep([(answer_id, envelope.SerializeToString(), requester)])[answer_id]
            to_send.append((answer_id, stored, requester))
        if to_send:
            receipts = await client.submit([E.Envelope.FromString(e) for _, e, _ in to_send])
            tally = record_receipts(outbox, [(m, r) for m, _, r in to_send], receipts)
            result.rejected = tally.rejected
    finally:
        await client.close()
        outbox.close()
    return result


@flow(name="request-inbox", log_prints=False)
async def request_inbox(
    member: str,
    sink: str,
    source: str,
    target: str = DEFAULT_TARGET,
    federation_dir: str = DEFAULT_FEDERATION_DIR,
    state_dir: str = DEFAULT_STATE_DIR,
    approve: bool = False,
    refusals: dict[str, str] | None = None,
) -> RequestInboxResult:
    """Answer (or refuse) the pending requests in the member's sink from its national export ``source``."""
    unknown = sorted(v for v in (refusals or {}).values() if v not in OFFICER_REFUSALS)
    if unknown:
        raise ValueError(f"refusals: {', '.join(unknown)} is not one of {', '.join(OFFICER_REFUSALS)}")
    result = await answer_requests(
        member, sink, source, target, federation_dir, state_dir, approve, dict(refusals or {})
    )
    get_run_logger().info(
        "request inbox %s: %d pending, %d answered, %d refused, %d awaiting approval, %d rejected by the hub",
        member,
        result.pending,
        len(result.answered),
        len(result.refused),
        len(result.awaiting_approval),
        len(result.rejected),
    )
    rows = (
        [{"request": r, "outcome": "answered"} for r in result.answered]
        + [{"request": r, "outcome": f"refused {why}"} for r, why in result.refused]
        + [{"request": r, "outcome": "awaiting approval"} for r in result.awaiting_approval]
        + [{"request": m, "outcome": f"rejected {why}: {d}"} for m, why, d in result.rejected]
    )
    await acreate_table_artifact(
        key=artifact_key("request-inbox", member), table=rows, description=f"Requests answered by {member}"
    )
    return result
