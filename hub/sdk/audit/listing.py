"""Audit entries as listing rows, and the filters the hub's index does not hold (purpose, reason).

``ListEntries`` filters at the store by member, actor, action, message, object and time (indexed
at append); an entry's purpose (``details.purpose``) and refusal reason are not indexed, so they
are matched here, over the entries the hub streams after its own filters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.core.audit_entry import refused_counts

__all__ = ["EntryFilter", "entry_row", "instant_text"]


def instant_text(value: datetime) -> str:
    """An instant in the entries' own time format, so that text order is time order."""
    t = value.astimezone(UTC)
    return f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}Z"


def entry_row(index: int, entry: bytes) -> dict[str, Any]:
    """One entry as a row: its index and members (an unreadable entry keeps its bytes as text)."""
    try:
        fields = json.loads(entry)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        return {"index": index, "unreadable": entry.decode("utf-8", "replace")}
    details = fields.get("details") if isinstance(fields.get("details"), dict) else {}
    return {
        "index": index,
        "time": fields.get("time", ""),
        "actor_kind": fields.get("actor_kind", ""),
        "actor_id": fields.get("actor_id", ""),
        "action": fields.get("action", ""),
        "outcome": fields.get("outcome", ""),
        "reason": fields.get("reason", ""),
        "purpose": details.get("purpose", "") if isinstance(details, dict) else "",
        "object_ids": fields.get("object_ids", []),
        "details": details,
    }


@dataclass(frozen=True)
class EntryFilter:
    """What the hub does not filter: purpose and reason names without prefix, an outcome."""

    purpose: str = ""
    reason: str = ""
    outcome: str = ""

    def matches(self, row: dict[str, Any]) -> bool:
        if "unreadable" in row:
            return not (self.purpose or self.reason or self.outcome)
        if self.purpose and row["purpose"] != self.purpose:
            return False
        if self.outcome and row["outcome"] != self.outcome:
            return False
        if self.reason:
            if row["outcome"] in ("deny", "error"):  # an aggregated refusal counts every reason it holds
                return self.reason in refused_counts(row["details"], row["reason"])
            return bool(row["reason"] == self.reason)
        return True
