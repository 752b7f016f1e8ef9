"""National code lists and their crosswalks to the hub's canonical values: pure, table-driven.

Every function here is a lookup in a table built once at import or adapter construction; none
does I/O. The national offence and security-level lists are the ``COUNTRY_SPECS`` code lists
of ``adapters.samples.synthetic`` (one source for the synthetic data and the adapters); this module adds
the lists the profiles do not need: legal situations, sexes, document types, countries, booleans,
and the date and time styles of each national format.

Conventions:

* ``lookup`` returns ``None`` for an unknown code; the caller reports it on the row.
* Lookups try the code exactly first, then case-, accent- and space-insensitively, so
  ``"Condenado"``, ``"CONDENADO "`` and ``"condenado"`` are the same code.
* ``code_for`` is the reverse direction used by ``render``: the national code to write for a
  canonical value (the first code listed for it).
* Parsers that can fail raise ``ValueError`` with a message that names the value and what was
  expected; the adapters turn it into a row issue.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final, Generic, Literal, TypeAlias, TypeVar

from adapters import ids
from adapters.spec import ICCS_LABELS, CountrySpec
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

__all__ = [
    "COUNTRIES",
    "FOREIGN_NATIONAL_ID",
    "ICCS_PREFIX",
    "ICCS_SCHEME",
    "MAX_YEAR",
    "MIN_YEAR",
    "NATIONAL_ID_BY_COUNTRY",
    "BoolCodec",
    "CodeTable",
    "CountryCodes",
    "DateCodec",
    "DocumentTypes",
    "LegalSituations",
    "LevelCrosswalk",
    "OffenceCrosswalk",
    "TimestampCodec",
    "fold",
    "iccs_code_is_well_formed",
]

T = TypeVar("T")
DocType: TypeAlias = common_pb2.IdDocumentType.ValueType
PersonStatus: TypeAlias = pb.PersonStatus.ValueType
LegalStatus: TypeAlias = pb.LegalStatus.ValueType

_CACHE_LIMIT: Final = 32_768


def fold(text: str) -> str:
    """Upper-case, accents removed, inner whitespace collapsed: the key for tolerant lookups."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.upper().split())


class CodeTable(Generic[T]):
    """A national code list: code → canonical value, and canonical value → preferred code."""

    __slots__ = ("_folded", "_labels", "_reverse", "entries", "exact", "name")

    def __init__(self, name: str, entries: Sequence[tuple[str, T, str]]) -> None:
        self.name = name
        self.entries: tuple[tuple[str, T, str], ...] = tuple(entries)
        #: Code → value for exact matches (the hot path reads it directly).
        self.exact: dict[str, T] = {}
        self._folded: dict[str, T] = {}
        self._labels: dict[str, str] = {}
        self._reverse: dict[T, str] = {}
        for code, value, label in self.entries:
            if code in self.exact:
                raise ValueError(f"code list {name}: code {code!r} is listed twice")
            self.exact[code] = value
            self._folded.setdefault(fold(code), value)
            self._labels[code] = label
            self._reverse.setdefault(value, code)

    def lookup(self, code: str) -> T | None:
        value = self.exact.get(code)
        if value is None:
            value = self._folded.get(fold(code))
        return value

    def code_for(self, value: T) -> str | None:
        return self._reverse.get(value)

    def label(self, code: str) -> str:
        return self._labels.get(code, "")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _, _ in self.entries)


# --------------------------------------------------------------------------- booleans


@dataclass(frozen=True, slots=True)
class BoolCodec:
    """How a format writes yes/no; parsing accepts the common spellings of either."""

    true: str
    false: str

    def parse(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            key = _BOOL_WORDS.get(value) if value in _BOOL_WORDS else _BOOL_WORDS.get(fold(value))
            if key is not None:
                return key
            raise ValueError(f"{value!r} is not a yes/no value (expected {self.true} or {self.false})")
        raise ValueError(f"expected {self.true} or {self.false}, got {type(value).__name__}")

    def format(self, value: bool) -> str:
        return self.true if value else self.false


_BOOL_WORDS: Final[dict[str, bool]] = {
    **dict.fromkeys(("S", "SI", "Y", "YES", "TRUE", "1", "VERDADERO", "X"), True),
    **dict.fromkeys(("N", "NO", "FALSE", "0", "FALSO"), False),
    "Sí": True, "sí": True, "Si": True, "si": True, "s": True, "n": False, "No": False, "no": False,
    "true": True, "false": False, "True": True, "False": False,
}


# --------------------------------------------------------------------------- dates

DateStyle: TypeAlias = Literal["dmy", "iso"]
PartialStyle: TypeAlias = Literal["zero-day", "short"]
MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2199  # release dates of 80-year sentences
_DAYS: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTHS_ES: Final = ("", "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                     "septiembre", "octubre", "noviembre", "diciembre")


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month]


_DMY: Final = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_YMD: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _digits(part: str) -> bool:
    return part.isascii() and part.isdigit()


class DateCodec:
    """Dates of one national format, partial dates included (0 = unknown day or month).

    ``dmy``: ``31/12/1985`` (also ``-`` or ``.`` as separators). ``iso``: ``1985-12-31``.
    A date known only to the month is ``00/12/1985`` (``zero-day``) or ``12/1985`` /
    ``1985-12`` (``short``); a year alone is ``1985``. Parsing accepts every spelling of the
    style and ignores a time of day after the date (spreadsheets add ``00:00:00``).

    ``parse(text) -> (year, month, day)`` raises ``ValueError`` for a bad date. It keeps no
    cache: the mapper caches the encoded date of each text it has seen.
    """

    __slots__ = ("expected", "partial", "style")

    def __init__(self, style: DateStyle, partial: PartialStyle = "zero-day") -> None:
        self.style = style
        self.partial = partial
        self.expected = "dd/mm/yyyy" if style == "dmy" else "yyyy-mm-dd"

    def parse(self, text: object) -> tuple[int, int, int]:
        if not isinstance(text, str):
            raise ValueError(f"expected a date as text ({self.expected}), got {type(text).__name__}")
        return self._split(text)

    def partial_date(self, text: str) -> common_pb2.PartialDate:
        year, month, day = self.parse(text)
        return common_pb2.PartialDate(year=year, month=month, day=day)

    def _split(self, text: str) -> tuple[int, int, int]:  # noqa: PLR0912 - one check per rule
        raw = text.strip()
        full = (_DMY if self.style == "dmy" else _YMD).fullmatch(raw)
        if full is not None:  # the common case: a complete date
            a, b, c = full.groups()
            year, month, day = (int(c), int(b), int(a)) if self.style == "dmy" else (int(a), int(b), int(c))
            if MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12 and \
                    1 <= day <= _days_in_month(year, month):
                return year, month, day
        if " " in raw or "T" in raw:  # a time of day after the date
            raw = raw.replace("T", " ").split(" ", 1)[0]
        if not raw:
            raise ValueError(f"empty date; expected {self.expected}")
        if self.style == "dmy":
            parts = raw.replace("-", "/").replace(".", "/").split("/")
            parts.reverse()  # year first
        else:
            parts = raw.split("-")
        if len(parts) > 3 or not all(_digits(p) for p in parts):
            raise ValueError(f"{text!r} is not a date; expected {self.expected}")
        if len(parts[0]) != 4:
            raise ValueError(f"{text!r}: the year must have four digits; expected {self.expected}")
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 0
        day = int(parts[2]) if len(parts) > 2 else 0
        if (len(parts) > 1 and len(parts[1]) > 2) or (len(parts) > 2 and len(parts[2]) > 2):
            raise ValueError(f"{text!r} is not a date; expected {self.expected}")
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(f"{text!r}: year {year} is outside {MIN_YEAR}-{MAX_YEAR}")
        if month > 12:
            raise ValueError(f"{text!r}: month {month} is not 1-12")
        if month == 0 and day:
            raise ValueError(f"{text!r}: a day without a month")
        if day and day > _days_in_month(year, month):
            raise ValueError(f"{text!r}: {_MONTHS_ES[month]} {year} has "
                             f"{_days_in_month(year, month)} days")
        return year, month, day

    def format(self, pd: common_pb2.PartialDate) -> str:
        y, m, d = pd.year, pd.month, pd.day
        if not y:
            return ""
        if self.style == "iso":
            if d and m:
                return f"{y:04d}-{m:02d}-{d:02d}"
            return f"{y:04d}-{m:02d}" if m else f"{y:04d}"
        if self.partial == "zero-day" or (d and m):
            return f"{d:02d}/{m:02d}/{y:04d}"
        return f"{m:02d}/{y:04d}" if m else f"{y:04d}"


class TimestampCodec:
    """The export's cut-off time (``as_of``), written in the member's local time.

    ``dmy``: ``30/06/2025 07:00:00`` read in the member's UTC offset. ``iso``: ISO 8601 with its
    offset (``2025-06-30T07:00:00-05:00``); without an offset the member's offset applies. A
    date alone means local midnight.
    """

    __slots__ = ("_cache", "expected", "offset", "style")

    def __init__(self, style: DateStyle, utc_offset_hours: int) -> None:
        self.style = style
        self.offset = timezone(timedelta(hours=utc_offset_hours))
        self.expected = "dd/mm/yyyy hh:mm:ss" if style == "dmy" else "yyyy-mm-ddThh:mm:ss±hh:mm"
        self._cache: dict[str, int] = {}

    def parse(self, text: str) -> int:
        """Seconds since the Unix epoch."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        seconds = self._parse(text.strip())
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = seconds
        return seconds

    def _parse(self, raw: str) -> int:
        bad = f"{raw!r} is not a date and time; expected {self.expected}"
        if self.style == "dmy":
            date_part, _, time_part = raw.partition(" ")
            bits = date_part.replace("-", "/").split("/")
            if len(bits) != 3 or not all(_digits(b) for b in bits) or len(bits[2]) != 4:
                raise ValueError(bad)
            hms = time_part.strip().split(":") if time_part.strip() else ["0", "0"]
            if not 2 <= len(hms) <= 3 or not all(_digits(h) and len(h) <= 2 for h in hms):
                raise ValueError(bad)
            try:
                moment = datetime(int(bits[2]), int(bits[1]), int(bits[0]), int(hms[0]), int(hms[1]),
                                  int(hms[2]) if len(hms) == 3 else 0, tzinfo=self.offset)
            except ValueError as exc:
                raise ValueError(f"{raw!r}: {exc}") from None
        else:
            if not raw.isascii():
                raise ValueError(bad)
            try:
                moment = datetime.fromisoformat(raw)
            except ValueError:
                raise ValueError(bad) from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.offset)
        if not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise ValueError(f"{raw!r}: year {moment.year} is outside {MIN_YEAR}-{MAX_YEAR}")
        return int(moment.timestamp())

    def format(self, seconds: int) -> str:
        moment = datetime.fromtimestamp(seconds, UTC).astimezone(self.offset)
        if self.style == "dmy":
            return moment.strftime("%d/%m/%Y %H:%M:%S")
        return moment.isoformat(timespec="seconds")


# --------------------------------------------------------------------------- countries

# ISO 3166-1 alpha-2 → (alpha-3, Spanish name): members, their neighbours and the
# nationalities most often held in their prisons.
COUNTRIES: Final[dict[str, tuple[str, str]]] = {
    "AL": ("ALB", "Albania"), "AR": ("ARG", "Argentina"), "BO": ("BOL", "Bolivia"),
    "BR": ("BRA", "Brasil"), "BZ": ("BLZ", "Belice"), "CA": ("CAN", "Canadá"),
    "CL": ("CHL", "Chile"), "CN": ("CHN", "China"), "CO": ("COL", "Colombia"),
    "CR": ("CRI", "Costa Rica"), "CU": ("CUB", "Cuba"), "DE": ("DEU", "Alemania"),
    "DO": ("DOM", "República Dominicana"), "EC": ("ECU", "Ecuador"), "ES": ("ESP", "España"),
    "FR": ("FRA", "Francia"), "GB": ("GBR", "Reino Unido"), "GT": ("GTM", "Guatemala"),
    "HN": ("HND", "Honduras"), "HT": ("HTI", "Haití"), "IT": ("ITA", "Italia"),
    "JM": ("JAM", "Jamaica"), "MX": ("MEX", "México"), "NG": ("NGA", "Nigeria"),
    "NI": ("NIC", "Nicaragua"), "NL": ("NLD", "Países Bajos"), "PA": ("PAN", "Panamá"),
    "PE": ("PER", "Perú"), "PR": ("PRI", "Puerto Rico"), "PT": ("PRT", "Portugal"),
    "PY": ("PRY", "Paraguay"), "RU": ("RUS", "Rusia"), "SV": ("SLV", "El Salvador"),
    "US": ("USA", "Estados Unidos"), "UY": ("URY", "Uruguay"), "VE": ("VEN", "Venezuela"),
}

CountryStyle: TypeAlias = Literal["alpha2", "alpha3", "name", "NAME"]


class CountryCodes:
    """How a format names countries: ISO alpha-2, alpha-3, Spanish name, or name in capitals.

    Parsing accepts any of the four forms (exports mix them); rendering writes the format's
    own. A country outside the table is written as its alpha-2 code.
    """

    __slots__ = ("_by_any", "_out", "exact", "style")

    def __init__(self, style: CountryStyle) -> None:
        self.style = style
        self._by_any: dict[str, str] = {}
        self._out: dict[str, str] = {}
        for iso2, (iso3, name) in COUNTRIES.items():
            for form in (iso2, iso3, name):
                self._by_any[fold(form)] = iso2
            self._out[iso2] = {"alpha2": iso2, "alpha3": iso3, "name": name, "NAME": fold(name)}[style]
        #: The format's own spelling → alpha-2 (the hot path reads it directly).
        self.exact: dict[str, str] = {code: iso2 for iso2, code in self._out.items()}

    def lookup(self, text: str) -> str | None:
        return self.exact.get(text) or self._by_any.get(text) or self._by_any.get(fold(text))

    def code_for(self, iso2: str) -> str:
        return self._out.get(iso2, iso2)


# --------------------------------------------------------------------------- legal situation


class LegalSituations:
    """National "situación jurídica" codes ↔ (person status, legal status).

    Rendering picks the code by person status, falling back to the legal status when the
    person status is unspecified.
    """

    __slots__ = ("_by_legal", "_by_person", "exact", "table")

    def __init__(self, name: str,
                 entries: Sequence[tuple[str, PersonStatus, LegalStatus, str]]) -> None:
        self.table: CodeTable[tuple[PersonStatus, LegalStatus]] = CodeTable(
            name, [(code, (person, legal), label) for code, person, legal, label in entries])
        self.exact = self.table.exact
        self._by_person: dict[int, str] = {}
        self._by_legal: dict[int, str] = {}
        for code, person, legal, _ in entries:
            self._by_person.setdefault(int(person), code)
            self._by_legal.setdefault(int(legal), code)

    def lookup(self, code: str) -> tuple[PersonStatus, LegalStatus] | None:
        return self.table.lookup(code)

    def code_for(self, person: PersonStatus, legal: LegalStatus) -> str:
        return self._by_person.get(int(person)) or self._by_legal.get(int(legal)) or ""


# --------------------------------------------------------------------------- documents

#: Document-type marker: "the national identity document of the issuing country".
FOREIGN_NATIONAL_ID: Final = -1

#: The national identity document of each member country (``adapters.ids``).
NATIONAL_ID_BY_COUNTRY: Final[dict[str, DocType]] = {
    iso2: doc_type for iso2, (doc_type, _) in ids.NATIONAL_ID_DOCUMENTS.items()
}
_AUTHORITY_BY_TYPE: Final[dict[int, str]] = {
    int(doc_type): authority for doc_type, authority in ids.NATIONAL_ID_DOCUMENTS.values()
}


@dataclass(frozen=True, slots=True)
class DocumentKind:
    code: str
    doc_type: int  # an IdDocumentType value, or FOREIGN_NATIONAL_ID
    country: str  # fixed issuing country (alpha-2), or "" when the row says it
    label: str


class DocumentTypes:
    """A national list of identity-document types.

    Besides its own documents every list has a code for "foreign identity document"; with the
    issuing country on the row it resolves to that country's national id (a Peruvian DNI held
    by someone in a Colombian prison is checked with the DNI rule).
    """

    __slots__ = ("_by_type", "_foreign", "_other", "table")

    def __init__(self, name: str, entries: Sequence[tuple[str, int, str, str]]) -> None:
        kinds = [DocumentKind(code, doc_type, country, label) for code, doc_type, country, label in entries]
        self.table: CodeTable[DocumentKind] = CodeTable(name, [(k.code, k, k.label) for k in kinds])
        self._by_type: dict[int, DocumentKind] = {}
        for k in kinds:
            self._by_type.setdefault(k.doc_type, k)
        foreign = self._by_type.get(FOREIGN_NATIONAL_ID)
        other = self._by_type.get(common_pb2.ID_DOCUMENT_TYPE_OTHER)
        if foreign is None or other is None:
            raise ValueError(f"document list {name} needs a foreign-id code and an 'other' code")
        self._foreign = foreign
        self._other = other

    def resolve(self, code: str, country_iso2: str) -> tuple[DocType, str] | None:
        """(document type, issuing country) for a national code, or None if the code is unknown."""
        kind = self.table.lookup(code)
        if kind is None:
            return None
        if kind.doc_type == FOREIGN_NATIONAL_ID:
            national = NATIONAL_ID_BY_COUNTRY.get(country_iso2)
            return (national if national is not None else common_pb2.ID_DOCUMENT_TYPE_OTHER,
                    country_iso2)
        return common_pb2.IdDocumentType.ValueType(kind.doc_type), kind.country or country_iso2

    def code_for(self, doc_type: DocType, country_iso2: str) -> str:
        kind = self._by_type.get(int(doc_type))
        if kind is not None and (not kind.country or kind.country == country_iso2):
            return kind.code
        if NATIONAL_ID_BY_COUNTRY.get(country_iso2) == doc_type:
            return self._foreign.code
        return self._other.code

    @staticmethod
    def authority(doc_type: DocType) -> str:
        """Issuing authority of a member's national id (what the country profiles record)."""
        return _AUTHORITY_BY_TYPE.get(int(doc_type), "")


def validate_document(doc_type: DocType, value: str) -> ids.IdCheck:
    """The §6 validation of a document number (schemes without a public rule: NOT_VALIDATED)."""
    return ids.validate(doc_type, value)


# --------------------------------------------------------------------------- offences (ICCS)

ICCS_SCHEME: Final = "iccs-1.0"
#: Prefix of an offence written as its ICCS code in a national file (a foreign record's charge).
ICCS_PREFIX: Final = "ICCS:"
_ICCS_LENGTHS: Final = frozenset({2, 4, 5, 6})


def iccs_code_is_well_formed(code: str) -> bool:
    """2/4/5/6 digits under one of the 11 ICCS sections (01–11)."""
    return len(code) in _ICCS_LENGTHS and code.isascii() and code.isdigit() and "01" <= code[:2] <= "11"


_CHARGE_PENDING: Final = pb.Charge.CHARGE_STATUS_PENDING
_CHARGE_CONVICTED: Final = pb.Charge.CHARGE_STATUS_CONVICTED


class OffenceCrosswalk:
    """A member's offence codes (its penal code articles) ↔ UNODC ICCS v1.0 codes.

    ``charge`` returns a shared template ``Charge`` (national code and label, ICCS code,
    description, status, aggravation) to copy into a record. A charge written as
    ``ICCS:<code>`` (how a foreign member's charge is rendered) maps to that ICCS code with the
    ICCS scheme as its national code. Rendering writes the national code when the charge uses
    this member's scheme and ``ICCS:<code>`` otherwise, so no national statute is invented.
    """

    __slots__ = ("_labels", "_templates", "scheme")

    def __init__(self, spec: CountrySpec) -> None:
        self.scheme = spec.offence_scheme
        self._templates: dict[tuple[str, bool, bool], pb.Charge] = {}
        self._labels: dict[str, tuple[str, str]] = {}
        for off in spec.offences:
            if off.code in self._labels:
                raise ValueError(f"{spec.member_id}: offence code {off.code} is listed twice")
            self._labels[off.code] = (off.iccs, off.label)

    @property
    def codes(self) -> dict[str, tuple[str, str]]:
        """National code → (ICCS code, national label)."""
        return dict(self._labels)

    def exact(self, code: str, convicted: bool, organised: bool) -> pb.Charge | None:
        """The template for a code already seen in exactly this spelling (the hot path)."""
        return self._templates.get((code, convicted, organised))

    def charge(self, code: str, convicted: bool, organised: bool) -> pb.Charge | None:
        key = (code, convicted, organised)
        tmpl = self._templates.get(key)
        if tmpl is not None:
            return tmpl
        known = self._labels.get(code)
        if known is None:
            folded = fold(code).replace(" ", "")
            known = self._labels.get(folded)
            code = folded if known is not None else code
        if known is not None:
            iccs, label = known
            scheme = self.scheme
        elif code[:5].upper() == ICCS_PREFIX and iccs_code_is_well_formed(code[5:].strip()):
            iccs = code[5:].strip()
            label = ICCS_LABELS.get(iccs, "")
            scheme, code = ICCS_SCHEME, iccs
        else:
            return None
        tmpl = pb.Charge(
            national_offence=common_pb2.CodeValue(scheme=scheme, code=code, label=label),
            iccs_code=iccs, description=label, organised_crime_aggravation=organised,
            status=_CHARGE_CONVICTED if convicted else _CHARGE_PENDING)
        if len(self._templates) < _CACHE_LIMIT:
            self._templates[key] = tmpl
        return tmpl

    def national_code(self, charge: pb.Charge) -> str:
        offence = charge.national_offence
        if offence.scheme == self.scheme and offence.code:
            return offence.code
        if charge.iccs_code:
            return ICCS_PREFIX + charge.iccs_code
        return offence.code


# --------------------------------------------------------------------------- security levels


class LevelCrosswalk:
    """A member's national security levels ↔ the hub's ordinal scale (minimum … maximum).

    Several national levels may map to one hub level (Peru's closed-regime stages), never the
    reverse. Rendering keeps the national code when the record uses this member's scheme, and
    otherwise writes the first national level listed for the record's hub level.
    """

    __slots__ = ("_by_level", "_templates", "exact", "scheme")

    def __init__(self, spec: CountrySpec) -> None:
        self.scheme = spec.level_scheme
        self._templates: dict[str, pb.SecurityClassification] = {}
        self._by_level: dict[int, str] = {}
        folded: dict[str, pb.SecurityClassification] = {}
        for lv in spec.levels:
            if lv.code in self._templates:
                raise ValueError(f"{spec.member_id}: security level {lv.code} maps to two hub levels")
            tmpl = pb.SecurityClassification(
                level=lv.level,
                national_level=common_pb2.CodeValue(scheme=spec.level_scheme, code=lv.code, label=lv.label),
                instrument=spec.classification_instrument,
                decided_by_unit=spec.classification_unit,
            )
            self._templates[lv.code] = tmpl
            folded[fold(lv.code)] = tmpl
            self._by_level.setdefault(int(lv.level), lv.code)
        #: National code → template classification, exact spelling only.
        self.exact: dict[str, pb.SecurityClassification] = dict(self._templates)
        self._templates.update({k: v for k, v in folded.items() if k not in self._templates})

    @property
    def codes(self) -> dict[str, tuple[int, str]]:
        """National code → (hub level, national label), in list order."""
        return {code: (int(t.level), t.national_level.label) for code, t in self._templates.items()
                if t.national_level.code == code}

    def classification(self, code: str) -> pb.SecurityClassification | None:
        tmpl = self._templates.get(code)
        if tmpl is None:
            tmpl = self._templates.get(fold(code))
        return tmpl

    def national_code(self, sc: pb.SecurityClassification) -> str:
        if sc.national_level.scheme == self.scheme and sc.national_level.code:
            return sc.national_level.code
        return self._by_level.get(int(sc.level), "")


# --------------------------------------------------------------------------- id display

def _dotted_uy(value: str) -> str:  # 1.234.567-2
    if len(value) not in (7, 8) or not value.isdigit():
        return value
    base, check = value[:-1], value[-1]
    head = len(base) % 3 or 3  # group the digits themselves: a leading zero must survive
    groups = [base[:head]] + [base[i:i + 3] for i in range(head, len(base), 3)]
    return ".".join(groups) + f"-{check}"


def _dashed_do(value: str) -> str:  # 001-1391820-5
    if len(value) != 11 or not value.isdigit():
        return value
    return f"{value[:3]}-{value[3:10]}-{value[10]}"


def _spaced_gt(value: str) -> str:  # 1234 56789 0101
    if len(value) != 13 or not value.isdigit():
        return value
    return f"{value[:4]} {value[4:9]} {value[9:]}"


def _dashed_pe(value: str) -> str:  # 10117410-2 (the check character printed on the card)
    if len(value) != 9:
        return value
    return f"{value[:8]}-{value[8]}"


#: How ids are printed on national forms (parsing normalises every one of these).
ID_DISPLAY: Final[Mapping[int, object]] = {
    int(ids.UY_CI): _dotted_uy,
    int(ids.DO_CI): _dashed_do,
    int(ids.GT_CUI): _spaced_gt,
    int(ids.PE_DNI): _dashed_pe,
}


def display_id(doc_type: DocType, value: str, styled: Iterable[int]) -> str:
    """``value`` as the national form prints it, for the document types a format styles."""
    if int(doc_type) in styled:
        fn = ID_DISPLAY.get(int(doc_type))
        if callable(fn):
            return str(fn(value))
    return value
