"""Subject access: every transfer about one person that a member sent or received, under any basis.

The hub holds no identifier, so only the member can answer a person's access request, from its own
state: its outbox holds every envelope it sent, each header naming the record by its handle
(``originating_record_id``, ``flows.common.record_handle_for``), so the messages about a national
record number are found by recomputing its handle; its national sink holds every profile it
received, searched by the person's inmate, identity document and record numbers. With a hub at hand,
each sent message's lineage (who received, acknowledged, deleted) comes from ``Track``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flows.common import Outbox, member_state_dir, message_id_key, record_handle_for
from flows.sink import NationalSink
from hub.core.lookup import normalise_document_number
from pxhub.v1 import envelope_pb2

E = envelope_pb2


@dataclass(frozen=True)
class Transfer:
    direction: str  # "sent" or "received"
    message_id: str
    counterpart: str  # recipients (sent) or sender (received)
    purpose: str
    legal_basis: str
    at: str  # created_at of the header (sent) or "" (received: see the sink's manifest)
    outcome: str  # the hub's receipt (sent), "in the national sink" (received)
    lineage: list[str] = field(default_factory=list)


def _name(enum: object, value: int, prefix: str) -> str:
    try:
        return str(enum.Name(value)).removeprefix(prefix)  # type: ignore[attr-defined]
    except ValueError:
        return str(value)


def sent_transfers(member: str, record_ids: list[str], state_dir: str) -> list[Transfer]:
    """The envelopes of the member's outbox whose header names one of ``record_ids``' handles."""
    key = message_id_key(state_dir, member)
    handles = {record_handle_for(key, r) for r in record_ids}
    path = member_state_dir(state_dir, member) / "outbox.sqlite"
    if not path.exists():
        return []
    outbox = Outbox(path)
    found = []
    try:
        for _, raw, recipients, outcome in outbox.items():
            header = E.EnvelopeHeader.FromString(E.Envelope.FromString(raw).header)
            metadata = E.RecordMetadata.FromString(header.metadata)
            if metadata.originating_record_id not in handles:
                continue
            found.append(
                Transfer(
                    "sent",
                    metadata.message_id,
                    ", ".join(recipients),
                    _name(E.Purpose, metadata.purpose, "PURPOSE_"),
                    _name(E.LegalBasis, metadata.legal_basis, "LEGAL_BASIS_"),
                    metadata.created_at.ToJsonString(),
                    outcome or "not yet answered",
                )
            )
    finally:
        outbox.close()
    return found


def received_transfers(member: str, record_ids: list[str], sink: str) -> list[Transfer]:
    """The profiles of the member's sink that carry one of ``record_ids`` as an inmate or document number."""
    if not Path(sink).is_dir():
        return []
    wanted = {normalise_document_number(r) for r in record_ids}
    found = []
    for message_id, sender, profile in NationalSink(member, sink).profiles():
        numbers = {normalise_document_number(profile.custodian_subject_id)}
        numbers |= {normalise_document_number(i.value) for i in profile.identifiers}
        if numbers & wanted:
            found.append(Transfer("received", message_id, sender, "", "", "", "in the national sink"))
    return found
