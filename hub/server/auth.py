"""Caller identity from the mTLS client certificate, and who may call what.

grpc.aio interceptors cannot see the peer certificate, so each servicer
method first asks ``Authenticator.identify(context)`` who calls, then
``Authenticator.authorize(caller, roles)`` whether it may.
"""

from __future__ import annotations

from collections.abc import Collection

import grpc

from hub.identity.caller import Caller
from hub.identity.certificates import identity_from_certificate
from hub.identity.directory import Directory
from hub.identity.manifest import PkiError
from hub.transport.status import Context, RpcRefusal
from pxhub.v1 import envelope_pb2


class Authenticator:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self._by_certificate: dict[bytes, Caller] = {}

    def identify(self, context: Context) -> Caller:
        certificates = list(context.auth_context().get("x509_pem_cert") or [])
        if not certificates:
            raise RpcRefusal(
                grpc.StatusCode.UNAUTHENTICATED, envelope_pb2.REASON_UNKNOWN_CALLER, "no client certificate"
            )
        pem = certificates[0]
        cached = self._by_certificate.get(pem)
        if cached is not None:
            return cached
        try:
            role, identity = identity_from_certificate(pem)
        except (PkiError, ValueError) as error:
            raise RpcRefusal(
                grpc.StatusCode.UNAUTHENTICATED, envelope_pb2.REASON_UNKNOWN_CALLER, str(error)
            ) from error
        caller = Caller(role, identity)
        if len(self._by_certificate) < 10_000:
            self._by_certificate[pem] = caller
        return caller

    def authorize(self, caller: Caller, roles: Collection[str]) -> Caller:
        """``caller`` (as ``identify`` named it), if it is an active directory entry with one of ``roles``."""
        entry = self.directory.member(caller.id)
        if entry is None or entry.role != caller.role:
            raise RpcRefusal(
                grpc.StatusCode.UNAUTHENTICATED,
                envelope_pb2.REASON_UNKNOWN_CALLER,
                f"{caller} is not in the directory",
            )
        if entry.status == "revoked":  # refused on every call, before any handler work
            raise RpcRefusal(
                grpc.StatusCode.UNAUTHENTICATED,
                envelope_pb2.REASON_MEMBER_REVOKED,
                f"{caller} is revoked",
            )
        if not entry.active:
            raise RpcRefusal(
                grpc.StatusCode.PERMISSION_DENIED,
                envelope_pb2.REASON_SENDER_INACTIVE,
                f"{caller} is {entry.status}",
            )
        if caller.role not in roles:
            raise RpcRefusal(
                grpc.StatusCode.PERMISSION_DENIED,
                envelope_pb2.REASON_ROLE_NOT_PERMITTED,
                f"role {caller.role!r} may not call this method",
            )
        return caller
