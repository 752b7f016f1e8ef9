"""The lifecycle of an anti-corruption finding, and the chain of versions that records it.

A finding moves reported -> management response -> remediation in progress -> verified closed,
or ends not implemented / risk accepted. Each change travels as a new signed version of the
integrity audit (an UPDATE) whose header names the version it supersedes (message id and version
number). Two sides check a chain, each with what it can see:

* the hub sees headers only: ``check_version_header`` (the numbers follow, the link is set) and
  that the sender sent the superseded message to the same recipients (``hub.services.exchange``);
* the receiver opens the payload: ``check_new_version`` (same audit, no finding dropped, every
  state change allowed by the policy's ``FindingLifecycle``).

Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from hub.core.envelope import EnvelopeError, is_canonical_message_id
from pxhub.v1 import envelope_pb2, integrity_pb2, policy_pb2

__all__ = [
    "CLOSED_STATES",
    "FindingState",
    "LifecycleRules",
    "check_new_version",
    "check_transition",
    "check_version_header",
    "finding_state",
    "record_state",
]

R = envelope_pb2
IG = integrity_pb2


class FindingState(enum.Enum):
    """A finding's place in its lifecycle; the value is the name headers and reports use."""

    REPORTED = "REPORTED"
    MANAGEMENT_RESPONSE = "MANAGEMENT_RESPONSE"
    REMEDIATION_IN_PROGRESS = "REMEDIATION_IN_PROGRESS"
    VERIFIED_CLOSED = "VERIFIED_CLOSED"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    RISK_ACCEPTED = "RISK_ACCEPTED"


S = FindingState
CLOSED_STATES: Final = frozenset({S.VERIFIED_CLOSED, S.NOT_IMPLEMENTED, S.RISK_ACCEPTED})
"""The end states: no version may leave them."""

# Steps along the lifecycle; an end state is the last step.
_STEP: Final = {S.REPORTED: 0, S.MANAGEMENT_RESPONSE: 1, S.REMEDIATION_IN_PROGRESS: 2}

_STATE_OF_STATUS: Final[dict[int, FindingState]] = {
    IG.FINDING_STATUS_UNSPECIFIED: S.REPORTED,
    IG.FINDING_STATUS_OPEN: S.REPORTED,
    IG.FINDING_STATUS_INVESTIGATING: S.REPORTED,
    IG.FINDING_STATUS_MANAGEMENT_RESPONDED: S.MANAGEMENT_RESPONSE,
    IG.FINDING_STATUS_REMEDIATING: S.REMEDIATION_IN_PROGRESS,
    IG.FINDING_STATUS_CLOSED_IMPLEMENTED: S.VERIFIED_CLOSED,
    IG.FINDING_STATUS_CLOSED_NO_LONGER_APPLICABLE: S.VERIFIED_CLOSED,
    IG.FINDING_STATUS_CLOSED_NOT_IMPLEMENTED: S.NOT_IMPLEMENTED,
    IG.FINDING_STATUS_RISK_ACCEPTED: S.RISK_ACCEPTED,
}


def finding_state(finding: integrity_pb2.AuditFinding) -> FindingState:
    """The lifecycle state a finding's status stands for."""
    return _STATE_OF_STATUS.get(finding.status, S.REPORTED)


def _step(state: FindingState) -> int:
    return _STEP.get(state, 3)


def record_state(audit: integrity_pb2.IntegrityAudit) -> FindingState:
    """The state of the audit as a whole: that of its least advanced finding (closed when all are)."""
    states = [finding_state(f) for f in audit.findings]
    if not states:
        return S.REPORTED
    least = min(states, key=_step)
    if least in CLOSED_STATES:  # every finding closed: the most frequent end state names the record
        return max(CLOSED_STATES, key=lambda s: (states.count(s), s.value))
    return least


@dataclass(frozen=True)
class LifecycleRules:
    """What the policy in force says about the lifecycle (``Policy.finding_lifecycle``)."""

    management_response_required: bool = True

    @classmethod
    def from_policy(cls, policy: policy_pb2.Policy | None) -> LifecycleRules:
        """The policy's rules; without a policy the strict default (a response is required)."""
        if policy is None or not policy.HasField("finding_lifecycle"):
            return cls()
        return cls(policy.finding_lifecycle.management_response_required)


def check_transition(before: FindingState, after: FindingState, rules: LifecycleRules, where: str) -> None:
    """Raise ``EnvelopeError`` if a finding may not move from ``before`` to ``after``."""
    if before == after:
        return
    if before in CLOSED_STATES:
        raise EnvelopeError(
            R.REASON_LIFECYCLE_INVALID,
            f"{where}: {before.value} is an end state; it cannot become {after.value}",
        )
    if _step(after) < _step(before):
        raise EnvelopeError(
            R.REASON_LIFECYCLE_INVALID, f"{where}: {before.value} cannot go back to {after.value}"
        )
    if rules.management_response_required and before is S.REPORTED and after is not S.MANAGEMENT_RESPONSE:
        raise EnvelopeError(
            R.REASON_LIFECYCLE_SKIPPED,
            f"{where}: {before.value} -> {after.value} skips the management response the policy requires",
        )


def _check_response_given(finding: integrity_pb2.AuditFinding, where: str) -> None:
    missing = [
        r.recommendation_id or str(i + 1)
        for i, r in enumerate(finding.recommendations)
        if r.management_response == IG.MANAGEMENT_RESPONSE_UNSPECIFIED
    ]
    if missing:
        raise EnvelopeError(
            R.REASON_LIFECYCLE_SKIPPED,
            f"{where}: a management response version must answer every recommendation; "
            f"{', '.join(missing)} has none",
        )


def check_new_version(
    previous: integrity_pb2.IntegrityAudit,
    current: integrity_pb2.IntegrityAudit,
    rules: LifecycleRules,
) -> None:
    """Raise ``EnvelopeError`` unless ``current`` may follow ``previous`` in the audit's chain.

    The same audit and audited member, no finding dropped, and every finding's state change
    allowed; a finding new in this version starts at any state the lifecycle reaches from REPORTED.
    """
    if current.audit_id != previous.audit_id or current.audited_member != previous.audited_member:
        raise EnvelopeError(
            R.REASON_SUPERSEDES_UNKNOWN,
            f"audit {current.audit_id!r} of {current.audited_member!r} does not continue "
            f"audit {previous.audit_id!r} of {previous.audited_member!r}",
        )
    now = {f.finding_id: f for f in current.findings}
    dropped = [f.finding_id for f in previous.findings if f.finding_id not in now]
    if dropped:
        raise EnvelopeError(
            R.REASON_LIFECYCLE_INVALID,
            f"audit {current.audit_id}: finding(s) {', '.join(dropped)} dropped; "
            "a version keeps every finding",
        )
    before = {f.finding_id: finding_state(f) for f in previous.findings}
    for finding in current.findings:
        where = f"finding {finding.finding_id}"
        after = finding_state(finding)
        check_transition(before.get(finding.finding_id, S.REPORTED), after, rules, where)
        if after is S.MANAGEMENT_RESPONSE:
            _check_response_given(finding, where)


def check_version_header(metadata: envelope_pb2.RecordMetadata) -> None:
    """The header's own consistency: an UPDATE names what it supersedes, and the numbers follow."""
    link = metadata.supersedes_message_id
    if metadata.type != R.MESSAGE_TYPE_UPDATE:
        if link or metadata.supersedes_version:
            raise EnvelopeError(R.REASON_SUPERSEDES_UNKNOWN, "only an UPDATE may name a superseded version")
        return
    if not is_canonical_message_id(link):
        raise EnvelopeError(
            R.REASON_SUPERSEDES_UNKNOWN, "an UPDATE must name the message id of the version it supersedes"
        )
    if link == metadata.message_id:
        raise EnvelopeError(R.REASON_SUPERSEDES_UNKNOWN, "a version cannot supersede itself")
    if not metadata.supersedes_version or metadata.record_version != metadata.supersedes_version + 1:
        raise EnvelopeError(
            R.REASON_SUPERSEDES_UNKNOWN,
            f"record_version {metadata.record_version} must be supersedes_version "
            f"{metadata.supersedes_version} + 1",
        )
    if not metadata.originating_record_id:
        raise EnvelopeError(
            R.REASON_SUPERSEDES_UNKNOWN, "an UPDATE must carry the originating_record_id of its chain"
        )
