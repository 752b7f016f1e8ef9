"""``pxhub consent``, ``pxhub track`` and ``pxhub policy`` as a user runs them, against a running hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf import json_format
from typer.testing import CliRunner

from hub.cli.main import app
from pxhub.v1 import envelope_pb2
from tests.conftest import PASSPHRASE
from tests.test_policy_consent_grpc import SUBJECT, consent_record, message_id, profile, under_consent

runner = CliRunner()
ENV = {"PXHUB_KEY_PASSPHRASE": PASSPHRASE.decode(), "COLUMNS": "250"}


@pytest.fixture(scope="module")
def hub_target(federation_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A hub in its own thread and event loop, as `pxhub serve` would run it."""
    from flows.demo import HubThread
    from hub.settings import HubSettings

    data = tmp_path_factory.mktemp("cli-hub")
    settings = HubSettings(federation_dir=federation_dir, data_dir=data, listen="127.0.0.1:0")
    hub = HubThread(settings, federation_dir, PASSPHRASE)
    port = hub.start()
    yield f"127.0.0.1:{port}"
    hub.stop()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=ENV)
    return result.exit_code, result.output


def test_help_lists_the_new_commands() -> None:
    code, output = run("--help")
    assert code == 0
    for command in ("consent", "policy", "track"):
        assert command in output


def test_register_send_track_show_withdraw(hub_target: str, federation_dir: Path, tmp_path: Path) -> None:
    from hub.sdk import SyncMemberClient

    common = ("--target", hub_target, "--federation-dir", str(federation_dir))
    record = consent_record(recipients=("PE-INPE", "MX-OADPRS"))
    path = tmp_path / "consent.json"
    path.write_text(json_format.MessageToJson(record), encoding="utf-8")
    code, output = run("consent", "register", str(path), *common, "--as", "CO-INPEC")
    assert code == 0, output
    assert f"consent {record.consent_id} registered" in output

    with SyncMemberClient(hub_target, federation_dir, "CO-INPEC", PASSPHRASE) as co:
        envelope = co.seal(profile("CO-INPEC"), under_consent(record.consent_id), ["PE-INPE", "MX-OADPRS"])
        receipt = co.submit([envelope])[0]
    assert receipt.outcome == envelope_pb2.Receipt.OUTCOME_ACCEPTED, receipt.detail
    sent = message_id(envelope)

    code, output = run("track", sent, *common, "--as", "CO-INPEC")
    assert code == 0, output
    assert "PE-INPE" in output and "MX-OADPRS" in output and "not yet" in output

    code, output = run("consent", "show", SUBJECT, *common, "--as", "CO-INPEC")
    assert code == 0, output
    assert record.consent_id in output and "given" in output and sent in output

    code, output = run(
        "consent", "withdraw", record.consent_id, *common, "--as", "CO-INPEC", "--evidence", "acta 7"
    )
    assert code == 0, output
    assert "withdrawn: 1 undelivered envelope(s) purged, 0 revocation notice(s) sent" in output

    code, output = run("consent", "show", SUBJECT, *common, "--as", "CO-INPEC")
    assert code == 0 and "withdrawn" in output and "by subject" in output
    code, output = run("track", sent, *common, "--as", "CO-INPEC")
    assert code == 0 and "withdrawn before delivery" in output

    code, output = run("track", sent, *common, "--as", "PE-INPE")
    assert code == 1 and "NOT_ORIGINATOR" in output
    code, output = run("consent", "show", "1020304050", *common, "--as", "CO-INPEC")
    assert code == 1 and "SUBJECT_PSEUDONYM_INVALID" in output
    code, output = run("consent", "withdraw", record.consent_id, *common)
    assert code == 2 and "--as" in output


def test_policy_show_from_the_hub_and_from_the_federation(hub_target: str, federation_dir: Path) -> None:
    code, output = run("policy", "show", "--federation-dir", str(federation_dir))
    assert code == 0, output
    for expected in ("DECL-MEXICO-2011", "BIL-CO-PE", "Ley 1581", "IDENTITY_VERIFICATION", "OPERATOR-1"):
        assert expected in output
    code, output = run("policy", "show", "--target", hub_target, "--federation-dir", str(federation_dir))
    assert code == 0 and "Policy v1" in output


def test_policy_publish_refuses_an_older_version(hub_target: str, federation_dir: Path) -> None:
    from hub.policy import DEFAULT_POLICY_PATH

    code, output = run(
        "policy",
        "publish",
        str(DEFAULT_POLICY_PATH),
        "--target",
        hub_target,
        "--federation-dir",
        str(federation_dir),
        "--yes",
    )
    assert code == 1 and "POLICY_VERSION_NOT_NEWER" in output
    assert "policy v1 -> v1:" in output  # the diff is shown before anything is signed
