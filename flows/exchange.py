"""Outbound and inbound sync flows of the regional exchange.

Secrets never travel as flow parameters (Prefect stores parameters): the key
passphrase comes from PXHUB_KEY_PASSPHRASE or PXHUB_KEY_PASSPHRASE_FILE.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from google.protobuf import json_format
from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_table_artifact

from flows.plans import ExchangePlan, outgoing_records
from hub.core.envelope import EnvelopeError
from hub.identity.credentials import passphrase_from_env
from hub.runtime.files import write_atomically
from hub.sdk import MemberClient, OpenedDelivery
from hub.sdk.policy_consent import RecipientGuardError
from pxhub.v1 import envelope_pb2

# Public-record information a member must keep (GT: LAIP, Decreto 57-2008, art. 36): after a withdrawal
# it is blocked from use and retained under legal hold instead of deleted, and attested as such.
LEGAL_HOLDS = {"GT-DGSP": "LAIP (Decreto 57-2008) art. 36: información de registros públicos"}

Outcome = envelope_pb2.Receipt.Outcome


@dataclass
class OutboundResult:
    member_id: str
    submitted: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (message id, reason, detail)
    sent_to: dict[str, int] = field(default_factory=dict)


@dataclass
class InboundResult:
    member_id: str
    received: int = 0
    opened: int = 0
    refused: list[tuple[str, str, str]] = field(default_factory=list)
    acknowledged: int = 0
    from_members: dict[str, int] = field(default_factory=dict)
    sink_file: str = ""
    # Deliveries the recipients' guard refused, acknowledged as REFUSED.
    refused_acknowledged: int = 0
    # Revocation notices received, records deleted (or blocked) from the sink, attestations recorded.
    notices: int = 0
    deleted: int = 0
    attested: int = 0


async def _connect(member_id: str, target: str, federation_dir: str) -> MemberClient:
    return await MemberClient.connect(target, Path(federation_dir), member_id, passphrase_from_env())


@task(retries=3, retry_delay_seconds=[1, 2, 4])
async def seal_and_submit(
    member_id: str, target: str, federation_dir: str, plan: ExchangePlan, batch_size: int = 64
) -> OutboundResult:
    """Seal every planned record and submit them on one stream."""
    client = await _connect(member_id, target, federation_dir)
    try:
        outgoing = list(outgoing_records(plan))
        envelopes = [client.seal(o.record, o.metadata, o.recipients) for o in outgoing]
        receipts = await client.submit(envelopes, batch_size=batch_size)
    finally:
        await client.close()
    result = OutboundResult(member_id, submitted=len(receipts))
    sent: Counter[str] = Counter()
    for item, receipt in zip(outgoing, receipts, strict=True):
        if receipt.outcome == Outcome.OUTCOME_ACCEPTED:
            result.accepted += 1
        elif receipt.outcome == Outcome.OUTCOME_DUPLICATE:
            result.duplicates += 1
        else:
            reason = envelope_pb2.Reason.Name(receipt.reason).removeprefix("REASON_")
            result.rejected.append((receipt.message_id, reason, receipt.detail))
            continue
        sent.update(item.recipients)
    result.sent_to = dict(sent)
    return result


@flow(name="outbound-sync", log_prints=False)
async def outbound_sync(
    member_id: str, target: str, federation_dir: str, plan: ExchangePlan
) -> OutboundResult:
    """Build this member's records, seal them to their recipients and submit them."""
    result = await seal_and_submit(member_id, target, federation_dir, plan)
    get_run_logger().info(
        "outbound %s: %d submitted, %d accepted, %d duplicates, %d rejected",
        member_id,
        result.submitted,
        result.accepted,
        result.duplicates,
        len(result.rejected),
    )
    await acreate_table_artifact(
        key=f"outbound-{member_id.lower()}",
        table=[{"recipient": k, "accepted": v} for k, v in sorted(result.sent_to.items())]
        + [
            {"recipient": f"rejected {mid}", "accepted": f"{reason}: {detail}"}
            for mid, reason, detail in result.rejected
        ],
        description=f"Outbound sync of {member_id}",
    )
    return result


def delete_from_sink(member_dir: Path, message_ids: set[str], legal_hold: str = "") -> int:
    """Remove (or, under a legal hold, mark blocked) the sink lines of ``message_ids``; returns how many."""
    changed = 0
    for path in sorted(member_dir.glob("inbox-*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = []
        for line in lines:
            item = json.loads(line)
            if item.get("message_id") not in message_ids or item.get("blocked"):
                kept.append(line)
                continue
            changed += 1
            if legal_hold:
                item["blocked"] = f"consent withdrawn; retained under legal hold: {legal_hold}"
                item["record"] = {}
                kept.append(json.dumps(item, ensure_ascii=False, sort_keys=True))
        if kept != lines:
            write_lines(path, kept)
    return changed


def write_lines(path: Path, lines: list[str]) -> None:
    """The sink either has the whole batch or none of it."""
    write_atomically(path, "".join(line + "\n" for line in lines).encode("utf-8"))


def sink_line(opened: OpenedDelivery) -> str:
    metadata = opened.verified.metadata
    return json.dumps(
        {
            "message_id": metadata.message_id,
            "sender": metadata.sender.member_id,
            "purpose": envelope_pb2.Purpose.Name(metadata.purpose),
            "legal_basis": envelope_pb2.LegalBasis.Name(metadata.legal_basis),
            "record": json_format.MessageToDict(opened.record),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


@task(retries=3, retry_delay_seconds=[1, 2, 4])
async def fetch_open_write_acknowledge(
    member_id: str, target: str, federation_dir: str, sink_dir: str, batch: int = 256
) -> InboundResult:
    """Fetch the mailbox, verify and open each delivery, write the batch durably, then acknowledge."""
    client = await _connect(member_id, target, federation_dir)
    result = InboundResult(member_id)
    senders: Counter[str] = Counter()
    try:
        deliveries = [d async for d in client.fetch(batch_size=batch)]
        result.received = len(deliveries)
        opened: list[OpenedDelivery] = []
        acknowledgements = []
        refusals = []
        notices = []
        for delivery in deliveries:
            if delivery.HasField("revocation_notice"):
                notices.append(delivery.revocation_notice)
                continue
            try:
                item = client.open(delivery)
            except EnvelopeError as error:
                reason = envelope_pb2.Reason.Name(error.reason).removeprefix("REASON_")
                result.refused.append((delivery.cursor, reason, error.detail))
                if isinstance(error, RecipientGuardError) and error.acknowledgement is not None:
                    refusals.append(error.acknowledgement)
                continue
            opened.append(item)
            senders[item.sender] += 1
        if opened:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            path = Path(sink_dir) / member_id / f"inbox-{stamp}.jsonl"
            write_lines(path, [sink_line(o) for o in opened])
            result.sink_file = str(path)
            # Only now, with the batch durable in the national sink, does the hub's duty end.
            acknowledgements = [client.receipt_for(o.verified) for o in opened]
        results = await client.acknowledge(acknowledgements + refusals)
        if notices:
            # A withdrawn consent: delete what was received under it (durably), then attest it, signed.
            hold = LEGAL_HOLDS.get(member_id, "")
            result.notices = len(notices)
            result.deleted = delete_from_sink(
                Path(sink_dir) / member_id, {n.message_id for n in notices}, legal_hold=hold
            )
            attested = await client.attest_deletion(
                [client.attestation_for(n, legal_hold_basis=hold) for n in notices]
            )
            result.attested = sum(1 for r in attested if r.outcome in (1, 2))
    finally:
        await client.close()
    result.opened = len(opened)
    result.acknowledged = sum(
        1
        for r in results[: len(acknowledgements)]
        if r.outcome in (1, 2)  # RECORDED or DUPLICATE
    )
    result.refused_acknowledged = sum(1 for r in results[len(acknowledgements) :] if r.outcome in (1, 2))
    result.from_members = dict(senders)
    return result


@flow(name="inbound-sync", log_prints=False)
async def inbound_sync(member_id: str, target: str, federation_dir: str, sink_dir: str) -> InboundResult:
    """Fetch, verify, open, write to the national sink, acknowledge."""
    result = await fetch_open_write_acknowledge(member_id, target, federation_dir, sink_dir)
    get_run_logger().info(
        "inbound %s: %d received, %d opened, %d acknowledged",
        member_id,
        result.received,
        result.opened,
        result.acknowledged,
    )
    await acreate_table_artifact(
        key=f"inbound-{member_id.lower()}",
        table=[{"sender": k, "opened": v} for k, v in sorted(result.from_members.items())],
        description=f"Inbound sync of {member_id}",
    )
    return result
