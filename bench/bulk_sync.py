"""Regional bulk sync: every member's national export, end to end into the recipients' national sinks.

The open target is a full regional sync of about 530,000 inmate security profiles (the seven
countries' combined prison population) in two minutes on the shared 2-core machine. Each country's
share follows its real prison population (``POPULATION``); ``--count N`` scales the total.

* **Preparation** (not timed, reported apart): each member's native export file is written with
  ``adapters.samples.exports.write_export``.
* **Timed, end to end**: one process per member runs the outbound sync (adapter parse and validate,
  projection to the purpose, seal to ONE recipient, outbox, submit in batches) and one process per
  member runs the inbound sync (fetch, verify, open, render to the national format, atomic write,
  acknowledge, cursor), all at once, against a real ``pxhub serve`` on SQLite. They call the very
  functions the Prefect flows call (``export_records``, ``seal_and_submit_batch``,
  ``receive_batch``), without the Prefect engine; recipients alternate row by row between the
  member's two bilateral partners, so each profile is one envelope. The clock stops when the last
  recipient has drained its mailbox after every sender finished.
* **Checked afterwards**: every message id each sender's outbox says was ACCEPTED for a recipient is
  in that recipient's sink exactly once, from that sender, and the national files parse back to
  as many rows.
* **Baseline, same run**: the crypto floor, i.e. the CPU time of the signatures and key wraps each
  profile needs whatever the code around them (two Ed25519 signs: envelope and receipt; three
  verifies: hub, recipient, hub on the receipt; one HPKE wrap and unwrap; AES-256-GCM both ways).

Stage figures come from wrapping the client, outbox and sink methods of each process with a clock
(wall and thread CPU time); hub and machine CPU come from ``/proc``.

    .venv/bin/python -m bench bulk_sync --count 20000
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import multiprocessing
import os
import queue
import resource
import shutil
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing.context import SpawnContext
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, Final, TypeVar

from rich.console import Console
from rich.table import Table

from bench.common import (
    Measurement,
    ScenarioResult,
    machine_cpu,
    new_federation,
    peak_rss_mb,
    process_cpu,
    start_hub_process,
)

T = TypeVar("T")

# Prison population per member country (people held, latest public national totals). Only Peru's
# figure is in the project's reference notes (domain model, 94,000 via gestion.pe); the others are
# the national statistics of each system: Colombia INPEC intramural 2024 (~103,000), Guatemala DGSP
# (~25,000, World Prison Brief), Ecuador SNAI July 2024 (33,106), Uruguay INR 2024 (~16,000), the
# Dominican Republic (26,600, World Prison Brief), Mexico federal + state systems at the end of 2024
# (236,773, INEGI CNSIPEE 2025; OADPRS itself runs the federal centres, ~20,700 of them).
POPULATION: Final[dict[str, int]] = {
    "CO-INPEC": 103_000,
    "PE-INPE": 94_000,
    "GT-DGSP": 25_000,
    "EC-SNAI": 33_106,
    "UY-INR": 16_000,
    "DO-DGSPC": 26_600,
    "MX-OADPRS": 236_773,
}
DEFAULT_COUNT: Final = 530_000
TARGET_SECONDS: Final = 120.0
SEED: Final = 2025
POLL_SECONDS: Final = 0.1
TRANSIENT_RETRIES: Final = 30  # a bulk sync outlasts the per-member token bucket; retried, counted


def allocate(total: int) -> dict[str, int]:
    """``total`` profiles shared out in proportion to ``POPULATION`` (largest remainder, >= 1 each)."""
    if total < len(POPULATION):
        raise ValueError(f"count must be at least {len(POPULATION)} (one profile per member)")
    people = sum(POPULATION.values())
    exact = {m: total * n / people for m, n in POPULATION.items()}
    counts = {m: max(1, int(x)) for m, x in exact.items()}
    for member in sorted(exact, key=lambda m: int(exact[m]) - exact[m]):
        if sum(counts.values()) >= total:
            break
        counts[member] += 1
    while sum(counts.values()) > total:  # only when the minimum of one pushed it over
        counts[max(counts, key=counts.__getitem__)] -= 1
    return counts


# -- per-process stage clock -------------------------------------------------------------------


@dataclass
class StageClock:
    """Wall and thread-CPU seconds per stage; wraps methods of the objects the flow code calls."""

    wall: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    cpu: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.wall[name] += time.perf_counter() - wall
            self.cpu[name] += time.thread_time() - cpu
            self.calls[name] += 1

    def iterate(self, items: Iterable[T], name: str) -> Iterator[T]:
        """Time each step of ``items`` (the parse happens inside ``next``)."""
        iterator = iter(items)
        while True:
            with self.stage(name):
                item = next(iterator, _END)
            if item is _END:
                return
            yield item  # type: ignore[misc]

    def wrap(self, owner: object, method: str, name: str) -> None:
        """Replace ``owner.method`` by a timed version (sync, coroutine or async generator)."""
        original: Callable[..., Any] = getattr(owner, method)
        wrapper: Callable[..., Any]
        if inspect.isasyncgenfunction(original):

            async def agen(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
                iterator = original(*args, **kwargs).__aiter__()
                while True:
                    with self.stage(name):
                        try:
                            item = await iterator.__anext__()
                        except StopAsyncIteration:
                            return
                    yield item

            wrapper = agen
        elif inspect.iscoroutinefunction(original):

            async def coro(*args: Any, **kwargs: Any) -> Any:
                with self.stage(name):
                    return await original(*args, **kwargs)

            wrapper = coro
        else:

            def plain(*args: Any, **kwargs: Any) -> Any:
                with self.stage(name):
                    return original(*args, **kwargs)

            wrapper = plain
        setattr(owner, method, functools.wraps(original)(wrapper))


_END: Final = object()


async def retrying(call: Callable[[], Awaitable[T]], retries: Counter[str]) -> T:
    """Retry transient gRPC refusals (as the flows' task retries do, with shorter waits), counted."""
    from flows.retry import grpc_code, is_transient

    delay = 0.25
    for attempt in range(TRANSIENT_RETRIES + 1):
        try:
            return await call()
        except Exception as error:
            if attempt == TRANSIENT_RETRIES or not is_transient(error):
                raise
            code = grpc_code(error)
            retries[code.name if code else "?"] += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 4.0)
    raise AssertionError("unreachable")


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Report:
    """What a member process sends back: its counts, stage clock, CPU and times."""

    role: str
    member: str
    counts: dict[str, Any]
    clock: StageClock
    retries: Counter[str]
    started: float
    finished: float
    first_record: float
    cpu_seconds: float
    peak_rss_mb: float


# -- the member processes ----------------------------------------------------------------------


def outbound_process(
    member: str,
    source: str,
    target: str,
    federation_dir: str,
    state_dir: str,
    batch: int,
    passphrase: str,
    start: Event,
    reports: multiprocessing.Queue[Any],
) -> None:
    """One member's outbound sync in its own process (as on the member's own machine)."""
    _in_process(
        reports,
        member,
        "outbound",
        passphrase,
        _outbound(member, source, target, federation_dir, state_dir, batch, start, reports),
    )


def inbound_process(
    member: str,
    sink: str,
    target: str,
    federation_dir: str,
    batch: int,
    passphrase: str,
    start: Event,
    outbound_done: Event,
    reports: multiprocessing.Queue[Any],
) -> None:
    """One member's inbound sync in its own process; drains its mailbox once every sender is done."""
    _in_process(
        reports,
        member,
        "inbound",
        passphrase,
        _inbound(member, sink, target, federation_dir, batch, start, outbound_done, reports),
    )


def _in_process(
    reports: multiprocessing.Queue[Any], member: str, role: str, passphrase: str, work: Awaitable[Report]
) -> None:
    os.environ["PXHUB_KEY_PASSPHRASE"] = passphrase  # flows.common.connect reads it, as the flows do
    try:
        reports.put(("report", role, member, asyncio.run(work)))  # type: ignore[arg-type]
    except BaseException:
        reports.put(("error", role, member, traceback.format_exc()))


async def _outbound(
    member: str,
    source: str,
    target: str,
    federation_dir: str,
    state_dir: str,
    batch: int,
    start: Event,
    reports: multiprocessing.Queue[Any],
) -> Report:
    from flows.common import Outbox, batched, connect, member_state_dir, message_id_key
    from flows.outbound import OutboundSyncResult, export_records, issues_path, merge, seal_and_submit_batch
    from flows.plans import PARTNERS

    clock, retries = StageClock(), Counter[str]()
    result = OutboundSyncResult(member, source)
    partners = PARTNERS[member]
    id_key = message_id_key(state_dir, member)
    outbox = Outbox(member_state_dir(state_dir, member) / "outbox.sqlite")
    client = await connect(member, target, federation_dir)
    clock.wrap(client, "project", "project")
    clock.wrap(client, "seal", "seal")
    clock.wrap(client, "submit", "submit (until receipts)")
    for method in ("outcome", "keep", "record"):
        clock.wrap(outbox, method, "outbox (SQLite, fsync)")
    reports.put(("ready", "outbound", member, None))
    await asyncio.to_thread(start.wait)
    started, cpu, first = time.monotonic(), _process_cpu(), 0.0
    try:
        issues = issues_path(state_dir, member)
        rows = clock.iterate(export_records(source, member, result, issues), "parse + validate")
        # Rows alternate between the two partners: row i goes to partners[i % 2], one envelope each.
        for rows_batch in batched(rows, batch * len(partners)):
            for offset, recipient in enumerate(partners):
                part = rows_batch[offset :: len(partners)]
                if not part:
                    continue
                call = functools.partial(seal_and_submit_batch.fn, client, outbox, part, (recipient,), id_key)
                with clock.stage("seal-and-submit-batch (flow task)"):
                    merge(result, await retrying(call, retries))
                first = first or time.monotonic()
    finally:
        await client.close()
        outbox.close()
    counts = asdict(result)
    counts["row_issue_reasons"] = dict(Counter(issue[3] for issue in result.row_issues))
    counts["rejected_reasons"] = dict(Counter(reason for _, reason, _ in result.rejected))
    del counts["row_issues"], counts["rejected"]
    return Report(
        "outbound",
        member,
        counts,
        clock,
        retries,
        started,
        time.monotonic(),
        first,
        _process_cpu() - cpu,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


async def _inbound(
    member: str,
    sink_dir: str,
    target: str,
    federation_dir: str,
    batch: int,
    start: Event,
    outbound_done: Event,
    reports: multiprocessing.Queue[Any],
) -> Report:
    from flows.common import connect
    from flows.inbound import InboundSyncResult, merge, receive_batch
    from flows.sink import NationalSink

    clock, retries = StageClock(), Counter[str]()
    sink = NationalSink(member, sink_dir)
    total = InboundSyncResult(member, sink_dir, cursor=sink.cursor())
    client = await connect(member, target, federation_dir)
    clock.wrap(client, "fetch", "fetch")
    clock.wrap(client, "open", "verify + open + guard")
    clock.wrap(client, "receipt_for", "sign receipt")
    clock.wrap(client, "acknowledge", "acknowledge (until answered)")
    clock.wrap(sink, "write_batch", "render + atomic write")
    clock.wrap(sink, "save_cursor", "cursor (fsync)")
    clock.wrap(sink, "discard_uncommitted", "discard uncommitted (scan)")
    reports.put(("ready", "inbound", member, None))
    await asyncio.to_thread(start.wait)
    started, cpu, first = time.monotonic(), _process_cpu(), 0.0
    try:
        while True:
            drained = outbound_done.is_set()  # read before the fetch: nothing new can follow it
            call = functools.partial(receive_batch.fn, client, sink, batch)
            with clock.stage("receive-batch (flow task)"):
                part = await retrying(call, retries)
            merge(total, part)
            if part.received and not first:
                first = time.monotonic()
            if part.received < batch:
                if drained:
                    break
                if not part.received:
                    await asyncio.sleep(POLL_SECONDS)
    finally:
        await client.close()
    counts = asdict(total)
    counts["refused_reasons"] = dict(Counter(reason for _, reason, _ in total.refused))
    del counts["refused"]
    return Report(
        "inbound",
        member,
        counts,
        clock,
        retries,
        started,
        time.monotonic(),
        first,
        _process_cpu() - cpu,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


# -- baseline: the crypto floor ----------------------------------------------------------------


def crypto_floor(count: int, sample: int = 2000) -> dict[str, float]:
    """CPU seconds the per-profile cryptography needs for ``count`` profiles, alone, on 2 cores.

    One profile costs two Ed25519 signs (the envelope, the delivery receipt), three verifies (the
    hub on the header, the recipient, the hub on the receipt), one HPKE wrap and unwrap of the
    32-byte content key and AES-256-GCM both ways over a ~1.5 KB record. Measured on ``sample``
    profiles in one thread (CPU time, so other load on the shared machine does not count).
    """
    from cryptography.hazmat.primitives import hpke
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from bench.envelope_rates import sample_record

    plaintext = sample_record().SerializeToString()
    signer = Ed25519PrivateKey.generate()
    public = signer.public_key()
    header, info, nonce = os.urandom(400), os.urandom(79), os.urandom(12)
    key = X25519PrivateKey.generate()
    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
    content_key = os.urandom(32)
    aead = AESGCM(content_key)
    ops: dict[str, Callable[[], object]] = {
        "Ed25519 sign": lambda: signer.sign(header),
        "Ed25519 verify": lambda: public.verify(signature, header),
        "HPKE wrap": lambda: suite.encrypt(content_key, key.public_key(), info=info),
        "HPKE unwrap": lambda: suite.decrypt(wrapped, key, info=info),
        "AES-256-GCM seal": lambda: aead.encrypt(nonce, plaintext, info),
        "AES-256-GCM open": lambda: aead.decrypt(nonce, sealed, info),
    }
    signature = signer.sign(header)
    wrapped = suite.encrypt(content_key, key.public_key(), info=info)
    sealed = aead.encrypt(nonce, plaintext, info)
    per_op: dict[str, float] = {}
    for name, op in ops.items():
        cpu = time.thread_time()
        for _ in range(sample):
            op()
        per_op[name] = (time.thread_time() - cpu) / sample
    uses = {
        "Ed25519 sign": 2,
        "Ed25519 verify": 3,
        "HPKE wrap": 1,
        "HPKE unwrap": 1,
        "AES-256-GCM seal": 1,
        "AES-256-GCM open": 1,
    }
    per_profile = sum(per_op[name] * n for name, n in uses.items())
    floor = {f"{name} per CPU-s": 1 / seconds for name, seconds in per_op.items()}
    floor["per-profile crypto, CPU us"] = per_profile * 1e6
    floor["crypto floor on 2 cores, s"] = count * per_profile / 2
    return floor


# -- delivery check ----------------------------------------------------------------------------


def check_delivery(state_dir: Path, sinks_dir: Path, members: Iterable[str]) -> dict[str, Any]:
    """Compare what each outbox says the hub ACCEPTED with what each national sink committed."""
    from flows.common import Outbox
    from flows.sink import NationalSink

    expected: dict[str, dict[str, str]] = {}  # recipient -> message id -> sender
    for member in members:
        path = state_dir / member / "outbox.sqlite"
        if not path.exists():
            continue
        outbox = Outbox(path)
        accepted = "SELECT message_id, recipients FROM outbox WHERE outcome='ACCEPTED'"
        with closing(outbox.db.execute(accepted)) as c:
            for message_id, recipients in c:
                for recipient in str(recipients).split(","):
                    expected.setdefault(recipient, {})[message_id] = member
        outbox.close()
    per_recipient: dict[str, dict[str, Any]] = {}
    totals = Counter[str]()
    for recipient in sorted({*expected, *(p.name for p in sinks_dir.iterdir())}):
        sink = NationalSink(recipient, sinks_dir / recipient)
        got: list[str] = []
        senders: dict[str, str] = {}
        for path in sink.manifests():
            manifest = json.loads(path.read_text(encoding="utf-8"))
            got.extend(manifest["profiles"])
            senders.update(manifest["senders"])
        want = expected.get(recipient, {})
        unique = set(got)
        row = {
            "sent": len(want),
            "delivered": len(got),
            "duplicates": len(got) - len(unique),
            "missing": len(want.keys() - unique),
            "unexpected": len(unique - want.keys()),
            "wrong_sender": sum(1 for m in unique & want.keys() if senders.get(m) != want[m]),
            "from": dict(Counter(senders[m] for m in got)),
        }
        per_recipient[recipient] = row
        totals.update({k: v for k, v in row.items() if isinstance(v, int)})
    exact = not any(totals[k] for k in ("duplicates", "missing", "unexpected", "wrong_sender"))
    return {
        "exactly_once": exact and totals["sent"] == totals["delivered"],
        "totals": dict(totals),
        "per_recipient": per_recipient,
    }


def sink_rows(member: str, folder: str) -> int:
    """Rows the national files of a sink parse back to, through the member's adapter."""
    from flows.sink import NationalSink

    return NationalSink(member, folder).rows()


# -- the scenario ------------------------------------------------------------------------------


@dataclass
class BulkSyncResult(ScenarioResult):
    """The usual scenario result plus the per-member counts, stage clocks and delivery check."""

    details: dict[str, Any] = field(default_factory=dict)

    def print(self, console: Console | None = None) -> None:
        console = console or Console()
        super().print(console)
        table = Table(title="bulk_sync per member")
        for column in (
            "member",
            "profiles",
            "parsed",
            "accepted",
            "to partners",
            "received",
            "written",
            "acked",
            "out s",
            "in s",
        ):
            table.add_column(column)
        for member, row in self.details.get("members", {}).items():
            table.add_row(
                member,
                f"{row['profiles']:,}",
                f"{row['parsed']:,}",
                f"{row['accepted']:,}",
                ", ".join(f"{k} {v:,}" for k, v in row["sent_to"].items()),
                f"{row['received']:,}",
                f"{row['written']:,}",
                f"{row['acknowledged']:,}",
                f"{row['outbound_s']:.1f}",
                f"{row['inbound_s']:.1f}",
            )
        console.print(table)
        stages = Table(title="bulk_sync stages (summed over member processes)")
        for column in ("stage", "calls", "wall s", "CPU s", "records", "records / CPU-s", "records / wall-s"):
            stages.add_column(column)
        for name, row in self.details.get("stages", {}).items():
            stages.add_row(
                name,
                f"{row['calls']:,}",
                f"{row['wall_s']:.1f}",
                f"{row['cpu_s']:.1f}",
                f"{row['records']:,}",
                f"{row['per_cpu_s']:,.0f}",
                f"{row['per_wall_s']:,.0f}",
            )
        console.print(stages)
        console.print_json(
            json.dumps(
                {k: self.details[k] for k in ("rejects", "delivery_totals", "cpu") if k in self.details}
            )
        )


def run(
    count: int = DEFAULT_COUNT,
    batch: int = 256,
    inbound_batch: int = 1024,
    verify_rows: bool = True,
    keep: bool = False,
) -> BulkSyncResult:
    """Prepare the exports, measure the crypto floor, then time the whole regional sync once.

    ``batch`` envelopes per Submit call (the outbound flow's default), ``inbound_batch`` deliveries
    per inbound batch (the flow's ``batch_size`` parameter; its default 256 makes the sink's
    per-batch manifest scan grow with the square of the batches). ``keep`` leaves the work folder.
    """
    counts = allocate(count)
    work, federation, passphrase = new_federation("pxhub-bulk-sync-")
    exports_dir, state_dir, sinks_dir = work / "exports", work / "state", work / "sinks"
    spawn = multiprocessing.get_context("spawn")
    print(f"  profiles per member: {counts}")
    try:
        exports_dir.mkdir()  # write_export names the file inside an existing folder
        t0 = time.perf_counter()
        with ProcessPoolExecutor(2, mp_context=spawn) as pool:
            futures = {
                m: pool.submit(_write_export, m, str(exports_dir), n)
                for m, n in sorted(counts.items(), key=lambda kv: -kv[1])
            }
            sources = {m: f.result() for m, f in futures.items()}
        prep_seconds = time.perf_counter() - t0
        print(f"  exports written in {prep_seconds:.1f} s ({count / prep_seconds:,.0f} rows/s, 2 processes)")
        floor = crypto_floor(count)
        print(
            f"  crypto floor: {floor['per-profile crypto, CPU us']:.0f} CPU us a profile, "
            f"{floor['crypto floor on 2 cores, s']:.1f} s on 2 cores for {count:,}"
        )
        hub = start_hub_process(federation, passphrase, work / "data", work / "hub.log")
        try:
            timed = _run_members(
                spawn,
                hub.target,
                hub.pid,
                federation,
                passphrase.decode(),
                sources,
                state_dir,
                sinks_dir,
                batch,
                inbound_batch,
                count,
            )
            hub_peak = peak_rss_mb(hub.pid)
        finally:
            hub.stop()
        t0 = time.perf_counter()
        delivery = check_delivery(state_dir, sinks_dir, counts)
        rows_back: dict[str, int] = {}
        if verify_rows:
            with ProcessPoolExecutor(2, mp_context=spawn) as pool:
                futures2 = {m: pool.submit(sink_rows, m, str(sinks_dir / m)) for m in counts}
                rows_back = {m: f.result() for m, f in futures2.items()}
        check_seconds = time.perf_counter() - t0
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return _result(
        count,
        counts,
        batch,
        inbound_batch,
        prep_seconds,
        floor,
        timed,
        hub_peak,
        delivery,
        rows_back,
        check_seconds,
        str(work) if keep else "",
    )


def _write_export(member: str, folder: str, count: int) -> str:
    from adapters.samples.exports import write_export

    return str(write_export(member, folder, count=count, seed=SEED))


@dataclass
class Timed:
    """The timed part: member reports, the window and the CPU used in it."""

    reports: list[Report]
    wall: float
    outbound_wall: float
    hub_cpu: float
    machine_busy: float
    machine_total: float
    setup_seconds: float


def _run_members(
    spawn: SpawnContext,
    target: str,
    hub_pid: int,
    federation: Path,
    passphrase: str,
    sources: dict[str, str],
    state_dir: Path,
    sinks_dir: Path,
    batch: int,
    inbound_batch: int,
    count: int,
) -> Timed:
    reports_queue: multiprocessing.Queue[Any] = spawn.Queue()
    start, outbound_done = spawn.Event(), spawn.Event()
    processes = [
        spawn.Process(
            target=outbound_process,
            name=f"out-{m}",
            args=(
                m,
                source,
                target,
                str(federation),
                str(state_dir),
                batch,
                passphrase,
                start,
                reports_queue,
            ),
        )
        for m, source in sources.items()
    ] + [
        spawn.Process(
            target=inbound_process,
            name=f"in-{m}",
            args=(
                m,
                str(sinks_dir / m),
                target,
                str(federation),
                inbound_batch,
                passphrase,
                start,
                outbound_done,
                reports_queue,
            ),
        )
        for m in POPULATION
    ]
    setup = time.perf_counter()
    for process in processes:
        process.start()
    deadline = time.monotonic() + 600 + count / 100
    finished = False
    try:
        waiting_ready = len(processes)
        reports: list[Report] = []
        began = machine_busy = machine_total = hub_cpu = outbound_end = 0.0
        while len(reports) < len(processes):
            if time.monotonic() > deadline:
                raise TimeoutError(f"bulk sync did not finish: {len(reports)} of {len(processes)} reported")
            try:
                kind, role, member, payload = reports_queue.get(timeout=1)
            except queue.Empty:
                dead = [p.name for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"member processes failed: {dead}") from None
                continue
            if kind == "error":
                raise RuntimeError(f"{role} {member} failed:\n{payload}")
            if kind == "ready":
                waiting_ready -= 1
                if not waiting_ready:  # every member connected: the clock starts
                    setup = time.perf_counter() - setup
                    machine_busy, machine_total = machine_cpu()
                    hub_cpu = process_cpu(hub_pid)
                    began = time.monotonic()
                    start.set()
                continue
            reports.append(payload)
            if role == "outbound" and sum(r.role == "outbound" for r in reports) == len(sources):
                outbound_end = time.monotonic()
                outbound_done.set()
        ended = max(r.finished for r in reports)
        busy, total = machine_cpu()
        hub_used = process_cpu(hub_pid) - hub_cpu
        finished = True
    finally:
        for process in processes:
            process.join(30 if finished else 0)
            if process.is_alive():
                process.kill()
    return Timed(
        reports,
        ended - began,
        outbound_end - began,
        hub_used,
        busy - machine_busy,
        total - machine_total,
        setup,
    )


def _tally(counters: Iterable[Counter[str]]) -> dict[str, int]:
    return dict(sum(counters, Counter[str]()))


STAGE_RECORDS: Final = {  # which count a stage's rate is per
    "parse + validate": ("outbound", "rows"),
    "project": ("outbound", "sealed"),
    "seal": ("outbound", "sealed"),
    "outbox (SQLite, fsync)": ("outbound", "sealed"),
    "submit (until receipts)": ("outbound", "accepted"),
    "seal-and-submit-batch (flow task)": ("outbound", "accepted"),
    "fetch": ("inbound", "received"),
    "verify + open + guard": ("inbound", "opened"),
    "render + atomic write": ("inbound", "written"),
    "sign receipt": ("inbound", "acknowledged"),
    "acknowledge (until answered)": ("inbound", "acknowledged"),
    "cursor (fsync)": ("inbound", "received"),
    "discard uncommitted (scan)": ("inbound", "received"),
    "receive-batch (flow task)": ("inbound", "written"),
}


# Stages that wait on the hub: their rate is per second in flight (summed over processes), not per CPU-s.
WAITS: Final = frozenset({"submit (until receipts)", "fetch", "acknowledge (until answered)"})


def _result(
    count: int,
    counts: dict[str, int],
    batch: int,
    inbound_batch: int,
    prep_seconds: float,
    floor: dict[str, float],
    timed: Timed,
    hub_peak: float,
    delivery: dict[str, Any],
    rows_back: dict[str, int],
    check_seconds: float,
    kept: str,
) -> BulkSyncResult:
    out = {r.member: r for r in timed.reports if r.role == "outbound"}
    inn = {r.member: r for r in timed.reports if r.role == "inbound"}
    totals = {role: Counter[str]() for role in ("outbound", "inbound")}
    for r in timed.reports:
        totals[r.role].update({k: v for k, v in r.counts.items() if isinstance(v, int)})
    stages: dict[str, dict[str, Any]] = {}
    for name, (role, unit) in STAGE_RECORDS.items():
        reports = [r for r in timed.reports if r.role == role]
        wall = sum(r.clock.wall[name] for r in reports)
        cpu = sum(r.clock.cpu[name] for r in reports)
        records = totals[role][unit]
        stages[name] = {
            "calls": sum(r.clock.calls[name] for r in reports),
            "wall_s": wall,
            "cpu_s": cpu,
            "records": records,
            "per_cpu_s": records / cpu if cpu else 0.0,
            "per_wall_s": records / wall if wall else 0.0,
        }
    delivered = delivery["totals"].get("delivered", 0)
    cpu_seconds = {
        "window_s": timed.wall,
        "machine_busy_cpu_s": timed.machine_busy,
        "machine_capacity_cpu_s": timed.machine_total,
        "hub_cpu_s": timed.hub_cpu,
        "outbound_processes_cpu_s": sum(r.cpu_seconds for r in out.values()),
        "inbound_processes_cpu_s": sum(r.cpu_seconds for r in inn.values()),
    }
    cpu_seconds["other_processes_cpu_s"] = cpu_seconds["machine_busy_cpu_s"] - sum(
        cpu_seconds[k] for k in ("hub_cpu_s", "outbound_processes_cpu_s", "inbound_processes_cpu_s")
    )
    members = {
        m: {
            "profiles": n,
            "parsed": out[m].counts["rows"],
            "accepted": out[m].counts["accepted"],
            "sent_to": out[m].counts["sent_to"],
            "received": inn[m].counts["received"],
            "written": inn[m].counts["written"],
            "acknowledged": inn[m].counts["acknowledged"],
            "rows_in_national_files": rows_back.get(m, -1),
            "outbound_s": out[m].finished - out[m].started,
            "inbound_s": inn[m].finished - inn[m].started,
            "first_delivery_s": inn[m].first_record - inn[m].started if inn[m].first_record else 0.0,
            "outbound_cpu_s": out[m].cpu_seconds,
            "inbound_cpu_s": inn[m].cpu_seconds,
            "peak_rss_mb": max(out[m].peak_rss_mb, inn[m].peak_rss_mb),
        }
        for m, n in counts.items()
    }
    rejects = {
        "rows_withheld": totals["outbound"]["withheld"],
        "row_warnings": totals["outbound"]["warnings"],
        "row_issue_reasons (first 200 rows with issues per member)": _tally(
            Counter(r.counts["row_issue_reasons"]) for r in out.values()
        ),
        "hub_rejected": _tally(Counter(r.counts["rejected_reasons"]) for r in out.values()),
        "inbound_refused": _tally(Counter(r.counts["refused_reasons"]) for r in inn.values()),
        "transient_retries": _tally(r.retries for r in timed.reports),
    }
    result = BulkSyncResult(
        "bulk_sync",
        {
            "profiles": count,
            "per_member": counts,
            "envelopes_per_submit": batch,
            "inbound_batch": inbound_batch,
            "recipients_per_profile": 1,
            "processes": f"hub + {len(out)} outbound + {len(inn)} inbound",
            "store": "sqlite WAL",
            "load_average_after": os.getloadavg()[0],
        },
        [
            Measurement("end to end, wall", "s", [timed.wall]),
            Measurement("end to end", "records/s", [delivered / timed.wall if timed.wall else 0.0]),
            Measurement("last sender done (all receipts)", "s", [timed.outbound_wall]),
            Measurement("profiles sent (accepted)", "records", [float(totals["outbound"]["accepted"])]),
            Measurement("profiles delivered to the sinks", "records", [float(delivered)]),
            *(
                Measurement(f"stage {name}", "records/s in flight", [row["per_wall_s"]])
                if name in WAITS
                else Measurement(f"stage {name}", "records/CPU-s", [row["per_cpu_s"]])
                for name, row in stages.items()
                if not name.endswith("(flow task)")
            ),
            Measurement("hub CPU in the window", "s", [timed.hub_cpu]),
            Measurement("hub CPU per profile", "us", [1e6 * timed.hub_cpu / max(1, delivered)]),
            Measurement("hub peak RSS", "MB", [hub_peak]),
            Measurement("machine CPU busy / capacity", "%", [100 * timed.machine_busy / timed.machine_total]),
            Measurement("members connect (untimed)", "s", [timed.setup_seconds]),
            Measurement("exports written (untimed, 2 processes)", "s", [prep_seconds]),
            Measurement("delivery check + parse back (untimed)", "s", [check_seconds]),
            *(
                Measurement(
                    f"baseline {name}",
                    "ops/CPU-s" if "per CPU" in name else ("us" if name.endswith("us") else "s"),
                    [value],
                    baseline_of="crypto floor",
                )
                for name, value in floor.items()
            ),
        ],
    )
    result.ratios["end to end / 120 s target"] = timed.wall / TARGET_SECONDS
    result.ratios["crypto floor (2 cores) / 120 s"] = floor["crypto floor on 2 cores, s"] / TARGET_SECONDS
    result.ratios["crypto floor / end to end"] = floor["crypto floor on 2 cores, s"] / timed.wall
    result.ratios["delivered exactly once (1 = yes)"] = float(delivery["exactly_once"])
    result.targets["regional bulk sync"] = "~530,000 profiles, one recipient each, export to sink in <= 120 s"
    result.details = {
        "members": members,
        "stages": stages,
        "rejects": rejects,
        "cpu": cpu_seconds,
        "delivery_totals": delivery["totals"],
        "delivery": delivery["per_recipient"],
        "exactly_once": delivery["exactly_once"],
        "work_dir": kept,
    }
    return result
