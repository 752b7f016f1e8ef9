"""Hostile input: > 100,000 generated malformed and adversarial inputs, bounded in time.

Most go through the pure admission path in process (``Exchange.check_one`` on mutated
envelopes); a few thousand go over real gRPC to every RPC (random bytes on a raw channel, huge
repeated fields, unknown enum values, deep nesting) while an honest member keeps submitting.
The hub never crashes, stores nothing it rejected, and names a specific reason for each.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pool
from google.protobuf.message import DecodeError

from hub.core.envelope import EnvelopeError, RecipientKey, SignerKey, seal
from hub.dev.federation import default_members
from hub.identity.caller import Caller
from hub.identity.credentials import load_identity
from hub.identity.directory import Directory
from hub.services.exchange import Exchange
from hub.store import open_store
from hub.transport.status import reason_of
from pxhub.v1 import envelope_pb2, exchange_pb2
from tests.conftest import PASSPHRASE, HubHandle, start_test_hub
from tests.security_support import channel, identity_credentials
from tests.test_exchange_grpc import knowledge_metadata, practice

pytestmark = pytest.mark.fuzz

E = envelope_pb2
SENDER = default_members()[0].member_id
RECIPIENTS = [m.member_id for m in default_members()[1:4]]
HONEST = default_members()[5].member_id
IN_PROCESS_INPUTS = int(os.environ.get("PXHUB_FUZZ_INPUTS", "100000"))
OVER_GRPC_INPUTS = int(os.environ.get("PXHUB_FUZZ_GRPC_INPUTS", "2000"))


def _sealer(federation_dir: Path, directory: Directory) -> Callable[..., envelope_pb2.Envelope]:
    identity = load_identity(federation_dir, SENDER, PASSPHRASE)
    signer = SignerKey(SENDER, identity.signing_key_id, identity.signing_key)
    keys = []
    for member_id in RECIPIENTS:
        found = directory.encryption_key(member_id)
        assert found is not None
        keys.append(RecipientKey(member_id, found[0], found[1]))

    def make(now: datetime | None = None) -> envelope_pb2.Envelope:
        when = now or datetime.now(UTC)
        return seal(practice(SENDER), knowledge_metadata(), signer, keys, now=when, random_bytes=os.urandom)

    return make


def _flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def mutations(
    good: list[envelope_pb2.Envelope], stale: envelope_pb2.Envelope, future: envelope_pb2.Envelope
) -> list[Callable[[random.Random], envelope_pb2.Envelope]]:
    """Each returns a hostile envelope derived from the honest ones."""

    def pick(rng: random.Random) -> envelope_pb2.Envelope:
        copy = envelope_pb2.Envelope()
        copy.CopyFrom(rng.choice(good))
        return copy

    def header_flip(rng: random.Random) -> envelope_pb2.Envelope:
        e = pick(rng)
        e.header = _flip(e.header, rng)
        return e

    def ciphertext_flip(rng: random.Random) -> envelope_pb2.Envelope:
        e = pick(rng)
        e.ciphertext = _flip(e.ciphertext, rng)
        return e

    def signature_flip(rng: random.Random) -> envelope_pb2.Envelope:
        e = pick(rng)
        e.signatures[0].value = _flip(e.signatures[0].value, rng)
        return e

    def key_wrap_flip(rng: random.Random) -> envelope_pb2.Envelope:
        e = pick(rng)
        wrap = rng.choice(e.key_wraps)
        wrap.enc = _flip(wrap.enc, rng)
        return e

    def huge_repeated(rng: random.Random) -> envelope_pb2.Envelope:
        e = pick(rng)
        for _ in range(rng.randrange(10, 60)):  # bigger ones go over gRPC below
            e.key_wraps.add().CopyFrom(e.key_wraps[0])
        return e

    def signature_of_another(rng: random.Random) -> envelope_pb2.Envelope:
        e, other = rng.sample(good, 2)
        copy = envelope_pb2.Envelope()
        copy.CopyFrom(e)
        del copy.signatures[:]
        copy.signatures.extend(other.signatures)
        return copy

    def header_of_another(rng: random.Random) -> envelope_pb2.Envelope:  # header does not match ciphertext
        e, other = rng.sample(good, 2)
        copy = envelope_pb2.Envelope()
        copy.CopyFrom(e)
        copy.header = other.header
        del copy.signatures[:]
        copy.signatures.extend(other.signatures)
        return copy

    def random_header(rng: random.Random) -> envelope_pb2.Envelope:
        e = pick(rng)
        e.header = rng.randbytes(rng.randrange(0, 300))
        return e

    def truncated(rng: random.Random) -> envelope_pb2.Envelope:
        e = pick(rng)
        field = rng.choice(["header", "ciphertext"])
        value = getattr(e, field)
        setattr(e, field, value[: rng.randrange(len(value) or 1)])
        return e

    def oversized(rng: random.Random) -> envelope_pb2.Envelope:
        e = pick(rng)
        e.ciphertext = e.ciphertext + bytes(1_100_000)
        return e

    def wire_mutation(rng: random.Random) -> envelope_pb2.Envelope:
        data = bytearray(pick(rng).SerializeToString())
        for _ in range(rng.randrange(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        e = envelope_pb2.Envelope()
        try:
            e.ParseFromString(bytes(data))
        except DecodeError:
            e.header = bytes(data[:64])
        return e

    def time_travel(rng: random.Random) -> envelope_pb2.Envelope:
        copy = envelope_pb2.Envelope()
        copy.CopyFrom(rng.choice((stale, future)))
        return copy

    def drop_field(rng: random.Random) -> envelope_pb2.Envelope:
        e = pick(rng)
        e.ClearField(rng.choice(["header", "ciphertext", "signatures", "key_wraps"]))
        return e

    return [
        header_flip,
        ciphertext_flip,
        signature_flip,
        key_wrap_flip,
        huge_repeated,
        signature_of_another,
        header_of_another,
        random_header,
        truncated,
        oversized,
        wire_mutation,
        time_travel,
        drop_field,
    ]


def _security_relevant(e: envelope_pb2.Envelope) -> bytes:
    """Everything the sender signed or digested, in one comparable value."""
    return e.SerializeToString(deterministic=True)


def test_admission_path_survives_100k_hostile_envelopes(federation_dir: Path) -> None:
    directory = Directory.from_federation(federation_dir)
    store = open_store("memory://")
    exchange = Exchange(store, directory)
    make = _sealer(federation_dir, directory)
    now = datetime.now(UTC)
    good = [make() for _ in range(8)]
    originals = {_security_relevant(e) for e in good}
    stale = make(now - timedelta(days=3650))
    future = make(now + timedelta(days=3650))
    generators = mutations(good, stale, future)
    rng = random.Random(20261121)
    caller = Caller("member", SENDER)
    reasons: dict[str, int] = {}

    def check(chunk: list[envelope_pb2.Envelope]) -> list[str]:
        """The reason of each rejection; fails on a passed envelope that was changed."""
        names = []
        for hostile in chunk:
            _, result = exchange.check_one(caller, hostile, now)
            if isinstance(result, EnvelopeError):
                assert result.reason != E.REASON_UNSPECIFIED and result.detail
                names.append(E.Reason.Name(result.reason))
            else:  # only a mutation that left every signed or digested byte intact may pass
                assert _security_relevant(hostile) in originals
        return names

    checked = 0
    with ThreadPoolExecutor(2) as pool:  # Ed25519 verification releases the GIL
        for _ in range(0, IN_PROCESS_INPUTS, 2000):
            chunks = [[rng.choice(generators)(rng) for _ in range(1000)] for _ in range(2)]
            for names in pool.map(check, chunks):
                for name in names:
                    reasons[name] = reasons.get(name, 0) + 1
            checked += 2000
    assert checked >= min(IN_PROCESS_INPUTS, 100_000)
    assert store.stats().mailbox_pending == 0  # check_one never writes
    # Each family of attack maps to its own reason.
    for expected in (
        "REASON_SIGNATURE_INVALID",
        "REASON_CIPHERTEXT_DIGEST_MISMATCH",
        "REASON_TOO_LARGE",
        "REASON_MALFORMED",
    ):
        assert reasons.get(expected, 0) > 0, (expected, reasons)
    assert any(k in reasons for k in ("REASON_EXPIRED", "REASON_CLOCK_SKEW", "REASON_TIMESTAMP_OUT_OF_RANGE"))


async def _honest_traffic(hub: HubHandle, stop: asyncio.Event, served: list[int]) -> None:
    client = await hub.client(HONEST)
    try:
        while not stop.is_set():
            receipts = await client.submit([client.seal(practice(HONEST), knowledge_metadata(), RECIPIENTS)])
            assert receipts[0].outcome == E.Receipt.Outcome.OUTCOME_ACCEPTED
            served.append(1)
            await asyncio.sleep(0.01)
    finally:
        await client.close()


@pytest.fixture
async def hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    # Every hostile call reaches its parser: the call quota (tests/test_limits.py) would refuse most.
    handle = await start_test_hub(federation_dir, member_calls_per_second=1e6, member_call_burst=1_000_000)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_every_rpc_over_grpc_survives_hostile_bytes(hub: HubHandle, federation_dir: Path) -> None:
    pool = descriptor_pool.Default()
    methods = [m for name in hub.running.service_names for m in pool.FindServiceByName(name).methods]  # type: ignore[attr-defined]
    rng = random.Random(7)
    stop = asyncio.Event()
    served: list[int] = []
    honest = asyncio.create_task(_honest_traffic(hub, stop, served))
    chan = channel(hub.target, identity_credentials(federation_dir, SENDER))
    identity = {"request_serializer": lambda b: b, "response_deserializer": lambda b: b}
    codes: dict[str, int] = {}
    try:
        for i in range(OVER_GRPC_INPUTS):
            method = methods[i % len(methods)]
            if method.client_streaming:
                continue  # Submit gets its own hostile batches below
            path = f"/{method.containing_service.full_name}/{method.name}"
            payload = _hostile_bytes(rng)
            try:
                if method.server_streaming:  # a following Fetch waits for mail: a short deadline
                    call = chan.unary_stream(path, **identity)(payload, timeout=0.5)
                    async for _ in call:
                        break
                    call.cancel()
                else:
                    await chan.unary_unary(path, **identity)(payload, timeout=5)
                codes["OK"] = codes.get("OK", 0) + 1
            except grpc.aio.AioRpcError as error:
                assert error.code() != grpc.StatusCode.UNKNOWN, (method.name, error.details())
                assert error.code() != grpc.StatusCode.UNAVAILABLE, (method.name, error.details())
                if error.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                    assert method.server_streaming, method.name
                if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                    assert reason_of(error), method.name
                codes[error.code().name] = codes.get(error.code().name, 0) + 1
        await _hostile_submits(hub, chan, federation_dir, rng)
    finally:
        stop.set()
        await honest
        await chan.close()
    assert codes.get("INVALID_ARGUMENT", 0) > 100
    assert served, "the honest member was served meanwhile"
    # Hostile submissions stored nothing: the mailboxes hold the honest records and the one resent envelope.
    assert hub.store.stats().mailbox_pending == (len(served) + 1) * len(RECIPIENTS)


def _hostile_bytes(rng: random.Random) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 512))
    if kind == 1:  # deep nesting: a length-delimited field inside itself, many levels
        data = b"x"
        for _ in range(rng.randrange(50, 200)):
            data = bytes([0x0A]) + _varint(len(data)) + data
        return data
    if kind == 2:  # huge repeated field (field 1, many small entries)
        return (bytes([0x0A, 0x02]) + b"ab") * rng.randrange(1_000, 50_000)
    if kind == 3:  # unknown enum value / unknown field numbers (varints)
        return bytes([0x10]) + _varint(rng.randrange(1000, 2**31)) + bytes([0xF8, 0x7F, 0x01])
    return b"\xff" * rng.randrange(1, 64)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


async def _hostile_submits(
    hub: HubHandle, chan: grpc.aio.Channel, federation_dir: Path, rng: random.Random
) -> None:
    """Submit streams of adversarial envelopes: every one REJECTED with a reason, none stored."""
    directory = hub.running.directory  # type: ignore[attr-defined]
    make = _sealer(federation_dir, directory)
    now = datetime.now(UTC)
    good = [make() for _ in range(4)]
    generators = mutations(good, make(now - timedelta(days=3650)), make(now + timedelta(days=3650)))
    submit: grpc.aio.StreamStreamMultiCallable[exchange_pb2.SubmitRequest, exchange_pb2.SubmitResponse]
    submit = chan.stream_stream(
        "/pxhub.v1.ExchangeService/Submit",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=exchange_pb2.SubmitResponse.FromString,
    )
    for _ in range(10):
        batch: list[envelope_pb2.Envelope] = []
        while len(batch) < 50:
            hostile = rng.choice(generators)(rng)
            if _security_relevant(hostile) not in {_security_relevant(e) for e in good}:
                batch.append(hostile)

        async def requests(
            batch: list[envelope_pb2.Envelope] = batch,
        ) -> AsyncIterator[exchange_pb2.SubmitRequest]:
            for i in range(0, len(batch), 10):
                yield exchange_pb2.SubmitRequest(envelopes=batch[i : i + 10])

        receipts = [r async for response in submit(requests(), timeout=30) for r in response.receipts]
        assert len(receipts) == len(batch)
        for receipt in receipts:
            assert receipt.outcome == E.Receipt.Outcome.OUTCOME_REJECTED
            assert receipt.reason != E.REASON_UNSPECIFIED and receipt.detail
    # A reused nonce (the same message id again) is answered DUPLICATE, not stored twice.
    envelope = make()

    async def twice() -> AsyncIterator[exchange_pb2.SubmitRequest]:
        yield exchange_pb2.SubmitRequest(envelopes=[envelope])
        yield exchange_pb2.SubmitRequest(envelopes=[envelope])

    outcomes = [r.outcome async for response in submit(twice(), timeout=30) for r in response.receipts]
    assert outcomes == [E.Receipt.Outcome.OUTCOME_ACCEPTED, E.Receipt.Outcome.OUTCOME_DUPLICATE]
