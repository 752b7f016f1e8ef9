"""National record values ↔ canonical ``InmateSecurityProfile``: one mapper for every country.

A format reader (``adapters.formats``) turns a CSV row, a JSON object or an XML element into a
*native record*: a dict from logical slot (``SUBJECT_ID``, ``BIRTH_DATE``, …) to the raw value
the national file holds, with documents and offences as lists of items. ``ProfileMapper.build``
(one record) and ``ProfileMapper.encode_batch`` (a ``RecordBatch``: a batch of records as
columns, encoded as one ``InmateSecurityProfileBatch``) map that to a canonical
profile with the country's ``Dialect`` (its code lists, date style, booleans), collecting one
``RowIssue`` per problem; ``ProfileMapper.flatten`` is the reverse used by ``render``. Both are
pure: no I/O, no global state besides bounded caches.

Mapping rules worth knowing (the national formats carry a roster, not an intelligence file):

* The profile id is derived, not read: a name-based UUID (RFC 9562 version 5) of custodian and
  national inmate number, so the same inmate gets the same id in every export and an update
  supersedes its earlier version.
* Charges take their status from the legal situation (pending before conviction, convicted
  after); a sentence is built for a convicted person or whenever sentence data is present,
  with the court and case of the committal and the ICCS codes of the charges.
* The release date is the projected release; for a sentence it is also the sentence's expiry.
* The issuing authority of a member's national id comes from the country profiles; every id
  is validated with ``adapters.ids`` and keeps the status it gets.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import operator
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeAlias, cast

from adapters import codes, ids
from adapters.contract import Reason, RowIssue
from adapters.spec import CountrySpec
from adapters.wire import FieldPath, encode_varint, frame_length
from hub.core.members import MEMBER_ID_PATTERN
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

__all__ = [
    "ADMITTED_ON",
    "ARRESTED_ON",
    "AS_OF",
    "AUTHORITY",
    "BIRTH_DATE",
    "CASE_REF",
    "CLASSIFIED_ON",
    "CUSTODIAN",
    "DOCUMENTS",
    "DOC_COUNTRY",
    "DOC_NUMBER",
    "DOC_TYPE",
    "FACILITY_CODE",
    "FACILITY_NAME",
    "FIRST_SURNAME",
    "GIVEN_NAMES",
    "GIVEN_NAME_1",
    "GIVEN_NAME_2",
    "LEGAL_SITUATION",
    "LEVEL",
    "LIFE",
    "NATIONALITY",
    "NICKNAME",
    "OFFENCES",
    "OFFENCE_CODES",
    "ORGANISED",
    "OTHER_DOCS",
    "PRIORS",
    "RELEASE_ON",
    "REQUIRED_SLOTS",
    "REVIEW_ON",
    "SECOND_SURNAME",
    "SENTENCED_ON",
    "SEX",
    "SUBJECT_ID",
    "TERM_MONTHS",
    "TERM_YEARS",
    "Dialect",
    "EncodedBatch",
    "NativeItem",
    "NativeRecord",
    "ProfileMapper",
    "RecordBatch",
    "decode_batch",
    "profile_id_for",
]

# --------------------------------------------------------------------------- logical slots

SUBJECT_ID: Final = "subject_id"  # the custodian's inmate number (required)
CUSTODIAN: Final = "custodian"  # member id of the custodian; empty = the adapter's member
AS_OF: Final = "as_of"  # cut-off time of the export (required)
GIVEN_NAMES: Final = "given_names"  # required (or GIVEN_NAME_1 [+ GIVEN_NAME_2])
GIVEN_NAME_1: Final = "given_name_1"
GIVEN_NAME_2: Final = "given_name_2"
FIRST_SURNAME: Final = "first_surname"  # required
SECOND_SURNAME: Final = "second_surname"
NICKNAME: Final = "nickname"
BIRTH_DATE: Final = "birth_date"
SEX: Final = "sex"
NATIONALITY: Final = "nationality"  # one code, a list, or codes joined by the list separator
DOCUMENTS: Final = "documents"  # items: type, country, number
LEGAL_SITUATION: Final = "legal_situation"  # required
ARRESTED_ON: Final = "arrested_on"
ADMITTED_ON: Final = "admitted_on"
FACILITY_CODE: Final = "facility_code"
FACILITY_NAME: Final = "facility_name"
AUTHORITY: Final = "authority"
CASE_REF: Final = "case_ref"
OFFENCES: Final = "offences"  # items: code, organised
SENTENCED_ON: Final = "sentenced_on"
TERM_YEARS: Final = "term_years"
TERM_MONTHS: Final = "term_months"
LIFE: Final = "life"
RELEASE_ON: Final = "release_on"
PRIORS: Final = "priors"
LEVEL: Final = "level"
CLASSIFIED_ON: Final = "classified_on"
REVIEW_ON: Final = "review_on"
# The flat form of documents and offences in delimited files (instead of DOCUMENTS / OFFENCES).
DOC_TYPE: Final = "doc_type"  # first document: type, number and issuing country in their own columns
DOC_NUMBER: Final = "doc_number"
DOC_COUNTRY: Final = "doc_country"
OTHER_DOCS: Final = "other_docs"  # further documents TYPE:COUNTRY:NUMBER joined by the list separator
OFFENCE_CODES: Final = "offence_codes"  # offence codes joined by the list separator
ORGANISED: Final = "organised"  # organised-crime aggravation of the principal (first) offence

REQUIRED_SLOTS: Final = frozenset({SUBJECT_ID, AS_OF, GIVEN_NAMES, GIVEN_NAME_1, FIRST_SURNAME,
                                   LEGAL_SITUATION})

# A list item as the national file holds it: raw values by key, and the national name of
# each key for issue reports (e.g. {"number": "NUMERO_DOCUMENTO"} or "identificaciones[2]/numero").
NativeItem: TypeAlias = tuple[dict[str, Any], Mapping[str, str]]
NativeRecord: TypeAlias = dict[str, Any]

_MAX_COUNT: Final = 10_000  # years, months, prior admissions: anything larger is a typo

# --------------------------------------------------------------------------- profile ids

_PROFILE_NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, "urn:pxhub:adapters:profile-id")
_NS_BYTES: Final = _PROFILE_NAMESPACE.bytes
_VARIANT: Final = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def profile_id_for(custodian: str, subject_id: str) -> str:
    """``uuid5(namespace, custodian + U+001F + subject id)``, written without the uuid module."""
    h = _sha1(_NS_BYTES + f"{custodian}\x1f{subject_id}".encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_sha1: Final = hashlib.sha1


# --------------------------------------------------------------------------- dialect


@dataclass(frozen=True)
class Dialect:
    """The national value conventions of one format: code lists, dates, booleans, id printing."""

    spec: CountrySpec
    dates: codes.DateCodec
    timestamps: codes.TimestampCodec
    sexes: codes.CodeTable[pb.Sex.ValueType]
    situations: codes.LegalSituations
    documents: codes.DocumentTypes
    countries: codes.CountryCodes
    booleans: codes.BoolCodec
    list_separator: str = "|"
    #: Separator of type, country and number inside one further document of a delimited file.
    item_separator: str = ":"
    #: Document types printed with their national punctuation (``1.234.567-2``).
    styled_ids: frozenset[int] = frozenset()
    offences: codes.OffenceCrosswalk = field(init=False)
    levels: codes.LevelCrosswalk = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "offences", codes.OffenceCrosswalk(self.spec))
        object.__setattr__(self, "levels", codes.LevelCrosswalk(self.spec))


# --------------------------------------------------------------------------- the mapper

_ERROR: Final = "error"
_WARNING: Final = "warning"
_NICKNAME_KIND: Final = pb.NameVariant.NAME_KIND_NICKNAME
_CONVICTED: Final = frozenset({int(pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE),
                               int(pb.LEGAL_STATUS_CONVICTED_FINAL)})
_PENDING: Final = pb.Charge.CHARGE_STATUS_PENDING
_CONVICTED_CHARGE: Final = pb.Charge.CHARGE_STATUS_CONVICTED
_ID_REASONS: Final = {
    int(common_pb2.ID_VALIDATION_STATUS_INVALID_FORMAT): Reason.ID_INVALID_FORMAT,
    int(common_pb2.ID_VALIDATION_STATUS_INVALID_CHECKSUM): Reason.ID_INVALID_CHECKSUM,
    int(common_pb2.ID_VALIDATION_STATUS_INVALID_COMPONENT): Reason.ID_INVALID_COMPONENT,
}
_NOT_VALIDATED: Final = common_pb2.ID_VALIDATION_STATUS_NOT_VALIDATED
_OTHER_DOC: Final = common_pb2.ID_DOCUMENT_TYPE_OTHER
_VALIDATORS: Final = {int(k): v for k, v in ids.VALIDATORS.items()}


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", bool: "true/false"}.get(type(value), type(value).__name__)


def _coerce(value: object, field: str, issues: list[RowIssue]) -> str:
    """A non-str raw value as text: absent is empty, numbers become text, anything else an error."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    issues.append(RowIssue(field, Reason.BAD_TYPE, f"expected text, got {_kind(value)}", _ERROR))
    return ""


def _flat_doc_labels(names: Mapping[str, str]) -> dict[str, str]:
    """The national names of the first document's columns in a delimited file."""
    return {"type": names.get(DOC_TYPE, DOC_TYPE), "number": names.get(DOC_NUMBER, DOC_NUMBER),
            "country": names.get(DOC_COUNTRY, DOC_COUNTRY)}


def _name_text(value: object, field: str, issues: list[RowIssue]) -> str:
    """A personal name with inner whitespace collapsed to single spaces."""
    if value.__class__ is not str:
        value = _coerce(value, field, issues)
    return " ".join(value.split())


# Fragment paths (adapters.wire): fields set by merging cached encodings, one call per row.
_P = pb.InmateSecurityProfile.DESCRIPTOR
P_PROFILE_ID: Final = FieldPath(_P, "profile_id")
P_SUBJECT: Final = FieldPath(_P, "custodian_subject_id")
P_GIVEN: Final = FieldPath(_P, "identity.given_names")
P_SURNAME: Final = FieldPath(_P, "identity.first_surname")
P_SECOND_SURNAME: Final = FieldPath(_P, "identity.second_surname")
P_ORDER_REF: Final = FieldPath(_P, "custody.commitment_order_ref")
P_CUSTODIAN: Final = FieldPath(_P, "custodian")
P_PERSON_STATUS: Final = FieldPath(_P, "person_status")
P_AS_OF: Final = FieldPath(_P, "as_of.seconds")
P_SEX: Final = FieldPath(_P, "identity.sex")
P_NATIONALITY: Final = FieldPath(_P, "identity.nationalities_iso2")
P_BIRTH: Final = FieldPath(_P, "identity.birth_date")
P_OTHER_NAMES: Final = FieldPath(_P, "identity.other_names")
P_IDENTIFIERS: Final = FieldPath(_P, "identifiers")
P_LEGAL_STATUS: Final = FieldPath(_P, "custody.legal_status")
P_ADMITTED: Final = FieldPath(_P, "custody.admitted_on")
P_ARRESTED: Final = FieldPath(_P, "custody.arrested_on")
P_RELEASE: Final = FieldPath(_P, "custody.projected_release")
P_FACILITY_CODE: Final = FieldPath(_P, "custody.facility_code")
P_FACILITY_NAME: Final = FieldPath(_P, "custody.facility_name")
P_AUTHORITY: Final = FieldPath(_P, "custody.commitment_authority")
P_CHARGES: Final = FieldPath(_P, "custody.charges")
P_SENTENCES: Final = FieldPath(_P, "custody.sentences")
P_PRIORS: Final = FieldPath(_P, "custody.prior_incarcerations")
P_CLASSIFICATION: Final = FieldPath(_P, "security_classification")
P_ASSESSED: Final = FieldPath(_P, "security_classification.assessed_on")
P_REVIEW: Final = FieldPath(_P, "security_classification.review_due")
_S = pb.Sentence.DESCRIPTOR
S_COURT: Final = FieldPath(_S, "court")
S_CASE: Final = FieldPath(_S, "case_ref")
S_IMPOSED: Final = FieldPath(_S, "imposed_on")
S_YEARS: Final = FieldPath(_S, "term_years")
S_MONTHS: Final = FieldPath(_S, "term_months")
S_LIFE: Final = FieldPath(_S, "life")
S_EXPIRES: Final = FieldPath(_S, "expires_on")
S_ICCS: Final = FieldPath(_S, "charge_iccs_codes")
_D = common_pb2.PartialDate.DESCRIPTOR
D_YEAR: Final = FieldPath(_D, "year")
D_MONTH: Final = FieldPath(_D, "month")
D_DAY: Final = FieldPath(_D, "day")
_I = common_pb2.PersonIdentifier.DESCRIPTOR
I_VALUE: Final = FieldPath(_I, "value")
I_VALIDATION: Final = FieldPath(_I, "validation")
_N = pb.NameVariant.DESCRIPTOR
N_GIVEN: Final = FieldPath(_N, "given_names")
N_NICKNAME: Final = FieldPath(_N, "kind").leaf_varint(_NICKNAME_KIND)
S_LIFE_TRUE: Final = S_LIFE.leaf_varint(1)
_YEARS: Final = tuple(S_YEARS.leaf_varint(n) for n in range(128))  # sentence terms, encoded once
_MONTHS: Final = tuple(S_MONTHS.leaf_varint(n) for n in range(128))
_T_IDENTIFIERS: Final = P_IDENTIFIERS.tag
_PROFILE_ID_HEAD: Final = P_PROFILE_ID.tag + bytes((36,))  # a profile id is a 36-character UUID
_T_VALUE: Final = I_VALUE.tag
_VALIDATION: Final = {int(v): I_VALIDATION.leaf_varint(v) for v in common_pb2.IdValidationStatus.values()}
_SMALL_LEN: Final = tuple(bytes((n,)) for n in range(128))
_T_CUSTODY: Final = FieldPath(_P, "custody").tag
_T_SENTENCE: Final = P_SENTENCES.tag
_T_ORDER_REF: Final = P_ORDER_REF.tag
_T_RELEASE: Final = P_RELEASE.tag
_T_EXPIRES: Final = S_EXPIRES.tag
_T_CASE: Final = S_CASE.tag
# The exact spellings of yes/no that the hot path recognises without the tolerant parser.
_YES_NO: Final = {"": False, "S": True, "N": False, "1": True, "0": False, "true": True, "false": False,
                  "Sí": True, "No": False, "SI": True, "NO": False}
_CACHE: Final = 8192  # entries per fragment cache; beyond it values are encoded on every use
_PAYLOAD_CACHE: Final = 1 << 16  # distinct date texts whose encoding is kept (about 8 MB at most)
# Per-field date fragments: birth and release dates take ~25,000 distinct values in a national
# roster, so a smaller bound would re-encode a third of them on every row once it is full.
_DATE_FRAGMENTS: Final = 1 << 15


_length: Final = frame_length
#: Parses an ``EncodedBatch``'s records: one call for the whole batch.
decode_batch: Final = pb.InmateSecurityProfileBatch.FromString
T_PROFILES: Final = FieldPath(pb.InmateSecurityProfileBatch.DESCRIPTOR, "profiles").tag


@functools.lru_cache(maxsize=4096)
def _profile_head(length: int) -> bytes:
    """Tag and length of one profile in a batch (records of a file have a few hundred lengths)."""
    return T_PROFILES + encode_varint(length)


class EncodedBatch(NamedTuple):
    """A batch of rows mapped together (``ProfileMapper.encode_batch``).

    ``records`` is an encoded ``InmateSecurityProfileBatch`` with the profiles of the rows that
    have one, in order; ``withheld[i]`` is True for a row without one. ``records`` is built from
    fragments: it parses to the canonical profiles, but it is not their canonical serialisation.
    """

    records: bytes
    withheld: list[bool]
    issues: list[list[RowIssue]]


#: Whether a row carries a slot at all (its value may still be empty): "missing" or "empty" in issues.
Presence: TypeAlias = Callable[[str], bool]
#: How a column slot meets a value it has not cached: (value, the row's presence, names, row issues)
#: → the value's fragment (``b""`` for nothing), or None when the row cannot make a record.
FirstSight: TypeAlias = Callable[[Any, Presence, Mapping[str, str], list[RowIssue]], "bytes | None"]


#: The slots ``_row_fragments`` maps row by row, in the order it unpacks them.
_ROW_SLOTS: Final = (SUBJECT_ID, CUSTODIAN, LEGAL_SITUATION, DOC_NUMBER, DOC_TYPE, DOC_COUNTRY, OTHER_DOCS,
                     DOCUMENTS, AUTHORITY, CASE_REF, OFFENCE_CODES, ORGANISED, OFFENCES, RELEASE_ON,
                     SENTENCED_ON, TERM_YEARS, TERM_MONTHS, LIFE)


class RecordBatch:
    """Native records of a batch as columns: ``column(slot)`` holds each row's raw value, None
    where the row has none. A CSV reader builds it from its rows in one transposition; records
    read one by one (JSON, XML) come through ``of_records``.
    """

    __slots__ = ("_records", "columns", "count")

    def __init__(self, count: int, columns: dict[str, Sequence[Any]],
                 records: Sequence[NativeRecord] | None = None) -> None:
        self.count = count
        self.columns = columns
        self._records = records

    @classmethod
    def of_records(cls, recs: Sequence[NativeRecord]) -> RecordBatch:
        """Records as columns, each column made when it is first asked for."""
        return cls(len(recs), {}, recs)

    def column(self, slot: str) -> Sequence[Any]:
        values = self.columns.get(slot)
        if values is None:
            if self._records is None:
                return _nones(self.count)
            values = self.columns[slot] = [rec.get(slot) for rec in self._records]
        return values

    def has(self, index: int, slot: str) -> bool:
        """Whether row ``index`` carries ``slot`` (a key of its record, a cell of its CSV row)."""
        if self._records is not None:
            return slot in self._records[index]
        values = self.columns.get(slot)
        return values is not None and values[index] is not None

    def record(self, index: int) -> NativeRecord:
        """Row ``index`` as a native record (to map it alone)."""
        if self._records is not None:
            return self._records[index]
        return {slot: values[index] for slot, values in self.columns.items() if values[index] is not None}


@functools.lru_cache(maxsize=64)
def _nones(count: int) -> tuple[None, ...]:
    return (None,) * count


@dataclass(frozen=True, slots=True)
class _Column:
    """A slot whose fragment depends on its own raw value alone, so a batch maps it in one pass.

    ``slot`` is one slot, or two whose values are read as a pair (given names in two columns).
    Optional slots start with empty and absent values cached as no fragment.
    """

    slot: str | tuple[str, str]
    cache: dict[Any, bytes]
    first_sight: FirstSight
    required: bool = False

    def __post_init__(self) -> None:
        if not self.required:
            self.cache.update({"": b"", None: b""})

    def values(self, batch: RecordBatch) -> Sequence[Any]:
        slot = self.slot
        if isinstance(slot, str):
            return batch.column(slot)
        first, second = slot
        return list(zip(batch.column(first), batch.column(second), strict=True))


def _lookup(cache: dict[Any, bytes], values: Sequence[Any]) -> list[bytes | None]:
    """The cached fragment of each value, None where there is none (or the value is unhashable)."""
    try:
        return list(map(cache.get, values))
    except TypeError:  # a JSON list or object among the values
        return [_lookup_one(cache, value) for value in values]


def _lookup_one(cache: dict[Any, bytes], value: object) -> bytes | None:
    try:
        return cache.get(value)
    except TypeError:
        return None


#: ``PartialDate`` fields encoded once: a date seen for the first time is three lookups.
_YEAR_LEAF: Final = {year: D_YEAR.leaf_varint(year) for year in range(codes.MIN_YEAR, codes.MAX_YEAR + 1)}
_MONTH_LEAF: Final = (b"", *[D_MONTH.leaf_varint(month) for month in range(1, 13)])
_DAY_LEAF: Final = (b"", *[D_DAY.leaf_varint(day) for day in range(1, 32)])


def _date_payload(ymd: tuple[int, int, int]) -> bytes:
    year, month, day = ymd
    return _YEAR_LEAF[year] + _MONTH_LEAF[month] + _DAY_LEAF[day]


class ProfileMapper:
    """Maps one member's native records to canonical profiles and back.

    ``encode_batch`` is the hot path of every import. Values that repeat across rows (dates,
    codes, names, facilities, courts, offences, security levels) are turned once into protobuf
    fragments (``adapters.wire``) cached by their raw national text. A batch looks up each
    column slot for all its rows in one pass, maps what combines several fields (ids, charges,
    the sentence) row by row, joins each row's fragments into its encoding and the rows'
    encodings into the batch's, which the protobuf runtime parses in one call. Validation is
    never skipped: a value is cached only after it passed, and ids are validated on every row.
    """

    def __init__(self, member_id: str, dialect: Dialect) -> None:
        self.member_id = member_id
        self.dialect = dialect
        d = dialect
        self._dates = d.dates
        self._date = d.dates.parse
        self._stamps = d.timestamps
        self._sexes = d.sexes
        self._situations = d.situations
        self._documents = d.documents
        self._countries = d.countries
        self._booleans = d.booleans
        self._offences = d.offences
        self._levels = d.levels
        self._sep = d.list_separator
        self._item_sep = d.item_separator
        # fragment caches, keyed by the raw national text
        self._c_custodian: dict[str, bytes] = {}
        self._c_situation: dict[str, tuple[bytes, int, int]] = {}
        self._c_as_of: dict[Any, bytes] = {}
        self._c_sex: dict[Any, bytes] = {}
        self._c_nationality: dict[Any, bytes] = {}
        self._c_dates: dict[str, dict[Any, bytes]] = {
            BIRTH_DATE: {}, ADMITTED_ON: {}, ARRESTED_ON: {}, CLASSIFIED_ON: {}, REVIEW_ON: {}}
        self._c_release: dict[str, tuple[bytes, bytes]] = {}  # → (custody fragment, sentence expiry leaf)
        self._c_imposed: dict[str, bytes] = {}
        self._c_facility: dict[Any, bytes] = {}
        self._c_facility_name: dict[Any, bytes] = {}
        self._c_authority: dict[str, tuple[bytes, bytes]] = {}
        self._c_priors: dict[Any, bytes] = {}
        self._c_charges: dict[tuple[str, bool, bool], tuple[bytes, str, bytes]] = {}
        self._c_level: dict[Any, bytes] = {}
        self._c_docs: dict[tuple[object, object], tuple[Any, bytes]] = {}
        self._c_payload: dict[str, bytes] = {}
        self._c_given: dict[Any, bytes] = {}
        self._c_surname: dict[Any, bytes] = {}
        self._c_second_surname: dict[Any, bytes] = {}
        self._c_nickname: dict[Any, bytes] = {}
        self._date_tags = {slot: (FieldPath(_P, path.path.partition(".")[0]).tag, path.tag)
                           for slot, path in ((BIRTH_DATE, P_BIRTH), (ADMITTED_ON, P_ADMITTED),
                                              (ARRESTED_ON, P_ARRESTED), (CLASSIFIED_ON, P_ASSESSED),
                                              (REVIEW_ON, P_REVIEW))}
        self._pair_columns = self._column_table(
            _Column((GIVEN_NAME_1, GIVEN_NAME_2), self._c_given, self._first_given_pair, required=True))
        self._single_columns = self._column_table(
            _Column(GIVEN_NAMES, self._c_given, self._first_given, required=True))

    # ------------------------------------------------------------------ parse direction

    def build(self, rec: NativeRecord, names: Mapping[str, str]
              ) -> tuple[pb.InmateSecurityProfile | None, list[RowIssue]]:
        """Map one native record; the profile is None when a required field is unusable."""
        records, (withheld,), (issues,) = self.encode_many((rec,), names)
        return (None if withheld else decode_batch(records).profiles[0]), issues

    def encode_many(self, recs: Sequence[NativeRecord], names: Mapping[str, str]) -> EncodedBatch:
        """``encode_batch`` of native records given one by one."""
        return self.encode_batch(RecordBatch.of_records(recs), names)

    def encode_batch(self, batch: RecordBatch, names: Mapping[str, str]) -> EncodedBatch:
        """Map a batch of native records to their profiles, encoded as one batch, and their issues.

        Column slots are mapped a column at a time with one cache lookup per value; the rest
        (ids, the unique numbers, the custody and sentence that combine several fields) row by
        row. Each row's fragments are joined into its profile's encoding, and the profiles into
        the batch's, so the protobuf runtime parses the batch in one call. A row's issues list
        its record fields first, then its column slots.
        """
        count = batch.count
        issues: list[list[RowIssue]] = [[] for _ in range(count)]
        unusable = [False] * count
        rows = zip(*map(batch.column, _ROW_SLOTS), strict=True)
        row_fragments = [self._row_fragments(row, batch, i, names, found, unusable)
                         for i, (row, found) in enumerate(zip(rows, issues, strict=True))]
        columns: list[list[bytes]] = [row_fragments]
        has = batch.has
        for column in self._columns(names):
            values = column.values(batch)
            frags = _lookup(column.cache, values)
            if None in frags:
                first_sight = column.first_sight
                for i, cached in enumerate(frags):
                    if cached is None:
                        fresh = first_sight(values[i], functools.partial(has, i), names, issues[i])
                        if fresh is None:
                            unusable[i] = True
                        frags[i] = fresh or b""
            columns.append(frags)  # type: ignore[arg-type]  # every None was replaced above
        profiles: Iterator[bytes] = map(b"".join, zip(*columns, strict=True))
        if True in unusable:
            profiles = itertools.compress(profiles, map(operator.not_, unusable))
        kept = list(profiles)
        heads = map(_profile_head, map(len, kept))
        framed = itertools.chain.from_iterable(zip(heads, kept, strict=True))
        return EncodedBatch(b"".join(framed), unusable, issues)

    def _columns(self, names: Mapping[str, str]) -> tuple[_Column, ...]:
        """The column slots of this format: given names come in one or two columns."""
        return self._pair_columns if GIVEN_NAME_1 in names else self._single_columns

    def _row_fragments(self, row: tuple[Any, ...], batch: RecordBatch, index: int,  # noqa: PLR0912, PLR0915
                       names: Mapping[str, str], issues: list[RowIssue], unusable: list[bool]) -> bytes:
        """The record fields and everything that combines several fields, for one row (``row``: its
        values of ``_ROW_SLOTS``)."""
        (subject_value, custodian_value, situation_value, doc_number, doc_type, doc_country, other_docs,
         documents, authority, case_value, offence_codes, organised, offences, release_on, sentenced,
         term_years, term_months, life_value) = row
        add = issues.append
        frags: list[bytes] = []
        put = frags.append

        # ---- record: inmate number, custodian, legal situation (required)
        v = subject_value
        subject = v.strip() if v.__class__ is str else _coerce(v, names.get(SUBJECT_ID, SUBJECT_ID), issues)
        if not subject:
            add(self._missing(batch.has(index, SUBJECT_ID), SUBJECT_ID, names, "the national inmate number"))
            unusable[index] = True
        v = custodian_value
        custodian = self.member_id
        if v:
            frag = self._c_custodian.get(v) if v.__class__ is str else None
            if frag is None:
                custodian, frag = self._custodian(v, names, issues)
            else:
                custodian = v.strip()
            put(frag)
        else:
            put(self._custodian(self.member_id, names, issues)[1])
        v = situation_value
        situation = self._c_situation.get(v) if v.__class__ is str else None
        if situation is None:
            situation = self._situation(functools.partial(batch.has, index), v, names, issues)
        if situation is None:
            unusable[index] = True
            convicted = False
        else:
            put(situation[0])
            convicted = situation[2] in _CONVICTED
        if subject:
            put(_PROFILE_ID_HEAD + profile_id_for(custodian, subject).encode())
            put(P_SUBJECT.string(subject))

        # ---- documents: a list of items, or the flat columns of a delimited file
        v = doc_number
        if v:
            kind = doc_type
            found = (self._c_docs.get((kind, doc_country))
                     if v.__class__ is str and kind.__class__ is str else None)
            if found is not None and found[0] is not None:  # a known, validated document type
                check = found[0](v)
                value = check.normalized.encode()
                payload = b"".join((found[1], _T_VALUE, _SMALL_LEN[len(value)] if len(value) < 128
                                    else _length(value), value, _VALIDATION[check.status]))
                put(_T_IDENTIFIERS + _length(payload) + payload)
                if check.status in _ID_REASONS:
                    add(self._id_issue(check, v, names.get(DOC_NUMBER, DOC_NUMBER)))
            else:
                put(self._document(kind, doc_country, v, _flat_doc_labels(names), issues))
        elif doc_type:
            put(self._document(doc_type, doc_country, v, _flat_doc_labels(names), issues))
        v = other_docs
        if v:
            self._other_documents(frags, v, names.get(OTHER_DOCS, OTHER_DOCS), issues)
        v = documents
        if v:
            if v.__class__ is list:
                for values, labels in v:
                    put(self._document(values.get("type"), values.get("country"), values.get("number"),
                                       labels, issues))
            else:
                add(RowIssue(names.get(DOCUMENTS, DOCUMENTS), Reason.BAD_TYPE,
                             f"expected a list of documents, got {_kind(v)}", _ERROR))

        # ---- custody: court, order, charges, release
        v = authority
        court = b""
        if v:
            pair = self._c_authority.get(v) if v.__class__ is str else None
            if pair is None:
                pair = self._authority(v, names, issues)
            put(pair[0])
            court = pair[1]
        v = case_value
        case_ref = b""  # the case number, length-prefixed: the committal's order and the sentence's case
        if v:
            text = v.strip() if v.__class__ is str else _coerce(v, names.get(CASE_REF, CASE_REF), issues)
            if text:
                data = text.encode("utf-8", "replace")
                case_ref = (_SMALL_LEN[len(data)] if len(data) < 128 else _length(data)) + data
        iccs: list[bytes] = []
        v = offence_codes
        if v:
            flag = _YES_NO.get(organised) if organised.__class__ is str else None
            known = (self._c_charges.get((v, convicted, flag)) if flag is not None and v.__class__ is str
                     else None)
            if known is not None:  # one known offence (the common row)
                put(known[0])
                if known[2]:
                    iccs.append(known[2])
            else:
                self._flat_offences(frags, v, organised, convicted, iccs, names, issues)
        elif organised:
            self._flat_offences(frags, v, organised, convicted, iccs, names, issues)
        v = offences
        if v:
            if v.__class__ is list:
                for values, labels in v:
                    self._charge(frags, values.get("code"), values.get("organised"),
                                 labels.get("code", "code"), labels.get("organised", "organised"),
                                 convicted, iccs, issues)
            else:
                add(RowIssue(names.get(OFFENCES, OFFENCES), Reason.BAD_TYPE,
                             f"expected a list of offences, got {_kind(v)}", _ERROR))
        v = release_on
        release = b""
        if v:
            pair = self._c_release.get(v) if v.__class__ is str else None
            if pair is None:
                pair = self._release(v, names, issues)
            put(pair[0])
            release = pair[1]

        # ---- sentence (with the case number: one custody fragment)
        v = term_years
        years = (int(v) if v.__class__ is str and len(v) < 4 and v.isascii() and v.isdigit()
                 else v if v.__class__ is int and 0 <= v <= _MAX_COUNT
                 else self._count(v, names.get(TERM_YEARS, TERM_YEARS), issues)) if v else 0
        v = term_months
        months = (int(v) if v.__class__ is str and len(v) < 4 and v.isascii() and v.isdigit()
                  else v if v.__class__ is int and 0 <= v <= _MAX_COUNT
                  else self._count(v, names.get(TERM_MONTHS, TERM_MONTHS), issues)) if v else 0
        v = life_value
        life = (_YES_NO.get(v) if v.__class__ is str else None) if v else False
        if life is None:
            life = self._flag(v, names.get(LIFE, LIFE), issues)
        imposed = b""
        if sentenced:
            leaf = self._c_imposed.get(sentenced) if sentenced.__class__ is str else None
            imposed = leaf if leaf is not None else self._imposed(sentenced, names, issues)
        custody = _T_ORDER_REF + case_ref if case_ref else b""
        # A sentence for a convicted person, or when the row carries usable sentence data.
        if convicted or imposed or years or months or life:
            parts = [court]
            if case_ref:
                parts.append(_T_CASE + case_ref)
            if imposed:
                parts.append(imposed)
            if life:
                parts.append(S_LIFE_TRUE)
            if years:
                parts.append(_YEARS[years] if years < 128 else S_YEARS.leaf_varint(years))
            if months:
                parts.append(_MONTHS[months] if months < 128 else S_MONTHS.leaf_varint(months))
            if release:
                parts.append(release)
            parts.extend(iccs)
            sentence = b"".join(parts)
            custody += _T_SENTENCE + _length(sentence) + sentence
        if custody:
            put(_T_CUSTODY + _length(custody) + custody)
        return b"".join(frags)

    # ---- column slots: the first sight of a value (None: the row is unusable)

    def _column_table(self, given: _Column) -> tuple[_Column, ...]:
        dates = self._c_dates

        def date_column(slot: str) -> _Column:
            def first_sight(v: object, has: Presence, names: Mapping[str, str],
                            issues: list[RowIssue]) -> bytes:
                return self._date_fragment(slot, v, names, issues) if v else b""
            return _Column(slot, dates[slot], first_sight)

        return (
            _Column(AS_OF, self._c_as_of, self._first_as_of, required=True),
            given,
            _Column(FIRST_SURNAME, self._c_surname, self._first_surname, required=True),
            _Column(SECOND_SURNAME, self._c_second_surname, self._first_second_surname),
            _Column(NICKNAME, self._c_nickname, self._first_nickname),
            date_column(BIRTH_DATE),
            _Column(SEX, self._c_sex, self._first_sex),
            _Column(NATIONALITY, self._c_nationality, self._first_nationality),
            date_column(ADMITTED_ON),
            date_column(ARRESTED_ON),
            _Column(FACILITY_CODE, self._c_facility, self._first_facility),
            _Column(FACILITY_NAME, self._c_facility_name, self._first_facility_name),
            _Column(PRIORS, self._c_priors, self._first_priors),
            _Column(LEVEL, self._c_level, self._first_level),
            date_column(CLASSIFIED_ON),
            date_column(REVIEW_ON),
        )

    def _first_given_pair(self, v: object, has: Presence, names: Mapping[str, str],
                          issues: list[RowIssue]) -> bytes | None:
        one, two = cast("tuple[object, object]", v)  # the pair of _Column.values
        first = _name_text(one, names.get(GIVEN_NAME_1, GIVEN_NAME_1), issues)
        second = _name_text(two, names.get(GIVEN_NAME_2, GIVEN_NAME_2), issues)
        given = f"{first} {second}" if first and second else first or second
        if not given:
            issues.append(self._missing(has(GIVEN_NAME_1), GIVEN_NAME_1, names, "the given names"))
            return None
        frag = P_GIVEN.string(given)
        if one.__class__ is str and (two is None or two.__class__ is str):
            self._remember(self._c_given, v, frag)
        return frag

    def _first_given(self, v: object, has: Presence, names: Mapping[str, str],
                     issues: list[RowIssue]) -> bytes | None:
        return self._required_name(P_GIVEN, self._c_given, GIVEN_NAMES, "the given names",
                                   v, has, names, issues)

    def _first_surname(self, v: object, has: Presence, names: Mapping[str, str],
                       issues: list[RowIssue]) -> bytes | None:
        return self._required_name(P_SURNAME, self._c_surname, FIRST_SURNAME, "the first surname",
                                   v, has, names, issues)

    def _required_name(self, path: FieldPath, cache: dict[Any, bytes], slot: str, what: str, v: object,
                       has: Presence, names: Mapping[str, str], issues: list[RowIssue]) -> bytes | None:
        text = _name_text(v, names.get(slot, slot), issues)
        if not text:
            issues.append(self._missing(has(slot), slot, names, what))
            return None
        frag = path.string(text)
        self._remember(cache, v, frag)
        return frag

    def _first_second_surname(self, v: object, has: Presence, names: Mapping[str, str],
                              issues: list[RowIssue]) -> bytes:
        text = _name_text(v, names.get(SECOND_SURNAME, SECOND_SURNAME), issues) if v else ""
        frag = P_SECOND_SURNAME.string(text) if text else b""
        self._remember(self._c_second_surname, v, frag)
        return frag

    def _first_nickname(self, v: object, has: Presence, names: Mapping[str, str],
                        issues: list[RowIssue]) -> bytes:
        text = _name_text(v, names.get(NICKNAME, NICKNAME), issues) if v else ""
        frag = P_OTHER_NAMES.message(N_GIVEN.leaf_string(text) + N_NICKNAME) if text else b""
        self._remember(self._c_nickname, v, frag)
        return frag

    def _first_sex(self, v: object, has: Presence, names: Mapping[str, str],
                   issues: list[RowIssue]) -> bytes:
        return self._sex(v, names, issues) if v else b""

    def _first_nationality(self, v: object, has: Presence, names: Mapping[str, str],
                           issues: list[RowIssue]) -> bytes:
        if not v:
            return b""
        if v.__class__ is list and len(v) == 1:  # a JSON list of one country
            one = v[0]
            frag = self._c_nationality.get(one) if one.__class__ is str else None
            return frag if frag is not None else self._nationalities(one, names, issues)
        return self._nationalities(v, names, issues)

    def _first_facility(self, v: object, has: Presence, names: Mapping[str, str],
                        issues: list[RowIssue]) -> bytes:
        return self._text_fragment(self._c_facility, P_FACILITY_CODE, v,
                                   names.get(FACILITY_CODE, FACILITY_CODE), issues) if v else b""

    def _first_facility_name(self, v: object, has: Presence, names: Mapping[str, str],
                             issues: list[RowIssue]) -> bytes:
        return self._text_fragment(self._c_facility_name, P_FACILITY_NAME, v,
                                   names.get(FACILITY_NAME, FACILITY_NAME), issues) if v else b""

    def _first_priors(self, v: object, has: Presence, names: Mapping[str, str],
                      issues: list[RowIssue]) -> bytes:
        if not v:
            return b""
        if v.__class__ is int and 0 < v <= _MAX_COUNT:
            return P_PRIORS.varint(v)
        return self._priors(v, names, issues)

    def _first_level(self, v: object, has: Presence, names: Mapping[str, str],
                     issues: list[RowIssue]) -> bytes:
        return self._level(v, names, issues) if v else b""

    # ---- helpers (parse): the first sight of a value, its validation and its fragment

    @staticmethod
    def _missing(present: bool, slot: str, names: Mapping[str, str], what: str) -> RowIssue:
        name = names.get(slot, slot)
        where = f"{name} is empty" if present else f"{name} is missing"
        return RowIssue(name, Reason.MISSING_REQUIRED, f"{where}: {what} is required", _ERROR)

    @staticmethod
    def _unknown(names: Mapping[str, str], slot: str, value: str, table: codes.CodeTable[Any]) -> RowIssue:
        listed = ", ".join(table.codes)
        return RowIssue(names.get(slot, slot), Reason.UNKNOWN_CODE,
                        f"{value!r} is not in the code list {table.name} ({listed})", _ERROR)

    @staticmethod
    def _remember(cache: dict[Any, Any], key: object, value: Any, limit: int = _CACHE) -> None:
        if (key.__class__ is str or key.__class__ is tuple) and len(cache) < limit:
            cache[key] = value

    def _custodian(self, value: object, names: Mapping[str, str],
                   issues: list[RowIssue]) -> tuple[str, bytes]:
        name = names.get(CUSTODIAN, CUSTODIAN)
        text = value.strip() if value.__class__ is str else _coerce(value, name, issues)
        clean = True
        if not text:
            text = self.member_id
        elif text != self.member_id and not MEMBER_ID_PATTERN.fullmatch(text):
            issues.append(RowIssue(name, Reason.BAD_VALUE, f"{text!r} is not a member id like 'CO-INPEC'; "
                                   f"{self.member_id} assumed", _ERROR))
            text = self.member_id
            clean = False
        frag = P_CUSTODIAN.string(text)
        if clean:
            self._remember(self._c_custodian, value, frag)
        return text, frag

    def _situation(self, has: Presence, value: object, names: Mapping[str, str],
                   issues: list[RowIssue]) -> tuple[bytes, int, int] | None:
        name = names.get(LEGAL_SITUATION, LEGAL_SITUATION)
        text = value.strip() if value.__class__ is str else _coerce(value, name, issues)
        if not text:
            issues.append(self._missing(has(LEGAL_SITUATION), LEGAL_SITUATION, names, "the legal situation"))
            return None
        found = self._situations.lookup(text)
        if found is None:
            issues.append(self._unknown(names, LEGAL_SITUATION, text, self._situations.table))
            return None
        person, legal = found
        entry = (P_PERSON_STATUS.varint(person) + P_LEGAL_STATUS.varint(legal), int(person), int(legal))
        self._remember(self._c_situation, value, entry)
        return entry

    def _first_as_of(self, value: object, has: Presence, names: Mapping[str, str],
                     issues: list[RowIssue]) -> bytes | None:
        name = names.get(AS_OF, AS_OF)
        if value.__class__ is str and value.strip():
            try:
                seconds = self._stamps.parse(value)
            except ValueError as exc:
                issues.append(RowIssue(name, Reason.BAD_TIMESTAMP, str(exc), _ERROR))
                return None
            frag = P_AS_OF.varint(seconds)
            self._remember(self._c_as_of, value, frag)
            return frag
        if value is None or value.__class__ is str:
            issues.append(self._missing(has(AS_OF), AS_OF, names, "the cut-off date and time of the export"))
        else:
            issues.append(RowIssue(name, Reason.BAD_TYPE, f"expected text, got {_kind(value)}", _ERROR))
        return None

    def _parse_date(self, value: object, slot: str, names: Mapping[str, str],
                    issues: list[RowIssue]) -> tuple[int, int, int] | None:
        try:
            return self._date(value)
        except (ValueError, TypeError) as exc:
            message = str(exc) if isinstance(exc, ValueError) else f"expected a date, got {_kind(value)}"
            issues.append(RowIssue(names.get(slot, slot), Reason.BAD_DATE, message, _ERROR))
            return None

    def _payload(self, value: object, slot: str, names: Mapping[str, str],
                 issues: list[RowIssue]) -> bytes | None:
        """The encoded ``PartialDate`` of a date text, shared by every date field (bounded cache)."""
        payload = self._c_payload.get(value) if value.__class__ is str else None
        if payload is None:
            ymd = self._parse_date(value, slot, names, issues)
            if ymd is None:
                return None
            payload = _date_payload(ymd)
            self._remember(self._c_payload, value, payload, _PAYLOAD_CACHE)
        return payload

    def _date_fragment(self, slot: str, value: object, names: Mapping[str, str],
                       issues: list[RowIssue]) -> bytes:
        payload = self._payload(value, slot, names, issues)
        if payload is None:
            return b""
        outer, inner = self._date_tags[slot]  # a date two levels down: record → message → date
        leaf = inner + _SMALL_LEN[len(payload)] + payload
        frag = outer + _SMALL_LEN[len(leaf)] + leaf
        self._remember(self._c_dates[slot], value, frag, _DATE_FRAGMENTS)
        return frag

    def _release(self, value: object, names: Mapping[str, str],
                 issues: list[RowIssue]) -> tuple[bytes, bytes]:
        payload = self._payload(value, RELEASE_ON, names, issues)
        if payload is None:
            return b"", b""
        date = _SMALL_LEN[len(payload)] + payload  # a PartialDate is a few bytes
        leaf = _T_RELEASE + date
        pair = (_T_CUSTODY + _SMALL_LEN[len(leaf)] + leaf, _T_EXPIRES + date)  # custody, sentence
        self._remember(self._c_release, value, pair, _DATE_FRAGMENTS)
        return pair

    def _imposed(self, value: object, names: Mapping[str, str], issues: list[RowIssue]) -> bytes:
        payload = self._payload(value, SENTENCED_ON, names, issues)
        if payload is None:
            return b""
        leaf = S_IMPOSED.leaf_message(payload)
        self._remember(self._c_imposed, value, leaf, _DATE_FRAGMENTS)
        return leaf

    def _text_fragment(self, cache: dict[str, bytes], path: FieldPath, value: object, name: str,
                       issues: list[RowIssue]) -> bytes:
        text = value.strip() if value.__class__ is str else _coerce(value, name, issues)
        frag = path.string(text) if text else b""
        self._remember(cache, value, frag)
        return frag

    def _authority(self, value: object, names: Mapping[str, str],
                   issues: list[RowIssue]) -> tuple[bytes, bytes]:
        name = names.get(AUTHORITY, AUTHORITY)
        text = value.strip() if value.__class__ is str else _coerce(value, name, issues)
        pair = (P_AUTHORITY.string(text), S_COURT.leaf_string(text)) if text else (b"", b"")
        self._remember(self._c_authority, value, pair)
        return pair

    def _sex(self, value: object, names: Mapping[str, str], issues: list[RowIssue]) -> bytes:
        text = value.strip() if value.__class__ is str else _coerce(value, names.get(SEX, SEX), issues)
        if not text:
            return b""
        code = self._sexes.lookup(text)
        if code is None:
            issues.append(self._unknown(names, SEX, text, self._sexes))
            return b""
        frag = P_SEX.varint(code)
        self._remember(self._c_sex, value, frag)
        return frag

    def _nationalities(self, value: object, names: Mapping[str, str], issues: list[RowIssue]) -> bytes:
        name = names.get(NATIONALITY, NATIONALITY)
        if isinstance(value, str):
            parts: Sequence[object] = value.split(self._sep) if self._sep in value.strip() else (value,)
        elif isinstance(value, list):
            parts = value
        else:
            issues.append(RowIssue(name, Reason.BAD_TYPE, f"expected a country, got {_kind(value)}", _ERROR))
            return b""
        seen: list[str] = []
        clean = True
        for part in parts:
            if not isinstance(part, str):
                issues.append(RowIssue(name, Reason.BAD_TYPE, f"expected a country, got {_kind(part)}",
                                       _ERROR))
                clean = False
                continue
            text = part.strip()
            if not text:
                continue
            iso2 = self._countries.lookup(text)
            if iso2 is None:
                clean = False
                issues.append(RowIssue(name, Reason.UNKNOWN_CODE,
                                       f"{text!r} is not a country this format knows (ISO 3166 code or "
                                       f"Spanish name)", _ERROR))
            elif iso2 not in seen:
                seen.append(iso2)
        frag = b"".join([P_NATIONALITY.string(iso2) for iso2 in seen])
        if clean:
            self._remember(self._c_nationality, value, frag)
        return frag

    def _priors(self, value: object, names: Mapping[str, str], issues: list[RowIssue]) -> bytes:
        number = self._count(value, names.get(PRIORS, PRIORS), issues)
        frag = P_PRIORS.varint(number) if number else b""
        if number or (value.__class__ is str and value.strip() == "0"):
            self._remember(self._c_priors, value, frag)
        return frag

    def _level(self, value: object, names: Mapping[str, str], issues: list[RowIssue]) -> bytes:
        name = names.get(LEVEL, LEVEL)
        text = value.strip() if value.__class__ is str else _coerce(value, name, issues)
        if not text:
            return b""
        tmpl = self._levels.classification(text)
        if tmpl is None:
            issues.append(RowIssue(name, Reason.UNKNOWN_CODE,
                                   f"security level {text!r} is not in {self._levels.scheme} "
                                   f"({', '.join(self._levels.codes)}); kept verbatim without a hub level",
                                   _WARNING))
            unknown = pb.SecurityClassification(
                national_level=common_pb2.CodeValue(scheme=self._levels.scheme, code=text))
            return P_CLASSIFICATION.message(unknown.SerializeToString())
        frag = P_CLASSIFICATION.message(tmpl.SerializeToString())
        self._remember(self._c_level, value, frag)
        return frag

    def _count(self, value: object, field: str, issues: list[RowIssue]) -> int:
        if value.__class__ is str:
            text = value.strip()
            if text.isascii() and text.isdigit() and len(text) <= 5:
                number = int(text)
                if number <= _MAX_COUNT:
                    return number
            elif not text:
                return 0
        elif value.__class__ is int and 0 <= value <= _MAX_COUNT:
            return int(value)
        elif value is None:
            return 0
        issues.append(RowIssue(field, Reason.BAD_NUMBER,
                               f"{value!r} is not a whole number from 0 to {_MAX_COUNT}", _ERROR))
        return 0

    def _flag(self, value: object, field: str, issues: list[RowIssue]) -> bool:
        if value is None or value is False or value == "":
            return False
        if value.__class__ is str:
            value = value.strip()
            if not value:
                return False
        try:
            return self._booleans.parse(value)
        except ValueError as exc:
            issues.append(RowIssue(field, Reason.BAD_BOOLEAN, str(exc), _ERROR))
            return False

    def _other_documents(self, frags: list[bytes], text: object, name: str, issues: list[RowIssue]) -> None:
        if text.__class__ is not str:
            issues.append(RowIssue(name, Reason.BAD_TYPE, f"expected text, got {_kind(text)}", _ERROR))
            return
        for i, part in enumerate(text.split(self._sep), 1):
            if not part.strip():
                continue
            bits = part.split(self._item_sep, 2)
            label = f"{name}[{i}]"
            if len(bits) != 3:
                issues.append(RowIssue(label, Reason.BAD_VALUE,
                                       f"{part.strip()!r} is not TYPE{self._item_sep}COUNTRY{self._item_sep}"
                                       f"NUMBER; not kept", _ERROR))
                continue
            frags.append(self._document(bits[0], bits[1], bits[2],
                                        {"type": label, "country": label, "number": label}, issues))

    def _document(self, type_value: object, country_value: object, number_value: object,
                  labels: Mapping[str, str], issues: list[RowIssue]) -> bytes:
        """One identifier fragment; the number is validated with its scheme's public rule."""
        number = number_value.strip() if number_value.__class__ is str else _coerce(
            number_value, labels.get("number", DOC_NUMBER), issues)
        type_code = type_value.strip() if type_value.__class__ is str else _coerce(
            type_value, labels.get("type", DOC_TYPE), issues)
        country_text = country_value.strip() if country_value.__class__ is str else _coerce(
            country_value, labels.get("country", DOC_COUNTRY), issues)
        if not number:
            if type_code or country_text:
                issues.append(RowIssue(labels.get("number", DOC_NUMBER), Reason.MISSING_REQUIRED,
                                       f"document of type {type_code!r} has no number; not kept", _ERROR))
            return b""
        found = self._c_docs.get((type_code, country_text))
        if found is None:
            found = self._doc_template(type_code, country_text, labels, issues)
            if (type_value, country_value) != (type_code, country_text) and \
                    (type_code, country_text) in self._c_docs and type_value.__class__ is str and \
                    country_value.__class__ is str and len(self._c_docs) < _CACHE:
                self._c_docs[(type_value, country_value)] = found
        validator, head = found
        if validator is None:
            return P_IDENTIFIERS.message(head + I_VALUE.leaf_string(ids.normalize(number)))
        check = validator(number)
        if check.status in _ID_REASONS:
            issues.append(self._id_issue(check, number, labels.get("number", DOC_NUMBER)))
        return P_IDENTIFIERS.message(head + I_VALUE.leaf_string(check.normalized)
                                     + I_VALIDATION.leaf_varint(check.status))

    @staticmethod
    def _id_issue(check: ids.IdCheck, number: str, field: str) -> RowIssue:
        """A failed §6 check: a warning, the identifier is kept with its status."""
        return RowIssue(field, _ID_REASONS[check.status],
                        f"{check.normalized or number.strip()!r}: {check.message} (kept; validation "
                        f"{common_pb2.IdValidationStatus.Name(check.status)})", _WARNING)

    def _doc_template(self, type_code: str, country_text: str, labels: Mapping[str, str],
                      issues: list[RowIssue]) -> tuple[Any, bytes]:
        """(validator, encoded type/issuer/authority/algorithm) for a (type, country) pair."""
        clean = True
        country = ""
        if country_text:
            country = self._countries.lookup(country_text) or ""
            if not country:
                clean = False
                issues.append(RowIssue(labels.get("country", DOC_COUNTRY), Reason.UNKNOWN_CODE,
                                       f"issuing country {country_text!r} is not a country this format knows",
                                       _ERROR))
        resolved = self._documents.resolve(type_code, country) if type_code else None
        if resolved is None:
            clean = False
            doc_type, issuer = _OTHER_DOC, country
            shown = repr(type_code) if type_code else "an empty type"
            issues.append(RowIssue(labels.get("type", DOC_TYPE), Reason.UNKNOWN_CODE,
                                   f"document type {shown} is not in {self._documents.table.name} "
                                   f"({', '.join(self._documents.table.codes)}); kept as OTHER, "
                                   "not validated",
                                   _WARNING))
        else:
            doc_type, issuer = resolved
        validator = _VALIDATORS.get(int(doc_type))
        template = common_pb2.PersonIdentifier(
            type=doc_type, issuing_country_iso2=issuer, issuing_authority=self._documents.authority(doc_type),
            validation_algorithm=ids.ALGORITHMS.get(doc_type, ""))
        if validator is None:  # validated types get their status on every row
            template.validation = _NOT_VALIDATED
        head = template.SerializeToString()
        found = (validator, head)
        if clean and len(self._c_docs) < _CACHE:
            self._c_docs[(type_code, country_text)] = found
        return found

    def _flat_offences(self, frags: list[bytes], codes_value: object, organised: object, convicted: bool,
                       iccs: list[bytes], names: Mapping[str, str], issues: list[RowIssue]) -> None:
        name = names.get(OFFENCE_CODES, OFFENCE_CODES)
        organised_name = names.get(ORGANISED, ORGANISED)
        if codes_value.__class__ is not str:
            codes_value = _coerce(codes_value, name, issues)
        sep = self._sep
        if codes_value and sep not in codes_value:
            self._charge(frags, codes_value, organised, name, organised_name, convicted, iccs, issues)
            return
        parts = codes_value.split(sep) if codes_value else [""]
        marks = len(frags), len(iccs), len(issues)
        for i, code in enumerate(parts):
            self._charge(frags, code, organised if i == 0 else None, f"{name}[{i + 1}]" if i else name,
                         organised_name, convicted, iccs, issues)
        # A clean list of several offences is cached whole, under the key the hot path probes.
        flag = _YES_NO.get(organised) if organised.__class__ is str else None
        if flag is not None and codes_value and len(issues) == marks[2] and len(self._c_charges) < _CACHE:
            self._c_charges[(codes_value, convicted, flag)] = (
                b"".join(frags[marks[0]:]), "", b"".join(iccs[marks[1]:]))

    def _charge(self, frags: list[bytes], code_value: object, organised_value: object, code_field: str,
                organised_field: str, convicted: bool, iccs: list[bytes], issues: list[RowIssue]) -> None:
        organised = self._flag(organised_value, organised_field, issues) if organised_value else False
        key = (code_value, convicted, organised)
        found = self._c_charges.get(key) if code_value.__class__ is str else None  # type: ignore[arg-type]
        if found is None:
            code = code_value.strip() if code_value.__class__ is str else _coerce(
                code_value, code_field, issues)
            if not code:
                if organised:
                    issues.append(RowIssue(code_field, Reason.MISSING_REQUIRED,
                                           "organised-crime aggravation without an offence code", _ERROR))
                return
            tmpl = self._offences.charge(code, convicted, organised)
            if tmpl is None:
                issues.append(RowIssue(code_field, Reason.UNKNOWN_CODE,
                                       f"offence {code!r} is not in {self._offences.scheme}; kept verbatim "
                                       f"without an ICCS code", _WARNING))
                offence = common_pb2.CodeValue(scheme=self._offences.scheme, code=code)
                unknown = pb.Charge(national_offence=offence,
                                    organised_crime_aggravation=organised,
                                    status=_CONVICTED_CHARGE if convicted else _PENDING)
                frags.append(P_CHARGES.message(unknown.SerializeToString()))
                return
            found = (P_CHARGES.message(tmpl.SerializeToString()), tmpl.iccs_code,
                     S_ICCS.leaf_string(tmpl.iccs_code) if tmpl.iccs_code else b"")
            if code_value.__class__ is str and len(self._c_charges) < _CACHE:
                self._c_charges[key] = found  # type: ignore[index]
        frags.append(found[0])
        if found[2]:
            iccs.append(found[2])

    # ------------------------------------------------------------------ render direction

    def flatten(self, p: pb.InmateSecurityProfile) -> NativeRecord:
        """The native values of one profile (typed: text, int, bool, lists of items)."""
        d = self.dialect
        out: NativeRecord = {
            SUBJECT_ID: p.custodian_subject_id,
            CUSTODIAN: p.custodian or self.member_id,
            AS_OF: self._stamps.format(p.as_of.seconds) if p.HasField("as_of") else "",
            LEGAL_SITUATION: self._situations.code_for(p.person_status, p.custody.legal_status),
        }
        ident = p.identity
        given = ident.given_names
        out[GIVEN_NAMES] = given
        first, _, rest = given.partition(" ")
        out[GIVEN_NAME_1] = first
        out[GIVEN_NAME_2] = rest
        out[FIRST_SURNAME] = ident.first_surname
        out[SECOND_SURNAME] = ident.second_surname
        out[NICKNAME] = next((n.given_names for n in ident.other_names if n.kind == _NICKNAME_KIND), "")
        out[BIRTH_DATE] = self._dates.format(ident.birth_date)
        out[SEX] = self._sexes.code_for(ident.sex) or ""
        out[NATIONALITY] = [self._countries.code_for(c) for c in ident.nationalities_iso2]
        out[DOCUMENTS] = [
            {"type": self._documents.code_for(doc.type, doc.issuing_country_iso2),
             "country": (self._countries.code_for(doc.issuing_country_iso2)
                         if doc.issuing_country_iso2 else ""),
             "number": codes.display_id(doc.type, doc.value, d.styled_ids)}
            for doc in p.identifiers
        ]
        cust = p.custody
        has_custody = p.HasField("custody")
        out[ADMITTED_ON] = self._dates.format(cust.admitted_on)
        out[ARRESTED_ON] = self._dates.format(cust.arrested_on)
        out[FACILITY_CODE] = cust.facility_code
        out[FACILITY_NAME] = cust.facility_name
        sentence = cust.sentences[0] if cust.sentences else None
        out[AUTHORITY] = cust.commitment_authority or (sentence.court if sentence else "")
        out[CASE_REF] = cust.commitment_order_ref or (sentence.case_ref if sentence else "")
        out[OFFENCES] = [{"code": self._offences.national_code(c), "organised": c.organised_crime_aggravation}
                         for c in cust.charges]
        release = cust.projected_release if cust.HasField("projected_release") else (
            sentence.expires_on if sentence is not None else cust.projected_release)
        out[RELEASE_ON] = self._dates.format(release)
        out[PRIORS] = cust.prior_incarcerations if has_custody else None
        if sentence is not None:
            out[SENTENCED_ON] = self._dates.format(sentence.imposed_on)
            out[LIFE] = sentence.life
            out[TERM_YEARS] = sentence.term_years
            out[TERM_MONTHS] = sentence.term_months
        else:
            out[SENTENCED_ON] = ""
            out[LIFE] = out[TERM_YEARS] = out[TERM_MONTHS] = None
        sc = p.security_classification
        out[LEVEL] = self._levels.national_code(sc) if p.HasField("security_classification") else ""
        out[CLASSIFIED_ON] = self._dates.format(sc.assessed_on)
        out[REVIEW_ON] = self._dates.format(sc.review_due)
        return out
