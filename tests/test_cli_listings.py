"""Every listing of ``pxhub`` at 80 columns: the ids a user types next appear whole, ``--json`` parses.

One hub in its own thread; one consent, one transfer under it, the federation's policy and
directory. Each listing is rendered as a user on an 80-column terminal sees it (``COLUMNS=80``),
then with ``--json``, and the ids of the JSON rows are looked for, whole, in the table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from typer.testing import CliRunner

from hub.cli.common import Column, listing_renderables
from hub.cli.main import app
from pxhub.v1 import envelope_pb2
from tests.conftest import PASSPHRASE
from tests.test_audit_cli import printed
from tests.test_cli_consent import hub_target
from tests.test_policy_consent_grpc import SUBJECT, consent_record, message_id, profile, under_consent

__all__ = ["hub_target"]  # the module's hub fixture

runner = CliRunner()
NARROW = {"PXHUB_KEY_PASSPHRASE": PASSPHRASE.decode(), "COLUMNS": "80"}


def narrow(*args: str) -> str:
    result = runner.invoke(app, list(args), env=NARROW)
    assert result.exit_code == 0, result.output
    return printed(result)


def as_json(*args: str) -> Any:
    return json.loads(narrow(*args, "--json"))


def assert_whole(output: str, *ids: str) -> None:
    for value in ids:
        assert value and value in output, f"{value!r} is cut or missing in:\n{output}"


@pytest.fixture(scope="module")
def sent(hub_target: str, federation_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A consent registered by CO-INPEC and one record sent under it: (consent id, message id)."""
    from hub.sdk import SyncMemberClient

    record = consent_record(recipients=("PE-INPE", "MX-OADPRS"))
    path = tmp_path_factory.mktemp("listings") / "consent.json"
    path.write_text(json_format.MessageToJson(record), encoding="utf-8")
    common = ("--target", hub_target, "--federation-dir", str(federation_dir), "--as", "CO-INPEC")
    narrow("consent", "register", str(path), *common)
    with SyncMemberClient(hub_target, federation_dir, "CO-INPEC", PASSPHRASE) as co:
        envelope = co.seal(profile("CO-INPEC"), under_consent(record.consent_id), ["PE-INPE", "MX-OADPRS"])
        receipt = co.submit([envelope])[0]
    assert receipt.outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED, receipt.detail
    return record.consent_id, message_id(envelope)


def test_consent_show_keeps_the_consent_id_that_withdraw_needs(
    hub_target: str, federation_dir: Path, sent: tuple[str, str]
) -> None:
    consent_id, message = sent
    common = ("--target", hub_target, "--federation-dir", str(federation_dir), "--as", "CO-INPEC")
    rows = as_json("consent", "show", SUBJECT, *common)
    assert [r["consent"] for r in rows] == [consent_id]
    assert rows[0]["transfers"][0]["message_id"] == message
    output = narrow("consent", "show", SUBJECT, *common)
    assert_whole(output, consent_id, message, rows[0]["valid_from"], rows[0]["valid_until"])
    assert_whole(output, *(e["at"] for e in rows[0]["events"]))


def test_track_keeps_ids_and_timestamps_whole(
    hub_target: str, federation_dir: Path, sent: tuple[str, str]
) -> None:
    _, message = sent
    common = ("--target", hub_target, "--federation-dir", str(federation_dir), "--as", "CO-INPEC")
    lineage = as_json("track", message, *common)
    assert lineage["message_id"] == message and lineage["request"] is None
    assert {r["recipient"] for r in lineage["recipients"]} == {"PE-INPE", "MX-OADPRS"}
    output = narrow("track", message, *common)
    assert_whole(output, message, lineage["accepted_at"], "PE-INPE", "MX-OADPRS")


def test_policy_show_is_readable_at_80_columns(hub_target: str, federation_dir: Path) -> None:
    for source in ((), ("--target", hub_target)):
        document = as_json("policy", "show", "--federation-dir", str(federation_dir), *source)
        output = narrow("policy", "show", "--federation-dir", str(federation_dir), *source)
        assert all(len(line) <= 80 for line in output.splitlines()), output
        assert_whole(output, *(a["id"] for a in document["agreements"]), document["sha256"])
        assert_whole(output, *(a["valid_until"] for a in document["agreements"]))
        assert_whole(output, *(p["purpose"] for p in document["purposes"]))


def test_members_and_audit_keys_show_whole_key_ids(federation_dir: Path) -> None:
    members = as_json("members", "--federation-dir", str(federation_dir))
    output = narrow("members", "--federation-dir", str(federation_dir))
    key_ids = [key.split(": ", 1)[1].split(" ")[0] for m in members for key in m["keys"]]
    assert len(key_ids) >= 3 * 7
    assert_whole(output, *(m["id"] for m in members), *key_ids)
    keys = as_json("audit", "keys", "--federation-dir", str(federation_dir))
    assert_whole(narrow("audit", "keys", "--federation-dir", str(federation_dir)), *(k["vkey"] for k in keys))


def test_requests_list_prints_json(hub_target: str, federation_dir: Path) -> None:
    rows = as_json("requests", "list", "--target", hub_target, "--federation-dir", str(federation_dir))
    assert rows == []


def test_a_listing_too_wide_for_the_terminal_becomes_one_section_per_row() -> None:
    from rich.console import Console

    columns = [Column("id", ident=True), *(Column(f"text {i}") for i in range(6))]
    rows = [{"id": f"{i:036d}", **{f"text {j}": "word " * 12 for j in range(6)}} for i in range(3)]
    console = Console(width=80, record=True)
    for renderable in listing_renderables("Things", columns, rows, 80):
        console.print(renderable)
    text = console.export_text()
    assert all(f"{i:036d}" in text for i in range(3)) and text.count("id ") >= 3
    wide = Console(width=300, record=True)
    for renderable in listing_renderables("Things", columns, rows, 300):
        wide.print(renderable)
    assert "┃ id" in wide.export_text()


def test_lookup_and_request_tables_keep_match_references_ids_and_times_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from hub.cli.common import REQUEST_COLUMNS, print_rows, request_rows
    from hub.cli.lookup import print_lookup
    from pxhub.v1 import lookup_pb2, request_pb2

    monkeypatch.setenv("COLUMNS", "80")
    refs = [f"mr:{i:032x}" for i in range(2)]
    response = lookup_pb2.LookupResponse(lookup_id="5b0c61cf-6d2e-4f0e-9a55-3c1a3a3b6e01")
    answer = response.answers.add(member_id="PE-INPE", outcome=lookup_pb2.LOOKUP_OUTCOME_HIT)
    for index, ref in enumerate(refs):
        answer.hits.add(token_index=index, kind=lookup_pb2.MATCH_KIND_DOCUMENT, match_ref=ref)
    response.answers.add(
        member_id="GT-DGSP",
        outcome=lookup_pb2.LOOKUP_OUTCOME_NOT_PERMITTED,
        reason=envelope_pb2.REASON_NO_AGREEMENT,
        detail="no agreement between CO and GT covers this purpose",
    )
    print_lookup(response, ["document 1", "person 1"], as_json=False)
    assert_whole(capsys.readouterr().out, response.lookup_id, *refs, "PE-INPE", "GT-DGSP")
    print_lookup(response, ["document 1", "person 1"], as_json=True)
    parsed = json.loads(capsys.readouterr().out)
    assert [h["match_ref"] for h in parsed["answers"][0]["hits"]] == refs

    view = request_pb2.RequestView(
        message_id="0f9e1c1e-9d3b-4c55-8f2e-6d0d1d9b7a10",
        requester="CO-INPEC",
        responder="MX-OADPRS",
        purpose=envelope_pb2.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
        urgency=envelope_pb2.REQUEST_URGENCY_URGENT,
        state=request_pb2.REQUEST_STATE_OPEN,
    )
    view.opened_at.FromSeconds(1_740_000_000)
    view.deadline.FromSeconds(1_740_172_800)
    rows = request_rows([view])
    print_rows(rows, REQUEST_COLUMNS, title="Requests (1)")
    assert_whole(
        capsys.readouterr().out, view.message_id, "MX-OADPRS", rows[0]["opened"], rows[0]["deadline"]
    )
    print_rows(rows, REQUEST_COLUMNS, title="Requests (1)", as_json=True)
    assert json.loads(capsys.readouterr().out) == rows
