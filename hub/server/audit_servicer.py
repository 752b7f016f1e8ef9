"""Thin gRPC servicer for AuditService: authenticate, translate, delegate, log the call.

Authentication failures go through ``RpcGuard.refuse`` (an ``auth.refuse``
entry). Every call that passes authentication is logged as one entry of its
own: ``audit.query`` (``audit.export`` when the caller says it exports,
``audit.cosign`` for cosignatures), outcome ``ok``, or ``deny`` with the
reason it was refused for.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from hub.core.checkpoint import NoteSignature, cosignature_timestamp
from hub.identity.caller import Caller
from hub.runtime.logs import get_logger
from hub.server.rpc import ANY_ROLE, RpcEvent, RpcGuard
from hub.services.audit import (
    AuditLogService,
    AuditRefusal,
    CheckpointView,
    ListRequest,
    LogCorruptedError,
)
from hub.transport.status import Context, RpcRefusal, to_status
from pxhub.v1 import audit_log_pb2, audit_log_pb2_grpc, envelope_pb2

log = get_logger("pxhub.audit")

WITNESS_ROLES = ("member", "auditor")
QUERY = "audit.query"


def _timestamp(value: Any) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def checkpoint_to_proto(view: CheckpointView) -> audit_log_pb2.SignedCheckpoint:
    message = audit_log_pb2.SignedCheckpoint(
        note=view.note,
        origin=view.origin,
        size=view.checkpoint.size,
        root_hash=view.checkpoint.root_hash,
        issued_at=_timestamp(view.checkpoint.issued_at),
    )
    for cosignature in view.cosignatures:
        signature = NoteSignature(cosignature.witness, cosignature.signature[:4], cosignature.signature[4:])
        message.cosignatures.add(
            witness=cosignature.witness,
            cosigned_at=cosignature_timestamp(signature),
            received_at=_timestamp(cosignature.received_at),
        )
    return message


def _next_page(pages: Iterator[list[tuple[int, bytes]]]) -> list[tuple[int, bytes]] | None:
    return next(pages, None)


class AuditServicer(audit_log_pb2_grpc.AuditServiceServicer):
    def __init__(self, service: AuditLogService, guard: RpcGuard) -> None:
        self.service = service
        self.guard = guard

    async def _authenticate(
        self, event: RpcEvent, context: Context, request: object, roles: tuple[str, ...] = ANY_ROLE
    ) -> Caller:
        try:
            return self.guard.authenticate(event, context, roles, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise

    async def _refuse(
        self,
        event: RpcEvent,
        caller: Caller,
        action: str,
        error: AuditRefusal,
        context: Context,
        details: dict[str, int | str],
    ) -> None:
        """Log the refused call as its own audit entry, then abort with ErrorInfo."""
        refusal = RpcRefusal(grpc.StatusCode[error.status], error.reason, error.detail)
        event.emit("refused", refusal.reason_name)
        await asyncio.to_thread(
            self.service.record, caller, action, event.method, refusal=error, details=details
        )
        await context.abort_with_status(to_status(refusal))

    async def GetCheckpoint(
        self, request: audit_log_pb2.GetCheckpointRequest, context: Context
    ) -> audit_log_pb2.GetCheckpointResponse:
        event = RpcEvent("GetCheckpoint")
        caller = await self._authenticate(event, context, request)
        details: dict[str, int | str] = {
            "size": request.size,
            "issue": int(request.issue),
            "cosigned_by": ",".join(request.cosigned_by)[:256],
        }
        try:
            if sum((bool(request.size), request.issue, bool(request.cosigned_by))) > 1:
                raise AuditRefusal(
                    "INVALID_ARGUMENT",
                    envelope_pb2.REASON_AUDIT_FILTER_INVALID,
                    "ask for one of: a stored size, a new checkpoint, the latest cosigned by witnesses",
                )
            if request.cosigned_by:
                view = await asyncio.to_thread(self.service.cosigned_by, list(request.cosigned_by)[:64])
            elif request.size:
                view = await asyncio.to_thread(self.service.at_size, request.size)
            else:
                view = await asyncio.to_thread(self.service.latest, request.issue)
        except LogCorruptedError as error:
            refusal = AuditRefusal("INTERNAL", envelope_pb2.REASON_INTERNAL, str(error))
            await self._refuse(event, caller, QUERY, refusal, context, details)
            raise
        except AuditRefusal as error:
            await self._refuse(event, caller, QUERY, error, context, details)
            raise
        log_size = await asyncio.to_thread(self.service.store.audit_tree_size)
        await asyncio.to_thread(self.service.record, caller, QUERY, event.method, details=details)
        event.fields = {"size": view.checkpoint.size, "cosignatures": len(view.cosignatures)}
        event.emit("ok")
        return audit_log_pb2.GetCheckpointResponse(
            checkpoint=checkpoint_to_proto(view),
            log_verifier_key=self.service.log_verifier_key,
            log_size=log_size,
        )

    async def ListEntries(
        self, request: audit_log_pb2.ListEntriesRequest, context: Context
    ) -> AsyncIterator[audit_log_pb2.ListEntriesResponse]:
        event = RpcEvent("ListEntries")
        caller = await self._authenticate(event, context, request)
        listing = self._list_entries(request, caller, event, context)  # a stream: it takes a slot
        async for response in self.guard.in_stream_slot(event, caller, context, listing):
            yield response

    async def _list_entries(
        self,
        request: audit_log_pb2.ListEntriesRequest,
        caller: Caller,
        event: RpcEvent,
        context: Context,
    ) -> AsyncIterator[audit_log_pb2.ListEntriesResponse]:
        action = "audit.export" if request.for_export else QUERY
        list_request = ListRequest(
            start=request.start,
            end=request.end,
            member_id=request.member_id,
            actor_id=request.actor_id,
            action=request.action,
            since=request.since.ToDatetime(UTC) if request.HasField("since") else None,
            until=request.until.ToDatetime(UTC) if request.HasField("until") else None,
            message_id=request.message_id,
            object_id=request.object_id,
            page_size=request.page_size,
            limit=request.limit,
            for_export=request.for_export,
        )
        details: dict[str, int | str] = {
            "start": request.start,
            "end": request.end,
            "filter_member": request.member_id,
            "filter_actor": request.actor_id,
            "filter_action": request.action,
            "limit": request.limit,
        }
        try:
            query = self.service.query_for(caller, list_request)
        except AuditRefusal as error:
            await self._refuse(event, caller, action, error, context, details)
            return
        details["filter_member"] = query.party
        if query.since:
            details["since"] = query.since
        if query.until:
            details["until"] = query.until
        log_size = await asyncio.to_thread(self.service.store.audit_tree_size)
        await asyncio.to_thread(
            self.service.record, caller, action, event.method, object_ids=query.objects, details=details
        )
        pages = self.service.pages(query, list_request, log_size)
        sent = 0
        while True:
            page = await asyncio.to_thread(_next_page, pages)
            if page is None:
                break
            response = audit_log_pb2.ListEntriesResponse(log_size=log_size)
            add = response.entries.add
            for index, entry in page:
                add(index=index, entry=entry)
            sent += len(page)
            yield response
        event.fields = {"entries": sent, "log_size": log_size}
        event.emit("ok")

    async def GetInclusionProof(
        self, request: audit_log_pb2.GetInclusionProofRequest, context: Context
    ) -> audit_log_pb2.GetInclusionProofResponse:
        event = RpcEvent("GetInclusionProof")
        caller = await self._authenticate(event, context, request)
        details: dict[str, int | str] = {"index": request.index, "tree_size": request.tree_size}
        try:
            hashes = await asyncio.to_thread(
                self.service.inclusion_proof, caller, request.index, request.tree_size
            )
        except AuditRefusal as error:
            await self._refuse(event, caller, QUERY, error, context, details)
            raise
        await asyncio.to_thread(self.service.record, caller, QUERY, event.method, details=details)
        event.fields = details
        event.emit("ok")
        return audit_log_pb2.GetInclusionProofResponse(
            index=request.index, tree_size=request.tree_size, hashes=hashes
        )

    async def GetConsistencyProof(
        self, request: audit_log_pb2.GetConsistencyProofRequest, context: Context
    ) -> audit_log_pb2.GetConsistencyProofResponse:
        event = RpcEvent("GetConsistencyProof")
        caller = await self._authenticate(event, context, request)
        details: dict[str, int | str] = {"old_size": request.old_size, "new_size": request.new_size}
        try:
            hashes = await asyncio.to_thread(
                self.service.consistency_proof, request.old_size, request.new_size
            )
        except AuditRefusal as error:
            await self._refuse(event, caller, QUERY, error, context, details)
            raise
        await asyncio.to_thread(self.service.record, caller, QUERY, event.method, details=details)
        event.fields = details
        event.emit("ok")
        return audit_log_pb2.GetConsistencyProofResponse(
            old_size=request.old_size, new_size=request.new_size, hashes=hashes
        )

    async def AddCosignature(
        self, request: audit_log_pb2.AddCosignatureRequest, context: Context
    ) -> audit_log_pb2.AddCosignatureResponse:
        event = RpcEvent("AddCosignature")
        caller = await self._authenticate(event, context, request, WITNESS_ROLES)
        details: dict[str, int | str] = {"size": request.size}
        object_ids = (f"checkpoint:{request.size}",)
        try:
            view, already = await asyncio.to_thread(
                self.service.add_cosignature, caller, request.size, request.signature_line
            )
        except AuditRefusal as error:
            await self._refuse(event, caller, "audit.cosign", error, context, details)
            raise
        await asyncio.to_thread(
            self.service.record,
            caller,
            "audit.cosign",
            event.method,
            object_ids=object_ids,
            details={**details, "already_present": int(already)},
        )
        event.fields = {"size": request.size, "already_present": already}
        event.emit("ok")
        return audit_log_pb2.AddCosignatureResponse(
            checkpoint=checkpoint_to_proto(view), already_present=already
        )


__all__ = ["AuditServicer", "checkpoint_to_proto"]
