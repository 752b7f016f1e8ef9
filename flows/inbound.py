"""inbound-sync: fetch, verify, open, render to the national format, write atomically, then acknowledge.

Thin over the SDK, the adapters and ``flows.sink``. One batch at a time (``batch_size``
deliveries): fetch after the persisted cursor, verify each envelope under the hub-signed directory
and open it (the recipients' policy guard refuses anything beyond the declared purpose, answered
with a signed REFUSED acknowledgement), render the profiles through the member's adapter into the
national import format (other records to JSON Lines beside them), write the batch durably, and
only then acknowledge; the cursor file moves only after the acknowledgement. A crash anywhere
leaves either nothing written (the batch comes again) or a written batch not yet acknowledged (the
hub delivers it again and the sink, which knows its message ids, writes nothing twice). Revocation
notices are honoured as ``propagate-withdrawals`` does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from flows.common import (
    DEFAULT_FEDERATION_DIR,
    DEFAULT_TARGET,
    artifact_key,
    connect,
    markdown_table,
    reason_name,
)
from flows.retry import TRANSIENT_RETRY
from flows.sink import NationalSink
from flows.withdrawals import delete_and_attest
from hub.core.envelope import EnvelopeError
from hub.sdk import MemberClient, OpenedDelivery
from hub.sdk.policy_consent import RecipientGuardError
from pxhub.v1 import consent_pb2, exchange_pb2

DEFAULT_BATCH: Final = 256
MAX_BATCHES: Final = 10_000  # a guard against a mailbox that never empties within one run


@dataclass
class InboundSyncResult:
    member_id: str
    sink: str
    batches: int = 0
    received: int = 0
    opened: int = 0
    written: int = 0
    already_in_sink: int = 0
    acknowledged: int = 0
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (cursor or id, reason, detail)
    refused_acknowledged: int = 0
    from_members: dict[str, int] = field(default_factory=dict)
    notices: int = 0
    deleted: int = 0
    attested: int = 0
    cursor: str = ""


def after_durable_write(sink: NationalSink) -> None:
    """Called between the durable write and the acknowledgement (a seam for crash tests)."""


@task(name="receive-batch", **TRANSIENT_RETRY)
async def receive_batch(client: MemberClient, sink: NationalSink, batch_size: int) -> InboundSyncResult:
    """One batch: fetch after the cursor, open, write durably, acknowledge, move the cursor."""
    result = InboundSyncResult(client.member_id, str(sink.folder))
    sink.discard_uncommitted()
    cursor = sink.cursor()
    notices: list[consent_pb2.RevocationNotice] = []
    deliveries: list[exchange_pb2.Delivery] = []
    async for delivery in client.fetch(cursor, limit=batch_size, batch_size=min(batch_size, 1024)):
        if delivery.HasField("revocation_notice"):
            notices.append(delivery.revocation_notice)
        else:
            deliveries.append(delivery)
    result.received = len(deliveries)
    opened: list[OpenedDelivery] = []
    refusals: list[exchange_pb2.Acknowledgement] = []
    senders: Counter[str] = Counter()
    for delivery in deliveries:
        try:
            item = await client.open_current(delivery)
        except EnvelopeError as error:
            result.refused.append((delivery.cursor, reason_name(error.reason), error.detail))
            if isinstance(error, RecipientGuardError) and error.acknowledgement is not None:
                refusals.append(error.acknowledgement)
            continue
        opened.append(item)
        senders[item.sender] += 1
    written = sink.write_batch(opened)
    result.written = 0 if written is None else written.profiles + written.others
    result.already_in_sink = len(opened) - result.written
    after_durable_write(sink)
    # Only now, with the batch durable in the national sink, does the hub's duty end.
    acknowledgements = [client.receipt_for(o.verified) for o in opened]
    answers = await client.acknowledge(acknowledgements + refusals)
    result.acknowledged = sum(1 for r in answers[: len(acknowledgements)] if r.outcome in (1, 2))
    result.refused_acknowledged = sum(1 for r in answers[len(acknowledgements) :] if r.outcome in (1, 2))
    result.opened = len(opened)
    result.from_members = dict(senders)
    if deliveries:
        result.cursor = deliveries[-1].cursor
        sink.save_cursor(result.cursor)
    if notices:
        withdrawn = await delete_and_attest.fn(client, sink, notices)
        result.notices = withdrawn.notices
        result.deleted = sum(1 for *_, done in withdrawn.deleted if not done.startswith("not held"))
        result.attested = withdrawn.attested
    return result


def merge(total: InboundSyncResult, batch: InboundSyncResult) -> None:
    total.batches += 1
    for name in (
        "received", "opened", "written", "already_in_sink", "acknowledged", "refused_acknowledged",
        "notices", "deleted", "attested",
    ):  # fmt: skip
        setattr(total, name, getattr(total, name) + getattr(batch, name))
    total.refused.extend(batch.refused)
    senders = Counter(total.from_members)
    senders.update(batch.from_members)
    total.from_members = dict(senders)
    total.cursor = batch.cursor or total.cursor


@flow(name="inbound-sync", log_prints=False)
async def inbound_sync(
    member: str,
    sink: str,
    target: str = DEFAULT_TARGET,
    federation_dir: str = DEFAULT_FEDERATION_DIR,
    batch_size: int = DEFAULT_BATCH,
) -> InboundSyncResult:
    """Fetch, verify, open, render to the national format, write atomically, then acknowledge."""
    logger = get_run_logger()
    national = NationalSink(member, sink)
    total = InboundSyncResult(member, sink, cursor=national.cursor())
    client = await connect(member, target, federation_dir)
    try:
        for _ in range(MAX_BATCHES):
            batch = await receive_batch(client, national, batch_size)
            merge(total, batch)
            logger.info(
                "inbound %s batch %d: %d received, %d written, %d acknowledged",
                member,
                total.batches,
                batch.received,
                batch.written,
                batch.acknowledged,
            )
            if batch.received < batch_size:
                break
    finally:
        await client.close()
    logger.info(
        "inbound %s: %d received, %d opened, %d written (%d already in the sink), %d acknowledged, "
        "%d refused, %d withdrawn",
        member,
        total.received,
        total.opened,
        total.written,
        total.already_in_sink,
        total.acknowledged,
        len(total.refused),
        total.deleted,
    )
    await publish_inbound_artifacts(total, national)
    return total


async def publish_inbound_artifacts(result: InboundSyncResult, sink: NationalSink) -> None:
    counts = [
        {"count": "deliveries received", "value": result.received},
        {"count": "verified and opened", "value": result.opened},
        {"count": f"written to the sink ({sink.adapter.format_name})", "value": result.written},
        {"count": "already in the sink (redelivered after a crash)", "value": result.already_in_sink},
        {"count": "acknowledged", "value": result.acknowledged},
        {"count": "refused (signed REFUSED acknowledgement)", "value": result.refused_acknowledged},
        {"count": "not opened", "value": len(result.refused)},
        {"count": "revocation notices", "value": result.notices},
        {"count": "records deleted or blocked after a withdrawal", "value": result.deleted},
        *({"count": f"from {k}", "value": v} for k, v in sorted(result.from_members.items())),
    ]
    await acreate_table_artifact(
        key=artifact_key("inbound-sync", result.member_id, "counts"),
        table=counts,
        description=f"Inbound sync of {result.member_id} into {result.sink}",
    )
    if result.refused:
        await acreate_markdown_artifact(
            key=artifact_key("inbound-sync", result.member_id, "rejects"),
            markdown="## Deliveries not opened\n\n"
            + markdown_table(("cursor", "reason", "detail"), result.refused),
            description=f"Deliveries {result.member_id} refused, each with its reason",
        )
