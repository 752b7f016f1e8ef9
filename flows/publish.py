"""publish-records: a member's integrity audits, ethics training and programme records, to every member.

The records come from a JSON Lines file (``records``) that the member's internal-control and programme systems
export: one ``pxhub.v1.Record`` per line in protobuf's JSON mapping (``python -m
adapters.samples.records MEMBER FILE`` writes a sample). None of them is personal data: each is
sealed to every other member under the purpose its kind is shared for (oversight and audit, or
programme knowledge sharing) with the instrument the policy names, and kept in the member's outbox
before it is sent, so a re-run resends the same bytes (``DUPLICATE``) or nothing. Inmate security
profiles are refused here: they go through ``outbound-sync``, the member's adapter and the
projection their purpose permits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from google.protobuf import json_format
from prefect import flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact

from flows.common import (
    DEFAULT_FEDERATION_DIR,
    DEFAULT_STATE_DIR,
    DEFAULT_TARGET,
    FINAL_OUTCOMES,
    Outbox,
    RecordVersion,
    artifact_key,
    connect,
    markdown_table,
    member_state_dir,
    message_id_for,
    message_id_key,
    reason_name,
    record_handle_for,
    record_receipts,
)
from flows.plans import instruments, record_metadata
from flows.retry import TRANSIENT_RETRY
from hub.core.envelope import EnvelopeError
from hub.core.findings import LifecycleRules, check_new_version, record_state
from hub.sdk import MemberClient
from pxhub.v1 import envelope_pb2, record_pb2

E = envelope_pb2


@dataclass(frozen=True)
class KindRule:
    """How one kind of record is shared: its purpose, legal basis, classification and id."""

    message_kind: str  # the kind's part of the message id
    purpose: envelope_pb2.Purpose.ValueType
    classification: envelope_pb2.Classification.ValueType


#: The record kinds this flow publishes (none of them is personal data).
KIND_RULES: Final[dict[str, KindRule]] = {
    "integrity_audit": KindRule("audit", E.PURPOSE_OVERSIGHT_AND_AUDIT, E.CLASSIFICATION_INTERNAL),
    "ethics_training": KindRule("training", E.PURPOSE_OVERSIGHT_AND_AUDIT, E.CLASSIFICATION_INTERNAL),
    "best_practice": KindRule("practice", E.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING, E.CLASSIFICATION_PUBLIC),
}
BASIS: Final = E.LEGAL_BASIS_NOT_PERSONAL_DATA


def record_id(record: record_pb2.Record) -> str:
    """The id the record carries itself (audit, training or practice id)."""
    if record.HasField("integrity_audit"):
        return record.integrity_audit.audit_id
    if record.HasField("ethics_training"):
        return record.ethics_training.training_id
    if record.HasField("best_practice"):
        return record.best_practice.practice_id
    return ""


@dataclass
class PublishResult:
    member_id: str
    source: str = ""
    read: int = 0
    published: int = 0
    accepted: int = 0
    duplicates: int = 0
    already_sent: int = 0
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (message id, reason, detail)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, what is wrong)
    sent_to: dict[str, int] = field(default_factory=dict)


def read_records(path: Path) -> Iterator[tuple[int, record_pb2.Record | None, str]]:
    """(line number, record, problem) per non-blank line: a record, or None and what is wrong with it."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json_format.Parse(line, record_pb2.Record())
            except (json_format.ParseError, json.JSONDecodeError, UnicodeDecodeError) as error:
                yield number, None, f"not a pxhub.v1.Record in JSON: {str(error)[:200]}"
                continue
            kind = record.WhichOneof("kind")
            if kind is None:
                yield number, None, "the record has no kind set"
            elif kind not in KIND_RULES:
                yield number, None, f"{kind} records are not published here (outbound-sync sends profiles)"
            elif not record_id(record):
                yield number, None, f"the {kind} record has no id"
            else:
                yield number, record, ""


def _next_version(
    outbox: Outbox,
    id_key: bytes,
    member: str,
    rule: KindRule,
    record: record_pb2.Record,
    others: Sequence[str],
    rules: LifecycleRules,
) -> tuple[RecordVersion, RecordVersion | None]:
    """The version this record is (the tip again when unchanged, else the next one) and the tip.

    A changed integrity audit must follow its lifecycle from the tip (``check_new_version``); the
    tip must be accepted by the hub first, which checks the chain from headers. Raises
    ``EnvelopeError`` with the reason, before anything is sealed or kept.
    """
    key = f"{rule.message_kind}:{record_id(record)}"
    content = record.SerializeToString(deterministic=True)
    digest = hashlib.sha256(content).digest()
    tip = outbox.latest_version(key)
    if tip is not None and tip.digest == digest:
        return tip, None
    if tip is not None:
        if outbox.outcome(tip.message_id)[0] not in FINAL_OUTCOMES:
            raise EnvelopeError(
                E.REASON_SUPERSEDES_UNKNOWN,
                f"version {tip.number} of {record_id(record)} is not yet accepted by the hub; "
                "publish the new version after it",
            )
        previous = record_pb2.Record.FromString(tip.record)
        if record.HasField("integrity_audit"):
            check_new_version(previous.integrity_audit, record.integrity_audit, rules)
    number = 1 if tip is None else tip.number + 1
    message_id = message_id_for(id_key, member, rule.message_kind, record_id(record), str(number), others)
    return RecordVersion(number, message_id, digest, content), tip


def _version_header(
    metadata: E.RecordMetadata, id_key: bytes, record: record_pb2.Record, version: RecordVersion,
    tip: RecordVersion | None,
) -> None:  # fmt: skip
    """Number the version, link it to the one it supersedes, name its lifecycle state."""
    metadata.record_version = version.number
    metadata.originating_record_id = record_handle_for(
        id_key, f"{record.WhichOneof('kind')}:{record_id(record)}"
    )
    if tip is not None:
        metadata.type = E.MESSAGE_TYPE_UPDATE
        metadata.supersedes_message_id = tip.message_id
        metadata.supersedes_version = tip.number
    if record.HasField("integrity_audit"):
        metadata.record_state = record_state(record.integrity_audit).value


async def publish(
    client: MemberClient, outbox: Outbox, id_key: bytes, records: Sequence[record_pb2.Record]
) -> PublishResult:
    """Seal (or take from the outbox) each record for every other member, submit, record the receipts.

    A record whose content changed since its last version goes as the next version (an UPDATE
    naming the one it supersedes), to the same members; one that breaks its lifecycle is refused
    here (``rejected``) and nothing of it is kept.
    """
    member = client.member_id
    others = tuple(
        m.member_id
        for m in client.directory.national_members()
        if m.status == "active" and m.member_id != member
    )
    policy = client.policy or await client.refresh_policy()
    rules = LifecycleRules.from_policy(policy.message if policy is not None else None)
    result = PublishResult(member)
    to_send: list[tuple[str, bytes]] = []
    for record in records:
        rule = KIND_RULES[str(record.WhichOneof("kind"))]
        result.published += 1
        try:
            version, tip = _next_version(outbox, id_key, member, rule, record, others, rules)
        except EnvelopeError as error:
            result.rejected.append((record_id(record), reason_name(error.reason), error.detail))
            continue
        message_id = version.message_id
        outcome, stored = outbox.outcome(message_id)
        if outcome in FINAL_OUTCOMES:
            result.already_sent += 1
            continue
        if stored is None:
            cited = instruments(member, others[0], rule.purpose, BASIS)
            metadata = record_metadata(member, message_id, rule.purpose, BASIS, rule.classification, cited)
            _version_header(metadata, id_key, record, version, tip)
            sealed = client.seal(record, metadata, others)
            stored = outbox.keep([(message_id, sealed.SerializeToString(), others)])[message_id]
            outbox.keep_version(f"{rule.message_kind}:{record_id(record)}", version)
        to_send.append((message_id, stored))
    if not to_send:
        return result
    receipts = await client.submit([E.Envelope.FromString(e) for _, e in to_send])
    tally = record_receipts(outbox, [(m, others) for m, _ in to_send], receipts)
    result.accepted, result.duplicates = tally.accepted, tally.duplicates
    result.rejected.extend(tally.rejected)
    result.sent_to = tally.sent_to
    return result


publish_batch = task(name="publish-batch", **TRANSIENT_RETRY)(publish)


@flow(name="publish-records", log_prints=False)
async def publish_records(
    member: str,
    records: str,
    target: str = DEFAULT_TARGET,
    federation_dir: str = DEFAULT_FEDERATION_DIR,
    state_dir: str = DEFAULT_STATE_DIR,
) -> PublishResult:
    """Publish the audits, training and programme records of a JSON Lines file to every other member."""
    logger = get_run_logger()
    found = list(read_records(Path(records)))
    publishable = [record for _, record, _ in found if record is not None]
    outbox = Outbox(member_state_dir(state_dir, member) / "outbox.sqlite")
    client = await connect(member, target, federation_dir)
    try:
        result = await publish_batch(client, outbox, message_id_key(state_dir, member), publishable)
    finally:
        await client.close()
        outbox.close()
    result.source = records
    result.read = len(found)
    result.problems = [(number, problem) for number, record, problem in found if record is None]
    logger.info(
        "publish %s from %s: %d records read, %d not publishable, %d accepted, %d duplicates, "
        "%d already sent, %d rejected",
        member,
        records,
        result.read,
        len(result.problems),
        result.accepted,
        result.duplicates,
        result.already_sent,
        len(result.rejected),
    )
    await acreate_markdown_artifact(
        key=artifact_key("publish-records", member),
        markdown=f"## Records of {Path(records).name} published by {member}\n\n"
        f"{result.read} read, {result.accepted} accepted, {result.duplicates} duplicate(s), "
        f"{result.already_sent} already sent by an earlier run.\n\n"
        f"### Lines not published\n\n{markdown_table(('line', 'problem'), result.problems)}\n\n"
        f"### Refused by the hub\n\n{markdown_table(('message id', 'reason', 'detail'), result.rejected)}\n",
        description=f"Audits, training and programmes published by {member}, with every refusal",
    )
    return result
