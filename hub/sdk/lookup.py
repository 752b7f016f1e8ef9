"""Member SDK: the matching key, lookup tokens, lookups, and requests with their answers.

Mixed into ``MemberClient``. The matching key of each epoch is opened here, from this member's
sealed copy, after the issuer's signature (the policy's issuer, its key from the hub-signed
directory) and the key commitment are checked: a member never takes the key on the hub's word.
Tokens are computed here (``hub.core.lookup``); the hub only ever sees them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import grpc

from hub.core.envelope import EnvelopeError, SignerKey
from hub.core.lookup import (
    MATCHING_KEY_SIZE,
    MAX_TOKENS_PER_PUBLISH,
    MemberKey,
    Token,
    open_matching_key,
    read_matching_key,
    seal_matching_key,
)
from hub.core.policy import ExchangePolicy, project
from hub.identity.credentials import IdentityCredentials
from hub.identity.directory import Directory
from hub.transport.status import reason_of
from pxhub.v1 import (
    envelope_pb2,
    lookup_pb2,
    lookup_pb2_grpc,
    record_pb2,
    request_pb2,
    request_pb2_grpc,
)

R = envelope_pb2
L = lookup_pb2
Q = request_pb2


class LookupClientMixin:
    """Needs the client's ``channel``, ``identity``, ``directory``, ``policy``, ``clock`` and ``seal``."""

    channel: grpc.aio.Channel
    identity: IdentityCredentials
    directory: Directory
    policy: ExchangePolicy | None

    if TYPE_CHECKING:
        from hub.runtime.clock import Clock

        clock: Clock

        def seal(
            self,
            record: record_pb2.Record,
            metadata: envelope_pb2.RecordMetadata,
            recipients: Sequence[str],
            *,
            approve: bool = False,
        ) -> envelope_pb2.Envelope: ...

        async def submit(self, envelopes: Iterable[envelope_pb2.Envelope]) -> list[envelope_pb2.Receipt]: ...

    _matching_keys: dict[int, bytes]

    @property
    def _lookup_stub(self) -> lookup_pb2_grpc.LookupServiceAsyncStub:
        return lookup_pb2_grpc.LookupServiceStub(self.channel)

    @property
    def _request_stub(self) -> request_pb2_grpc.RequestServiceAsyncStub:
        return request_pb2_grpc.RequestServiceStub(self.channel)

    # -- the matching key --------------------------------------------------------------------

    def _issuer(self) -> str:
        issuer = self.policy.message.matching_key_issuer if self.policy is not None else ""
        if not issuer:
            raise EnvelopeError(
                R.REASON_MATCHING_KEY_INVALID, "the policy in force names no matching-key issuer"
            )
        return issuer

    async def current_epoch(self, timeout: float = 30) -> int:
        """The hub's current epoch, 0 when none has been published."""
        try:
            response = await self._lookup_stub.GetMatchingKey(L.GetMatchingKeyRequest(), timeout=timeout)
        except grpc.aio.AioRpcError as error:
            if reason_of(error) == "LOOKUP_EPOCH_STALE":
                return 0
            raise
        return int(response.current_epoch)

    async def matching_key(self, epoch: int = 0, timeout: float = 30) -> tuple[int, bytes]:
        """(epoch, key) of the current epoch (or ``epoch``), opened from this member's copy."""
        cache = self._matching_keys
        if epoch and epoch in cache:
            return epoch, cache[epoch]
        response = await self._lookup_stub.GetMatchingKey(
            L.GetMatchingKeyRequest(epoch=epoch), timeout=timeout
        )
        signed = response.key
        issuer = self._issuer()
        message = read_matching_key(
            signed, self.directory.signing_key(issuer, signed.signature.key_id), issuer
        )
        for copy in message.copies:
            if copy.member_id == self.identity.identity_id and copy.key_id in self.identity.decryption_keys:
                key = open_matching_key(
                    message, copy.member_id, copy.key_id, self.identity.decryption_keys[copy.key_id]
                )
                cache[int(message.epoch)] = key
                return int(message.epoch), key
        raise EnvelopeError(
            R.REASON_MATCHING_KEY_INVALID,
            f"epoch {message.epoch} holds no copy {self.identity.identity_id} can open",
        )

    async def start_epoch(self, timeout: float = 30) -> int:
        """As the policy's issuer: a fresh key, sealed to every active member, as the next epoch."""
        issuer = self._issuer()
        if issuer != self.identity.identity_id:
            raise ValueError(f"only {issuer}, the policy's matching-key issuer, starts an epoch")
        members = []
        for member in self.directory.national_members():
            found = self.directory.encryption_key(member.member_id) if member.active else None
            if found is not None:
                members.append(MemberKey(member.member_id, found[0], found[1]))
        epoch = await self.current_epoch(timeout) + 1
        signer = SignerKey(self.identity.identity_id, self.identity.signing_key_id, self.identity.signing_key)
        signed = seal_matching_key(os.urandom(MATCHING_KEY_SIZE), epoch, signer, members, self.clock())
        response = await self._lookup_stub.PublishMatchingKey(
            L.PublishMatchingKeyRequest(key=signed), timeout=timeout
        )
        return int(response.epoch)

    # -- tokens and lookups ------------------------------------------------------------------

    async def publish_tokens(
        self,
        epoch: int,
        add: Sequence[tuple[str, Token]] = (),
        remove: Sequence[str] = (),
        *,
        replace_all: bool = False,
        timeout: float = 120,
    ) -> tuple[int, int, int]:
        """Add (record handle, token) pairs and remove handles, in calls of at most 50,000 items.

        Returns (added, removed, held) summed over the calls (held: after the last one).
        """
        items: list[tuple[str, Token | None]] = [(h, None) for h in remove] + [(h, t) for h, t in add]
        added = removed = held = 0
        first = True
        for start in range(0, max(len(items), 1), MAX_TOKENS_PER_PUBLISH):
            chunk = items[start : start + MAX_TOKENS_PER_PUBLISH]
            request = L.PublishTokensRequest(
                epoch=epoch,
                remove=[h for h, t in chunk if t is None],
                replace_all=replace_all and first,
            )
            for handle, token in chunk:
                if token is not None:
                    request.add.add(record_handle=handle, kind=token.kind, token=token.value)
            response = await self._lookup_stub.PublishTokens(request, timeout=timeout)
            added, removed, held = added + response.added, removed + response.removed, int(response.held)
            first = False
        return added, removed, held

    async def resolve_match(self, match_ref: str, timeout: float = 30) -> str:
        """As the member a REQUEST was sent to: the handle of its record that ``match_ref`` names."""
        response = await self._lookup_stub.ResolveMatch(
            L.ResolveMatchRequest(match_ref=match_ref), timeout=timeout
        )
        return str(response.record_handle)

    async def lookup(
        self, purpose: int, legal_basis: int, tokens: Sequence[Token], epoch: int, timeout: float = 30
    ) -> lookup_pb2.LookupResponse:
        """Hit or no hit per member for each token (``tokens`` derived under ``epoch``)."""
        request = L.LookupRequest(purpose=purpose, legal_basis=legal_basis)  # type: ignore[arg-type]
        for token in tokens:
            request.tokens.add(epoch=epoch, kind=token.kind, token=token.value)
        return await self._lookup_stub.Lookup(request, timeout=timeout)

    # -- requests ----------------------------------------------------------------------------

    def request_envelope(
        self,
        holder: str,
        match_ref: str,
        purpose: int,
        legal_basis: int,
        urgency: int,
        layers: Iterable[int],
        justification: str,
        case_reference: str = "",
        legal_instruments: Sequence[str] = (),
    ) -> envelope_pb2.Envelope:
        """A REQUEST for the file a hit names, sealed to the member that had it."""
        metadata = R.RecordMetadata(
            status=R.MESSAGE_STATUS_ACTUAL,
            type=R.MESSAGE_TYPE_REQUEST,
            sender=R.Party(member_id=self.identity.identity_id),
            purpose=purpose,  # type: ignore[arg-type]
            legal_basis=legal_basis,  # type: ignore[arg-type]
            legal_instruments=list(legal_instruments),
            handling=R.HandlingInstructions(classification=R.CLASSIFICATION_RESTRICTED),
            language="es",
            record_version=1,
            match_ref=match_ref,
            urgency=urgency,  # type: ignore[arg-type]
            requested_layers=sorted(set(layers)),  # type: ignore[arg-type]
        )
        record = record_pb2.Record(
            file_request=Q.FileRequest(
                match_ref=match_ref, justification=justification, case_reference=case_reference
            )
        )
        return self.seal(record, metadata, (holder,))

    def _response_metadata(self, asked: envelope_pb2.RecordMetadata) -> envelope_pb2.RecordMetadata:
        return R.RecordMetadata(
            status=R.MESSAGE_STATUS_ACTUAL,
            type=R.MESSAGE_TYPE_RESPONSE,
            correlation_id=asked.message_id,
            sender=R.Party(member_id=self.identity.identity_id),
            purpose=asked.purpose,
            legal_basis=asked.legal_basis,
            legal_instruments=list(asked.legal_instruments),
            handling=R.HandlingInstructions(classification=R.CLASSIFICATION_RESTRICTED),
            language="es",
            record_version=1,
        )

    def answer_envelope(
        self, asked: envelope_pb2.RecordMetadata, record: record_pb2.Record, *, approve: bool = False
    ) -> envelope_pb2.Envelope:
        """The RESPONSE to a REQUEST (``asked``: its verified header): ``record`` projected to the
        layers asked and permitted.

        Layers the request asked for that the policy does not let travel are dropped and the answer
        says PARTIAL. ``approve`` adds this member's approver signature (four eyes), which the policy
        requires for some layers (``four_eyes_layers``).
        """
        if self.policy is None:
            raise EnvelopeError(R.REASON_POLICY_UNAVAILABLE, "no verified policy: cannot answer")
        allowed = self.policy.response_layers(asked.purpose, asked.requested_layers)
        if allowed is None:
            raise EnvelopeError(R.REASON_PURPOSE_UNKNOWN, f"purpose {asked.purpose} is not in the policy")
        projected = project(record, allowed, keep_pull_only=True)
        metadata = self._response_metadata(asked)
        if set(asked.requested_layers) - allowed.layers:
            metadata.refusal_reason = R.REFUSAL_REASON_PARTIAL
        return self.seal(projected, metadata, (asked.sender.member_id,), approve=approve)

    def refusal_envelope(
        self, asked: envelope_pb2.RecordMetadata, reason: int, explanation: str
    ) -> envelope_pb2.Envelope:
        """A signed refusal of a REQUEST (``asked``: its header), with its reason (NO_RECORD...)."""
        metadata = self._response_metadata(asked)
        metadata.refusal_reason = reason  # type: ignore[assignment]
        record = record_pb2.Record(
            request_refusal=Q.RequestRefusal(reason=reason, explanation=explanation)  # type: ignore[arg-type]
        )
        return self.seal(record, metadata, (asked.sender.member_id,))

    async def list_requests(
        self,
        *,
        state: int = 0,
        member_id: str = "",
        overdue_only: bool = False,
        message_id: str = "",
        limit: int = 500,
        timeout: float = 30,
    ) -> list[request_pb2.RequestView]:
        request = Q.ListRequestsRequest(
            state=state,  # type: ignore[arg-type]
            member_id=member_id,
            overdue_only=overdue_only,
            message_id=message_id,
            limit=limit,
        )
        response = await self._request_stub.ListRequests(request, timeout=timeout)
        return list(response.requests)

    async def withdraw_request(
        self, message_id: str, reason: str, timeout: float = 30
    ) -> request_pb2.RequestView:
        response = await self._request_stub.WithdrawRequest(
            Q.WithdrawRequestRequest(message_id=message_id, reason=reason), timeout=timeout
        )
        return response.request
