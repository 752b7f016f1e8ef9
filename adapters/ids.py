"""National identity-document validation and synthetic generation (domain model §6).

Every validator is a pure function ``str -> IdCheck`` that never raises: the hub stores
the resulting status beside the record and never rejects a record on a checksum alone.
The algorithms are implemented from their public descriptions (civil-registry rules as
documented in the domain model, open validators' READMEs); no third-party code is copied.

Generators produce ids that pass their own scheme's validator. They draw only from the
``random.Random`` they are given, so a seeded generator yields the same ids every run.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from operator import mul
from typing import Final, NamedTuple, TypeAlias, TypedDict, Unpack

from pxhub.v1 import common_pb2

__all__ = [
    "ALGORITHMS",
    "CURP_STATES",
    "EC_PROVINCES",
    "GENERATORS",
    "GT_MUNICIPALITIES",
    "VALIDATORS",
    "DocType",
    "IdCheck",
    "IdHints",
    "Status",
    "co_nit_check_digit",
    "curp_check_digit",
    "curp_name_key",
    "generate_id",
    "gt_check_digit",
    "luhn_check_digit",
    "normalize",
    "pe_check_characters",
    "uy_check_digit",
    "validate",
    "validate_co_cedula",
    "validate_do_cedula",
    "validate_ec_cedula",
    "validate_gt_cui",
    "validate_mx_curp",
    "validate_pe_dni",
    "validate_uy_ci",
]

Status: TypeAlias = common_pb2.IdValidationStatus.ValueType
DocType: TypeAlias = common_pb2.IdDocumentType.ValueType

NOT_VALIDATED: Final = common_pb2.ID_VALIDATION_STATUS_NOT_VALIDATED
VALID_CHECKSUM: Final = common_pb2.ID_VALIDATION_STATUS_VALID_CHECKSUM
VALID_FORMAT_ONLY: Final = common_pb2.ID_VALIDATION_STATUS_VALID_FORMAT_ONLY
INVALID_FORMAT: Final = common_pb2.ID_VALIDATION_STATUS_INVALID_FORMAT
INVALID_CHECKSUM: Final = common_pb2.ID_VALIDATION_STATUS_INVALID_CHECKSUM
INVALID_COMPONENT: Final = common_pb2.ID_VALIDATION_STATUS_INVALID_COMPONENT

CO_CC: Final = common_pb2.ID_DOCUMENT_TYPE_CO_CEDULA_CIUDADANIA
PE_DNI: Final = common_pb2.ID_DOCUMENT_TYPE_PE_DNI
EC_CI: Final = common_pb2.ID_DOCUMENT_TYPE_EC_CEDULA
UY_CI: Final = common_pb2.ID_DOCUMENT_TYPE_UY_CEDULA_IDENTIDAD
MX_CURP: Final = common_pb2.ID_DOCUMENT_TYPE_MX_CURP
DO_CI: Final = common_pb2.ID_DOCUMENT_TYPE_DO_CEDULA
GT_CUI: Final = common_pb2.ID_DOCUMENT_TYPE_GT_DPI_CUI

#: The national identity document of each member country (ISO 3166-1 alpha-2), and its issuer.
NATIONAL_ID_DOCUMENTS: Final[dict[str, tuple[DocType, str]]] = {
    "CO": (CO_CC, "Registraduría Nacional del Estado Civil"),
    "PE": (PE_DNI, "Registro Nacional de Identificación y Estado Civil (RENIEC)"),
    "EC": (EC_CI, "Dirección General de Registro Civil, Identificación y Cedulación"),
    "GT": (GT_CUI, "Registro Nacional de las Personas (RENAP)"),
    "UY": (UY_CI, "Dirección Nacional de Identificación Civil (DNIC)"),
    "DO": (DO_CI, "Junta Central Electoral (JCE)"),
    "MX": (MX_CURP, "Registro Nacional de Población (RENAPO)"),
}

# Algorithm ids recorded beside the status; bump the suffix if a rule ever changes.
ALGORITHMS: Final[dict[DocType, str]] = {
    CO_CC: "co-cc-format-v1",
    PE_DNI: "pe-dni-v1",
    EC_CI: "ec-ci-v1",
    UY_CI: "uy-ci-v1",
    MX_CURP: "mx-curp-v1",
    DO_CI: "do-cedula-v1",
    GT_CUI: "gt-cui-v1",
}


class IdCheck(NamedTuple):
    """Outcome of one validation: what the hub stores and shows to the sender.

    A named tuple rather than a frozen dataclass: one is made for every id of every row read.
    """

    status: Status
    algorithm: str
    normalized: str
    message: str

    @property
    def ok(self) -> bool:
        """True for the statuses that mean "this looks like an issued id"."""
        return self.status in (VALID_CHECKSUM, VALID_FORMAT_ONLY,
                               common_pb2.ID_VALIDATION_STATUS_VALID_LEGACY_EXCEPTION)


# --------------------------------------------------------------------------- normalise

# Separators people and exports put inside ids; Unicode dashes come from word processors.
_SEPARATORS: Final = " .-_/\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_STRIP_TABLE: Final = str.maketrans("", "", _SEPARATORS)
_WHITESPACE: Final = re.compile(r"\s+")


def normalize(value: str) -> str:
    """Strip spaces, dots, hyphens, underscores and slashes, then upper-case.

    The wire value of a ``PersonIdentifier`` is this form, so the same person's id
    compares equal whatever punctuation the exporting system used.
    """
    if not isinstance(value, str):
        return ""
    if value.isascii() and value.isalnum():  # already clean: the common case at ingest
        return value.upper()
    stripped = value.translate(_STRIP_TABLE)
    if not stripped.isalnum():  # tabs, newlines, no-break spaces and other whitespace
        stripped = _WHITESPACE.sub("", stripped)
    return stripped.upper()


def _is_digits(s: str) -> bool:
    # str.isdigit() accepts superscripts and other scripts' digits; ids are ASCII only.
    return s.isascii() and s.isdigit()


def _weighted_sum(digits: str, weights: tuple[int, ...], weight_total: int) -> int:
    """Sum of digit·weight over ASCII digits (``map`` in C; ids are validated per record)."""
    total: int = sum(map(mul, digits.encode("ascii"), weights))
    return total - 48 * weight_total


# Success messages, built once (validation runs for every record the hub ingests).
_MATCHES: Final = tuple(f"check digit {d} matches" for d in range(10))
_LUHN_MATCHES: Final = tuple(f"Luhn check digit {d} matches" for d in range(10))

# Luhn-style doubling: 2·d with 9 subtracted above 9, by digit.
_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _first_non_digit(s: str) -> str:
    for pos, ch in enumerate(s, 1):
        if not ("0" <= ch <= "9"):
            return f"character {ch!r} at position {pos} is not a digit"
    return "not all digits"


def _shape_message(s: str, expected: str) -> str:
    if not s:
        return f"empty after normalising; expected {expected}"
    if not _is_digits(s):
        return f"expected {expected}; {_first_non_digit(s)}"
    return f"expected {expected}, got {len(s)} digits"


# --------------------------------------------------------------------------- Colombia


def validate_co_cedula(value: str) -> IdCheck:
    """CO cédula de ciudadanía: 3–10 digits; the Registraduría publishes no check digit.

    The mod-11 "DV" people sometimes append belongs to the NIT (tax id), not to the
    cédula, so an 11-digit value is reported as a format error rather than guessed at.
    """
    alg = ALGORITHMS[CO_CC]
    s = normalize(value)
    if not _is_digits(s) or not 3 <= len(s) <= 10:
        return IdCheck(INVALID_FORMAT, alg, s, _shape_message(s, "3 to 10 digits"))
    return IdCheck(VALID_FORMAT_ONLY, alg, s, "format only: the cédula has no public check digit")


def co_nit_check_digit(base: str) -> int:
    """DV of a NIT built on a cédula (weights 3, 7, 13, … from the right, mod 11)."""
    weights = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)
    r = _weighted_sum(base[::-1], weights, sum(weights[: len(base)])) % 11
    return r if r < 2 else 11 - r


# --------------------------------------------------------------------------- Peru

_PE_WEIGHTS: Final = (3, 2, 7, 6, 5, 4, 3, 2)
_PE_WEIGHT_TOTAL: Final = sum(_PE_WEIGHTS)
_PE_DIGIT_FORM: Final = "65432110987"
_PE_LETTER_FORM: Final = "KJIHGFEDCBA"


def _pe_remainder(base: str) -> int:
    return _weighted_sum(base, _PE_WEIGHTS, _PE_WEIGHT_TOTAL) % 11


def validate_pe_dni(value: str) -> IdCheck:
    """PE DNI (CUI): 8 digits, optionally the check character printed on the card.

    The card prints the check either as a digit ("65432110987"[r]) or as a letter
    ("KJIHGFEDCBA"[r]); most forms carry only the 8 digits, which proves nothing.
    """
    alg = ALGORITHMS[PE_DNI]
    s = normalize(value)
    if len(s) == 8 and _is_digits(s):
        return IdCheck(VALID_FORMAT_ONLY, alg, s, "format only: no check character given")
    if len(s) != 9 or not _is_digits(s[:8]):
        return IdCheck(INVALID_FORMAT, alg, s,
                       _shape_message(s, "8 digits optionally followed by a check character"))
    check = s[8]
    r = _pe_remainder(s[:8])
    digit, letter = _PE_DIGIT_FORM[r], _PE_LETTER_FORM[r]
    if check in (digit, letter):
        return IdCheck(VALID_CHECKSUM, alg, s, f"check character {check} matches")
    if "0" <= check <= "9":
        msg = f"check character {check}, expected {digit} (digit form) or {letter} (letter form)"
    elif check in _PE_LETTER_FORM:
        msg = f"check character {check}, expected {letter} (letter form) or {digit} (digit form)"
    else:
        return IdCheck(INVALID_FORMAT, alg, s,
                       f"check character {check!r} is neither a digit nor one of {_PE_LETTER_FORM}")
    return IdCheck(INVALID_CHECKSUM, alg, s, msg)


def pe_check_characters(base: str) -> tuple[str, str]:
    """(digit form, letter form) check characters for an 8-digit DNI."""
    r = _pe_remainder(base)
    return _PE_DIGIT_FORM[r], _PE_LETTER_FORM[r]


# --------------------------------------------------------------------------- Ecuador

# 30 is described as citizens registered abroad (domain model marks it unverified).
EC_PROVINCES: Final = frozenset(range(1, 25)) | {30}


def _ec_check(first9: str) -> int:
    # Weights 2,1,2,1,… from the left; a doubled digit above 9 loses 9.
    b = first9.encode("ascii")
    total = sum(_DOUBLED[x - 48] for x in b[0::2]) + sum(b[1::2]) - 48 * len(b[1::2])
    return (10 - total % 10) % 10


def validate_ec_cedula(value: str) -> IdCheck:
    """EC cédula: province 01–24 (or 30), third digit below 6, modulo-10 check digit."""
    alg = ALGORITHMS[EC_CI]
    s = normalize(value)
    if len(s) != 10 or not _is_digits(s):
        return IdCheck(INVALID_FORMAT, alg, s, _shape_message(s, "10 digits"))
    province = int(s[:2])
    if province not in EC_PROVINCES:
        return IdCheck(INVALID_COMPONENT, alg, s, f"province {s[:2]} is not 01-24 or 30")
    if s[2] >= "6":
        return IdCheck(INVALID_COMPONENT, alg, s,
                       f"third digit {s[2]} is not below 6 (natural persons use 0-5)")
    expected = _ec_check(s[:9])
    if int(s[9]) != expected:
        return IdCheck(INVALID_CHECKSUM, alg, s, f"check digit {s[9]}, expected {expected}")
    return IdCheck(VALID_CHECKSUM, alg, s, _MATCHES[expected])


# --------------------------------------------------------------------------- Uruguay

_UY_WEIGHTS: Final = (2, 9, 8, 7, 6, 3, 4)
_UY_WEIGHT_TOTAL: Final = sum(_UY_WEIGHTS)


def uy_check_digit(base: str) -> int:
    """Check digit of a 6–7 digit base, left-padded to 7 digits."""
    total = _weighted_sum(base.rjust(7, "0"), _UY_WEIGHTS, _UY_WEIGHT_TOTAL)
    return (10 - total % 10) % 10


def validate_uy_ci(value: str) -> IdCheck:
    """UY cédula de identidad: 6–7 digit base plus check digit (weights 2,9,8,7,6,3,4).

    The check digit is always printed (``1.234.567-2``), so the last digit is the check.
    """
    alg = ALGORITHMS[UY_CI]
    s = normalize(value)
    if len(s) not in (7, 8) or not _is_digits(s):
        return IdCheck(INVALID_FORMAT, alg, s,
                       _shape_message(s, "a 6-7 digit base followed by its check digit"))
    expected = uy_check_digit(s[:-1])
    if int(s[-1]) != expected:
        return IdCheck(INVALID_CHECKSUM, alg, s, f"check digit {s[-1]}, expected {expected}")
    return IdCheck(VALID_CHECKSUM, alg, s, _MATCHES[expected])


# --------------------------------------------------------------------------- Mexico

CURP_STATES: Final = frozenset(
    (
        "AS", "BC", "BS", "CC", "CH", "CL", "CM", "CS", "DF", "DG", "GR", "GT", "HG", "JC", "MC",
        "MN", "MS", "NE", "NL", "NT", "OC", "PL", "QR", "QT", "SL", "SP", "SR", "TC", "TL", "TS",
        "VZ", "YN", "ZS",
    )
)
_CURP_STATE_LIST: Final = tuple(sorted(CURP_STATES))
_CURP_ALPHABET: Final = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ"
_CURP_VALUE: Final = {ch: i for i, ch in enumerate(_CURP_ALPHABET)}
_CURP_WEIGHTS: Final = tuple(range(18, 1, -1))
_DAYS_IN_MONTH: Final = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_CURP_SHAPE: Final = re.compile(r"[A-Z]{4}[0-9]{6}[A-Z]{3}[B-DF-HJ-NP-TV-Z]{3}[0-9A-Z][0-9]")
# Words RENAPO does not allow in the first four letters (the 2nd letter becomes X).
_CURP_INCONVENIENT: Final = frozenset(
    (
        "BACA", "BAKA", "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE",
        "COGI", "COJA", "COJE", "COJI", "COJO", "COLA", "CULO", "FALO", "FETO", "GETA", "GUEI",
        "GUEY", "JETA", "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KAKO", "KOGE", "KOGI",
        "KOJA", "KOJE", "KOJI", "KOJO", "KOLA", "KULO", "LILO", "LOCA", "LOCO", "LOKA", "LOKO",
        "MAME", "MAMO", "MEAR", "MEAS", "MEON", "MIAR", "MION", "MOCO", "MOKO", "MULA", "MULO",
        "NACA", "NACO", "PEDA", "PEDO", "PENE", "PIPI", "PITO", "POPO", "PUTA", "PUTO", "QULO",
        "RATA", "ROBA", "ROBE", "ROBO", "RUIN", "SENO", "TETA", "VACA", "VAGA", "VAGO", "VAKA",
        "VUEI", "VUEY", "WUEI", "WUEY",
    )
)


def curp_check_digit(first17: str) -> int:
    """Position-18 digit: sum of value(c_i)·(18 − i) for i = 0..16, then (10 − s mod 10) mod 10."""
    total: int = sum(map(mul, map(_CURP_VALUE.__getitem__, first17), _CURP_WEIGHTS))
    return (10 - total % 10) % 10


def validate_mx_curp(value: str) -> IdCheck:  # noqa: PLR0911 - one return per rule
    """MX CURP: structure, sex, state, birth date, homonymy century rule, check digit.

    Sex code "X" is reported as a component error: RENAPO's acceptance of it is
    unconfirmed (domain model open point 7), and the status is a warning, not a rejection.
    """
    alg = ALGORITHMS[MX_CURP]
    s = normalize(value)
    if len(s) != 18 or not s.isascii():
        return IdCheck(INVALID_FORMAT, alg, s,
                       f"expected 18 characters, got {len(s)}" if s.isascii()
                       else "contains non-ASCII characters")
    if not _CURP_SHAPE.fullmatch(s):
        return IdCheck(INVALID_FORMAT, alg, s, _curp_shape_problem(s))
    if s[10] not in "HM":
        return IdCheck(INVALID_COMPONENT, alg, s, f"sex {s[10]!r} is not H or M")
    if s[11:13] not in CURP_STATES:
        return IdCheck(INVALID_COMPONENT, alg, s, f"state {s[11:13]} is not a RENAPO state code")
    century = 1900 if s[16] <= "9" else 2000
    year, month, day = century + int(s[4:6]), int(s[6:8]), int(s[8:10])
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return IdCheck(INVALID_COMPONENT, alg, s,
                       f"birth date {s[4:10]} is not a real date (read as {year:04d}-{month:02d}-{day:02d})")
    if s[:4] in _CURP_INCONVENIENT:
        return IdCheck(INVALID_COMPONENT, alg, s,
                       f"first four letters {s[:4]} are a word RENAPO replaces (second letter becomes X)")
    expected = curp_check_digit(s[:17])
    if int(s[17]) != expected:
        return IdCheck(INVALID_CHECKSUM, alg, s, f"check digit {s[17]}, expected {expected}")
    return IdCheck(VALID_CHECKSUM, alg, s, _MATCHES[expected])


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month]


def _curp_shape_problem(s: str) -> str:
    parts = (
        (0, 4, "letters", str.isalpha),
        (4, 10, "birth date digits", str.isdigit),
        (10, 13, "letters (sex and state)", str.isalpha),
        (13, 16, "consonants", lambda c: c in "BCDFGHJKLMNPQRSTVWXYZ"),
        (16, 17, "a digit or letter", str.isalnum),
        (17, 18, "the check digit", str.isdigit),
    )
    for start, end, what, ok in parts:
        for pos in range(start, end):
            if not ok(s[pos]):
                return f"position {pos + 1} is {s[pos]!r}; positions {start + 1}-{end} must be {what}"
    return "does not match the CURP structure"


# --------------------------------------------------------------------------- Dominican Republic


def luhn_check_digit(payload: str) -> int:
    """Luhn digit that makes ``payload + digit`` pass (double every second from the right)."""
    b = payload.encode("ascii")[::-1]
    total = sum(_DOUBLED[x - 48] for x in b[0::2]) + sum(b[1::2]) - 48 * len(b[1::2])
    return (10 - total % 10) % 10


def validate_do_cedula(value: str) -> IdCheck:
    """DO cédula de identidad y electoral: 11 digits, Luhn over all of them.

    About 800 numbers issued long ago fail Luhn and are still valid; a status of
    VALID_LEGACY_EXCEPTION for them needs the list of those numbers, which only the Junta
    Central Electoral (JCE) can supply under terms the project can use (the copy in
    python-stdnum is LGPL). Until the JCE provides it, such numbers are INVALID_CHECKSUM,
    which the hub treats as a warning, never a rejection.
    """
    alg = ALGORITHMS[DO_CI]
    s = normalize(value)
    if len(s) != 11 or not _is_digits(s):
        return IdCheck(INVALID_FORMAT, alg, s, _shape_message(s, "11 digits"))
    expected = luhn_check_digit(s[:10])
    if int(s[10]) != expected:
        return IdCheck(INVALID_CHECKSUM, alg, s, f"Luhn check digit {s[10]}, expected {expected}")
    return IdCheck(VALID_CHECKSUM, alg, s, _LUHN_MATCHES[expected])


# --------------------------------------------------------------------------- Guatemala

# Number of municipalities per department 01..22 (RENAP numbering).
GT_MUNICIPALITIES: Final[tuple[int, ...]] = (
    17, 8, 16, 16, 13, 14, 19, 8, 24, 21, 9, 30, 32, 21, 8, 17, 14, 5, 11, 11, 7, 17,
)


_GT_WEIGHTS: Final = (2, 3, 4, 5, 6, 7, 8, 9)
_GT_WEIGHT_TOTAL: Final = sum(_GT_WEIGHTS)


def gt_check_digit(serial: str) -> int:
    """Mod-11 remainder of the 8-digit serial with weights 2..9; 10 means "no valid digit"."""
    return _weighted_sum(serial, _GT_WEIGHTS, _GT_WEIGHT_TOTAL) % 11


def validate_gt_cui(value: str) -> IdCheck:
    """GT DPI/CUI: 8-digit serial, check digit, department 01–22, municipality in range.

    The check digit covers only the serial, so a wrong department or municipality is
    caught by the range tables, not by the checksum.
    """
    alg = ALGORITHMS[GT_CUI]
    s = normalize(value)
    if len(s) != 13 or not _is_digits(s):
        return IdCheck(INVALID_FORMAT, alg, s, _shape_message(s, "13 digits"))
    dept, muni = int(s[9:11]), int(s[11:13])
    if not 1 <= dept <= len(GT_MUNICIPALITIES):
        return IdCheck(INVALID_COMPONENT, alg, s, f"department {s[9:11]} is not 01-22")
    limit = GT_MUNICIPALITIES[dept - 1]
    if not 1 <= muni <= limit:
        return IdCheck(INVALID_COMPONENT, alg, s,
                       f"municipality {s[11:13]} is not 01-{limit:02d} for department {s[9:11]}")
    r = gt_check_digit(s[:8])
    if r == 10:
        return IdCheck(INVALID_CHECKSUM, alg, s,
                       "serial gives remainder 10, which no check digit encodes")
    if int(s[8]) != r:
        return IdCheck(INVALID_CHECKSUM, alg, s, f"check digit {s[8]}, expected {r}")
    return IdCheck(VALID_CHECKSUM, alg, s, _MATCHES[r])


# --------------------------------------------------------------------------- registry

VALIDATORS: Final[dict[DocType, Callable[[str], IdCheck]]] = {
    CO_CC: validate_co_cedula,
    PE_DNI: validate_pe_dni,
    EC_CI: validate_ec_cedula,
    UY_CI: validate_uy_ci,
    MX_CURP: validate_mx_curp,
    DO_CI: validate_do_cedula,
    GT_CUI: validate_gt_cui,
}


def validate(doc_type: DocType, value: str) -> IdCheck:
    """Validate ``value`` as ``doc_type``; schemes without a public rule are NOT_VALIDATED."""
    validator = VALIDATORS.get(doc_type) if isinstance(doc_type, int) else None
    if validator is None:
        try:
            name = common_pb2.IdDocumentType.Name(doc_type)
        except (ValueError, TypeError):
            name = repr(doc_type)
        return IdCheck(NOT_VALIDATED, "", normalize(value),
                       f"no public validation rule for {name}")
    return validator(value)


# --------------------------------------------------------------------------- generators


class IdHints(TypedDict, total=False):
    """Facts about the person that an id encodes; each generator uses what applies."""

    given_names: str
    first_surname: str
    second_surname: str
    birth_date: date
    female: bool
    mx_state: str  # CURP state code, e.g. "JC"; "NE" = born abroad
    ec_province: int  # 1..24
    gt_department: int  # 1..22
    gt_municipality: int
    pe_check: str  # "none", "digit" or "letter"


def _digits(rng: random.Random, n: int) -> str:
    # random() has 53 bits, ample for the ≤ 8 digits drawn here; cheaper than randrange.
    return str(int(rng.random() * 10**n)).zfill(n)


def _birth_year(hints: IdHints, rng: random.Random) -> int:
    bd = hints.get("birth_date")
    return bd.year if bd is not None else rng.randint(1950, 2006)


def _gen_co(rng: random.Random, hints: IdHints) -> str:
    # Cédulas issued from the 2000s onwards have 10 digits starting "10"/"11"; older men
    # carry 8 digits (e.g. 79/80 million in Bogotá), older women other 8-digit ranges.
    year = _birth_year(hints, rng)
    if year >= 1985:
        return str(rng.randrange(1_000_000_000, 1_130_000_000))
    if year < 1945 and rng.random() < 0.5:
        return str(rng.randrange(100_000, 9_999_999))
    if hints.get("female", False):
        lead = rng.choice((20, 21, 24, 30, 31, 32, 39, 41, 42, 43, 51, 52))
    else:
        lead = rng.choice((1, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 70, 71, 72,
                           73, 75, 76, 77, 79, 80, 85, 86, 88, 91, 93, 94, 98))
    return f"{lead}{_digits(rng, 6)}"


def _gen_pe(rng: random.Random, hints: IdHints) -> str:
    base = _digits(rng, 8)
    form = hints.get("pe_check") or ("none", "none", "digit", "letter")[int(rng.random() * 4)]
    if form == "none":
        return base
    digit, letter = pe_check_characters(base)
    return base + (digit if form == "digit" else letter)


def _gen_ec(rng: random.Random, hints: IdHints) -> str:
    province = hints.get("ec_province") or rng.randint(1, 24)
    first9 = f"{province:02d}{int(rng.random() * 6)}{_digits(rng, 6)}"
    return first9 + str(_ec_check(first9))


def _gen_uy(rng: random.Random, hints: IdHints) -> str:
    year = _birth_year(hints, rng)
    low, high = (300_000, 999_999) if year < 1945 else (1_000_000, 6_500_000)
    base = str(low + int(rng.random() * (high - low)))
    return base + str(uy_check_digit(base))


# Municipality-of-issue prefixes (001 = Distrito Nacional; 402 = the newer JCE series).
_DO_PREFIXES: Final = ("001", "001", "001", "002", "003", "004", "008", "011", "012", "013", "023",
                       "026", "028", "031", "031", "037", "047", "048", "056", "068", "071", "093",
                       "223", "224", "225", "402", "402")


def _gen_do(rng: random.Random, hints: IdHints) -> str:
    prefix = _DO_PREFIXES[int(rng.random() * len(_DO_PREFIXES))]
    first10 = prefix + _digits(rng, 7)
    return first10 + str(luhn_check_digit(first10))


def _gen_gt(rng: random.Random, hints: IdHints) -> str:
    dept = hints.get("gt_department") or 1 + int(rng.random() * len(GT_MUNICIPALITIES))
    muni = hints.get("gt_municipality") or 1 + int(rng.random() * GT_MUNICIPALITIES[dept - 1])
    while True:
        serial = _digits(rng, 8)
        r = gt_check_digit(serial)
        if r != 10:
            return f"{serial}{r}{dept:02d}{muni:02d}"


# --- CURP name key (RENAPO rules, simplified to what synthetic names need)

_ACCENTS: Final = str.maketrans("ÁÉÍÓÚÀÈÌÒÙÄËÏÖÜÂÊÎÔÛÑ", "AEIOUAEIOUAEIOUAEIOUX")
_PARTICLES: Final = frozenset(
    (
        "DA", "DAS", "DE", "DEL", "DER", "DI", "DIE", "DD", "EL", "LA", "LOS", "LAS", "LE", "LES",
        "MAC", "MC", "VAN", "VON", "Y",
    )
)
_SKIPPED_FIRST_NAMES: Final = frozenset({"MARIA", "MA", "JOSE", "J", "M"})
_VOWELS: Final = "AEIOU"


def _first_internal(word: str, vowels: bool) -> str:
    for ch in word[1:]:
        if (ch in _VOWELS) == vowels:
            return ch
    return "X"


@lru_cache(maxsize=4096)
def _surname_key(text: str) -> tuple[str, str, str]:
    """(initial, first internal vowel, first internal consonant) of a surname; '' initial if none."""
    words = [w for w in re.split(r"[\s\-/.']+", text.upper().translate(_ACCENTS)) if w]
    keep = [w for w in words if w not in _PARTICLES] or words
    word = "".join(ch for ch in (keep[0] if keep else "") if "A" <= ch <= "Z")
    if not word:
        return "", "X", "X"
    return word[0], _first_internal(word, vowels=True), _first_internal(word, vowels=False)


@lru_cache(maxsize=4096)
def _given_key(text: str) -> tuple[str, str]:
    """(initial, first internal consonant) of the given name that counts for the CURP."""
    names = [w for w in text.upper().translate(_ACCENTS).split() if w]
    if len(names) > 1 and names[0].rstrip(".") in _SKIPPED_FIRST_NAMES:
        names = names[1:]
    word = "".join(ch for ch in (names[0] if names else "") if "A" <= ch <= "Z")
    if not word:
        return "X", "X"
    return word[0], _first_internal(word, vowels=False)


def curp_name_key(first_surname: str, second_surname: str, given_names: str) -> tuple[str, str]:
    """(first four letters, three internal consonants) of a CURP for these names.

    First surname: initial + first internal vowel; second surname: initial (X if none);
    given name: initial, skipping a leading MARÍA/JOSÉ when another name follows.
    Particles (DE, DEL, LA, …) are skipped; Ñ becomes X; inconvenient words get X.
    """
    i1, v1, c1 = _surname_key(first_surname)
    i2, _, c2 = _surname_key(second_surname)
    ig, cg = _given_key(given_names)
    letters = (i1 or "X") + v1 + (i2 or "X") + ig
    if letters in _CURP_INCONVENIENT:
        letters = letters[0] + "X" + letters[2:]
    return letters, c1 + c2 + cg


_MX_FALLBACK_SURNAMES: Final = ("HERNANDEZ", "GARCIA", "MARTINEZ", "LOPEZ", "GONZALEZ", "PEREZ",
                                "RODRIGUEZ", "SANCHEZ", "RAMIREZ", "CRUZ", "FLORES", "GOMEZ")
_MX_FALLBACK_NAMES: Final = ("JUAN", "JOSE LUIS", "MIGUEL ANGEL", "FRANCISCO", "JESUS", "ALEJANDRO",
                             "MARIA GUADALUPE", "ROSA", "ANA", "VERONICA")


def _gen_mx(rng: random.Random, hints: IdHints) -> str:
    first = hints.get("first_surname") or rng.choice(_MX_FALLBACK_SURNAMES)
    second = hints.get("second_surname", None)
    if second is None:
        second = rng.choice(_MX_FALLBACK_SURNAMES)
    given = hints.get("given_names") or rng.choice(_MX_FALLBACK_NAMES)
    bd = hints.get("birth_date")
    if bd is None:
        bd = date.fromordinal(rng.randint(date(1940, 1, 1).toordinal(), date(2007, 12, 31).toordinal()))
    female = hints.get("female", False)
    state = hints.get("mx_state") or _CURP_STATE_LIST[int(rng.random() * len(_CURP_STATE_LIST))]
    letters, consonants = curp_name_key(first, second, given)
    # Homonymy key: a digit for births before 2000, a letter from 2000; mostly 0 / A.
    if bd.year < 2000:
        diff = "0" if rng.random() < 0.85 else str(rng.randint(1, 9))
    else:
        diff = "A" if rng.random() < 0.85 else rng.choice("BCDEFGH")
    first17 = (f"{letters}{bd.year % 100:02d}{bd.month:02d}{bd.day:02d}{'M' if female else 'H'}"
               f"{state}{consonants}{diff}")
    return first17 + str(curp_check_digit(first17))


GENERATORS: Final[dict[DocType, Callable[[random.Random, IdHints], str]]] = {
    CO_CC: _gen_co,
    PE_DNI: _gen_pe,
    EC_CI: _gen_ec,
    UY_CI: _gen_uy,
    MX_CURP: _gen_mx,
    DO_CI: _gen_do,
    GT_CUI: _gen_gt,
}


def generate_id(doc_type: DocType, rng: random.Random, **hints: Unpack[IdHints]) -> str:
    """A synthetic id (normalised form) that passes ``doc_type``'s validator.

    Deterministic for a given ``rng`` state and hints. Hints make the id consistent with
    the person (the CURP encodes names, birth date, sex and state; a GT CUI encodes the
    department and municipality of registration). Raises ValueError for schemes without
    a generator (passports, foreigners' documents).
    """
    generator = GENERATORS.get(doc_type)
    if generator is None:
        raise ValueError(f"no synthetic generator for document type {doc_type}")
    return generator(rng, hints)
