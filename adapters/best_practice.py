"""Comparing programme indicators across members: what may stand side by side, and its labels.

Programmes that report the same measure use the same indicator name and unit (the regional
vocabulary below), so a report can put members side by side. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from typing import NamedTuple, TypeAlias

from pxhub.v1 import best_practice_pb2 as bp
from pxhub.v1 import common_pb2

__all__ = [
    "IND_FACILITIES",
    "IND_PARTICIPANTS",
    "REGIONAL_INDICATORS",
    "ComparablePoint",
    "comparable_indicators",
    "format_citation",
    "period_label",
]


# Regional indicator vocabulary: programmes that report the same measure use the same name
# and unit, so a report can put members side by side. Programme-specific indicators keep
# their own (verbatim) names.
IND_PARTICIPANTS = "Personas privadas de la libertad participantes"
IND_FACILITIES = "Establecimientos penitenciarios con el programa"
REGIONAL_INDICATORS: dict[str, str] = {
    IND_PARTICIPANTS: "persona",
    IND_FACILITIES: "establecimiento",
}

Status: TypeAlias = bp.ObservationStatus.ValueType
Kind: TypeAlias = bp.ObservationKind.ValueType

FINAL: Status = bp.OBSERVATION_STATUS_FINAL
DISPUTED: Status = bp.OBSERVATION_STATUS_DISPUTED
ACTUAL: Kind = bp.OBSERVATION_KIND_ACTUAL
TARGET: Kind = bp.OBSERVATION_KIND_TARGET
BASELINE: Kind = bp.OBSERVATION_KIND_BASELINE


def _date_label(d: common_pb2.PartialDate) -> str:
    if not d.year:
        return ""
    parts = [f"{d.year:04d}"]
    if d.month:
        parts.append(f"{d.month:02d}")
        if d.day:
            parts.append(f"{d.day:02d}")
    return "-".join(parts)


def period_label(period: common_pb2.DateRange) -> str:
    """A short ISO-style label: "2021" for a calendar year, "2022-03-04" for a date, "a/b" otherwise."""
    start, end = period.start, period.end
    if (
        start.year
        and start.year == end.year
        and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
    ):
        return f"{start.year:04d}"
    a, b = _date_label(start), _date_label(end)
    if a == b:
        return a
    return f"{a}/{b}"


def format_citation(source: common_pb2.SourceCitation) -> str:
    """One-line citation for reports: publisher, «title», date, locator, URL."""
    parts = [source.publisher, f"«{source.title}»"]
    if date := _date_label(source.published):
        parts.append(date)
    if source.locator:
        parts.append(source.locator)
    if source.url:
        parts.append(source.url)
    return ", ".join(p for p in parts if p)


class ComparablePoint(NamedTuple):
    """One chartable point of an indicator shared across members."""

    member: str
    period: str
    value: float
    status: str
    source: common_pb2.SourceCitation


def comparable_indicators(
    records: Iterable[bp.BestPracticeRecord],
    *,
    min_members: int = 2,
    kinds: Collection[Kind] = (ACTUAL,),
) -> dict[str, list[ComparablePoint]]:
    """Indicators reported by at least ``min_members`` members, keyed by indicator name.

    Indicators match on name and unit (case-insensitive unit), which is why shared measures use
    the names in ``REGIONAL_INDICATORS``. Only observations of the given ``kinds`` (actual values
    by default: targets are not comparable with achievements) are included. ``status`` is the short
    name ("FINAL", "DISPUTED", ...). A name reported with two different units gets the unit in
    brackets in its key. Points are sorted by member, period and value.
    """
    groups: dict[tuple[str, str], list[ComparablePoint]] = {}
    for record in records:
        for node in record.results_chain:
            for ind in node.indicators:
                for obs in ind.observations:
                    if obs.kind not in kinds:
                        continue
                    status = bp.ObservationStatus.Name(obs.status).removeprefix("OBSERVATION_STATUS_")
                    point = ComparablePoint(
                        record.owner, period_label(obs.period), obs.value, status, obs.source
                    )
                    groups.setdefault((ind.name, ind.unit_of_measure.casefold()), []).append(point)
    shared = {k: v for k, v in groups.items() if len({p.member for p in v}) >= min_members}
    name_count = Counter(name for name, _ in shared)
    result: dict[str, list[ComparablePoint]] = {}
    for (name, unit), points in sorted(shared.items()):
        key = name if name_count[name] == 1 else f"{name} [{unit}]"
        result[key] = sorted(points, key=lambda p: (p.member, p.period, p.value))
    return result
