"""Builds the audit entries the hub writes: one vocabulary, one place.

Entries hold identifiers, decisions and sizes only; never payload bytes or
personal data (the subject pseudonym stays out of the log as well).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final

from hub.core.audit_entry import AuditEntry
from hub.core.requests import RequestRecord, state_name
from hub.identity.caller import HUB_CALLER, Caller
from hub.store.base import DatePurge
from pxhub.v1 import envelope_pb2

PURPOSE_NAMES = {v: k.removeprefix("PURPOSE_") for k, v in envelope_pb2.Purpose.items()}
CONSENT = envelope_pb2.LEGAL_BASIS_CONSENT
BASIS_NAMES = {v: k.removeprefix("LEGAL_BASIS_") for k, v in envelope_pb2.LegalBasis.items()}
KIND_NAMES = {v: k.removeprefix("PAYLOAD_KIND_") for k, v in envelope_pb2.PayloadKind.items()}


def reason_name(reason: int) -> str:
    return envelope_pb2.Reason.Name(reason).removeprefix("REASON_") if reason else ""  # type: ignore[arg-type]


def submit_permit(
    caller: Caller,
    now: datetime,
    *,
    message_id: str,
    metadata: envelope_pb2.RecordMetadata | None = None,
    size: int = 0,
    request: RequestRecord | None = None,
) -> bytes:
    """The entry of one accepted submission; a REQUEST or RESPONSE names its request.

    Refused submissions of a call share one ``refused_items`` entry instead."""
    details: dict[str, str | int] = {"size": size}
    if metadata is not None:
        details["kind"] = KIND_NAMES.get(metadata.payload_kind, str(metadata.payload_kind))
        details["purpose"] = PURPOSE_NAMES.get(metadata.purpose, str(metadata.purpose))
        details["recipients"] = ",".join(r.member_id for r in metadata.recipients)
        details["classification"] = envelope_pb2.Classification.Name(
            metadata.handling.classification
        ).removeprefix("CLASSIFICATION_")
        details["legal_basis"] = BASIS_NAMES.get(metadata.legal_basis, str(metadata.legal_basis))
        if metadata.originating_record_id and metadata.payload_kind in LIVING_KINDS:
            # A living record's chain, so auditors see every version and how long each state lasted.
            details["version"] = metadata.record_version
            details["supersedes"] = metadata.supersedes_message_id
            details["state"] = metadata.record_state
    consent = metadata.consent_ref if metadata is not None and metadata.legal_basis == CONSENT else ""
    objects: tuple[str, ...] = (f"message:{message_id}",) if message_id else ()
    if metadata is not None and "version" in details and metadata.originating_record_id:
        objects += (f"record:{metadata.originating_record_id}",)
    if request is not None:
        objects += (f"request:{request.message_id}",)
        details["request_state"] = state_name(request.state)
        details["deadline"] = request.deadline.isoformat()
    return AuditEntry(
        time=now,
        actor_kind=caller.role,
        actor_id=caller.id,
        officer_pseudonym=metadata.sender.officer_pseudonym if metadata is not None else "",
        action="submit",
        object_ids=objects + ((f"consent:{consent}",) if consent else ()),
        outcome="permit",
        reason="",
        details=details,
    ).encode()


#: Record kinds whose versions the log links by their record handle (none of them is personal data).
LIVING_KINDS: Final = frozenset(
    {
        envelope_pb2.PAYLOAD_KIND_INTEGRITY_AUDIT,
        envelope_pb2.PAYLOAD_KIND_ETHICS_TRAINING,
        envelope_pb2.PAYLOAD_KIND_BEST_PRACTICE,
    }
)

#: Item ids an aggregated entry (refusals, redeliveries) names in clear; every id is in its digest.
ITEM_IDS_NAMED = 16
#: Longest ``by_reason`` text (an entry's detail texts are at most 1,024 characters).
BY_REASON_TEXT = 1_000


def items_digest(item_ids: Sequence[str]) -> str:
    """SHA-256 (hex) of the items' ids in request order, one per line (empty if unknown).

    A member that keeps its receipts can show which of its items one aggregated entry covers.
    """
    return hashlib.sha256("\n".join(item_ids).encode()).hexdigest()


def refused_items(
    caller: Caller,
    now: datetime,
    action: str,
    refusals: Sequence[tuple[str, int]],
    *,
    kind: str = "message",
    size: int = 0,
) -> bytes:
    """One ``deny`` entry for every item of one call that was refused: (item id, reason) pairs.

    A call of 20,000 garbage items adds one entry, not 20,000: the entry counts the items per
    reason, names the first ``ITEM_IDS_NAMED`` ids and holds a digest of them all, so a
    caller's share of log growth is bounded by its call quota (docs/security.md). ``reason`` is
    the most frequent reason; ``by_reason`` lists every one with its count.
    """
    counts = Counter(reason_name(reason) or "UNSPECIFIED" for _, reason in refusals)
    ranked = _ranked(counts)
    details: dict[str, str | int] = {
        "items": len(refusals),
        "by_reason": _counts_text(ranked),
        "items_sha256": items_digest([item_id for item_id, _ in refusals]),
    }
    if size:
        details["size"] = size
    return AuditEntry(
        time=now,
        actor_kind=caller.role,
        actor_id=caller.id,
        officer_pseudonym="",
        action=action,
        object_ids=tuple(f"{kind}:{item_id}" for item_id in _first_named(item_id for item_id, _ in refusals)),
        outcome="deny",
        reason=ranked[0][0] if ranked else "UNSPECIFIED",
        details=details,
    ).encode()


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Counts, most frequent first (ties by name)."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _counts_text(ranked: Sequence[tuple[str, int]]) -> str:
    """``NAME=count,...`` within ``BY_REASON_TEXT`` characters; what does not fit is ``OTHER=<rest>``."""
    listed: list[str] = []
    for index, (name, count) in enumerate(ranked):
        part = f"{name}={count}"
        if len(",".join([*listed, part])) > BY_REASON_TEXT - 24:  # room for OTHER=<rest>
            listed.append(f"OTHER={sum(c for _, c in ranked[index:])}")
            break
        listed.append(part)
    return ",".join(listed)


def _first_named(item_ids: Iterable[str]) -> list[str]:
    """The first ``ITEM_IDS_NAMED`` distinct non-empty ids, in order."""
    named: list[str] = []
    for item_id in item_ids:
        if item_id and item_id not in named:
            named.append(item_id)
            if len(named) == ITEM_IDS_NAMED:
                break
    return named


def date_purge(now: datetime, purged: Sequence[DatePurge]) -> bytes:
    """The one ``purge`` entry of a retention run: ciphertexts dropped at their review-or-delete
    date before every recipient acknowledged them.

    Counts per sender and per recipient that never acknowledged, the first ``ITEM_IDS_NAMED``
    message ids and a digest of them all (in the run's order): hashes and counts, never a payload.
    """
    ids = [p.message_id for p in purged]
    return AuditEntry(
        time=now,
        actor_kind=HUB_CALLER.role,
        actor_id=HUB_CALLER.id,
        officer_pseudonym="",
        action="purge",
        object_ids=tuple(f"message:{m}" for m in _first_named(ids)),
        outcome="ok",
        reason="",
        details={
            "trigger": "review_or_delete_at",
            "items": len(purged),
            "by_sender": _counts_text(_ranked(Counter(p.sender for p in purged))),
            "by_recipient": _counts_text(_ranked(Counter(r for p in purged for r in p.unacknowledged))),
            "items_sha256": items_digest(ids),
        },
    ).encode()


def redeliveries(caller: Caller, now: datetime, message_ids: Sequence[str]) -> bytes:
    """One ``deliver`` entry for the messages of one Fetch handed over again (not acknowledged yet)."""
    return AuditEntry(
        time=now,
        actor_kind=caller.role,
        actor_id=caller.id,
        officer_pseudonym="",
        action="deliver",
        object_ids=tuple(f"message:{m}" for m in message_ids[:ITEM_IDS_NAMED]),
        outcome="ok",
        reason="",
        details={
            "recipient": caller.id,
            "redeliveries": len(message_ids),
            "items_sha256": items_digest(message_ids),
        },
    ).encode()


def rate_limited_calls(caller: Caller, since: datetime, until: datetime, by_method: dict[str, int]) -> bytes:
    """One ``auth.refuse`` entry counting a caller's rate-limit refusals from ``since`` to ``until``."""
    count = sum(by_method.values())
    return simple(
        caller,
        until,
        "auth.refuse",
        "deny",
        reason=envelope_pb2.REASON_RATE_LIMITED,
        details={
            "items": count,
            "by_reason": f"RATE_LIMITED={count}",
            "by_method": ",".join(f"{m}={n}" for m, n in by_method.items())[:BY_REASON_TEXT],
            "since": since.isoformat(),
        },
    )


def simple(
    caller: Caller,
    now: datetime,
    action: str,
    outcome: str,
    *,
    object_ids: tuple[str, ...] = (),
    reason: int = 0,
    details: dict[str, str | int] | None = None,
    officer_pseudonym: str = "",
) -> bytes:
    return AuditEntry(
        time=now,
        actor_kind=caller.role,
        actor_id=caller.id,
        officer_pseudonym=officer_pseudonym,
        action=action,
        object_ids=object_ids,
        outcome=outcome,
        reason=reason_name(reason),
        details=details or {},
    ).encode()
