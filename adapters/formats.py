"""Streaming readers and writers of the national file formats: CSV, JSON Lines, JSON array, XML.

A format turns bytes into *native records* (``adapters.mapping``: slot → raw value) and back,
row by row, in bounded memory, whatever the bytes. The mapper takes rows in batches
(``read_batches``: ``RawBatch``, ``BATCH_ROWS`` rows with their records as columns); the CSV
reader builds a batch's columns from its rows' cells in one transposition, the other formats
group the records they read one at a time.

* **Encoding.** Each line (CSV, JSON Lines) or record (XML, JSON array) is decoded as UTF-8; if
  that fails it is decoded as windows-1252 (the superset of latin-1 that Spanish-language
  spreadsheets write) and the row gets a ``NOT_UTF8`` warning, unless the format's own
  encoding is windows-1252. A UTF-8 byte-order mark is skipped; UTF-16 is refused at row 0.
* **Bounded records.** A line or record longer than ``MAX_RECORD_BYTES`` is reported as
  ``RECORD_TOO_LARGE`` and skipped, so one runaway field cannot exhaust memory.
* **Resynchronisation.** A broken CSV quote, a JSON syntax error or an unclosed XML element
  costs that record only: CSV goes on at the next line the ``csv`` module accepts, the JSON
  array reader skips to the next top-level element, and the XML reader cuts the stream into
  record elements first and parses each on its own (with no DTD, so no entity expansion).
* **Structure.** A CSV header is checked once: its unknown, duplicated and missing columns are
  row 0's issues (``EXTRA_COLUMN``, ``DUPLICATE_COLUMN``, ``MISSING_COLUMN``), and a header
  without a required column is one ``MISSING_REQUIRED_COLUMN`` error naming what it lacks, with
  no rows read. JSON and XML records have no header: a missing or unknown key, element or
  attribute is reported on each record it affects (required ones are left to the mapper, which
  withholds the record).
* **Text only.** A file whose first chunk holds NUL or many control bytes is refused at row 0
  (``NOT_TEXT``, with the offset of the first such byte).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final, NamedTuple, TypeAlias

from adapters.codes import BoolCodec, fold
from adapters.contract import Reason, RowIssue
from adapters.mapping import (
    DOC_COUNTRY,
    DOC_NUMBER,
    DOC_TYPE,
    DOCUMENTS,
    OFFENCE_CODES,
    OFFENCES,
    ORGANISED,
    OTHER_DOCS,
    REQUIRED_SLOTS,
    NativeItem,
    NativeRecord,
    RecordBatch,
)

__all__ = [
    "BATCH_ROWS",
    "DOC_COUNTRY",
    "DOC_NUMBER",
    "DOC_TYPE",
    "MAX_RECORD_BYTES",
    "OFFENCE_CODES",
    "ORGANISED",
    "OTHER_DOCS",
    "CsvFormat",
    "JsonArrayFormat",
    "JsonLinesFormat",
    "ListField",
    "NationalFormat",
    "RawBatch",
    "RawRow",
    "TreeLayout",
    "XmlFormat",
    "batch_rows",
]

MAX_RECORD_BYTES: Final = 1 << 20
_CHUNK: Final = 1 << 16
_BOM: Final = b"\xef\xbb\xbf"
_UTF16_BOMS: Final = (b"\xff\xfe", b"\xfe\xff")

#: (row number, native record or None, issues found by the format).
RawRow: TypeAlias = tuple[int, NativeRecord | None, list[RowIssue]]

_ERROR: Final = "error"
_WARNING: Final = "warning"


def _issue(where: str, reason: Reason, message: str, severity: str = _ERROR) -> RowIssue:
    return RowIssue(where, reason, message, severity)  # type: ignore[arg-type]


def _decode(raw: bytes, primary: str, fallback_warns: bool) -> tuple[str, RowIssue | None]:
    """UTF-8 (or the format's primary codec) first, windows-1252 when that fails."""
    try:
        return raw.decode(primary), None
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("utf-8")
        return text, None
    except UnicodeDecodeError as exc:
        text = raw.decode("cp1252", errors="replace")
        if not fallback_warns:
            return text, None
        return text, _issue("<encoding>", Reason.NOT_UTF8,
                            f"byte 0x{raw[exc.start]:02x} is not UTF-8; the row was read as windows-1252",
                            _WARNING)


class NationalFormat:
    """Common interface of the four file formats."""

    #: Slot → the national field name used in issue reports.
    names: Mapping[str, str]
    encoding: str

    def read_batches(self, stream: BinaryIO) -> Iterator[RawBatch]:
        """The file's rows in batches of ``BATCH_ROWS``, as the mapper takes them. A format that
        reads one record at a time implements ``read`` and gets its rows grouped here; the CSV
        format builds its batches itself."""
        return batch_rows(self.read(stream))

    def read(self, stream: BinaryIO) -> Iterator[RawRow]:
        """Rows one at a time (JSON, XML)."""
        raise NotImplementedError

    def write(self, rows: Iterable[NativeRecord], stream: BinaryIO, booleans: BoolCodec,
              list_separator: str) -> int:
        raise NotImplementedError


#: Rows a reader hands to the mapper together: enough to map each column slot of a batch in one
#: pass and parse its records in one call, few enough that rows still stream.
BATCH_ROWS: Final = 128


class RawBatch(NamedTuple):
    """Consecutive rows of a file, numbered from ``first``, as a reader hands them to the mapper.

    ``records`` holds the records of the rows that make one, in order; ``no_record`` the indexes
    (in the batch, ascending) of the rows that make none; ``issues`` the reader's issues by index.
    """

    first: int
    row_count: int
    records: RecordBatch
    no_record: list[int]
    issues: dict[int, list[RowIssue]]


def batch_rows(raw_rows: Iterable[RawRow], size: int = BATCH_ROWS) -> Iterator[RawBatch]:
    """Rows read one at a time in batches; a reader failure yields the rows before it, then raises."""
    recs: list[NativeRecord] = []
    no_record: list[int] = []
    issues: dict[int, list[RowIssue]] = {}
    first = count = 0
    try:
        for number, rec, found in raw_rows:
            if count and number != first + count:  # numbers jump (row 0 of the file, then row 1)
                yield RawBatch(first, count, RecordBatch.of_records(recs), no_record, issues)
                recs, no_record, issues, count = [], [], {}, 0
            if not count:
                first = number
            if rec is None:
                no_record.append(count)
            else:
                recs.append(rec)
            if found:
                issues[count] = found
            count += 1
            if count == size:
                yield RawBatch(first, count, RecordBatch.of_records(recs), no_record, issues)
                recs, no_record, issues, count = [], [], {}, 0
    except Exception:
        if count:
            yield RawBatch(first, count, RecordBatch.of_records(recs), no_record, issues)
        raise
    if count:
        yield RawBatch(first, count, RecordBatch.of_records(recs), no_record, issues)


class _CsvBatch:
    """The CSV rows of a batch being read: cells of the rows with a record, the rest by index."""

    __slots__ = ("first", "issues", "no_record", "rows", "slots")

    def __init__(self, slots: tuple[str | None, ...], first: int) -> None:
        self.slots = slots
        self.first = first
        self.rows: list[Sequence[str | None]] = []
        self.no_record: list[int] = []
        self.issues: dict[int, list[RowIssue]] = {}

    def withhold(self, number: int, issues: list[RowIssue]) -> None:
        self.no_record.append(number - self.first)
        self.issues[number - self.first] = issues

    def take(self, last: int) -> RawBatch:
        """The batch up to row ``last``, its cells transposed into one column per slot; starts the next."""
        columns: dict[Any, Sequence[Any]] = {}
        if self.rows:
            columns.update(zip(self.slots, zip(*self.rows, strict=True), strict=True))
            columns.pop(None, None)  # ignored columns
        batch = RawBatch(self.first, last - self.first + 1, RecordBatch(len(self.rows), columns),
                         self.no_record, self.issues)
        self.first, self.rows, self.no_record, self.issues = last + 1, [], [], {}
        return batch


def _ragged(row: list[str], width: int, where: str, issues: list[RowIssue]) -> Sequence[str | None]:
    """A row with more or fewer cells than the header cut or padded to it (None: not in the row)."""
    cells = len(row)
    if cells > width:
        issues.append(_issue(where, Reason.EXTRA_VALUES,
                             f"{cells} values for {width} columns; the extra ones are ignored", _WARNING))
        return row[:width]
    if cells < width:
        issues.append(_issue(where, Reason.MISSING_VALUES,
                             f"{cells} values for {width} columns; the missing ones are empty", _WARNING))
        return [*row, *(None,) * (width - cells)]
    return row


# =========================================================================== CSV


class _LineState:
    __slots__ = ("ended", "issue", "last_row_ended", "too_long")

    def __init__(self) -> None:
        self.issue: RowIssue | None = None
        self.too_long = False
        self.ended = False  # all lines handed out (a run read in a parsing process)
        self.last_row_ended = False  # they were by the time the last row was read: it may be cut


def _first_line(stream: BinaryIO) -> tuple[bytes, RowIssue | None]:
    """The file's first chunk without a UTF-8 BOM; an issue instead if it is UTF-16 or not text."""
    first = stream.read(_CHUNK)
    if first[:2] in _UTF16_BOMS:
        return b"", _issue("<file>", Reason.UNSUPPORTED_ENCODING,
                           "the file is UTF-16; export it as UTF-8 or windows-1252")
    first = first[3:] if first[:3] == _BOM else first
    problem = not_text(first)
    return (b"", problem) if problem is not None else (first, None)


#: Bytes no text export holds: C0 controls but tab, line feed, vertical tab, form feed and
#: carriage return, and DEL. NUL alone marks binary content (or UTF-16 without its byte-order mark).
_CONTROL_BYTE: Final = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_NOT_CONTROL: Final = bytes(b for b in range(256) if not _CONTROL_BYTE.match(bytes([b])))
#: Share of control bytes in the first chunk above which a file is taken as binary: a stray
#: control character in a cell is a value issue (``CONTROL_CHARACTERS``), not a binary file.
_BINARY_SHARE: Final = 0.05


def not_text(head: bytes) -> RowIssue | None:
    """The ``NOT_TEXT`` issue of a file whose first bytes are binary, naming the first bad byte."""
    found = _CONTROL_BYTE.search(head)
    if found is None:
        return None
    controls = len(head.translate(None, _NOT_CONTROL))
    if b"\x00" not in head and controls <= _BINARY_SHARE * len(head):
        return None
    offset = head.find(b"\x00") if b"\x00" in head else found.start()
    return _issue("<file>", Reason.NOT_TEXT,
                  f"not a text export: byte 0x{head[offset]:02x} at offset {offset} "
                  f"({controls} control bytes in the first {len(head)}); a binary file, "
                  "a compressed one, or UTF-16 without its byte-order mark")


class Chunk(NamedTuple):
    """Whole lines that decode at once with ``codec``; still bytes, so that handing a run of
    them to a parsing process copies bytes (a decoded text would be re-encoded to be sent)."""

    data: bytes
    codec: str

    def text(self) -> str:
        return self.data.decode(self.codec, errors="replace")


#: One piece of a text file, as ``_units`` cuts it: whole lines to decode at once (``Chunk``),
#: whole lines to decode one by one (``bytes``), or a line over the record limit (``None``, skipped).
Unit: TypeAlias = Chunk | bytes | None


def _lines(stream: BinaryIO, state: _LineState, warn: bool, first: bytes) -> Iterator[str]:
    """Decoded lines with their endings, for ``csv.reader``: chunked, bounded, encoding noted per line.

    Whole 64 KiB chunks (cut at a line end) are decoded at once and split in C when they decode
    cleanly: as UTF-8, or as windows-1252 once the file has shown it is windows-1252 (and the
    chunk has no UTF-8 lead bytes). Any other chunk is decoded line by line, so a line that is
    not UTF-8 is read as windows-1252 and noted for the row that contains it.
    """
    return unit_lines(_units(stream, warn, first), state, warn)


def unit_lines(units: Iterable[Unit], state: _LineState, warn: bool) -> Iterator[str]:
    """The lines of a run of units; the state is updated as each line is handed out.

    The same function serves the sequential reader and a batch of a parallel one, so both see
    the same lines with the same notes at the same moments.
    """
    return itertools.chain.from_iterable(_unit_groups(units, state, warn))


def _unit_groups(units: Iterable[Unit], state: _LineState, warn: bool) -> Iterator[Iterable[str]]:
    for unit in units:
        if isinstance(unit, Chunk):
            yield io.StringIO(unit.text(), newline="\n")
        elif unit is None:
            state.too_long = True
            yield ("\n",)
        else:
            yield _decode_lines(unit, state, warn)


def unit_line_count(unit: Unit) -> int:
    """How many lines ``unit_lines`` makes of a unit (every unit but a file's last ends a line)."""
    if unit is None:
        return 1
    data = unit.data if isinstance(unit, Chunk) else unit
    return data.count(b"\n") + (not data.endswith(b"\n"))


def _units(stream: BinaryIO, warn: bool, first: bytes) -> Iterator[Unit]:
    """The file cut into units at line ends, each with how its bytes are to be decoded."""
    read = stream.read
    latin = False
    pending = first
    while True:
        chunk = read(_CHUNK)
        data = pending + chunk if pending else chunk
        if not data:
            return
        if chunk:
            cut = data.rfind(b"\n") + 1
            if cut == 0:  # no line end yet: keep reading, up to the record limit
                if len(data) < MAX_RECORD_BYTES:
                    pending = data
                    continue
                pending = _skip_line(read)
                yield None
                continue
            data, pending = data[:cut], data[cut:]
        else:
            pending = b""
        if data.isascii():
            yield Chunk(data, "ascii")
            continue
        if not latin:
            try:
                data.decode("utf-8")  # only to know whether it is UTF-8: decoded where it is read
            except UnicodeDecodeError:
                pass
            else:
                yield Chunk(data, "utf-8")
                continue
        elif not warn and b"\xc3" not in data and b"\xc2" not in data:
            yield Chunk(data, "cp1252")
            continue
        yield data
        latin = True


def _decode_lines(data: bytes, state: _LineState, warn: bool) -> Iterator[str]:
    for raw in io.BytesIO(data):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            if warn and state.issue is None:
                state.issue = _not_utf8(raw)
            yield raw.decode("cp1252", errors="replace")


def _skip_line(read: Callable[[int], bytes]) -> bytes:
    """Discard bytes up to the next line end (the rest of a runaway line); returns what follows."""
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            return b""
        cut = chunk.find(b"\n")
        if cut != -1:
            return chunk[cut + 1:]


def _not_utf8(raw: bytes) -> RowIssue:
    bad = next((b for b in raw if b >= 0x80), 0)
    return _issue("<encoding>", Reason.NOT_UTF8,
                  f"byte 0x{bad:02x} is not UTF-8 here; the row was read as windows-1252", _WARNING)


class CsvLineReader:
    """``csv.reader`` over lines, with the common line split in C: the same rows, numbers and errors.

    A line with no quote character and no line break inside it is, for ``csv.reader`` with the
    default dialect, its text without the line ending split at the delimiter (an empty line is
    ``[]``; a NUL is a character like any other from Python 3.11 on). Such a line is split here
    with ``str.split``, without ``csv.reader``'s loop over each character. Any other line, and
    any line longer than the csv module's field size limit (so that its error is the csv
    module's), is handed to one ``csv.reader``, which reads on from the same lines while a
    quoted field spans several.
    """

    __slots__ = ("_delimiter", "_limit", "_lines", "_pending", "_reader", "line_num")

    def __init__(self, lines: Iterator[str], delimiter: str) -> None:
        self._lines = lines
        self._delimiter = delimiter
        self._pending: list[str] = []
        self._limit = csv.field_size_limit()
        self._reader = csv.reader(_Feed(self), delimiter=delimiter)
        self.line_num = 0  # lines read so far, as csv.reader counts them

    def __iter__(self) -> CsvLineReader:
        return self

    def __next__(self) -> list[str]:
        line = next(self._lines)
        text = line[:-2] if line[-2:] == "\r\n" else line[:-1] if line[-1:] == "\n" else line
        if '"' in text or "\r" in text or "\n" in text or len(text) > self._limit:
            self._pending.append(line)
            return next(self._reader)
        self.line_num += 1
        return text.split(self._delimiter) if text else []

    def _next_line(self) -> str:
        """The next line for ``csv.reader``: the one handed over first, then the following ones."""
        line = self._pending.pop() if self._pending else next(self._lines)
        self.line_num += 1
        return line


class _Feed:
    """The lines ``CsvLineReader`` hands to its ``csv.reader``. An iterator object rather than a
    generator: after the lines run out once, it must still serve a line handed over later."""

    __slots__ = ("_owner",)

    def __init__(self, owner: CsvLineReader) -> None:
        self._owner = owner

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        return self._owner._next_line()


def _sniff_delimiter(header: str, expected: str) -> str:
    if expected in header:
        return expected
    counts = {d: header.count(d) for d in (";", ",", "\t", "|") if d != expected}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] >= 2 else expected


@dataclass(frozen=True)
class CsvLayout:
    """What the header says: the delimiter and the slot of each column."""

    delimiter: str
    slots: tuple[str | None, ...]


@dataclass
class CsvSplit:
    """A CSV file after its header: the layout (None if unreadable), lines read, header problems,
    the units read to find the header (the first run reads them again) and the units after."""

    layout: CsvLayout | None
    before: int
    problems: list[RawRow]
    taken: list[Unit]
    rest: Iterator[Unit]


def _recording(units: Iterator[Unit], taken: list[Unit]) -> Iterator[Unit]:
    for unit in units:
        taken.append(unit)
        yield unit


def _mark_end(state: _LineState) -> Iterator[str]:
    """Yields nothing; notes that the lines before it have all been read."""
    state.ended = True
    yield from ()


class CsvFormat(NationalFormat):
    """Delimited text with a header row; lists inside a cell are joined by the list separator."""

    def __init__(self, columns: Sequence[tuple[str, str]], *, delimiter: str, encoding: str,
                 list_separator: str, line_terminator: str = "\r\n", bom: bool = False,
                 item_separator: str = ":") -> None:
        self.columns = tuple(columns)
        self.delimiter = delimiter
        self.encoding = encoding
        self.list_separator = list_separator
        self.line_terminator = line_terminator
        self.bom = bom
        self.item_separator = item_separator
        self.names = {slot: name for slot, name in self.columns}
        self._by_folded = {fold(name): slot for slot, name in self.columns}

    # ------------------------------------------------------------------ read

    def read_batches(self, stream: BinaryIO) -> Iterator[RawBatch]:
        head, problem = _first_line(stream)
        if problem is not None:
            yield from batch_rows([(0, None, [problem])])
            return
        state = _LineState()
        lines = _lines(stream, state, self.warns, head)
        layout, before, problems = self._header(lines)
        yield from batch_rows(problems)
        if layout is not None:
            yield from self._records(lines, state, layout, before)

    @property
    def warns(self) -> bool:
        """Whether a line that is not UTF-8 is worth a warning (not for a windows-1252 format)."""
        return self.encoding.lower().replace("-", "") not in ("cp1252", "windows1252", "latin1")

    def split(self, stream: BinaryIO) -> CsvSplit:
        """The header read, and the rest of the file as units for ``batch`` (parallel reading)."""
        head, problem = _first_line(stream)
        if problem is not None:
            return CsvSplit(None, 0, [(0, None, [problem])], [], iter(()))
        units = _units(stream, self.warns, head)
        taken: list[Unit] = []
        lines = unit_lines(_recording(units, taken), _LineState(), self.warns)
        layout, before, problems = self._header(lines)
        return CsvSplit(layout, before, problems, taken, units)

    def batch(self, units: Iterable[Unit], layout: CsvLayout, skip: int, before: int,
              clean: list[bool]) -> Iterator[RawBatch]:
        """The rows of a run of units that starts at a record; sets ``clean[0]`` when it is read.

        ``skip`` lines are read and dropped first (the header, for the first run); ``before`` is
        the number of lines ahead of the reader, for line numbers in issues; row numbers count
        from 1 within the run. A run that ends inside a record (a quoted field going on past its
        last line) or with a line note not yet given to a row is not clean: the caller reads it
        again together with the next run.
        """
        state = _LineState()
        lines = itertools.chain(unit_lines(units, state, self.warns), _mark_end(state))
        for _ in range(skip):
            next(lines, None)
        yield from self._records(lines, state, layout, before)
        clean[0] = not state.last_row_ended and state.issue is None and not state.too_long

    def _header(self, lines: Iterator[str]) -> tuple[CsvLayout | None, int, list[RawRow]]:
        """The column layout from the first non-blank line; lines read so far; header problems.

        The header is checked once: its problems are row 0's issues, not repeated on every row.
        A header without one of the required columns gives no layout (every record would be
        withheld): one error naming the required columns it lacks and the columns it has that the
        format does not know.
        """
        header_line = ""
        before = 0  # lines read before the csv reader starts counting (blank lines and the header)
        for line in lines:
            before += 1
            if line.strip():
                header_line = line
                break
        if not header_line:
            return None, before, []
        file_issues: list[RowIssue] = []
        delimiter = _sniff_delimiter(header_line, self.delimiter)
        if delimiter != self.delimiter:
            file_issues.append(_issue("<header>", Reason.WRONG_DELIMITER,
                                      f"the header uses {delimiter!r} instead of {self.delimiter!r}; "
                                      f"read with {delimiter!r}", _WARNING))
        try:
            header = next(csv.reader([header_line], delimiter=delimiter))
        except (csv.Error, StopIteration) as exc:
            return None, before, [(0, None, [_issue("<header>", Reason.MALFORMED_RECORD,
                                                    f"unreadable header: {exc}")])]
        slots: list[str | None] = []
        seen: set[str] = set()
        for cell in header:
            name = cell.strip().lstrip("\ufeff")
            slot = self._by_folded.get(fold(name))
            if slot is None:
                file_issues.append(_issue(name or "<empty header>", Reason.EXTRA_COLUMN,
                                          f"column {name!r} is not part of this format; ignored", _WARNING))
            elif slot in seen:
                file_issues.append(_issue(name, Reason.DUPLICATE_COLUMN,
                                          f"column {name!r} appears twice; the first is used", _WARNING))
                slot = None
            else:
                seen.add(slot)
            slots.append(slot)
        lacking = self._lacking(seen, file_issues)
        if lacking is not None:
            return None, before, [(0, None, [lacking])]
        for slot, name in self.columns:
            if slot not in seen and slot not in REQUIRED_SLOTS:
                file_issues.append(_issue(name, Reason.MISSING_COLUMN,
                                          f"column {name!r} is missing; its value is left empty", _WARNING))
        return CsvLayout(delimiter, tuple(slots)), before, [(0, None, file_issues)] if file_issues else []

    def _lacking(self, seen: set[str], file_issues: list[RowIssue]) -> RowIssue | None:
        """The one error of a header without a required column, naming what it lacks and has."""
        lacking = [name for slot, name in self.columns if slot not in seen and slot in REQUIRED_SLOTS]
        if not lacking:
            return None
        unknown = [i.field for i in file_issues if i.reason_code == Reason.EXTRA_COLUMN]
        message = f"the header lacks the required column(s) {', '.join(map(repr, lacking))}"
        if unknown:
            message += f" and has column(s) this format does not know: {', '.join(map(repr, unknown))}"
        return _issue("<header>", Reason.MISSING_REQUIRED_COLUMN, f"{message}; no row can make a record")

    @staticmethod
    def _records(lines: Iterator[str], state: _LineState, layout: CsvLayout, before: int,  # noqa: PLR0912, PLR0915
                 size: int = BATCH_ROWS) -> Iterator[RawBatch]:
        """The data rows in batches of ``size``; a batch's records are its rows' cells, transposed."""
        width = len(layout.slots)
        reader = CsvLineReader(lines, layout.delimiter)
        batch = _CsvBatch(layout.slots, 1)
        keep = batch.rows.append
        n = 0  # rows numbered so far
        while True:
            try:
                for row in reader:
                    if len(row) == width and not state.issue and not state.too_long:
                        if not (row[0] or any(row)):  # a spreadsheet's empty row
                            continue
                        keep(row)  # the common case: a clean, complete row
                    elif state.too_long:
                        state.too_long = False
                        where = f"line {reader.line_num + before}"
                        too_large = f"a line longer than {MAX_RECORD_BYTES} bytes; skipped"
                        batch.withhold(n + 1, [_issue(where, Reason.RECORD_TOO_LARGE, too_large)])
                    elif not any(row):  # a blank line
                        state.issue = None
                        continue
                    else:
                        found: list[RowIssue] = []
                        if state.issue is not None:
                            found.append(state.issue)
                            state.issue = None
                        keep(_ragged(row, width, f"line {reader.line_num + before}", found))
                        if found:
                            batch.issues[n + 1 - batch.first] = found
                    n += 1
                    state.last_row_ended = state.ended
                    if n - batch.first + 1 == size:
                        yield batch.take(n)
                        keep = batch.rows.append
                break
            except csv.Error as exc:
                state.issue = None
                state.too_long = False
                where = f"line {reader.line_num + before}"
                broken = _issue(where, Reason.MALFORMED_RECORD, f"unreadable CSV: {exc}")
                batch.withhold(n + 1, [broken])
                n += 1
                state.last_row_ended = state.ended
                if n - batch.first + 1 == size:
                    yield batch.take(n)
                    keep = batch.rows.append
            except Exception:  # a reader bug: the rows read before it still count
                if n >= batch.first:
                    yield batch.take(n)
                raise
        if n >= batch.first:
            yield batch.take(n)

    # ------------------------------------------------------------------ write

    def write(self, rows: Iterable[NativeRecord], stream: BinaryIO, booleans: BoolCodec,
              list_separator: str) -> int:
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=self.delimiter, lineterminator=self.line_terminator)
        writer.writerow([name for _, name in self.columns])
        if self.bom:
            stream.write(_BOM)
        slots = [slot for slot, _ in self.columns]
        sep = self.list_separator
        isep = self.item_separator
        fmt = booleans.format
        n = 0
        for rec in rows:
            docs = rec.get(DOCUMENTS) or []
            offences = rec.get(OFFENCES) or []
            derived = {
                DOC_TYPE: docs[0]["type"] if docs else "",
                DOC_NUMBER: docs[0]["number"] if docs else "",
                DOC_COUNTRY: docs[0]["country"] if docs else "",
                OTHER_DOCS: sep.join(f"{d['type']}{isep}{d['country']}{isep}{d['number']}" for d in docs[1:]),
                OFFENCE_CODES: sep.join(o["code"] for o in offences),
                ORGANISED: fmt(bool(offences[0]["organised"])) if offences else "",
            }
            out = []
            for slot in slots:
                value = derived[slot] if slot in derived else rec.get(slot)
                if value is None:
                    out.append("")
                elif value.__class__ is str:
                    out.append(value)
                elif isinstance(value, bool):
                    out.append(fmt(value))
                elif isinstance(value, list):
                    out.append(sep.join(str(v) for v in value))
                else:
                    out.append(str(value))
            writer.writerow(out)
            n += 1
            if n % 1024 == 0:
                stream.write(buf.getvalue().encode(self.encoding, errors="replace"))
                buf.seek(0)
                buf.truncate()
        stream.write(buf.getvalue().encode(self.encoding, errors="replace"))
        return n


# =========================================================================== JSON and XML layouts


@dataclass(frozen=True)
class ListField:
    """A repeated item: its path and the relative path of each item key."""

    slot: str
    path: str
    items: Mapping[str, str]


@dataclass(frozen=True)
class TreeLayout:
    """Where each slot lives in a JSON object or XML element, in the order the format writes them.

    Entries are ``(slot, path)`` pairs or ``ListField``s. Paths are ``/``-separated; in XML
    ``a/b@c`` is attribute ``c`` of child ``b`` of child ``a``, ``@c`` an attribute of the record
    element, and ``.`` (in list items) the item element's own text.
    """

    entries: Sequence[tuple[str, str] | ListField]
    #: JSON: slots written as numbers (as text when the format writes numbers as text).
    numbers: frozenset[str] = frozenset()
    #: JSON: slots holding a list of strings rather than one string.
    arrays: frozenset[str] = frozenset()
    fields: tuple[tuple[str, str], ...] = field(init=False)
    lists: tuple[ListField, ...] = field(init=False)
    names: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        fields = tuple(e for e in self.entries if isinstance(e, tuple))
        lists = tuple(e for e in self.entries if isinstance(e, ListField))
        names = {slot: path for slot, path in fields}
        for lf in lists:
            names[lf.slot] = lf.path
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "lists", lists)
        object.__setattr__(self, "names", names)


def _may_need_cleaning(source: str) -> bool:
    """Could the parsed text hold lone surrogates (undecodable bytes, or ``\\ud800``-style escapes)?"""
    if "\\ud" in source or "\\uD" in source:
        return True
    if source.isascii():
        return False
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _clean_strings(value: Any) -> tuple[Any, bool]:  # noqa: PLR0911 - one return per case
    """Make every string valid Unicode: bytes that were not UTF-8 (kept as lone surrogates by the
    decoder) are read as windows-1252; lone surrogates from ``\\ud800``-style escapes become U+FFFD."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value, False
        except UnicodeEncodeError:
            pass
        try:  # a valid pair written as two escapes
            return value.encode("utf-8", "surrogatepass").decode("utf-8"), False
        except UnicodeDecodeError:
            pass
        if all("\udc80" <= ch <= "\udcff" for ch in value if "\ud800" <= ch <= "\udfff"):
            return value.encode("utf-8", "surrogateescape").decode("cp1252", errors="replace"), True
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value), True
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            ck, c1 = _clean_strings(k)
            cv, c2 = _clean_strings(v)
            out[ck] = cv
            changed = changed or c1 or c2
        return out, changed
    if isinstance(value, list):
        changed = False
        items = []
        for v in value:
            cv, c = _clean_strings(v)
            items.append(cv)
            changed = changed or c
        return items, changed
    return value, False


_ABSENT: Final = object()


class _ItemLabels(Mapping[str, str]):
    """National names of one list item's keys (``documentos[2]/numero``), built only when asked."""

    __slots__ = ("_keys", "_where")

    def __init__(self, where: str, keys: Mapping[str, str]) -> None:
        self._where = where
        self._keys = keys

    def __getitem__(self, key: str) -> str:
        return f"{self._where}/{self._keys[key]}"

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)
_REPAIRED_TEXT: Final = ("text with bytes that are not UTF-8 (read as windows-1252) or escapes that are not "
                         "Unicode (replaced)")


class _JsonTree:
    """Native records from JSON objects, and JSON objects from native records."""

    def __init__(self, layout: TreeLayout, numbers_as_text: bool = False) -> None:
        self.layout = layout
        self.names = layout.names
        self.numbers_as_text = numbers_as_text
        self._fields = [(slot, tuple(path.split("/"))) for slot, path in layout.fields]
        self._paths = {slot: tuple(path.split("/")) for slot, path in layout.names.items()}
        self._item_paths = {lf.slot: {k: tuple(v.split("/")) for k, v in lf.items.items()}
                            for lf in layout.lists}
        self._lists = [(lf.slot, tuple(lf.path.split("/")), self._item_paths[lf.slot], lf)
                       for lf in layout.lists]
        # known keys per container path ("" = the record), and the fields read from each container
        known: dict[str, set[str]] = {}
        groups: dict[str, list[tuple[str, str]]] = {}
        for slot, path in layout.fields:
            parent, _, key = path.rpartition("/")
            groups.setdefault(parent, []).append((slot, key))
        for path in [p for _, p in layout.fields] + [lf.path for lf in layout.lists]:
            parts = path.split("/")
            for i in range(len(parts)):
                known.setdefault("/".join(parts[:i]), set()).add(parts[i])
        self._known = {k: frozenset(v) for k, v in known.items()}
        # containers outermost first, each with its path from the record and the fields it holds
        outermost_first = sorted(known, key=lambda k: k.count("/"))
        self._containers = [(path, self._known[path], tuple(groups.get(path, ())))
                            for path in outermost_first]
        self._item_known = {lf.slot: frozenset(v.split("/")[0] for v in lf.items.values())
                            for lf in layout.lists}
        self._flat_items = {lf.slot: all("/" not in v for v in lf.items.values()) for lf in layout.lists}

    def native(self, obj: dict[str, Any],  # noqa: PLR0912, PLR0915 - walks a tree
               issues: list[RowIssue]) -> NativeRecord:
        rec: NativeRecord = {}
        names = self.names
        found: dict[str, Any] = {"": obj}
        for path, known, fields in self._containers:
            if path:
                parent, _, key = path.rpartition("/")
                outer = found.get(parent)
                container = outer.get(key, _ABSENT) if outer.__class__ is dict else _ABSENT
                if container.__class__ is not dict:
                    if container is not _ABSENT and container is not None:
                        issues.append(_issue(path, Reason.BAD_TYPE,
                                             f"expected an object, got {_kind(container)}"))
                    container = None
                found[path] = container
            else:
                container = obj
            if container is None:
                for slot, _key in fields:
                    if slot not in REQUIRED_SLOTS:
                        issues.append(_missing_key(names[slot]))
                continue
            if not container.keys() <= known:
                for key in container:
                    if key not in known:
                        where = f"{path}/{key}" if path else key
                        issues.append(_issue(where, Reason.EXTRA_COLUMN,
                                             f"key {key!r} is not part of this format; ignored", _WARNING))
            get = container.get
            for slot, key in fields:
                value = get(key, _ABSENT)
                if value is _ABSENT:
                    if slot not in REQUIRED_SLOTS:
                        issues.append(_missing_key(names[slot]))
                    continue
                rec[slot] = value
        for slot, path_keys, item_keys, lf in self._lists:
            value = _walk(obj, path_keys)
            if value is _ABSENT:
                issues.append(_issue(lf.path, Reason.MISSING_COLUMN,
                                     f"key {lf.path!r} is missing; no items", _WARNING))
                continue
            if value is None:
                continue
            if not isinstance(value, list):
                issues.append(_issue(lf.path, Reason.BAD_TYPE, f"expected a list, got {_kind(value)}"))
                continue
            items: list[NativeItem] = []
            item_known = self._item_known[slot]
            flat = self._flat_items[slot]
            for i, element in enumerate(value, 1):
                where = f"{lf.path}[{i}]"
                if not isinstance(element, dict):
                    issues.append(_issue(where, Reason.BAD_TYPE,
                                         f"expected an object, got {_kind(element)}"))
                    continue
                if not element.keys() <= item_known:
                    issues.extend(_issue(f"{where}/{key}", Reason.EXTRA_COLUMN,
                                         f"key {key!r} is not part of this format; ignored", _WARNING)
                                  for key in element if key not in item_known)
                if flat:
                    values = {k: element.get(sub) for k, sub in lf.items.items()}
                else:
                    walked = {k: _walk(element, sub) for k, sub in item_keys.items()}
                    values = {k: (None if v is _ABSENT else v) for k, v in walked.items()}
                items.append((values, _ItemLabels(where, lf.items)))
            rec[slot] = items
        return rec

    def tree(self, rec: NativeRecord, sep: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        numbers = self.layout.numbers
        arrays = self.layout.arrays
        for entry in self.layout.entries:
            if isinstance(entry, ListField):
                items = []
                for item in rec.get(entry.slot) or []:
                    element: dict[str, Any] = {}
                    for k, sub in self._item_paths[entry.slot].items():
                        v = item.get(k)
                        _put(element, sub, None if v == "" else v)
                    items.append(element)
                _put(out, self._paths[entry.slot], items)
                continue
            slot = entry[0]
            value = rec.get(slot)
            if slot in arrays:
                value = value if isinstance(value, list) else ([value] if value else [])
            elif isinstance(value, list):
                value = sep.join(str(v) for v in value) or None
            elif value == "":
                value = None
            if slot in numbers and value is not None and self.numbers_as_text:
                value = str(value)
            _put(out, self._paths[slot], value)
        return out


def _missing_key(name: str) -> RowIssue:
    return _issue(name, Reason.MISSING_COLUMN, f"key {name!r} is missing; its value is left empty", _WARNING)


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", str: "text"}.get(type(value),
                                                                                   type(value).__name__)


def _walk(obj: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if obj.__class__ is not dict:
            return _ABSENT
        obj = obj.get(key, _ABSENT)
        if obj is _ABSENT:
            return _ABSENT
    return obj


def _put(obj: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    for key in keys[:-1]:
        obj = obj.setdefault(key, {})
    obj[keys[-1]] = value


# =========================================================================== JSON Lines


class JsonLinesFormat(NationalFormat):
    """One JSON object per line (UTF-8)."""

    encoding = "utf-8"

    def __init__(self, layout: TreeLayout) -> None:
        self.layout = layout
        self._tree = _JsonTree(layout)
        self.names = layout.names

    def read(self, stream: BinaryIO) -> Iterator[RawRow]:
        state = _LineState()
        head, problem = _first_line(stream)
        if problem is not None:
            yield 0, None, [problem]
            return
        n = 0
        for line in _lines(stream, state, True, head):
            if state.too_long:
                state.too_long = False
                n += 1
                yield n, None, [_issue("<line>", Reason.RECORD_TOO_LARGE,
                                       f"a line longer than {MAX_RECORD_BYTES} bytes; skipped")]
                continue
            if not line.strip():
                state.issue = None
                continue
            n += 1
            issues: list[RowIssue] = []
            if state.issue is not None:
                issues.append(state.issue)
                state.issue = None
            yield n, _object_to_native(line, self._tree, issues), issues

    def write(self, rows: Iterable[NativeRecord], stream: BinaryIO, booleans: BoolCodec,
              list_separator: str) -> int:
        n = 0
        parts: list[str] = []
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for rec in rows:
            parts.append(dumps(self._tree.tree(rec, list_separator)))
            n += 1
            if len(parts) == 1024:
                stream.write(("\n".join(parts) + "\n").encode("utf-8", "replace"))
                parts.clear()
        if parts:
            stream.write(("\n".join(parts) + "\n").encode("utf-8", "replace"))
        return n


def _object_to_native(source: str, tree: _JsonTree, issues: list[RowIssue]) -> NativeRecord | None:
    try:
        obj = json.loads(source)
    except (ValueError, RecursionError) as exc:
        issues.append(_issue("<record>", Reason.MALFORMED_RECORD, f"not valid JSON: {_short(exc)}"))
        return None
    if not isinstance(obj, dict):
        issues.append(_issue("<record>", Reason.NOT_A_RECORD, f"expected a JSON object, got {_kind(obj)}"))
        return None
    if _may_need_cleaning(source):
        obj, changed = _clean_strings(obj)
        if changed:
            issues.append(_issue("<record>", Reason.NOT_UTF8, _REPAIRED_TEXT, _WARNING))
    return tree.native(obj, issues)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"


# =========================================================================== JSON array


_WS: Final = re.compile(r"[ \t\n\r]*")
_STRUCT: Final = re.compile(r'["{}\[\],]')
_IN_STRING: Final = re.compile(r'["\\]')


def _value_end(buf: str, pos: int) -> int:  # noqa: PLR0911, PLR0912 - a scanner
    """Where the (malformed) JSON value starting at ``pos`` ends, or -1 if the buffer ends first.

    When the value starts its own line (a pretty-printed array), it ends where the next element
    starts at the same indentation, or where the array closes: one broken element, however
    unbalanced its brackets, costs that element only. Otherwise brackets are matched by type, a
    closer without its opener being dropped, and the value ends at the ``,`` or ``]`` that
    follows it at depth zero.
    """
    line_start = buf.rfind("\n", 0, pos) + 1
    indent = buf[line_start:pos]
    if line_start and not indent.strip(" \t"):
        # the next element at this indentation, or the array's "]" on a shallower line
        shallower = f"[ \\t]{{0,{len(indent) - 1}}}" if indent else ""
        following = re.compile("\n(?:" + re.escape(indent) + "\\{|" + shallower + "\\])")
        m = following.search(buf, pos + 1)
        return m.start() if m is not None else -1
    stack: list[str] = []
    i = pos
    n = len(buf)
    while i < n:
        m = _STRUCT.search(buf, i)
        if m is None:
            return -1
        c = m.group()
        j = m.start()
        if c == '"':
            k = j + 1
            while True:
                s = _IN_STRING.search(buf, k)
                if s is None:
                    return -1
                if s.group() == "\\":
                    k = s.end() + 1
                    continue
                i = s.end()
                break
            continue
        i = j + 1
        if c in "{[":
            stack.append("}" if c == "{" else "]")
        elif c in "}]":
            if not stack:
                return j  # the array's own "]" (or a stray closer) ends the value
            if c in stack:
                while stack.pop() != c:
                    pass
            if not stack:
                return i
        elif not stack:  # "," at depth zero
            return j
    return -1


class _ChunkReader:
    """A decoded text buffer over a byte stream, refilled on demand and compacted as it goes."""

    def __init__(self, stream: BinaryIO) -> None:
        import codecs

        self.stream = stream
        # Invalid UTF-8 bytes become lone surrogates, found and repaired per element.
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.problem: RowIssue | None = None
        first = stream.read(_CHUNK)
        if first[:2] in _UTF16_BOMS:
            self.problem = _issue("<file>", Reason.UNSUPPORTED_ENCODING,
                                  "the file is UTF-16; export it as UTF-8")
            first = b""
        else:
            first = first[3:] if first[:3] == _BOM else first
            self.problem = not_text(first)
            if self.problem is not None:
                first = b""
        self.eof = not first
        self.buf = self.decoder.decode(first, final=self.eof)

    def more(self, pos: int) -> int:
        """Read another chunk; returns ``pos`` in the (possibly compacted) buffer."""
        if pos > _CHUNK:
            self.buf, pos = self.buf[pos:], 0
        chunk = self.stream.read(_CHUNK)
        self.eof = not chunk
        self.buf += self.decoder.decode(chunk, final=self.eof)
        return pos

    def skip_ws(self, pos: int) -> int:
        while True:
            pos = _WS.match(self.buf, pos).end()  # type: ignore[union-attr]
            if pos < len(self.buf) or self.eof:
                return pos
            pos = self.more(pos)


class JsonArrayFormat(NationalFormat):
    """One JSON array of objects, read element by element with bounded memory."""

    encoding = "utf-8"

    def __init__(self, layout: TreeLayout, *, numbers_as_text: bool = False, indent: int = 2) -> None:
        self.layout = layout
        self._tree = _JsonTree(layout, numbers_as_text)
        self.names = layout.names
        self.indent = indent

    def read(self, stream: BinaryIO) -> Iterator[RawRow]:  # noqa: PLR0912, PLR0915 - one state machine
        reader = _ChunkReader(stream)
        if reader.problem is not None:
            yield 0, None, [reader.problem]
            return
        raw_decode = json.JSONDecoder().raw_decode
        pos = reader.skip_ws(0)
        if pos >= len(reader.buf):
            return
        if reader.buf[pos] != "[":
            yield 0, None, [_issue("<file>", Reason.NOT_A_RECORD,
                                   f"expected a JSON array of records, found {reader.buf[pos]!r} first")]
            return
        pos += 1
        n = 0
        expect_value = True
        while True:
            pos = reader.skip_ws(pos)
            buf = reader.buf
            if pos >= len(buf):
                return  # the array was not closed: every element read so far was yielded
            c = buf[pos]
            if c == "]":
                return  # whatever follows the array is ignored
            if c == ",":
                if expect_value:
                    n += 1
                    yield n, None, [_issue("<record>", Reason.MALFORMED_RECORD, "an empty element (',,')")]
                pos += 1
                expect_value = True
                continue
            error: BaseException | None = None
            try:
                obj, end = raw_decode(buf, pos)
            except (ValueError, RecursionError) as exc:
                obj, end, error = None, -1, exc
            if error is None and end >= len(buf) and not reader.eof:
                pos = reader.more(pos)  # a number may go on in the next chunk
                continue
            if error is not None:
                end = _value_end(buf, pos)
                if end == -1:  # the element is not complete in the buffer
                    if not reader.eof and len(buf) - pos < MAX_RECORD_BYTES:
                        pos = reader.more(pos)
                        continue
                    n += 1
                    if reader.eof:
                        reason, what = Reason.MALFORMED_RECORD, "the file ends inside this element"
                    else:
                        reason, what = (Reason.RECORD_TOO_LARGE, f"an element longer than {MAX_RECORD_BYTES} "
                                        "characters; the rest of the file is not read")
                    yield n, None, [_issue("<record>", reason, what)]
                    return
                end = max(end, pos + 1)
            n += 1
            issues: list[RowIssue] = []
            if not expect_value:
                issues.append(_issue("<record>", Reason.MALFORMED_RECORD,
                                     "no comma before this element; read anyway", _WARNING))
            expect_value = error is not None and buf[pos:end].rstrip().endswith(",")  # comma taken along
            source = buf[pos:end]
            pos = end
            if error is not None:
                issues.append(_issue("<record>", Reason.MALFORMED_RECORD, f"not valid JSON: {_short(error)}"))
                yield n, None, issues
                continue
            if not isinstance(obj, dict):
                issues.append(_issue("<record>", Reason.NOT_A_RECORD,
                                     f"expected a JSON object, got {_kind(obj)}"))
                yield n, None, issues
                continue
            if _may_need_cleaning(source):
                obj, changed = _clean_strings(obj)
                if changed:
                    issues.append(_issue("<record>", Reason.NOT_UTF8, _REPAIRED_TEXT, _WARNING))
            yield n, self._tree.native(obj, issues), issues

    def write(self, rows: Iterable[NativeRecord], stream: BinaryIO, booleans: BoolCodec,
              list_separator: str) -> int:
        pad = " " * self.indent
        encoder = json.JSONEncoder(ensure_ascii=False, indent=self.indent)
        n = 0
        stream.write(b"[")
        parts: list[str] = []
        for rec in rows:
            text = encoder.encode(self._tree.tree(rec, list_separator))
            parts.append(("\n" if n == 0 else ",\n") + pad + text.replace("\n", "\n" + pad))
            n += 1
            if len(parts) == 512:
                stream.write("".join(parts).encode("utf-8", "replace"))
                parts.clear()
        parts.append("\n]\n" if n else "]\n")
        stream.write("".join(parts).encode("utf-8", "replace"))
        return n


# =========================================================================== XML

_XML_DECL_ENCODING: Final = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_LATIN1_NAMES: Final = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "windows-1252", "cp1252",
                                  "iso-8859-15"})
_XML_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT_ESCAPES: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                      "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})


def _xml_text(value: str) -> str:
    if _XML_ILLEGAL.search(value):
        value = _XML_ILLEGAL.sub("", value)
    return value.translate(_TEXT_ESCAPES)


def _xml_attr(value: str) -> str:
    if _XML_ILLEGAL.search(value):
        value = _XML_ILLEGAL.sub("", value)
    return value.translate(_ATTR_ESCAPES)


@dataclass
class _Node:
    tag: str
    attrs: list[tuple[str, str]] = field(default_factory=list)  # (attribute, slot)
    text: str | None = None  # slot
    children: list[_Node] = field(default_factory=list)
    list_field: ListField | None = None  # this node repeats once per item


def _split_xml_path(path: str) -> tuple[str, str | None]:
    element, _, attr = path.partition("@")
    return element.strip("/"), (attr or None)


class XmlFormat(NationalFormat):
    """An XML document of record elements, cut into records before parsing each one."""

    def __init__(self, layout: TreeLayout, *, root: str, record: str,
                 root_attributes: Sequence[tuple[str, str]] = (), encoding: str = "utf-8") -> None:
        self.layout = layout
        self.names = layout.names
        self.root = root
        self.record = record
        self.root_attributes = tuple(root_attributes)
        self.encoding = encoding
        tag = re.escape(record.encode())
        self._start = re.compile(rb"<" + tag + rb"(?=[\s/>])|<!--")
        self._end = re.compile(rb"</" + tag + rb"\s*>")
        self._fields = [(slot, *_split_xml_path(path)) for slot, path in layout.fields]
        self._lists = [(lf, {k: _split_xml_path(v) for k, v in lf.items.items()}) for lf in layout.lists]
        # known element paths and their attributes (for EXTRA_COLUMN reports)
        self._known: dict[str, set[str]] = {"": set()}
        for _, element, attr in self._fields:
            self._know(element, attr)
        for lf, subs in self._lists:
            self._know(lf.path, None)
            for element, attr in subs.values():
                path = lf.path if element in ("", ".") else f"{lf.path}/{element}"
                self._know(path, attr)
        self._tree = self._build_tree()

    def _know(self, element: str, attr: str | None) -> None:
        parts = [p for p in element.split("/") if p and p != "."]
        for i in range(1, len(parts) + 1):
            self._known.setdefault("/".join(parts[:i]), set())
        if attr:
            self._known["/".join(parts)].add(attr)

    # ------------------------------------------------------------------ read

    def read(self, stream: BinaryIO) -> Iterator[RawRow]:
        n = 0
        primary = "utf-8"
        for chunk in self._records(stream):
            if isinstance(chunk, RowIssue):
                if chunk.reason_code in (Reason.UNSUPPORTED_ENCODING, Reason.NOT_TEXT):
                    yield 0, None, [chunk]
                    return
                n += 1
                yield n, None, [chunk]
                continue
            if isinstance(chunk, str):
                primary = chunk  # the declared encoding, seen in the prolog
                continue
            n += 1
            issues: list[RowIssue] = []
            text, issue = _decode(chunk, primary, primary == "utf-8")
            if issue is not None:
                issues.append(issue)
            try:
                element = ET.fromstring(text)  # noqa: S314 - one record, no DTD, no entity expansion
            except ET.ParseError as exc:
                issues.append(_issue(f"<{self.record}>", Reason.MALFORMED_RECORD,
                                     f"not well-formed XML: {exc}"))
                yield n, None, issues
                continue
            yield n, self._native(element, issues), issues

    def _records(self, stream: BinaryIO) -> Iterator[bytes | str | RowIssue]:  # noqa: PLR0912, PLR0915 - a scanner
        """Raw record elements; a str announces the declared encoding; issues for broken ones."""
        buf = stream.read(_CHUNK)
        if buf[:2] in _UTF16_BOMS:
            yield _issue("<file>", Reason.UNSUPPORTED_ENCODING, "the file is UTF-16; export it as UTF-8")
            return
        if buf[:3] == _BOM:
            buf = buf[3:]
        binary = not_text(buf)
        if binary is not None:
            yield binary
            return
        declared = _XML_DECL_ENCODING.search(buf[:200])
        if declared:
            name = declared.group(1).decode("ascii").lower()
            if name.startswith("utf-16"):
                yield _issue("<file>", Reason.UNSUPPORTED_ENCODING, "UTF-16 XML is not supported")
                return
            if name in _LATIN1_NAMES:
                yield "cp1252"
        eof = not buf
        pos = 0
        skipping = False  # inside a record too large to keep
        tail = len(self.record) + 8
        while True:
            if skipping:
                m = self._end.search(buf, pos)
                if m is None:
                    if eof:
                        return
                    buf = buf[-tail:]
                    pos = 0
                    more = stream.read(_CHUNK)
                    eof = not more
                    buf += more
                    continue
                pos = m.end()
                skipping = False
            m = self._start.search(buf, pos)
            if m is None:
                if eof:
                    return
                buf = buf[max(pos, len(buf) - tail):]
                pos = 0
                more = stream.read(_CHUNK)
                eof = not more
                buf += more
                continue
            start = m.start()
            end = -1
            if m.group() == b"<!--":
                close = buf.find(b"-->", m.end())
                if close != -1:
                    pos = close + 3
                    continue
            else:
                gt = buf.find(b">", m.end())
                if gt != -1:
                    if buf[gt - 1:gt] == b"/":
                        end = gt + 1
                    else:
                        e = self._end.search(buf, gt + 1)
                        if e is not None:
                            end = e.end()
            if end != -1:
                yield buf[start:end]
                pos = end
                continue
            # incomplete: read more, unless the record is already too large or the file ended
            if eof:
                if m.group() != b"<!--":
                    yield _issue(f"<{self.record}>", Reason.MALFORMED_RECORD,
                                 "the file ends inside this record")
                return
            if len(buf) - start > MAX_RECORD_BYTES:
                if m.group() == b"<!--":
                    pos = len(buf) - 2
                    continue
                yield _issue(f"<{self.record}>", Reason.RECORD_TOO_LARGE,
                             f"a record longer than {MAX_RECORD_BYTES} bytes; skipped")
                skipping = True
                pos = m.end()
                continue
            buf = buf[start:]
            pos = 0
            more = stream.read(_CHUNK)
            eof = not more
            buf += more

    def _native(self, element: ET.Element, issues: list[RowIssue]) -> NativeRecord:  # noqa: PLR0912 - walks a tree
        first: dict[str, ET.Element] = {"": element}
        every: dict[str, list[ET.Element]] = {}
        stack: list[tuple[ET.Element, str]] = [(element, "")]
        known = self._known
        while stack:
            node, path = stack.pop()
            attrs = known.get(path)
            if attrs is not None:
                for attr in node.attrib:
                    if attr not in attrs:
                        where = f"{path}@{attr}" if path else f"@{attr}"
                        issues.append(_issue(where, Reason.EXTRA_COLUMN,
                                             f"attribute {attr!r} is not part of this format; ignored",
                                             _WARNING))
            for child in node:
                tag = child.tag if isinstance(child.tag, str) else ""
                cpath = f"{path}/{tag}" if path else tag
                if cpath not in known:
                    issues.append(_issue(cpath or "<?>", Reason.EXTRA_COLUMN,
                                         f"element <{tag}> is not part of this format; ignored", _WARNING))
                    continue
                if cpath not in first:
                    first[cpath] = child
                every.setdefault(cpath, []).append(child)
                stack.append((child, cpath))
        rec: NativeRecord = {}
        value: str | None
        for slot, element_path, attribute in self._fields:
            found = first.get(element_path)
            if found is None:
                value = None
            elif attribute:
                value = found.get(attribute)
            else:
                value = found.text or ""
            if value is None:
                if slot not in REQUIRED_SLOTS:
                    where = f"{element_path}@{attribute}" if attribute else element_path
                    issues.append(_issue(where or f"@{attribute}", Reason.MISSING_COLUMN,
                                         f"{'attribute' if attribute else 'element'} {where!r} is missing; "
                                         "its value is left empty", _WARNING))
                continue
            rec[slot] = value
        for lf, subs in self._lists:
            nodes = every.get(lf.path, [])
            items: list[NativeItem] = []
            for i, item_node in enumerate(nodes, 1):
                values: dict[str, Any] = {}
                labels: dict[str, str] = {}
                for key, (sub, sub_attr) in subs.items():
                    target = item_node if sub in ("", ".") else item_node.find(sub)
                    if target is None:
                        value = None
                    elif sub_attr:
                        value = target.get(sub_attr)
                    else:
                        value = target.text or ""
                    values[key] = value
                    labels[key] = f"{lf.path}[{i}]" + (f"/{sub}" if sub not in ("", ".") else "") + (
                        f"@{sub_attr}" if sub_attr else "")
                items.append((values, labels))
            rec[lf.slot] = items
        return rec

    # ------------------------------------------------------------------ write

    def _build_tree(self) -> _Node:
        root = _Node(self.record)

        def node_at(base: _Node, path: str) -> _Node:
            cur = base
            for part in [p for p in path.split("/") if p and p != "."]:
                nxt = next((c for c in cur.children if c.tag == part and c.list_field is None), None)
                if nxt is None:
                    nxt = _Node(part)
                    cur.children.append(nxt)
                cur = nxt
            return cur

        for entry in self.layout.entries:
            if isinstance(entry, ListField):
                parent_path, _, tag = entry.path.rpartition("/")
                item = _Node(tag, list_field=entry)
                for key, sub in entry.items.items():
                    sub_element, sub_attr = _split_xml_path(sub)
                    target = node_at(item, sub_element)
                    if sub_attr:
                        target.attrs.append((sub_attr, key))
                    else:
                        target.text = key
                node_at(root, parent_path).children.append(item)
                continue
            slot, path = entry
            element, attr = _split_xml_path(path)
            target = node_at(root, element)
            if attr:
                target.attrs.append((attr, slot))
            else:
                target.text = slot
        return root

    def write(self, rows: Iterable[NativeRecord], stream: BinaryIO, booleans: BoolCodec,
              list_separator: str) -> int:
        head = [f'<?xml version="1.0" encoding="{self.encoding.upper()}"?>\n<{self.root}']
        head += [f' {k}="{_xml_attr(v)}"' for k, v in self.root_attributes]
        head.append(">\n")
        stream.write("".join(head).encode(self.encoding, "xmlcharrefreplace"))
        n = 0
        parts: list[str] = []

        def text_of(value: Any) -> str:
            if value is None:
                return ""
            if value.__class__ is str:
                return value
            if isinstance(value, bool):
                return booleans.format(value)
            if isinstance(value, list):
                return list_separator.join(str(v) for v in value)
            return str(value)

        def emit(node: _Node, values: Mapping[str, Any], depth: int, out: list[str]) -> None:
            pad = "  " * depth
            attrs = "".join(f' {a}="{_xml_attr(text_of(values.get(s)))}"' for a, s in node.attrs)
            children: list[str] = []
            for child in node.children:
                if child.list_field is not None:
                    for item in values.get(child.list_field.slot) or []:
                        emit(child, item, depth + 1, children)
                else:
                    emit(child, values, depth + 1, children)
            text = _xml_text(text_of(values.get(node.text))) if node.text is not None else ""
            if children:
                out.append(f"{pad}<{node.tag}{attrs}>{text}\n" + "".join(children) + f"{pad}</{node.tag}>\n")
            elif text:
                out.append(f"{pad}<{node.tag}{attrs}>{text}</{node.tag}>\n")
            else:
                out.append(f"{pad}<{node.tag}{attrs}/>\n")

        for rec in rows:
            emit(self._tree, rec, 1, parts)
            n += 1
            if len(parts) >= 512:
                stream.write("".join(parts).encode(self.encoding, "xmlcharrefreplace"))
                parts.clear()
        parts.append(f"</{self.root}>\n")
        stream.write("".join(parts).encode(self.encoding, "xmlcharrefreplace"))
        return n

