"""``pxhub flow run`` as people meet it: inputs checked before Prefect starts, one-line errors,
results without Python reprs, and an export that cannot be used failing loudly.

The prechecks run through the real command (Typer's runner) with Prefect's start replaced by a
function that fails the test if reached; one test runs the command in a fresh process and asserts
Prefect was never even imported. The end-to-end tests run the command in a child process against a
hub of this test's event loop, as a user's shell would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import flows.cli
from hub.cli.main import app
from tests.conftest import PASSPHRASE, HubHandle, start_test_hub

runner = CliRunner()
BIN = Path(sys.executable).parent


@pytest.fixture
async def hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


@pytest.fixture
def no_prefect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the command gets as far as starting Prefect."""

    def started(*_: Any, **__: Any) -> None:
        raise AssertionError("Prefect was started although a precheck should have failed")

    monkeypatch.setattr(flows.cli, "_run_flow", started)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output and lines[0].startswith("error: "), output
    return lines[0]


def export(tmp_path: Path, member: str = "CO-INPEC", count: int = 6) -> Path:
    from adapters.samples.exports import write_export

    return write_export(member, tmp_path / "exports", count=count, seed=3)


def test_the_options_each_flow_needs_are_its_parameters_without_default() -> None:
    for name in flows.cli.FLOWS:
        signature = inspect.signature(flows.cli.load_flow(name).fn)
        required = tuple(p for p, v in signature.parameters.items() if v.default is inspect.Parameter.empty)
        assert flows.cli.NEEDS[name] == required, name


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["outbound-sync", "--member", "CO-INPEC"], 2, "outbound-sync needs --source"),
        (["outbound-sync", "--member", "XX-NONE", "--source", "{export}"], 2, "XX-NONE: not a member"),
        (["outbound-sync", "--member", "CO-INPEC", "--source", "{tmp}/none.csv"], 2, "no such file"),
        (["outbound-sync", "--member", "CO-INPEC", "--source", "{tmp}"], 2, "not a file"),
        (["outbound-sync", "--member", "CO-INPEC", "--source", "{export}", "--recipient", "CO-INPEC"], 2,
         "--recipient CO-INPEC: not a partner"),
        (["no-such-flow", "--member", "CO-INPEC"], 2, "unknown flow 'no-such-flow'"),
        (["outbound-sync", "--member", "CO-INPEC", "--source", "{hello}"], 1, "MISSING_REQUIRED_COLUMN"),
        (["outbound-sync", "--member", "CO-INPEC", "--source", "{binary}"], 1, "NOT_TEXT"),
        (["witness-checkpoints", "--member", "CO-INPEC", "--target", "127.0.0.1:{port}"], 1, "unreachable"),
    ],
)  # fmt: skip
def test_flow_run_checks_its_inputs_before_prefect_starts(
    no_prefect: None, federation_dir: Path, tmp_path: Path, args: list[str], code: int, says: str
) -> None:
    (tmp_path / "hello.csv").write_text("hello,world\n")
    (tmp_path / "binary.csv").write_bytes(os.urandom(4000) + b"\x00")
    values = {"export": export(tmp_path), "tmp": tmp_path, "hello": tmp_path / "hello.csv",
              "binary": tmp_path / "binary.csv", "port": free_port()}  # fmt: skip
    command = ["flow", "run", *(a.format(**values) for a in args), "--federation-dir", str(federation_dir)]
    result = runner.invoke(app, command)
    assert result.exit_code == code, result.output
    assert says in one_line_error(result.output)


def test_a_wrong_or_missing_passphrase_is_one_line(
    no_prefect: None, federation_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = [
        "flow",
        "run",
        "witness-checkpoints",
        "--member",
        "PE-INPE",
        "--federation-dir",
        str(federation_dir),
    ]
    monkeypatch.setenv("PXHUB_KEY_PASSPHRASE", "not-the-passphrase-of-these-keys")
    wrong = runner.invoke(app, command)
    assert wrong.exit_code == 2 and "wrong passphrase" in one_line_error(wrong.output)
    monkeypatch.delenv("PXHUB_KEY_PASSPHRASE")
    missing = runner.invoke(app, command)
    assert missing.exit_code == 2 and "PXHUB_KEY_PASSPHRASE" in one_line_error(missing.output)


def test_a_failed_precheck_never_imports_prefect(federation_dir: Path, tmp_path: Path) -> None:
    """In a fresh process: the command answers without Prefect ever being loaded."""
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('prefect loaded:', 'prefect' in sys.modules, file=sys.stderr))\n"
        "from hub.cli.main import app\n"
        "app(sys.argv[1:])\n"
    )
    command = ["flow", "run", "outbound-sync", "--member", "CO-INPEC", "--source", str(tmp_path / "none.csv"),
               "--federation-dir", str(federation_dir)]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", script, *command], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "prefect loaded: False" in done.stderr and "Traceback" not in done.stderr


async def test_the_health_check_passes_against_a_running_hub(hub: HubHandle, tmp_path: Path) -> None:
    from flows.precheck import check_inputs

    parameters = {"member": "CO-INPEC", "source": str(export(tmp_path)), "target": hub.target,
                  "federation_dir": str(hub.federation_dir)}  # fmt: skip
    await asyncio.to_thread(check_inputs, parameters)  # raises on any problem


@dataclasses.dataclass
class _Rotated:
    member_id: str
    new_key_id: str
    previous_valid_until: datetime


@dataclasses.dataclass
class _Report:
    member_id: str
    rotated: list[_Rotated]
    rejected: list[tuple[str, str, str]]
    sent_to: dict[str, int]


def test_results_are_tables_and_json_without_python_reprs() -> None:
    from flows.results import print_result, result_json

    when = datetime(2026, 3, 1, 3, 30, tzinfo=UTC)
    key_id = "CO-INPEC/encryption/0123456789abcdef0123"
    report = _Report(
        "CO-INPEC", [_Rotated("CO-INPEC", key_id, when)], [("m-1", "REPLAYED", "seen")], {"PE-INPE": 2}
    )
    console = Console(record=True, width=200)
    print_result("rotate-keys", report, console)
    text = console.export_text()
    assert "datetime" not in text and "{'" not in text and "[(" not in text
    assert "2026-03-01T03:30:00Z" in text and key_id in text and "REPLAYED" in text and "PE-INPE: 2" in text
    data = json.loads(result_json(report))
    assert data["rotated"] == [{"member_id": "CO-INPEC", "new_key_id": key_id,
                                "previous_valid_until": "2026-03-01T03:30:00Z"}]  # fmt: skip
    assert data["rejected"] == [["m-1", "REPLAYED", "seen"]] and data["sent_to"] == {"PE-INPE": 2}


def _flow_run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``pxhub flow run`` in a child process, as a user's shell runs it."""
    environment = {**os.environ, "PXHUB_KEY_PASSPHRASE": PASSPHRASE.decode(), **env}
    environment.pop("PREFECT_API_URL", None)
    environment["PREFECT_HOME"] = str(cwd / "prefect")
    return subprocess.run(
        [str(BIN / "pxhub"), "flow", "run", *args], cwd=cwd, env=environment, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip


@pytest.mark.prefect
async def test_outbound_sync_fails_loudly_when_too_many_rows_are_withheld(
    hub: HubHandle, tmp_path: Path
) -> None:
    """Every row withheld, or more than the share allowed: exit 1, the first issues, the count per
    reason and the path of the full report; a good run ends without Prefect's shutdown warning."""
    good = export(tmp_path, count=8)
    header, *rows = good.read_bytes().split(b"\r\n")
    emptied = [b";" + row.split(b";", 1)[1] if row and n < 6 else row for n, row in enumerate(rows)]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\r\n".join([header, *emptied]))  # 6 of 8 rows without their inmate number
    common = ["--member", "CO-INPEC", "--target", hub.target, "--federation-dir", str(hub.federation_dir),
              "--state-dir", str(tmp_path / "state"), "--recipient", "PE-INPE"]  # fmt: skip
    refused = await asyncio.to_thread(_flow_run, ["outbound-sync", "--source", str(bad), *common], tmp_path)
    assert refused.returncode == 1, refused.stderr
    assert "Traceback" not in refused.stdout + refused.stderr
    assert "error: outbound-sync failed: " in refused.stderr and "6 of 8 rows withheld (75%" in refused.stderr
    assert "MISSING_REQUIRED: 6" in refused.stdout  # the count per reason
    assert "│ 1   │ error    │ NUI" in refused.stdout  # the first issues
    issues = tmp_path / "state" / "CO-INPEC" / "outbound-issues.csv"
    assert str(issues) in refused.stdout
    assert len(issues.read_text().splitlines()) == 1 + 6  # header and every issue
    assert hub.store.stats().envelopes == 2  # the two good rows went; the run still failed

    allowed = await asyncio.to_thread(
        _flow_run, ["outbound-sync", "--source", str(bad), *common], tmp_path, PXHUB_MAX_WITHHELD_SHARE="0.8"
    )
    assert allowed.returncode == 0, allowed.stderr
    sent = await asyncio.to_thread(
        _flow_run, ["outbound-sync", "--source", str(good), "--json", *common], tmp_path
    )
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["accepted"] == 6  # the rows the bad export lacked
    assert "Still processing items" not in sent.stderr and "Traceback" not in sent.stderr
