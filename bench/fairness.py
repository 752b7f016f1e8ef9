"""One member floods the hub with valid-but-useless work; another member's Submit latency beside it.

* **Victim** (``VICTIM``): one Submit stream, one single-envelope request every ``1 / VICTIM_RATE``
  seconds (a sealed inmate security profile for PE-INPE, prebuilt); latency is request handed
  to gRPC → its receipt back. It runs ``QUIET_SECONDS`` alone (the baseline, same run), then
  ``FLOOD_SECONDS`` while the flooder runs.
* **Flooder** (``FLOODER``), in its own process so that its client CPU is not the victim's: the
  abuses measured before the quotas existed, all at once and as fast as the hub answers, never
  waiting out a refusal (``rate_limit_wait=0``):

  - ``Acknowledge`` with 2,048 garbage acknowledgements per call (the most a call may carry);
  - ``Submit`` with 2,048 garbage envelopes per request;
  - ``ListEntries`` with page size 1 over the whole log;
  - cheap calls (``ListRequests``) in a tight loop.

* **Audit growth**: after the hub stops (its refusal windows flushed), the entries whose actor
  is the flooder are counted in the database and set beside the bound of ``docs/security.md``:
  with A = ``call_burst + calls_per_second × seconds`` admitted calls, at most
  ``8 × A + 2 × ceil(seconds / 60)`` (a Submit request of 2,048 envelopes can span 8 writer turns,
  one deny entry each), and ``A + 2 × ceil(seconds / 60)`` when no request is split.

    .venv/bin/python -m bench fairness
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Final

import grpc

from bench.audit_log import percentile
from bench.common import (
    Measurement,
    ScenarioResult,
    new_federation,
    rss_mb,
    single_envelope_requests,
    start_hub_process,
)
from hub.core.audit_entry import AuditEntry
from hub.core.envelope import MAX_ITEMS_PER_REQUEST
from hub.sdk.client import MemberClient
from hub.server.submit_batcher import FAIR_SHARE
from hub.settings import HubSettings
from hub.store import open_store
from pxhub.v1 import audit_log_pb2, audit_log_pb2_grpc, envelope_pb2, exchange_pb2

VICTIM: Final = "CO-INPEC"
VICTIM_PARTNER: Final = "PE-INPE"
FLOODER: Final = "MX-OADPRS"
VICTIM_RATE: Final = 20.0
QUIET_SECONDS: Final = 10.0
FLOOD_SECONDS: Final = 20.0
#: As many as one request may carry (a larger one is refused before any check).
GARBAGE_ITEMS: Final = MAX_ITEMS_PER_REQUEST
#: Writer turns one Submit request message can span, each with its own aggregated deny entry.
SPLIT_TURNS: Final = math.ceil(MAX_ITEMS_PER_REQUEST / FAIR_SHARE)


# --- the flooder (its own process) ------------------------------------------------------------


async def _flood(target: str, federation: Path, passphrase: bytes, seconds: float) -> dict[str, int]:
    client = await MemberClient.connect(target, federation, FLOODER, passphrase, rate_limit_wait=0)
    audit = audit_log_pb2_grpc.AuditServiceStub(client.channel)
    acks = exchange_pb2.AcknowledgeRequest(
        acknowledgements=[
            exchange_pb2.Acknowledgement(
                receipt=i.to_bytes(4, "big") * 10, signature=envelope_pb2.Signature()
            )
            for i in range(GARBAGE_ITEMS)
        ]
    )
    submit = exchange_pb2.SubmitRequest(
        envelopes=[
            envelope_pb2.Envelope(header=i.to_bytes(4, "big") * 8, ciphertext=b"x")
            for i in range(GARBAGE_ITEMS)
        ]
    )
    deadline = time.monotonic() + seconds
    codes: Counter[str] = Counter()
    seen: set[str] = set()

    async def loop(name: str, call: Callable[[], Awaitable[None]]) -> None:
        while time.monotonic() < deadline:
            try:
                await call()
                codes[f"{name} OK"] += 1
            except grpc.aio.AioRpcError as error:
                codes[f"{name} {error.code().name}"] += 1
                if error.code() not in (grpc.StatusCode.RESOURCE_EXHAUSTED,) and name not in seen:
                    seen.add(name)
                    print(f"  flooder: {name} {error.code().name}: {error.details()}", flush=True)

    async def acknowledge() -> None:
        await client.exchange.Acknowledge(acks, timeout=30)

    async def submit_garbage() -> None:
        async def once() -> AsyncIterator[exchange_pb2.SubmitRequest]:
            yield submit

        async for _ in client.exchange.Submit(once(), timeout=30):
            pass

    async def list_pages() -> None:
        async for _ in audit.ListEntries(audit_log_pb2.ListEntriesRequest(page_size=1), timeout=30):
            pass

    async def cheap() -> None:
        await client.list_requests(limit=1)

    await asyncio.gather(
        loop("Acknowledge", acknowledge),
        loop("Submit", submit_garbage),
        loop("ListEntries", list_pages),
        loop("ListRequests", cheap),
    )
    await client.close()
    return dict(codes)


def _flooder_main(
    target: str,
    federation: str,
    passphrase: bytes,
    seconds: float,
    out: multiprocessing.Queue[dict[str, int]],
) -> None:
    os.nice(19)  # it would run on its own machine: here it yields the CPU to the hub and the victim
    out.put(asyncio.run(_flood(target, Path(federation), passphrase, seconds)))


# --- the victim --------------------------------------------------------------------------------


async def _victim(
    target: str, federation: Path, passphrase: bytes, seconds: float, on_start: Callable[[], None]
) -> tuple[list[float], list[float]]:
    """Latencies (ms) of the quiet phase and of the flood phase; ``on_start()`` starts the flood."""
    sender = await MemberClient.connect(target, federation, VICTIM, passphrase)
    count = int(VICTIM_RATE * (QUIET_SECONDS + seconds))
    prebuilt, ids = single_envelope_requests(sender, VICTIM_PARTNER, count, seed=19)
    quiet_count = int(VICTIM_RATE * QUIET_SECONDS)
    sent_at: dict[str, float] = {}
    latencies: dict[str, float] = {}

    async def requests() -> AsyncIterator[exchange_pb2.SubmitRequest]:
        started = time.perf_counter()
        for index, (request, message_id) in enumerate(zip(prebuilt, ids, strict=True)):
            if index == quiet_count:
                on_start()
            delay = started + index / VICTIM_RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[message_id] = time.perf_counter()
            yield request

    async for response in sender.exchange.Submit(requests()):
        for receipt in response.receipts:
            if receipt.outcome != envelope_pb2.Receipt.OUTCOME_ACCEPTED:
                raise RuntimeError(f"the victim's record was not accepted: {receipt.detail}")
            latencies[receipt.message_id] = (time.perf_counter() - sent_at[receipt.message_id]) * 1000
    await sender.close()
    ordered = [latencies[message_id] for message_id in ids]
    return ordered[:quiet_count], ordered[quiet_count:]


def _flooder_entries(database_url: str) -> tuple[int, Counter[str]]:
    store = open_store(database_url)
    try:
        size = store.audit_size()
        actions: Counter[str] = Counter()
        for start in range(0, size, 50_000):
            for raw in store.audit_entries(start, min(size, start + 50_000)):
                entry = AuditEntry.decode(raw)
                if entry.actor_id == FLOODER:
                    actions[f"{entry.action}/{entry.outcome}"] += 1
        return sum(actions.values()), actions
    finally:
        store.close()


def _one_round(seconds: float) -> dict[str, float]:
    work, federation, passphrase = new_federation("pxhub-fairness-")
    data_dir = work / "data"
    hub = start_hub_process(federation, passphrase, data_dir, work / "hub.log")
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[dict[str, int]] = context.Queue()
    flooder = context.Process(
        target=_flooder_main, args=(hub.target, str(federation), passphrase, seconds, results)
    )
    rss: list[float] = []

    def start_flood() -> None:
        flooder.start()

    async def sample_rss() -> None:
        while True:
            rss.append(rss_mb(hub.pid))
            await asyncio.sleep(0.5)

    async def both() -> tuple[list[float], list[float]]:
        sampler = asyncio.create_task(sample_rss())
        try:
            return await _victim(hub.target, federation, passphrase, seconds, start_flood)
        finally:
            sampler.cancel()

    try:
        quiet, flood = asyncio.run(both())
        codes = results.get(timeout=120)
        flooder.join(30)
    finally:
        if flooder.is_alive():
            flooder.kill()
        hub.stop()  # SIGTERM: the hub flushes its refusal windows into the log
    settings = HubSettings()
    entries, actions = _flooder_entries(f"sqlite:///{(data_dir / 'pxhub.db').resolve()}")
    elapsed = seconds + 1.0  # the flooder's connect and its last calls in flight
    admitted = settings.member_call_burst + settings.member_calls_per_second * elapsed
    windows = 2 * math.ceil(elapsed / 60)
    usual_bound = admitted + windows  # no Submit request split over several writer turns
    bound = SPLIT_TURNS * admitted + windows
    print(f"  flooder calls: {', '.join(f'{k} {v:,}' for k, v in sorted(codes.items()))}")
    print(f"  flooder audit entries: {', '.join(f'{k} {v:,}' for k, v in sorted(actions.items()))}")
    return {
        "quiet_p50": statistics.median(quiet),
        "quiet_p99": percentile(quiet, 0.99),
        "flood_p50": statistics.median(flood),
        "flood_p99": percentile(flood, 0.99),
        "flood_max": max(flood),
        "entries": float(entries),
        "bound": float(bound),
        "usual_bound": float(usual_bound),
        "calls": float(sum(codes.values())),
        "rss_max": max(rss) if rss else 0.0,
    }


def run(rounds: int = 3, count: int | None = None) -> ScenarioResult:
    seconds = count / VICTIM_RATE if count else FLOOD_SECONDS
    measured = []
    for index in range(rounds):
        figures = _one_round(seconds)
        measured.append(figures)
        print(
            f"  round {index + 1}: victim p99 quiet {figures['quiet_p99']:.1f} ms, "
            f"flood {figures['flood_p99']:.1f} ms; flooder entries {figures['entries']:,.0f} "
            f"(bound {figures['bound']:,.0f}) over {figures['calls']:,.0f} calls"
        )

    def column(key: str) -> list[float]:
        return [figures[key] for figures in measured]

    result = ScenarioResult(
        "fairness",
        {
            "victim": f"{VICTIM} 1-envelope requests at {VICTIM_RATE:g}/s",
            "flooder": f"{FLOODER}: garbage Acknowledge/Submit of {GARBAGE_ITEMS:,}, ListEntries page 1, …",
            "quiet_s": QUIET_SECONDS,
            "flood_s": seconds,
            "rounds": rounds,
        },
        [
            Measurement("victim_p50_ms_quiet", "ms", column("quiet_p50"), baseline_of="victim_p50_ms_flood"),
            Measurement("victim_p99_ms_quiet", "ms", column("quiet_p99"), baseline_of="victim_p99_ms_flood"),
            Measurement("victim_p50_ms_flood", "ms", column("flood_p50")),
            Measurement("victim_p99_ms_flood", "ms", column("flood_p99")),
            Measurement("victim_max_ms_flood", "ms", column("flood_max")),
            Measurement("flooder_calls", "calls", column("calls")),
            Measurement("flood_audit_entries", "entries", column("entries")),
            Measurement("flood_audit_bound", "entries", column("bound")),
            Measurement("flood_audit_bound_unsplit", "entries", column("usual_bound")),
            Measurement("hub_rss_max_mb", "MB", column("rss_max")),
        ],
    )
    result.ratios["victim p99 flood / quiet"] = statistics.median(column("flood_p99")) / statistics.median(
        column("quiet_p99")
    )
    result.ratios["audit entries / bound"] = statistics.median(column("entries")) / statistics.median(
        column("bound")
    )
    result.targets["audit entries"] = "<= the bound of docs/security.md"
    result.targets["hub RSS"] = "<= 300 MB"
    return result
