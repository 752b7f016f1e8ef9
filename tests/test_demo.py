"""`pxhub demo` end to end: the regional exchange through Prefect flows against a real hub."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from hub.dev.federation import default_members

pytestmark = pytest.mark.prefect


def test_regional_exchange_through_flows(prefect_harness: None, tmp_path: Path) -> None:
    from flows.demo import run_demo

    console = Console(file=(tmp_path / "out.txt").open("w"), width=160)
    report = run_demo(
        tmp_path / "demo", profiles_per_partner=3, console=console, log_file=tmp_path / "hub.log"
    )

    member_ids = {m.member_id for m in default_members()}
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
        assert list(sink.glob("*.manifest.json"))
        assert list(sink.glob(f"batch-*{get_adapter(member).file_extension}"))
    assert not list((tmp_path / "demo" / "sinks").rglob("*.part"))
    # A finding from reported to closed across three versions, each naming the one before it.
    assert [row[1] for row in report.finding_chain] == ["REPORTED", "MANAGEMENT_RESPONSE", "VERIFIED_CLOSED"]
    assert [row[0] for row in report.finding_chain] == ["1", "2", "3"]
    # The regional comparison shows all seven members; the integrity view counts the others' findings.
    from adapters.best_practice import IND_PARTICIPANTS

    assert report.comparison_members[IND_PARTICIPANTS] == sorted(member_ids)
    assert {row[0] for row in report.integrity} == member_ids - {"PE-INPE"}
    output = (tmp_path / "out.txt").read_text()
    assert "A finding from reported to closed" in output and "Regional integrity view" in output
    assert "Regional exchange" in output and "SENDER_MISMATCH" in output
    # Asking without disclosing: hits where the person is held, no hits elsewhere, and three requests.
    answers = {(person, member): answer for person, member, answer in report.lookups}
    assert answers[("person held in Peru", "PE-INPE")] == "hit"
    assert answers[("person held in Mexico", "MX-OADPRS")] == "hit"
    assert (
        answers[("person held nowhere", "PE-INPE")]
        == answers[("person held nowhere", "MX-OADPRS")]
        == "no hit"
    )
    assert answers[("person held in Peru", "GT-DGSP")].startswith("not permitted")
    assert sorted(state for *_, state in report.requests) == [
        "answered",
        "overdue",
        "refused (legal impediment)",
    ]
    for word in ("hit", "no hit", "overdue", "answered", "refused"):
        assert word in output
    # No identifier in clear at the hub: its database (SQLite and WAL) and its log hold none of the
    # inmate numbers, document numbers, names and birth dates of the national exports.
    identifiers = _identifiers_in_exports(tmp_path / "demo" / "exports")
    assert len(identifiers) > 50
    stored = [p for p in (tmp_path / "demo").glob("pxhub.db*") if p.is_file()]
    assert stored, "the demo's hub writes its SQLite file in the work folder"
    haystacks = {p.name: p.read_bytes() for p in [*stored, tmp_path / "hub.log"]}
    assert len(haystacks["hub.log"]) > 10_000  # the log holds every RPC of the exchange
    found = [
        (name, value) for name, data in haystacks.items() for value in identifiers if value.encode() in data
    ]
    assert found == []
    # The work folder stays usable: its keys open with the passphrase of the environment (the
    # tests' PXHUB_KEY_PASSPHRASE), a hub serves its database again and the flows go on from their state.
    witnessed, inbound = asyncio.run(_keep_using(tmp_path / "demo"))
    assert witnessed.previous_size == report.witnessed and witnessed.size >= report.witnessed
    assert inbound.received == 0  # the demo's inbound sync left nothing behind


async def _keep_using(workdir: Path) -> tuple[Any, Any]:
    """``pxhub serve`` on the demo's folder, then a witness and an inbound run, as the README says."""
    from flows.inbound import inbound_sync
    from flows.witness import witness_checkpoints
    from tests.conftest import start_test_hub

    fed = workdir / "federation"
    handle = await start_test_hub(fed, f"sqlite:///{workdir / 'pxhub.db'}")
    try:
        witnessed = await witness_checkpoints("MX-OADPRS", handle.target, str(fed), str(workdir / "flows"))
        inbound = await inbound_sync("EC-SNAI", str(workdir / "sinks" / "EC-SNAI"), handle.target, str(fed))
    finally:
        await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]
    return witnessed, inbound


def test_the_demo_passphrase_is_the_environment_s_or_a_new_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.demo import demo_passphrase
    from hub.identity.manifest import PkiError

    monkeypatch.setenv("PXHUB_KEY_PASSPHRASE", "the-one-the-user-chose")
    assert demo_passphrase() == (b"the-one-the-user-chose", False)
    monkeypatch.delenv("PXHUB_KEY_PASSPHRASE")
    generated, new = demo_passphrase()
    assert new and len(generated) >= 24 and demo_passphrase()[0] != generated
    monkeypatch.setenv("PXHUB_KEY_PASSPHRASE", "")  # set but unusable: its error, never a silent new one
    with pytest.raises(PkiError, match="empty"):
        demo_passphrase()


def _identifiers_in_exports(exports: Path) -> set[str]:
    """Every inmate number, document number, full name and birth date of the national exports."""
    from adapters.registry import get_adapter

    found: set[str] = set()
    for export in exports.iterdir():
        member = next(
            (m.member_id for m in default_members() if export.name.startswith(m.member_id.lower())), None
        )
        if member is None or export.suffix == ".jsonl" or not export.is_file():
            continue
        with export.open("rb") as stream:
            for row in get_adapter(member).parse(stream):
                record = row.record
                if record is None:
                    continue
                found.add(record.custodian_subject_id)
                found.update(i.value for i in record.identifiers)
                who = record.identity
                found.add(f"{who.given_names} {who.first_surname}")
                found.add(f"{who.first_surname} {who.second_surname}".strip())
                if who.birth_date.year and who.birth_date.month and who.birth_date.day:
                    d = who.birth_date
                    found.add(f"{d.year:04d}-{d.month:02d}-{d.day:02d}")
    # Strings shorter than 6 characters turn up in any ciphertext by chance; none of these is that short.
    return {s for s in found if len(s) >= 6}
