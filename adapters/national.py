"""``NationalAdapter``: a country adapter made of a format (bytes ↔ native records) and a dialect.

The seven built-in adapters are instances of this class with their own format, field names and
code lists (``adapters.countries``). A third-party adapter may reuse it the same way, or
implement ``adapters.contract.CountryAdapter`` from scratch: the registry only checks the
protocol.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO, Final, TypeAlias

from google.protobuf.message import DecodeError

from adapters.contract import ParsedRow, Reason, RowIssue
from adapters.formats import CsvFormat, NationalFormat, RawRow
from adapters.mapping import Dialect, NativeRecord, ProfileMapper
from pxhub.v1 import inmate_profile_pb2 as pb

__all__ = [
    "BATCH_ROWS", "SAMPLES_DIR", "EncodedRow", "NationalAdapter", "encode_rows", "map_rows", "parsed_row",
]

#: Where the built-in adapters' documented sample exports live.
SAMPLES_DIR: Final = Path(__file__).parent / "countries" / "samples"


class NationalAdapter:
    """Implements ``CountryAdapter`` for one member from a ``Dialect`` and a ``NationalFormat``."""

    def __init__(self, member_id: str, *, dialect: Dialect, file_format: NationalFormat, format_name: str,
                 media_type: str, file_extension: str, sample: Path | None = None) -> None:
        if isinstance(file_format, CsvFormat) and file_format.list_separator != dialect.list_separator:
            raise ValueError(f"{member_id}: the CSV list separator differs from the dialect's")
        self.member_id = member_id
        self.format_name = format_name
        self.media_type = media_type
        self.file_extension = file_extension
        self.encoding = file_format.encoding
        self.dialect = dialect
        self.file_format = file_format
        self.mapper = ProfileMapper(member_id, dialect)
        self._sample = sample if sample is not None else SAMPLES_DIR / f"{member_id.lower()}{file_extension}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.member_id}: {self.format_name}>"

    def parse(self, stream: BinaryIO, *, workers: int | None = 1) -> Iterator[ParsedRow]:
        """Read a national export, one ``ParsedRow`` per row, in order and in bounded memory.

        ``workers`` other than 1 (``None``: one per CPU) maps a CSV export in that many processes
        (``adapters.parallel``); the rows are the same as read here, in the same order. Other
        formats are always read in this process.
        """
        if workers != 1 and isinstance(self.file_format, CsvFormat):
            from adapters.parallel import parse_csv_in_processes  # imports this module

            return parse_csv_in_processes(self, stream, workers or os.cpu_count() or 1)
        return map_rows(self.file_format.read(stream), self.mapper, self.file_format.names)

    def render(self, records: Iterable[pb.InmateSecurityProfile], stream: BinaryIO) -> int:
        flatten = self.mapper.flatten
        return self.file_format.write((flatten(r) for r in records), stream, self.dialect.booleans,
                                      self.dialect.list_separator)

    def sample_path(self) -> Path:
        return self._sample


#: Records mapped together (``ProfileMapper.encode_many``): enough to map each column slot of a
#: batch in one pass, few enough that rows still stream.
BATCH_ROWS: Final = 128

EncodedRow: TypeAlias = tuple[int, bytes | None, tuple[RowIssue, ...]]


def map_rows(raw_rows: Iterable[RawRow], mapper: ProfileMapper,
             names: Mapping[str, str]) -> Iterator[ParsedRow]:
    """Native records from a format reader → ``ParsedRow``s; a bug is reported on its row."""
    for row in encode_rows(raw_rows, mapper, names):
        yield parsed_row(*row)


def parsed_row(number: int, data: bytes | None, issues: tuple[RowIssue, ...]) -> ParsedRow:
    """An encoded row (``encode_rows``, here or in a parsing process) with its record parsed."""
    if data is None:
        return ParsedRow(number, None, issues)
    try:
        return ParsedRow(number, pb.InmateSecurityProfile.FromString(data), issues)
    except DecodeError as exc:  # a mapper bug: the fragments do not form a record
        return ParsedRow(number, None, (*issues, _internal("<record>", exc)))


def encode_rows(raw_rows: Iterable[RawRow], mapper: ProfileMapper,
                names: Mapping[str, str]) -> Iterator[EncodedRow]:
    """``map_rows`` with each record still encoded (for a worker process to send as it is)."""
    batch: list[RawRow] = []
    try:
        for raw in raw_rows:
            batch.append(raw)
            if len(batch) == BATCH_ROWS:
                yield from _encode_batch(batch, mapper, names)
                batch = []
    except (OSError, MemoryError):
        raise
    except Exception as exc:  # a reader bug: say so on row 0 rather than crash the caller
        yield from _encode_batch(batch, mapper, names)
        yield 0, None, (_internal("<file>", exc),)
        return
    yield from _encode_batch(batch, mapper, names)


def _encode_batch(batch: list[RawRow], mapper: ProfileMapper,
                  names: Mapping[str, str]) -> Iterator[EncodedRow]:
    recs = [rec for _, rec, _ in batch if rec is not None]
    try:
        mapped = mapper.encode_many(recs, names)
    except (MemoryError, RecursionError):
        raise
    except Exception:  # an adapter bug: map the rows one at a time to report it on its row
        mapped = [_encode_alone(mapper, rec, names) for rec in recs]
    results = iter(mapped)
    for number, rec, issues in batch:
        if rec is None:
            yield number, None, tuple(issues)
            continue
        data, more = next(results)
        yield number, data, (*issues, *more) if issues else tuple(more)


def _encode_alone(mapper: ProfileMapper, rec: NativeRecord,
                  names: Mapping[str, str]) -> tuple[bytes | None, list[RowIssue]]:
    try:
        return mapper.encode_many((rec,), names)[0]
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        return None, [_internal("<record>", exc)]


def _internal(where: str, exc: Exception) -> RowIssue:
    return RowIssue(where, Reason.INTERNAL_ERROR, f"adapter error {type(exc).__name__}: {exc}", "error")
