"""Where the hub's CPU goes per ingested record: ``Exchange.submit`` in this process, stage by stage.

The end-to-end figures of ``submit_throughput`` come from the hub's own process (its CPU clock
in ``/proc``); this part runs the same envelopes through the same ``Exchange`` over a fresh SQLite
store here, with each stage wrapped by a per-thread CPU clock (``time.thread_time``, so a busy
machine does not inflate it), and the store's writer lock wrapped by a wall clock: that is the
serial section every worker of a hub would queue for.

Stages (CPU of every thread that ran them, per record):

* ``verify``: ``hub.core.envelope.verify``, of which ``ed25519`` is the signature check itself
  (cryptography releases the GIL there; everything else in the table holds it);
* ``admission``, ``requests``, ``policy``: the checks after verification;
* ``audit entry``: building the permit (validation and canonical JSON);
* ``check, other``: receipts, ``Admission``, ``SerializeToString`` and the per-record glue;
* ``store``: ``HubStore.admit`` (the SQL transaction: rows, audit append, index, commit);
* ``batch, other``: the rest of the process's CPU (``Exchange.submit`` outside the above, the
  thread pool, the wrappers' own clocks).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from hub.core import signing
from hub.core.envelope import verify
from hub.identity.caller import Caller
from hub.identity.directory import Directory
from hub.services import audit_events
from hub.services import exchange as exchange_module
from hub.services.admission import check_admission
from hub.services.exchange import Exchange
from hub.store import open_store
from pxhub.v1 import envelope_pb2

Fn = TypeVar("Fn", bound=Callable[..., Any])


class _StageClock:
    """Thread CPU seconds per stage, summed over every thread that ran it."""

    def __init__(self) -> None:
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def wrap(self, name: str, function: Fn) -> Fn:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                with self._lock:
                    self.cpu[name] += spent

        return timed  # type: ignore[return-value]


class _TimedLock:
    """The store's writer lock, with the wall time it was held."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.held = 0.0
        self._since = 0.0

    def __enter__(self) -> None:
        self.inner.acquire()
        self._since = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self.held += time.perf_counter() - self._since
        self.inner.release()


@contextmanager
def _patched(target: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, original)


def stage_table(
    federation: Path, work: Path, envelopes: list[envelope_pb2.Envelope], batch: int, sender: str
) -> tuple[dict[str, float], float, float]:
    """(CPU µs per record by stage, serial µs per record, total CPU µs per record)."""
    store = open_store(f"sqlite:///{work / 'stages.db'}")
    try:
        exchange = Exchange(store, Directory.from_federation(federation))
        exchange.policies.bootstrap(federation, exchange.clock())  # as the hub does at start
        clock = _StageClock()
        lock = _TimedLock(store._write_lock)  # type: ignore[attr-defined]
        store._write_lock = lock  # type: ignore[attr-defined]
        caller = Caller("member", sender)
        with (
            _patched(exchange_module, "verify", clock.wrap("verify", verify)),
            _patched(signing, "verify", clock.wrap("ed25519", signing.verify)),
            _patched(exchange_module, "check_admission", clock.wrap("admission", check_admission)),
            _patched(audit_events, "submit_permit", clock.wrap("audit entry", audit_events.submit_permit)),
            _patched(exchange.requests, "check", clock.wrap("requests", exchange.requests.check)),
            _patched(exchange.gate, "check", clock.wrap("policy", exchange.gate.check)),
            _patched(store, "admit", clock.wrap("store", store.admit)),
            _patched(exchange, "_check_one", clock.wrap("check", exchange._check_one)),
            _patched(exchange, "_check_and_build", clock.wrap("check+build", exchange._check_and_build)),
        ):
            started = time.process_time()
            receipts = [
                receipt
                for index in range(0, len(envelopes), batch)
                for receipt in exchange.submit(caller, envelopes[index : index + batch])
            ]
            total = time.process_time() - started
        refused = [r for r in receipts if r.outcome != envelope_pb2.Receipt.OUTCOME_ACCEPTED]
        if refused:  # a table of refusals would measure the wrong path
            raise RuntimeError(f"{len(refused)} of {len(receipts)} envelopes refused: {refused[0].detail}")
        count = len(envelopes)
        cpu = clock.cpu
        stages = {
            "verify (ed25519 itself)": cpu["ed25519"],
            "verify (parse and checks)": cpu["verify"] - cpu["ed25519"],
            "admission": cpu["admission"],
            "requests": cpu["requests"],
            "policy": cpu["policy"],
            "audit entry": cpu["audit entry"],
            "check, other": cpu["check+build"] - cpu["check"] - cpu["audit entry"],
            "store transaction": cpu["store"],
            "batch, other": total - cpu["check+build"] - cpu["store"],
        }
        stages["check, other"] += cpu["check"] - (
            cpu["verify"] + cpu["admission"] + cpu["requests"] + cpu["policy"]
        )
        return (
            {name: seconds / count * 1e6 for name, seconds in stages.items()},
            lock.held / count * 1e6,
            total / count * 1e6,
        )
    finally:
        store.close()
