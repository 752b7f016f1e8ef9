"""Synthetic integrity audits and ethics training: determinism, anonymity, structure, round trips."""

from __future__ import annotations

import hashlib
import re
from functools import cache

import pytest
from google.protobuf import text_format

from adapters.samples.integrity import (
    ISO37001_7_3_TOPICS,
    MEMBER_IDS,
    coso_component,
    generate_ethics_training,
    generate_integrity_audits,
    iso37001_clause,
)
from pxhub.v1 import common_pb2, record_pb2
from pxhub.v1 import integrity_pb2 as ig

# Common Hispanic given names (and a few frequent compound-name parts). No finding may contain one.
GIVEN_NAMES = {
    "Alejandro", "Alberto", "Alfonso", "Álvaro", "Ana", "Andrea", "Andrés", "Antonio", "Beatriz", "Camila",
    "Carla", "Carlos", "Carmen", "Catalina", "Claudia", "Cristian", "Daniel", "Daniela", "David", "Diana",
    "Diego", "Eduardo", "Elena", "Emilio", "Enrique", "Ernesto", "Esteban", "Eugenia", "Fabián", "Felipe",
    "Fernanda", "Fernando", "Francisco", "Gabriel", "Gabriela", "Gerardo", "Guillermo", "Gustavo", "Héctor",
    "Hugo", "Ignacio", "Isabel", "Jaime", "Javier", "Jesús", "Jorge", "José", "Josefina", "Juan", "Juana",
    "Julia", "Julián", "Julio", "Laura", "Leonardo", "Lorena", "Luis", "Luisa", "Manuel", "Marcela",
    "Marcos", "Margarita", "María", "Mariana", "Mario", "Marta", "Martín", "Mauricio", "Miguel", "Mónica",
    "Natalia", "Nicolás", "Óscar", "Pablo", "Patricia", "Paula", "Pedro", "Rafael", "Ramón", "Raúl",
    "Ricardo", "Roberto", "Rodrigo", "Rosa", "Salvador", "Samuel", "Sandra", "Santiago", "Sebastián",
    "Sergio", "Silvia", "Sofía", "Teresa", "Tomás", "Valentina", "Verónica", "Víctor", "Ximena", "Yolanda",
}  # fmt: skip

SEED = 20250405


@cache
def _sample() -> tuple[ig.IntegrityAudit, ...]:
    return tuple(a for m in MEMBER_IDS for a in generate_integrity_audits(m, 25, SEED))


def _findings() -> list[ig.AuditFinding]:
    return [f for a in _sample() for f in a.findings]


def _finding_text(f: ig.AuditFinding) -> str:
    parts = [f.title, f.criteria, f.condition, f.cause, f.effect]
    parts += [e.description for e in f.evidence]
    for r in f.recommendations:
        parts += [r.text, r.management_comment, r.responsible_unit]
        parts += [m.description for m in r.milestones]
        parts += [u.evidence_summary + " " + u.reviewer_unit for u in r.follow_ups]
    return "\n".join(parts)


def _pd(d: common_pb2.PartialDate) -> tuple[int, int, int]:
    return (d.year, d.month, d.day)


# ---------------------------------------------------------------------------------------------
# Determinism and arguments
# ---------------------------------------------------------------------------------------------


def test_audits_are_deterministic_for_a_seed() -> None:
    a = [x.SerializeToString(deterministic=True) for x in generate_integrity_audits("PE-INPE", 8, 7)]
    b = [x.SerializeToString(deterministic=True) for x in generate_integrity_audits("PE-INPE", 8, 7)]
    c = [x.SerializeToString(deterministic=True) for x in generate_integrity_audits("PE-INPE", 8, 8)]
    assert a == b
    assert a != c
    # A longer run extends a shorter one.
    longer = [x.SerializeToString(deterministic=True) for x in generate_integrity_audits("PE-INPE", 12, 7)]
    assert longer[:8] == a
    # Ids are unique and carry the synthetic marker.
    ids = [x.audit_id for x in generate_integrity_audits("PE-INPE", 12, 7)]
    assert len(set(ids)) == 12 and all(i.startswith("SYN-PE-INPE-7-") for i in ids)


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown member id"):
        list(generate_integrity_audits("XX-NOPE", 1, 1))
    with pytest.raises(ValueError, match="count"):
        list(generate_integrity_audits("CO-INPEC", -1, 1))
    with pytest.raises(ValueError, match="unknown member id"):
        generate_ethics_training("CO_INPEC", 1)
    assert list(generate_integrity_audits("CO-INPEC", 0, 1)) == []


# ---------------------------------------------------------------------------------------------
# Anonymity
# ---------------------------------------------------------------------------------------------


def _names_in(text: str) -> set[str]:
    words = set(re.findall(r"[^\W\d_]+", text))
    return {w for w in words if w.capitalize() in GIVEN_NAMES}


def test_name_check_catches_a_planted_name() -> None:
    planted = ig.AuditFinding(criteria="c", condition="El servidor JOSÉ autorizó el ingreso.", effect="e")
    assert _names_in(_finding_text(planted)) == {"JOSÉ"}


def test_no_finding_names_an_individual() -> None:
    for f in _findings():
        hits = _names_in(_finding_text(f))
        assert not hits, (f.finding_id, hits)


def test_individual_conduct_travels_only_as_flag_and_restricted_ref() -> None:
    flagged = [f for f in _findings() if f.concerns_individual_conduct]
    assert flagged, "the sample should contain conduct cases"
    for f in _findings():
        if f.concerns_individual_conduct:
            assert re.fullmatch(r"CASO-RESERVADO-[A-Z]{2}-[0-9A-F]{16}", f.restricted_case_ref)
            assert "37001:2016/8.10" in f.iso37001_clauses
            assert f.restricted_case_ref not in _finding_text(f)
        else:
            assert f.restricted_case_ref == ""


# ---------------------------------------------------------------------------------------------
# Structure of audits and findings
# ---------------------------------------------------------------------------------------------


def test_every_finding_has_criteria_condition_cause_effect_and_recommendations() -> None:
    findings = _findings()
    assert len(findings) > 100
    for f in findings:
        assert f.title and f.criteria and f.condition and f.cause and f.effect, f.finding_id
        assert "{" not in f.criteria + f.condition + f.effect  # every placeholder filled
        assert f.recommendations
        assert f.severity != ig.FINDING_SEVERITY_UNSPECIFIED
        assert f.likelihood != ig.RATING_LEVEL_UNSPECIFIED
        assert f.impact != ig.RATING_LEVEL_UNSPECIFIED
        assert f.status != ig.FINDING_STATUS_UNSPECIFIED
        assert f.risk_areas and f.facility_codes


def test_audit_header_fields() -> None:
    for a in _sample():
        assert a.audited_member in MEMBER_IDS
        assert a.type != ig.AUDIT_TYPE_UNSPECIFIED
        assert a.standard != ig.AUDIT_STANDARD_UNSPECIFIED
        assert a.auditor_body and a.objective and a.scope and a.audited_units
        assert "sintético" in a.overall_conclusion
        assert a.report.title and a.report.url == ""
        assert _pd(a.period_covered.end) < _pd(a.report_date)
        prefix = a.audited_member.split("-")[0] + "-"
        for f in a.findings:
            assert all(code.startswith(prefix) for code in f.facility_codes)
            assert _pd(f.status_changed_on) >= _pd(a.report_date)


def test_coso_and_iso_tags() -> None:
    for f in _findings():
        assert f.coso_principles and all(1 <= p <= 17 for p in f.coso_principles)
        assert sorted(f.coso_components) == sorted({coso_component(p) for p in f.coso_principles})
        assert f.iso37001_clauses
        for clause in f.iso37001_clauses:
            assert re.fullmatch(r"37001:2016/\d+(\.\d+)*", clause), clause
    assert iso37001_clause("8.10") == "37001:2016/8.10"
    with pytest.raises(ValueError):
        coso_component(18)


def test_evidence_is_hashed_never_attached() -> None:
    for f in _findings():
        assert f.evidence
        for e in f.evidence:
            assert e.method != ig.EVIDENCE_METHOD_UNSPECIFIED
            assert e.description and e.document_ref.startswith("PT-")
            assert len(e.document_sha256) == 32
            assert e.document_sha256 == hashlib.sha256(e.document_ref.encode()).digest()


def test_amounts_have_a_currency() -> None:
    currencies = {"COP", "PEN", "GTQ", "USD", "UYU", "DOP", "MXN"}
    with_amount = [f for f in _findings() if f.amount_at_risk_minor]
    assert with_amount
    for f in _findings():
        assert f.amount_at_risk_minor >= 0
        assert (f.currency in currencies) == bool(f.amount_at_risk_minor)


def test_risk_areas_cover_the_prison_corruption_map() -> None:
    seen = {area for f in _findings() for area in f.risk_areas}
    assert seen >= {
        ig.CORRUPTION_RISK_AREA_CONTRABAND,
        ig.CORRUPTION_RISK_AREA_VISITS_AND_FAMILY_CONTACT,
        ig.CORRUPTION_RISK_AREA_PROCUREMENT,
        ig.CORRUPTION_RISK_AREA_SENTENCE_BENEFITS,
        ig.CORRUPTION_RISK_AREA_RECORDS_AND_DATA_INTEGRITY,
        ig.CORRUPTION_RISK_AREA_SECURITY_TECHNOLOGY,
    }
    titles = {f.title for f in _findings()}
    assert "Operación y mantenimiento de los sistemas de inhibición de señales" in titles
    assert "Ingreso y permanencia de teléfonos celulares en pabellones" in titles


def test_recommendation_lifecycle_matches_finding_status() -> None:
    statuses = set()
    for f in _findings():
        statuses.add(f.status)
        for r in f.recommendations:
            assert r.text and r.responsible_unit and r.management_comment
            assert r.management_response != ig.MANAGEMENT_RESPONSE_UNSPECIFIED
            assert r.status != ig.RECOMMENDATION_STATUS_UNSPECIFIED
            if f.status in (ig.FINDING_STATUS_OPEN, ig.FINDING_STATUS_INVESTIGATING):
                assert r.status == ig.RECOMMENDATION_STATUS_OPEN and not r.follow_ups
            if f.status == ig.FINDING_STATUS_CLOSED_IMPLEMENTED:
                assert r.status == ig.RECOMMENDATION_STATUS_IMPLEMENTED
                assert r.management_response == ig.MANAGEMENT_RESPONSE_AGREED
                assert all(m.completed for m in r.milestones)
                assert [u.assessed_status for u in r.follow_ups] == [ig.RECOMMENDATION_STATUS_IMPLEMENTED]
            if f.status == ig.FINDING_STATUS_RISK_ACCEPTED:
                assert r.management_response == ig.MANAGEMENT_RESPONSE_DISAGREED
            if r.status != ig.RECOMMENDATION_STATUS_OPEN:
                assert r.follow_ups and r.follow_ups[0].assessed_status == r.status
    assert len(statuses) >= 5


def test_audits_round_trip_through_protobuf() -> None:
    for a in _sample()[:20]:
        wire = record_pb2.Record(integrity_audit=a).SerializeToString()
        parsed = record_pb2.Record.FromString(wire)
        assert parsed.WhichOneof("kind") == "integrity_audit"
        assert parsed.integrity_audit == a
        assert text_format.Parse(text_format.MessageToString(a), ig.IntegrityAudit()) == a


def test_mexico_supreme_audit_mentions_response_window() -> None:
    mx_sai = [
        a
        for a in generate_integrity_audits("MX-OADPRS", 60, SEED)
        if a.type == ig.AUDIT_TYPE_SUPREME_AUDIT_INSTITUTION
    ]
    assert mx_sai
    assert all("30 días hábiles" in a.overall_conclusion for a in mx_sai)


# ---------------------------------------------------------------------------------------------
# Ethics training
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("member", MEMBER_IDS)
def test_ethics_training_aggregates(member: str) -> None:
    t = generate_ethics_training(member, SEED)
    assert t == generate_ethics_training(member, SEED)
    assert t != generate_ethics_training(member, SEED + 1)
    assert t.member_id == member
    assert t.course_title and t.course_code and t.provider
    assert set(ISO37001_7_3_TOPICS) <= set(t.topics)
    assert ig.TRAINING_TOPIC_CODE_OF_ETHICS in t.topics
    assert t.mode != ig.DELIVERY_MODE_UNSPECIFIED
    assert t.duration_hours > 0 and t.refresher_interval_months in (12, 24)
    assert _pd(t.delivered.start) < _pd(t.delivered.end)
    assert len(t.completions) == 0  # individual completions are pull-only
    assert {p.category for p in t.participation} == {
        ig.STAFF_CATEGORY_CUSTODY_OFFICER,
        ig.STAFF_CATEGORY_TREATMENT,
        ig.STAFF_CATEGORY_ADMINISTRATIVE,
        ig.STAFF_CATEGORY_MANAGEMENT,
        ig.STAFF_CATEGORY_CONTRACTOR,
    }
    keys = [(p.category, p.facility_code) for p in t.participation]
    assert len(keys) == len(set(keys))
    for p in t.participation:
        assert p.facility_code.startswith(member.split("-", maxsplit=1)[0] + "-")
        assert p.enrolled >= p.completed >= p.passed_assessment >= 0
        assert p.enrolled > 0
    wire = record_pb2.Record(ethics_training=t).SerializeToString()
    assert record_pb2.Record.FromString(wire).ethics_training == t
