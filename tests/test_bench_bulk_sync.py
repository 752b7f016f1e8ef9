"""The bulk_sync scenario on a tiny population: every profile reaches the right sink exactly once.

Correctness only (the scenario's real processes, hub and sinks); its timings are never asserted.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

TOTAL = 350


def test_bulk_sync_delivers_every_profile_once_to_its_recipient() -> None:
    from bench.bulk_sync import POPULATION, allocate, run
    from flows.plans import PARTNERS

    counts = allocate(TOTAL)
    assert sum(counts.values()) == TOTAL and set(counts) == set(POPULATION)
    assert counts["MX-OADPRS"] > counts["CO-INPEC"] > counts["UY-INR"] >= 1  # proportional to population

    result = run(count=TOTAL)

    # Rows alternate between the sender's two partners: partner k gets rows k, k + 2, ...
    expected: dict[str, dict[str, int]] = {m: {} for m in POPULATION}
    for sender, n in counts.items():
        first, second = PARTNERS[sender]
        expected[first][sender] = (n + 1) // 2
        expected[second][sender] = n // 2
    details = result.details
    assert details["exactly_once"]
    assert details["delivery_totals"] == {
        "sent": TOTAL, "delivered": TOTAL, "duplicates": 0, "missing": 0, "unexpected": 0, "wrong_sender": 0,
    }  # fmt: skip
    for member, row in details["members"].items():
        assert row["parsed"] == row["accepted"] == counts[member]
        assert row["sent_to"] == {r: expected[r][member] for r in PARTNERS[member] if expected[r][member]}
        wanted = sum(expected[member].values())
        assert row["rows_in_national_files"] == wanted  # the national files parse back to every row
        assert details["delivery"][member]["from"] == {s: n for s, n in expected[member].items() if n}
    rejects = details["rejects"]
    assert rejects["rows_withheld"] == 0 and not rejects["hub_rejected"] and not rejects["inbound_refused"]
