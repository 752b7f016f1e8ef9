"""propagate-withdrawals: delete locally what revocation notices name, and what reached its
review-or-delete date, and send signed deletion attestations.

A withdrawn (or revoked) consent makes the hub send each recipient a revocation notice carrying the
controller's signed withdrawal. The member checks that signature (it need not trust the hub),
deletes the records named from its national sink (or, under a legal hold, blocks them from the
national import and retains them, as Guatemala's public-records law requires), durably, and only
then signs and sends a deletion attestation. Inbound sync does the same for notices it meets;
this flow handles only notices, on its own schedule, so a withdrawal is honoured even when no new
deliveries arrive.

Retention works the same way without a notice: a record whose signed header's ``review_or_delete_at``
has passed is deleted from the sink (or blocked and retained under the member's legal hold) and
attested, signed; the hub records that attestation once the date has come on its own clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact

from flows.common import DEFAULT_FEDERATION_DIR, DEFAULT_TARGET, artifact_key, connect, markdown_table
from flows.retry import TRANSIENT_RETRY
from flows.sink import NationalSink
from hub.core.envelope import EnvelopeError
from hub.runtime.clock import edge_clock
from hub.sdk import MemberClient
from pxhub.v1 import consent_pb2, exchange_pb2

# Public-record information a member must keep (GT: LAIP, Decreto 57-2008, art. 36): after a withdrawal
# it is blocked from use and retained under legal hold instead of deleted, and attested as such.
LEGAL_HOLDS: Final = {"GT-DGSP": "LAIP (Decreto 57-2008) art. 36: información de registros públicos"}


@dataclass
class WithdrawalResult:
    member_id: str
    notices: int = 0
    deleted: list[tuple[str, str, str]] = field(default_factory=list)  # (message id, consent, action)
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (notice id, why)
    attested: int = 0
    # Records deleted (or blocked) at their review-or-delete date; listed in ``deleted`` too.
    past_date: int = 0


def removal_action(hold: str) -> str:
    return "blocked, retained under legal hold" if hold else "deleted"


def attested(answers: Sequence[exchange_pb2.AttestDeletionResult]) -> int:
    """Attestations the hub holds now: RECORDED, or DUPLICATE (recorded before)."""
    return sum(
        1
        for r in answers
        if r.outcome
        in (exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED, exchange_pb2.ACKNOWLEDGE_OUTCOME_DUPLICATE)
    )


@task(name="delete-and-attest", **TRANSIENT_RETRY)
async def delete_and_attest(
    client: MemberClient, sink: NationalSink, notices: list[consent_pb2.RevocationNotice]
) -> WithdrawalResult:
    """Check each notice, delete (or block) its record durably, then attest, signed."""
    result = WithdrawalResult(client.member_id, notices=len(notices))
    hold = LEGAL_HOLDS.get(client.member_id, "")
    valid = []
    for notice in notices:
        try:
            client.verify_notice(notice)
        except EnvelopeError as error:
            result.invalid.append((notice.notice_id, error.detail))
            continue
        valid.append(notice)
    removed = set(sink.delete({n.message_id for n in valid}, legal_hold=hold))
    action = removal_action(hold)
    for notice in valid:
        # A record never written here (purged before delivery, or refused) is attested as absent.
        done = action if notice.message_id in removed else "not held (nothing to delete)"
        result.deleted.append((notice.message_id, notice.consent_id, done))
    answers = await client.attest_deletion([client.attestation_for(n, legal_hold_basis=hold) for n in valid])
    result.attested = attested(answers)
    return result


async def delete_past_date(
    client: MemberClient, sink: NationalSink, now: datetime, result: WithdrawalResult
) -> None:
    """Delete (or, under the member's legal hold, block and retain) every record of the sink whose
    review-or-delete date is at or before ``now``, durably, then attest each one, signed."""
    due = sink.past_delete_date(now)
    if not due:
        return
    hold = LEGAL_HOLDS.get(client.member_id, "")
    removed = sink.delete(due, legal_hold=hold, why="review-or-delete date passed")
    action = f"{removal_action(hold)} (review-or-delete date)"
    result.deleted.extend((message_id, "", action) for message_id in removed)
    result.past_date += len(removed)
    answers = await client.attest_deletion(
        [client.attestation_at_date(m, due[m], legal_hold_basis=hold) for m in removed]
    )
    result.attested += attested(answers)


async def fetch_notices(client: MemberClient) -> list[consent_pb2.RevocationNotice]:
    """Notices come first in every Fetch: read them and stop at the first sealed record."""
    notices = []
    stream = client.fetch(batch_size=64)
    async for delivery in stream:
        if not delivery.HasField("revocation_notice"):
            break
        notices.append(delivery.revocation_notice)
    await stream.aclose()  # type: ignore[attr-defined]
    return notices


@flow(name="propagate-withdrawals", log_prints=False)
async def propagate_withdrawals(
    member: str,
    sink: str,
    target: str = DEFAULT_TARGET,
    federation_dir: str = DEFAULT_FEDERATION_DIR,
) -> WithdrawalResult:
    """Fetch revocation notices, delete the records named from the sink and those past their
    review-or-delete date, send signed attestations."""
    client = await connect(member, target, federation_dir)
    national = NationalSink(member, sink)
    try:
        notices = await fetch_notices(client)
        result = await delete_and_attest(client, national, notices)
        await delete_past_date(client, national, edge_clock(), result)
    finally:
        await client.close()
    get_run_logger().info(
        "withdrawals %s: %d notices, %d records deleted or blocked (%d at their review-or-delete date), "
        "%d attested, %d invalid",
        member,
        result.notices,
        sum(1 for *_, done in result.deleted if not done.startswith("not held")),
        result.past_date,
        result.attested,
        len(result.invalid),
    )
    await publish_withdrawal_artifact(result)
    return result


async def publish_withdrawal_artifact(result: WithdrawalResult) -> None:
    if not result.deleted and not result.invalid:
        return
    body = markdown_table(("message id", "consent", "action"), result.deleted)
    if result.invalid:
        body += "\n\n## Notices refused (not signed by the controller)\n\n"
        body += markdown_table(("notice", "why"), result.invalid)
    await acreate_markdown_artifact(
        key=artifact_key("withdrawals", result.member_id),
        markdown=f"## Withdrawals honoured by {result.member_id}\n\n{body}\n\n"
        f"{result.attested} signed deletion attestation(s) recorded by the hub.\n",
        description=f"Records deleted after consent withdrawals ({result.member_id})",
    )
