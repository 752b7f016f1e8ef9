"""Thin gRPC servicer for DirectoryService: reads from the live directory, changes through the book."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.core.envelope import EnvelopeError
from hub.identity.caller import Caller
from hub.identity.directory import KeyEntry, member_to_proto, sign_directory
from hub.server.refusals import abort_audited
from hub.server.rpc import ANY_ROLE, MEMBERS, OPERATORS, RpcEvent, RpcGuard
from hub.services.directory_book import DirectoryBook
from hub.transport.status import Context, RpcRefusal
from pxhub.v1 import directory_pb2, directory_pb2_grpc, envelope_pb2

_OperatorRequest = directory_pb2.AdmitMemberRequest | directory_pb2.RevokeCertificateRequest


class DirectoryServicer(directory_pb2_grpc.DirectoryServiceServicer):
    def __init__(
        self, book: DirectoryBook, guard: RpcGuard, hub_key: Ed25519PrivateKey, hub_key_entry: KeyEntry
    ) -> None:
        self.book = book
        self.directory = book.directory
        self.guard = guard
        self.hub_key = hub_key
        self.hub_key_entry = hub_key_entry

    async def GetDirectory(
        self,
        request: directory_pb2.GetDirectoryRequest,
        context: Context,
    ) -> directory_pb2.GetDirectoryResponse:
        event = RpcEvent("GetDirectory")
        try:
            self.guard.authenticate(event, context, ANY_ROLE, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        response = sign_directory(
            self.directory.to_proto(self.hub_key_entry), self.hub_key, self.hub_key_entry.key_id
        )
        event.emit("ok")
        return response

    async def GetMember(
        self,
        request: directory_pb2.GetMemberRequest,
        context: Context,
    ) -> directory_pb2.GetMemberResponse:
        event = RpcEvent("GetMember")
        try:
            self.guard.authenticate(event, context, ANY_ROLE, request)
            member = self.directory.member(request.member_id)
            if member is None:
                raise RpcRefusal(
                    grpc.StatusCode.NOT_FOUND,
                    envelope_pb2.REASON_UNKNOWN_RECIPIENT,
                    f"no member {request.member_id[:40]!r}",
                )
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        event.fields = {"member": member.member_id}
        event.emit("ok")
        return directory_pb2.GetMemberResponse(member=member_to_proto(member))

    async def AnnounceKey(
        self, request: directory_pb2.AnnounceKeyRequest, context: Context
    ) -> directory_pb2.AnnounceKeyResponse:
        event = RpcEvent("AnnounceKey")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        try:
            rotated = await asyncio.to_thread(self.book.announce_key, caller, request, self.guard.clock())
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"directory_version": rotated.directory_version}
        event.emit("ok")
        response = directory_pb2.AnnounceKeyResponse(directory_version=rotated.directory_version)
        if rotated.previous_valid_until is not None:
            response.previous_valid_until.FromDatetime(rotated.previous_valid_until)
        return response

    async def SetMemberStatus(
        self, request: directory_pb2.SetMemberStatusRequest, context: Context
    ) -> directory_pb2.SetMemberStatusResponse:
        event = RpcEvent("SetMemberStatus")
        try:
            caller = self.guard.authenticate(event, context, OPERATORS, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        try:
            version = await asyncio.to_thread(
                self.book.set_member_status, caller, request, self.guard.clock()
            )
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"directory_version": version}
        event.emit("ok")
        return directory_pb2.SetMemberStatusResponse(directory_version=version)

    async def AdmitMember(
        self, request: directory_pb2.AdmitMemberRequest, context: Context
    ) -> directory_pb2.AdmitMemberResponse:
        version = await self._operator_change("AdmitMember", request, context, self.book.admit_member)
        return directory_pb2.AdmitMemberResponse(directory_version=version)

    async def RevokeCertificate(
        self, request: directory_pb2.RevokeCertificateRequest, context: Context
    ) -> directory_pb2.RevokeCertificateResponse:
        version = await self._operator_change(
            "RevokeCertificate", request, context, self.book.revoke_certificate
        )
        return directory_pb2.RevokeCertificateResponse(directory_version=version)

    async def _operator_change(
        self,
        method: str,
        request: _OperatorRequest,
        context: Context,
        change: Callable[[Caller, Any, datetime], int],
    ) -> int:
        """Authenticate an operator, let the book check, store and apply; refusals audited."""
        event = RpcEvent(method)
        try:
            caller = self.guard.authenticate(event, context, OPERATORS, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        try:
            version = await asyncio.to_thread(change, caller, request, self.guard.clock())
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"directory_version": version}
        event.emit("ok")
        return version
