"""Thin gRPC servicer for DirectoryService."""

from __future__ import annotations

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.directory import Directory, KeyEntry, member_to_proto, sign_directory
from hub.server.errors import Context, RpcRefusal
from hub.server.rpc import ANY_ROLE, RpcEvent, RpcGuard
from pxhub.v1 import directory_pb2, directory_pb2_grpc, envelope_pb2


class DirectoryServicer(directory_pb2_grpc.DirectoryServiceServicer):
    def __init__(
        self, directory: Directory, guard: RpcGuard, hub_key: Ed25519PrivateKey, hub_key_entry: KeyEntry
    ) -> None:
        self.directory = directory
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
