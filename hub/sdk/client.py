"""Async member client over grpc.aio with mTLS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from google.protobuf.timestamp_pb2 import Timestamp

from hub.core.envelope import (
    MAX_ITEMS_PER_REQUEST,
    EnvelopeError,
    RecipientKey,
    SignerKey,
    VerifiedEnvelope,
    open_record,
    seal,
    sign_delivery_receipt,
    verify,
)
from hub.core.policy import policy_in_force
from hub.identity.credentials import IdentityCredentials, load_identity
from hub.identity.directory import Directory, KeyEntry, verify_directory
from hub.identity.directory_changes import (
    sign_admission,
    sign_certificate_revocation,
    sign_key_announcement,
    sign_status_change,
)
from hub.identity.manifest import load_manifest
from hub.runtime.clock import Clock, edge_clock, system_random
from hub.sdk.chunks import call_in_chunks
from hub.sdk.lookup import LookupClientMixin
from hub.sdk.policy_consent import PolicyConsentClientMixin
from hub.transport.channel import open_channel
from hub.transport.retry import DEFAULT_RATE_LIMIT_WAIT, QuotaWait
from pxhub.v1 import (
    directory_pb2,
    directory_pb2_grpc,
    envelope_pb2,
    exchange_pb2,
    exchange_pb2_grpc,
    record_pb2,
)

DEFAULT_BATCH = 64
# What a member sees when its copy of the directory predates a sender's key rotation.
_STALE_DIRECTORY_REASONS = frozenset({envelope_pb2.REASON_UNKNOWN_SIGNING_KEY})


class SubmitError(RuntimeError):
    """The hub's Submit stream ended before every batch had its receipts."""


@dataclass(frozen=True)
class OpenedDelivery:
    """A delivery that verified and opened: what an inbound sync writes to the national system."""

    delivery: exchange_pb2.Delivery
    verified: VerifiedEnvelope
    record: record_pb2.Record

    @property
    def message_id(self) -> str:
        return self.verified.metadata.message_id

    @property
    def sender(self) -> str:
        return self.verified.metadata.sender.member_id


class MemberClient(PolicyConsentClientMixin, LookupClientMixin):
    def __init__(
        self,
        channel: grpc.aio.Channel,
        identity: IdentityCredentials,
        hub_public_key: Ed25519PublicKey,
        directory: Directory,
        clock: Clock = edge_clock,
        rate_limit_wait: float = DEFAULT_RATE_LIMIT_WAIT,
    ) -> None:
        self.channel = channel
        self.clock = clock  # the time seals are dated with
        self.rate_limit_wait = rate_limit_wait  # seconds a Submit may wait for quota (see transport.retry)
        self._matching_keys: dict[int, bytes] = {}  # opened matching keys by epoch
        self.identity = identity
        self.hub_public_key = hub_public_key
        self.directory = directory
        self.exchange = exchange_pb2_grpc.ExchangeServiceStub(channel)
        self.directory_stub = directory_pb2_grpc.DirectoryServiceStub(channel)

    @property
    def member_id(self) -> str:
        return self.identity.identity_id

    @classmethod
    async def connect(
        cls,
        target: str,
        federation_dir: Path,
        member_id: str,
        passphrase: bytes,
        *,
        server_name: str | None = None,
        rate_limit_wait: float = DEFAULT_RATE_LIMIT_WAIT,
    ) -> MemberClient:
        """Open an mTLS channel as ``member_id`` and load the hub-signed directory.

        Calls the hub refuses for a quota are retried after the delay it names, each for at most
        ``rate_limit_wait`` seconds in all (0: the refusal reaches the caller at once).
        """
        identity = load_identity(federation_dir, member_id, passphrase)
        manifest = load_manifest(federation_dir)
        channel = open_channel(target, identity, server_name, rate_limit_wait=rate_limit_wait)
        client = cls(
            channel, identity, manifest.hub_public_key(), Directory([]), rate_limit_wait=rate_limit_wait
        )
        await client.refresh_directory()
        await client.refresh_policy()
        return client

    async def signed_directory(self) -> directory_pb2.GetDirectoryResponse:
        """The hub-signed directory as it came (what a member bundle carries)."""
        return await self.directory_stub.GetDirectory(directory_pb2.GetDirectoryRequest(), timeout=30)

    async def refresh_directory(self) -> Directory:
        """Fetch, verify and load the signed directory, its trust list applied: a peer whose
        current certificate is revoked is treated as revoked (nothing is sealed to it or
        accepted from it)."""
        response = await self.signed_directory()
        self.directory = Directory.from_proto(verify_directory(response, self.hub_public_key))
        return self.directory

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> MemberClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # -- directory changes ------------------------------------------------------------------

    async def announce_key(
        self,
        key: KeyEntry,
        overlap: timedelta,
        new_private_key: Ed25519PrivateKey | None = None,
        timeout: float = 30,
    ) -> directory_pb2.AnnounceKeyResponse:
        """Announce a new key of this member, signed with its current signing key.

        ``new_private_key`` (the new key's private half) is required for a
        signing or approver key: it proves possession. Re-announcing the key
        the hub already made current is answered as success.
        """
        signer = SignerKey(self.member_id, self.identity.signing_key_id, self.identity.signing_key)
        request = sign_key_announcement(key, overlap, self.clock(), signer, new_private_key)
        return await self.directory_stub.AnnounceKey(request, timeout=timeout)

    async def set_member_status(
        self, member_id: str, status: str, reason: str, timeout: float = 30
    ) -> directory_pb2.SetMemberStatusResponse:
        """As an operator: set ``member_id`` to active, suspended or revoked (signed, audited)."""
        signer = SignerKey(self.member_id, self.identity.signing_key_id, self.identity.signing_key)
        request = sign_status_change(member_id, status, reason, self.clock(), signer)
        return await self.directory_stub.SetMemberStatus(request, timeout=timeout)

    async def admit_member(
        self,
        join_request: directory_pb2.SignedJoinRequest,
        certificate_der: bytes,
        overlap: timedelta = timedelta(0),
        timeout: float = 30,
    ) -> directory_pb2.AdmitMemberResponse:
        """As an operator: admit a member (or renew its certificate) with the certificate the CA issued."""
        signer = SignerKey(self.member_id, self.identity.signing_key_id, self.identity.signing_key)
        request = sign_admission(join_request, certificate_der, overlap, self.clock(), signer)
        return await self.directory_stub.AdmitMember(request, timeout=timeout)

    async def revoke_certificate(
        self, member_id: str, certificate_sha256: str, reason: str, timeout: float = 30
    ) -> directory_pb2.RevokeCertificateResponse:
        """As an operator: put one certificate of ``member_id`` on the directory's trust list."""
        signer = SignerKey(self.member_id, self.identity.signing_key_id, self.identity.signing_key)
        request = sign_certificate_revocation(member_id, certificate_sha256, reason, self.clock(), signer)
        return await self.directory_stub.RevokeCertificate(request, timeout=timeout)

    # -- sending ---------------------------------------------------------------------------

    def seal(
        self,
        record: record_pb2.Record,
        metadata: envelope_pb2.RecordMetadata,
        recipients: Sequence[str],
        *,
        approve: bool = False,
    ) -> envelope_pb2.Envelope:
        """Seal ``record`` to the current encryption keys of ``recipients`` (from the signed directory).

        Refused (EnvelopeError POLICY_NOT_IN_FORCE) when the policy this member verified is outside its
        own period by this member's clock: nothing is sent under a lapsed policy."""
        if self.policy is not None:
            policy_in_force(self.policy, self.clock()).raise_if_denied()
        keys = []
        for member_id in recipients:
            found = self.directory.encryption_key(member_id)
            if found is None:
                entry = self.directory.member(member_id)
                state = f" (it is {entry.status})" if entry is not None and not entry.active else ""
                raise ValueError(
                    f"recipient {member_id!r} has no current encryption key in the directory{state}"
                )
            keys.append(RecipientKey(member_id, found[0], found[1]))
        signer = SignerKey(self.member_id, self.identity.signing_key_id, self.identity.signing_key)
        approver = None
        if approve:
            if self.identity.approver_key is None or self.identity.approver_key_id is None:
                raise ValueError(f"{self.member_id} has no approver key loaded")
            approver = SignerKey(self.member_id, self.identity.approver_key_id, self.identity.approver_key)
        return seal(
            record, metadata, signer, keys, now=self.clock(), random_bytes=system_random, approver=approver
        )

    async def submit(
        self,
        envelopes: Iterable[envelope_pb2.Envelope],
        batch_size: int = DEFAULT_BATCH,
        timeout: float = 600,
    ) -> list[envelope_pb2.Receipt]:
        """Stream envelopes in batches on one Submit call; one receipt per envelope, in order.

        A batch is at most ``MAX_ITEMS_PER_REQUEST`` envelopes, the most one request may carry."""
        batch_size = max(1, min(batch_size, MAX_ITEMS_PER_REQUEST))
        batches: list[list[envelope_pb2.Envelope]] = []
        current: list[envelope_pb2.Envelope] = []
        for envelope in envelopes:
            current.append(envelope)
            if len(current) >= batch_size:
                batches.append(current)
                current = []
        if current:
            batches.append(current)
        if not batches:
            return []

        async def requests(
            unanswered: list[list[envelope_pb2.Envelope]],
        ) -> AsyncIterator[exchange_pb2.SubmitRequest]:
            for batch in unanswered:
                yield exchange_pb2.SubmitRequest(envelopes=batch)

        # One response per request, in order: after a quota refusal the unanswered batches are sent
        # again on a new stream once the hub's delay has passed (nothing of them was stored).
        receipts: list[envelope_pb2.Receipt] = []
        answered = 0
        budget = QuotaWait(self.rate_limit_wait)
        while answered < len(batches):
            try:
                async for response in self.exchange.Submit(requests(batches[answered:]), timeout=timeout):
                    receipts.extend(response.receipts)
                    answered += 1
                break
            except grpc.aio.AioRpcError as error:
                delay = budget.next_delay(error)
                if delay is None:
                    raise
                await asyncio.sleep(delay)
        expected = sum(len(b) for b in batches)
        if len(receipts) != expected:
            raise SubmitError(f"hub answered {len(receipts)} receipts for {expected} envelopes")
        return receipts

    # -- receiving -------------------------------------------------------------------------

    async def fetch(
        self,
        cursor: str = "",
        *,
        follow: bool = False,
        limit: int = 0,
        batch_size: int = DEFAULT_BATCH,
        timeout: float | None = None,
    ) -> AsyncIterator[exchange_pb2.Delivery]:
        request = exchange_pb2.FetchRequest(cursor=cursor, follow=follow, limit=limit, batch_size=batch_size)
        async for response in self.exchange.Fetch(request, timeout=timeout):
            for delivery in response.deliveries:
                yield delivery

    def open(self, delivery: exchange_pb2.Delivery) -> OpenedDelivery:
        """Verify under the signed directory, then decrypt with the key it was sealed to.

        That is the current encryption key, or after a rotation a previous one
        still in its overlap (``identity.decryption_keys``).
        """
        verified = verify(delivery.envelope, self.directory)
        held = self.identity.decryption_keys
        key_id = next(
            (
                w.key_id
                for w in delivery.envelope.key_wraps
                if w.recipient == self.member_id and w.key_id in held
            ),
            self.identity.encryption_key_id,
        )
        if key_id is None or key_id not in held:
            raise ValueError(f"{self.member_id} has no encryption key loaded")
        record = open_record(verified, self.member_id, key_id, held[key_id])
        self.guard(verified, record)  # the recipients' guard: nothing beyond the purpose's layers
        return OpenedDelivery(delivery, verified, record)

    async def open_current(self, delivery: exchange_pb2.Delivery) -> OpenedDelivery:
        """``open``, refreshing the signed directory once when the sender's key is unknown to it.

        The hub checked the signature under its directory before accepting the envelope, so an
        unknown signing key here almost always means the sender rotated after this client loaded
        its copy.
        """
        try:
            return self.open(delivery)
        except EnvelopeError as error:
            if error.reason not in _STALE_DIRECTORY_REASONS:
                raise
        await self.refresh_directory()
        return self.open(delivery)

    def receipt_for(
        self,
        verified: VerifiedEnvelope,
        *,
        refused_reason: int = 0,
        detail: str = "",
        officer_pseudonym: str = "",
    ) -> exchange_pb2.Acknowledgement:
        stamp = Timestamp()
        stamp.FromDatetime(self.clock())
        receipt = envelope_pb2.DeliveryReceipt(
            message_id=verified.metadata.message_id,
            recipient=self.member_id,
            header_sha256=verified.header_sha256,
            status=(
                envelope_pb2.DeliveryReceipt.DELIVERY_STATUS_REFUSED
                if refused_reason
                else envelope_pb2.DeliveryReceipt.DELIVERY_STATUS_PROCESSED
            ),
            reason=refused_reason,  # type: ignore[arg-type]
            detail=detail,
            acknowledged_at=stamp,
            officer_pseudonym=officer_pseudonym,
        )
        signer = SignerKey(self.member_id, self.identity.signing_key_id, self.identity.signing_key)
        return sign_delivery_receipt(receipt, signer)

    async def acknowledge(
        self, acknowledgements: Sequence[exchange_pb2.Acknowledgement], timeout: float = 60
    ) -> list[exchange_pb2.AcknowledgeResult]:
        """Hand in signed receipts; one result per acknowledgement, in order (one call per
        ``MAX_ITEMS_PER_REQUEST``)."""

        async def call(
            chunk: Sequence[exchange_pb2.Acknowledgement],
        ) -> Sequence[exchange_pb2.AcknowledgeResult]:
            request = exchange_pb2.AcknowledgeRequest(acknowledgements=chunk)
            return (await self.exchange.Acknowledge(request, timeout=timeout)).results

        return await call_in_chunks(acknowledgements, call)
