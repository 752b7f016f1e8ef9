"""The pxhub command as a user runs it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from typer.testing import CliRunner

from hub.cli.main import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("pki", "serve", "members", "demo"):
        assert command in result.output


def test_pki_init_then_members(tmp_path: Path) -> None:
    env = {"PXHUB_KEY_PASSPHRASE": "a-long-test-passphrase"}
    result = runner.invoke(app, ["pki", "init", str(tmp_path / "fed")], env=env)
    assert result.exit_code == 0, result.output
    key = tmp_path / "fed" / "members" / "CO-INPEC" / "signing.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert b"ENCRYPTED" in key.read_bytes()
    listing = runner.invoke(app, ["members", "--federation-dir", str(tmp_path / "fed")])
    assert listing.exit_code == 0, listing.output
    for member in (
        "CO-INPEC",
        "PE-INPE",
        "GT-DGSP",
        "EC-SNAI",
        "UY-INR",
        "DO-DGSPC",
        "MX-OADPRS",
        "AUDITOR-1",
    ):
        assert member in listing.output
    again = runner.invoke(app, ["pki", "init", str(tmp_path / "fed")], env=env)
    assert again.exit_code == 2 and "error" in again.output


def test_pki_init_without_passphrase_names_the_variables(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["pki", "init", str(tmp_path / "fed")],
        env={"PXHUB_KEY_PASSPHRASE": "", "PXHUB_KEY_PASSPHRASE_FILE": ""},
    )
    assert result.exit_code == 2
    assert "PXHUB_KEY_PASSPHRASE" in result.output


def test_serve_reports_a_bad_setting_by_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--federation-dir", str(tmp_path), "--log-format", "xml"])
    assert result.exit_code == 2
    assert "log_format" in result.output
