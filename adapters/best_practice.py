"""Comparing programme indicators across members: what may stand side by side, and its labels.

Programmes that report the same measure use the same indicator name and unit (the regional
vocabulary below), so a report can put members side by side. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, NamedTuple, TypeAlias

from pxhub.v1 import best_practice_pb2 as bp
from pxhub.v1 import common_pb2

__all__ = [
    "IND_FACILITIES",
    "IND_PARTICIPANTS",
    "MEASURE_KINDS",
    "PER_THOUSAND",
    "REGIONAL_INDICATORS",
    "ComparablePoint",
    "Comparison",
    "IndicatorFlag",
    "Series",
    "compare_indicators",
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


PER_THOUSAND: Final = "por 1.000 PPL"
"""Suffix of a count normalised per 1,000 persons deprived of liberty (its own series)."""

MEASURE_KINDS: Final[dict[int, str]] = {
    bp.INDICATOR_MEASURE_UNIT: "count",
    bp.INDICATOR_MEASURE_PERCENTAGE: "share",
    bp.INDICATOR_MEASURE_RATE: "rate",
    bp.INDICATOR_MEASURE_NOMINAL: "nominal",
    bp.INDICATOR_MEASURE_ORDINAL: "ordinal",
    bp.INDICATOR_MEASURE_QUALITATIVE: "qualitative",
}
"""What kind of figure each measure is: only figures of one kind stand side by side."""


class ComparablePoint(NamedTuple):
    """One chartable point of an indicator shared across members, with the records it came from."""

    member: str
    period: str
    value: float
    status: str
    source: common_pb2.SourceCitation
    record_id: str = ""
    indicator_id: str = ""
    population: int = 0
    sample: bool = False


class IndicatorFlag(NamedTuple):
    """An indicator left out of the comparison, and why (``reason`` is machine-readable)."""

    record_id: str
    indicator_id: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Series:
    """One indicator across members: its name, unit, kind of figure, kind of observation, points."""

    name: str
    unit: str
    kind: str
    observation: str
    points: tuple[ComparablePoint, ...]

    @property
    def members(self) -> list[str]:
        return sorted({p.member for p in self.points})


@dataclass(frozen=True)
class Comparison:
    """What may stand side by side (``series``, by display name) and what was left out (``flagged``)."""

    series: dict[str, Series]
    flagged: tuple[IndicatorFlag, ...]


def _flag_indicator(record: bp.BestPracticeRecord, ind: bp.Indicator) -> IndicatorFlag | None:
    if not ind.unit_of_measure.strip():
        return IndicatorFlag(
            record.practice_id,
            ind.indicator_id,
            "UNIT_MISSING",
            f"indicator {ind.name!r} has no unit of measure",
        )
    if ind.measure not in MEASURE_KINDS:
        return IndicatorFlag(
            record.practice_id,
            ind.indicator_id,
            "KIND_MISSING",
            f"indicator {ind.name!r} does not say whether it is a count, a share or a rate",
        )
    return None


def compare_indicators(
    records: Iterable[bp.BestPracticeRecord], *, min_members: int = 2, observation: Kind = ACTUAL
) -> Comparison:
    """Indicators reported by at least ``min_members`` members, like with like.

    Indicators match on name and unit (case-insensitive unit), which is why shared measures use the
    names in ``REGIONAL_INDICATORS``. Only observations of one kind (``observation``: achieved
    values by default; a target never stands beside an achievement) are compared. An indicator
    without a unit or a kind is flagged and left out; a name and unit reported as figures of two
    kinds (a count beside a share) is flagged for every indicator involved and not compared. A
    count whose observations give the population they refer to gets a second series, normalised
    per 1,000 persons deprived of liberty, holding only those points. Points are sorted by member,
    period and value.
    """
    flagged: list[IndicatorFlag] = []
    groups: dict[tuple[str, str], list[tuple[bp.BestPracticeRecord, bp.Indicator]]] = {}
    for record in records:
        for node in record.results_chain:
            for ind in node.indicators:
                if (problem := _flag_indicator(record, ind)) is not None:
                    flagged.append(problem)
                    continue
                groups.setdefault((ind.name, ind.unit_of_measure.casefold()), []).append((record, ind))
    observation_name = bp.ObservationKind.Name(observation).removeprefix("OBSERVATION_KIND_")
    candidates: list[Series] = []
    for (name, unit), members in sorted(groups.items()):
        kinds = {MEASURE_KINDS[ind.measure] for _, ind in members}
        if len(kinds) > 1:
            flagged.extend(
                IndicatorFlag(
                    record.practice_id,
                    ind.indicator_id,
                    "KIND_MISMATCH",
                    f"{name!r} [{unit}] is reported as {' and '.join(sorted(kinds))}: not compared",
                )
                for record, ind in members
            )
            continue
        points = [
            ComparablePoint(
                record.owner,
                period_label(obs.period),
                obs.value,
                bp.ObservationStatus.Name(obs.status).removeprefix("OBSERVATION_STATUS_"),
                obs.source,
                record.practice_id,
                ind.indicator_id,
                obs.reference_population,
                record.sample,
            )
            for record, ind in members
            for obs in ind.observations
            if obs.kind == observation
        ]
        kind = kinds.pop()
        candidates.append(Series(name, unit, kind, observation_name, _sorted(points)))
        if kind == "count":
            per_thousand = [
                p._replace(value=round(p.value * 1000 / p.population, 1)) for p in points if p.population
            ]
            candidates.append(
                Series(
                    f"{name} ({PER_THOUSAND})", PER_THOUSAND, "rate", observation_name, _sorted(per_thousand)
                )
            )
    shared = [c for c in candidates if len(c.members) >= min_members]
    name_count = Counter(c.name for c in shared)
    series = {c.name if name_count[c.name] == 1 else f"{c.name} [{c.unit}]": c for c in shared}
    return Comparison(series, tuple(flagged))


def _sorted(points: Iterable[ComparablePoint]) -> tuple[ComparablePoint, ...]:
    return tuple(sorted(points, key=lambda p: (p.member, p.period, p.value)))


def newest_programmes(
    own: Iterable[bp.BestPracticeRecord], received: Iterable[tuple[int, bp.BestPracticeRecord]]
) -> list[bp.BestPracticeRecord]:
    """One record per programme, sorted by practice id: the member's own, else the highest version.

    ``received`` pairs each record with its envelope's ``record_version``; versions may arrive in
    any order (a mailbox redelivery after the sink already holds a later one), and the comparison
    must never show a superseded figure.
    """
    newest: dict[str, tuple[int, bp.BestPracticeRecord]] = {}
    for version, record in received:
        held = newest.get(record.practice_id)
        if held is None or version > held[0]:
            newest[record.practice_id] = (version, record)
    chosen = {k: record for k, (_, record) in newest.items()}
    chosen.update((record.practice_id, record) for record in own)
    return [chosen[k] for k in sorted(chosen)]
