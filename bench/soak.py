"""Soak: mixed traffic at a steady rate for 10 minutes, hub memory and latency sampled every 10 s.

Three members submit programme records (one envelope per request, round robin, at a fixed total
rate) to two partners each; every recipient holds a following Fetch and acknowledges what
arrives; an auditor asks for a fresh checkpoint and a page of entries every two seconds. Every
10 s the run samples the hub's RSS and the latencies of the last window. Memory should stay flat
and errors at zero. The time series goes to ``bench/results/soak_timeseries.json``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from bench.common import RESULTS_DIR, Measurement, ScenarioResult, new_federation, rss_mb, start_hub_process
from hub.sdk.audit.client import AuditClient
from hub.sdk.client import MemberClient
from pxhub.v1 import best_practice_pb2, envelope_pb2, record_pb2

SENDERS = {
    "CO-INPEC": ("PE-INPE", "GT-DGSP"),
    "PE-INPE": ("EC-SNAI", "UY-INR"),
    "GT-DGSP": ("CO-INPEC", "MX-OADPRS"),
}
RECIPIENTS = sorted({r for rs in SENDERS.values() for r in rs})
SAMPLE_SECONDS = 10.0
AUDIT_EVERY = 2.0


@dataclass
class Window:
    submit: list[float] = field(default_factory=list)
    ack: list[float] = field(default_factory=list)
    audit: list[float] = field(default_factory=list)
    delivered: int = 0
    errors: list[str] = field(default_factory=list)


def _p(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _record(owner: str) -> record_pb2.Record:
    return record_pb2.Record(
        best_practice=best_practice_pb2.BestPracticeRecord(
            practice_id=str(uuid.uuid4()), owner=owner, title="Soak programme record"
        )
    )


def _metadata() -> envelope_pb2.RecordMetadata:
    return envelope_pb2.RecordMetadata(
        purpose=envelope_pb2.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING,
        legal_basis=envelope_pb2.LEGAL_BASIS_NOT_PERSONAL_DATA,
    )


async def _run(
    target: str, federation: Path, passphrase: bytes, rate: float, seconds: float, hub_pid: int
) -> list[dict[str, Any]]:
    senders = {m: await MemberClient.connect(target, federation, m, passphrase) for m in SENDERS}
    receivers = {m: await MemberClient.connect(target, federation, m, passphrase) for m in RECIPIENTS}
    auditor = await AuditClient.connect(target, federation, "AUDITOR-1", passphrase)
    window = Window()
    stop = asyncio.Event()
    series: list[dict[str, Any]] = []

    async def submit_one(member: str) -> None:
        client = senders[member]
        envelope = client.seal(_record(member), _metadata(), list(SENDERS[member]))
        t0 = time.perf_counter()
        try:
            receipts = await client.submit([envelope], timeout=30)
            if receipts[0].outcome != envelope_pb2.Receipt.Outcome.OUTCOME_ACCEPTED:
                window.errors.append(f"submit {envelope_pb2.Reason.Name(receipts[0].reason)}")
        except grpc.aio.AioRpcError as error:  # counted, the run goes on
            window.errors.append(f"submit {error.code().name}")
        except Exception as error:
            window.errors.append(f"submit {type(error).__name__}")
        window.submit.append(time.perf_counter() - t0)

    async def submit() -> None:
        """One submission every 1/rate seconds, each on its own task (a slow one does not delay the next)."""
        order = list(SENDERS)
        started = time.perf_counter()
        index = 0
        in_flight: set[asyncio.Task[None]] = set()
        while time.perf_counter() - started < seconds:
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(submit_one(order[index % len(order)]))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            index += 1
        await asyncio.gather(*in_flight)
        stop.set()

    async def receive(member: str) -> None:
        client = receivers[member]
        try:
            async for delivery in client.fetch(follow=True, batch_size=32):
                opened = client.open(delivery)
                t0 = time.perf_counter()
                results = await client.acknowledge([client.receipt_for(opened.verified)])
                window.ack.append(time.perf_counter() - t0)
                window.delivered += 1
                if results[0].outcome != 1:  # ACKNOWLEDGE_OUTCOME_RECORDED
                    window.errors.append("ack not recorded")
        except asyncio.CancelledError:
            raise
        except Exception as error:
            window.errors.append(f"fetch {type(error).__name__}")

    async def audit() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                checkpoint = await auditor.checkpoint(issue=True)
                size = checkpoint.checkpoint.size
                _ = [entry async for entry in auditor.entries(max(0, size - 50), size)]
            except Exception as error:
                window.errors.append(f"audit {type(error).__name__}")
            window.audit.append(time.perf_counter() - t0)
            await asyncio.sleep(AUDIT_EVERY)

    async def sample() -> None:
        nonlocal window
        started = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(SAMPLE_SECONDS)
            done, window = window, Window()
            series.append(
                {
                    "t_s": round(time.perf_counter() - started, 1),
                    "hub_rss_mb": round(rss_mb(hub_pid), 1),
                    "submitted": len(done.submit),
                    "delivered_acked": done.delivered,
                    "submit_p50_ms": round(_p(done.submit, 0.5), 2),
                    "submit_p99_ms": round(_p(done.submit, 0.99), 2),
                    "ack_p50_ms": round(_p(done.ack, 0.5), 2),
                    "audit_p50_ms": round(_p(done.audit, 0.5), 2),
                    "errors": len(done.errors),
                    "error_kinds": sorted(set(done.errors)),
                }
            )
            print(f"  {series[-1]}")

    receivers_tasks = [asyncio.create_task(receive(m)) for m in RECIPIENTS]
    await asyncio.gather(submit(), audit(), sample())
    await asyncio.sleep(2)  # the last deliveries drain
    for task in receivers_tasks:
        task.cancel()
    await asyncio.gather(*receivers_tasks, return_exceptions=True)
    for client in [*senders.values(), *receivers.values()]:
        await client.close()
    await auditor.close()
    return series


def run(rate: float = 50.0, seconds: float = 600.0, count: int | None = None) -> ScenarioResult:
    """``count`` (records) shortens the run: seconds = count / rate."""
    if count:
        seconds = count / rate
    work, federation, passphrase = new_federation("pxhub-soak-")
    hub = start_hub_process(federation, passphrase, work / "data", work / "hub.log")
    try:
        series = asyncio.run(_run(hub.target, federation, passphrase, rate, seconds, hub.pid))
    finally:
        hub.stop()
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "soak_timeseries.json").write_text(
        json.dumps({"rate_per_s": rate, "seconds": seconds, "samples": series}, indent=2)
    )
    rss = [s["hub_rss_mb"] for s in series] or [0.0]
    steady = rss[len(rss) // 3 :] or rss  # after warm-up
    result = ScenarioResult(
        "soak",
        {"rate_per_s": rate, "seconds": seconds, "samples": len(series), "store": "sqlite WAL"},
        [
            Measurement("hub RSS, first sample", "MB", [rss[0]]),
            Measurement("hub RSS, last sample", "MB", [rss[-1]]),
            Measurement("hub RSS, max", "MB", [max(rss)]),
            Measurement("submit p99 (per 10 s window)", "ms", [s["submit_p99_ms"] for s in series] or [0.0]),
            Measurement("ack p50 (per 10 s window)", "ms", [s["ack_p50_ms"] for s in series] or [0.0]),
            Measurement("audit p50 (per 10 s window)", "ms", [s["audit_p50_ms"] for s in series] or [0.0]),
            Measurement("errors", "count", [float(sum(s["errors"] for s in series))]),
        ],
    )
    result.ratios["RSS last / first"] = rss[-1] / rss[0] if rss[0] else 0.0
    result.ratios["RSS after warm-up, last / first"] = steady[-1] / steady[0] if steady[0] else 0.0
    result.targets["memory"] = "flat after warm-up (growth ratio <= 1.10)"
    result.targets["errors"] = "0"
    print(f"  mean submit {statistics.mean(s['submit_p50_ms'] for s in series):.1f} ms (p50 per window)")
    return result
