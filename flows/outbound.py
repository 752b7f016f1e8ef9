"""outbound-sync: a national export, through the member's adapter, sealed and submitted in batches.

Thin over the adapters and the SDK. The export is parsed as a stream (constant memory, one batch
at a time); each row's issues become a rejects table (national field, reason, message), withheld
rows are counted, id-check warnings are carried. Each profile is projected to the layers its purpose
permits (policy) and sealed separately to each recipient: the recipients given, or else the partners
the policy gives the member for organised-crime cooperation under a bilateral agreement. Message
ids are derived (keyed by a member secret) from (member, national inmate number, export cut-off,
recipient set) and every
sealed envelope is kept in the member's outbox before it is sent (``flows.common.Outbox``), so
re-running the same export sends nothing twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from adapters.contract import ParsedRow
from adapters.registry import get_adapter
from flows.common import (
    DEFAULT_FEDERATION_DIR,
    DEFAULT_STATE_DIR,
    DEFAULT_TARGET,
    FINAL_OUTCOMES,
    Outbox,
    artifact_key,
    batched,
    connect,
    markdown_table,
    member_state_dir,
    message_id_for,
    message_id_key,
    record_handle_for,
    record_receipts,
)
from flows.plans import PARTNERS, SECURITY, instruments, record_metadata
from flows.retry import TRANSIENT_RETRY
from hub.core.members import MEMBER_IDS
from hub.runtime.clock import edge_clock
from hub.sdk import MemberClient
from pxhub.v1 import envelope_pb2, inmate_profile_pb2, record_pb2

E = envelope_pb2
Outcome = E.Receipt.Outcome
DEFAULT_BATCH: Final = 256
MAX_REJECT_ROWS: Final = 200  # rows shown in the artifact; the counts cover all of them


@dataclass
class OutboundSyncResult:
    member_id: str
    source: str
    rows: int = 0
    withheld: int = 0
    warnings: int = 0
    id_warnings: int = 0
    sealed: int = 0
    accepted: int = 0
    duplicates: int = 0
    already_sent: int = 0
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (message id, reason, detail)
    row_issues: list[tuple[int, str, str, str, str]] = field(default_factory=list)  # row, sev, field, ...
    sent_to: dict[str, int] = field(default_factory=dict)


def profile_metadata(
    member_id: str, message_id: str, recipient: str, record_handle: str
) -> envelope_pb2.RecordMetadata:
    """The header of a profile to one partner; the record is named by its opaque handle only."""
    cited = (*instruments(member_id, recipient, *SECURITY), "UNTOC art. 27")
    metadata = record_metadata(member_id, message_id, *SECURITY, E.CLASSIFICATION_RESTRICTED, cited)
    metadata.originating_record_id = record_handle
    return metadata


def export_version(profile: inmate_profile_pb2.InmateSecurityProfile) -> str:
    """The record's version: the export cut-off it was read at (a later export is a new version)."""
    return profile.as_of.ToJsonString() if profile.HasField("as_of") else "0"


async def seal_and_submit(
    client: MemberClient,
    outbox: Outbox,
    profiles: list[inmate_profile_pb2.InmateSecurityProfile],
    recipients: tuple[str, ...],
    id_key: bytes,
) -> OutboundSyncResult:
    """Seal (or take from the outbox) each profile for each recipient, submit, record the receipts."""
    member = client.member_id
    result = OutboundSyncResult(member, "")
    to_send: list[tuple[str, str, bytes]] = []  # (message id, recipient, envelope bytes)
    fresh: list[tuple[str, bytes, tuple[str, ...]]] = []
    for profile in profiles:
        projected = client.project(record_pb2.Record(inmate_security_profile=profile), SECURITY[0])
        for recipient in recipients:
            message_id = message_id_for(
                id_key, member, "profile", profile.custodian_subject_id, export_version(profile), (recipient,)
            )
            outcome, stored = outbox.outcome(message_id)
            if outcome in FINAL_OUTCOMES:
                result.already_sent += 1
                continue
            if stored is None:
                handle = record_handle_for(id_key, profile.custodian_subject_id)
                metadata = profile_metadata(member, message_id, recipient, handle)
                stored = client.seal(projected, metadata, (recipient,)).SerializeToString()
                fresh.append((message_id, stored, (recipient,)))
                result.sealed += 1
            to_send.append((message_id, recipient, stored))
    kept = outbox.keep(fresh)  # durable before it leaves: a resend is the same bytes (DUPLICATE)
    to_send = [(m, r, kept.get(m, e)) for m, r, e in to_send]  # another run's seal may have won
    if not to_send:
        return result
    receipts = await client.submit([E.Envelope.FromString(e) for _, _, e in to_send], batch_size=len(to_send))
    tally = record_receipts(outbox, [(m, (r,)) for m, r, _ in to_send], receipts)
    result.accepted, result.duplicates = tally.accepted, tally.duplicates
    result.rejected, result.sent_to = tally.rejected, tally.sent_to
    return result


# The tasks are wrapped rather than decorated so that their functions stay importable by name
# (``flows.outbound.seal_and_submit``, ``run_shard``): a Dask worker then unpickles them by reference.
# Pickled by value they would drag module globals along, and protobuf enum wrappers cannot be pickled.
seal_and_submit_batch = task(name="seal-and-submit-batch", **TRANSIENT_RETRY)(seal_and_submit)


def merge(total: OutboundSyncResult, batch: OutboundSyncResult) -> None:
    total.sealed += batch.sealed
    total.accepted += batch.accepted
    total.duplicates += batch.duplicates
    total.already_sent += batch.already_sent
    total.rejected.extend(batch.rejected)
    sent = Counter(total.sent_to)
    sent.update(batch.sent_to)
    total.sent_to = dict(sent)


def _note_issues(row: ParsedRow, result: OutboundSyncResult) -> None:
    for issue in row.issues:
        if issue.severity == "warning":
            result.warnings += 1
            if issue.reason_code.startswith("ID_"):
                result.id_warnings += 1
        if len(result.row_issues) < MAX_REJECT_ROWS:
            result.row_issues.append(
                (row.row_number, issue.severity, issue.field, issue.reason_code, issue.message)
            )


def recipients_for(member_id: str, recipients: list[str] | None) -> tuple[str, ...]:
    chosen = tuple(recipients) if recipients else PARTNERS[member_id]
    unknown = [r for r in chosen if r not in MEMBER_IDS or r == member_id]
    if unknown:
        raise ValueError(f"not a recipient for {member_id}: {', '.join(unknown)}")
    return chosen


def export_records(
    source: str, member: str, result: OutboundSyncResult, shard: int = 0, shards: int = 1
) -> Iterator[inmate_profile_pb2.InmateSecurityProfile]:
    """Stream the export through the adapter; count rows and issues (of this shard's rows only)."""
    adapter = get_adapter(member)
    with Path(source).open("rb") as stream:
        for row in adapter.parse(stream):
            if row.row_number % shards != shard:
                continue
            _note_issues(row, result)
            if row.row_number == 0:
                continue
            result.rows += 1
            if row.record is None:
                result.withheld += 1
                continue
            yield row.record


async def run_shard(
    member: str,
    source: str,
    target: str,
    federation_dir: str,
    recipients: tuple[str, ...],
    batch_size: int,
    state_dir: str,
    shard: int,
    shards: int,
) -> OutboundSyncResult:
    """Rows ``row_number % shards == shard`` of the export, with its own connection and outbox handle.

    Only plain parameters cross the task boundary, so a DaskTaskRunner can run the shards on other
    processes or machines (each reads the export and the member's keys from its own disk).
    """
    result = OutboundSyncResult(member, source)
    id_key = message_id_key(state_dir, member)
    outbox = Outbox(member_state_dir(state_dir, member) / "outbox.sqlite")
    client = await connect(member, target, federation_dir)
    try:
        for batch in batched(export_records(source, member, result, shard, shards), batch_size):
            merge(result, await seal_and_submit(client, outbox, batch, recipients, id_key))
    finally:
        await client.close()
        outbox.close()
    return result


sync_shard = task(name="sync-shard", **TRANSIENT_RETRY)(run_shard)


@flow(name="outbound-sync", log_prints=False)
async def outbound_sync(
    member: str,
    source: str,
    target: str = DEFAULT_TARGET,
    federation_dir: str = DEFAULT_FEDERATION_DIR,
    recipients: list[str] | None = None,
    batch_size: int = DEFAULT_BATCH,
    state_dir: str = DEFAULT_STATE_DIR,
    shards: int = 1,
) -> OutboundSyncResult:
    """Read a national export through the member's adapter, validate, seal, submit in batches.

    ``shards`` > 1 splits the rows into that many ``sync-shard`` tasks run by the flow's task
    runner (threads by default; a DaskTaskRunner spreads them over a Dask cluster: README).
    """
    logger = get_run_logger()
    chosen = recipients_for(member, recipients)
    result = OutboundSyncResult(member, source)
    if shards > 1:
        message_id_key(state_dir, member)  # created once here, before the shards read it
        args = (member, source, target, federation_dir, chosen, batch_size, state_dir)
        futures = [sync_shard.submit(*args, shard, shards) for shard in range(shards)]
        for future in futures:
            part = cast(OutboundSyncResult, await asyncio.to_thread(future.result))
            result.rows += part.rows
            result.withheld += part.withheld
            result.warnings += part.warnings
            result.id_warnings += part.id_warnings
            result.row_issues.extend(part.row_issues[: MAX_REJECT_ROWS - len(result.row_issues)])
            merge(result, part)
        result.row_issues.sort()
    else:
        id_key = message_id_key(state_dir, member)
        outbox = Outbox(member_state_dir(state_dir, member) / "outbox.sqlite")
        client = await connect(member, target, federation_dir)
        try:
            for number, batch in enumerate(batched(export_records(source, member, result), batch_size), 1):
                merge(result, await seal_and_submit_batch(client, outbox, batch, chosen, id_key))
                logger.info(
                    "outbound %s batch %d: %d rows read, %d accepted, %d duplicates so far",
                    member,
                    number,
                    result.rows,
                    result.accepted,
                    result.duplicates,
                )
        finally:
            await client.close()
            outbox.close()
    logger.info(
        "outbound %s from %s: %d rows, %d withheld, %d accepted, %d duplicates, %d already sent, %d rejected",
        member,
        source,
        result.rows,
        result.withheld,
        result.accepted,
        result.duplicates,
        result.already_sent,
        len(result.rejected),
    )
    await publish_outbound_artifacts(result)
    return result


async def publish_outbound_artifacts(result: OutboundSyncResult) -> None:
    counts = [
        {"count": "rows read", "value": result.rows},
        {"count": "rows withheld (required field unusable)", "value": result.withheld},
        {"count": "row warnings", "value": result.warnings},
        {"count": "of which national id checks", "value": result.id_warnings},
        {"count": "envelopes sealed this run", "value": result.sealed},
        {"count": "accepted", "value": result.accepted},
        {"count": "duplicates (resent, already held by the hub)", "value": result.duplicates},
        {"count": "already sent by an earlier run (skipped)", "value": result.already_sent},
        {"count": "rejected by the hub", "value": len(result.rejected)},
        *({"count": f"accepted for {k}", "value": v} for k, v in sorted(result.sent_to.items())),
    ]
    await acreate_table_artifact(
        key=artifact_key("outbound-sync", result.member_id, "counts"),
        table=counts,
        description=f"Outbound sync of {result.member_id} from {result.source} "
        f"({edge_clock():%Y-%m-%d %H:%M} UTC)",
    )
    rejects = markdown_table(
        ("row", "severity", "field", "reason", "message"),
        result.row_issues,
    )
    hub_rejects = markdown_table(("message id", "reason", "detail"), result.rejected)
    await acreate_markdown_artifact(
        key=artifact_key("outbound-sync", result.member_id, "rejects"),
        markdown=f"## Rows of {Path(result.source).name} with issues\n\n{rejects}\n\n"
        f"## Refused by the hub\n\n{hub_rejects}\n",
        description=f"Rejects of the outbound sync of {result.member_id}, each with its reason",
    )
