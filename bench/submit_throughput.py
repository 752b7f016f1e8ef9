"""Hub ingest of sealed profiles over one Submit stream, next to a raw grpc.aio stream of the same bytes.

Both servers run as their own processes with the same mTLS; the client sends
identical SubmitRequest bytes (batches of sealed 1-2 KB profiles). The hub
verifies, checks, stores durably in SQLite (WAL, synchronous=FULL), writes the
audit entries and answers one receipt per envelope; the baseline does nothing.

CPU is read from per-process and per-thread clocks, so a busy machine slows the rates but not
the CPU figures: the hub's CPU per record (its process clock over the hub stream), one Ed25519
verification in this process (the floor the hub's CPU is held to), and a stage table from
``bench.submit_stages`` (the same envelopes through ``Exchange.submit`` in this process).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import (
    Measurement,
    ScenarioResult,
    free_port,
    machine_load,
    new_federation,
    peak_rss_mb,
    process_cpu,
    start_hub_process,
    start_process,
)
from bench.submit_stages import stage_table
from flows.samples import ExchangePlan, outgoing_records
from hub.core import signing
from hub.identity.credentials import load_identity
from hub.sdk.client import MemberClient
from hub.transport.channel import CHANNEL_OPTIONS, channel_credentials
from pxhub.v1 import exchange_pb2


async def _seal_requests(
    target: str, federation: Path, passphrase: bytes, count: int, batch: int, seed: int
) -> list[bytes]:
    client = await MemberClient.connect(target, federation, "CO-INPEC", passphrase)
    try:
        plan = ExchangePlan(
            "CO-INPEC", seed=seed, profiles_per_partner=count, partners=("PE-INPE",), audits=0
        )
        envelopes = [
            client.seal(o.record, o.metadata, o.recipients)
            for o in outgoing_records(plan)
            if o.record.HasField("inmate_security_profile")
        ][:count]
    finally:
        await client.close()
    sizes = [e.ByteSize() for e in envelopes]
    print(
        f"  sealed {len(envelopes)} profiles, envelope size median {statistics.median(sizes):.0f} B "
        f"(min {min(sizes)}, max {max(sizes)})"
    )
    return [
        exchange_pb2.SubmitRequest(envelopes=envelopes[i : i + batch]).SerializeToString()
        for i in range(0, len(envelopes), batch)
    ]


async def _stream(
    target: str, federation: Path, passphrase: bytes, requests: list[bytes]
) -> tuple[float, int]:
    """Send pre-serialised requests on one Submit stream; returns (seconds, responses)."""
    identity = load_identity(federation, "CO-INPEC", passphrase)
    async with grpc.aio.secure_channel(
        target, channel_credentials(identity), options=CHANNEL_OPTIONS
    ) as channel:
        submit = channel.stream_stream(
            "/pxhub.v1.ExchangeService/Submit",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )

        async def requests_iter() -> AsyncIterator[bytes]:
            for request in requests:
                yield request

        started = time.perf_counter()
        responses = 0
        accepted_bytes = 0
        async for response in submit(requests_iter()):
            responses += 1
            accepted_bytes += len(response)
        return time.perf_counter() - started, responses


def _verify_cpu_us(requests: list[bytes], repeats: int = 2000) -> float:
    """Thread CPU of one Ed25519 verification of a real envelope's header, median of 5 runs."""
    envelope = exchange_pb2.SubmitRequest.FromString(requests[0]).envelopes[0]
    key = Ed25519PrivateKey.generate()
    signature = signing.sign(signing.DOMAIN_HEADER, envelope.header, key)
    public = key.public_key()
    runs = []
    for _ in range(5):
        started = time.thread_time()
        for _ in range(repeats):
            signing.verify(signing.DOMAIN_HEADER, envelope.header, signature, public)
        runs.append((time.thread_time() - started) / repeats * 1e6)
    return statistics.median(runs)


def _print_stages(stages: dict[str, float], serial: float, total: float, verify_us: float) -> None:
    print("  where the hub's CPU goes per record (Exchange.submit in this process, thread CPU):")
    print(f"    {'stage':<28}{'µs/record':>10}")
    for name, micros in stages.items():
        print(f"    {name:<28}{micros:>10.1f}")
    print(f"    {'total (process CPU)':<28}{total:>10.1f}")
    print(f"    {'serial (writer lock held)':<28}{serial:>10.1f}  wall")
    print(f"    {'one Ed25519 verify':<28}{verify_us:>10.1f}")


def run(count: int = 5000, rounds: int = 3, batch: int = 64) -> ScenarioResult:
    work, federation, passphrase = new_federation("pxhub-bench-")
    env = {"PXHUB_KEY_PASSPHRASE": passphrase.decode()}
    hub = start_hub_process(federation, passphrase, work / "data", work / "hub.log")
    hub_port, noop_port = hub.port, free_port()
    noop = start_process(
        ["-m", "bench.noop_server", str(federation), passphrase.decode(), str(noop_port)],
        work / "noop.log",
        env,
        ready_port=noop_port,
    )
    hub_rates, raw_rates, hub_cpu, verify, loads = [], [], [], [], []
    try:
        for round_index in range(rounds):
            requests = asyncio.run(
                _seal_requests(
                    f"127.0.0.1:{hub_port}", federation, passphrase, count, batch, seed=1000 + round_index
                )
            )
            seconds, _ = asyncio.run(_stream(f"127.0.0.1:{noop_port}", federation, passphrase, requests))
            raw_rates.append(count / seconds)
            cpu_before = process_cpu(hub.pid)
            seconds, responses = asyncio.run(
                _stream(f"127.0.0.1:{hub_port}", federation, passphrase, requests)
            )
            hub_cpu.append((process_cpu(hub.pid) - cpu_before) / count * 1e6)
            assert responses == len(requests)
            hub_rates.append(count / seconds)
            verify.append(_verify_cpu_us(requests))
            loads.append(machine_load())
            print(
                f"  round {round_index + 1}: raw {raw_rates[-1]:,.0f}/s, hub {hub_rates[-1]:,.0f}/s, "
                f"hub CPU {hub_cpu[-1]:,.0f} µs/record, one verify {verify[-1]:.0f} µs, "
                f"load {loads[-1]:.2f}"
            )
        hub_peak = peak_rss_mb(hub.pid)
    finally:
        hub.stop()
        noop.terminate()
        noop.wait(10)
    envelopes = [e for r in requests for e in exchange_pb2.SubmitRequest.FromString(r).envelopes]
    # The last round's envelopes again, in this process: they are fresh to a new store.
    stages, serial, total = stage_table(federation, work, envelopes, batch, "CO-INPEC")
    verify_us = statistics.median(verify)
    _print_stages(stages, serial, total, verify_us)
    gil_bound = [cpu - v for cpu, v in zip(hub_cpu, verify, strict=True)]
    result = ScenarioResult(
        "submit_throughput",
        {
            "profiles_per_round": count,
            "batch": batch,
            "rounds": rounds,
            "store": "sqlite WAL synchronous=FULL",
        },
        [
            Measurement("ingest_per_s_median", "records/s", hub_rates, notes="hub Submit, durable + audited"),
            Measurement("raw grpc.aio stream, no-op servicer", "records/s", raw_rates),
            Measurement("hub_cpu_us_per_record", "µs CPU", hub_cpu, notes="the hub process's CPU clock"),
            Measurement("verify_cpu_us", "µs CPU", verify, notes="one Ed25519 verify, same run"),
            Measurement(
                "gil_held_us_per_record",
                "µs CPU",
                gil_bound,
                notes="upper bound: hub CPU per record minus its signature check, the one part known "
                "to run without the GIL (SQLite's own time is counted as held)",
            ),
            Measurement(
                "serial_us_per_record", "µs wall", [serial], notes="writer lock held, in-process run"
            ),
            Measurement("load_average_1m", "", loads),
            Measurement("hub peak RSS", "MB", [hub_peak]),
            *(Measurement(f"stage: {name}", "µs CPU", [micros]) for name, micros in stages.items()),
        ],
    )
    result.ratios["hub / raw stream"] = statistics.median(hub_rates) / statistics.median(raw_rates)
    result.ratios["hub CPU per record / one verify"] = statistics.median(hub_cpu) / verify_us
    result.targets["hub ingest"] = ">= 5,000 records/s"
    result.targets["hub CPU per record"] = "<= 1.5 x one Ed25519 verify"
    result.targets["GIL held per record"] = "<= 50 µs"
    result.targets["serial section"] = "<= 30 µs per record"
    return result
