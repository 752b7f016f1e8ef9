"""Blind lookups at regional scale: publishing about 530,000 tokens, 100-token lookups, hub memory.

``count`` is the number of tokens (default 530,000, about the seven countries' combined prison
population); each member's share follows its country's prison population (``POPULATION``), and
the number of synthetic profiles per member (``generate_profiles``, generated beforehand, untimed)
is chosen so that their tokens add up to ``count`` (a profile gives about three).

* **Baseline, same run**: the CPU time of ``profile_tokens(key, profile)`` alone over the very
  profiles that are published, one thread, per profile and per token; a round of it runs before
  each publishing round.
* **Publishing, timed end to end**: a fresh ``pxhub serve`` on SQLite (WAL, synchronous=FULL) per
  round; the policy's matching-key issuer starts epoch 1, every member opens its copy of the key,
  then the members compute their tokens (``profile_tokens``; record handles with
  ``record_handle`` under each member's own key) and publish them with
  ``MemberClient.publish_tokens``. The tokens are computed on one thread, one member after another,
  in calls of ``PROFILES_PER_CALL`` profiles; a call is sent as soon as it is computed, while the
  next one is computed, with at most ``IN_FLIGHT`` calls unanswered. The clock runs from the first
  token computed to the last call answered (every token stored durably). The first 10 % of the
  profiles (CO-INPEC's first, in calls of the same size) are published first, then the rest: the
  hub's RSS is sampled between the two and at the end.
* **Lookups**: then ``LOOKUPS`` sequential lookups of 100 tokens by CO-INPEC for transnational
  organised crime under a bilateral agreement (PE and MX answer, the others are not permitted):
  the whole token sets of ``HELD_PERSONS`` persons held by other members, the rest random tokens.
  The hub's lookup rate limit (10 tokens/s per member by default) would stop this, so the hub runs
  with ``LOOKUP_ENV``.

Where the publishing time goes is reported beside it: the CPU time of the computing thread, of the
whole client process, and of the hub process (from ``/proc``), and the time spent waiting for
calls to be answered.

    .venv/bin/python -m bench lookup --count 50000
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import random
import secrets
import shutil
import statistics
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from adapters.samples.synthetic import generate_profiles
from bench.audit_log import percentile
from bench.bulk_sync import POPULATION
from bench.common import (
    HubProcess,
    Measurement,
    ScenarioResult,
    new_federation,
    process_cpu,
    rss_mb,
    start_hub_process,
)
from hub.core.lookup import TOKEN_SIZE, Token, profile_tokens, record_handle
from hub.dev.federation import default_member_ids
from hub.sdk import MemberClient
from pxhub.v1 import envelope_pb2, inmate_profile_pb2, lookup_pb2

Profile = inmate_profile_pb2.InmateSecurityProfile
E = envelope_pb2
L = lookup_pb2

DEFAULT_COUNT: Final = 530_000
SEED: Final = 2026
#: The member that asks, and for what: PE-INPE and MX-OADPRS have agreements with it for this.
ASKER: Final = "CO-INPEC"
CRIME: Final = (E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME, E.LEGAL_BASIS_BILATERAL_AGREEMENT)
LOOKUP_ENV: Final = {
    "PXHUB_MEMBER_LOOKUP_TOKENS_PER_SECOND": "1000000",
    "PXHUB_MEMBER_LOOKUP_TOKEN_BURST": "1000000",
}
#: Profiles per PublishTokens call: about 48,000 tokens, under the 50,000 a call may carry.
PROFILES_PER_CALL: Final = 16_000
IN_FLIGHT: Final = 2
FIRST_SHARE: Final = 0.10
LOOKUPS: Final = 200
WARMUP_LOOKUPS: Final = 10
TOKENS_PER_LOOKUP: Final = 100
HELD_PERSONS: Final = 16
SAMPLE_PROFILES: Final = 1_000


# ---------------------------------------------------------------------------------------------
# the profiles
# ---------------------------------------------------------------------------------------------


def token_shares(count: int) -> dict[str, int]:
    """``count`` tokens split over the members in proportion to their prison populations."""
    total = sum(POPULATION.values())
    shares = {m: count * POPULATION[m] // total for m in default_member_ids()}
    shares[max(shares, key=lambda m: shares[m])] += count - sum(shares.values())
    return shares


def make_profiles(count: int, seed: int) -> dict[str, list[Profile]]:
    """Each member's synthetic profiles, as many as give (about) its share of ``count`` tokens."""
    key = secrets.token_bytes(32)  # the number of tokens does not depend on the key
    out: dict[str, list[Profile]] = {}
    for member, share in token_shares(count).items():
        sample = list(generate_profiles(member, min(SAMPLE_PROFILES, max(share // 3, 1)), seed))
        per_profile = sum(len(profile_tokens(key, p)) for p in sample) / len(sample)
        wanted = max(1, round(share / per_profile))
        rest = generate_profiles(member, max(0, wanted - len(sample)), seed, start=len(sample))
        out[member] = [*sample[:wanted], *rest]
    return out


# ---------------------------------------------------------------------------------------------
# the baseline: the token function alone
# ---------------------------------------------------------------------------------------------


def token_function_round(profiles: dict[str, list[Profile]]) -> tuple[float, int, int]:
    """(CPU seconds of profile_tokens over every profile, profiles, tokens), on this thread."""
    key = secrets.token_bytes(32)
    tokens = n = 0
    started = time.thread_time()
    for member_profiles in profiles.values():
        for profile in member_profiles:
            tokens += len(profile_tokens(key, profile))
        n += len(member_profiles)
    return time.thread_time() - started, n, tokens


# ---------------------------------------------------------------------------------------------
# publishing
# ---------------------------------------------------------------------------------------------


@dataclass
class PublishStats:
    """What one round of publishing spent where."""

    seconds: float = 0.0
    tokens: int = 0
    added: int = 0
    calls: int = 0
    token_cpu: float = 0.0  # the computing thread in profile_tokens
    handle_cpu: float = 0.0  # ... in record_handle and building the (handle, token) pairs
    client_cpu: float = 0.0  # the whole client process (computing thread, event loop, gRPC)
    hub_cpu: float = 0.0
    waited: float = 0.0  # the event loop waiting, with nothing computed, for calls to be answered
    call_seconds: list[float] = field(default_factory=list)
    held: dict[str, int] = field(default_factory=dict)
    answered: int = 0  # tokens of the calls answered so far
    rss: list[tuple[int, float]] = field(default_factory=list)  # (answered, hub VmRSS MB) per call

    def rss_at(self, share: float) -> float:
        """The hub's RSS once ``share`` of the tokens were answered (the first sample past it)."""
        wanted = share * self.tokens
        return next((rss for answered, rss in self.rss if answered >= wanted), self.rss[-1][1])


Call = tuple[str, Sequence[Profile]]  # a member and the profiles of one PublishTokens call


def plan_calls(profiles: Mapping[str, Sequence[Profile]]) -> tuple[list[Call], list[Call]]:
    """The calls of the first ``FIRST_SHARE`` of all profiles (members in order, so CO-INPEC's first),
    and of the rest: each member's profiles in calls of ``PROFILES_PER_CALL``, cut once at the share."""
    budget = math.ceil(sum(len(p) for p in profiles.values()) * FIRST_SHARE)
    first: list[Call] = []
    rest: list[Call] = []
    for member, member_profiles in profiles.items():
        cut = min(budget, len(member_profiles))
        budget -= cut
        for calls, part in ((first, member_profiles[:cut]), (rest, member_profiles[cut:])):
            calls += [
                (member, part[i : i + PROFILES_PER_CALL]) for i in range(0, len(part), PROFILES_PER_CALL)
            ]
    return first, rest


def compute_call(
    key: bytes, handle_key: bytes, profiles: Sequence[Profile]
) -> tuple[list[tuple[str, Token]], float, float]:
    """The (handle, token) pairs of some profiles: (pairs, CPU in profile_tokens, CPU in the rest)."""
    t0 = time.thread_time()
    tokens = [profile_tokens(key, p) for p in profiles]
    t1 = time.thread_time()
    pairs: list[tuple[str, Token]] = []
    for profile, found in zip(profiles, tokens, strict=True):
        handle = record_handle(handle_key, profile.custodian_subject_id)
        pairs.extend((handle, t) for t in found)
    return pairs, t1 - t0, time.thread_time() - t1


async def publish_phase(
    clients: dict[str, MemberClient],
    keys: dict[str, bytes],
    handle_keys: dict[str, bytes],
    calls: Sequence[Call],
    epoch: int,
    hub_pid: int,
    stats: PublishStats,
) -> None:
    """Compute and publish the tokens of ``calls``, in order; returns when every call is answered."""
    loop = asyncio.get_running_loop()
    computing = ThreadPoolExecutor(1, thread_name_prefix="tokens")
    in_flight = asyncio.Semaphore(IN_FLIGHT)
    sent: list[asyncio.Task[None]] = []

    async def send(member: str, pairs: list[tuple[str, Token]]) -> None:
        try:
            started = time.perf_counter()
            added, _, held = await clients[member].publish_tokens(epoch, pairs)
            stats.call_seconds.append(time.perf_counter() - started)
            stats.added += added
            stats.held[member] = max(held, stats.held.get(member, 0))  # calls may answer out of order
            stats.calls += 1
            stats.answered += len(pairs)
            stats.rss.append((stats.answered, rss_mb(hub_pid)))
        finally:
            in_flight.release()

    hub_cpu, client_cpu = process_cpu(hub_pid), time.process_time()
    started = time.perf_counter()
    try:
        for member, chunk in calls:
            pairs, token_cpu, handle_cpu = await loop.run_in_executor(
                computing, compute_call, keys[member], handle_keys[member], chunk
            )
            stats.token_cpu += token_cpu
            stats.handle_cpu += handle_cpu
            stats.tokens += len(pairs)
            waiting = time.perf_counter()
            await in_flight.acquire()
            stats.waited += time.perf_counter() - waiting
            sent.append(asyncio.create_task(send(member, pairs)))
        waiting = time.perf_counter()
        await asyncio.gather(*sent)
        stats.waited += time.perf_counter() - waiting
    finally:
        computing.shutdown()
    stats.seconds += time.perf_counter() - started
    stats.client_cpu += time.process_time() - client_cpu
    stats.hub_cpu += process_cpu(hub_pid) - hub_cpu


# ---------------------------------------------------------------------------------------------
# lookups
# ---------------------------------------------------------------------------------------------


def lookup_sets(
    key: bytes, profiles: dict[str, list[Profile]], lookups: int, seed: int
) -> tuple[list[list[Token]], int]:
    """``lookups`` sets of 100 tokens: ``HELD_PERSONS`` persons of other members, random tokens to
    fill; and how many of the tokens are held by a member that answers the asker (PE or MX)."""
    rng = random.Random(seed)
    others = [(m, p) for m in profiles if m != ASKER for p in profiles[m]]
    out, answerable = [], 0
    kinds = (L.MATCH_KIND_DOCUMENT, L.MATCH_KIND_DEMOGRAPHIC)
    for _ in range(lookups):
        tokens: list[Token] = []
        for member, profile in rng.sample(others, HELD_PERSONS):
            found = profile_tokens(key, profile)[: TOKENS_PER_LOOKUP - len(tokens)]
            tokens += found
            answerable += len(found) if member in ("PE-INPE", "MX-OADPRS") else 0
        while len(tokens) < TOKENS_PER_LOOKUP:
            tokens.append(Token(kinds[len(tokens) % 2], rng.randbytes(TOKEN_SIZE)))
        rng.shuffle(tokens)
        out.append(tokens)
    return out, answerable


async def lookup_latencies(
    client: MemberClient, epoch: int, sets: list[list[Token]]
) -> tuple[list[float], int]:
    """Milliseconds of each lookup, one after another (after a few unmeasured); and the hits."""
    for tokens in sets[:WARMUP_LOOKUPS]:
        await client.lookup(*CRIME, tokens, epoch)
    latencies, hits = [], 0
    for tokens in sets[WARMUP_LOOKUPS:]:
        started = time.perf_counter()
        response = await client.lookup(*CRIME, tokens, epoch)
        latencies.append((time.perf_counter() - started) * 1000)
        hits += sum(len(a.hits) for a in response.answers)
    return latencies, hits


# ---------------------------------------------------------------------------------------------
# one round
# ---------------------------------------------------------------------------------------------


@dataclass
class Round:
    publish: PublishStats
    rss_first: float
    rss_all: float
    tokens_first: int
    latencies: list[float]
    hits: int
    answerable: int
    wal_bytes: int
    rss_after_lookups: float
    db_bytes: int = 0  # once the hub has stopped


def file_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def one_round(
    hub: HubProcess,
    data: Path,
    federation: Path,
    passphrase: bytes,
    profiles: dict[str, list[Profile]],
    lookups: int,
    seed: int,
) -> Round:
    clients = {m: await MemberClient.connect(hub.target, federation, m, passphrase) for m in profiles}
    try:
        epoch = await clients[ASKER].start_epoch()
        keys = {m: (await c.matching_key(epoch))[1] for m, c in clients.items()}
        assert len(set(keys.values())) == 1
        # Each member's own secret for its record handles (as a member derives it from its own key).
        handle_keys = {m: hashlib.sha256(f"bench handle key {seed} {m}".encode()).digest() for m in profiles}
        first, rest = plan_calls(profiles)
        stats = PublishStats()
        await publish_phase(clients, keys, handle_keys, first, epoch, hub.pid, stats)
        tokens_first, rss_first = stats.tokens, rss_mb(hub.pid)
        await publish_phase(clients, keys, handle_keys, rest, epoch, hub.pid, stats)
        rss_all = rss_mb(hub.pid)
        wal_bytes = file_size(data / "pxhub.db-wal")
        if stats.added != stats.tokens or sum(stats.held.values()) != stats.tokens:
            raise RuntimeError(
                f"{stats.tokens:,} tokens sent, {stats.added:,} added, {sum(stats.held.values()):,} held"
            )
        sets, answerable = lookup_sets(keys[ASKER], profiles, lookups + WARMUP_LOOKUPS, seed)
        latencies, hits = await lookup_latencies(clients[ASKER], epoch, sets)
        if answerable and not hits:
            raise RuntimeError("no lookup hit, though the lookups carried tokens PE and MX hold")
        return Round(
            stats, rss_first, rss_all, tokens_first, latencies, hits, answerable, wal_bytes, rss_mb(hub.pid)
        )
    finally:
        for client in clients.values():
            await client.close()


# ---------------------------------------------------------------------------------------------
# the scenario
# ---------------------------------------------------------------------------------------------


def run(count: int = DEFAULT_COUNT, rounds: int = 3, lookups: int = LOOKUPS) -> ScenarioResult:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    profiles = make_profiles(count, SEED)
    n_profiles = sum(len(p) for p in profiles.values())
    print(f"  generated {n_profiles:,} profiles in {time.perf_counter() - started:.1f} s (untimed)")
    work, federation, passphrase = new_federation("pxhub-bench-lookup-")
    baseline: list[float] = []
    done: list[Round] = []
    tokens = 0
    try:
        for r in range(rounds):
            cpu, _, tokens = token_function_round(profiles)
            baseline.append(cpu)
            data = work / f"data-{r}"
            hub = start_hub_process(federation, passphrase, data, work / f"hub-{r}.log", LOOKUP_ENV)
            try:
                done.append(
                    asyncio.run(one_round(hub, data, federation, passphrase, profiles, lookups, SEED + r))
                )
            finally:
                hub.stop()
            # The hub closed its connections: the WAL is checkpointed into the file (and gone).
            done[-1].db_bytes = file_size(data / "pxhub.db") + file_size(data / "pxhub.db-wal")
            if done[-1].publish.tokens != tokens:
                raise RuntimeError(f"{done[-1].publish.tokens:,} tokens published, {tokens:,} computed alone")
            print(f"  round {r + 1}: {summary(done[-1], cpu, tokens)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report(count, rounds, lookups, profiles, tokens, baseline, done, load_before)


def summary(done: Round, cpu: float, tokens: int) -> str:
    p, ms = done.publish, done.latencies
    return (
        f"token function {cpu:.2f} s CPU ({tokens:,} tokens); publish {p.seconds:.2f} s "
        f"({p.tokens / p.seconds:,.0f} tokens/s, x{p.seconds / cpu:.2f}; hub CPU {p.hub_cpu:.2f} s, "
        f"client CPU {p.client_cpu:.2f} s, waited {p.waited:.2f} s); lookup p50 {percentile(ms, 0.5):.2f} ms "
        f"p99 {percentile(ms, 0.99):.2f} ms; hub RSS {done.rss_first:.0f} -> "
        f"{done.publish.rss_at(0.5):.0f} -> {done.rss_all:.0f} MB (10 %, 50 %, 100 %)"
    )


def report(
    count: int,
    rounds: int,
    lookups: int,
    profiles: dict[str, list[Profile]],
    tokens: int,
    baseline: list[float],
    done: list[Round],
    load_before: float,
) -> ScenarioResult:
    n_profiles = sum(len(p) for p in profiles.values())
    seconds = [d.publish.seconds for d in done]
    mb = 1024 * 1024
    result = ScenarioResult(
        "lookup",
        {
            "count": count,
            "tokens": tokens,
            "profiles": n_profiles,
            "profiles_per_member": {m: len(p) for m, p in profiles.items()},
            "rounds": rounds,
            "profiles_per_call": PROFILES_PER_CALL,
            "calls_in_flight": IN_FLIGHT,
            "lookups_per_round": lookups,
            "tokens_per_lookup": TOKENS_PER_LOOKUP,
            "held_persons_per_lookup": HELD_PERSONS,
            "asker": f"{ASKER}, TRANSNATIONAL_ORGANISED_CRIME under BILATERAL_AGREEMENT",
            "hub_env": dict(LOOKUP_ENV),
            "store": "sqlite WAL synchronous=FULL, a fresh hub process per round",
            "load_average_before": round(load_before, 2),
            "load_average_after": round(os.getloadavg()[0], 2),
        },
        [
            Measurement(
                "token_function_seconds",
                "s CPU",
                baseline,
                baseline_of="publish_seconds",
                notes="profile_tokens over every published profile, one thread",
            ),
            Measurement("token_function_us_per_profile", "µs CPU", [s / n_profiles * 1e6 for s in baseline]),
            Measurement("token_function_us_per_token", "µs CPU", [s / tokens * 1e6 for s in baseline]),
            Measurement(
                "publish_seconds",
                "s",
                seconds,
                notes="first token computed to last PublishTokens answered, every token stored durably",
            ),
            Measurement(
                "publish_tokens_per_s", "tokens/s", [d.publish.tokens / d.publish.seconds for d in done]
            ),
            Measurement(
                "publish_token_cpu_seconds",
                "s CPU",
                [d.publish.token_cpu for d in done],
                notes="the client's computing thread in profile_tokens, while publishing",
            ),
            Measurement(
                "publish_handle_cpu_seconds",
                "s CPU",
                [d.publish.handle_cpu for d in done],
                notes="the computing thread in record_handle and building the pairs",
            ),
            Measurement(
                "publish_client_cpu_seconds",
                "s CPU",
                [d.publish.client_cpu for d in done],
                notes="the whole client process: computing thread, event loop, gRPC",
            ),
            Measurement("publish_hub_cpu_seconds", "s CPU", [d.publish.hub_cpu for d in done]),
            Measurement(
                "publish_hub_cpu_us_per_token",
                "µs CPU",
                [d.publish.hub_cpu / d.publish.tokens * 1e6 for d in done],
            ),
            Measurement(
                "publish_waited_seconds",
                "s",
                [d.publish.waited for d in done],
                notes="nothing left to compute until the hub answered a call",
            ),
            Measurement(
                "publish_call_p50_seconds",
                "s",
                [statistics.median(d.publish.call_seconds) for d in done],
                notes=f"one PublishTokens call of about {PROFILES_PER_CALL * 3:,} tokens, sent to answered",
            ),
            Measurement("lookup_p50_ms", "ms", [percentile(d.latencies, 0.5) for d in done]),
            Measurement("lookup_p99_ms", "ms", [percentile(d.latencies, 0.99) for d in done]),
            Measurement("lookup_max_ms", "ms", [max(d.latencies) for d in done]),
            Measurement(
                "lookup_hits_per_lookup",
                "hits",
                [d.hits / len(d.latencies) for d in done],
                notes="match references handed out per lookup (PE and MX answer the asker)",
            ),
            Measurement(
                "rss_mb_at_10pct",
                "MB",
                [d.rss_first for d in done],
                notes="hub VmRSS once the first 10 % of the tokens were published (same call size)",
            ),
            Measurement("tokens_at_10pct", "tokens", [d.tokens_first for d in done]),
            Measurement(
                "rss_mb_at_50pct",
                "MB",
                [d.publish.rss_at(0.5) for d in done],
                notes="hub VmRSS sampled after each call answered, the first sample past half the tokens",
            ),
            Measurement("rss_mb_at_100pct", "MB", [d.rss_all for d in done]),
            Measurement("rss_mb_after_lookups", "MB", [d.rss_after_lookups for d in done]),
            Measurement(
                "sqlite_db_mb",
                "MB",
                [d.db_bytes / mb for d in done],
                notes="pxhub.db once the hub stopped (its WAL checkpointed into it), after the lookups",
            ),
            Measurement(
                "sqlite_wal_mb",
                "MB",
                [d.wal_bytes / mb for d in done],
                notes="pxhub.db-wal right after publishing, the hub running",
            ),
            Measurement("sqlite_bytes_per_token", "B", [d.db_bytes / d.publish.tokens for d in done]),
        ],
    )
    result.ratios["publish_vs_token_function"] = statistics.median(seconds) / statistics.median(baseline)
    result.ratios["rss_100pct_vs_10pct"] = statistics.median(d.rss_all / d.rss_first for d in done)
    result.ratios["rss_100pct_vs_50pct"] = statistics.median(d.rss_all / d.publish.rss_at(0.5) for d in done)
    result.targets["publish_vs_token_function"] = "<= 2"
    result.targets["lookup_p99_ms"] = "<= 20 ms (100 tokens)"
    result.targets["rss"] = "flat in the number of tokens"
    return result
