"""The consent file a person writes (``hub.core.consent_file``) and ``pxhub consent register/pseudonym``.

Property tests: any record survives protobuf JSON with enum names written short, full or in any
case; any JSON document either parses or fails with a :class:`ConsentFileError` that names a field;
a digest of the wrong length says how long it was. The example in ``docs/`` is a valid record.
"""

from __future__ import annotations

import hashlib
import json
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hub.cli.main import app
from hub.core.consent import SCHEMA_VERSION, check_record, subject_pseudonym
from hub.core.consent_file import ConsentFileError, parse_consent_json
from hub.dev.federation import demo_pseudonym_key
from pxhub.v1 import consent_pb2, envelope_pb2, options_pb2

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "consent.json"
runner = CliRunner()

PURPOSES = [v for v in envelope_pb2.Purpose.values() if v]
CATEGORIES = [v for v in options_pb2.Sensitivity.values() if v]
MEMBERS = ["CO-INPEC", "PE-INPE", "GT-DGSP", "EC-SNAI", "UY-INR", "DO-DGSPC", "MX-OADPRS"]
text = st.text(alphabet=string.ascii_letters + string.digits + " áéíóúñ.,-", min_size=1, max_size=40)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def records(draw: st.DrawFn) -> consent_pb2.ConsentRecord:
    controller = draw(st.sampled_from(MEMBERS))
    record = consent_pb2.ConsentRecord(
        schema_version=SCHEMA_VERSION,
        consent_id=str(draw(st.uuids())),
        subject_pseudonym=f"psn:{controller[:2]}:{draw(st.binary(min_size=16, max_size=16)).hex()}",
        subject_jurisdiction=controller[:2],
        controller=controller,
        purposes=draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=3)),
        recipients=draw(st.lists(st.sampled_from([m for m in MEMBERS if m != controller]), min_size=1)),
        data_categories=draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=4)),
        legal_basis=envelope_pb2.LEGAL_BASIS_CONSENT,
        withdrawal_method=draw(text),
        language="es",
        notice_uri="https://example.org/" + draw(st.text(alphabet=string.ascii_lowercase, max_size=12)),
        notice_sha256=draw(st.binary(min_size=32, max_size=32)),
        onward_transfer_prohibited=draw(st.booleans()),
    )
    start = draw(instants).replace(microsecond=0)
    record.given_at.FromDatetime(start)
    record.valid_from.FromDatetime(start)
    record.valid_until.FromDatetime(start.replace(year=start.year + 1) if start.year < 2099 else start)
    return record


def spelled(name: str, prefix: str, style: int) -> str:
    short = name.removeprefix(prefix)
    return [name, short, short.lower(), name.lower(), short.title()][style]


@settings(max_examples=150, deadline=None)
@given(records(), st.integers(0, 4), st.booleans())
def test_any_record_survives_json_with_enum_names_spelled_any_way(
    record: consent_pb2.ConsentRecord, style: int, hex_digest: bool
) -> None:
    document = json.loads(json_format.MessageToJson(record))
    document["purposes"] = [spelled(p, "PURPOSE_", style) for p in document["purposes"]]
    document["dataCategories"] = [spelled(c, "SENSITIVITY_", style) for c in document["dataCategories"]]
    document["legalBasis"] = spelled(document["legalBasis"], "LEGAL_BASIS_", style)
    if hex_digest:
        document["noticeSha256"] = record.notice_sha256.hex()
    assert parse_consent_json(json.dumps(document)) == record


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [f.json_name for f in consent_pb2.ConsentRecord.DESCRIPTOR.fields] + ["bogus", "consent_id"]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(field_names, json_values, max_size=6) | json_values)
def test_any_json_parses_or_is_refused_with_a_consent_file_error(document: Any) -> None:
    try:
        parsed = parse_consent_json(json.dumps(document))
    except ConsentFileError as error:
        assert str(error)
    else:
        assert isinstance(parsed, consent_pb2.ConsentRecord)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="0123456789abcdef", max_size=130).filter(lambda t: len(t) not in (44, 64)))
def test_a_digest_of_the_wrong_length_says_how_long_it_was(digest: str) -> None:
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document["noticeSha256"] = digest
    with pytest.raises(ConsentFileError) as caught:
        parse_consent_json(json.dumps(document))
    assert str(caught.value) == f"noticeSha256 must be 64 hex characters, got {len(digest)}"


def test_the_example_in_docs_is_a_valid_record() -> None:
    record = parse_consent_json(EXAMPLE.read_text(encoding="utf-8"))
    check_record(record)
    assert record.purposes == [envelope_pb2.PURPOSE_CUSTODY_TRANSFER]
    assert record.notice_sha256 == hashlib.sha256(b"aviso de traslado").digest()
    assert record.subject_pseudonym == subject_pseudonym(
        demo_pseudonym_key("CO-INPEC"), "CO", "1.020.304.050"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"purposes": ["CUSTODY"]}, "purposes[0]: 'CUSTODY' is not one of TRANSNATIONAL_ORGANISED_CRIME"),
        ({"purposes": "CUSTODY_TRANSFER"}, "purposes must be a list of names"),
        ({"legalBasis": "UNSPECIFIED"}, "legalBasis: 'UNSPECIFIED' is not one of"),
        ({"validFrom": "2025-03-01"}, "validFrom must be an RFC 3339 time with its offset"),
        ({"subjectName": "x"}, "'subjectName' is not a field of a consent record"),
        ({"noticeSha256": "ab" * 31}, "noticeSha256 must be 64 hex characters, got 62"),
    ],
)
def test_register_names_the_field_before_connecting(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    document = json.loads(EXAMPLE.read_text(encoding="utf-8")) | change
    path = tmp_path / "consent.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(
        app, ["consent", "register", str(path), "--target", "127.0.0.1:1", "--as", "CO-INPEC"]
    )
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {path}: {message}"), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_register_reports_a_record_check_with_its_field(tmp_path: Path) -> None:
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    del document["withdrawalMethod"]
    path = tmp_path / "consent.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(app, ["consent", "register", str(path), "--target", "127.0.0.1:1"])
    assert result.exit_code == 2 and "withdrawal_method is missing" in result.output, result.output


def test_pseudonym_from_arguments_stdin_a_key_file_and_the_dev_key(tmp_path: Path) -> None:
    expected = subject_pseudonym(demo_pseudonym_key("PE-INPE"), "PE", "45678912")
    dev = runner.invoke(app, ["consent", "pseudonym", "45678912", "--as", "PE-INPE", "--dev-key"])
    assert dev.exit_code == 0 and dev.output == expected + "\n", dev.output
    key = tmp_path / "pseudonym.key"
    key.write_text(bytes(range(32)).hex() + "\n")
    env = {"PXHUB_PSEUDONYM_KEY_FILE": str(key)}
    piped = runner.invoke(
        app, ["consent", "pseudonym", "--as", "PE-INPE", "--json"], input="4567 8912\n\n1\n", env=env
    )
    assert piped.exit_code == 0, piped.output
    assert json.loads(piped.output) == [
        {"line": 1, "pseudonym": subject_pseudonym(bytes(range(32)), "PE", "45678912")},
        {"line": 2, "pseudonym": subject_pseudonym(bytes(range(32)), "PE", "1")},
    ]
    missing = runner.invoke(
        app, ["consent", "pseudonym", "1", "--as", "PE-INPE"], env={"PXHUB_PSEUDONYM_KEY_FILE": ""}
    )
    assert missing.exit_code == 2 and "PXHUB_PSEUDONYM_KEY_FILE" in missing.output
    nobody = runner.invoke(app, ["consent", "pseudonym", "1", "--dev-key"])
    assert nobody.exit_code == 2 and "--as" in nobody.output
    empty = runner.invoke(app, ["consent", "pseudonym", " .-", "--as", "PE-INPE", "--dev-key"])
    assert empty.exit_code == 2 and "national id 1: national id is empty" in empty.output
