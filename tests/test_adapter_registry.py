"""Adapter discovery through entry points, native export writers, and the pure code-list helpers."""

from __future__ import annotations

import gc
import io
import os
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters import codes, ids, registry
from adapters.contract import ADAPTER_ENTRY_POINT_GROUP, CountryAdapter, mapped_view
from adapters.samples import exports
from adapters.samples.synthetic import generate_profiles
from adapters.wire import FieldPath, encode_varint, frame_length, split_frames
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

# ---------------------------------------------------------------- a third-party member package

FAKE_PACKAGE = '''
"""A member that joins with its own package: tab-separated, implemented from scratch."""
from pathlib import Path
from pxhub.v1 import inmate_profile_pb2 as pb
from adapters.contract import ParsedRow, RowIssue

class SenappenAdapter:
    member_id = "BR-SENAPPEN"
    format_name = "SENAPPEN TSV"
    media_type = "text/tab-separated-values"
    file_extension = ".tsv"
    encoding = "utf-8"

    def parse(self, stream):
        for n, line in enumerate(stream, 1):
            subject, given, surname = (line.decode().rstrip("\\n").split("\\t") + ["", "", ""])[:3]
            if not subject:
                yield ParsedRow(n, None, (RowIssue("prontuario", "MISSING_REQUIRED", "empty", "error"),))
                continue
            p = pb.InmateSecurityProfile(custodian=self.member_id, custodian_subject_id=subject,
                                         person_status=pb.PERSON_STATUS_SENTENCED)
            p.as_of.seconds = 1
            p.identity.given_names, p.identity.first_surname = given, surname
            yield ParsedRow(n, p, ())

    def render(self, records, stream):
        n = 0
        for r in records:
            stream.write(f"{r.custodian_subject_id}\\t{r.identity.given_names}\\t{r.identity.first_surname}\\n".encode())
            n += 1
        return n

    def sample_path(self):
        return Path(__file__)


class NoRender:
    member_id = "ZZ-BROKEN"
    format_name = "broken"
    media_type = "text/plain"
    file_extension = ".txt"
    encoding = "utf-8"

    def parse(self, stream):
        return iter(())

    def sample_path(self):
        return Path(__file__)


class WrongName(SenappenAdapter):
    pass


def explode():
    raise RuntimeError("no configuration file")
'''


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package installed the way pip installs it: module + dist-info with entry_points.txt."""
    (tmp_path / "pxhub_member_br.py").write_text(textwrap.dedent(FAKE_PACKAGE))
    info = tmp_path / "pxhub_member_br-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pxhub-member-br\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{ADAPTER_ENTRY_POINT_GROUP}]\n"
        "BR-SENAPPEN = pxhub_member_br:SenappenAdapter\n"
        "ZZ-BROKEN = pxhub_member_br:NoRender\n"
        "XX-WRONG = pxhub_member_br:WrongName\n"
        "YY-GONE = pxhub_member_missing:Adapter\n"
        "WW-BOOM = pxhub_member_br:explode\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.clear_cache()
    yield tmp_path
    registry.clear_cache()


def test_a_new_member_is_a_new_package(third_party: Path) -> None:
    assert "BR-SENAPPEN" in registry.available()
    adapter = registry.get_adapter("BR-SENAPPEN")
    assert isinstance(adapter, CountryAdapter)
    assert registry.get_adapter("BR-SENAPPEN") is adapter  # loaded once
    rows = list(adapter.parse(io.BytesIO(b"BR-1\tJoao\tSilva\n\tx\ty\n")))
    assert rows[0].record is not None and rows[0].record.identity.first_surname == "Silva"
    assert rows[1].record is None
    out = io.BytesIO()
    assert adapter.render([rows[0].record], out) == 1 and out.getvalue() == b"BR-1\tJoao\tSilva\n"


@pytest.mark.parametrize(("member", "expected"), [
    ("ZZ-BROKEN", "render() is missing"),
    ("XX-WRONG", "member_id is 'BR-SENAPPEN' but the entry point is named 'XX-WRONG'"),
    ("YY-GONE", "could not be imported: ModuleNotFoundError"),
    ("WW-BOOM", "building the adapter failed: RuntimeError: no configuration file"),
])
def test_a_non_conforming_adapter_is_refused_naming_its_entry_point(third_party: Path, member: str,
                                                                   expected: str) -> None:
    with pytest.raises(registry.AdapterLoadError) as caught:
        registry.get_adapter(member)
    message = str(caught.value)
    assert f"entry point {member!r}" in message and ADAPTER_ENTRY_POINT_GROUP in message
    assert expected in message
    with pytest.raises(registry.AdapterLoadError, match=member):
        registry.all_adapters()
    assert registry.get_adapter("CO-INPEC").member_id == "CO-INPEC"  # the others still load


def test_entry_points_can_be_replaced_for_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    group = ADAPTER_ENTRY_POINT_GROUP
    fake = [
        EntryPoint("CO-INPEC", "adapters.countries.co_inpec:ColombiaInpecAdapter", group),
        EntryPoint("CO-INPEC", "adapters.countries.co_inpec:ColombiaInpecAdapter", group),  # listed twice
        EntryPoint("PE-INPE", "adapters.countries.pe_inpe:PeruInpeAdapter", group),
        EntryPoint("PE-INPE", "adapters.countries.uy_inr:UruguayInrAdapter", group),
    ]
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep for ep in fake if ep.group == group])
    registry.clear_cache()
    try:
        assert registry.available() == ("CO-INPEC", "PE-INPE")
        assert registry.get_adapter("CO-INPEC").member_id == "CO-INPEC"
        with pytest.raises(registry.AdapterLoadError, match=r"2 entry points .* claim 'PE-INPE'"):
            registry.get_adapter("PE-INPE")
        with pytest.raises(registry.UnknownAdapterError,
                           match=r"no adapter registered for 'GT-DGSP'.*CO-INPEC"):
            registry.get_adapter("GT-DGSP")
    finally:
        registry.clear_cache()


def test_conformance_problems_lists_everything() -> None:
    class Nothing:
        member_id = "bad id"

    problems = registry.conformance_problems(Nothing(), "CO-INPEC")
    text = "; ".join(problems)
    for expected in ("format_name must be", "parse() is missing", "render() is missing",
                     "'<ISO2>-<CODE>'", "entry point is named 'CO-INPEC'"):
        assert expected in text


# ---------------------------------------------------------------- native export writers


def test_write_export_streams_the_national_format(tmp_path: Path) -> None:
    path = exports.write_export("GT-DGSP", tmp_path / "dgsp.xml", count=25, seed=3)
    again = exports.write_export("GT-DGSP", tmp_path, count=25, seed=3)
    assert again.name == "gt-dgsp-seed3-25.xml"
    assert path.read_bytes() == again.read_bytes()  # deterministic for a seed
    adapter = registry.get_adapter("GT-DGSP")
    with path.open("rb") as stream:
        rows = list(adapter.parse(stream))
    expected = list(generate_profiles("GT-DGSP", 25, seed=3))
    assert [mapped_view(r.record) for r in rows if r.record] == [mapped_view(p) for p in expected]
    assert not list(tmp_path.glob("*.part"))
    one = exports.write_export("CO-INPEC", tmp_path / "one.csv", count=1, seed=1)
    assert len(one.read_bytes().splitlines()) == 2


@pytest.mark.parametrize("count", [0, -1, 1_000_001, True, 2.5])
def test_write_export_refuses_impossible_counts(tmp_path: Path, count: object) -> None:
    with pytest.raises(ValueError, match="from 1 to 1,000,000"):
        exports.write_export("CO-INPEC", tmp_path / "x.csv", count=count, seed=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no synthetic population for 'XX-NONE'"):
        exports.write_export("XX-NONE", tmp_path / "x.csv", count=1, seed=1)


def test_export_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert exports.main(["EC-SNAI", str(tmp_path), "--count", "3", "--seed", "9"]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written.name == "ec-snai-seed9-3.jsonl" and len(written.read_bytes().splitlines()) == 3


def _rss() -> int:
    statm = Path("/proc/self/statm")
    if not statm.exists():
        pytest.skip("needs /proc/self/statm")
    return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_export_and_import_memory_stays_flat(tmp_path: Path) -> None:
    adapter = registry.get_adapter("PE-INPE")
    small = exports.write_export("PE-INPE", tmp_path / "warm.csv", count=2000, seed=4)
    with small.open("rb") as stream:
        for _ in adapter.parse(stream):
            pass
    gc.collect()
    before = _rss()
    big = exports.write_export("PE-INPE", tmp_path / "big.csv", count=20_000, seed=4)
    with big.open("rb") as stream:
        count = sum(1 for _ in adapter.parse(stream))
    gc.collect()
    assert count == 20_000
    assert big.stat().st_size > 6_000_000
    assert _rss() - before < 24 * 1024 * 1024  # keeping 20k rows would take far more


# ---------------------------------------------------------------- pure code-list helpers


@pytest.mark.parametrize(("style", "partial", "text", "expected"), [
    ("dmy", "zero-day", "29/02/2024", (2024, 2, 29)),
    ("dmy", "zero-day", "00/03/1985", (1985, 3, 0)),
    ("dmy", "zero-day", "00/00/1985", (1985, 0, 0)),
    ("dmy", "short", "03/1985", (1985, 3, 0)),
    ("dmy", "short", " 1985 ", (1985, 0, 0)),
    ("dmy", "zero-day", "5.7.2001", (2001, 7, 5)),
    ("dmy", "zero-day", "31/12/1985 00:00:00", (1985, 12, 31)),
    ("iso", "short", "1985-12", (1985, 12, 0)),
    ("iso", "short", "1985-12-31T00:00:00", (1985, 12, 31)),
])
def test_dates_including_partial_ones(style: codes.DateStyle, partial: codes.PartialStyle, text: str,
                                      expected: tuple[int, int, int]) -> None:
    codec = codes.DateCodec(style, partial)
    assert codec.parse(text) == expected
    assert codec.parse(codec.format(codec.partial_date(text))) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("29/02/2023", "febrero 2023 has 28 days"),
    ("12/13/1985", "month 13 is not 1-12"),
    ("12/03/85", "four digits"),
    ("12/03/1850", "year 1850 is outside"),
    ("05/00/1985", "a day without a month"),
    ("ayer", "not a date; expected dd/mm/yyyy"),
    ("", "empty date"),
])
def test_bad_dates_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        codes.DateCodec("dmy").parse(text)


def test_timestamps_in_the_members_local_time() -> None:
    assert codes.TimestampCodec("dmy", -5).parse("30/06/2025 07:00:00") == 1_751_284_800
    assert codes.TimestampCodec("dmy", -5).parse("30/06/2025 07:00") == 1_751_284_800
    iso = codes.TimestampCodec("iso", -6)
    assert iso.parse("2025-06-30T12:00:00Z") == iso.parse("2025-06-30T06:00:00") == 1_751_284_800
    assert iso.format(1_751_284_800) == "2025-06-30T06:00:00-06:00"
    with pytest.raises(ValueError, match="expected yyyy-mm-ddThh:mm:ss"):
        iso.parse("30/06/2025")


def test_code_tables_are_tolerant_and_reversible() -> None:
    table = codes.CodeTable("x", [("CONDENADO", 1, "Condenado"), ("SINDICADO", 2, "Sindicado")])
    assert table.lookup("condenado ") == table.lookup("Condenado") == 1
    assert table.lookup("CONDENADA") is None
    assert table.code_for(2) == "SINDICADO"
    with pytest.raises(ValueError, match="listed twice"):
        codes.CodeTable("x", [("A", 1, ""), ("A", 2, "")])
    countries = codes.CountryCodes("NAME")
    assert countries.lookup("República Dominicana") == countries.lookup("DOM") == "DO"
    assert countries.lookup("do") == "DO"
    assert countries.code_for("DO") == "REPUBLICA DOMINICANA" and countries.code_for("ZZ") == "ZZ"


def test_id_display_forms_are_lossless() -> None:
    styled = {int(t) for t in (ids.UY_CI, ids.DO_CI, ids.GT_CUI, ids.PE_DNI)}
    import random

    rng = random.Random(7)
    for doc_type in (ids.UY_CI, ids.DO_CI, ids.GT_CUI, ids.PE_DNI):
        for _ in range(200):
            value = ids.generate_id(doc_type, rng)
            for variant in (value, "0" + value[1:]):
                shown = codes.display_id(doc_type, variant, styled)
                assert ids.normalize(shown) == variant
    assert codes.display_id(ids.UY_CI, "08583026", styled) == "0.858.302-6"
    assert codes.display_id(ids.DO_CI, "00113918205", styled) == "001-1391820-5"


def test_wire_fragments_equal_attribute_assignment() -> None:
    root = pb.InmateSecurityProfile.DESCRIPTOR
    date = common_pb2.PartialDate(year=2020, month=2, day=29).SerializeToString()
    built = pb.InmateSecurityProfile()
    built.MergeFromString(FieldPath(root, "custody.admitted_on").message(date)
                          + FieldPath(root, "custody.facility_code").string("COMEB")
                          + FieldPath(root, "custody.prior_incarcerations").varint(300)
                          + FieldPath(root, "custody.charges").message(b"")
                          + FieldPath(root, "custody.charges").message(
                              pb.Charge(iccs_code="0101").SerializeToString())
                          + FieldPath(root, "as_of.seconds").varint(1_751_284_800))
    expected = pb.InmateSecurityProfile()
    expected.custody.admitted_on.year, expected.custody.admitted_on.month = 2020, 2
    expected.custody.admitted_on.day = 29
    expected.custody.facility_code = "COMEB"
    expected.custody.prior_incarcerations = 300
    expected.custody.charges.add()
    expected.custody.charges.add(iccs_code="0101")
    expected.as_of.seconds = 1_751_284_800
    assert built == expected
    with pytest.raises(ValueError, match=r"has no field custody\.nope"):
        FieldPath(root, "custody.nope")
    with pytest.raises(ValueError, match="charges is not a singular message"):
        FieldPath(root, "custody.charges.iccs_code")


@given(payloads=st.lists(st.binary(max_size=300), max_size=20))
def test_split_frames_reverses_joining_framed_payloads(payloads: list[bytes]) -> None:
    """The batch of records a parsing process sends is split back this way when it does not parse."""
    tag = FieldPath(pb.InmateSecurityProfileBatch.DESCRIPTOR, "profiles").tag
    joined = b"".join(tag + frame_length(p) + p for p in payloads)
    assert split_frames(joined, tag) == payloads
    with pytest.raises(ValueError, match="does not end"):
        split_frames(joined + tag, tag)
    if joined:  # the last frame cut short
        with pytest.raises(ValueError):
            split_frames(joined[:-1], tag)
    with pytest.raises(ValueError, match="expected the field tag"):
        split_frames(b"\x12" + encode_varint(1) + b"x", tag)
