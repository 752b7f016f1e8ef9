"""The audit log: durable appends, proof latency, append-to-provable time and whole-log verification.

* appends/s: ``SqlHubStore.append_audit`` in batches into a SQLite file (WAL, synchronous=FULL):
  leaves, Merkle nodes and the filter index, one transaction per batch; beside it the baseline, a
  raw ``sqlite3`` ``executemany`` of exactly the same rows (precomputed) into the same schema with
  the same pragmas and the same transactions.
* inclusion-proof latency p50/p99 from stored nodes (the store's one batched read) at 100k and 1M
  entries, the log built through the store's append path; and the same proof over gRPC from a hub
  process, where every call also appends its own ``audit.query`` entry durably.
* append to provable: append one entry, have the hub sign a checkpoint that covers it (on demand),
  compute its inclusion proof and verify it against the signed root.
* whole-log verification at 1M entries: what ``pxhub audit verify`` does, end to end against a hub
  process (fetch every entry over gRPC, recompute leaves and root, check the signature), beside the
  local recomputation alone (hash 1M entries and fold the root).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import secrets
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import Measurement, ScenarioResult, start_hub_process
from hub.core import merkle
from hub.core.audit_entry import AuditEntry
from hub.core.audit_index import index_terms
from hub.core.checkpoint import open_checkpoint
from hub.dev.federation import default_member_ids, init_federation
from hub.identity.credentials import load_hub
from hub.identity.directory import Directory
from hub.identity.manifest import load_manifest
from hub.sdk.audit.client import AuditClient, trust_anchors
from hub.sdk.audit.tree import mth
from hub.sdk.audit.verify import verify_log
from hub.services.audit import AuditLogService
from hub.store.audit import object_ref, party_ref
from hub.store.audit_append import plan_append
from hub.store.sql.store import SqlHubStore

START = datetime(2025, 1, 1, tzinfo=UTC)


def make_entries(first: int, count: int) -> list[bytes]:
    """Realistic canonical entries (a permitted submission each), templated for speed."""
    out = []
    members = len(default_member_ids())
    for i in range(first, first + count):
        sender, recipient = (
            default_member_ids()[i % members],
            default_member_ids()[(i + 1 + i // members) % members],
        )
        if recipient == sender:
            recipient = default_member_ids()[(i + 2) % members]
        t = START + timedelta(microseconds=i * 50_000)
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(
            (
                b'{"action":"submit","actor_id":"%s","actor_kind":"member","details":{"classification":'
                b'"RESTRICTED","kind":"INMATE_SECURITY_PROFILE","purpose":"TRANSNATIONAL_ORGANISED_CRIME",'
                b'"recipients":"%s","size":%d},"object_ids":["message:01JPBV%020d"],"officer_pseudonym":'
                b'"op-%08x","outcome":"permit","reason":"","time":"%s","v":1}'
            )
            % (sender.encode(), recipient.encode(), 1500 + i % 900, i, i * 2654435761 % 2**32, stamp.encode())
        )
    AuditEntry.decode(out[0])  # the template is canonical
    return out


def build(store: SqlHubStore, total: int, batch: int = 5000) -> float:
    """Append up to ``total`` entries through the store; returns appends/s (appending time only)."""
    size = first = store.audit_tree_size()
    spent = 0.0
    while size < total:
        entries = make_entries(size, min(batch, total - size))
        started = time.perf_counter()
        size = store.append_audit(entries)
        spent += time.perf_counter() - started
    return (size - first) / spent if spent else 0.0


# ---------------------------------------------------------------------------------------------
# appends/s beside raw sqlite3
# ---------------------------------------------------------------------------------------------


def _rows(entries: list[bytes], first: int, frontier: dict[tuple[int, int], bytes]) -> list[tuple[str, list]]:  # type: ignore[type-arg]
    leaves, nodes = plan_append(first, entries, lambda level, index: frontier[(level, index)])
    for level, index, h in nodes:
        frontier[(level, index)] = h
    index_rows, refs = [], []
    for index, entry, _ in leaves:
        terms = index_terms(entry)
        index_rows.append((index, terms.time, terms.actor_id, terms.action))
        refs += [(party_ref(p), index) for p in terms.parties]
        refs += [(object_ref(o), index) for o in terms.objects]
    return [
        ("INSERT INTO audit_entries (idx, entry, leaf_hash) VALUES (?, ?, ?)", leaves),
        ("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes),
        ("INSERT INTO audit_index (idx, time, actor_id, action) VALUES (?, ?, ?, ?)", index_rows),
        ("INSERT INTO audit_refs (ref, idx) VALUES (?, ?)", refs),
    ]


def appends_round(work: Path, count: int, batch: int, round_index: int) -> tuple[float, float, float]:
    """(store appends/s, raw sqlite3 appends/s of the same rows, rows per entry)."""
    batches = [make_entries(i, min(batch, count - i)) for i in range(0, count, batch)]
    store = SqlHubStore(f"sqlite:///{work / f'append-{round_index}.db'}")
    started = time.perf_counter()
    for entries in batches:
        store.append_audit(entries)
    store_rate = count / (time.perf_counter() - started)
    store.close()

    raw_path = work / f"raw-{round_index}.db"
    SqlHubStore(f"sqlite:///{raw_path}").close()  # the same schema
    frontier: dict[tuple[int, int], bytes] = {}
    prepared, first = [], 0
    for entries in batches:
        prepared.append(_rows(entries, first, frontier))
        first += len(entries)
    rows_per_entry = sum(len(rows) for _, rows in prepared[0]) / len(batches[0])
    db = sqlite3.connect(raw_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    started = time.perf_counter()
    for statements in prepared:
        db.execute("BEGIN IMMEDIATE")
        for sql, rows in statements:
            db.executemany(sql, rows)
        db.execute("COMMIT")
    raw_rate = count / (time.perf_counter() - started)
    db.close()
    return store_rate, raw_rate, round(rows_per_entry, 1)


# ---------------------------------------------------------------------------------------------
# proofs, provability, verification
# ---------------------------------------------------------------------------------------------


def proof_latencies_ms(store: SqlHubStore, samples: int, warmup: int = 500) -> list[float]:
    """Steady-state latency: a warm-up pass first (statement caches, page cache), then the samples."""
    size = store.audit_tree_size()
    rng = random.Random(size)
    for _ in range(warmup):
        store.audit_inclusion_proof(rng.randrange(size), size)
    out = []
    for _ in range(samples):
        index = rng.randrange(size)
        started = time.perf_counter()
        store.audit_inclusion_proof(index, size)
        out.append((time.perf_counter() - started) * 1000)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def append_to_provable_ms(
    store: SqlHubStore, federation: Path, passphrase: bytes, samples: int
) -> list[float]:
    """Append one entry, sign a checkpoint covering it, prove and verify its inclusion."""
    credentials = load_hub(federation, passphrase)
    service = AuditLogService(
        store,
        store.append_audit,
        credentials.signing_key,
        credentials.hub_origin,
        Directory.from_federation(federation),
    )
    public = credentials.signing_key.public_key()
    out = []
    for _ in range(samples):
        entry = make_entries(store.audit_tree_size(), 1)
        started = time.perf_counter()
        index = store.append_audit(entry) - 1
        stored = service.issue()
        checkpoint, _ = open_checkpoint(stored.note, {credentials.hub_origin: public})
        proof = store.audit_inclusion_proof(index, checkpoint.size)
        merkle.verify_inclusion(
            merkle.leaf_hash(entry[0]), index, checkpoint.size, proof, checkpoint.root_hash
        )
        out.append((time.perf_counter() - started) * 1000)
    return out


def local_recompute_seconds(store: SqlHubStore) -> float:
    """The verifier's CPU part alone: hash every entry and fold the root (as hub.sdk.audit.verify does)."""
    size = store.audit_tree_size()
    entries: list[bytes] = []
    for start in range(0, size, 50_000):
        entries += store.audit_entries(start, min(size, start + 50_000))
    started = time.perf_counter()
    sha256 = hashlib.sha256
    root = mth([sha256(b"\x00" + entry).digest() for entry in entries])
    seconds = time.perf_counter() - started
    assert root == store.audit_root(size)
    return seconds


async def over_grpc(
    target: str, federation: Path, passphrase: bytes, proofs: int
) -> tuple[float, int, list[float]]:
    """(seconds for a whole-log verify, entries verified, GetInclusionProof latencies in ms)."""
    client = await AuditClient.connect(target, federation, "AUDITOR-1", passphrase)
    try:
        anchors = trust_anchors(load_manifest(federation))
        started = time.perf_counter()
        verified = await verify_log(client, anchors, issue=True)
        seconds = time.perf_counter() - started
        size = verified.checkpoint.size
        rng = random.Random(7)
        latencies = []
        for _ in range(proofs):
            index = rng.randrange(size)
            t0 = time.perf_counter()
            await client.inclusion_proof(index, size)
            latencies.append((time.perf_counter() - t0) * 1000)
        return seconds, size, latencies
    finally:
        await client.close()


def run(
    count: int = 100_000,
    rounds: int = 3,
    batch: int = 1000,
    large: int = 1_000_000,
    proofs: int = 2000,
    provable: int = 200,
    rpc_proofs: int = 300,
) -> ScenarioResult:
    work = Path(tempfile.mkdtemp(prefix="pxhub-bench-audit-"))
    try:
        return _run(work, count, rounds, batch, large, proofs, provable, rpc_proofs)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # a 1M-entry log is over a gigabyte


def _run(
    work: Path, count: int, rounds: int, batch: int, large: int, proofs: int, provable: int, rpc_proofs: int
) -> ScenarioResult:
    passphrase = secrets.token_urlsafe(18).encode()
    federation = work / "federation"
    init_federation(federation, passphrase)

    store_rates, raw_rates, rows_per_entry = [], [], 0.0
    for r in range(rounds):
        store_rate, raw_rate, rows_per_entry = appends_round(work, count, batch, r)
        store_rates.append(store_rate)
        raw_rates.append(raw_rate)
        print(f"  round {r + 1}: store {store_rate:,.0f}/s, raw sqlite3 {raw_rate:,.0f}/s")

    data = work / "data"
    data.mkdir()
    store = SqlHubStore(f"sqlite:///{data / 'pxhub.db'}")
    build(store, 100_000)
    at_100k = proof_latencies_ms(store, proofs)
    print(f"  100k: proof p50 {percentile(at_100k, 0.5):.3f} ms, p99 {percentile(at_100k, 0.99):.3f} ms")
    build_rate = build(store, large)
    at_large = proof_latencies_ms(store, proofs)
    print(
        f"  {large:,}: built at {build_rate:,.0f}/s; proof p50 {percentile(at_large, 0.5):.3f} ms, "
        f"p99 {percentile(at_large, 0.99):.3f} ms"
    )
    recompute = local_recompute_seconds(store)
    provable_ms = append_to_provable_ms(store, federation, passphrase, provable)
    p50, p99 = percentile(provable_ms, 0.5), percentile(provable_ms, 0.99)
    print(f"  append to provable: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    store.close()

    hub = start_hub_process(federation, passphrase, data, work / "hub.log", {"PXHUB_LOG_LEVEL": "warning"})
    try:
        verify_seconds, verified_size, rpc_ms = asyncio.run(
            over_grpc(hub.target, federation, passphrase, rpc_proofs)
        )
    finally:
        hub.stop()
    print(f"  verify {verified_size:,} entries over gRPC: {verify_seconds:.2f} s (local: {recompute:.2f} s)")

    result = ScenarioResult(
        "audit_log",
        {
            "entries_per_round": count,
            "batch": batch,
            "rounds": rounds,
            "large_log": large,
            "rows_per_entry": rows_per_entry,
            "store": "sqlite WAL synchronous=FULL",
        },
        [
            Measurement("store append_audit (leaves, nodes, index)", "appends/s", store_rates),
            Measurement("raw sqlite3 executemany, same rows", "appends/s", raw_rates, baseline_of="store"),
            Measurement(f"appends from 100k to {large:,} (batch 5000)", "appends/s", [build_rate]),
            Measurement("inclusion proof at 100k, p50", "ms", [percentile(at_100k, 0.5)]),
            Measurement("inclusion proof at 100k, p99", "ms", [percentile(at_100k, 0.99)]),
            Measurement(f"inclusion proof at {large:,}, p50", "ms", [percentile(at_large, 0.5)]),
            Measurement(f"inclusion proof at {large:,}, p99", "ms", [percentile(at_large, 0.99)]),
            Measurement(
                f"GetInclusionProof RPC at {large:,}, p50 (logged query)", "ms", [percentile(rpc_ms, 0.5)]
            ),
            Measurement(
                f"GetInclusionProof RPC at {large:,}, p99 (logged query)", "ms", [percentile(rpc_ms, 0.99)]
            ),
            Measurement(
                "append to provable (sign + prove + verify), p50", "ms", [percentile(provable_ms, 0.5)]
            ),
            Measurement(
                "append to provable (sign + prove + verify), p99", "ms", [percentile(provable_ms, 0.99)]
            ),
            Measurement(f"verify whole log of {verified_size:,} over gRPC", "s", [verify_seconds]),
            Measurement(f"recompute leaves + root of {large:,} locally", "s", [recompute]),
        ],
    )
    result.ratios["store / raw sqlite3"] = statistics.median(store_rates) / statistics.median(raw_rates)
    result.targets["appends"] = ">= 20,000 appends/s (Tessera: ~2,900/s on local disk)"
    result.targets["provable"] = "an entry provable within 1 s of its append"
    result.targets["inclusion proof"] = "p99 <= 1 ms at 1M entries"
    result.targets["verify"] = "whole-log verify of 1M entries <= 10 s"
    return result
