"""Submit → available-to-fetch latency at a steady rate, and the hub's memory over the run.

One sender streams single-envelope requests at a fixed rate on one Submit
stream; one recipient holds a following Fetch stream. Latency is measured
from the moment a request is handed to gRPC to the moment the delivery
arrives at the follower (same machine, same clock). The baseline is the same
two streams against the raw no-op server: its latency is the floor of
gRPC + mTLS on this machine, answered instead of delivered.
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
    target: str, federation: Path, passphrase: bytes, rate: float, seconds: float, hub_pid: int
) -> tuple[list[float], list[float]]:
    sender = await MemberClient.connect(target, federation, "CO-INPEC", passphrase)
    receiver = await MemberClient.connect(target, federation, "PE-INPE", passphrase)
    count = int(rate * seconds)
    # Everything the client needs is built before the clock starts: requests, and the message id
    # of each header (a dictionary lookup on arrival instead of two parses).
    prebuilt, ids = single_envelope_requests(sender, "PE-INPE", count, seed=77)
    id_by_header = {r.envelopes[0].header: message_id for r, message_id in zip(prebuilt, ids, strict=True)}
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    memory: list[float] = []
    follower = receiver.fetch(follow=True, batch_size=64)
    done = asyncio.Event()

    async def follow() -> None:
        async for delivery in follower:
            arrived = time.perf_counter()
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
    return latencies, memory


def run(rate: float = 500.0, seconds: float = 20.0, count: int | None = None) -> ScenarioResult:
    if count:
        seconds = count / rate
    work, federation, passphrase = new_federation("pxhub-latency-")
    # One request per record: at 500/s beyond the default call quota (200 requests/s per member).
    hub = start_hub_process(
        federation, passphrase, work / "data", work / "hub.log", {"PXHUB_MEMBER_CALLS_PER_SECOND": "2000"}
    )
    try:
        latencies, memory = asyncio.run(_run(hub.target, federation, passphrase, rate, seconds, hub.pid))
    finally:
        hub.stop()
    ms = [value * 1000 for value in latencies]
    result = ScenarioResult(
        "submit_to_fetch_latency",
        {"rate_per_s": rate, "seconds": seconds, "records": len(ms), "store": "sqlite WAL synchronous=FULL"},
        [
            Measurement("latency p50", "ms", [_percentile(ms, 0.50)]),
            Measurement("latency p99", "ms", [_percentile(ms, 0.99)]),
            Measurement("latency max", "ms", [max(ms)]),
            Measurement("hub RSS, first second", "MB", [memory[0] if memory else 0.0]),
            Measurement("hub RSS, last second", "MB", [memory[-1] if memory else 0.0]),
        ],
    )
    result.ratios["RSS last / first"] = (memory[-1] / memory[0]) if memory and memory[0] else 0.0
    result.targets["latency p99"] = "<= 50 ms at a steady 500 records/s"
    print(f"  mean {statistics.mean(ms):.1f} ms over {len(ms)} records")
    return result
