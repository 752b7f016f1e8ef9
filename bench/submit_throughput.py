"""Hub ingest of sealed profiles over one Submit stream, next to a raw grpc.aio stream of the same bytes.

Both servers run as their own processes with the same mTLS; the client sends
identical SubmitRequest bytes (batches of sealed 1-2 KB profiles). The hub
verifies, checks, stores durably in SQLite (WAL, synchronous=FULL), writes the
audit entries and answers one receipt per envelope; the baseline does nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc

from bench.common import (
    Measurement,
    ScenarioResult,
    free_port,
    new_federation,
    peak_rss_mb,
    start_hub_process,
    start_process,
)
from flows.samples import ExchangePlan, outgoing_records
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
    hub_rates, raw_rates = [], []
    try:
        for round_index in range(rounds):
            requests = asyncio.run(
                _seal_requests(
                    f"127.0.0.1:{hub_port}", federation, passphrase, count, batch, seed=1000 + round_index
                )
            )
            seconds, _ = asyncio.run(_stream(f"127.0.0.1:{noop_port}", federation, passphrase, requests))
            raw_rates.append(count / seconds)
            seconds, responses = asyncio.run(
                _stream(f"127.0.0.1:{hub_port}", federation, passphrase, requests)
            )
            assert responses == len(requests)
            hub_rates.append(count / seconds)
            print(f"  round {round_index + 1}: raw {raw_rates[-1]:,.0f}/s, hub {hub_rates[-1]:,.0f}/s")
        hub_peak = peak_rss_mb(hub.pid)
    finally:
        hub.stop()
        noop.terminate()
        noop.wait(10)
    result = ScenarioResult(
        "submit_throughput",
        {
            "profiles_per_round": count,
            "batch": batch,
            "rounds": rounds,
            "store": "sqlite WAL synchronous=FULL",
        },
        [
            Measurement("hub Submit, durable + audited", "records/s", hub_rates),
            Measurement("raw grpc.aio stream, no-op servicer", "records/s", raw_rates),
            Measurement("hub peak RSS", "MB", [hub_peak]),
        ],
    )
    result.ratios["hub / raw stream"] = statistics.median(hub_rates) / statistics.median(raw_rates)
    result.targets["hub ingest"] = (
        ">= 2,000 records/s (foundation issue); >= 5,000 and >= 0.35 of raw (scale issue)"
    )
    return result
