"""The rows an adapter yields, mapped in this process or in a parsing process.

A reader's batch of native records is mapped to encoded profiles (``encode_rows``, what a parsing
process sends back as it is), then parsed into ``ParsedRow``s (``parsed_rows``); ``map_rows`` does
both in one process. A bug in a reader or in the mapper is reported on the row it hit, never as
a crash of the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple

from google.protobuf.message import DecodeError

from adapters.contract import ParsedRow, Reason, RowIssue
from adapters.formats import RawBatch
from adapters.mapping import T_PROFILES, EncodedBatch, NativeRecord, ProfileMapper, decode_batch
from adapters.wire import split_frames
from pxhub.v1 import inmate_profile_pb2 as pb

__all__ = ["EncodedRows", "encode_rows", "map_rows", "parsed_row", "parsed_rows"]


class EncodedRows(NamedTuple):
    """Rows mapped together, their records still encoded: what a parsing process sends back.

    ``records`` holds the profiles of the rows that have one, in order, as an encoded
    ``InmateSecurityProfileBatch``; ``withheld[i]`` is True for a row without one.
    """

    numbers: Sequence[int]
    withheld: list[bool]
    issues: list[tuple[RowIssue, ...]]
    records: bytes

    @staticmethod
    def join(parts: Sequence[EncodedRows]) -> EncodedRows:
        """Consecutive parts as one (two encoded batches joined are the batch of both)."""
        if len(parts) == 1:
            return parts[0]
        return EncodedRows([n for p in parts for n in p.numbers], [w for p in parts for w in p.withheld],
                           [i for p in parts for i in p.issues], b"".join(p.records for p in parts))


def map_rows(raw_batches: Iterable[RawBatch], mapper: ProfileMapper,
             names: Mapping[str, str]) -> Iterator[ParsedRow]:
    """Native records from a format reader → ``ParsedRow``s; a bug is reported on its row."""
    for rows in encode_rows(raw_batches, mapper, names):
        yield from parsed_rows(rows)


def parsed_rows(rows: EncodedRows, numbers: Iterable[int] | None = None) -> Iterator[ParsedRow]:
    """Encoded rows (``encode_rows``, here or in a parsing process) with their records parsed in
    one call; ``numbers`` replaces the rows' own (a parsing process numbers from 1)."""
    try:
        records: list[pb.InmateSecurityProfile | None] = list(decode_batch(rows.records).profiles)
    except DecodeError:
        records = []
    if len(records) != rows.withheld.count(False):  # a mapper bug: report it on the row it hit
        yield from _rows_one_by_one(rows, numbers)
        return
    if True in rows.withheld:
        found = iter(records)
        records = [None if withheld else next(found) for withheld in rows.withheld]
    yield from map(ParsedRow, rows.numbers if numbers is None else numbers, records, rows.issues)


def _rows_one_by_one(rows: EncodedRows, numbers: Iterable[int] | None) -> Iterator[ParsedRow]:
    try:
        found = iter(split_frames(rows.records, T_PROFILES))
    except ValueError as exc:  # the batch itself is broken: no record can be trusted
        for number, withheld, issues in zip(rows.numbers if numbers is None else numbers, rows.withheld,
                                            rows.issues, strict=False):
            yield ParsedRow(number, None, issues if withheld else (*issues, _internal("<record>", exc)))
        return
    for number, withheld, issues in zip(rows.numbers if numbers is None else numbers, rows.withheld,
                                        rows.issues, strict=False):
        data = None if withheld else next(found, None)
        if data is None and not withheld:
            yield ParsedRow(number, None, (*issues, _internal("<record>", ValueError("no encoding"))))
        else:
            yield parsed_row(number, data, issues)


def parsed_row(number: int, data: bytes | None, issues: tuple[RowIssue, ...]) -> ParsedRow:
    """One row with its record parsed from its own encoding (None: the row has no record)."""
    if data is None:
        return ParsedRow(number, None, issues)
    try:
        return ParsedRow(number, pb.InmateSecurityProfile.FromString(data), issues)
    except DecodeError as exc:  # a mapper bug: the fragments do not form a record
        return ParsedRow(number, None, (*issues, _internal("<record>", exc)))


def encode_rows(raw_batches: Iterable[RawBatch], mapper: ProfileMapper,
                names: Mapping[str, str]) -> Iterator[EncodedRows]:
    """``map_rows`` with the records still encoded, a reader's batch at a time (for a parsing
    process to send as they are). A reader failure ends it with row 0 as a part of its own."""
    batches = iter(raw_batches)
    while True:
        try:
            raw = next(batches, None)
        except (OSError, MemoryError):
            raise
        except Exception as exc:  # a reader bug: say so on row 0 rather than crash the caller
            yield EncodedRows([0], [True], [(_internal("<file>", exc),)], b"")
            return
        if raw is None:
            return
        yield _encode_batch(raw, mapper, names)


def _encode_batch(raw: RawBatch, mapper: ProfileMapper, names: Mapping[str, str]) -> EncodedRows:
    try:
        mapped = mapper.encode_batch(raw.records, names)
    except (MemoryError, RecursionError):
        raise
    except Exception:  # an adapter bug: map the rows one at a time to report it on its row
        alone = [_encode_alone(mapper, raw.records.record(i), names) for i in range(raw.records.count)]
        mapped = EncodedBatch(b"".join(a.records for a in alone), [w for a in alone for w in a.withheld],
                              [i for a in alone for i in a.issues])
    numbers = range(raw.first, raw.first + raw.row_count)
    if not raw.no_record and not raw.issues:  # the common batch
        return EncodedRows(numbers, mapped.withheld, list(map(tuple, mapped.issues)), mapped.records)
    withheld: list[bool] = []
    row_issues: list[tuple[RowIssue, ...]] = []
    results = zip(mapped.withheld, mapped.issues, strict=True)
    gaps = set(raw.no_record)
    for index in range(raw.row_count):
        found = raw.issues.get(index, ())
        if index in gaps:
            withheld.append(True)
            row_issues.append(tuple(found))
            continue
        none, more = next(results)
        withheld.append(none)
        row_issues.append((*found, *more))
    return EncodedRows(numbers, withheld, row_issues, mapped.records)


def _encode_alone(mapper: ProfileMapper, rec: NativeRecord, names: Mapping[str, str]) -> EncodedBatch:
    try:
        return mapper.encode_many((rec,), names)
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        return EncodedBatch(b"", [True], [[_internal("<record>", exc)]])


def _internal(where: str, exc: Exception) -> RowIssue:
    return RowIssue(where, Reason.INTERNAL_ERROR, f"adapter error {type(exc).__name__}: {exc}", "error")
