"""Caller identity from the mTLS client certificate, and who may call what.

grpc.aio interceptors cannot see the peer certificate, so each servicer
method first asks ``Authenticator.identify(context)`` who calls, then
``Authenticator.authorize(caller, roles)`` whether it may. ``identify`` also
checks the certificate itself against the directory on every call: one on the
trust list is refused (CERTIFICATE_REVOKED), and so is one the directory does
not name for the caller (CERTIFICATE_UNKNOWN: never admitted, or replaced by a
renewal whose overlap ended), whatever the CA signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hub.identity.caller import Caller
from hub.identity.certificates import identity_from_certificate
from hub.identity.directory import Directory
from hub.identity.manifest import PkiError
from hub.runtime.clock import Clock, system_clock
from hub.transport.status import Context, RpcRefusal
from pxhub.v1 import envelope_pb2


class CertificateRefusal(RpcRefusal):
    """A certificate that names ``caller`` but that the directory does not accept."""

    def __init__(self, caller: Caller, reason: int, detail: str) -> None:
        super().__init__(grpc.StatusCode.UNAUTHENTICATED, reason, detail)
        self.caller = caller


class Authenticator:
    """Who is calling, from the client certificate, checked against the directory's trust list.

    ``tls_clock`` dates a certificate's window as TLS itself does, on the machine's clock: the
    edges' clock (``PXHUB_CLOCK``, the demo's) moves policies and deadlines, never certificates.
    """

    def __init__(self, directory: Directory, tls_clock: Clock = system_clock) -> None:
        self.directory = directory
        self.tls_clock = tls_clock
        self._by_certificate: dict[bytes, tuple[Caller, str]] = {}

    def identify(self, context: Context) -> Caller:
        certificates = list(context.auth_context().get("x509_pem_cert") or [])
        if not certificates:
            raise RpcRefusal(
                grpc.StatusCode.UNAUTHENTICATED, envelope_pb2.REASON_UNKNOWN_CALLER, "no client certificate"
            )
        pem = certificates[0]
        cached = self._by_certificate.get(pem)
        if cached is None:
            try:
                role, identity = identity_from_certificate(pem)
                der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
            except (PkiError, ValueError) as error:
                raise RpcRefusal(
                    grpc.StatusCode.UNAUTHENTICATED, envelope_pb2.REASON_UNKNOWN_CALLER, str(error)
                ) from error
            cached = Caller(role, identity), hashlib.sha256(der).hexdigest()
            if len(self._by_certificate) < 10_000:
                self._by_certificate[pem] = cached
        caller, fingerprint = cached
        entry = self.directory.member(caller.id)
        if entry is not None and entry.status == "revoked":
            return caller  # ``authorize`` refuses it as MEMBER_REVOKED: the more precise reason
        refusal = self.directory.certificate_refusal(caller.id, fingerprint, self.tls_clock())
        if refusal == "revoked":
            raise CertificateRefusal(
                caller,
                envelope_pb2.REASON_CERTIFICATE_REVOKED,
                f"the certificate of {caller} (SHA-256 {fingerprint[:16]}…) is on the directory's trust list",
            )
        if refusal == "unknown":
            raise CertificateRefusal(
                caller,
                envelope_pb2.REASON_CERTIFICATE_UNKNOWN,
                f"the certificate of {caller} (SHA-256 {fingerprint[:16]}…) is not one the directory names "
                "for it (not admitted, or replaced by a renewal)",
            )
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
