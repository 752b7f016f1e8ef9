"""Shared pieces of the benchmark scenarios: result tables, JSON output, subprocess servers."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from hub.sdk.client import MemberClient
    from pxhub.v1 import exchange_pb2

RESULTS_DIR = Path(__file__).parent / "results"


@dataclass
class Measurement:
    name: str
    unit: str
    rounds: list[float]
    baseline_of: str = ""
    notes: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)


@dataclass
class ScenarioResult:
    scenario: str
    parameters: dict[str, Any]
    measurements: list[Measurement] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    #: Further figures for the results file only (not printed), e.g. one row per rate.
    figures: dict[str, Any] = field(default_factory=dict)

    def print(self, console: Console | None = None) -> None:
        console = console or Console()
        table = Table(title=f"{self.scenario} ({', '.join(f'{k}={v}' for k, v in self.parameters.items())})")
        for column in ("measurement", "median", "unit", "rounds"):
            table.add_column(column)
        for m in self.measurements:
            table.add_row(m.name, f"{m.median:,.1f}", m.unit, ", ".join(f"{r:,.0f}" for r in m.rounds))
        for name, ratio in self.ratios.items():
            table.add_row(name, f"{ratio:.2f}", "ratio", "")
        for name, target in self.targets.items():
            table.add_row(f"target {name}", target, "", "")
        console.print(table)

    def write(self) -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{self.scenario}.json"
        data = asdict(self)
        data["medians"] = {m.name: m.median for m in self.measurements}
        data["machine"] = {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "at": datetime.now(UTC).isoformat(),
        }
        path.write_text(json.dumps(data, indent=2))
        return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_process(
    args: list[str], log_path: Path, env: dict[str, str] | None = None, ready_port: int | None = None
) -> subprocess.Popen[bytes]:
    """Start ``python args...`` with its output in ``log_path``; wait until ``ready_port`` accepts."""
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    if ready_port is not None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", ready_port)) == 0:
                    return process
            time.sleep(0.05)
        process.kill()
        raise TimeoutError(f"server on port {ready_port} did not start")
    return process


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / ticks, sum(values[:8]) / ticks


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (all threads), from /proc."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_load() -> float:
    """The machine's one-minute load average (how busy the shared cores were)."""
    return os.getloadavg()[0]


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class HubProcess:
    """A hub started with ``pxhub serve`` in its own process for a scenario."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def new_federation(prefix: str) -> tuple[Path, Path, bytes]:
    """A work folder with a fresh federation and its signed default policy: (work, federation, passphrase)."""
    import secrets
    import tempfile

    from hub.dev.federation import init_federation
    from hub.policy import sign_default_policy

    work = Path(tempfile.mkdtemp(prefix=prefix))
    federation = work / "federation"
    passphrase = secrets.token_urlsafe(18).encode()
    init_federation(federation, passphrase)
    sign_default_policy(federation, passphrase)  # as `pxhub pki init` does; without it the hub denies all
    return work, federation, passphrase


def start_hub_process(
    federation: Path, passphrase: bytes, data_dir: Path, log_path: Path, env: dict[str, str] | None = None
) -> HubProcess:
    """``pxhub serve`` on a free loopback port with JSON logs in ``log_path``; returns once it listens."""
    port = free_port()
    process = start_process(
        [
            "-m",
            "hub.cli.main",
            "serve",
            "--federation-dir",
            str(federation),
            "--listen",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(data_dir),
            "--log-format",
            "json",
        ],
        log_path,
        {"PXHUB_KEY_PASSPHRASE": passphrase.decode(), **(env or {})},
        ready_port=port,
    )
    return HubProcess(process, port)


def single_envelope_requests(
    sender: MemberClient, partner: str, count: int, seed: int
) -> tuple[list[exchange_pb2.SubmitRequest], list[str]]:
    """``count`` sealed inmate security profiles for ``partner``, one per SubmitRequest, and their
    message ids: everything a steady-rate sender needs, built before the clock starts."""
    from flows.samples import ExchangePlan, outgoing_records
    from pxhub.v1 import envelope_pb2, exchange_pb2

    plan = ExchangePlan(
        sender.member_id, seed=seed, profiles_per_partner=count, partners=(partner,), audits=0
    )
    envelopes = [
        sender.seal(o.record, o.metadata, o.recipients)
        for o in outgoing_records(plan)
        if o.record.HasField("inmate_security_profile")
    ][:count]
    ids = [
        envelope_pb2.RecordMetadata.FromString(
            envelope_pb2.EnvelopeHeader.FromString(e.header).metadata
        ).message_id
        for e in envelopes
    ]
    return [exchange_pb2.SubmitRequest(envelopes=[e]) for e in envelopes], ids
