"""The country-adapter contract: what every member's adapter does, whatever its national format.

An adapter stands between a national penitentiary system and the hub. ``parse`` reads what the
national system really exports (its own field names, codes, dates and id formats) into canonical
``InmateSecurityProfile`` records, one ``ParsedRow`` per input row with that row's validation
report; ``render`` writes canonical records back in the national import format.

Rules every adapter keeps (the shared contract suite in ``tests/test_adapter_contract.py`` checks
them for every adapter found through the ``pxhub.adapters`` entry points):

* **Streaming.** ``parse`` yields rows as it reads and ``render`` writes as it iterates, so memory
  stays flat whatever the file size.
* **No input crashes an adapter.** ``parse`` raises only what the stream itself raises (``OSError``
  from a failing file); bad bytes, bad encodings, broken syntax and wrong values become issues.
* **One bad row never stops the file.** Each problem is reported on its row with the national
  field name and a machine-readable reason; the next row is read as if nothing happened.
* **Severity says what happened to the value.** ``error``: the value could not be used and is not
  in the record. ``warning``: the value is in the record (verbatim or repaired) but something is
  off: an id that fails its checksum, a code the crosswalk does not know, an ignored column.
* **A record is withheld only when a required field is unusable** (``REQUIRED_FIELDS``: the
  national inmate number, person status, given names, first surname and the export's cut-off
  time). Everything else degrades to an error on that field with the rest of the record kept.
* **National ids are validated, never a reason to reject** (domain model §6): the identifier keeps
  the status ``adapters.ids`` assigns, and a failed check is a warning.

Row numbers count the data records of a file from 1 (a CSV header is not a record). Row 0 is
the file itself: it never carries a record, and is yielded only when the file as a whole has an
issue, reported there once rather than on every row: a CSV header's unknown, duplicated or
missing columns or wrong delimiter (warnings, the rows follow), or nothing can be read at all
(errors, no rows follow: binary content, an unsupported encoding, a header without a required
column, a JSON document that is not an array). ``file_problem`` tells the two apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Final, Literal, NamedTuple, Protocol, runtime_checkable

from google.protobuf.message import Message

from pxhub.v1 import inmate_profile_pb2 as pb

__all__ = [
    "ADAPTER_ENTRY_POINT_GROUP",
    "REQUIRED_FIELDS",
    "CountryAdapter",
    "ParsedRow",
    "Reason",
    "RowIssue",
    "Severity",
    "file_problem",
    "mapped_view",
]

ADAPTER_ENTRY_POINT_GROUP: Final = "pxhub.adapters"

Severity = Literal["error", "warning"]


class Reason(StrEnum):
    """Machine-readable reason of a row issue (never a generic "invalid")."""

    # the file and its structure
    UNSUPPORTED_ENCODING = "UNSUPPORTED_ENCODING"
    NOT_TEXT = "NOT_TEXT"  # binary content: NUL or many control bytes where text was expected
    NOT_UTF8 = "NOT_UTF8"  # bytes that are not UTF-8, read as windows-1252
    MALFORMED_RECORD = "MALFORMED_RECORD"  # broken CSV quoting, JSON or XML syntax
    RECORD_TOO_LARGE = "RECORD_TOO_LARGE"
    NOT_A_RECORD = "NOT_A_RECORD"  # e.g. a JSON value that is not an object
    WRONG_DELIMITER = "WRONG_DELIMITER"
    DUPLICATE_COLUMN = "DUPLICATE_COLUMN"
    MISSING_COLUMN = "MISSING_COLUMN"  # optional column, element, attribute or key absent
    MISSING_REQUIRED_COLUMN = "MISSING_REQUIRED_COLUMN"  # a header without a required column
    EXTRA_COLUMN = "EXTRA_COLUMN"  # a column, element, attribute or key the format does not have
    MISSING_VALUES = "MISSING_VALUES"  # a CSV row shorter than its header
    EXTRA_VALUES = "EXTRA_VALUES"  # a CSV row longer than its header
    # values
    MISSING_REQUIRED = "MISSING_REQUIRED"
    BAD_DATE = "BAD_DATE"
    BAD_TIMESTAMP = "BAD_TIMESTAMP"
    BAD_NUMBER = "BAD_NUMBER"
    BAD_BOOLEAN = "BAD_BOOLEAN"
    BAD_TYPE = "BAD_TYPE"  # e.g. a JSON object where text was expected
    BAD_VALUE = "BAD_VALUE"
    UNKNOWN_CODE = "UNKNOWN_CODE"
    CONTROL_CHARACTERS = "CONTROL_CHARACTERS"
    # national ids (domain model §6): always warnings, the record is kept
    ID_INVALID_FORMAT = "ID_INVALID_FORMAT"
    ID_INVALID_CHECKSUM = "ID_INVALID_CHECKSUM"
    ID_INVALID_COMPONENT = "ID_INVALID_COMPONENT"
    # an adapter bug caught at the row boundary; the contract suite fails if it ever appears
    INTERNAL_ERROR = "INTERNAL_ERROR"


class RowIssue(NamedTuple):
    """One problem in one row: the national field name, why, and what happened to the value."""

    field: str
    reason_code: str
    message: str
    severity: Severity


class ParsedRow(NamedTuple):
    """A row of a national export: its canonical record (None if withheld) and its report."""

    row_number: int
    record: pb.InmateSecurityProfile | None
    issues: tuple[RowIssue, ...] = ()

    @property
    def errors(self) -> tuple[RowIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[RowIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")


#: Canonical fields without which a row yields no record.
REQUIRED_FIELDS: Final = (
    "custodian_subject_id",
    "person_status",
    "identity.given_names",
    "identity.first_surname",
    "as_of",
)


@runtime_checkable
class CountryAdapter(Protocol):
    """What the hub, the flows and the tests need from a member's adapter.

    Implementations are registered under the entry-point group ``pxhub.adapters`` with the member
    id as the entry-point name, pointing at a class (or zero-argument factory) that builds one.
    """

    #: Member id, e.g. ``"CO-INPEC"``; equals the entry-point name.
    member_id: str
    #: One line naming the national format, e.g. ``"INPEC CSV (;, windows-1252, dd/mm/yyyy)"``.
    format_name: str
    #: IANA media type of the national file, e.g. ``"text/csv"``.
    media_type: str
    #: File-name extension of a national file, with the dot, e.g. ``".csv"``.
    file_extension: str
    #: Character encoding ``render`` writes (``parse`` also accepts UTF-8 and windows-1252).
    encoding: str

    def parse(self, stream: BinaryIO) -> Iterator[ParsedRow]:
        """Read a national export, yielding one ``ParsedRow`` per row, in constant memory."""
        ...

    def render(self, records: Iterable[pb.InmateSecurityProfile], stream: BinaryIO) -> int:
        """Write ``records`` in the national import format; returns how many were written."""
        ...

    def sample_path(self) -> Path:
        """A small documented sample export (about ten rows, some deliberately bad)."""
        ...


def file_problem(row: ParsedRow) -> RowIssue | None:
    """The error that made a whole file unreadable, if ``row`` is a row 0 that carries one."""
    return row.errors[0] if row.row_number == 0 and row.errors else None


def mapped_view(profile: pb.InmateSecurityProfile) -> pb.InmateSecurityProfile:
    """The part of a profile that national exports carry, for round-trip comparisons.

    Roster exports carry identity, documents, custody, charges, sentence and security level;
    they do not carry the hub-assigned profile id, physical description, biometrics, risk
    flags, affiliation intelligence, alerts or contacts. Passport expiry, birth place,
    transfers, classification grounds and name variants other than the nickname ("alias",
    "apodo") are also outside the national formats.
    """
    out = pb.InmateSecurityProfile(
        custodian=profile.custodian,
        custodian_subject_id=profile.custodian_subject_id,
        person_status=profile.person_status,
    )
    _copy(profile, out, ("as_of",))
    src = profile.identity
    ident = out.identity
    ident.given_names = src.given_names
    ident.first_surname = src.first_surname
    ident.second_surname = src.second_surname
    _copy(src, ident, ("birth_date",))
    ident.sex = src.sex
    ident.nationalities_iso2.extend(src.nationalities_iso2)
    for name in src.other_names:
        if name.kind == pb.NameVariant.NAME_KIND_NICKNAME:
            ident.other_names.add(given_names=name.given_names, kind=name.kind)
    for doc in profile.identifiers:
        out.identifiers.add(type=doc.type, issuing_country_iso2=doc.issuing_country_iso2,
                            value=doc.value, issuing_authority=doc.issuing_authority,
                            validation=doc.validation, validation_algorithm=doc.validation_algorithm)
    if profile.HasField("custody"):
        c = profile.custody
        cust = out.custody
        _copy(c, cust, ("admitted_on", "arrested_on", "projected_release"))
        cust.facility_code = c.facility_code
        cust.facility_name = c.facility_name
        cust.commitment_authority = c.commitment_authority
        cust.commitment_order_ref = c.commitment_order_ref
        cust.legal_status = c.legal_status
        cust.charges.extend(c.charges)
        for s in c.sentences:
            sen = cust.sentences.add(court=s.court, case_ref=s.case_ref, term_years=s.term_years,
                                     term_months=s.term_months, life=s.life)
            _copy(s, sen, ("imposed_on", "expires_on"))
            sen.charge_iccs_codes.extend(s.charge_iccs_codes)
        cust.prior_incarcerations = c.prior_incarcerations
    if profile.HasField("security_classification"):
        sc = profile.security_classification
        out_sc = out.security_classification
        out_sc.level = sc.level
        _copy(sc, out_sc, ("national_level", "assessed_on", "review_due"))
        out_sc.instrument = sc.instrument
        out_sc.decided_by_unit = sc.decided_by_unit
    return out


def _copy(src: Message, dst: Message, names: tuple[str, ...]) -> None:
    """Copy the named sub-messages that are set (an unset one stays unset)."""
    for name in names:
        if src.HasField(name):
            getattr(dst, name).CopyFrom(getattr(src, name))
