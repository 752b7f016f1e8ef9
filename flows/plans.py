"""The cleartext header of what a member sends, and whom the policy lets it send profiles to.

Pure (no I/O): partners and legal instruments come from the default policy
(``hub/policy/default_policy.json``), so the flows cannot drift from what the hub permits.
"""

from __future__ import annotations

from hub.core.policy import ExchangePolicy
from hub.dev.federation import default_member_ids
from hub.policy import default_policy
from hub.runtime.clock import edge_clock
from pxhub.v1 import envelope_pb2

E = envelope_pb2
SECURITY = (E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME, E.LEGAL_BASIS_BILATERAL_AGREEMENT)
# The default policy's dates are relative to its issue, so asking it at the instant it is issued gives
# the same answer under any clock: the plans hold no calendar date.
_ISSUED = edge_clock()


def planning_policy() -> ExchangePolicy:
    """The default policy the flows plan and project by."""
    return default_policy(_ISSUED)


# Bilateral security-cooperation partners: the members with whose country the default policy has an
# agreement in force for organised-crime cooperation under a bilateral agreement.
MEMBER_IDS = default_member_ids()  # the development federation's seven (hub/dev/default_members.json)
PARTNERS = {m: tuple(planning_policy().partners(m, *SECURITY, MEMBER_IDS, _ISSUED)) for m in MEMBER_IDS}


def instruments(member_id: str, partner: str, purpose: int, basis: int) -> tuple[str, ...]:
    """The instrument (and agreement id) the default policy names for this pair, purpose and basis."""
    agreement = planning_policy().agreement_for(member_id, partner, purpose, basis, _ISSUED)
    if agreement is None:
        return ()
    return (agreement.instrument, agreement.agreement_id)


def record_metadata(
    member_id: str,
    message_id: str,
    purpose: int,
    legal_basis: int,
    classification: int,
    instruments: tuple[str, ...],
    language: str = "es",
) -> envelope_pb2.RecordMetadata:
    """The header of a new record (version 1, status ACTUAL, type REPORT) before sealing fills in the rest."""
    return E.RecordMetadata(
        message_id=message_id,
        status=E.MESSAGE_STATUS_ACTUAL,
        type=E.MESSAGE_TYPE_REPORT,
        sender=E.Party(member_id=member_id),
        purpose=purpose,  # type: ignore[arg-type]
        legal_basis=legal_basis,  # type: ignore[arg-type]
        legal_instruments=list(instruments),
        handling=E.HandlingInstructions(classification=classification),  # type: ignore[arg-type]
        language=language,
        record_version=1,
    )
