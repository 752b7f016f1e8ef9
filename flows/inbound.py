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

from collections import ChainMap, Counter
from collections.abc import Mapping, Sequence
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
from flows.progress import report
from flows.retry import TRANSIENT_RETRY
from flows.sink import HeldVersion, NationalSink, held_versions
from flows.withdrawals import delete_and_attest
from hub.core.envelope import EnvelopeError, VerifiedEnvelope
from hub.core.findings import LifecycleRules, check_new_version
from hub.sdk import MemberClient, OpenedDelivery
from hub.sdk.policy_consent import RecipientGuardError
from pxhub.v1 import consent_pb2, envelope_pb2, exchange_pb2

E = envelope_pb2

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


class ChainError(EnvelopeError):
    """A new version the receiver refuses: it supersedes nothing it holds, or breaks the lifecycle."""

    def __init__(self, error: EnvelopeError, verified: VerifiedEnvelope) -> None:
        super().__init__(error.reason, error.detail)
        self.verified = verified


def held_version(item: OpenedDelivery) -> HeldVersion:
    metadata = item.verified.metadata
    return HeldVersion(
        item.message_id, item.sender, metadata.record_version, metadata.supersedes_message_id, item.record
    )


def check_chain(item: OpenedDelivery, held: Mapping[str, HeldVersion], rules: LifecycleRules) -> None:
    """A new version must supersede a version this member holds from the same sender, of the same
    record, one number before it; an integrity audit's findings must follow the lifecycle.

    Raises ``ChainError`` (refused with a signed REFUSED receipt; nothing is written).
    """
    metadata = item.verified.metadata
    previous = held.get(metadata.supersedes_message_id)
    try:
        if previous is None or previous.sender != item.sender:
            raise EnvelopeError(
                E.REASON_SUPERSEDES_UNKNOWN,
                f"version {metadata.record_version} supersedes {metadata.supersedes_message_id}, which "
                f"{item.sender} never sent to this member",
            )
        if previous.version != metadata.supersedes_version or (
            previous.record.WhichOneof("kind") != item.record.WhichOneof("kind")
        ):
            raise EnvelopeError(
                E.REASON_SUPERSEDES_UNKNOWN,
                f"supersedes {metadata.supersedes_message_id} as version {metadata.supersedes_version}, "
                f"but that message is version {previous.version} of a {previous.record.WhichOneof('kind')}",
            )
        if item.record.HasField("integrity_audit"):
            check_new_version(previous.record.integrity_audit, item.record.integrity_audit, rules)
    except EnvelopeError as error:
        raise ChainError(error, item.verified) from None


def after_durable_write(sink: NationalSink) -> None:
    """Called between the durable write and the acknowledgement (a seam for crash tests)."""


async def open_batch(
    client: MemberClient,
    sink: NationalSink,
    deliveries: Sequence[exchange_pb2.Delivery],
    result: InboundSyncResult,
) -> tuple[list[OpenedDelivery], list[exchange_pb2.Acknowledgement], Counter[str]]:
    """Verify and open each delivery, and check each new version's chain; note every refusal.

    Returns what opened, the signed REFUSED receipts to send, and the deliveries per sender.
    """
    opened: list[OpenedDelivery] = []
    refusals: list[exchange_pb2.Acknowledgement] = []
    senders: Counter[str] = Counter()
    in_batch: dict[str, HeldVersion] = {}
    in_sink: dict[str, HeldVersion] | None = None  # read once, at the first new version
    rules = LifecycleRules.from_policy(client.policy.message if client.policy is not None else None)
    for delivery in deliveries:
        try:
            item = await client.open_current(delivery)
            if item.verified.metadata.supersedes_message_id:
                in_sink = held_versions(sink.folder) if in_sink is None else in_sink
                check_chain(item, ChainMap(in_batch, in_sink), rules)
            if not item.record.HasField("inmate_security_profile"):
                in_batch[item.message_id] = held_version(item)  # a later version in this batch may follow it
        except EnvelopeError as error:
            result.refused.append((delivery.cursor, reason_name(error.reason), error.detail))
            if isinstance(error, RecipientGuardError) and error.acknowledgement is not None:
                refusals.append(error.acknowledgement)
            elif isinstance(error, ChainError):
                refusals.append(
                    client.receipt_for(error.verified, refused_reason=error.reason, detail=error.detail)
                )
            continue
        opened.append(item)
        senders[item.sender] += 1
    return opened, refusals, senders


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
    opened, refusals, senders = await open_batch(client, sink, deliveries, result)
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
            report(
                f"inbound-sync {member}",
                description=f"inbound-sync {member}: {total.received} received, "
                f"{total.acknowledged} acknowledged",
                advance=batch.received,
            )
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
