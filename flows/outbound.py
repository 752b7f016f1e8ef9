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
import csv
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from adapters.contract import ParsedRow, file_problem
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
from flows.progress import PROGRESS_ROWS, report
from flows.retry import TRANSIENT_RETRY
from hub.core.members import validate_member_id
from hub.runtime.clock import edge_clock
from hub.runtime.private import private_file
from hub.sdk import MemberClient
from pxhub.v1 import envelope_pb2, inmate_profile_pb2, record_pb2

E = envelope_pb2
Outcome = E.Receipt.Outcome
DEFAULT_BATCH: Final = 256
MAX_REJECT_ROWS: Final = 200  # rows shown in the artifact; the counts and the issues file cover all
#: The share of an export's rows that may be withheld before the run fails: beyond it the export
#: itself is wrong (a changed format, a broken extract), not a few of its rows.
DEFAULT_MAX_WITHHELD_SHARE: Final = 0.25
#: Environment variable that sets the share for every run that does not pass one.
ENV_MAX_WITHHELD_SHARE: Final = "PXHUB_MAX_WITHHELD_SHARE"
#: Every issue of the last run's export, one CSV line each, in the member's state folder.
ISSUES_FILE: Final = "outbound-issues.csv"
_ISSUE_COLUMNS: Final = ("row", "severity", "field", "reason", "message")


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
    issue_counts: dict[str, int] = field(default_factory=dict)  # reason -> issues, over the whole file
    unreadable: str = ""  # why no row of the file could be read (binary, a header without a required column)
    issues_file: str = ""  # every issue of the export, as CSV


class ExportRejected(Exception):
    """The export was unreadable, or more of its rows were withheld than the run allows.

    Carries the run's result, so that the command can still show what was read and sent.
    """

    def __init__(self, message: str, result: OutboundSyncResult) -> None:
        super().__init__(message)
        self.result = result


def withheld_share_allowed(given: float | None) -> float:
    """The share passed, else ``PXHUB_MAX_WITHHELD_SHARE``, else ``DEFAULT_MAX_WITHHELD_SHARE``."""
    raw = given if given is not None else os.environ.get(ENV_MAX_WITHHELD_SHARE)
    if raw is None:
        return DEFAULT_MAX_WITHHELD_SHARE
    try:
        share = float(raw)
    except ValueError:
        raise ValueError(f"{ENV_MAX_WITHHELD_SHARE}={raw!r}: not a number from 0 to 1") from None
    if not 0.0 <= share <= 1.0:
        source = "max_withheld_share" if given is not None else ENV_MAX_WITHHELD_SHARE
        raise ValueError(f"{source}={raw!r}: the share of withheld rows must be from 0 to 1")
    return share


def rejection(result: OutboundSyncResult, share: float) -> str:
    """Why the run must fail (empty if it need not): nothing readable, or too many rows withheld."""
    if result.unreadable:
        return f"{result.source}: {result.unreadable}"
    if result.rows == 0:
        return f"{result.source}: no rows"
    if result.withheld == result.rows:
        return f"{result.source}: every row ({result.rows}) was withheld"
    if result.withheld > share * result.rows:
        return (
            f"{result.source}: {result.withheld} of {result.rows} rows withheld "
            f"({result.withheld / result.rows:.0%}, more than the {share:.0%} allowed)"
        )
    return ""


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


def _note_issues(row: ParsedRow, result: OutboundSyncResult, log: Any) -> None:
    problem = file_problem(row)
    if problem is not None:
        result.unreadable = f"{problem.reason_code}: {problem.message}"
    counts = result.issue_counts
    for issue in row.issues:
        if issue.severity == "warning":
            result.warnings += 1
            if issue.reason_code.startswith("ID_"):
                result.id_warnings += 1
        line = (row.row_number, issue.severity, issue.field, str(issue.reason_code), issue.message)
        counts[line[3]] = counts.get(line[3], 0) + 1
        log.writerow(line)
        if len(result.row_issues) < MAX_REJECT_ROWS:
            result.row_issues.append(line)


def recipients_for(member_id: str, recipients: list[str] | None) -> tuple[str, ...]:
    """The recipients asked for, or the member's policy partners; whether each is a member with a
    current key is the signed directory's word, checked when sealing."""
    chosen = tuple(recipients) if recipients else PARTNERS.get(member_id, ())
    for recipient in chosen:
        validate_member_id(recipient)
    unknown = [r for r in chosen if r == member_id]
    if unknown:
        raise ValueError(f"not a recipient for {member_id}: {', '.join(unknown)}")
    return chosen


def issues_path(state_dir: str, member: str, shard: int = 0, shards: int = 1) -> Path:
    """Where a run writes its export's issues (a shard its own part, joined by the flow)."""
    name = ISSUES_FILE if shards == 1 else f"{ISSUES_FILE}.{shard}-of-{shards}"
    return member_state_dir(state_dir, member) / name


def export_records(
    source: str,
    member: str,
    result: OutboundSyncResult,
    issues: Path,
    shard: int = 0,
    shards: int = 1,
) -> Iterator[inmate_profile_pb2.InmateSecurityProfile]:
    """Stream the export through the adapter; count rows and issues (of this shard's rows only).

    Every issue goes to ``issues`` (CSV, written whole or not at all); the bytes read are reported
    as progress against the file's size.
    """
    adapter = get_adapter(member)
    bar = f"outbound-sync {member}" + (f" shard {shard + 1}/{shards}" if shards > 1 else "")
    size = Path(source).stat().st_size
    with Path(source).open("rb") as stream, _issue_log(issues) as log:
        report(bar, description=f"{bar}: read, seal, submit", total=size, completed=0)
        for row in adapter.parse(stream):
            if row.row_number % shards != shard:
                continue
            _note_issues(row, result, log)
            if row.row_number == 0:
                continue
            result.rows += 1
            if row.row_number % PROGRESS_ROWS == 0:
                report(bar, completed=stream.tell())
            if row.record is None:
                result.withheld += 1
                continue
            yield row.record
        report(bar, completed=size)
    result.issues_file = str(issues)


@contextmanager
def _issue_log(path: Path) -> Iterator[Any]:
    """A CSV writer of issues into ``path``, replaced only once the export was read to its end."""
    part = path.with_name(f"{path.name}.part")
    with private_file(part).open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(_ISSUE_COLUMNS)
        yield writer
        stream.flush()
        os.fsync(stream.fileno())
    part.replace(path)


def join_issue_files(parts: list[Path], path: Path) -> None:
    """The shards' issue files as one, header once."""
    part = path.with_name(f"{path.name}.part")
    with private_file(part).open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(_ISSUE_COLUMNS) + "\r\n")
        for piece in parts:
            with piece.open(encoding="utf-8", newline="") as stream:
                next(stream, None)
                out.writelines(stream)
            piece.unlink()
    part.replace(path)


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
    issues = issues_path(state_dir, member, shard, shards)
    try:
        for batch in batched(export_records(source, member, result, issues, shard, shards), batch_size):
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
    max_withheld_share: float | None = None,
) -> OutboundSyncResult:
    """Read a national export through the member's adapter, validate, seal, submit in batches.

    ``shards`` > 1 splits the rows into that many ``sync-shard`` tasks run by the flow's task
    runner (threads by default; a DaskTaskRunner spreads them over a Dask cluster: README).
    The run fails (``ExportRejected``, after the rows that could be read were sent) when no row
    could be read, or more than ``max_withheld_share`` of them were withheld (default:
    ``PXHUB_MAX_WITHHELD_SHARE``, else 0.25); every issue is in ``outbound-issues.csv`` beside
    the outbox.
    """
    logger = get_run_logger()
    share = withheld_share_allowed(max_withheld_share)
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
            result.unreadable = result.unreadable or part.unreadable
            counts = Counter(result.issue_counts)
            counts.update(part.issue_counts)
            result.issue_counts = dict(counts)
            merge(result, part)
        result.row_issues.sort()
        result.issues_file = str(issues_path(state_dir, member))
        join_issue_files(
            [issues_path(state_dir, member, k, shards) for k in range(shards)], Path(result.issues_file)
        )
    else:
        id_key = message_id_key(state_dir, member)
        outbox = Outbox(member_state_dir(state_dir, member) / "outbox.sqlite")
        client = await connect(member, target, federation_dir)
        try:
            records = export_records(source, member, result, issues_path(state_dir, member))
            for number, batch in enumerate(batched(records, batch_size), 1):
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
    refused = rejection(result, share)
    if refused:
        logger.error("outbound %s refused: %s (every issue: %s)", member, refused, result.issues_file)
        raise ExportRejected(refused, result)
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
    rejects = markdown_table(_ISSUE_COLUMNS, result.row_issues)
    reasons = markdown_table(("reason", "issues"), sorted(result.issue_counts.items()))
    hub_rejects = markdown_table(("message id", "reason", "detail"), result.rejected)
    await acreate_markdown_artifact(
        key=artifact_key("outbound-sync", result.member_id, "rejects"),
        markdown=f"## Issues of {Path(result.source).name} by reason\n\n{reasons}\n\n"
        f"Every issue: `{result.issues_file}`\n\n"
        f"## Rows of {Path(result.source).name} with issues (the first {MAX_REJECT_ROWS})\n\n{rejects}\n\n"
        f"## Refused by the hub\n\n{hub_rejects}\n",
        description=f"Rejects of the outbound sync of {result.member_id}, each with its reason",
    )
