"""No wall-clock cliff: the edges' clock can be set, and the demo exchange is the same years from now."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest
from rich.console import Console

from hub.runtime.clock import CLOCK_ENV, MovableClock, edge_clock, parse_instant

if TYPE_CHECKING:
    from flows.demo import DemoReport


def test_the_edge_clock_starts_at_the_instant_named_and_runs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLOCK_ENV, "2045-06-15T00:00:00Z")
    first = edge_clock()
    second = edge_clock()
    start = datetime(2045, 6, 15, tzinfo=UTC)
    assert start <= first <= second < start + timedelta(hours=1)
    moved = MovableClock()
    moved.advance(timedelta(hours=49))
    assert moved() >= start + timedelta(hours=49)
    monkeypatch.delenv(CLOCK_ENV)
    assert abs(edge_clock() - datetime.now(UTC)) < timedelta(minutes=1)  # unset: the machine's clock


@pytest.mark.parametrize("text", ["2045-06-15", "2045-06-15T00:00:00", "tomorrow", ""])
def test_an_instant_without_an_offset_or_not_a_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"RFC 3339|UTC offset"):
        parse_instant(text)


class _Tables(NamedTuple):
    """What the demo's tables count: per pair, per rejection kind, per lookup answer and request state."""

    sent: dict[tuple[str, str], int]
    received: dict[tuple[str, str], int]
    acknowledged: dict[tuple[str, str], int]
    rejects: Counter[tuple[str, str, str]]
    lineage: list[tuple[str, str]]
    lookups: list[tuple[str, str, str]]
    requests: list[tuple[str, str, str]]


def _tables(report: DemoReport) -> _Tables:
    return _Tables(
        dict(report.sent),
        dict(report.received),
        dict(report.acknowledged),
        Counter((member, item, reason) for member, item, reason, _ in report.rejects),
        sorted((row[0], row[3].split()[-1]) for row in report.lineage),
        sorted(report.lookups),
        sorted((sender, to, state) for _, sender, to, state in report.requests),
    )


@pytest.mark.prefect
def test_the_demo_exchange_is_the_same_in_2031_and_2045(prefect_harness: None, tmp_path: Path) -> None:
    """The policy is signed against the demo's clock, so agreements run from then on, not from a date
    written in a file. Certificates follow the machine's clock (TLS checks them against it); the policy,
    consents, seals, deadlines, audit times and keys in the directory follow the demo's clock."""
    from flows.demo import run_demo

    tables: list[_Tables] = []
    for start in (datetime(2031, 3, 1, tzinfo=UTC), datetime(2045, 6, 15, tzinfo=UTC)):
        console = Console(file=(tmp_path / f"out-{start.year}.txt").open("w"), width=160)
        report = run_demo(
            tmp_path / f"demo-{start.year}", profiles_per_partner=2, console=console, clock_start=start
        )
        duplicate = next(d for _, item, reason, d in report.rejects if reason == "DUPLICATE")
        assert str(start.year) in duplicate  # the hub decided on the demo's clock
        tables.append(_tables(report))
        assert os.environ.get(CLOCK_ENV) is None  # the demo leaves the process's clock as it found it
    in_2031, in_2045 = tables
    assert in_2031 == in_2045
    # Bilateral security profiles travel (two partners each, two profiles), not only the multilateral records.
    assert sum(in_2031.sent.values()) > 7 * 6 * 2
    refused = [item for _, item, reason in in_2031.rejects if reason == "NO_AGREEMENT"]
    assert refused == ["profile to a member without an agreement"]
