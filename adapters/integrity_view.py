"""The regional integrity view: per member, what its anti-corruption audits and ethics training say.

Computed from the records a member holds (its national sink): for each audited member, findings by
category (UNODC risk area) and by severity, open against closed, the median days a closed finding
took from its report to its closure, and ethics-training coverage per 100 staff. Every figure lists
the message ids of the records it came from, so a reader can open each one in the sink.

Only the newest version of each audit (and of each training record) counts: the one with the highest
record version held, whatever order the versions arrived in and even when a middle version is not
held yet; earlier versions date the chain. Pure: no I/O, no clock.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from hub.core.findings import CLOSED_STATES, finding_state
from pxhub.v1 import common_pb2, record_pb2
from pxhub.v1 import integrity_pb2 as ig

__all__ = ["HeldRecord", "MemberIntegrity", "integrity_view"]


class HeldRecord(NamedTuple):
    """One record as the sink holds it: its message id, record version, the id it supersedes, the record."""

    message_id: str
    version: int
    supersedes: str
    record: record_pb2.Record


@dataclass
class MemberIntegrity:
    """The integrity figures of one audited member; ``sources`` lists message ids per figure."""

    member: str
    by_category: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    open: int = 0
    closed: int = 0
    days_to_close: list[int] = field(default_factory=list)
    staff_in_scope: int = 0
    staff_completed: int = 0
    sources: dict[str, list[str]] = field(default_factory=dict)

    @property
    def median_days_to_close(self) -> float | None:
        return statistics.median(self.days_to_close) if self.days_to_close else None

    @property
    def coverage_per_100(self) -> float | None:
        """Staff who completed ethics training per 100 staff in scope (None when no scope is given)."""
        if not self.staff_in_scope:
            return None
        return round(100 * self.staff_completed / self.staff_in_scope, 1)

    def _cite(self, figure: str, message_id: str) -> None:
        cited = self.sources.setdefault(figure, [])
        if message_id not in cited:
            cited.append(message_id)


def _day(d: common_pb2.PartialDate) -> date | None:
    return date(d.year, d.month or 1, d.day or 1) if d.year else None


def _short(enum: object, value: int, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix)  # type: ignore[attr-defined]


def integrity_view(held: Iterable[HeldRecord]) -> dict[str, MemberIntegrity]:
    """Per audited member (sorted by id), the figures of the newest version of each audit held."""
    audits: dict[str, list[HeldRecord]] = {}
    trainings: dict[str, list[HeldRecord]] = {}
    view: dict[str, MemberIntegrity] = {}

    def member(member_id: str) -> MemberIntegrity:
        return view.setdefault(member_id, MemberIntegrity(member_id))

    for item in held:
        if item.record.HasField("integrity_audit"):
            audits.setdefault(item.record.integrity_audit.audit_id, []).append(item)
        elif item.record.HasField("ethics_training"):
            training_key = item.record.ethics_training.training_id or item.message_id
            trainings.setdefault(training_key, []).append(item)
    for versions in trainings.values():
        latest = _newest(versions)
        training = latest.record.ethics_training
        figures = member(training.member_id)
        if training.staff_in_scope:
            figures.staff_in_scope += training.staff_in_scope
            figures.staff_completed += sum(p.completed for p in training.participation)
            figures._cite("coverage", latest.message_id)
    for versions in audits.values():
        versions.sort(key=_order)  # chain order, so the records behind a figure read oldest first
        latest = _newest(versions)
        audit = latest.record.integrity_audit
        figures = member(audit.audited_member)
        first_reported = _first_reported(versions)
        for finding in audit.findings:
            for area in finding.risk_areas[:1] or [ig.CORRUPTION_RISK_AREA_UNSPECIFIED]:
                category = _short(ig.CorruptionRiskArea, area, "CORRUPTION_RISK_AREA_")
                figures.by_category[category] += 1
                figures._cite(f"category:{category}", latest.message_id)
            severity = _short(ig.FindingSeverity, finding.severity, "FINDING_SEVERITY_")
            figures.by_severity[severity] += 1
            figures._cite(f"severity:{severity}", latest.message_id)
            if finding_state(finding) in CLOSED_STATES:
                figures.closed += 1
                figures._cite("closed", latest.message_id)
                start = first_reported.get(finding.finding_id) or _day(audit.report_date)
                end = _day(finding.status_changed_on)
                if start is not None and end is not None and end >= start:
                    figures.days_to_close.append((end - start).days)
                    for version in versions:
                        figures._cite("days_to_close", version.message_id)
            else:
                figures.open += 1
                figures._cite("open", latest.message_id)
    return dict(sorted(view.items()))


def _order(item: HeldRecord) -> tuple[int, str]:
    """Versions in chain order: by record version (the message id only breaks a tie deterministically)."""
    return (item.version, item.message_id)


def _newest(versions: list[HeldRecord]) -> HeldRecord:
    """The version a chain counts as: its highest record version held, not the first to arrive."""
    return max(versions, key=_order)


def _first_reported(versions: Iterable[HeldRecord]) -> dict[str, date]:
    """Per finding, the earliest date any held version gives for it (its report)."""
    first: dict[str, date] = {}
    for version in versions:
        audit = version.record.integrity_audit
        for finding in audit.findings:
            when = _day(finding.status_changed_on) if finding_state(finding) not in CLOSED_STATES else None
            when = when or _day(audit.report_date)
            if when is not None and (finding.finding_id not in first or when < first[finding.finding_id]):
                first[finding.finding_id] = when
    return first
