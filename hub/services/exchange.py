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
from typing import TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from hub.core.envelope import (
    EnvelopeError,
    VerifiedEnvelope,
    header_sha256,
    is_canonical_message_id,
    verify,
    verify_delivery_receipt,
)
from hub.core.findings import check_version_header
from hub.core.requests import RequestRecord
from hub.identity.caller import HUB_CALLER, Caller
from hub.identity.directory import Directory
from hub.runtime.clock import edge_clock
from hub.services import audit_events
from hub.services.admission import AdmissionLimits, check_admission, check_size
from hub.services.consents import ConsentRegistry
from hub.services.lookup import LookupBook
from hub.services.policy_gate import PolicyBook, PolicyGate
from hub.services.requests import RequestDesk
from hub.store import (
    AcknowledgeOutcome,
    Admission,
    AdmitOutcome,
    DatePurge,
    HubStore,
    MailboxItem,
    ReceiptToRecord,
)
from pxhub.v1 import envelope_pb2, exchange_pb2

Outcome = envelope_pb2.Receipt.Outcome

# Signature checks of one batch run in parallel threads (cryptography releases the GIL).
CHECK_WORKERS = max(2, os.cpu_count() or 2)
PARALLEL_MIN_BATCH = 8
_CHECK_POOL = ThreadPoolExecutor(max_workers=CHECK_WORKERS, thread_name_prefix="pxhub-verify")
Item = TypeVar("Item")
Result = TypeVar("Result")


def _check_in_parallel(check: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """``[check(item) for item in items]`` on every core, one task per worker (a future per item
    would cost more than a failed check); Ed25519 verification releases the GIL."""
    if len(items) < PARALLEL_MIN_BATCH:
        return [check(item) for item in items]

    def run(chunk: Sequence[Item]) -> list[Result]:
        return [check(item) for item in chunk]

    results = list(_CHECK_POOL.map(run, [items[i::CHECK_WORKERS] for i in range(CHECK_WORKERS)]))
    # Re-interleave the strided chunks back into their order.
    return [results[i % CHECK_WORKERS][i // CHECK_WORKERS] for i in range(len(items))]


#: A receipt the store refused: the reason and detail the member gets (the reason is also audited).
_ACK_REFUSALS = {
    AcknowledgeOutcome.NOT_A_RECIPIENT: (
        envelope_pb2.REASON_NOT_A_RECIPIENT,
        "no delivery of that message to the caller",
    ),
    AcknowledgeOutcome.MISMATCH: (
        envelope_pb2.REASON_RECEIPT_MISMATCH,
        "receipt header digest differs from the delivered envelope",
    ),
}

#: An admission the store refused: the reason and detail of the envelope's receipt.
_ADMIT_REFUSALS = {
    AdmitOutcome.REPLAYED: (envelope_pb2.REASON_REPLAYED, "message id already used for a different envelope"),
    AdmitOutcome.CONFLICT: (
        envelope_pb2.REASON_REQUEST_CLOSED,
        "the request this answers was answered, refused or withdrawn meanwhile",
    ),
}


@dataclass(frozen=True)
class SubmitSummary:
    """What one batch did, for the RPC log line."""

    accepted: int
    duplicates: int
    rejected: int
    reasons: tuple[str, ...]


def summarize(receipts: Sequence[envelope_pb2.Receipt]) -> SubmitSummary:
    """Counts per outcome in one pass over the receipts."""
    counts = {Outcome.OUTCOME_ACCEPTED: 0, Outcome.OUTCOME_DUPLICATE: 0, Outcome.OUTCOME_REJECTED: 0}
    reasons: set[int] = set()
    for receipt in receipts:
        counts[receipt.outcome] = counts.get(receipt.outcome, 0) + 1
        if receipt.reason:
            reasons.add(receipt.reason)
    return SubmitSummary(
        accepted=counts[Outcome.OUTCOME_ACCEPTED],
        duplicates=counts[Outcome.OUTCOME_DUPLICATE],
        rejected=counts[Outcome.OUTCOME_REJECTED],
        reasons=tuple(sorted(audit_events.reason_name(r) for r in reasons)),
    )


@dataclass(frozen=True, slots=True)
class _Checked:
    """One envelope after every check: its receipt so far, and what the store needs of it.

    ``entry`` is the permit of an admission, built while checking so the writer only looks it
    up; ``admission`` is None (and ``entry`` empty) for a rejection, whose refusal is aggregated
    with the call's others. ``size`` is the envelope's encoded size.
    """

    receipt: envelope_pb2.Receipt
    size: int
    entry: bytes = b""
    admission: Admission | None = None
    metadata: envelope_pb2.RecordMetadata | None = None


@dataclass(frozen=True, slots=True)
class CheckedBatch:
    """A batch after ``Exchange.check``: who sent it, the time it was checked at, each envelope."""

    caller: Caller
    now: datetime
    checked: list[_Checked]

    def part(self, ranges: Sequence[tuple[int, int]]) -> CheckedBatch:
        """The same batch with only the envelopes in ``ranges`` (``[start, end)`` positions)."""
        return CheckedBatch(
            self.caller, self.now, [c for start, end in ranges for c in self.checked[start:end]]
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
        clock: Callable[[], datetime] = edge_clock,
    ) -> None:
        self.store = store
        self.directory = directory
        self.limits = limits or AdmissionLimits()
        self.clock = clock
        self.policies = PolicyBook(store, directory)
        self.gate = PolicyGate(self.policies, store, clock)
        self.consents = ConsentRegistry(store, directory, clock)
        self.lookups = LookupBook(store, directory, self.policies, clock)
        self.requests = RequestDesk(store, self.lookups, clock)

    def check_one(
        self, caller: Caller, envelope: envelope_pb2.Envelope, now: datetime
    ) -> tuple[int, VerifiedEnvelope | EnvelopeError]:
        """Every check of one envelope; the error, if any, is returned rather than raised."""
        size, checked, _ = self._check_one(caller, envelope, now)
        return size, checked

    def _check_one(
        self, caller: Caller, envelope: envelope_pb2.Envelope, now: datetime
    ) -> tuple[int, VerifiedEnvelope | EnvelopeError, tuple[RequestRecord | None, RequestRecord | None]]:
        """Every check of one envelope, and what it does to requests (opens one, or closes one)."""
        size = envelope.ByteSize()
        try:
            check_size(size, self.limits)
            verified = verify(envelope, self.directory)
            check_admission(caller.id, verified, self.directory, self.limits, now)
            self.check_supersedes(verified.metadata)
            requested = self.requests.check(verified, caller, now)
            decision = self.gate.check(verified, now, requested.pull_layers_asked)
            opened = None
            if verified.metadata.type == envelope_pb2.MESSAGE_TYPE_REQUEST:
                opened = self.requests.opened(verified, decision, self.policies.current(), now)
        except EnvelopeError as error:
            return size, error, (None, None)
        return size, verified, (opened, requested.closed)

    def check_supersedes(self, metadata: envelope_pb2.RecordMetadata) -> None:
        """An UPDATE's link, from headers alone: the sender sent the superseded message, of the same
        kind, to the same recipients (the receiver checks the rest when it opens the payload)."""
        check_version_header(metadata)
        if metadata.type != envelope_pb2.MESSAGE_TYPE_UPDATE:
            return
        link = metadata.supersedes_message_id
        previous = self.consents.store.lineage(link)
        if previous is None or previous.sender != metadata.sender.member_id:
            raise EnvelopeError(
                envelope_pb2.REASON_SUPERSEDES_UNKNOWN,
                f"supersedes {link}, which {metadata.sender.member_id} never sent",
            )
        if previous.payload_kind != metadata.payload_kind:
            raise EnvelopeError(
                envelope_pb2.REASON_SUPERSEDES_UNKNOWN,
                f"supersedes {link}, a record of another kind",
            )
        before = sorted(r.recipient for r in previous.recipients)
        after = sorted(r.member_id for r in metadata.recipients)
        if before != after:
            raise EnvelopeError(
                envelope_pb2.REASON_SUPERSEDES_UNKNOWN,
                f"a new version goes to the recipients of the one it supersedes ({', '.join(before)}), "
                f"not to {', '.join(after)}",
            )

    def _check_and_build(
        self, caller: Caller, envelope: envelope_pb2.Envelope, now: datetime, stamp: Timestamp
    ) -> _Checked:
        """Check one envelope and build its receipt and audit entry, off the writer's path."""
        size, checked, (opened, closed) = self._check_one(caller, envelope, now)
        if isinstance(checked, EnvelopeError):
            message_id = _message_id_hint(envelope)
            return _Checked(
                envelope_pb2.Receipt(
                    message_id=message_id,
                    outcome=Outcome.OUTCOME_REJECTED,
                    reason=checked.reason,
                    detail=checked.detail,
                    received_at=stamp,
                ),
                size,
            )
        metadata = checked.metadata
        message_id = metadata.message_id
        raw = envelope.SerializeToString()
        admission = Admission(
            message_id=message_id,
            sender=metadata.sender.member_id,
            recipients=tuple(r.member_id for r in metadata.recipients),
            header_sha256=checked.header_sha256,
            envelope=raw,
            payload_kind=metadata.payload_kind,
            purpose=metadata.purpose,
            consent_ref=metadata.consent_ref if metadata.legal_basis == audit_events.CONSENT else "",
            request_opened=opened,
            request_closed=closed,
            delete_at=metadata.review_or_delete_at.ToDatetime(UTC)
            if metadata.HasField("review_or_delete_at")
            else None,
        )
        entry = audit_events.submit_permit(
            caller,
            now,
            message_id=message_id,
            metadata=metadata,
            size=len(raw),
            request=opened or closed,
        )
        receipt = envelope_pb2.Receipt(
            message_id=message_id, received_at=stamp, header_sha256=checked.header_sha256
        )
        return _Checked(receipt, len(raw), entry, admission, metadata)

    def _check_all(
        self, caller: Caller, envelopes: Sequence[envelope_pb2.Envelope], now: datetime
    ) -> list[_Checked]:
        """Check a batch, on every core when it is large enough (Ed25519 verification releases the
        GIL); receipts and audit entries are built here too, so the transaction only stores."""
        stamp = _timestamp(now)
        return _check_in_parallel(lambda e: self._check_and_build(caller, e, now, stamp), envelopes)

    def submit(
        self, caller: Caller, envelopes: Sequence[envelope_pb2.Envelope]
    ) -> list[envelope_pb2.Receipt]:
        """Check every envelope, store the admissible ones atomically, answer one receipt each."""
        return self.commit(self.check(caller, envelopes))

    def check(self, caller: Caller, envelopes: Sequence[envelope_pb2.Envelope]) -> CheckedBatch:
        """Every check of a batch, with its receipts and audit entries built; stores nothing.

        The writer checks the next batch while the previous one commits (``SubmitBatcher``): what
        can change in between (a replayed id, a request answered meanwhile, a consent withdrawn)
        is decided again inside the transaction by ``commit``.
        """
        now = self.clock()
        return CheckedBatch(caller, now, self._check_all(caller, envelopes, now))

    def commit(self, batch: CheckedBatch) -> list[envelope_pb2.Receipt]:
        """Store a checked batch's admissible envelopes in one transaction; its receipts, in order."""
        caller, now, checked_all = batch.caller, batch.now, batch.checked
        admitted = [c for c in checked_all if c.admission is not None]
        admissions = [c.admission for c in admitted if c.admission is not None]
        refused_while_checking = [
            (c.receipt.message_id, c.receipt.reason) for c in checked_all if c.admission is None
        ]
        refused_size = sum(c.size for c in checked_all if c.admission is None)

        def audit_entries(outcomes: Sequence[AdmitOutcome], when: datetime) -> list[bytes]:
            """A permit per accepted envelope; one aggregated deny for every refused one (a
            duplicate adds nothing: its receipt names the acceptance it repeats)."""
            entries: list[bytes] = []
            refused = list(refused_while_checking)
            size = refused_size
            for checked, outcome in zip(admitted, outcomes, strict=True):
                if outcome is AdmitOutcome.ACCEPTED:
                    entries.append(checked.entry)
                elif outcome is not AdmitOutcome.DUPLICATE:
                    refused.append((checked.receipt.message_id, _ADMIT_REFUSALS[outcome][0]))
                    size += checked.size
            if refused:
                entries.append(audit_events.refused_items(caller, when, "submit", refused, size=size))
            return entries

        results = self.store.admit(admissions, audit_entries, now=now)
        self.gate.after_admit(admissions, results, now)
        for checked, result in zip(admitted, results, strict=True):
            receipt = checked.receipt
            if result.outcome is AdmitOutcome.ACCEPTED:
                receipt.outcome = Outcome.OUTCOME_ACCEPTED
            elif result.outcome is AdmitOutcome.DUPLICATE:
                receipt.outcome = Outcome.OUTCOME_DUPLICATE
                receipt.detail = f"already accepted at {result.accepted_at.isoformat()}"
            else:
                receipt.outcome = Outcome.OUTCOME_REJECTED
                receipt.reason, receipt.detail = _ADMIT_REFUSALS[result.outcome]
        return [c.receipt for c in checked_all]

    def fetch(self, caller: Caller, after_seq: int, limit: int) -> list[MailboxItem]:
        """The caller's next deliveries, audited durably before they are sent: an entry for each
        first hand-over, and one entry for the redeliveries of the call (a member fetching its
        mailbox again and again cannot grow the log by the size of its mailbox each time)."""
        now = self.clock()

        def audit_entries(items: Sequence[MailboxItem]) -> list[bytes]:
            entries = [
                audit_events.simple(
                    caller,
                    now,
                    "deliver",
                    "ok",
                    object_ids=(f"message:{item.message_id}",),
                    details={"recipient": caller.id, "redelivery": 0},
                )
                for item in items
                if item.delivered_count == 0
            ]
            again = [item for item in items if item.delivered_count > 0]
            if again:
                entries.append(audit_events.redeliveries(caller, now, [item.message_id for item in again]))
            return entries

        return self.store.fetch(caller.id, after_seq, limit, audit_entries)

    def acknowledge(
        self, caller: Caller, acknowledgements: Sequence[exchange_pb2.Acknowledgement]
    ) -> list[exchange_pb2.AcknowledgeResult]:
        """Verify every receipt (in parallel), record the valid ones in one durable transaction.

        One result per acknowledgement, in order; the refused ones of the call share one aggregated
        ``deny`` audit entry.
        """
        now = self.clock()

        def check(ack: exchange_pb2.Acknowledgement) -> envelope_pb2.DeliveryReceipt | EnvelopeError:
            try:
                receipt = verify_delivery_receipt(ack, self.directory)
            except EnvelopeError as error:
                return error
            if receipt.recipient != caller.id:
                return EnvelopeError(
                    envelope_pb2.REASON_SENDER_MISMATCH,
                    f"receipt is signed for {receipt.recipient!r} but the caller is {caller.id!r}",
                )
            return receipt

        checked = _check_in_parallel(check, acknowledgements)
        results: list[exchange_pb2.AcknowledgeResult] = []
        to_record: list[ReceiptToRecord] = []
        recorded_at: list[int] = []  # index in results of each receipt to record
        refused_while_checking: list[tuple[str, int]] = []  # receipts that did not verify
        for ack, receipt in zip(acknowledgements, checked, strict=True):
            if isinstance(receipt, EnvelopeError):
                refused_while_checking.append(("", receipt.reason))  # an unverified id is not named
                results.append(
                    exchange_pb2.AcknowledgeResult(
                        outcome=exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED,
                        reason=receipt.reason,
                        detail=receipt.detail,
                    )
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
            recorded_at.append(len(results))
            results.append(exchange_pb2.AcknowledgeResult(message_id=receipt.message_id))
            to_record.append(
                ReceiptToRecord(
                    receipt.message_id, receipt.header_sha256, ack.receipt, ack.signature.value, entry
                )
            )

        def audit_entries(outcomes: Sequence[AcknowledgeOutcome]) -> list[bytes]:
            """The recorded receipts' entries, then one aggregated deny for every refused one."""
            refused = list(refused_while_checking)
            entries = []
            for item, outcome in zip(to_record, outcomes, strict=True):
                if outcome is AcknowledgeOutcome.RECORDED:
                    entries.append(item.audit_entry)
                elif outcome is not AcknowledgeOutcome.DUPLICATE:
                    refused.append((item.message_id, _ACK_REFUSALS[outcome][0]))
            if refused:
                entries.append(audit_events.refused_items(caller, now, "acknowledge", refused))
            return entries

        outcomes = self.store.acknowledge_many(caller.id, to_record, now=now, audit_entries=audit_entries)
        for index, outcome in zip(recorded_at, outcomes, strict=True):
            result = results[index]
            if outcome is AcknowledgeOutcome.RECORDED:
                result.outcome = exchange_pb2.ACKNOWLEDGE_OUTCOME_RECORDED
            elif outcome is AcknowledgeOutcome.DUPLICATE:
                result.outcome = exchange_pb2.ACKNOWLEDGE_OUTCOME_DUPLICATE
            else:
                result.outcome = exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED
                result.reason, result.detail = _ACK_REFUSALS[outcome]
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

    def purge_past_delete_date(self) -> list[DatePurge]:
        """Drop the undelivered ciphertext whose review-or-delete date passed on the hub's clock,
        with one aggregated audit entry for the run (counts per sender and recipient, a digest of
        the message ids)."""
        now = self.clock()
        return self.store.purge_past_delete_date(now, lambda purged: audit_events.date_purge(now, purged))


__all__ = ["CheckedBatch", "Exchange", "SubmitSummary", "header_sha256"]
