"""National id validation (domain model §6): test vectors, precise messages, properties."""

from __future__ import annotations

import random
import string
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import ids
from pxhub.v1 import common_pb2

S = common_pb2
VALID_CHECKSUM = S.ID_VALIDATION_STATUS_VALID_CHECKSUM
VALID_FORMAT_ONLY = S.ID_VALIDATION_STATUS_VALID_FORMAT_ONLY
INVALID_FORMAT = S.ID_VALIDATION_STATUS_INVALID_FORMAT
INVALID_CHECKSUM = S.ID_VALIDATION_STATUS_INVALID_CHECKSUM
INVALID_COMPONENT = S.ID_VALIDATION_STATUS_INVALID_COMPONENT
NOT_VALIDATED = S.ID_VALIDATION_STATUS_NOT_VALIDATED

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------- domain model §6 vectors

SECTION_6_VECTORS = [
    (ids.EC_CI, "171430710-3", VALID_CHECKSUM),
    (ids.EC_CI, "1714307104", INVALID_CHECKSUM),
    (ids.PE_DNI, "10117410-2", VALID_CHECKSUM),
    (ids.PE_DNI, "10117410-G", VALID_CHECKSUM),
    (ids.PE_DNI, "10117410-3", INVALID_CHECKSUM),
    (ids.PE_DNI, "10117410", VALID_FORMAT_ONLY),
    (ids.DO_CI, "001-1391820-5", VALID_CHECKSUM),
    (ids.DO_CI, "00113918204", INVALID_CHECKSUM),
    (ids.MX_CURP, "BOXW310820HNERXN09", VALID_CHECKSUM),
    (ids.MX_CURP, "BOXW310820HNERXN08", INVALID_CHECKSUM),
    (ids.UY_CI, "1.234.567-2", VALID_CHECKSUM),
    (ids.UY_CI, "1.234.567-8", INVALID_CHECKSUM),
    (ids.GT_CUI, "1234 56789 0101", VALID_CHECKSUM),
    (ids.GT_CUI, "2660507980909", INVALID_CHECKSUM),
    (ids.CO_CC, "1.020.304.050", VALID_FORMAT_ONLY),
]


@pytest.mark.parametrize(("doc_type", "value", "expected"), SECTION_6_VECTORS)
def test_domain_model_vectors(doc_type: int, value: str, expected: int) -> None:
    check = ids.validate(doc_type, value)  # type: ignore[arg-type]
    assert check.status == expected, check.message
    assert check.algorithm == ids.ALGORITHMS[doc_type]  # type: ignore[index]
    assert check.normalized == ids.normalize(value)


# ---------------------------------------------------------------- more known values

MORE_VECTORS = [
    # Colombia: digits only, 3..10 of them.
    (ids.CO_CC, "79.123.456", VALID_FORMAT_ONLY, "format only"),
    (ids.CO_CC, "123", VALID_FORMAT_ONLY, "format only"),
    (ids.CO_CC, "12", INVALID_FORMAT, "expected 3 to 10 digits, got 2 digits"),
    (ids.CO_CC, "12345678901", INVALID_FORMAT, "expected 3 to 10 digits, got 11 digits"),
    (ids.CO_CC, "80.1234.56O", INVALID_FORMAT, "character 'O' at position 9 is not a digit"),
    (ids.CO_CC, "", INVALID_FORMAT, "empty after normalising"),
    # Peru: wrong check character in either printed form, and a character of neither form.
    (
        ids.PE_DNI,
        "10117410-H",
        INVALID_CHECKSUM,
        "check character H, expected G (letter form) or 2 (digit form)",
    ),
    (ids.PE_DNI, "10117410-Z", INVALID_FORMAT, "neither a digit nor one of KJIHGFEDCBA"),
    (ids.PE_DNI, "1011741", INVALID_FORMAT, "got 7 digits"),
    (ids.PE_DNI, "1011741O", INVALID_FORMAT, "character 'O' at position 8 is not a digit"),
    # Ecuador: province and natural-person digit, then the check digit.
    (ids.EC_CI, "1710034065", VALID_CHECKSUM, "check digit 5 matches"),
    (ids.EC_CI, "2510034065", INVALID_COMPONENT, "province 25 is not 01-24 or 30"),
    (ids.EC_CI, "1760034065", INVALID_COMPONENT, "third digit 6 is not below 6"),
    (ids.EC_CI, "171003406", INVALID_FORMAT, "expected 10 digits, got 9 digits"),
    # Uruguay: 6-digit base is left-padded; the message names both digits.
    (ids.UY_CI, "123.456-1", VALID_CHECKSUM, "check digit 1 matches"),
    (ids.UY_CI, "1.234.567-8", INVALID_CHECKSUM, "check digit 8, expected 2"),
    (ids.UY_CI, "123456", INVALID_FORMAT, "got 6 digits"),
    # Mexico: a CURP derived by hand from its holder's data (Gloria Hernández García,
    # 27 April 1956, woman, Veracruz) and the components that can break.
    (ids.MX_CURP, "HEGG560427MVZRRL04", VALID_CHECKSUM, "check digit 4 matches"),
    (ids.MX_CURP, "hegg-560427-mvz-rrl-04", VALID_CHECKSUM, "check digit 4 matches"),
    (ids.MX_CURP, "HEGG560427MXXRRL04", INVALID_COMPONENT, "state XX is not a RENAPO state code"),
    (ids.MX_CURP, "HEGG560427XVZRRL04", INVALID_COMPONENT, "sex 'X' is not H or M"),
    (ids.MX_CURP, "HEGG560230MVZRRL04", INVALID_COMPONENT, "birth date 560230 is not a real date"),
    (ids.MX_CURP, "HEGG560427MVZRAL04", INVALID_FORMAT, "position 15 is 'A'"),
    (ids.MX_CURP, "HEGG560427MVZRRL0", INVALID_FORMAT, "expected 18 characters, got 17"),
    (ids.MX_CURP, "PUTO560427MVZRRL04", INVALID_COMPONENT, "PUTO are a word RENAPO replaces"),
    # Dominican Republic: Luhn over 11 digits.
    (ids.DO_CI, "00113918205", VALID_CHECKSUM, "Luhn check digit 5 matches"),
    (ids.DO_CI, "0011391820", INVALID_FORMAT, "expected 11 digits, got 10 digits"),
    # Guatemala: department and municipality ranges, remainder 10.
    (ids.GT_CUI, "1234567890117", VALID_CHECKSUM, "check digit 9 matches"),
    (ids.GT_CUI, "1234567890118", INVALID_COMPONENT, "municipality 18 is not 01-17 for department 01"),
    (ids.GT_CUI, "1234567892301", INVALID_COMPONENT, "department 23 is not 01-22"),
    (ids.GT_CUI, "1234567890001", INVALID_COMPONENT, "department 00 is not 01-22"),
    (ids.GT_CUI, "0000000600101", INVALID_CHECKSUM, "remainder 10"),
    (ids.GT_CUI, "1234567800101", INVALID_CHECKSUM, "check digit 0, expected 9"),
]


@pytest.mark.parametrize(("doc_type", "value", "expected", "message"), MORE_VECTORS)
def test_known_values_and_precise_messages(doc_type: int, value: str, expected: int, message: str) -> None:
    check = ids.validate(doc_type, value)  # type: ignore[arg-type]
    assert check.status == expected, check
    assert message in check.message


def test_gt_remainder_ten_vector_really_has_remainder_ten() -> None:
    assert ids.gt_check_digit("00000006") == 10  # 6·9 = 54 = 4·11 + 10


def test_ec_province_30_is_accepted() -> None:
    first9 = "301003406"
    value = first9 + str(ids._ec_check(first9))
    assert ids.validate_ec_cedula(value).status == VALID_CHECKSUM


def test_nit_check_digit_of_the_tax_authority() -> None:
    # DIAN's own NIT is 800.197.268-4; the DV belongs to the NIT, not to the cédula.
    assert ids.co_nit_check_digit("800197268") == 4


def test_curp_name_key_follows_renapo_rules() -> None:
    assert ids.curp_name_key("Hernández", "García", "Gloria") == ("HEGG", "RRL")
    # Particles skipped, Ñ -> X, a leading MARÍA/JOSÉ gives way to the second name.
    assert ids.curp_name_key("de la Peña", "Núñez", "María José") == ("PENJ", "XXS")
    # No second surname -> X; inconvenient words get X as second letter.
    assert ids.curp_name_key("Ruiz", "", "José") == ("RUXJ", "ZXS")
    assert ids.curp_name_key("Puente", "Tapia", "Oscar")[0] == "PXTO"


def test_unknown_and_unvalidated_schemes() -> None:
    check = ids.validate(S.ID_DOCUMENT_TYPE_PASSPORT, " ab 123-456 ")
    assert check.status == NOT_VALIDATED
    assert check.normalized == "AB123456"
    assert "no public validation rule for ID_DOCUMENT_TYPE_PASSPORT" in check.message
    assert ids.validate(999, "1").status == NOT_VALIDATED  # type: ignore[arg-type]


def test_normalize() -> None:
    assert ids.normalize(" 001-1391820_5 ") == "00113918205"
    assert ids.normalize("hegg.560427/mvz") == "HEGG560427MVZ"
    assert ids.normalize("1\u00a0234\u2013567") == "1234567"
    assert ids.normalize("\t12\n34\r") == "1234"


def test_check_results_are_immutable() -> None:
    check = ids.validate_uy_ci("1.234.567-2")
    assert check.ok
    with pytest.raises(AttributeError):
        check.status = INVALID_FORMAT  # type: ignore[misc]


def test_validators_registry_covers_the_seven_schemes() -> None:
    assert set(ids.VALIDATORS) == {
        ids.CO_CC,
        ids.PE_DNI,
        ids.EC_CI,
        ids.UY_CI,
        ids.MX_CURP,
        ids.DO_CI,
        ids.GT_CUI,
    }
    assert set(ids.GENERATORS) == set(ids.VALIDATORS)


def test_generate_id_rejects_schemes_without_generator() -> None:
    with pytest.raises(ValueError, match="no synthetic generator"):
        ids.generate_id(S.ID_DOCUMENT_TYPE_PASSPORT, random.Random(1))


# ---------------------------------------------------------------- properties

ALL_TYPES = st.sampled_from([*ids.VALIDATORS, S.ID_DOCUMENT_TYPE_PASSPORT, 0, 12345])
ID_LIKE = st.text(alphabet=string.digits + string.ascii_letters + " .-_/&Ññ٣²", max_size=24)


@FAST
@given(doc_type=ALL_TYPES, value=st.one_of(st.text(), ID_LIKE))
def test_validators_never_raise(doc_type: int, value: str) -> None:
    check = ids.validate(doc_type, value)  # type: ignore[arg-type]
    assert isinstance(check.message, str)
    assert check.status in S.IdValidationStatus.values()
    if not check.ok:
        assert check.message  # every failure says why


@FAST
@given(value=st.text())
def test_normalize_is_idempotent(value: str) -> None:
    once = ids.normalize(value)
    assert ids.normalize(once) == once


EXPECTED_VALID = {
    ids.CO_CC: {VALID_FORMAT_ONLY},
    ids.PE_DNI: {VALID_FORMAT_ONLY, VALID_CHECKSUM},  # with or without the check character
}


@FAST
@given(doc_type=st.sampled_from(list(ids.GENERATORS)), seed=st.integers(0, 2**64))
def test_generated_ids_validate(doc_type: ids.DocType, seed: int) -> None:
    value = ids.generate_id(doc_type, random.Random(seed))
    check = ids.validate(doc_type, value)
    assert check.status in EXPECTED_VALID.get(doc_type, {VALID_CHECKSUM}), (value, check)
    assert check.normalized == value
    if doc_type == ids.PE_DNI:
        assert (check.status == VALID_CHECKSUM) == (len(value) == 9)


@FAST
@given(seed=st.integers(0, 2**64))
def test_generation_is_deterministic(seed: int) -> None:
    for doc_type in ids.GENERATORS:
        assert ids.generate_id(doc_type, random.Random(seed)) == ids.generate_id(
            doc_type, random.Random(seed)
        )


@FAST
@given(
    seed=st.integers(0, 2**32),
    born=st.dates(date(1930, 1, 1), date(2007, 12, 31)),
    female=st.booleans(),
    state=st.sampled_from(sorted(ids.CURP_STATES)),
)
def test_curp_is_consistent_with_the_person(seed: int, born: date, female: bool, state: str) -> None:
    curp = ids.generate_id(
        ids.MX_CURP,
        random.Random(seed),
        given_names="María Guadalupe",
        first_surname="Ramírez",
        second_surname="de la Cruz",
        birth_date=born,
        female=female,
        mx_state=state,
    )
    assert ids.validate_mx_curp(curp).status == VALID_CHECKSUM
    assert curp[:4] == "RACG" and curp[13:16] == "MRD"
    assert curp[4:10] == f"{born:%y%m%d}"
    assert curp[10] == ("M" if female else "H")
    assert curp[11:13] == state
    assert curp[16].isdigit() == (born.year < 2000)


@FAST
@given(seed=st.integers(0, 2**32), dept=st.integers(1, 22), data=st.data())
def test_gt_cui_encodes_place_of_registration(seed: int, dept: int, data: st.DataObject) -> None:
    muni = data.draw(st.integers(1, ids.GT_MUNICIPALITIES[dept - 1]))
    cui = ids.generate_id(ids.GT_CUI, random.Random(seed), gt_department=dept, gt_municipality=muni)
    assert (int(cui[9:11]), int(cui[11:13])) == (dept, muni)


# A single substituted digit must be caught, except where the public algorithm is blind:
# these predicates encode exactly those blind spots, so the test also documents them.


def _uy_blind(value: str, pos: int, new: str) -> bool:
    if pos == len(value) - 1:
        return False
    padded_pos = pos + 7 - (len(value) - 1)
    weight = (2, 9, 8, 7, 6, 3, 4)[padded_pos]
    return (weight * (int(new) - int(value[pos]))) % 10 == 0


def _mx_blind(value: str, pos: int, new: str) -> bool:
    # Weight 18 - pos on digit values; weight 10 (position 9) and ±5 on even weights vanish mod 10.
    return pos < 17 and ((18 - pos) * (int(new) - int(value[pos]))) % 10 == 0


def _pe_blind(value: str, pos: int, new: str) -> bool:
    # The digit form prints "1" for remainders 5 and 6; the letter form is unambiguous.
    if len(value) != 9 or value[8].isalpha() or pos == 8:
        return False
    changed = value[:pos] + new + value[pos + 1 :]
    return {ids._pe_remainder(value[:8]), ids._pe_remainder(changed[:8])} == {5, 6}


CHECKSUMMED = {
    ids.PE_DNI: _pe_blind,
    ids.EC_CI: lambda v, p, n: False,
    ids.UY_CI: _uy_blind,
    ids.MX_CURP: _mx_blind,
    ids.DO_CI: lambda v, p, n: False,  # Luhn catches every single-digit substitution
    ids.GT_CUI: lambda v, p, n: False,  # weights 2..9 are invertible mod 11
}


@settings(max_examples=400, deadline=None)
@given(doc_type=st.sampled_from(list(CHECKSUMMED)), seed=st.integers(0, 2**64), data=st.data())
def test_single_changed_digit_is_detected(doc_type: ids.DocType, seed: int, data: st.DataObject) -> None:
    rng = random.Random(seed)
    hints: ids.IdHints = {"pe_check": "digit"} if doc_type == ids.PE_DNI else {}
    value = ids.generate_id(doc_type, rng, **hints)
    positions = [k for k, ch in enumerate(value) if ch.isdigit()]
    if doc_type == ids.GT_CUI:
        positions = [k for k in positions if k <= 8]  # the check covers serial + check digit only
    pos = data.draw(st.sampled_from(positions))
    new = data.draw(st.sampled_from([d for d in string.digits if d != value[pos]]))
    changed = value[:pos] + new + value[pos + 1 :]
    check = ids.validate(doc_type, changed)
    if CHECKSUMMED[doc_type](value, pos, new):
        # The blind spot is real: the checksum cannot see this change (a CURP date may
        # still catch it as an impossible day).
        assert check.status != INVALID_CHECKSUM, (value, changed, check)
        return
    assert not check.ok, (value, changed, check)


def test_gt_place_digits_are_outside_the_checksum() -> None:
    # Documented limitation: another valid municipality in the same department passes.
    assert ids.validate_gt_cui("1234567890102").status == VALID_CHECKSUM
