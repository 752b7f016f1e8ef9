"""Sensitivity layers and pull-only fields of records.

The fast walk (cached plans, sub-tree skipping) is checked against a naive
reference walk on randomly filled messages of every record type.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.core.layers import layers_present, pull_only_fields_present
from pxhub.v1 import (
    best_practice_pb2,
    common_pb2,
    inmate_profile_pb2,
    integrity_pb2,
    options_pb2,
    record_pb2,
)

S = options_pb2
P = inmate_profile_pb2


def naive_layers(message: Message, inherited: int = 0) -> set[int]:
    """The rule, written as plainly as possible: no caches, no skipping."""
    out: set[int] = set()
    for field, value in message.ListFields():
        tier = field.GetOptions().Extensions[options_pb2.sensitivity] or inherited
        if tier:
            out.add(tier)
        if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
            for item in value if field.is_repeated else [value]:
                out |= naive_layers(item, tier)
    return out


def profile_record(**fields: Any) -> record_pb2.Record:
    return record_pb2.Record(inmate_security_profile=P.InmateSecurityProfile(**fields))


# ------------------------------------------------------------------ examples


def test_empty_record_has_no_layers() -> None:
    assert layers_present(record_pb2.Record()) == frozenset()
    assert layers_present(profile_record()) == frozenset()


def test_top_level_tiers_are_collected() -> None:
    record = profile_record(profile_id="P-1", custodian="PE-INPE", person_status=P.PERSON_STATUS_SENTENCED)
    assert layers_present(record) == {S.SENSITIVITY_IDENTIFIER, S.SENSITIVITY_NONE, S.SENSITIVITY_JUDICIAL}


def test_default_scalars_do_not_count() -> None:
    record = profile_record(
        person_status=P.PERSON_STATUS_UNSPECIFIED, profile_id="", self_perceived_gender=""
    )
    assert layers_present(record) == frozenset()


def test_unmarked_nested_fields_inherit_the_enclosing_tier() -> None:
    # PartialDate.year carries no option; inside birth_date it is PERSONAL.
    identity = P.PersonIdentity(birth_date=common_pb2.PartialDate(year=1990))
    assert layers_present(profile_record(identity=identity)) == {S.SENSITIVITY_PERSONAL}
    # The same PartialDate inside custody is JUDICIAL.
    custody = P.CustodyEpisode(admitted_on=common_pb2.PartialDate(year=2020))
    assert layers_present(profile_record(custody=custody)) == {S.SENSITIVITY_JUDICIAL}
    # PersonIdentifier has no options at all: it takes the IDENTIFIER tier of `identifiers`.
    identifiers = [common_pb2.PersonIdentifier(value="X1")]
    assert layers_present(profile_record(identifiers=identifiers)) == {S.SENSITIVITY_IDENTIFIER}


def test_explicit_nested_tier_overrides_the_enclosing_one() -> None:
    physical = P.PhysicalDescription(facial_image_ref="ref-1")
    layers = layers_present(profile_record(identity=P.PersonIdentity(physical=physical)))
    assert layers == {S.SENSITIVITY_PERSONAL, S.SENSITIVITY_BIOMETRIC}
    smt = P.ScarMarkTattoo(linked_affiliation_id="A-1")
    custody_free = profile_record(identity=P.PersonIdentity(physical=P.PhysicalDescription(smt=[smt])))
    assert layers_present(custody_free) == {S.SENSITIVITY_PERSONAL, S.SENSITIVITY_AFFILIATION}


def test_present_but_empty_submessage_counts() -> None:
    # An empty sub-message is on the wire, so its field's tier is present.
    assert layers_present(profile_record(identity=P.PersonIdentity())) == {S.SENSITIVITY_PERSONAL}


def test_every_repeated_element_is_walked() -> None:
    alerts = [
        P.AffiliationAssertion(organisation_ref="org:a"),
        P.AffiliationAssertion(organisation_ref="org:b", source_handle="h"),
    ]
    layers = layers_present(profile_record(affiliations=alerts))
    assert layers == {S.SENSITIVITY_AFFILIATION, S.SENSITIVITY_SOURCE_PROTECTION}


def test_records_without_tiers_report_nothing() -> None:
    audit = integrity_pb2.IntegrityAudit(
        audit_id="A-1",
        findings=[integrity_pb2.AuditFinding(title="t", restricted_case_ref="case-1")],
    )
    assert layers_present(record_pb2.Record(integrity_audit=audit)) == frozenset()
    practice = best_practice_pb2.BestPracticeRecord(title="VIVIF", mandela_rules=[58])
    assert layers_present(record_pb2.Record(best_practice=practice)) == frozenset()


def test_ethics_training_completions_are_personal() -> None:
    training = integrity_pb2.EthicsTraining(
        training_id="T-1",
        participation=[integrity_pb2.ParticipationCount(enrolled=10)],
    )
    assert layers_present(record_pb2.Record(ethics_training=training)) == frozenset()
    training.completions.add(staff_pseudonym="s-1")
    assert layers_present(record_pb2.Record(ethics_training=training)) == {S.SENSITIVITY_PERSONAL}


def test_layers_of_a_bare_message_not_only_records() -> None:
    assert layers_present(P.CareAlert(handling_instruction="x")) == {S.SENSITIVITY_HEALTH}


# ------------------------------------------------------------------ pull-only


def test_pull_only_paths() -> None:
    record = profile_record(
        identity=P.PersonIdentity(given_names="G", parent_names=["A", "B"]),
        contacts=[P.ThirdPartyContact(name="C"), P.ThirdPartyContact(name="D")],
        affiliations=[P.AffiliationAssertion(source_handle="h1"), P.AffiliationAssertion(source_handle="h2")],
        biometrics=[P.BiometricReference(record_ref="r")],
    )
    assert pull_only_fields_present(record) == [
        "inmate_security_profile.identity.parent_names",
        "inmate_security_profile.affiliations.source_handle",
        "inmate_security_profile.contacts",
    ]


def test_pull_only_nothing_when_absent() -> None:
    record = profile_record(identity=P.PersonIdentity(given_names="G"), biometrics=[P.BiometricReference()])
    assert pull_only_fields_present(record) == []


def test_pull_only_without_tier_and_in_other_kinds() -> None:
    audit = integrity_pb2.IntegrityAudit(findings=[integrity_pb2.AuditFinding(restricted_case_ref="c")])
    assert pull_only_fields_present(record_pb2.Record(integrity_audit=audit)) == [
        "integrity_audit.findings.restricted_case_ref"
    ]
    sample = profile_record(biometrics=[P.BiometricReference(sample=b"\x01")])
    assert pull_only_fields_present(sample) == ["inmate_security_profile.biometrics.sample"]


# ------------------------------------------------------------------ property: fast walk == naive walk

_INTS = {
    FieldDescriptor.CPPTYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_UINT64: st.integers(0, 2**64 - 1),
}


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    cpp = field.cpp_type
    if cpp in _INTS:
        return _INTS[cpp]
    if cpp == FieldDescriptor.CPPTYPE_BOOL:
        return st.booleans()
    if cpp == FieldDescriptor.CPPTYPE_DOUBLE:
        return st.floats(allow_nan=False)
    if cpp == FieldDescriptor.CPPTYPE_FLOAT:
        return st.floats(width=32, allow_nan=False)
    if cpp == FieldDescriptor.CPPTYPE_ENUM:
        assert field.enum_type is not None
        return st.sampled_from([v.number for v in field.enum_type.values])
    if field.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=4)
    return st.text(max_size=4)


def _fill(draw: st.DrawFn, message: Message, depth: int) -> None:
    """Set a random subset of fields, recursing into sub-messages up to ``depth``."""
    # The stubs type DESCRIPTOR as the pure-Python or the upb descriptor; both have the same fields.
    for field in cast(Descriptor, message.DESCRIPTOR).fields:
        if not draw(st.booleans()):
            continue
        target = getattr(message, field.name)
        if field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE:
            if depth == 0:
                continue
            if field.is_repeated:
                for _ in range(draw(st.integers(0, 2))):
                    _fill(draw, target.add(), depth - 1)
            else:
                target.SetInParent()
                _fill(draw, target, depth - 1)
        elif field.is_repeated:
            target.extend(draw(st.lists(_scalar(field), max_size=2)))
        else:
            setattr(message, field.name, draw(_scalar(field)))


@st.composite
def random_records(draw: st.DrawFn) -> record_pb2.Record:
    record = record_pb2.Record()
    kind = draw(st.sampled_from([f.name for f in record.DESCRIPTOR.oneofs_by_name["kind"].fields]))
    inner = getattr(record, kind)
    inner.SetInParent()
    _fill(draw, inner, depth=4)
    return record


@settings(max_examples=150, deadline=None)
@given(random_records())
def test_fast_walk_matches_naive_walk(record: record_pb2.Record) -> None:
    assert layers_present(record) == naive_layers(record)


@settings(max_examples=50, deadline=None)
@given(random_records())
def test_layers_survive_a_wire_round_trip(record: record_pb2.Record) -> None:
    again = record_pb2.Record.FromString(record.SerializeToString())
    assert layers_present(again) == layers_present(record)
    assert pull_only_fields_present(again) == pull_only_fields_present(record)


@pytest.mark.parametrize(
    "kind", ["inmate_security_profile", "integrity_audit", "ethics_training", "best_practice"]
)
def test_layers_are_valid_sensitivity_values(kind: str) -> None:
    record = record_pb2.Record()
    getattr(record, kind).SetInParent()
    valid = set(options_pb2.Sensitivity.values()) - {options_pb2.SENSITIVITY_UNSPECIFIED}
    assert layers_present(record) <= valid
