"""Builds the audit entries the hub writes: one vocabulary, one place.

Entries hold identifiers, decisions and sizes only; never payload bytes or
personal data (the subject pseudonym stays out of the log as well).
"""

from __future__ import annotations

from datetime import datetime

from hub.core.audit_entry import AuditEntry
from hub.core.requests import RequestRecord, state_name
from hub.identity.caller import Caller
from pxhub.v1 import envelope_pb2

PURPOSE_NAMES = {v: k.removeprefix("PURPOSE_") for k, v in envelope_pb2.Purpose.items()}
CONSENT = envelope_pb2.LEGAL_BASIS_CONSENT
BASIS_NAMES = {v: k.removeprefix("LEGAL_BASIS_") for k, v in envelope_pb2.LegalBasis.items()}
KIND_NAMES = {v: k.removeprefix("PAYLOAD_KIND_") for k, v in envelope_pb2.PayloadKind.items()}


def reason_name(reason: int) -> str:
    return envelope_pb2.Reason.Name(reason).removeprefix("REASON_") if reason else ""  # type: ignore[arg-type]


def submit_decision(
    caller: Caller,
    now: datetime,
    *,
    message_id: str,
    permitted: bool,
    reason: int = 0,
    metadata: envelope_pb2.RecordMetadata | None = None,
    size: int = 0,
    request: RequestRecord | None = None,
) -> bytes:
    """One entry per submission decision, permit or deny; a REQUEST or RESPONSE names its request."""
    details: dict[str, str | int] = {"size": size}
    if metadata is not None:
        details["kind"] = KIND_NAMES.get(metadata.payload_kind, str(metadata.payload_kind))
        details["purpose"] = PURPOSE_NAMES.get(metadata.purpose, str(metadata.purpose))
        details["recipients"] = ",".join(r.member_id for r in metadata.recipients)
        details["classification"] = envelope_pb2.Classification.Name(
            metadata.handling.classification
        ).removeprefix("CLASSIFICATION_")
        details["legal_basis"] = BASIS_NAMES.get(metadata.legal_basis, str(metadata.legal_basis))
    consent = metadata.consent_ref if metadata is not None and metadata.legal_basis == CONSENT else ""
    objects: tuple[str, ...] = (f"message:{message_id}",) if message_id else ()
    if request is not None:
        objects += (f"request:{request.message_id}",)
        details["request_state"] = state_name(request.state)
        details["deadline"] = request.deadline.isoformat()
    return AuditEntry(
        time=now,
        actor_kind=caller.role,
        actor_id=caller.id,
        officer_pseudonym=metadata.sender.officer_pseudonym if metadata is not None else "",
        action="submit",
        object_ids=objects + ((f"consent:{consent}",) if consent else ()),
        outcome="permit" if permitted else "deny",
        reason=reason_name(reason),
        details=details,
    ).encode()


def simple(
    caller: Caller,
    now: datetime,
    action: str,
    outcome: str,
    *,
    object_ids: tuple[str, ...] = (),
    reason: int = 0,
    details: dict[str, str | int] | None = None,
    officer_pseudonym: str = "",
) -> bytes:
    return AuditEntry(
        time=now,
        actor_kind=caller.role,
        actor_id=caller.id,
        officer_pseudonym=officer_pseudonym,
        action=action,
        object_ids=object_ids,
        outcome=outcome,
        reason=reason_name(reason),
        details=details or {},
    ).encode()
