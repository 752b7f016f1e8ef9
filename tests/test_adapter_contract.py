"""The one contract suite every country adapter passes (adapters found through the registry).

Any adapter installed under the ``pxhub.adapters`` entry points is collected here. Tests that
need synthetic people use ``adapters.samples.synthetic`` (the seven members); tests that break national
values on purpose write the file through the adapter's own format (the built-in
``NationalAdapter``s); fuzzing and the contract rules need nothing but ``parse`` and ``render``.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.protobuf import text_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import registry
from adapters.contract import (
    REQUIRED_FIELDS,
    CountryAdapter,
    ParsedRow,
    Reason,
    RowIssue,
    file_problem,
    mapped_view,
)
from adapters.countries import COUNTRY_SPECS
from adapters.formats import Chunk, CsvFormat, CsvLineReader, JsonArrayFormat, JsonLinesFormat, XmlFormat
from adapters.mapping import (
    ADMITTED_ON,
    DOCUMENTS,
    LEGAL_SITUATION,
    NICKNAME,
    OFFENCES,
    SUBJECT_ID,
    NativeRecord,
    ProfileMapper,
)
from adapters.national import NationalAdapter
from adapters.samples.documented import SAMPLE_PLAN, sample_bytes
from adapters.samples.synthetic import generate_profiles
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

MEMBERS = registry.available()
FUZZ = settings(max_examples=50, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ALLOWED_REASONS = {r.value for r in Reason} - {Reason.INTERNAL_ERROR.value}


@pytest.fixture(params=MEMBERS)
def adapter(request: pytest.FixtureRequest) -> CountryAdapter:
    return registry.get_adapter(request.param)


def _population(adapter: CountryAdapter, count: int = 120, **kwargs: Any) -> list[pb.InmateSecurityProfile]:
    if adapter.member_id not in COUNTRY_SPECS:
        pytest.skip(f"no synthetic population for {adapter.member_id}")
    return list(generate_profiles(adapter.member_id, count, seed=kwargs.pop("seed", 11), **kwargs))


def _render(adapter: CountryAdapter, records: list[pb.InmateSecurityProfile]) -> bytes:
    out = io.BytesIO()
    assert adapter.render(iter(records), out) == len(records)
    return out.getvalue()


def _parse(adapter: CountryAdapter, data: bytes) -> list[ParsedRow]:
    return list(adapter.parse(io.BytesIO(data)))


def _national(adapter: CountryAdapter) -> NationalAdapter:
    if not isinstance(adapter, NationalAdapter):
        pytest.skip("breaking national values needs the adapter's own format writer")
    return adapter


def _native_file(adapter: NationalAdapter, records: list[pb.InmateSecurityProfile],
                 change: Callable[[int, NativeRecord], None]) -> bytes:
    """The national file of ``records`` with ``change(row_number, native_record)`` applied first."""
    natives = []
    for n, record in enumerate(records, 1):
        rec = adapter.mapper.flatten(record)
        change(n, rec)
        natives.append(rec)
    out = io.BytesIO()
    adapter.file_format.write(natives, out, adapter.dialect.booleans, adapter.dialect.list_separator)
    return out.getvalue()


def _reasons(row: ParsedRow) -> set[tuple[str, str]]:
    return {(i.reason_code, i.severity) for i in row.issues}


def _check_contract(adapter: CountryAdapter, rows: list[ParsedRow]) -> None:
    """The rules of adapters.contract that hold for any input."""
    numbers = [r.row_number for r in rows]
    assert all(isinstance(r, ParsedRow) for r in rows)
    assert numbers == sorted(numbers)
    for row in rows:
        assert isinstance(row.issues, tuple)
        for issue in row.issues:
            assert isinstance(issue, RowIssue)
            assert issue.severity in ("error", "warning")
            assert issue.field and issue.message
            assert issue.reason_code in ALLOWED_REASONS, issue
        if row.row_number == 0:  # the file itself: no record, and issues that say what is wrong
            assert row.record is None and row.issues, row
            continue
        if row.record is None:
            assert row.errors, row  # a withheld record always says why
            continue
        assert row.row_number >= 1
        record = row.record
        assert record.custodian_subject_id and record.person_status and record.as_of.seconds
        assert record.identity.given_names and record.identity.first_surname
        assert record.profile_id and record.custodian
        for ident in record.identifiers:  # every id carries the status of its validation
            assert ident.validation != common_pb2.ID_VALIDATION_STATUS_UNSPECIFIED


# ---------------------------------------------------------------- discovery and protocol


def test_the_seven_members_are_registered() -> None:
    assert {"CO-INPEC", "PE-INPE", "GT-DGSP", "EC-SNAI", "UY-INR", "DO-DGSPC", "MX-OADPRS"} <= set(MEMBERS)


def test_adapter_conforms_to_the_protocol(adapter: CountryAdapter) -> None:
    assert isinstance(adapter, CountryAdapter)
    assert registry.conformance_problems(adapter, adapter.member_id) == []
    assert adapter.file_extension.startswith(".")
    assert "/" in adapter.media_type
    assert "".encode(adapter.encoding) == b""
    assert adapter.sample_path().is_file()
    assert REQUIRED_FIELDS  # documented canonical requirements


# ---------------------------------------------------------------- round trip


def test_parse_render_parse_round_trip(adapter: CountryAdapter) -> None:
    records = _population(adapter)
    data = _render(adapter, records)
    rows = _parse(adapter, data)
    _check_contract(adapter, rows)
    assert [r.row_number for r in rows] == list(range(1, len(records) + 1))
    for row, original in zip(rows, records, strict=True):
        assert row.issues == ()
        assert row.record is not None
        assert mapped_view(row.record) == mapped_view(original), text_format.MessageToString(
            mapped_view(row.record), as_utf8=True)
    # the national file written from parsed records is the same file
    assert _render(adapter, [r.record for r in rows if r.record is not None]) == data


def test_profile_ids_are_stable_per_inmate(adapter: CountryAdapter) -> None:
    records = _population(adapter, 20)
    first = _parse(adapter, _render(adapter, records))
    again = _parse(adapter, _render(adapter, records))
    ids = [r.record.profile_id for r in first if r.record]
    assert ids == [r.record.profile_id for r in again if r.record]
    assert len(set(ids)) == len(ids)


def test_codes_are_mapped_to_iccs_and_the_hub_scale(adapter: CountryAdapter) -> None:
    for row in _parse(adapter, _render(adapter, _population(adapter, 60))):
        assert row.record is not None
        for charge in row.record.custody.charges:
            assert charge.iccs_code and charge.national_offence.code and charge.status
        sc = row.record.security_classification
        assert sc.level != pb.SECURITY_LEVEL_UNSPECIFIED and sc.national_level.code
        assert row.record.custody.legal_status != pb.LEGAL_STATUS_UNSPECIFIED


# ---------------------------------------------------------------- national ids


def test_id_checksum_failures_are_warnings_and_the_record_is_kept(adapter: CountryAdapter) -> None:
    records = _population(adapter, 60, id_error_rate=1.0)
    rows = _parse(adapter, _render(adapter, records))
    _check_contract(adapter, rows)
    spec = COUNTRY_SPECS[adapter.member_id]
    invalid = {common_pb2.ID_VALIDATION_STATUS_INVALID_CHECKSUM,
               common_pb2.ID_VALIDATION_STATUS_INVALID_FORMAT,
               common_pb2.ID_VALIDATION_STATUS_INVALID_COMPONENT}
    flagged = 0
    for row, original in zip(rows, records, strict=True):
        assert row.record is not None and not row.errors
        assert mapped_view(row.record) == mapped_view(original)
        national = [i for i in row.record.identifiers if i.type == spec.id_type]
        for ident in national:
            if ident.validation in invalid:
                flagged += 1
                assert {i.reason_code for i in row.warnings} & {
                    Reason.ID_INVALID_CHECKSUM, Reason.ID_INVALID_FORMAT, Reason.ID_INVALID_COMPONENT}
    expected = sum(i.validation in invalid for p in records for i in p.identifiers if i.type == spec.id_type)
    assert flagged == expected
    if spec.id_type != common_pb2.ID_DOCUMENT_TYPE_CO_CEDULA_CIUDADANIA:  # the cédula has no check digit
        assert expected >= 10
    clean = _parse(adapter, _render(adapter, _population(adapter, 60)))
    assert all(i.validation not in invalid for r in clean if r.record for i in r.record.identifiers)


# ---------------------------------------------------------------- per-row validation reports


def test_bad_values_are_reported_on_their_row_and_the_next_rows_still_parse(adapter: CountryAdapter) -> None:
    nat = _national(adapter)
    records = _population(adapter, 8)
    bad_date = "2024-02-30" if nat.dialect.dates.style == "iso" else "30/02/2024"

    def change(n: int, rec: NativeRecord) -> None:
        if n == 2:
            rec[ADMITTED_ON] = bad_date
        elif n == 3:
            rec[OFFENCES] = [{"code": "ZZ-404", "organised": False}]
        elif n == 4:
            rec[SUBJECT_ID] = ""
        elif n == 5:
            rec[LEGAL_SITUATION] = "EN-TRAMITE"
        elif n == 6:
            rec[DOCUMENTS] = [{"type": "QQ", "country": "", "number": "123"}, *rec[DOCUMENTS]]

    rows = _parse(adapter, _native_file(nat, records, change))
    _check_contract(adapter, rows)
    assert len(rows) == 8
    names = nat.file_format.names
    by = {r.row_number: r for r in rows}
    assert by[2].record is not None and not by[2].record.custody.HasField("admitted_on")
    assert [(i.field, i.reason_code, i.severity) for i in by[2].issues] == [
        (names[ADMITTED_ON], Reason.BAD_DATE, "error")]
    assert "30" in by[2].issues[0].message
    assert by[3].record is not None and _reasons(by[3]) == {(Reason.UNKNOWN_CODE, "warning")}
    assert [c.national_offence.code for c in by[3].record.custody.charges] == ["ZZ-404"]
    assert not by[3].record.custody.charges[0].iccs_code
    assert by[4].record is None
    assert [(i.field, i.reason_code) for i in by[4].issues] == [(names[SUBJECT_ID], Reason.MISSING_REQUIRED)]
    assert by[5].record is None and _reasons(by[5]) == {(Reason.UNKNOWN_CODE, "error")}
    assert "EN-TRAMITE" in by[5].issues[0].message
    assert by[6].record is not None and _reasons(by[6]) == {(Reason.UNKNOWN_CODE, "warning")}
    assert by[6].record.identifiers[0].type == common_pb2.ID_DOCUMENT_TYPE_OTHER
    for n in (1, 7, 8):  # untouched rows around the bad ones
        row = by[n]
        assert row.issues == () and row.record is not None
        assert mapped_view(row.record) == mapped_view(records[n - 1])


def _other_encoding(adapter: CountryAdapter) -> str:
    return "utf-8" if adapter.encoding.lower() in ("cp1252", "windows-1252", "latin-1") else "cp1252"


def test_latin1_instead_of_utf8(adapter: CountryAdapter) -> None:
    records = _population(adapter, 40)
    data = _render(adapter, records).decode(adapter.encoding).removeprefix("\ufeff")
    other = _other_encoding(adapter)
    rows = _parse(adapter, data.encode(other))
    _check_contract(adapter, rows)
    for row, original in zip(rows, records, strict=True):
        assert row.record is not None
        assert mapped_view(row.record) == mapped_view(original)
        if other == "cp1252" and row.issues != ():
            assert {i.reason_code for i in row.issues} == {Reason.NOT_UTF8}
    if other == "cp1252":  # a file that claims UTF-8 but is not: said on the rows that are not
        accented = [r for r in rows if r.record and not text_format.MessageToString(
            mapped_view(r.record), as_utf8=True).isascii()]
        assert accented and all(any(i.reason_code == Reason.NOT_UTF8 for i in r.issues) for r in accented)


def test_byte_order_mark_is_skipped(adapter: CountryAdapter) -> None:
    records = _population(adapter, 10)
    data = _render(adapter, records).removeprefix(b"\xef\xbb\xbf")
    plain = _parse(adapter, data)
    with_bom = _parse(adapter, b"\xef\xbb\xbf" + data)
    assert [(r.row_number, r.issues) for r in plain] == [(r.row_number, r.issues) for r in with_bom]
    assert [mapped_view(r.record) for r in plain if r.record] == [
        mapped_view(r.record) for r in with_bom if r.record]
    assert len(plain) == 10 and all(r.issues == () for r in plain)


def _restructure(adapter: NationalAdapter, data: bytes, extra: str, drop_path: str) -> bytes:
    fmt = adapter.file_format
    if isinstance(fmt, CsvFormat):
        import csv

        text = data.decode(fmt.encoding).removeprefix("\ufeff")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter))
        drop = rows[0].index(drop_path)
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=fmt.delimiter, lineterminator=fmt.line_terminator)
        for i, row in enumerate(rows):
            writer.writerow([c for j, c in enumerate(row) if j != drop] + [extra if i == 0 else "x"])
        return buf.getvalue().encode(fmt.encoding)
    if isinstance(fmt, JsonLinesFormat | JsonArrayFormat):
        objects = ([json.loads(line) for line in data.splitlines() if line.strip()]
                   if isinstance(fmt, JsonLinesFormat) else json.loads(data))
        keys = drop_path.split("/")
        for obj in objects:
            obj[extra] = "x"
            target = obj
            for key in keys[:-1]:
                target = target[key]
            del target[keys[-1]]
        if isinstance(fmt, JsonLinesFormat):
            return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode()
        return json.dumps(objects, ensure_ascii=False).encode()
    assert isinstance(fmt, XmlFormat)
    root = ET.fromstring(data)
    element, _, attr = drop_path.partition("@")
    for record in root:
        ET.SubElement(record, extra).text = "x"
        node = record.find(element) if element else record
        assert node is not None
        if attr:
            del node.attrib[attr]
        else:
            parent = record.find(element.rpartition("/")[0]) if "/" in element else record
            assert parent is not None
            parent.remove(node)
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


def test_extra_and_missing_columns_or_elements_are_reported_once_per_header(adapter: CountryAdapter) -> None:
    """A CSV header's problems are row 0's, once; a JSON or XML record's are on that record."""
    nat = _national(adapter)
    records = _population(adapter, 6)
    dropped = nat.file_format.names[NICKNAME]
    data = _restructure(nat, _render(adapter, records), "campoNoPrevisto", dropped)
    rows = _parse(adapter, data)
    _check_contract(adapter, rows)
    if isinstance(nat.file_format, CsvFormat):
        header, *rows = rows
        assert header.row_number == 0 and header.record is None and not header.errors
        assert {(i.reason_code, i.field) for i in header.issues} == {
            (Reason.EXTRA_COLUMN, "campoNoPrevisto"), (Reason.MISSING_COLUMN, dropped)}
        assert all(not row.issues for row in rows)
        issues_of = [header.issues] * len(rows)
    else:
        issues_of = [row.issues for row in rows]
    assert len(rows) == 6
    for row, original, issues in zip(rows, records, issues_of, strict=True):
        assert row.record is not None and not row.errors
        found = {(i.reason_code, i.field) for i in issues}
        assert any(reason == Reason.EXTRA_COLUMN and "campoNoPrevisto" in field
                   for reason, field in found), found
        assert any(reason == Reason.MISSING_COLUMN and dropped in field for reason, field in found), found
        expected = mapped_view(original)
        del expected.identity.other_names[:]  # the nickname was in the dropped field
        assert mapped_view(row.record) == expected


def test_a_missing_required_column_withholds_every_record_and_says_why(adapter: CountryAdapter) -> None:
    nat = _national(adapter)
    dropped = nat.file_format.names[SUBJECT_ID]
    rows = _parse(adapter, _restructure(nat, _render(adapter, _population(adapter, 4)), "otro", dropped))
    _check_contract(adapter, rows)
    if isinstance(nat.file_format, CsvFormat):  # the header says it once, and no row is read
        [header] = rows
        [error] = header.errors
        assert header.row_number == 0 and error.reason_code == Reason.MISSING_REQUIRED_COLUMN
        assert repr(dropped) in error.message and "'otro'" in error.message
        assert file_problem(header) is error
        return
    assert len(rows) == 4
    for row in rows:
        assert row.record is None
        assert (Reason.MISSING_REQUIRED, dropped) in {(i.reason_code, i.field) for i in row.errors}
        assert "missing" in next(i.message for i in row.errors if i.reason_code == Reason.MISSING_REQUIRED)


@pytest.mark.parametrize(
    "data",
    [random.Random(seed).randbytes(5000) for seed in range(3)]
    + [b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "numero;nombre\r\n".encode("utf-16-le")],
    ids=["random-0", "random-1", "random-2", "zip", "utf16-without-bom"],
)
def test_binary_content_is_one_error_at_row_0_with_its_offset(adapter: CountryAdapter, data: bytes) -> None:
    rows = _parse(adapter, data)
    _check_contract(adapter, rows)
    [row] = rows
    problem = file_problem(row)
    assert problem is not None and problem.reason_code == Reason.NOT_TEXT
    offset = int(re.search(r"at offset (\d+)", problem.message).group(1))  # type: ignore[union-attr]
    assert data[offset] < 0x20 or data[offset] == 0x7F


def test_a_file_that_is_not_an_export_reads_no_record(adapter: CountryAdapter) -> None:
    """``hello,world`` and the like: a CSV header lacks the required columns, a tree has no record."""
    rows = _parse(adapter, b"hello,world\r\n1,2\r\n")
    _check_contract(adapter, rows)
    assert all(r.record is None for r in rows)
    if isinstance(_national(adapter).file_format, CsvFormat):
        [row] = rows
        problem = file_problem(row)
        assert problem is not None and problem.reason_code == Reason.MISSING_REQUIRED_COLUMN
        assert "hello" in problem.message and "world" in problem.message


def _corrupt_second_record(adapter: NationalAdapter, data: bytes) -> bytes:
    """Break the syntax of the second record only (quote, JSON or XML well-formedness)."""
    fmt = adapter.file_format
    if isinstance(fmt, CsvFormat):
        lines = data.split(fmt.line_terminator.encode())
        lines[2] = lines[2].replace(fmt.delimiter.encode(), fmt.delimiter.encode() + b'"', 1) + b'"x"y'
        return fmt.line_terminator.encode().join(lines)
    if isinstance(fmt, JsonLinesFormat):
        lines = data.split(b"\n")
        lines[1] = lines[1][: len(lines[1]) // 2]
        return b"\n".join(lines)
    if isinstance(fmt, JsonArrayFormat):
        start = data.index(b"\n  },\n  {") + len(b"\n  },\n  {")
        return data[:start + 10] + b"}{]" + data[start + 10:]
    assert isinstance(fmt, XmlFormat)
    starts = [m.start() for m in re.finditer(f"<{fmt.record}[\\s>]".encode(), data)]
    return data[:starts[1] + 40] + b"<roto>" + data[starts[1] + 40:]


def test_a_broken_record_costs_that_record_only(adapter: CountryAdapter) -> None:
    nat = _national(adapter)
    records = _population(adapter, 5)
    rows = _parse(adapter, _corrupt_second_record(nat, _render(adapter, records)))
    _check_contract(adapter, rows)
    good = [r.record for r in rows if r.record is not None and not r.issues]
    assert [mapped_view(r) for r in good[-3:]] == [mapped_view(p) for p in records[-3:]]
    assert mapped_view(good[0]) == mapped_view(records[0])
    assert any(r.errors for r in rows)


class _ShortReads(io.BytesIO):
    """A stream that returns fewer bytes than asked, as pipes and sockets do."""

    def __init__(self, data: bytes, seed: int) -> None:
        super().__init__(data)
        self._rng = random.Random(seed)

    def read(self, size: int | None = -1) -> bytes:
        want = self._rng.randint(1, 300)
        return super().read(want if size is None or size < 0 else min(size, want))

    def readline(self, size: int | None = -1) -> bytes:
        want = self._rng.randint(1, 300)
        return super().readline(want if size is None or size < 0 else min(size, want))


@pytest.mark.parametrize("seed", [1, 2])
def test_short_reads_give_the_same_rows(adapter: CountryAdapter, seed: int) -> None:
    data = _render(adapter, _population(adapter, 30, id_error_rate=0.2))
    whole = _parse(adapter, data)
    pieces = list(adapter.parse(_ShortReads(data, seed)))
    assert [(r.row_number, r.issues) for r in pieces] == [(r.row_number, r.issues) for r in whole]
    assert [r.record for r in pieces] == [r.record for r in whole]


def test_parse_streams_in_bounded_memory(adapter: CountryAdapter) -> None:
    records = _population(adapter, 400)
    data = _render(adapter, records) * 1  # about 0.1-0.5 MB

    class Counting(io.BytesIO):
        consumed = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            Counting.consumed += len(chunk)
            return chunk

        def readline(self, size: int | None = -1) -> bytes:
            chunk = super().readline(size)
            Counting.consumed += len(chunk)
            return chunk

    stream = Counting(data * 8)
    rows = adapter.parse(stream)
    first = next(rows)
    assert first.record is not None
    assert Counting.consumed <= 200_000 < len(data) * 8  # read lazily, not the whole file


# ---------------------------------------------------------------- documented samples


def test_the_sample_file_parses_with_its_documented_issue_rows(adapter: CountryAdapter) -> None:
    with adapter.sample_path().open("rb") as stream:
        rows = list(adapter.parse(stream))
    _check_contract(adapter, rows)
    assert [r.row_number for r in rows] == list(range(1, 11))
    if adapter.member_id not in COUNTRY_SPECS:
        return
    assert adapter.sample_path().read_bytes() == sample_bytes(adapter.member_id)
    for row in rows:
        planned = SAMPLE_PLAN.get(row.row_number)
        if planned is None:
            assert row.issues == () and row.record is not None
            continue
        _, reason, severity, kept = planned
        if adapter.member_id == "CO-INPEC" and reason == Reason.ID_INVALID_CHECKSUM:
            reason = Reason.ID_INVALID_FORMAT  # no check digit on the cédula
        assert _reasons(row) == {(reason, severity)}, row.issues
        assert (row.record is not None) == kept


# ---------------------------------------------------------------- fuzzing


def _fuzz_check(adapter: CountryAdapter, data: bytes) -> None:
    rows = _parse(adapter, data)
    _check_contract(adapter, rows)
    for row in rows:
        if row.record is None:
            continue
        try:  # a record the national encoding can hold renders and parses back to itself
            text_format.MessageToString(row.record, as_utf8=True).encode(adapter.encoding)
        except UnicodeEncodeError:
            continue
        back = _parse(adapter, _render(adapter, [row.record]))
        assert len(back) == 1 and back[0].record is not None and not back[0].errors, back
        assert mapped_view(back[0].record) == mapped_view(row.record)


@pytest.fixture(scope="module")
def valid_exports() -> dict[str, bytes]:
    out = {}
    for member in MEMBERS:
        a = registry.get_adapter(member)
        if member in COUNTRY_SPECS:
            out[member] = _render(a, list(generate_profiles(member, 4, seed=5, id_error_rate=0.3)))
        else:
            out[member] = a.sample_path().read_bytes()
    return out


@pytest.mark.parametrize("member", MEMBERS)
@FUZZ
@given(data=st.binary(max_size=600))
def test_fuzz_arbitrary_bytes(member: str, data: bytes) -> None:
    _fuzz_check(registry.get_adapter(member), data)


def _steps(reader: Iterator[list[str]]) -> list[tuple[object, int]]:
    """Every result of a csv reader until its lines run out: a row or an error, and ``line_num``."""
    out: list[tuple[object, int]] = []
    while True:
        try:
            step: object = next(reader)
        except StopIteration:
            return out
        except csv.Error as exc:
            step = f"csv.Error: {exc}"
        out.append((step, reader.line_num))  # type: ignore[attr-defined]


_CSV_LINE = st.lists(st.sampled_from(["a", "b", "é", " ", ";", ",", '"', "\r", "\n", "\r\n", "\0", "x" * 9]),
                     max_size=12).map("".join)


@settings(max_examples=600, deadline=None, derandomize=True)
@given(text=st.lists(_CSV_LINE, max_size=12).map("".join), delimiter=st.sampled_from([";", ","]))
def test_the_csv_line_reader_reads_what_csv_reader_reads(text: str, delimiter: str) -> None:
    """Rows, errors and line numbers, for lines cut as the readers cut them (at each \\n)."""
    lines = io.StringIO(text, newline="\n").readlines()
    expected = _steps(csv.reader(iter(lines), delimiter=delimiter))
    assert _steps(CsvLineReader(iter(lines), delimiter)) == expected


def test_the_csv_line_reader_leaves_a_field_over_the_limit_to_csv_reader() -> None:
    lines = ["a;bbbbbbbbbbbb;c\n", "d;e\n"]
    limit = csv.field_size_limit(8)
    try:
        steps = _steps(CsvLineReader(iter(lines), ";"))
        assert steps == _steps(csv.reader(iter(lines), delimiter=";"))
    finally:
        csv.field_size_limit(limit)
    assert steps == [("csv.Error: field larger than field limit (8)", 1), (["d", "e"], 2)]


def test_the_csv_line_reader_hands_quoted_records_to_csv_reader() -> None:
    lines = ['a;"b\n', 'still b";c\r\n', "d;e\r\n", "\r\n", 'f;"g""h"\n', "i\n"]
    reader = CsvLineReader(iter(lines), ";")
    assert [(row, reader.line_num) for row in reader] == [
        (["a", "b\nstill b", "c"], 2), (["d", "e"], 3), ([], 4), (["f", 'g"h'], 5), (["i"], 6)]


_SPECIAL = st.sampled_from([
    b";", b",", b"\n", b"\r\n", b'"', b"<", b">", b"</", b"{", b"}", b"[", b"]", b":", b"\\ud800", b"\\u0000",
    b"\xff", b"\xc3", b"\xef\xbb\xbf", b"00/00/0000", b"&amp;", b"&nbsp;", b"<!--", b"-->",
    b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"\x00", b"'", b"9" * 30, b"true", b"null", b"|", b"1e999",
])


@st.composite
def _mutations(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(out)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "special", "truncate"]))
        if kind == "flip" and out:
            out[min(pos, len(out) - 1)] = draw(st.integers(0, 255))
        elif kind == "insert":
            out[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del out[pos:pos + draw(st.integers(1, 40))]
        elif kind == "special":
            out[pos:pos] = draw(_SPECIAL)
        else:
            del out[pos:]
    return bytes(out)


@pytest.mark.parametrize("member", MEMBERS)
@FUZZ
@given(seed=st.data())
def test_fuzz_mutated_valid_exports(member: str, seed: st.DataObject,
                                    valid_exports: dict[str, bytes]) -> None:
    data = seed.draw(_mutations(valid_exports[member]))
    _fuzz_check(registry.get_adapter(member), data)


@pytest.mark.parametrize("member", MEMBERS)
@FUZZ
@given(seed=st.data())
def test_a_batch_maps_every_row_as_a_fresh_mapper_maps_it_alone(member: str, seed: st.DataObject,
                                                                 valid_exports: dict[str, bytes]) -> None:
    """Rows are mapped a batch at a time with caches kept across files: neither may leak a value
    or an issue from one row into another (the adapter's mapper is reused across examples)."""
    adapter = _national(registry.get_adapter(member))
    data = seed.draw(_mutations(valid_exports[member] * 3))
    names = adapter.file_format.names
    for raw in adapter.file_format.read_batches(io.BytesIO(data)):  # CSV: columns of the cells read
        records = raw.records
        batch = adapter.mapper.encode_batch(records, names)
        profiles = iter(pb.InmateSecurityProfileBatch.FromString(batch.records).profiles)
        for i, (withheld, issues) in enumerate(zip(batch.withheld, batch.issues, strict=True)):
            rec = copy.deepcopy(records.record(i))
            alone, alone_issues = ProfileMapper(member, adapter.dialect).build(rec, names)
            assert issues == alone_issues, (raw.first, i)
            assert withheld == (alone is None), (raw.first, i)
            if alone is not None:
                assert next(profiles) == alone, (raw.first, i)
        assert next(profiles, None) is None


def test_render_accepts_a_generator_and_writes_nothing_for_nothing(adapter: CountryAdapter) -> None:
    def none() -> Iterator[pb.InmateSecurityProfile]:
        yield from ()

    out = io.BytesIO()
    assert adapter.render(none(), out) == 0
    assert _parse(adapter, out.getvalue()) == []


# ---------------------------------------------------------------- parsing in several processes


def _messy_csv(adapter: NationalAdapter, count: int) -> bytes:
    """A CSV export with bad rows mixed in: bad values, multi-line quoted fields, broken quotes,
    bytes that are not UTF-8, blank and short lines."""
    records = _population(adapter, count, seed=3, id_error_rate=0.1)

    def change(n: int, rec: NativeRecord) -> None:
        if n % 7 == 0:
            rec[NICKNAME] = "El\nFlaco"  # quoted by the writer: one record on two lines
        if n % 11 == 0:
            rec[ADMITTED_ON] = "31/02/2020"
        if n % 13 == 0:
            rec[LEGAL_SITUATION] = "NO-SUCH-SITUATION"
        if n % 17 == 0:
            rec[SUBJECT_ID] = ""

    data = _native_file(adapter, records, change)
    fmt = adapter.file_format
    assert isinstance(fmt, CsvFormat)
    end = fmt.line_terminator.encode()
    lines = data.split(end)
    for i in range(5, len(lines) - 1, 37):
        lines[i] = lines[i].replace(fmt.delimiter.encode(), fmt.delimiter.encode() + b'"', 1) + b'"x"y'
    for i in range(21, len(lines) - 1, 43):
        lines[i] = lines[i].replace(fmt.delimiter.encode(), b"\r" + fmt.delimiter.encode(), 1)  # unreadable
    for i in range(9, len(lines) - 1, 53):
        lines[i] = lines[i].replace(b"a", b"\xe1", 1)  # windows-1252 inside a UTF-8 line
    for i in range(3, len(lines) - 1, 61):
        lines[i] = b"" if i % 2 else lines[i][: len(lines[i]) // 3]
    return end.join(lines)


@pytest.mark.parametrize("member", [m for m in MEMBERS
                                    if isinstance(getattr(registry.get_adapter(m), "file_format", None),
                                                  CsvFormat)])
def test_parsing_in_processes_gives_the_rows_of_one_process(member: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Same rows, numbers, issues and records, in the same order, cut at many places."""
    from adapters import formats, parallel

    adapter = _national(registry.get_adapter(member))
    data = _messy_csv(adapter, 3000)
    alone = list(adapter.parse(io.BytesIO(data)))
    assert len(alone) > 2900
    assert {Reason.MALFORMED_RECORD, Reason.MISSING_REQUIRED, Reason.BAD_DATE, Reason.UNKNOWN_CODE} <= {
        i.reason_code for r in alone for i in r.issues}
    assert sum(r.record is None for r in alone) > 100
    in_processes = list(adapter.parse(io.BytesIO(data), workers=2))
    assert in_processes == alone
    monkeypatch.setattr(formats, "_CHUNK", 2048)  # runs of ~5 rows: many records across a cut
    monkeypatch.setattr(parallel, "RUN_UNITS", 1)
    small_units = list(adapter.parse(io.BytesIO(data)))
    assert list(adapter.parse(_ShortReads(data, 1), workers=3)) == small_units
    assert [(r.row_number, r.issues, r.record) for r in small_units] == [
        (r.row_number, r.issues, r.record) for r in alone]


def test_an_encoding_that_does_not_parse_is_an_internal_error_on_its_row() -> None:
    """The guard against a mapper bug: fragments that do not form a record cost that row only,
    also when the record is one of a batch parsed in one call."""
    from adapters.mapping import T_PROFILES
    from adapters.rows import EncodedRows, parsed_row, parsed_rows
    from adapters.wire import frame_length

    earlier = RowIssue("NUI", Reason.EXTRA_VALUES, "33 values for 32 columns", "warning")
    row = parsed_row(7, b"\x0a\xff\xff\xff", (earlier,))
    assert row.row_number == 7 and row.record is None
    assert row.issues[0] == earlier
    assert [i.reason_code for i in row.issues[1:]] == [Reason.INTERNAL_ERROR]
    assert parsed_row(8, None, (earlier,)) == ParsedRow(8, None, (earlier,))

    good = [pb.InmateSecurityProfile(custodian_subject_id=str(n)) for n in range(3)]
    encodings = [good[0].SerializeToString(), b"\x0a\xff\xff\xff", good[1].SerializeToString(),
                 good[2].SerializeToString()]
    records = b"".join(T_PROFILES + frame_length(e) + e for e in encodings)
    rows = EncodedRows([1, 2, 3, 4, 5], [False, False, True, False, False], [(), (earlier,), (), (), ()],
                       records)
    parsed = list(parsed_rows(rows, iter([11, 12, 13, 14, 15])))
    assert [r.row_number for r in parsed] == [11, 12, 13, 14, 15]
    assert [r.record for r in parsed] == [good[0], None, None, good[1], good[2]]
    assert parsed[1].issues[0] == earlier
    assert [i.reason_code for i in parsed[1].issues[1:]] == [Reason.INTERNAL_ERROR]
    assert [r.issues for r in parsed[2:]] == [(), (), ()]
    # a batch whose framing is broken: every row with a record says so, none is passed on
    broken = list(parsed_rows(EncodedRows([1, 2], [False, True], [(), ()], records[:-3])))
    assert [r.record for r in broken] == [None, None]
    assert [i.reason_code for i in broken[0].issues] == [Reason.INTERNAL_ERROR]


def test_a_run_of_whole_records_is_clean_and_one_cut_inside_a_record_is_not() -> None:
    """A parsing process trusts a run only if its last record ends with its last line; otherwise
    the reading process reads it again joined to the next run. Whole runs must not be re-read
    (each re-read costs the reading process the whole run)."""
    adapter = _national(registry.get_adapter("CO-INPEC"))
    fmt = adapter.file_format
    assert isinstance(fmt, CsvFormat)
    records = _population(adapter, 300, seed=5, id_error_rate=0.0)

    def last_on_two_lines(n: int, rec: NativeRecord) -> None:
        if n == 300:
            rec[NICKNAME] = "El\nFlaco"

    data = _native_file(adapter, records, last_on_two_lines)
    split = fmt.split(io.BytesIO(data))
    assert split.layout is not None
    layout = split.layout  # a name keeps the narrowing inside read()
    lines = list(io.StringIO(data.decode(fmt.encoding), newline="\n"))
    whole, cut = "".join(lines[:200]), "".join(lines[:-1])  # cut: the last record's first line only

    def read(run: str) -> tuple[int, bool]:
        clean = [False]
        unit = Chunk(run.encode(fmt.encoding), fmt.encoding)
        rows = sum(b.row_count for b in fmt.batch([unit], layout, split.before, split.before, clean))
        return rows, clean[0]

    assert read(whole) == (200 - split.before, True)
    rows, clean = read(cut)
    assert rows == 300 and not clean


def test_runs_for_parsing_processes_carry_the_file_bytes_with_their_decoding() -> None:
    """The reading process does not decode what it hands out: a decoded text would be encoded
    again to reach a parsing process. Each unit keeps its bytes and names the decoding the
    sequential reader gives them; decoded, the units are the file's text."""
    adapter = _national(registry.get_adapter("CO-INPEC"))
    fmt = adapter.file_format
    assert isinstance(fmt, CsvFormat) and fmt.encoding == "cp1252"
    data = _render(adapter, _population(adapter, 1500, seed=6, id_error_rate=0.0))
    assert not data.isascii()
    split = fmt.split(io.BytesIO(data))
    units = split.taken + list(split.rest)
    assert len(units) > 3
    assert isinstance(units[0], bytes)  # decoded line by line: it is where UTF-8 fails first
    assert all(isinstance(u, Chunk) for u in units[1:])
    assert {u.codec for u in units[1:] if isinstance(u, Chunk)} == {"cp1252"}
    assert all(isinstance(u.data, bytes) for u in units if isinstance(u, Chunk))
    text = "".join(u.text() if isinstance(u, Chunk) else u.decode("cp1252") for u in units if u)
    assert text == data.decode("cp1252")


@pytest.mark.parametrize("member", ["CO-INPEC", "EC-SNAI"])
def test_a_reader_failure_keeps_the_rows_before_it_and_ends_with_row_0(
        member: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in a reader (not bad input: that is an issue on its row) must not lose the rows read
    before it, nor crash the caller: they are mapped, and row 0 says what went wrong."""
    from adapters import formats

    adapter = _national(registry.get_adapter(member))
    records = _population(adapter, 200, seed=8, id_error_rate=0.0)
    data = _render(adapter, records)
    good = _parse(adapter, data)
    assert len(good) == 200
    failing_after = 150  # data rows read before the failure: past the first batch

    def failing(rows: Iterator[Any]) -> Iterator[Any]:
        for n, row in enumerate(rows):
            if n == failing_after:
                raise RuntimeError("reader bug")
            yield row

    if member == "CO-INPEC":
        real_reader = formats.CsvLineReader
        monkeypatch.setattr(formats, "CsvLineReader",
                            lambda lines, delimiter: failing(real_reader(lines, delimiter)))
    else:
        real_read = adapter.file_format.read
        monkeypatch.setattr(adapter.file_format, "read", lambda stream: failing(real_read(stream)))
    rows = _parse(adapter, data)
    assert [r.row_number for r in rows] == [*range(1, 151), 0]
    assert rows[:150] == good[:150]
    assert rows[-1].record is None
    assert [i.reason_code for i in rows[-1].issues] == [Reason.INTERNAL_ERROR]
    assert "reader bug" in rows[-1].issues[0].message
