"""Submit → available-to-fetch latency at steady rates, and the hub's memory over the run.

One sender streams single-envelope requests at a fixed rate on one Submit
stream; one recipient holds a following Fetch stream. Latency is measured
from the moment a request is handed to gRPC to the moment the delivery
arrives at the follower (same machine, same clock). Each rate (500/s and
2,000/s by default) runs for several rounds against one hub; the figures are
the medians over rounds (``p99_ms_500``, ``p99_ms_2000``, ...), each round
with the machine's load average beside it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

from bench.common import (
    Measurement,
    ScenarioResult,
    machine_load,
    new_federation,
    rss_mb,
    single_envelope_requests,
    start_hub_process,
)
from hub.sdk.client import MemberClient
from pxhub.v1 import exchange_pb2


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(
    target: str,
    federation: Path,
    passphrase: bytes,
    rate: float,
    seconds: float,
    hub_pid: int,
    seed: int,
    cursor: str,
) -> tuple[list[float], list[float], str]:
    """One round: (latencies in s, hub RSS each second, the follower's cursor after the round)."""
    sender = await MemberClient.connect(target, federation, "CO-INPEC", passphrase)
    receiver = await MemberClient.connect(target, federation, "PE-INPE", passphrase)
    count = int(rate * seconds)
    # Everything the client needs is built before the clock starts: requests, and the message id
    # of each header (a dictionary lookup on arrival instead of two parses).
    prebuilt, ids = single_envelope_requests(sender, "PE-INPE", count, seed=seed)
    id_by_header = {r.envelopes[0].header: message_id for r, message_id in zip(prebuilt, ids, strict=True)}
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    memory: list[float] = []
    # From the previous round's cursor: its deliveries (never acknowledged) are not fetched again.
    follower = receiver.fetch(cursor, follow=True, batch_size=64)
    done = asyncio.Event()
    last_cursor = cursor

    async def follow() -> None:
        nonlocal last_cursor
        async for delivery in follower:
            arrived = time.perf_counter()
            last_cursor = delivery.cursor
            latencies.append(arrived - sent_at[id_by_header[delivery.envelope.header]])
            if len(latencies) >= count:
                done.set()
                return

    async def requests() -> AsyncIterator[exchange_pb2.SubmitRequest]:
        started = time.perf_counter()
        for index, (request, message_id) in enumerate(zip(prebuilt, ids, strict=True)):
            due = started + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at[message_id] = time.perf_counter()
            if index % int(rate) == 0:
                memory.append(rss_mb(hub_pid))
            yield request

    follower_task = asyncio.create_task(follow())
    receipts = 0
    receipt_latencies: list[float] = []
    async for response in sender.exchange.Submit(requests()):
        for receipt in response.receipts:
            receipt_latencies.append(time.perf_counter() - sent_at[receipt.message_id])
        receipts += len(response.receipts)
    print(
        f"  receipt latency p50 {statistics.median(receipt_latencies) * 1000:.1f} ms, "
        f"p99 {_percentile(receipt_latencies, 0.99) * 1000:.1f} ms"
    )
    await asyncio.wait_for(done.wait(), timeout=60)
    follower_task.cancel()
    await sender.close()
    await receiver.close()
    return latencies, memory, last_cursor


RATES = (500.0, 2000.0)


def run(
    rates: tuple[float, ...] = RATES, seconds: float = 10.0, rounds: int = 3, count: int | None = None
) -> ScenarioResult:
    """``count`` (from ``--count``) sets the records per round at every rate instead of ``seconds``."""
    work, federation, passphrase = new_federation("pxhub-latency-")
    # One request per record: beyond the default call quota (200 requests/s per member) and, at
    # 2,000/s, at the envelope quota; the quotas have their own benchmark (fairness).
    hub = start_hub_process(
        federation,
        passphrase,
        work / "data",
        work / "hub.log",
        {"PXHUB_MEMBER_CALLS_PER_SECOND": "10000", "PXHUB_MEMBER_ENVELOPES_PER_SECOND": "10000"},
    )
    p50: dict[float, list[float]] = {rate: [] for rate in rates}
    p99: dict[float, list[float]] = {rate: [] for rate in rates}
    worst: dict[float, list[float]] = {rate: [] for rate in rates}
    loads: list[float] = []
    memory: list[float] = []
    cursor = ""
    try:
        for round_index in range(rounds):
            for rate_index, rate in enumerate(rates):
                span = count / rate if count else seconds
                seed = 77 + 10 * round_index + rate_index  # fresh message ids every round
                latencies, rss, cursor = asyncio.run(
                    _run(hub.target, federation, passphrase, rate, span, hub.pid, seed, cursor)
                )
                ms = [value * 1000 for value in latencies]
                p50[rate].append(_percentile(ms, 0.50))
                p99[rate].append(_percentile(ms, 0.99))
                worst[rate].append(max(ms))
                loads.append(machine_load())
                memory.extend(rss)
                print(
                    f"  round {round_index + 1}, {rate:,.0f}/s: p50 {p50[rate][-1]:.1f} ms, "
                    f"p99 {p99[rate][-1]:.1f} ms, max {worst[rate][-1]:.1f} ms, load {loads[-1]:.2f}"
                )
    finally:
        hub.stop()
    measurements = []
    for rate in rates:
        name = f"{rate:.0f}"
        measurements += [
            Measurement(f"p50_ms_{name}", "ms", p50[rate], notes=f"rate_per_s {name}"),
            Measurement(f"p99_ms_{name}", "ms", p99[rate], notes=f"rate_per_s {name}"),
            Measurement(f"max_ms_{name}", "ms", worst[rate], notes=f"rate_per_s {name}"),
        ]
    measurements += [
        Measurement("load_average_1m", "", loads),
        Measurement("hub RSS, first second", "MB", [memory[0] if memory else 0.0]),
        Measurement("hub RSS, last second", "MB", [memory[-1] if memory else 0.0]),
        Measurement("hub RSS, max", "MB", [max(memory) if memory else 0.0]),
    ]
    result = ScenarioResult(
        "latency",
        {
            "rates_per_s": list(rates),
            "seconds_per_round": seconds if not count else None,
            "records_per_round": count,
            "rounds": rounds,
            "store": "sqlite WAL synchronous=FULL",
        },
        measurements,
    )
    result.figures["rates"] = [
        {
            "rate_per_s": rate,
            "p50_ms": statistics.median(p50[rate]),
            "p99_ms": statistics.median(p99[rate]),
            "max_ms": statistics.median(worst[rate]),
        }
        for rate in rates
    ]
    result.ratios["RSS last / first"] = (memory[-1] / memory[0]) if memory and memory[0] else 0.0
    result.targets["p99 at 500/s"] = "<= 25 ms"
    result.targets["p99 at 2,000/s"] = "<= 50 ms"
    result.targets["hub RSS"] = "<= 300 MB, flat"
    return result
