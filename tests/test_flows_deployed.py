"""The flows as they run in production: served on a real Prefect server, and scaled out on Dask.

``pxhub flow serve`` runs here against a ``prefect server start`` of its own (temporary PREFECT_HOME,
its own SQLite database, a free loopback port), with a real hub of the test fixtures behind it; the
runs are triggered through Prefect's client API and checked by their effect on the hub and the sink.
The server's scheduler must create the upcoming runs of each deployment (Prefect 3.8.8's creates none
under SQLAlchemy 2.1, which is why the lock holds 2.0). The Dask test runs the sharded outbound sync on
a temporary two-process cluster through the CLI.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from typer.testing import CliRunner

from hub.cli.main import app
from tests.conftest import PASSPHRASE, HubHandle, start_test_hub

pytestmark = pytest.mark.prefect

BIN = Path(sys.executable).parent
ROWS = 12
T = TypeVar("T")
runner = CliRunner()


@pytest.fixture
async def hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Process:
    """A child process in its own session, its output in a file (shown when a wait fails)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.log = cwd / f"{name}.log"
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM to the whole group (the served runs are children), SIGKILL if it lingers."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        with contextlib.suppress(ProcessLookupError):  # children left behind by a stopped parent
            os.killpg(self.popen.pid, signal.SIGKILL)


async def until(check: Callable[[], Awaitable[T | None]], what: str, *processes: Process) -> T:
    """Poll ``check`` until it gives a value; a generous deadline only turns a hang into a failure."""
    deadline = time.monotonic() + 180
    while True:
        value = await check()
        if value:
            return value
        for process in processes:
            assert process.popen.poll() is None, f"{process.name} exited:\n{process.output()[-4000:]}"
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.output()[-4000:]}" for p in processes)
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        await asyncio.sleep(0.5)


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[tuple[str, Process]]:
    """``prefect server start`` on a free loopback port, its home and SQLite database in tmp_path."""
    home = tmp_path / "prefect-server"
    home.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("PREFECT_API_URL", None)
    command = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--no-ui"]
    server = Process("prefect-server", [*command, "--port", str(port)], env, tmp_path)
    try:
        yield f"http://127.0.0.1:{port}/api", server
    finally:
        server.stop()


@pytest.mark.slow  # a cold `prefect server start` migrates its database: 30-60 s, more on a busy machine
async def test_flow_serve_runs_deployments_on_a_real_prefect_server(
    prefect_server: tuple[str, Process], hub: HubHandle, tmp_path: Path
) -> None:
    import httpx
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterKey,
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterId,
    )
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    from adapters.samples.exports import write_export
    from flows.sink import NationalSink

    api, server = prefect_server

    async def healthy() -> bool:
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"{api}/health", timeout=2)).status_code == 200
        except httpx.TransportError:
            return False

    await until(healthy, "the Prefect server", server)

    exports, sinks = tmp_path / "exports", tmp_path / "sinks"
    written = write_export("CO-INPEC", tmp_path / "raw", count=ROWS, seed=3)
    (exports / "CO-INPEC").mkdir(parents=True)
    written.replace(exports / "CO-INPEC" / "export.csv")  # where the national system drops it
    serve_env = {
        **os.environ,
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(tmp_path / "prefect-client"),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",  # pick triggered runs up at once (default 10 s)
        "PXHUB_KEY_PASSPHRASE": PASSPHRASE.decode(),
    }
    served = Process(
        "flow-serve",
        [str(BIN / "pxhub"), "flow", "serve", "--member", "CO-INPEC", "--member", "PE-INPE",
         "--flow", "outbound-sync", "--flow", "inbound-sync", "--target", hub.target,
         "--federation-dir", str(hub.federation_dir), "--exports-dir", str(exports),
         "--sinks-dir", str(sinks), "--state-dir", str(tmp_path / "state")],
        serve_env,
        tmp_path,
    )  # fmt: skip
    try:
        async with PrefectClient(api=api) as client:

            async def deployment(name: str) -> Any:
                try:
                    return await client.read_deployment_by_name(name)
                except ObjectNotFound:
                    return None

            outbound = await until(
                lambda: deployment("outbound-sync/outbound-sync-co-inpec"), "the deployments", served
            )
            inbound = await until(lambda: deployment("inbound-sync/inbound-sync-pe-inpe"), "inbound", served)
            assert "serving 4 deployments" in served.output()
            assert outbound.parameters["source"] == str(exports / "CO-INPEC" / "export.csv")
            assert PASSPHRASE.decode() not in str(outbound.parameters)  # secrets stay in the environment
            assert outbound.schedules[0].schedule.interval.total_seconds() == 3600
            assert inbound.schedules[0].schedule.interval.total_seconds() == 300

            async def upcoming() -> list[Any]:  # the scheduler's runs, an hour apart
                runs = await client.read_flow_runs(
                    deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[outbound.id]))
                )
                # A scheduled run always has its expected start; the schema field is optional.
                starts = (r.expected_start_time for r in runs if r.auto_scheduled)
                times = sorted(cast("Iterator[datetime]", starts))
                return times if len(times) >= 2 else []

            times = await until(upcoming, "scheduled runs", served)
            assert {(b - a).total_seconds() for a, b in itertools.pairwise(times)} == {3600}

            sent = await cast(  # async_dispatch: in async code run_deployment returns the coroutine
                "Awaitable[FlowRun]",
                run_deployment(
                    "outbound-sync/outbound-sync-co-inpec", client=client, timeout=180, poll_interval=1
                ),
            )
            assert sent.state is not None and sent.state.is_completed(), (sent.state, served.output()[-4000:])
            assert hub.store.stats().envelopes == ROWS * 2  # to PE-INPE and MX-OADPRS
            artifacts = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["outbound-sync-co-inpec-counts"])),
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[sent.id])),
            )
            assert len(artifacts) == 1 and "accepted" in str(artifacts[0].data)

            received = await cast(
                "Awaitable[FlowRun]",
                run_deployment(
                    "inbound-sync/inbound-sync-pe-inpe", client=client, timeout=180, poll_interval=1
                ),
            )
            assert received.state is not None and received.state.is_completed(), received.state
            assert NationalSink("PE-INPE", sinks / "PE-INPE").rows() == ROWS
            assert hub.store.stats().mailbox_acknowledged == ROWS
    finally:
        served.stop()


def test_every_flow_pickles_for_served_runs_and_dask_workers() -> None:
    """A served run starts its flow in a spawned process and Dask ships tasks to workers, both pickled.

    A task function pickled by value drags the module globals it uses (a protobuf enum wrapper cannot
    be pickled), so this guards each registered flow and the outbound tasks.
    """
    import cloudpickle  # type: ignore[import-untyped]  # ships neither stubs nor py.typed

    from flows.cli import FLOWS, load_flow
    from flows.outbound import seal_and_submit_batch, sync_shard

    for name in FLOWS:
        assert cloudpickle.loads(cloudpickle.dumps(load_flow(name))).name == name
    for task in (sync_shard, seal_and_submit_batch):
        assert cloudpickle.loads(cloudpickle.dumps(task)).fn is task.fn


def test_flow_serve_serves_the_flows_asked_for(tmp_path: Path) -> None:
    import typer

    from flows.cli import build_deployments

    dirs = (tmp_path / "fed", tmp_path / "exports", tmp_path / "sinks", tmp_path / "s")
    chosen = build_deployments(["PE-INPE", "GT-DGSP"], "hub:50051", *dirs, ["inbound-sync"])
    assert sorted(d.name for d in chosen) == ["inbound-sync-gt-dgsp", "inbound-sync-pe-inpe"]
    with pytest.raises(typer.BadParameter, match="not a served flow: inbound"):
        build_deployments(["PE-INPE"], "hub:50051", *dirs, ["inbound"])


def test_flow_run_refuses_a_task_runner_without_shards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    common = ["flow", "run", "outbound-sync", "--member", "GT-DGSP", "--source", str(tmp_path / "x.xml")]
    no_shards = runner.invoke(app, [*common, "--task-runner", "dask"])
    assert no_shards.exit_code == 2 and "--shards" in no_shards.output
    workers_alone = runner.invoke(app, [*common, "--shards", "2", "--dask-workers", "2"])
    assert workers_alone.exit_code == 2 and "--task-runner dask" in workers_alone.output
    unknown = runner.invoke(app, [*common, "--shards", "2", "--task-runner", "ray"])
    assert unknown.exit_code == 2 and "thread, dask" in unknown.output


async def test_sharded_outbound_sync_on_a_local_dask_cluster(
    prefect_harness: None, hub: HubHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.samples.exports import write_export
    from flows.outbound import outbound_sync

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))  # `flow run` would set var/prefect
    source = write_export("GT-DGSP", tmp_path / "exports", count=9, seed=1, id_error_rate=0.25)
    state = tmp_path / "s"
    args = ["--target", hub.target, "--federation-dir", str(hub.federation_dir), "--state-dir", str(state)]
    command = ["flow", "run", "outbound-sync", "--member", "GT-DGSP", "--source", str(source), *args,
               "--shards", "3", "--batch-size", "2",
               "--task-runner", "dask", "--dask-workers", "2"]  # fmt: skip
    import flows.runners

    made: list[object] = []
    real_dask_runner = flows.runners.dask_task_runner

    def dask_runner(*args: Any, **kwargs: Any) -> Any:
        made.append(real_dask_runner(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(flows.runners, "dask_task_runner", dask_runner)
    # In a thread: the hub serves on this test's event loop while the command runs its own.
    result = await asyncio.to_thread(runner.invoke, app, command)
    assert result.exit_code == 0, result.output
    assert [type(r).__name__ for r in made] == ["DaskTaskRunner"]  # the shards ran on the Dask runner
    assert hub.store.stats().envelopes == 18  # 9 rows to PE-INPE and EC-SNAI, each once
    with sqlite3.connect(state / "GT-DGSP" / "outbox.sqlite") as db:
        outcomes = dict(db.execute("SELECT outcome, count(*) FROM outbox GROUP BY outcome").fetchall())
    assert outcomes == {"ACCEPTED": 18}  # no DUPLICATE, no rejection: each shard sent only its rows
    fed = str(hub.federation_dir)
    again = await outbound_sync(
        "GT-DGSP", str(source), target=hub.target, federation_dir=fed, state_dir=str(state)
    )
    assert (again.accepted, again.already_sent) == (0, 18)


def test_outbox_keeps_the_first_seal_of_each_message(tmp_path: Path) -> None:
    """A batch where some seals are new and some were kept before: the new ones are kept, the
    others read back (the read-back is skipped only when every seal of the batch is new)."""
    from flows.common import Outbox

    outbox = Outbox(tmp_path / "outbox.sqlite")
    try:
        first = outbox.keep([("m-1", b"first seal", ("PE-INPE",))])
        second = outbox.keep([("m-1", b"second seal", ("PE-INPE",)), ("m-2", b"other", ("PE-INPE",))])
    finally:
        outbox.close()
    assert first == {"m-1": b"first seal"}
    assert second == {"m-1": b"first seal", "m-2": b"other"}


async def test_two_runs_keeping_the_same_message_send_the_first_seal(
    hub: HubHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduled and a manual outbound run of one export: the second run, which read the outbox
    before the first kept its seals, seals again but sends the bytes kept first, so the hub answers
    DUPLICATE instead of refusing a second envelope under the same id as REPLAYED."""
    from adapters.samples.synthetic import generate_profiles
    from flows.common import Outbox
    from flows.outbound import seal_and_submit

    client = await hub.client("GT-DGSP")
    outbox = Outbox(tmp_path / "outbox.sqlite")
    try:
        profiles = list(generate_profiles("GT-DGSP", 3, seed=2))
        first = await seal_and_submit(client, outbox, profiles, ("PE-INPE",), b"k" * 32)
        assert (first.sealed, first.accepted) == (3, 3)
        monkeypatch.setattr(outbox, "outcome", lambda message_id: ("", None))  # read before the keep
        second = await seal_and_submit(client, outbox, profiles, ("PE-INPE",), b"k" * 32)
        assert (second.sealed, second.duplicates, second.accepted, second.rejected) == (3, 3, 0, [])
    finally:
        outbox.close()
        await client.close()
    assert hub.store.stats().envelopes == 3
