"""Member SDK: the policy, the recipients' guard, consents, lineage, notices and attestations.

Mixed into ``MemberClient``. The policy is fetched from the hub and checked
against the operator's key in the hub-signed directory, so a member trusts
the operator's signature, not the hub's word. Senders project records to
their purpose's layers before sealing; recipients refuse (and acknowledge as
REFUSED) any record that carries more than its declared purpose permits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from hub.core.consent import read_event, sign_attestation, sign_consent, sign_event
from hub.core.envelope import EnvelopeError, SignerKey, VerifiedEnvelope
from hub.core.layers import layers_present
from hub.core.policy import (
    AllowedLayers,
    ExchangePolicy,
    forbidden_fields,
    layer_name,
    project,
    verify_signed_policy,
)
from hub.identity.credentials import IdentityCredentials
from hub.identity.directory import Directory
from hub.policy import operator_keys
from hub.runtime.clock import edge_clock
from hub.sdk.chunks import call_in_chunks
from hub.transport.status import reason_of
from pxhub.v1 import (
    consent_pb2,
    consent_pb2_grpc,
    envelope_pb2,
    exchange_pb2,
    exchange_pb2_grpc,
    policy_pb2,
    policy_pb2_grpc,
    record_pb2,
)

R = envelope_pb2
C = consent_pb2


def _now_stamp() -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(edge_clock())
    return stamp


class RecipientGuardError(EnvelopeError):
    """A delivery the recipient refuses under the policy; ``acknowledgement`` is its signed REFUSED receipt.

    Acknowledging it ends the hub's duty to keep the envelope, and the
    originator sees the refusal and its reason in Track.
    """

    def __init__(
        self,
        reason: envelope_pb2.Reason.ValueType,
        detail: str,
        acknowledgement: exchange_pb2.Acknowledgement | None = None,
    ) -> None:
        super().__init__(reason, detail)
        self.acknowledgement = acknowledgement


class PolicyConsentClientMixin:
    """Needs the client's ``channel``, ``identity``, ``directory`` and ``receipt_for``."""

    channel: grpc.aio.Channel
    identity: IdentityCredentials
    directory: Directory
    policy: ExchangePolicy | None = None

    if TYPE_CHECKING:

        def receipt_for(
            self,
            verified: VerifiedEnvelope,
            *,
            refused_reason: int = 0,
            detail: str = "",
            officer_pseudonym: str = "",
        ) -> exchange_pb2.Acknowledgement: ...

    @property
    def _signer(self) -> SignerKey:
        return SignerKey(self.identity.identity_id, self.identity.signing_key_id, self.identity.signing_key)

    @property
    def _policy_stub(self) -> policy_pb2_grpc.PolicyServiceAsyncStub:
        return policy_pb2_grpc.PolicyServiceStub(self.channel)

    @property
    def _consent_stub(self) -> consent_pb2_grpc.ConsentServiceAsyncStub:
        return consent_pb2_grpc.ConsentServiceStub(self.channel)

    @property
    def _exchange_stub(self) -> exchange_pb2_grpc.ExchangeServiceAsyncStub:
        return exchange_pb2_grpc.ExchangeServiceStub(self.channel)

    # -- policy ------------------------------------------------------------------------------

    async def refresh_policy(self) -> ExchangePolicy | None:
        """Fetch the policy in force and verify the operator's signature (None when the hub has none)."""
        try:
            response = await self._policy_stub.GetPolicy(policy_pb2.GetPolicyRequest(), timeout=30)
        except grpc.aio.AioRpcError as error:
            if reason_of(error) == "POLICY_UNAVAILABLE":
                self.policy = None
                return None
            raise
        self.policy = verify_signed_policy(response.policy, operator_keys(self.directory))
        return self.policy

    async def publish_policy(self, policy: policy_pb2.Policy) -> policy_pb2.PublishPolicyResponse:
        """Operator only: sign ``policy`` with this identity's key and publish it."""
        from hub.core.policy import sign_policy

        policy.issuer = self.identity.identity_id
        if not policy.HasField("issued_at"):
            policy.issued_at.CopyFrom(_now_stamp())
        signed = sign_policy(policy, self._signer)
        return await self._policy_stub.PublishPolicy(
            policy_pb2.PublishPolicyRequest(policy=signed.signed()), timeout=30
        )

    def allowed_layers(self, purpose: int) -> AllowedLayers | None:
        return self.policy.allowed_layers(purpose) if self.policy is not None else None

    def project(self, record: record_pb2.Record, purpose: int) -> record_pb2.Record:
        """The record stripped to what ``purpose`` permits under the policy in force (senders)."""
        allowed = self.allowed_layers(purpose)
        if allowed is None:
            raise ValueError(f"purpose {R.Purpose.Name(purpose)} is not defined by the policy in force")  # type: ignore[arg-type]
        return project(record, allowed)

    def guard(self, verified: VerifiedEnvelope, record: record_pb2.Record) -> None:
        """The recipients' guard: refuse a record holding more than its declared purpose permits.

        Raises :class:`RecipientGuardError` (LAYER_NOT_PERMITTED or
        PURPOSE_UNKNOWN) carrying the signed REFUSED acknowledgement; with no
        policy at all, a plain POLICY_UNAVAILABLE error and no acknowledgement
        (the delivery stays in the mailbox until a policy is known).
        """
        if self.policy is None:
            raise EnvelopeError(R.REASON_POLICY_UNAVAILABLE, "no verified policy: cannot check the delivery")
        purpose = verified.metadata.purpose
        allowed = self.policy.allowed_layers(purpose)
        if allowed is not None and verified.metadata.type == R.MESSAGE_TYPE_RESPONSE:
            # An answer to a request may carry the purpose's pull-only layers (the hub checked that
            # the request asked for them).
            allowed = self.policy.response_layers(purpose, self.policy.requestable_layers(purpose))
        if allowed is None:
            reason, detail = (
                R.REASON_PURPOSE_UNKNOWN,
                f"purpose {purpose} is not defined by policy v{self.policy.version}",
            )
        else:
            excess = layers_present(record) - allowed.layers
            fields = forbidden_fields(record, allowed)
            if not excess and not fields:
                return
            reason = R.REASON_LAYER_NOT_PERMITTED
            name = R.Purpose.Name(purpose).removeprefix("PURPOSE_")
            layers = ", ".join(layer_name(layer) for layer in sorted(excess))
            more = f" (+{len(fields) - 4} more)" if len(fields) > 4 else ""
            detail = (
                f"purpose {name} does not permit "
                + (f"layer(s) {layers}: " if layers else "")
                + ", ".join(fields[:4])
                + more
            )
        raise RecipientGuardError(
            reason, detail, self.receipt_for(verified, refused_reason=reason, detail=detail)
        )

    # -- consents (controller) ---------------------------------------------------------------

    async def register_consent(
        self, record: consent_pb2.ConsentRecord
    ) -> consent_pb2.RegisterConsentResponse:
        """Sign ``record`` as its controller and register it."""
        signed = sign_consent(record, self._signer)
        return await self._consent_stub.RegisterConsent(
            consent_pb2.RegisterConsentRequest(consent=signed), timeout=30
        )

    async def get_consent(self, consent_id: str) -> consent_pb2.ConsentView:
        response = await self._consent_stub.GetConsent(
            consent_pb2.GetConsentRequest(consent_id=consent_id), timeout=30
        )
        return response.consent

    async def consents_for_subject(self, subject_pseudonym: str) -> list[consent_pb2.ConsentView]:
        """Subject access: this member's consents for the subject, each with its transfers."""
        response = await self._consent_stub.ListConsents(
            consent_pb2.ListConsentsRequest(subject_pseudonym=subject_pseudonym), timeout=60
        )
        return list(response.consents)

    async def change_consent_state(
        self,
        consent_id: str,
        state: int,
        *,
        actor: int = 0,
        evidence_ref: str = "",
        note: str = "",
    ) -> consent_pb2.ChangeConsentStateResponse:
        """Withdraw (the subject's decision, recorded by the controller) or revoke a consent."""
        view = await self.get_consent(consent_id)
        if not actor:
            actor = (
                C.CONSENT_ACTOR_SUBJECT if state == C.CONSENT_STATE_WITHDRAWN else C.CONSENT_ACTOR_CONTROLLER
            )
        event = C.ConsentEvent(
            consent_id=consent_id,
            record_sha256=hashlib.sha256(view.consent.record).digest(),
            state=state,  # type: ignore[arg-type]
            actor=actor,  # type: ignore[arg-type]
            recorded_by=self.identity.identity_id,
            at=_now_stamp(),
            evidence_ref=evidence_ref,
            note=note,
        )
        return await self._consent_stub.ChangeConsentState(
            consent_pb2.ChangeConsentStateRequest(event=sign_event(event, self._signer)), timeout=60
        )

    async def withdraw_consent(
        self, consent_id: str, **kwargs: str
    ) -> consent_pb2.ChangeConsentStateResponse:
        return await self.change_consent_state(consent_id, C.CONSENT_STATE_WITHDRAWN, **kwargs)  # type: ignore[arg-type]

    async def revoke_consent(self, consent_id: str, **kwargs: str) -> consent_pb2.ChangeConsentStateResponse:
        return await self.change_consent_state(consent_id, C.CONSENT_STATE_REVOKED, **kwargs)  # type: ignore[arg-type]

    # -- lineage, notices, attestations ------------------------------------------------------

    async def track(self, message_id: str) -> consent_pb2.RecordLineage:
        """The originator's lineage of one record."""
        response = await self._exchange_stub.Track(
            exchange_pb2.TrackRequest(message_id=message_id), timeout=30
        )
        return response.lineage

    def verify_notice(self, notice: consent_pb2.RevocationNotice) -> consent_pb2.ConsentEvent:
        """Check the controller's signed withdrawal inside a notice: the recipient need not trust the hub."""
        event = read_event(notice.event, self.directory.signing_key)
        if notice.event.signature.signer != notice.controller or event.recorded_by != notice.controller:
            raise EnvelopeError(
                R.REASON_CONSENT_CONTROLLER_MISMATCH, "notice event is not signed by the controller"
            )
        if event.consent_id != notice.consent_id or event.state not in (
            C.CONSENT_STATE_WITHDRAWN,
            C.CONSENT_STATE_REVOKED,
        ):
            raise EnvelopeError(
                R.REASON_MALFORMED, "notice event does not withdraw or revoke the notice's consent"
            )
        return event

    def attestation_for(
        self,
        notice: consent_pb2.RevocationNotice,
        *,
        legal_hold_basis: str = "",
        officer_pseudonym: str = "",
    ) -> consent_pb2.SignedDeletionAttestation:
        """Sign that the record of ``notice`` was deleted (or, with a legal hold, blocked and retained)."""
        self.verify_notice(notice)
        return self._attestation(
            notice.message_id,
            notice.header_sha256,
            notice_id=notice.notice_id,
            consent_id=notice.consent_id,
            legal_hold_basis=legal_hold_basis,
            officer_pseudonym=officer_pseudonym,
        )

    def attestation_at_date(
        self,
        message_id: str,
        header_sha256: bytes,
        *,
        legal_hold_basis: str = "",
        officer_pseudonym: str = "",
    ) -> consent_pb2.SignedDeletionAttestation:
        """Sign that a record was deleted (or blocked and retained) at its header's review-or-delete
        date, which the recipient read from the signed header itself: no notice is needed, and the
        hub records it once that date has come on its clock."""
        return self._attestation(
            message_id,
            header_sha256,
            legal_hold_basis=legal_hold_basis,
            officer_pseudonym=officer_pseudonym,
        )

    def _attestation(
        self,
        message_id: str,
        header_sha256: bytes,
        *,
        notice_id: str = "",
        consent_id: str = "",
        legal_hold_basis: str,
        officer_pseudonym: str,
    ) -> consent_pb2.SignedDeletionAttestation:
        attestation = C.DeletionAttestation(
            notice_id=notice_id,
            message_id=message_id,
            recipient=self.identity.identity_id,
            header_sha256=header_sha256,
            consent_id=consent_id,
            status=(
                C.DELETION_STATUS_RETAINED_UNDER_LEGAL_HOLD if legal_hold_basis else C.DELETION_STATUS_DELETED
            ),
            legal_hold_basis=legal_hold_basis,
            attested_at=_now_stamp(),
            officer_pseudonym=officer_pseudonym,
        )
        return sign_attestation(attestation, self._signer)

    async def attest_deletion(
        self, attestations: Sequence[consent_pb2.SignedDeletionAttestation], timeout: float = 60
    ) -> list[exchange_pb2.AttestDeletionResult]:
        async def call(
            chunk: Sequence[consent_pb2.SignedDeletionAttestation],
        ) -> Sequence[exchange_pb2.AttestDeletionResult]:
            request = exchange_pb2.AttestDeletionRequest(attestations=chunk)
            return (await self._exchange_stub.AttestDeletion(request, timeout=timeout)).results

        return await call_in_chunks(attestations, call)
