"""Hub-side checks on a verified envelope, beyond its cryptography.

Pure: (caller, verified envelope, directory, limits, now) -> None or an
``EnvelopeError`` carrying the specific reason. The envelope library has
already checked signatures and digests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.core.envelope import EnvelopeError, VerifiedEnvelope
from hub.core.lookup import is_record_handle
from hub.core.members import OFFICER_PSEUDONYM_PATTERN, OFFICER_PSEUDONYM_RULE
from hub.identity.directory import Directory
from pxhub.v1 import envelope_pb2

R = envelope_pb2


@dataclass(frozen=True)
class AdmissionLimits:
    max_envelope_bytes: int = 1_048_576
    clock_skew: timedelta = timedelta(minutes=5)


def check_size(size: int, limits: AdmissionLimits) -> None:
    if size > limits.max_envelope_bytes:
        raise EnvelopeError(
            R.REASON_TOO_LARGE, f"envelope is {size} bytes; the limit is {limits.max_envelope_bytes}"
        )


def check_admission(
    caller_id: str, verified: VerifiedEnvelope, directory: Directory, limits: AdmissionLimits, now: datetime
) -> None:
    metadata = verified.metadata
    sender = metadata.sender.member_id
    if not OFFICER_PSEUDONYM_PATTERN.fullmatch(metadata.sender.officer_pseudonym):
        # It goes into the audit entry as it is: never a name, never free text.
        raise EnvelopeError(R.REASON_MALFORMED, f"sender.officer_pseudonym is not {OFFICER_PSEUDONYM_RULE}")
    if sender != caller_id:
        raise EnvelopeError(
            R.REASON_SENDER_MISMATCH, f"header names sender {sender!r} but the caller is {caller_id!r}"
        )
    member = directory.member(sender)
    if member is None or not member.active:
        raise EnvelopeError(R.REASON_SENDER_INACTIVE, f"sender {sender!r} is not an active member")
    for party in metadata.recipients:
        recipient = directory.member(party.member_id)
        if recipient is None or recipient.role != "member":
            raise EnvelopeError(R.REASON_UNKNOWN_RECIPIENT, f"recipient {party.member_id!r} is not a member")
        if not recipient.active:
            raise EnvelopeError(R.REASON_RECIPIENT_INACTIVE, f"recipient {party.member_id!r} is not active")
        if party.member_id == sender:
            raise EnvelopeError(R.REASON_UNKNOWN_RECIPIENT, "a member cannot send to itself")
        key = recipient.key(party.key_id, "encryption")
        if key is None or not key.usable_at(now):
            raise EnvelopeError(
                R.REASON_UNKNOWN_RECIPIENT_KEY,
                f"key {party.key_id!r} is not a usable encryption key of {party.member_id!r}",
            )
    created = metadata.created_at.ToDatetime(now.tzinfo)
    if abs(created - now) > limits.clock_skew:
        raise EnvelopeError(
            R.REASON_CLOCK_SKEW,
            f"created_at {created.isoformat()} is more than {int(limits.clock_skew.total_seconds())} s "
            f"from hub time {now.isoformat()}",
        )
    if metadata.HasField("valid_until") and metadata.valid_until.ToDatetime(now.tzinfo) < now:
        raise EnvelopeError(R.REASON_EXPIRED, "valid_until has passed")
    if metadata.originating_record_id and not is_record_handle(metadata.originating_record_id):
        raise EnvelopeError(
            R.REASON_RECORD_HANDLE_INVALID,
            "originating_record_id must be an opaque record handle ('rh:' and 32 hex digits), "
            "never the national record or inmate number",
        )
