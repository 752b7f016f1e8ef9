"""Async AuditService client over grpc.aio with mTLS, for auditors and witnesses.

Connects as one identity of a federation folder (an auditor such as
``AUDITOR-1``, or a member acting as witness). The hub's origin and key come
from the folder's ``federation.json``, never from the hub: every checkpoint
this client returns has had its signature checked with that key.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.timestamp_pb2 import Timestamp

from hub.core.audit_entry import AuditEntry
from hub.core.checkpoint import Checkpoint, open_checkpoint, verifier_key_string
from hub.identity.credentials import IdentityCredentials, load_identity
from hub.identity.manifest import FederationManifest, PkiError, load_manifest
from hub.sdk.audit.report import RecordChain, build_report_data
from hub.sdk.audit.verify import TrustAnchors
from hub.sdk.audit.witness import WitnessedCheckpoint, check_and_cosign
from hub.transport.channel import open_channel
from hub.transport.retry import DEFAULT_RATE_LIMIT_WAIT
from pxhub.v1 import audit_log_pb2, audit_log_pb2_grpc

__all__ = ["AuditClient", "SignedCheckpointView", "log_verifier_key", "trust_anchors"]

LIST_PAGE = 4096


def log_verifier_key(manifest: FederationManifest) -> str:
    """The hub's C2SP verifier key, derived from ``federation.json`` (origin and signing key)."""
    return verifier_key_string(manifest.hub_origin, manifest.hub_public_key())


def witness_key(manifest: FederationManifest, witness: str) -> Ed25519PublicKey:
    """A witness's current Ed25519 signing key from the manifest (its cosignature key)."""
    record = manifest.identity(witness)
    if record.role not in ("member", "auditor"):
        raise PkiError(f"{witness} is a {record.role}; only members and auditors witness")
    return Ed25519PublicKey.from_public_bytes(record.key("signing").public_key)


def trust_anchors(manifest: FederationManifest, witnesses: tuple[str, ...] = ()) -> TrustAnchors:
    """What an auditor trusts: the hub's origin and key, the named witnesses' keys; all from the manifest."""
    return TrustAnchors(
        manifest.hub_origin,
        manifest.hub_public_key(),
        {name: witness_key(manifest, name) for name in witnesses},
    )


@dataclass(frozen=True)
class SignedCheckpointView:
    """A checkpoint whose hub signature this client checked, with the hub's unsigned extras."""

    checkpoint: Checkpoint
    note: str
    response: audit_log_pb2.GetCheckpointResponse


class AuditClient:
    def __init__(
        self, channel: grpc.aio.Channel, identity: IdentityCredentials, manifest: FederationManifest
    ) -> None:
        self.channel = channel
        self.identity = identity
        self.manifest = manifest
        self.stub = audit_log_pb2_grpc.AuditServiceStub(channel)

    @classmethod
    async def connect(
        cls,
        target: str,
        federation_dir: Path,
        identity_id: str,
        passphrase: bytes,
        *,
        server_name: str | None = None,
        rate_limit_wait: float = DEFAULT_RATE_LIMIT_WAIT,
    ) -> AuditClient:
        """Open an mTLS channel as ``identity_id`` (an auditor, or a member acting as witness).

        A unary call the hub refuses for a quota is retried after the delay it names, for at most
        ``rate_limit_wait`` seconds (0: the refusal reaches the caller at once)."""
        identity = load_identity(federation_dir, identity_id, passphrase)
        manifest = load_manifest(federation_dir)
        channel = open_channel(target, identity, server_name, rate_limit_wait=rate_limit_wait)
        return cls(channel, identity, manifest)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> AuditClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        return self.manifest.hub_origin

    @property
    def log_key(self) -> Ed25519PublicKey:
        return self.manifest.hub_public_key()

    # -- AuditSource (hub.sdk.audit.verify) ------------------------------------------------------

    async def checkpoint(
        self,
        *,
        issue: bool = False,
        size: int = 0,
        cosigned_by: tuple[str, ...] = (),
        timeout: float = 30,
    ) -> SignedCheckpointView:
        """A checkpoint from the hub, its signature checked with the hub key of the manifest.

        ``cosigned_by`` asks for the latest checkpoint all those witnesses cosigned
        (their cosignatures are for the caller to check, e.g. ``hub.sdk.audit.verify``).
        """
        request = audit_log_pb2.GetCheckpointRequest(issue=issue, size=size, cosigned_by=cosigned_by)
        response = await self.stub.GetCheckpoint(request, timeout=timeout)
        note = response.checkpoint.note
        checkpoint, _ = open_checkpoint(note, {self.origin: self.log_key})
        return SignedCheckpointView(checkpoint, note, response)

    async def checkpoint_note(self, issue: bool, cosigned_by: tuple[str, ...] = ()) -> str:
        return (await self.checkpoint(issue=issue and not cosigned_by, cosigned_by=cosigned_by)).note

    def _list_request(
        self,
        start: int,
        end: int,
        page_size: int,
        for_export: bool,
        filters: Mapping[str, object],
    ) -> audit_log_pb2.ListEntriesRequest:
        request = audit_log_pb2.ListEntriesRequest(
            start=start, end=end, page_size=page_size, for_export=for_export
        )
        for name, value in filters.items():
            if value is None or value in ("", 0):
                continue
            if isinstance(value, datetime):
                stamp = Timestamp()
                stamp.FromDatetime(value)
                getattr(request, name).CopyFrom(stamp)
            else:
                setattr(request, name, value)
        return request

    async def entry_pages(
        self,
        start: int = 0,
        end: int = 0,
        *,
        page_size: int = LIST_PAGE,
        for_export: bool = False,
        timeout: float | None = None,
        **filters: object,
    ) -> AsyncIterator[list[tuple[int, bytes]]]:
        """Pages of (index, exact entry bytes) in index order, one per ListEntries response.

        ``filters``: ``member_id``, ``actor_id``, ``action``, ``message_id``,
        ``object_id`` (str), ``since``, ``until`` (datetime), ``limit`` (int).
        """
        request = self._list_request(start, end, page_size, for_export, filters)
        async for response in self.stub.ListEntries(request, timeout=timeout):
            yield [(item.index, item.entry) for item in response.entries]

    async def entries(
        self,
        start: int = 0,
        end: int = 0,
        *,
        page_size: int = LIST_PAGE,
        for_export: bool = False,
        timeout: float | None = None,
        **filters: object,
    ) -> AsyncIterator[tuple[int, bytes]]:
        """(index, exact entry bytes) in index order; see :meth:`entry_pages` for the filters."""
        pages = self.entry_pages(
            start, end, page_size=page_size, for_export=for_export, timeout=timeout, **filters
        )
        async for page in pages:
            for item in page:
                yield item

    async def record_chain(self, message_id: str) -> RecordChain | None:
        """The versions of the living record ``message_id`` belongs to, from the log's submit entries.

        None when the message is not a version of a record sent more than once. Members see it
        for their own records (the hub scopes a member's queries to the entries that concern it).
        """
        record = ""
        async for _, raw in self.entries(message_id=message_id, action="submit"):
            record = next((o for o in AuditEntry.decode(raw).object_ids if o.startswith("record:")), record)
        if not record:
            return None
        entries = [raw async for _, raw in self.entries(object_id=record, action="submit")]
        chains = build_report_data(entries).chains()
        return chains[0] if chains else None

    async def inclusion_proof(self, index: int, tree_size: int, timeout: float = 30) -> list[bytes]:
        response = await self.stub.GetInclusionProof(
            audit_log_pb2.GetInclusionProofRequest(index=index, tree_size=tree_size), timeout=timeout
        )
        return list(response.hashes)

    async def consistency_proof(self, old_size: int, new_size: int, timeout: float = 30) -> list[bytes]:
        response = await self.stub.GetConsistencyProof(
            audit_log_pb2.GetConsistencyProofRequest(old_size=old_size, new_size=new_size), timeout=timeout
        )
        return list(response.hashes)

    # -- witnessing --------------------------------------------------------------------------

    async def add_cosignature(
        self, size: int, signature_line: str, timeout: float = 30
    ) -> audit_log_pb2.AddCosignatureResponse:
        return await self.stub.AddCosignature(
            audit_log_pb2.AddCosignatureRequest(size=size, signature_line=signature_line), timeout=timeout
        )

    async def witness(self, last: Checkpoint | None, *, issue: bool = False) -> WitnessedCheckpoint:
        """One witnessing round: fetch, check against ``last``, cosign with this identity's key, hand in.

        Raises ``hub.sdk.audit.witness.WitnessInconsistentError`` (and cosigns
        nothing) if the hub's new checkpoint does not extend ``last``.
        """
        view = await self.checkpoint(issue=issue)
        new = view.checkpoint
        proof: list[bytes] = []
        if last is not None and 0 < last.size < new.size:
            proof = await self.consistency_proof(last.size, new.size)
        witnessed = check_and_cosign(
            view.note,
            origin=self.origin,
            log_key=self.log_key,
            last=last,
            proof=proof,
            name=self.identity.identity_id,
            private_key=self.identity.signing_key,
            timestamp=int(time.time()),
        )
        await self.add_cosignature(new.size, witnessed.cosignature.line())
        return witnessed
