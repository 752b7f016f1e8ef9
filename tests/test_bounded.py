"""One hub owns its port and its data folder; what the hub and members keep on disk is private."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from hub.identity.caller import Caller
from hub.runtime.private import DataDirLock, DataDirLockedError
from hub.server.signals import MailboxSignals
from hub.server.submit_batcher import SubmitBatcher
from hub.settings import HubSettings
from pxhub.v1 import envelope_pb2
from tests.conftest import start_test_hub


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual 022 umask: files would be world-readable unless the code sets their modes."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:99999", ":50051", "127.0.0.1:", "::1:50051"])
def test_listen_must_be_host_and_port(listen: str) -> None:
    with pytest.raises(ValidationError, match=r"HOST:PORT|brackets"):
        HubSettings(listen=listen)


@pytest.mark.parametrize("listen", ["127.0.0.1:0", "localhost:50051", "[::1]:50551", "0.0.0.0:65535"])
def test_good_listen_addresses_pass(listen: str) -> None:
    assert HubSettings(listen=listen).listen == listen


def test_serve_refuses_a_bad_listen_in_one_line(tmp_path: Path) -> None:
    from hub.cli.main import app

    result = CliRunner().invoke(app, ["serve", "--listen", "nonsense", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "setting listen" in lines[0] and "Traceback" not in result.output


async def test_a_second_hub_cannot_take_the_port_of_the_first(federation_dir: Path) -> None:
    first = await start_test_hub(federation_dir)
    try:
        with pytest.raises(OSError, match="in use"):
            await start_test_hub(federation_dir, listen=f"127.0.0.1:{first.running.port}")  # type: ignore[attr-defined]
    finally:
        await first.running.stop(grace=0.1)  # type: ignore[attr-defined]


def test_one_hub_per_data_folder_in_this_process_and_in_another(tmp_path: Path) -> None:
    lock = DataDirLock(tmp_path / "data")
    with pytest.raises(DataDirLockedError, match=f"pid {os.getpid()}"):
        DataDirLock(tmp_path / "data")
    holder = (
        "import sys, time; from pathlib import Path; from hub.runtime.private import DataDirLock;"
        "DataDirLock(Path(sys.argv[1])); print('held', flush=True); time.sleep(30)"
    )
    lock.release()
    child = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path / "data")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(DataDirLockedError, match=f"pid {child.pid}"):
            DataDirLock(tmp_path / "data")
    finally:
        child.kill()
        child.wait()
    DataDirLock(tmp_path / "data").release()  # the kernel released the dead process's lock
    assert mode(tmp_path / "data") == 0o700 and mode(tmp_path / "data" / ".pxhub-hub.lock") == 0o600


def test_the_hub_database_and_its_journal_are_private(tmp_path: Path, loose_umask: None) -> None:
    from hub.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'data' / 'pxhub.db'}")
    try:
        store.append_audit([b'{"entry": 1}'])
        files = sorted((tmp_path / "data").glob("pxhub.db*"))
        assert {f.name for f in files} >= {"pxhub.db", "pxhub.db-wal", "pxhub.db-shm"}
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(tmp_path / "data") == 0o700
    finally:
        store.close()


def test_member_state_outbox_and_sink_are_private(tmp_path: Path, loose_umask: None) -> None:
    from flows.common import Outbox, member_state_dir, message_id_key, write_json_atomically
    from flows.sink import NationalSink

    state = member_state_dir(str(tmp_path / "flows"), "PE-INPE")
    message_id_key(str(tmp_path / "flows"), "PE-INPE")
    outbox = Outbox(state / "outbox.sqlite")
    outbox.keep([("m1", b"envelope", ("CO-INPEC",))])
    outbox.close()
    sink = NationalSink("PE-INPE", tmp_path / "sinks" / "PE-INPE")
    write_json_atomically(sink.folder / "legal-hold" / "m1.json", {"x": 1})
    assert mode(state) == mode(sink.folder) == mode(sink.folder / "legal-hold") == 0o700
    for path in (state / "message-id.key", state / "outbox.sqlite", sink.folder / "legal-hold" / "m1.json"):
        assert mode(path) == 0o600, path
    assert all(mode(p) == 0o600 for p in state.glob("outbox.sqlite*"))


# --- the Submit writer serves members fairly ---------------------------------------------------


class RecordingExchange:
    """Stands in for Exchange.check and Exchange.commit: accepts everything and records each
    transaction (its commit) and each check.

    Each test envelope carries its label in ``ciphertext``; nothing here opens or checks it.
    """

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.checks: list[tuple[str, list[str]]] = []
        self.fail_on_call = fail_on_call

    def check(self, caller: Caller, envelopes: list[envelope_pb2.Envelope]) -> RecordedBatch:
        labels = [e.ciphertext.decode() for e in envelopes]
        self.checks.append((caller.id, labels))
        return RecordedBatch(caller.id, labels)

    def commit(self, batch: RecordedBatch) -> list[envelope_pb2.Receipt]:
        self.calls.append((batch.member, batch.labels))
        if self.fail_on_call == len(self.calls):
            raise RuntimeError("disk full")
        return [
            envelope_pb2.Receipt(message_id=label, outcome=envelope_pb2.Receipt.OUTCOME_ACCEPTED)
            for label in batch.labels
        ]


@dataclass
class RecordedBatch:
    member: str
    labels: list[str]

    def part(self, ranges: list[tuple[int, int]]) -> RecordedBatch:
        return RecordedBatch(self.member, [x for start, end in ranges for x in self.labels[start:end]])


def _envelopes(prefix: str, count: int) -> list[envelope_pb2.Envelope]:
    return [envelope_pb2.Envelope(ciphertext=f"{prefix}-{i}".encode()) for i in range(count)]


async def _serve(batcher: SubmitBatcher) -> asyncio.Task[None]:
    return asyncio.get_running_loop().create_task(batcher.run())


async def test_a_small_request_waits_for_one_share_of_a_flood_not_for_the_flood() -> None:
    exchange = RecordingExchange()
    batcher = SubmitBatcher(exchange, MailboxSignals(), fair_share=4, max_share=16)  # type: ignore[arg-type]
    flood = batcher.enqueue(Caller("member", "MX-OADPRS"), _envelopes("flood", 40))
    small = batcher.enqueue(Caller("member", "UY-INR"), _envelopes("small", 2))
    writer = await _serve(batcher)
    try:
        receipts, _ = await asyncio.wait_for(small, 5)
        assert [r.message_id for r in receipts] == ["small-0", "small-1"]
        assert [member for member, _ in exchange.calls[:2]] == ["MX-OADPRS", "UY-INR"]
        assert len(exchange.calls[0][1]) == 4  # one fair share of the flood went first, no more
        flood_receipts, summary = await asyncio.wait_for(flood, 5)
    finally:
        writer.cancel()
    assert [r.message_id for r in flood_receipts] == [f"flood-{i}" for i in range(40)]
    assert summary.accepted == 40
    # Once alone, the flood is committed in larger transactions again.
    assert max(len(ids) for member, ids in exchange.calls if member == "MX-OADPRS") == 16


async def test_members_take_turns_while_both_have_work() -> None:
    exchange = RecordingExchange()
    batcher = SubmitBatcher(exchange, MailboxSignals(), fair_share=3, max_share=3)  # type: ignore[arg-type]
    first = batcher.enqueue(Caller("member", "CO-INPEC"), _envelopes("co", 9))
    second = batcher.enqueue(Caller("member", "PE-INPE"), _envelopes("pe", 9))
    writer = await _serve(batcher)
    try:
        await asyncio.wait_for(asyncio.gather(first, second), 5)
    finally:
        writer.cancel()
    assert [member for member, _ in exchange.calls] == ["CO-INPEC", "PE-INPE"] * 3


async def test_a_store_failure_reaches_every_request_in_the_share_and_the_rest_still_commits() -> None:
    exchange = RecordingExchange(fail_on_call=1)
    batcher = SubmitBatcher(exchange, MailboxSignals(), fair_share=10, max_share=10)  # type: ignore[arg-type]
    co = Caller("member", "CO-INPEC")
    failed_a = batcher.enqueue(co, _envelopes("a", 3))
    failed_b = batcher.enqueue(co, _envelopes("b", 3))
    later = batcher.enqueue(Caller("member", "PE-INPE"), _envelopes("pe", 2))
    writer = await _serve(batcher)
    try:
        for future in (failed_a, failed_b):
            with pytest.raises(RuntimeError, match="disk full"):
                await asyncio.wait_for(future, 5)
        receipts, _ = await asyncio.wait_for(later, 5)
    finally:
        writer.cancel()
    assert [r.message_id for r in receipts] == ["pe-0", "pe-1"]
    assert batcher.queued(co) == 0


async def test_the_next_share_is_checked_while_the_previous_one_commits() -> None:
    """The first commit waits until the second share's check ran: only an overlapping writer
    lets it through (a serial one would time out and record the commit as not overlapped)."""
    second_checked = threading.Event()
    overlapped: list[bool] = []

    class Overlapping(RecordingExchange):
        def check(self, caller: Caller, envelopes: list[envelope_pb2.Envelope]) -> RecordedBatch:
            batch = super().check(caller, envelopes)
            if len(self.checks) == 2:
                second_checked.set()
            return batch

        def commit(self, batch: RecordedBatch) -> list[envelope_pb2.Receipt]:
            if not self.calls:
                overlapped.append(second_checked.wait(timeout=5))
            return super().commit(batch)

    exchange = Overlapping()
    batcher = SubmitBatcher(exchange, MailboxSignals(), fair_share=2, max_share=2)  # type: ignore[arg-type]
    first = batcher.enqueue(Caller("member", "CO-INPEC"), _envelopes("co", 2))
    second = batcher.enqueue(Caller("member", "PE-INPE"), _envelopes("pe", 2))
    writer = await _serve(batcher)
    try:
        await asyncio.wait_for(asyncio.gather(first, second), 10)
    finally:
        writer.cancel()
    assert overlapped == [True]
    assert [member for member, _ in exchange.calls] == ["CO-INPEC", "PE-INPE"]


async def test_a_split_request_whose_first_share_failed_is_not_committed_further() -> None:
    exchange = RecordingExchange(fail_on_call=1)
    batcher = SubmitBatcher(exchange, MailboxSignals(), fair_share=3, max_share=3)  # type: ignore[arg-type]
    co = Caller("member", "CO-INPEC")
    split = batcher.enqueue(co, _envelopes("big", 5))  # shares of 3 and 2
    after = batcher.enqueue(co, _envelopes("after", 1))
    writer = await _serve(batcher)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            await asyncio.wait_for(split, 5)
        receipts, _ = await asyncio.wait_for(after, 5)
    finally:
        writer.cancel()
    assert [r.message_id for r in receipts] == ["after-0"]
    committed = [label for _, labels in exchange.calls[1:] for label in labels]
    assert committed == ["after-0"]  # the rest of the failed request never reached the store
