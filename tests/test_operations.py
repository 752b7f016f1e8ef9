"""What the people who run a hub rely on: readable help and counts, and a line when the hub stops."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs
from typer.testing import CliRunner

from hub.cli.main import app
from hub.core.words import counted, plural
from tests.conftest import start_test_hub

runner = CliRunner()


@pytest.mark.parametrize(
    ("noun", "expected"),
    [("entry", "entries"), ("day", "days"), ("envelope", "envelopes"), ("witness", "witnesses")],
)
def test_plural_of_regular_nouns(noun: str, expected: str) -> None:
    assert plural(noun) == expected


def test_counted_uses_the_singular_for_one_only() -> None:
    assert counted(1, "entry") == "1 entry"
    assert counted(0, "entry") == "0 entries"
    assert counted(1024, "entry") == "1,024 entries"


def test_serve_help_shows_the_toml_section_name() -> None:
    result = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "(section [hub])" in result.output


async def test_a_stopping_hub_logs_one_line_with_its_reason(federation_dir: Path) -> None:
    handle = await start_test_hub(federation_dir)
    with capture_logs() as logs:
        await handle.running.stop(grace=0.1, reason="signal SIGTERM")  # type: ignore[attr-defined]
    stopped = [line for line in logs if line["event"] == "hub_stopped"]
    assert len(stopped) == 1
    assert stopped[0]["reason"] == "signal SIGTERM"
    assert stopped[0]["port"] == handle.running.port  # type: ignore[attr-defined]
