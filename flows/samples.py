"""A sample part of a regional exchange, for the demo, tests and benchmarks: records with their headers.

Builds synthetic profiles (projected to the layers their purpose permits), integrity audits, ethics
training and programme records with the headers the policy gives them. Never imported by the
production flows, which read the member's own exports.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from adapters.samples.integrity import generate_ethics_training, generate_integrity_audits
from adapters.samples.programmes import records_for
from adapters.samples.synthetic import generate_profiles
from flows.plans import PARTNERS, SECURITY, instruments, planning_policy, record_metadata
from hub.core.lookup import record_handle
from hub.core.policy import project
from hub.dev.federation import default_member_ids
from pxhub.v1 import envelope_pb2, record_pb2

E = envelope_pb2
#: The sample plan's record-handle key (a real member derives its own: flows.common.record_handle_for).
SAMPLE_HANDLE_KEY = hashlib.sha256(b"pxhub sample record handles").digest()


@dataclass(frozen=True)
class Outgoing:
    """One record to seal, its header and its recipients."""

    record: record_pb2.Record
    metadata: envelope_pb2.RecordMetadata
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class ExchangePlan:
    """Parameters of one member's part in a regional exchange (JSON-friendly for Prefect)."""

    member_id: str
    seed: int = 2025
    profiles_per_partner: int = 25
    audits: int = 1
    partners: tuple[str, ...] = field(default_factory=tuple)

    def partner_ids(self) -> tuple[str, ...]:
        return self.partners or PARTNERS[self.member_id]


def stable_message_id(member_id: str, kind: str, key: str) -> str:
    """Deterministic message id, so re-running a sync resends the same ids (DUPLICATE, never a copy)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"pxhub:{member_id}:{kind}:{key}"))


def outgoing_records(plan: ExchangePlan) -> Iterator[Outgoing]:
    """The member's profiles (bilateral), integrity audits and training (all), programmes (all)."""
    member = plan.member_id
    others = tuple(m for m in default_member_ids() if m != member)
    oversight = instruments(member, others[0], E.PURPOSE_OVERSIGHT_AND_AUDIT, E.LEGAL_BASIS_NOT_PERSONAL_DATA)
    knowledge = instruments(
        member, others[0], E.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING, E.LEGAL_BASIS_NOT_PERSONAL_DATA
    )
    security_layers = planning_policy().allowed_layers(E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME)
    assert security_layers is not None
    for partner in plan.partner_ids():
        cited = (*instruments(member, partner, *SECURITY), "UNTOC art. 27")
        for profile in generate_profiles(
            member, plan.profiles_per_partner, plan.seed + default_member_ids().index(partner)
        ):
            key = f"{partner}:{profile.profile_id}"
            metadata = record_metadata(
                member,
                stable_message_id(member, "profile", key),
                E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
                E.LEGAL_BASIS_BILATERAL_AGREEMENT,
                E.CLASSIFICATION_RESTRICTED,
                cited,
            )
            metadata.originating_record_id = record_handle(SAMPLE_HANDLE_KEY, profile.custodian_subject_id)
            # Field-level minimisation: no care alerts, contacts, gender identity or source handles.
            record = project(record_pb2.Record(inmate_security_profile=profile), security_layers)
            yield Outgoing(record, metadata, (partner,))
    for audit in generate_integrity_audits(member, plan.audits, plan.seed):
        yield Outgoing(
            record_pb2.Record(integrity_audit=audit),
            record_metadata(
                member,
                stable_message_id(member, "audit", audit.audit_id),
                E.PURPOSE_OVERSIGHT_AND_AUDIT,
                E.LEGAL_BASIS_NOT_PERSONAL_DATA,
                E.CLASSIFICATION_INTERNAL,
                oversight,
            ),
            others,
        )
    training = generate_ethics_training(member, plan.seed)
    yield Outgoing(
        record_pb2.Record(ethics_training=training),
        record_metadata(
            member,
            stable_message_id(member, "training", training.training_id),
            E.PURPOSE_OVERSIGHT_AND_AUDIT,
            E.LEGAL_BASIS_NOT_PERSONAL_DATA,
            E.CLASSIFICATION_INTERNAL,
            oversight,
        ),
        others,
    )
    for practice in records_for(member):
        yield Outgoing(
            record_pb2.Record(best_practice=practice),
            record_metadata(
                member,
                stable_message_id(member, "practice", practice.practice_id),
                E.PURPOSE_PROGRAMME_KNOWLEDGE_SHARING,
                E.LEGAL_BASIS_NOT_PERSONAL_DATA,
                E.CLASSIFICATION_PUBLIC,
                knowledge,
            ),
            others,
        )
