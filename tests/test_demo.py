"""`pxhub demo` end to end: the regional exchange through Prefect flows against a real hub."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from hub.core.members import MEMBERS

pytestmark = pytest.mark.prefect


def test_regional_exchange_through_flows(prefect_harness: None, tmp_path: Path) -> None:
    from flows.demo import run_demo

    console = Console(file=(tmp_path / "out.txt").open("w"), width=160)
    report = run_demo(tmp_path / "demo", profiles_per_partner=3, console=console)

    member_ids = {m.member_id for m in MEMBERS}
    assert {sender for sender, _ in report.sent} == member_ids
    assert {recipient for _, recipient in report.received} == member_ids
    assert report.sent == report.received == report.acknowledged
    # Each member sends 3 profiles to each of two partners, and an audit and a training record to all.
    for member in member_ids:
        sent = sum(n for (s, _), n in report.sent.items() if s == member)
        assert sent >= 2 * 3 + 2 * 6
    reasons = {row[2] for row in report.rejects}
    assert reasons == {
        "CIPHERTEXT_DIGEST_MISMATCH",
        "DUPLICATE",
        "REPLAYED",
        "UNKNOWN_RECIPIENT",
        "SENDER_MISMATCH",
        "NO_AGREEMENT",  # a profile to a member its country has no agreement with
    }
    assert report.audit_entries > sum(report.sent.values())
    # The consent scenario: both recipients received, acknowledged and attested deletion after the withdrawal.
    assert "withdrawn" in report.withdrawal and len(report.lineage) == 2
    assert all(row[3].endswith("deleted") for row in report.lineage)
    from adapters.registry import get_adapter

    for member in member_ids:  # each sink: the batch in the member's national format, committed by a manifest
        sink = tmp_path / "demo" / "sinks" / member
        assert len(list(sink.glob("*.manifest.json"))) == 1
        assert list(sink.glob(f"batch-*{get_adapter(member).file_extension}"))
    assert not list((tmp_path / "demo" / "sinks").rglob("*.part"))
    output = (tmp_path / "out.txt").read_text()
    assert "Regional exchange" in output and "SENDER_MISMATCH" in output
