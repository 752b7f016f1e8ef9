"""The consent registry, revocation notices, deletion attestations and lineage (hub side).

No gRPC here: the servicers translate requests and call these methods from a
worker thread. Every refusal is an ``EnvelopeError`` with its reason and is
audited before it is raised; every change commits with its audit entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.timestamp_pb2 import Timestamp

from hub.core.consent import (
    Consent,
    check_event,
    is_pseudonym,
    read_event,
    state_name,
    verify_attestation,
    verify_signed_consent,
)
from hub.core.envelope import EnvelopeError
from hub.identity.caller import Caller
from hub.identity.directory import Directory
from hub.services import audit_events
from hub.store import HubStore
from hub.store.policy_consent import (
    AttestOutcome,
    ChangeOutcome,
    LineageRecord,
    NoticeItem,
    PolicyConsentStore,
    RegisterOutcome,
    StoredConsent,
    StoredEvent,
    WithdrawalEffect,
    WithdrawalEntries,
)
from pxhub.v1 import consent_pb2, envelope_pb2, exchange_pb2

R = envelope_pb2
C = consent_pb2

__all__ = [
    "ConsentRegistry",
    "consent_from_stored",
    "lineage_to_proto",
    "notice_to_proto",
    "withdrawal_entries",
]


def _stamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def consent_from_stored(stored: StoredConsent) -> Consent:
    """A stored consent as the pure core's model (its signatures were checked at registration)."""
    events = tuple(
        C.SignedConsentEvent(event=e.event, signature=envelope_pb2.Signature.FromString(e.signature))
        for e in stored.events
    )
    return Consent(
        record=C.ConsentRecord.FromString(stored.record),
        raw=stored.record,
        signature=envelope_pb2.Signature.FromString(stored.signature),
        state=stored.state,
        events=events,
        registered_at=stored.registered_at,
    )


def purge_reason(record: LineageRecord) -> consent_pb2.PurgeReason.ValueType:
    """Why the hub dropped a record's ciphertext, from its lineage: only three purges exist.

    Acknowledged by every recipient: the retention after acknowledgement. Otherwise a purge at or
    after the review-or-delete date is the date's, and one before it a consent withdrawal's."""
    if record.purged_at is None:
        return C.PURGE_REASON_UNSPECIFIED
    if all(r.acknowledged_at is not None for r in record.recipients):
        return C.PURGE_REASON_ACKNOWLEDGED
    if record.delete_at is not None and record.purged_at >= record.delete_at:
        return C.PURGE_REASON_REVIEW_OR_DELETE_DATE
    return C.PURGE_REASON_CONSENT_WITHDRAWN


def lineage_to_proto(record: LineageRecord) -> consent_pb2.RecordLineage:
    message = C.RecordLineage(
        message_id=record.message_id,
        sender=record.sender,
        payload_kind=record.payload_kind,  # type: ignore[arg-type]
        purpose=record.purpose,  # type: ignore[arg-type]
        consent_id=record.consent_id,
        accepted_at=_stamp(record.accepted_at),
        purged_at=_stamp(record.purged_at),
        review_or_delete_at=_stamp(record.delete_at),
        purge_reason=purge_reason(record),
    )
    for trace in record.recipients:
        status = 0
        if trace.receipt is not None:
            status = envelope_pb2.DeliveryReceipt.FromString(trace.receipt).status
        message.recipients.append(
            C.RecipientLineage(
                recipient=trace.recipient,
                delivery_count=trace.delivery_count,
                first_delivered_at=_stamp(trace.first_delivered_at),
                acknowledged_at=_stamp(trace.acknowledged_at),
                receipt_status=status,  # type: ignore[arg-type]
                cancelled=trace.cancelled,
                notified_at=_stamp(trace.notified_at),
                attested_at=_stamp(trace.attested_at),
                deletion_status=trace.deletion_status,  # type: ignore[arg-type]
            )
        )
    return message


def notice_to_proto(item: NoticeItem) -> consent_pb2.RevocationNotice:
    return C.RevocationNotice(
        notice_id=item.notice_id,
        message_id=item.message_id,
        header_sha256=item.header_sha256,
        consent_id=item.consent_id,
        controller=item.controller,
        event=C.SignedConsentEvent(
            event=item.event, signature=envelope_pb2.Signature.FromString(item.event_signature)
        ),
        issued_at=_stamp(item.issued_at),
    )


def withdrawal_entries(caller: Caller, now: datetime, state: int = 0) -> WithdrawalEntries:
    """Audit entries for a withdrawal's effect: the state change, then one purge per envelope."""

    def build(effect: WithdrawalEffect) -> list[bytes]:
        entries = []
        if state:
            entries.append(
                audit_events.simple(
                    caller,
                    now,
                    "consent.withdraw",
                    "ok",
                    object_ids=(f"consent:{effect.consent_id}",),
                    details={
                        "state": state_name(state),
                        "purged": len(effect.purged),
                        "notices": len(effect.notices),
                    },
                )
            )
        entries.extend(
            audit_events.simple(
                caller,
                now,
                "purge",
                "ok",
                object_ids=(f"message:{message_id}", f"consent:{effect.consent_id}"),
                details={"cause": "consent_withdrawn"},
            )
            for message_id in effect.purged
        )
        return entries

    return build


class ConsentRegistry:
    def __init__(self, store: HubStore, directory: Directory, clock: Callable[[], datetime]) -> None:
        if not isinstance(store, PolicyConsentStore):
            raise TypeError(f"{type(store).__name__} does not implement PolicyConsentStore")
        self.store: PolicyConsentStore = store
        self.audit = store
        self.directory = directory
        self.clock = clock

    def _member_key(self, member_id: str, key_id: str) -> Ed25519PublicKey | None:
        """Signing keys of national members only (auditors and operators do not control consents)."""
        entry = self.directory.member(member_id)
        if entry is None or entry.role != "member":
            return None
        return self.directory.signing_key(member_id, key_id)

    def _refuse(
        self, caller: Caller, now: datetime, action: str, error: EnvelopeError, objects: tuple[str, ...] = ()
    ) -> EnvelopeError:
        self.audit.append_audit(
            [audit_events.simple(caller, now, action, "deny", object_ids=objects, reason=error.reason)]
        )
        return error

    def _view(self, stored: StoredConsent, now: datetime, with_transfers: bool) -> consent_pb2.ConsentView:
        consent = consent_from_stored(stored)
        view = C.ConsentView(
            consent=consent.signed(),
            events=list(consent.events),
            state=consent.state_at(now),  # type: ignore[arg-type]
            registered_at=_stamp(stored.registered_at),
        )
        if with_transfers:
            view.transfers.extend(
                lineage_to_proto(r) for r in self.store.lineages_for_consent(stored.consent_id)
            )
        return view

    # -- consents ----------------------------------------------------------------------------

    def register(self, caller: Caller, signed: consent_pb2.SignedConsent) -> tuple[str, int, datetime]:
        """Verify and store a consent; returns (consent id, ConsentRegistration, registration time)."""
        now = self.clock()
        try:
            record = verify_signed_consent(signed, self._member_key)
            if record.controller != caller.id:
                raise EnvelopeError(
                    R.REASON_CONSENT_CONTROLLER_MISMATCH,
                    f"consent names controller {record.controller} but the caller is {caller.id}",
                )
            for recipient in record.recipients:
                entry = self.directory.member(recipient)
                if entry is None or entry.role != "member":
                    raise EnvelopeError(
                        R.REASON_UNKNOWN_RECIPIENT, f"consent recipient {recipient!r} is not a member"
                    )
            stored = StoredConsent(
                consent_id=record.consent_id,
                controller=record.controller,
                subject_pseudonym=record.subject_pseudonym,
                record=signed.record,
                signature=signed.signature.SerializeToString(),
                state=C.CONSENT_STATE_GIVEN,
                registered_at=now,
            )
            entry_bytes = audit_events.simple(
                caller,
                now,
                "consent.register",
                "ok",
                object_ids=(f"consent:{record.consent_id}",),
                details={
                    "purposes": ",".join(audit_events.PURPOSE_NAMES.get(p, str(p)) for p in record.purposes),
                    "recipients": ",".join(record.recipients),
                    "valid_until": record.valid_until.ToJsonString(),
                },
            )
            outcome = self.store.register_consent(stored, entry_bytes)
            if outcome is RegisterOutcome.CONFLICT:
                raise EnvelopeError(
                    R.REASON_REPLAYED,
                    f"consent {record.consent_id} is registered with other content; a change is a new record",
                )
        except EnvelopeError as error:
            raise self._refuse(caller, now, "consent.register", error) from None
        if outcome is RegisterOutcome.DUPLICATE:
            known = self.store.get_consent(record.consent_id)
            return record.consent_id, C.CONSENT_REGISTRATION_DUPLICATE, known.registered_at if known else now
        return record.consent_id, C.CONSENT_REGISTRATION_REGISTERED, now

    def change_state(
        self, caller: Caller, signed: consent_pb2.SignedConsentEvent
    ) -> tuple[consent_pb2.ConsentView, WithdrawalEffect]:
        """Withdraw or revoke: purge what is undelivered, queue notices, all in one transaction."""
        now = self.clock()
        objects: tuple[str, ...] = ()
        try:
            event = read_event(signed, self._member_key)
            objects = (f"consent:{event.consent_id}",) if event.consent_id else ()
            stored = self.store.get_consent(event.consent_id)
            if stored is None:
                raise EnvelopeError(
                    R.REASON_UNKNOWN_CONSENT, f"no consent {event.consent_id[:64]!r} is registered"
                )
            if stored.controller != caller.id or signed.signature.signer != caller.id:
                raise EnvelopeError(
                    R.REASON_CONSENT_CONTROLLER_MISMATCH,
                    f"consent {stored.consent_id} can only be changed by its controller {stored.controller}",
                )
            check_event(event, signed.signature.signer, consent_from_stored(stored))
            stored_event = StoredEvent(
                0, signed.event, signed.signature.SerializeToString(), event.state, event.at.ToDatetime(UTC)
            )
            outcome, effect = self.store.change_consent_state(
                stored.consent_id, stored_event, withdrawal_entries(caller, now, event.state), now
            )
            if outcome is ChangeOutcome.NOT_FOUND:
                raise EnvelopeError(R.REASON_UNKNOWN_CONSENT, f"no consent {stored.consent_id} is registered")
            if outcome is ChangeOutcome.NOT_GIVEN:
                raise EnvelopeError(
                    R.REASON_CONSENT_NOT_IN_FORCE, f"consent {stored.consent_id} already changed"
                )
        except EnvelopeError as error:
            raise self._refuse(caller, now, "consent.withdraw", error, objects) from None
        changed = self.store.get_consent(stored.consent_id)
        assert changed is not None
        return self._view(changed, now, with_transfers=True), effect

    def get(self, caller: Caller, consent_id: str) -> consent_pb2.ConsentView:
        """For the controller (with transfers) or a member the consent names as recipient."""
        now = self.clock()
        stored = self.store.get_consent(consent_id)
        if stored is None:
            raise EnvelopeError(R.REASON_UNKNOWN_CONSENT, f"no consent {consent_id[:64]!r} is registered")
        if stored.controller == caller.id:
            return self._view(stored, now, with_transfers=True)
        consent = consent_from_stored(stored)
        if caller.id in consent.record.recipients:
            return self._view(stored, now, with_transfers=False)
        raise EnvelopeError(
            R.REASON_CONSENT_CONTROLLER_MISMATCH,
            f"consent {consent_id} is neither controlled by nor addressed to {caller.id}",
        )

    def list_for_subject(self, caller: Caller, subject_pseudonym: str) -> list[consent_pb2.ConsentView]:
        """Subject access: the caller's consents for one subject, each with every transfer under it."""
        now = self.clock()
        if not is_pseudonym(subject_pseudonym):
            error = EnvelopeError(
                R.REASON_SUBJECT_PSEUDONYM_INVALID, "subject is not a keyed pseudonym (psn:<ISO2>:<32 hex>)"
            )
            raise self._refuse(caller, now, "rights.request", error)
        found = self.store.consents_for_subject(caller.id, subject_pseudonym)
        views = [self._view(s, now, with_transfers=True) for s in found]
        self.audit.append_audit(
            [
                audit_events.simple(
                    caller,
                    now,
                    "rights.request",
                    "ok",
                    object_ids=tuple(f"consent:{s.consent_id}" for s in found[:64]),
                    details={"request": "access", "consents": len(found)},
                )
            ]
        )
        return views

    # -- notices, attestations, lineage ------------------------------------------------------

    def pending_notices(self, caller: Caller, limit: int) -> list[consent_pb2.RevocationNotice]:
        return [notice_to_proto(n) for n in self.store.pending_notices(caller.id, limit)]

    def attest(
        self, caller: Caller, attestations: Sequence[consent_pb2.SignedDeletionAttestation]
    ) -> list[exchange_pb2.AttestDeletionResult]:
        """Record each attestation; the refused ones of the call share one aggregated deny entry."""
        results = []
        refused: list[tuple[str, int]] = []
        for signed in attestations:
            now = self.clock()
            result = exchange_pb2.AttestDeletionResult()
            try:
                attestation = verify_attestation(signed, self._member_key)
                result.message_id = attestation.message_id
                if attestation.recipient != caller.id:
                    raise EnvelopeError(
                        R.REASON_SENDER_MISMATCH,
                        f"attestation is signed for {attestation.recipient!r}, the caller is {caller.id!r}",
                    )
                entry = audit_events.simple(
                    caller,
                    now,
                    "deletion.attest",
                    "ok",
                    object_ids=(f"message:{attestation.message_id}", f"consent:{attestation.consent_id}")
                    if attestation.consent_id
                    else (f"message:{attestation.message_id}",),
                    details={
                        "status": C.DeletionStatus.Name(attestation.status).removeprefix("DELETION_STATUS_")
                    },
                    officer_pseudonym=attestation.officer_pseudonym,
                )
                outcome = self.store.attest_deletion(
                    caller.id,
                    attestation.message_id,
                    attestation.header_sha256,
                    signed.attestation,
                    signed.signature.value,
                    attestation.status,
                    entry,
                    now,
                )
                if outcome is AttestOutcome.NO_NOTICE:
                    raise EnvelopeError(
                        R.REASON_NO_REVOCATION_NOTICE,
                        f"no revocation notice was sent to {caller.id} about {attestation.message_id}"
                        " and its review-or-delete date has not come",
                    )
                if outcome is AttestOutcome.MISMATCH:
                    raise EnvelopeError(
                        R.REASON_RECEIPT_MISMATCH,
                        "attestation header digest differs from the delivered envelope",
                    )
                result.outcome = (
                    exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED
                    if outcome is AttestOutcome.RECORDED
                    else exchange_pb2.ACKNOWLEDGE_OUTCOME_DUPLICATE
                )
            except EnvelopeError as error:
                refused.append((result.message_id, error.reason))
                result.outcome = exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED
                result.reason = error.reason
                result.detail = error.detail
            results.append(result)
        if refused:
            self.audit.append_audit(
                [audit_events.refused_items(caller, self.clock(), "deletion.attest", refused)]
            )
        return results

    def track(self, caller: Caller, message_id: str) -> consent_pb2.RecordLineage:
        record = self.store.lineage(message_id)
        if record is None:
            raise EnvelopeError(R.REASON_UNKNOWN_MESSAGE, f"no record {message_id[:64]!r} was accepted")
        if record.sender != caller.id:
            raise EnvelopeError(R.REASON_NOT_ORIGINATOR, f"only the originator {record.sender} may track it")
        return lineage_to_proto(record)
