"""The exchange itself: admit envelopes, serve mailboxes, record acknowledgements.

No gRPC here: the servicer translates requests and calls these methods from
a worker thread (they verify signatures and write to the database, both of
which would otherwise block the event loop).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from hub import audit_events
from hub.admission import AdmissionLimits, check_admission, check_size
from hub.consents import ConsentRegistry
from hub.core.envelope import (
    EnvelopeError,
    VerifiedEnvelope,
    header_sha256,
    is_canonical_message_id,
    verify,
    verify_delivery_receipt,
)
from hub.directory import Directory
from hub.identity import HUB_CALLER, Caller
from hub.policy_gate import PolicyBook, PolicyGate
from hub.store import AcknowledgeOutcome, Admission, AdmitOutcome, HubStore, MailboxItem
from pxhub.v1 import envelope_pb2, exchange_pb2

Outcome = envelope_pb2.Receipt.Outcome

# Signature checks of one batch run in parallel threads (cryptography releases the GIL).
CHECK_WORKERS = max(2, os.cpu_count() or 2)
PARALLEL_MIN_BATCH = 8
_CHECK_POOL = ThreadPoolExecutor(max_workers=CHECK_WORKERS, thread_name_prefix="pxhub-verify")


@dataclass(frozen=True)
class SubmitSummary:
    """What one batch did, for the RPC log line."""

    accepted: int
    duplicates: int
    rejected: int
    reasons: tuple[str, ...]


def summarize(receipts: Sequence[envelope_pb2.Receipt]) -> SubmitSummary:
    return SubmitSummary(
        accepted=sum(1 for r in receipts if r.outcome == Outcome.OUTCOME_ACCEPTED),
        duplicates=sum(1 for r in receipts if r.outcome == Outcome.OUTCOME_DUPLICATE),
        rejected=sum(1 for r in receipts if r.outcome == Outcome.OUTCOME_REJECTED),
        reasons=tuple(sorted({audit_events.reason_name(r.reason) for r in receipts if r.reason})),
    )


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _message_id_hint(envelope: envelope_pb2.Envelope) -> str:
    """Best-effort message id of an envelope that failed verification (for the receipt only)."""
    try:
        header = envelope_pb2.EnvelopeHeader.FromString(envelope.header)
        hint = envelope_pb2.RecordMetadata.FromString(header.metadata).message_id
    except Exception:
        return ""
    # A tampered header can carry any text: only a canonical id goes into a receipt or the audit log.
    return hint if is_canonical_message_id(hint) else ""


class Exchange:
    def __init__(
        self,
        store: HubStore,
        directory: Directory,
        limits: AdmissionLimits | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.directory = directory
        self.limits = limits or AdmissionLimits()
        self.clock = clock
        self.policies = PolicyBook(store, directory)
        self.gate = PolicyGate(self.policies, store, clock)
        self.consents = ConsentRegistry(store, directory, clock)

    def check_one(
        self, caller: Caller, envelope: envelope_pb2.Envelope, now: datetime
    ) -> tuple[int, VerifiedEnvelope | EnvelopeError]:
        """Every check of one envelope; the error, if any, is returned rather than raised."""
        size = envelope.ByteSize()
        try:
            check_size(size, self.limits)
            verified = verify(envelope, self.directory)
            check_admission(caller.id, verified, self.directory, self.limits, now)
            self.gate.check(verified, now)
        except EnvelopeError as error:
            return size, error
        return size, verified

    def _check_all(
        self, caller: Caller, envelopes: Sequence[envelope_pb2.Envelope], now: datetime
    ) -> list[tuple[int, VerifiedEnvelope | EnvelopeError]]:
        """Check a batch on every core: Ed25519 verification releases the GIL."""
        if len(envelopes) < PARALLEL_MIN_BATCH:
            return [self.check_one(caller, envelope, now) for envelope in envelopes]
        chunks = [envelopes[i::CHECK_WORKERS] for i in range(CHECK_WORKERS)]
        results = list(_CHECK_POOL.map(lambda chunk: [self.check_one(caller, e, now) for e in chunk], chunks))
        # Re-interleave the strided chunks back into submission order.
        ordered: list[tuple[int, VerifiedEnvelope | EnvelopeError]] = []
        for i in range(len(envelopes)):
            ordered.append(results[i % CHECK_WORKERS][i // CHECK_WORKERS])
        return ordered

    def submit(
        self, caller: Caller, envelopes: Sequence[envelope_pb2.Envelope]
    ) -> tuple[list[envelope_pb2.Receipt], SubmitSummary]:
        """Check every envelope, store the admissible ones atomically, answer one receipt each."""
        now = self.clock()
        stamp = _timestamp(now)
        receipts: list[envelope_pb2.Receipt | None] = [None] * len(envelopes)
        admissions: list[Admission] = []
        positions: list[int] = []
        metadata_by_id: dict[str, envelope_pb2.RecordMetadata] = {}
        denials: list[bytes] = []
        for position, (envelope, (size, checked)) in enumerate(
            zip(envelopes, self._check_all(caller, envelopes, now), strict=True)
        ):
            if isinstance(checked, EnvelopeError):
                error = checked
                message_id = _message_id_hint(envelope)
                receipts[position] = envelope_pb2.Receipt(
                    message_id=message_id,
                    outcome=Outcome.OUTCOME_REJECTED,
                    reason=error.reason,
                    detail=error.detail,
                    received_at=stamp,
                )
                denials.append(
                    audit_events.submit_decision(
                        caller, now, message_id=message_id, permitted=False, reason=error.reason, size=size
                    )
                )
                continue
            verified = checked
            metadata = verified.metadata
            metadata_by_id[metadata.message_id] = metadata
            admissions.append(
                Admission(
                    message_id=metadata.message_id,
                    sender=metadata.sender.member_id,
                    recipients=tuple(r.member_id for r in metadata.recipients),
                    header_sha256=verified.header_sha256,
                    envelope=envelope.SerializeToString(),
                    payload_kind=metadata.payload_kind,
                    purpose=metadata.purpose,
                    consent_ref=metadata.consent_ref if metadata.legal_basis == audit_events.CONSENT else "",
                )
            )
            positions.append(position)

        def entry_for(admission: Admission, outcome: AdmitOutcome, when: datetime) -> bytes:
            replayed = outcome is AdmitOutcome.REPLAYED
            return audit_events.submit_decision(
                caller,
                when,
                message_id=admission.message_id,
                permitted=not replayed,
                reason=envelope_pb2.REASON_REPLAYED if replayed else 0,
                metadata=metadata_by_id[admission.message_id],
                size=len(admission.envelope),
            )

        results = self.store.admit(admissions, entry_for, denials, now=now)
        self.gate.after_admit(admissions, results, now)
        for position, admission, result in zip(positions, admissions, results, strict=True):
            receipt = envelope_pb2.Receipt(
                message_id=admission.message_id,
                received_at=stamp,
                header_sha256=admission.header_sha256,
            )
            if result.outcome is AdmitOutcome.ACCEPTED:
                receipt.outcome = Outcome.OUTCOME_ACCEPTED
            elif result.outcome is AdmitOutcome.DUPLICATE:
                receipt.outcome = Outcome.OUTCOME_DUPLICATE
                receipt.detail = f"already accepted at {result.accepted_at.isoformat()}"
            else:
                receipt.outcome = Outcome.OUTCOME_REJECTED
                receipt.reason = envelope_pb2.REASON_REPLAYED
                receipt.detail = "message id already used for a different envelope"
            receipts[position] = receipt
        final = [r for r in receipts if r is not None]
        return final, summarize(final)

    def fetch(self, caller: Caller, after_seq: int, limit: int) -> list[MailboxItem]:
        """The caller's next deliveries; each hand-over is an audit entry, durable before it is sent."""
        now = self.clock()
        return self.store.fetch(
            caller.id,
            after_seq,
            limit,
            lambda item: audit_events.simple(
                caller,
                now,
                "deliver",
                "ok",
                object_ids=(f"message:{item.message_id}",),
                details={"recipient": caller.id, "redelivery": item.delivered_count},
            ),
        )

    def acknowledge(
        self, caller: Caller, acknowledgements: Sequence[exchange_pb2.Acknowledgement]
    ) -> list[exchange_pb2.AcknowledgeResult]:
        results = []
        for ack in acknowledgements:
            now = self.clock()
            try:
                receipt = verify_delivery_receipt(ack, self.directory)
                if receipt.recipient != caller.id:
                    raise EnvelopeError(
                        envelope_pb2.REASON_SENDER_MISMATCH,
                        f"receipt is signed for {receipt.recipient!r} but the caller is {caller.id!r}",
                    )
            except EnvelopeError as error:
                results.append(
                    exchange_pb2.AcknowledgeResult(
                        outcome=exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED,
                        reason=error.reason,
                        detail=error.detail,
                    )
                )
                self.store.append_audit(
                    [audit_events.simple(caller, now, "acknowledge", "deny", reason=error.reason)]
                )
                continue
            status = envelope_pb2.DeliveryReceipt.DeliveryStatus.Name(receipt.status).removeprefix(
                "DELIVERY_STATUS_"
            )
            entry = audit_events.simple(
                caller,
                now,
                "acknowledge",
                "ok",
                object_ids=(f"message:{receipt.message_id}",),
                details={"status": status},
                officer_pseudonym=receipt.officer_pseudonym,
            )
            outcome = self.store.acknowledge(
                caller.id,
                receipt.message_id,
                receipt.header_sha256,
                ack.receipt,
                ack.signature.value,
                entry,
                now=now,
            )
            result = exchange_pb2.AcknowledgeResult(message_id=receipt.message_id)
            if outcome is AcknowledgeOutcome.RECORDED:
                result.outcome = exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED
            elif outcome is AcknowledgeOutcome.DUPLICATE:
                result.outcome = exchange_pb2.ACKNOWLEDGE_OUTCOME_DUPLICATE
            else:
                result.outcome = exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED
                if outcome is AcknowledgeOutcome.NOT_A_RECIPIENT:
                    result.reason = envelope_pb2.REASON_NOT_A_RECIPIENT
                    result.detail = "no delivery of that message to the caller"
                else:
                    result.reason = envelope_pb2.REASON_RECEIPT_MISMATCH
                    result.detail = "receipt header digest differs from the delivered envelope"
                self.store.append_audit(
                    [
                        audit_events.simple(
                            caller,
                            now,
                            "acknowledge",
                            "deny",
                            object_ids=(f"message:{receipt.message_id}",),
                            reason=result.reason,
                        )
                    ]
                )
            results.append(result)
        return results

    def purge(self, retention_cutoff: datetime) -> int:
        """Drop ciphertexts acknowledged by all recipients before the cutoff."""
        now = self.clock()
        return self.store.purge_acknowledged(
            retention_cutoff,
            lambda message_id: audit_events.simple(
                HUB_CALLER, now, "purge", "ok", object_ids=(f"message:{message_id}",)
            ),
        )


__all__ = ["Exchange", "SubmitSummary", "header_sha256"]
