"""Parsing a large CSV export in several processes: the rows of the sequential reader, in order.

Why: validating and mapping a row into a canonical record costs tens of microseconds of Python,
so one process reads a national CSV export at about half the rate the network asks for. Here the
parent only cuts the file into *runs* of whole lines (64 KiB units, each still bytes but marked
with the decoding the sequential reader gives it) and turns the workers' encoded records back into
messages; each worker decodes and reads the CSV records of its runs, validates and maps them.

The rows are the ones ``NationalAdapter.parse`` yields in one process, numbers and issues included:

* A worker reads a run with the sequential reader's own code, from a fresh reader state, and is
  told how many lines come before it (for ``line N`` in issues); the parent numbers its rows after
  those of the runs before it.
* A run is only trusted if the sequential reader would stand at the start of a record after it:
  its last record ends with its last line and no line note is pending. A run that ends inside a
  record (a quoted field with line breaks across the cut) is read again in this process, joined to
  the next run, until the joined run ends clean (or the file does).
* Mapping does not depend on what a process has seen before: the mapper's caches only hold
  values that passed, so a worker's fresh caches give the same records.

Memory stays flat: the parent reads ahead at most ``2 × workers`` runs, and results come back in
file order. If a worker fails, its run is mapped in this process instead.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO, Final

from adapters.contract import ParsedRow
from adapters.formats import CsvFormat, CsvLayout, CsvSplit, Unit, unit_line_count
from adapters.mapping import Dialect, ProfileMapper
from adapters.rows import EncodedRows, encode_rows, parsed_rows

__all__ = ["RUN_UNITS", "parse_csv_in_processes"]

#: 64 KiB units per run: about 650 rows, enough to make a round trip to a worker cheap.
RUN_UNITS: Final = 4


@dataclass(frozen=True)
class _Run:
    """Consecutive units starting at a record; ``skip`` lines dropped first, ``before`` ahead."""

    units: tuple[Unit, ...]
    skip: int
    before: int

    def join(self, other: _Run) -> _Run:
        return _Run(self.units + other.units, self.skip, self.before)


@dataclass(frozen=True)
class _Result:
    """A mapped run: its rows with their records in one encoding (numbered from 1 in the run)."""

    rows: EncodedRows
    clean: bool
    #: Row 0 of a reader failure: the file ends there, as in the sequential reader.
    stop: ParsedRow | None = None


_worker: tuple[CsvFormat, ProfileMapper, CsvLayout] | None = None


def _start_worker(member_id: str, dialect: Dialect, file_format: CsvFormat, layout: CsvLayout) -> None:
    global _worker  # noqa: PLW0603 - one mapper per worker process, built once
    _worker = (file_format, ProfileMapper(member_id, dialect), layout)
    # What the worker inherited or imported lives as long as it does: keep it out of the
    # collector's full passes, which otherwise rescan it while the caches fill.
    gc.freeze()


def _map_in_worker(run: _Run) -> _Result:
    assert _worker is not None, "worker not started"
    return _map_run(*_worker, run)


def _map_run(file_format: CsvFormat, mapper: ProfileMapper, layout: CsvLayout, run: _Run) -> _Result:
    clean = [False]
    parts: list[EncodedRows] = []
    raw = file_format.batch(run.units, layout, run.skip, run.before, clean)
    for part in encode_rows(raw, mapper, file_format.names):
        if part.numbers[0] == 0:  # the reader failed (row 0): the file ends here
            return _Result(EncodedRows.join(parts), False, ParsedRow(0, None, part.issues[0]))
        parts.append(part)
    return _Result(EncodedRows.join(parts), clean[0])


def _runs(split: CsvSplit) -> Iterator[_Run]:
    """The units after the header in runs; the first also holds the units read for the header."""
    units = split.rest
    first = split.taken + list(itertools.islice(units, max(0, RUN_UNITS - len(split.taken))))
    skip = split.before
    ahead = 0
    chunk: Sequence[Unit] = first
    while chunk:
        yield _Run(tuple(chunk), skip, ahead + skip)
        ahead += sum(map(unit_line_count, chunk))
        skip = 0
        chunk = list(itertools.islice(units, RUN_UNITS))


def _context() -> multiprocessing.context.BaseContext:
    """Fork when this process has a single thread (instant, nothing to re-import); otherwise a
    fork server, so that no other thread's locks are copied into a worker."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def parse_csv_in_processes(
    file_format: CsvFormat, mapper: ProfileMapper, stream: BinaryIO, workers: int
) -> Iterator[ParsedRow]:
    """A CSV export read with ``file_format`` and mapped by ``mapper`` in ``workers`` processes."""
    split = file_format.split(stream)
    for number, _, issues in split.problems:
        yield ParsedRow(number, None, tuple(issues))
    layout = split.layout
    if layout is None:
        return
    runs = _runs(split)
    ahead = deque(itertools.islice(runs, 2 * workers))
    if len(ahead) <= 1:  # a small file: starting processes would cost more than it saves
        for run in ahead:
            yield from _rows(_map_run(file_format, mapper, layout, run), 0)
        return
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker,
                               initargs=(mapper.member_id, mapper.dialect, file_format, layout))

    def submit(run: _Run) -> tuple[_Run, Future[_Result] | None]:
        try:
            return run, pool.submit(_map_in_worker, run)
        except RuntimeError:  # the pool broke (a worker could not start or died): map it here
            return run, None

    inflight = deque(submit(run) for run in ahead)
    try:
        carry: _Run | None = None
        offset = 0
        while inflight:
            run, future = inflight.popleft()
            following = next(runs, None)
            if following is not None:
                inflight.append(submit(following))
            if carry is not None:  # this run's start was not a record start: read it joined
                if future is not None:
                    future.cancel()
                run, future = carry.join(run), None
            result = _outcome(future) or _map_run(file_format, mapper, layout, run)
            if not result.clean and inflight and result.stop is None:
                carry = run
                continue
            carry = None
            yield from _rows(result, offset)
            offset += len(result.rows.numbers)
            if result.stop is not None:
                return
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _outcome(future: Future[_Result] | None) -> _Result | None:
    """A worker's result; None when there is none (a worker lost: killed, out of memory)."""
    if future is None:
        return None
    try:
        return future.result()
    except Exception:
        return None


def _rows(result: _Result, offset: int) -> Iterator[ParsedRow]:
    yield from parsed_rows(result.rows, itertools.count(offset + 1))
    if result.stop is not None:
        yield result.stop

