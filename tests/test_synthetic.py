"""Synthetic inmate profiles: determinism, independence, realism, valid ids, constant memory."""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections import Counter
from itertools import islice
from pathlib import Path

import pytest

from adapters import ids
from adapters.countries import COUNTRY_SPECS
from adapters.samples.synthetic import (
    AGE_BANDS,
    DEFAULT_AS_OF,
    ORGANISATIONS,
    ProfileGenerator,
    generate_profiles,
)
from adapters.spec import ICCS_LABELS
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

MEMBERS = sorted(COUNTRY_SPECS)
ROWS_PER_MEMBER = 3000


def _bytes(p: pb.InmateSecurityProfile) -> bytes:
    return p.SerializeToString(deterministic=True)


def _age(p: pb.InmateSecurityProfile) -> int:
    b = p.identity.birth_date
    day = b.day or 1
    return DEFAULT_AS_OF.year - b.year - ((DEFAULT_AS_OF.month, DEFAULT_AS_OF.day) < (b.month, day))


@pytest.fixture(scope="module")
def samples() -> dict[str, list[pb.InmateSecurityProfile]]:
    return {m: list(generate_profiles(m, ROWS_PER_MEMBER, seed=2025)) for m in MEMBERS}


# ---------------------------------------------------------------- API and determinism


def test_the_seven_members_are_covered() -> None:
    assert MEMBERS == ["CO-INPEC", "DO-DGSPC", "EC-SNAI", "GT-DGSP", "MX-OADPRS", "PE-INPE", "UY-INR"]
    with pytest.raises(ValueError, match="unknown member id 'XX-NONE'"):
        ProfileGenerator("XX-NONE", 1)
    with pytest.raises(ValueError, match="count must be non-negative"):
        next(generate_profiles("PE-INPE", -1, seed=1))
    assert list(generate_profiles("PE-INPE", 0, seed=1)) == []


@pytest.mark.parametrize("member", MEMBERS)
def test_same_seed_same_rows_other_seed_other_rows(member: str) -> None:
    first = [_bytes(p) for p in generate_profiles(member, 40, seed=7)]
    again = [_bytes(p) for p in generate_profiles(member, 40, seed=7)]
    other = [_bytes(p) for p in generate_profiles(member, 40, seed=8)]
    assert first == again
    assert all(a != b for a, b in zip(first, other, strict=True))
    assert len(set(first)) == len(first)


def test_rows_are_independent_and_streams_resume() -> None:
    stream = [_bytes(p) for p in generate_profiles("MX-OADPRS", 30, seed=99)]
    gen = ProfileGenerator("MX-OADPRS", 99)
    # Any row, in any order, from a fresh generator equals the streamed row.
    for i in (29, 3, 17, 0, 3):
        assert _bytes(gen.profile(i)) == stream[i]
    assert _bytes(ProfileGenerator("MX-OADPRS", 99).profile(12)) == stream[12]
    # Resuming at the next undelivered row gives exactly the rest of the stream.
    resumed = [_bytes(p) for p in generate_profiles("MX-OADPRS", 18, seed=99, start=12)]
    assert resumed == stream[12:]
    # Members are independent populations even for the same seed and row.
    assert _bytes(ProfileGenerator("PE-INPE", 99).profile(0)) != stream[0]


def test_profile_ids_and_subject_ids_are_unique(samples: dict[str, list[pb.InmateSecurityProfile]]) -> None:
    for member, rows in samples.items():
        assert len({p.profile_id for p in rows}) == len(rows)
        assert len({p.custodian_subject_id for p in rows}) == len(rows)
        assert {p.custodian for p in rows} == {member}


# ---------------------------------------------------------------- realism


def test_age_distribution_matches_the_target(samples: dict[str, list[pb.InmateSecurityProfile]]) -> None:
    target = sum(share for lo, hi, share in AGE_BANDS if hi <= 34)
    assert target == pytest.approx(0.52)
    everyone = [_age(p) for rows in samples.values() for p in rows]
    assert min(everyone) >= 18
    assert max(everyone) <= 75
    assert sum(18 <= a <= 34 for a in everyone) / len(everyone) == pytest.approx(target, abs=0.015)
    for member, rows in samples.items():
        young = sum(18 <= _age(p) <= 34 for p in rows) / len(rows)
        assert young == pytest.approx(target, abs=0.04), member


def test_mostly_men_with_country_shares(samples: dict[str, list[pb.InmateSecurityProfile]]) -> None:
    overall = Counter(p.identity.sex for rows in samples.values() for p in rows)
    assert overall[pb.SEX_MALE] / overall.total() == pytest.approx(0.93, abs=0.02)
    for member, rows in samples.items():
        women = sum(p.identity.sex == pb.SEX_FEMALE for p in rows) / len(rows)
        assert women == pytest.approx(COUNTRY_SPECS[member].female_share, abs=0.02), member


def test_national_ids_are_valid_and_match_the_person(
    samples: dict[str, list[pb.InmateSecurityProfile]],
) -> None:
    for member, rows in samples.items():
        spec = COUNTRY_SPECS[member]
        component = {(r.iso, r.locality): r.id_component for r in spec.regions}
        for p in rows:
            national = [i for i in p.identifiers if i.type in ids.VALIDATORS]
            nationality = p.identity.nationalities_iso2[0]
            if nationality == spec.iso2:
                assert [i.type for i in national] == [spec.id_type]
            for ident in national:
                check = ids.validate(ident.type, ident.value)
                assert check.ok, (member, ident)
                assert (check.status, check.algorithm, check.normalized) == (
                    ident.validation,
                    ident.validation_algorithm,
                    ident.value,
                )
            for ident in p.identifiers:
                if ident.type not in ids.VALIDATORS:
                    assert ident.validation == common_pb2.ID_VALIDATION_STATUS_NOT_VALIDATED
            if nationality != spec.iso2:
                continue
            value = national[0].value
            ident_ = p.identity
            place = component[(ident_.birth_place.subdivision_code, ident_.birth_place.locality)]
            if spec.id_type == ids.MX_CURP:
                letters, consonants = ids.curp_name_key(
                    ident_.first_surname, ident_.second_surname, ident_.given_names
                )
                assert value[:4] == letters and value[13:16] == consonants
                b = ident_.birth_date
                assert value[4:8] == f"{b.year % 100:02d}{b.month:02d}"
                if b.day:
                    assert value[8:10] == f"{b.day:02d}"
                assert value[10] == ("M" if ident_.sex == pb.SEX_FEMALE else "H")
                assert value[11:13] == place
            elif spec.id_type == ids.GT_CUI:
                assert f"{value[9:11]}-{value[11:13]}" == place
            elif spec.id_type == ids.EC_CI:
                assert value[:2] == place


def test_injected_id_errors_are_flagged_by_the_validator() -> None:
    gen = ProfileGenerator("DO-DGSPC", 5, id_error_rate=1.0)
    statuses = Counter(
        i.validation for n in range(200) for i in gen.profile(n).identifiers if i.type == ids.DO_CI
    )
    # Luhn catches every single-digit substitution, and the stored status says so.
    assert set(statuses) == {common_pb2.ID_VALIDATION_STATUS_INVALID_CHECKSUM}
    assert statuses.total() >= 180
    clean = ProfileGenerator("DO-DGSPC", 5)
    assert all(
        i.validation == common_pb2.ID_VALIDATION_STATUS_VALID_CHECKSUM
        for n in range(200)
        for i in clean.profile(n).identifiers
        if i.type == ids.DO_CI
    )


def test_offences_custody_and_classification_are_coherent(
    samples: dict[str, list[pb.InmateSecurityProfile]],
) -> None:
    legal = {
        pb.PERSON_STATUS_PRETRIAL_DETAINEE: pb.LEGAL_STATUS_PRETRIAL,
        pb.PERSON_STATUS_SENTENCED: pb.LEGAL_STATUS_CONVICTED_FINAL,
        pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING: pb.LEGAL_STATUS_CONVICTED_FIRST_INSTANCE,
    }
    for member, rows in samples.items():
        spec = COUNTRY_SPECS[member]
        offences = {o.code: o for o in spec.offences}
        facilities = {f.code: f for f in spec.facilities}
        levels = {(int(lv.level), lv.code, lv.label) for lv in spec.levels}
        for p in rows:
            c = p.custody
            assert c.legal_status == legal[p.person_status]
            assert 1 <= len(c.charges) <= 3
            for ch in c.charges:
                assert ch.iccs_code in ICCS_LABELS
                assert ch.national_offence.scheme == spec.offence_scheme
                off = offences[ch.national_offence.code]
                assert (ch.iccs_code, ch.national_offence.label) == (off.iccs, off.label)
            convicted = p.person_status != pb.PERSON_STATUS_PRETRIAL_DETAINEE
            assert len(c.sentences) == int(convicted)
            if convicted:
                assert list(c.sentences[0].charge_iccs_codes) == [ch.iccs_code for ch in c.charges]
            facility = facilities[c.facility_code]
            assert c.facility_name == facility.name
            assert facility.women if p.identity.sex == pb.SEX_FEMALE else facility.men
            sc = p.security_classification
            assert sc.national_level.scheme == spec.level_scheme
            assert (sc.level, sc.national_level.code, sc.national_level.label) in levels
            admitted = (c.admitted_on.year, c.admitted_on.month, c.admitted_on.day)
            assert admitted >= (c.arrested_on.year, c.arrested_on.month, c.arrested_on.day)
            assert c.admitted_on.year - p.identity.birth_date.year >= 17


def test_affiliations_use_the_shared_registry(samples: dict[str, list[pb.InmateSecurityProfile]]) -> None:
    for member, rows in samples.items():
        share = sum(bool(p.affiliations) for p in rows) / len(rows)
        assert 0.005 < share < 0.25, (member, share)
        for p in rows:
            links = {s.linked_affiliation_id for s in p.identity.physical.smt if s.linked_affiliation_id}
            for a in p.affiliations:
                assert ORGANISATIONS[a.organisation_ref].name == a.organisation_name
                assert a.bases and a.source_reliability and a.information_assessment
                confidential = pb.AFFILIATION_BASIS_CONFIDENTIAL_SOURCE in a.bases
                assert bool(a.source_handle) == confidential
                if pb.AFFILIATION_BASIS_TATTOOS_OR_SYMBOLS in a.bases:
                    assert a.assertion_id in links
                assert bool(a.validated_on.year) == (a.status == pb.ASSERTION_STATUS_VALIDATED)


def test_members_differ(samples: dict[str, list[pb.InmateSecurityProfile]]) -> None:
    def top_orgs(member: str) -> set[str]:
        counts = Counter(a.organisation_ref for p in samples[member] for a in p.affiliations)
        return {ref for ref, _ in counts.most_common(2)}

    assert top_orgs("EC-SNAI") == {"org:los-choneros", "org:los-lobos"}
    assert top_orgs("GT-DGSP") == {"org:barrio-18", "org:ms-13"}
    assert top_orgs("MX-OADPRS") <= {"org:cjng", "org:cartel-de-sinaloa"}
    top_offence = {
        m: Counter(p.custody.charges[0].iccs_code for p in rows).most_common(1)[0][0]
        for m, rows in samples.items()
    }
    assert top_offence["PE-INPE"] == "0401"  # robo agravado
    assert top_offence["MX-OADPRS"] == "0601"  # delitos contra la salud
    pretrial = {
        m: sum(p.person_status == pb.PERSON_STATUS_PRETRIAL_DETAINEE for p in rows) / len(rows)
        for m, rows in samples.items()
    }
    assert pretrial["GT-DGSP"] > pretrial["PE-INPE"] > pretrial["UY-INR"]
    languages = {
        m: Counter(t for p in rows for t in p.identity.languages_bcp47) for m, rows in samples.items()
    }
    assert languages["GT-DGSP"]["quc"] > 0 and languages["PE-INPE"]["qu"] > 0
    assert len({COUNTRY_SPECS[m].id_type for m in MEMBERS}) == 7


def test_every_sensitivity_tier_has_data(samples: dict[str, list[pb.InmateSecurityProfile]]) -> None:
    # Projection tests downstream need each tier populated somewhere in a sample.
    rows = samples["MX-OADPRS"] + samples["EC-SNAI"]
    assert any(p.contacts for p in rows)  # THIRD_PARTY
    assert any(p.identity.parent_names for p in rows)  # THIRD_PARTY
    assert any(p.care_alerts for p in rows)  # HEALTH
    assert any(p.self_perceived_gender for p in rows)  # SPECIAL_CATEGORY
    assert any(a.source_handle for p in rows for a in p.affiliations)  # SOURCE_PROTECTION
    assert all(p.biometrics for p in rows)  # BIOMETRIC references, never samples
    assert not any(b.sample for p in rows for b in p.biometrics)
    assert any(p.international_alerts for p in rows)


# ---------------------------------------------------------------- constant memory


def _rss_bytes() -> int:
    statm = Path("/proc/self/statm")
    if not statm.exists():
        pytest.skip("needs /proc/self/statm")
    return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _drain(member: str, count: int, seed: int, start: int = 0) -> None:
    for _ in generate_profiles(member, count, seed=seed, start=start):
        pass


def test_streaming_peak_is_small_under_tracemalloc() -> None:
    # tracemalloc slows protobuf building ~20x and misses upb arenas, so it checks a short
    # stream here; the RSS test below covers a long one.
    gen = ProfileGenerator("GT-DGSP", 3)
    for i in range(500):  # warm the bounded date cache and lazy tables
        gen.profile(i)
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        for i in range(500, 1300):
            gen.profile(i)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - base < 4 * 1024 * 1024


def test_long_stream_does_not_grow_memory() -> None:
    _drain("MX-OADPRS", 3000, seed=4)  # warm-up
    gc.collect()
    before = _rss_bytes()
    _drain("MX-OADPRS", 30_000, seed=4, start=3000)
    gc.collect()
    grown = _rss_bytes() - before
    # Keeping the rows would need well over 45 MB; the date cache is bounded (16k days).
    assert grown < 16 * 1024 * 1024, grown


@pytest.mark.slow
def test_two_hundred_thousand_profiles_in_constant_memory(request: pytest.FixtureRequest) -> None:
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("about 15 s: run with -m slow")
    _drain("PE-INPE", 5000, seed=5)
    gc.collect()
    before = _rss_bytes()
    count = sum(1 for _ in islice(generate_profiles("PE-INPE", 200_000, seed=5, start=5000), 200_000))
    gc.collect()
    assert count == 200_000
    assert _rss_bytes() - before < 16 * 1024 * 1024
