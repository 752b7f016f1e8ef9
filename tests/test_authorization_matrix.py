"""Every RPC x every kind of caller, over real mTLS on loopback.

Cells: the member itself, another (revoked) member, auditor, operator, no client certificate, an
expired certificate from the federation CA, and a certificate from a foreign CA. The last three
never reach a handler: the TLS handshake refuses them (the hub requires and verifies a client
certificate against the federation CA), so the client sees UNAVAILABLE and the hub writes nothing.
Every refusal that reaches the hub is UNAUTHENTICATED or PERMISSION_DENIED with an ErrorInfo reason
and leaves one ``auth.refuse`` audit entry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor

from hub.core.audit_entry import AuditEntry
from hub.core.envelope import verify
from hub.dev.federation import default_members
from hub.transport.status import reason_of
from pxhub.v1 import envelope_pb2, exchange_pb2
from tests.conftest import HubHandle, start_test_hub
from tests.security_support import (
    channel,
    expired_credentials,
    foreign_ca_credentials,
    identity_credentials,
    no_certificate_credentials,
)
from tests.test_exchange_grpc import knowledge_metadata, practice

MEMBER = default_members()[0].member_id
REVOKED = default_members()[-1].member_id
ANY = frozenset({"member", "auditor", "operator"})
MEMBER_ONLY = frozenset({"member"})

# The intended matrix: which roles may call each method (anything else is refused).
ALLOWED: dict[str, frozenset[str]] = {
    "pxhub.v1.ExchangeService.Submit": MEMBER_ONLY,
    "pxhub.v1.ExchangeService.Fetch": MEMBER_ONLY,
    "pxhub.v1.ExchangeService.Acknowledge": MEMBER_ONLY,
    "pxhub.v1.ExchangeService.Track": MEMBER_ONLY,
    "pxhub.v1.ExchangeService.AttestDeletion": MEMBER_ONLY,
    "pxhub.v1.DirectoryService.GetDirectory": ANY,
    "pxhub.v1.DirectoryService.GetMember": ANY,
    "pxhub.v1.DirectoryService.AnnounceKey": MEMBER_ONLY,
    "pxhub.v1.DirectoryService.SetMemberStatus": frozenset({"operator"}),
    "pxhub.v1.DirectoryService.AdmitMember": frozenset({"operator"}),
    "pxhub.v1.DirectoryService.RevokeCertificate": frozenset({"operator"}),
    "pxhub.v1.AuditService.GetCheckpoint": ANY,
    "pxhub.v1.AuditService.ListEntries": ANY,
    "pxhub.v1.AuditService.GetInclusionProof": ANY,
    "pxhub.v1.AuditService.GetConsistencyProof": ANY,
    "pxhub.v1.AuditService.AddCosignature": frozenset({"member", "auditor"}),
    "pxhub.v1.PolicyService.GetPolicy": ANY,
    "pxhub.v1.PolicyService.PublishPolicy": frozenset({"operator"}),
    "pxhub.v1.ConsentService.RegisterConsent": MEMBER_ONLY,
    "pxhub.v1.ConsentService.ChangeConsentState": MEMBER_ONLY,
    "pxhub.v1.ConsentService.GetConsent": MEMBER_ONLY,
    "pxhub.v1.ConsentService.ListConsents": MEMBER_ONLY,
    "pxhub.v1.LookupService.GetMatchingKey": MEMBER_ONLY,
    "pxhub.v1.LookupService.PublishMatchingKey": MEMBER_ONLY,
    "pxhub.v1.LookupService.PublishTokens": MEMBER_ONLY,
    "pxhub.v1.LookupService.Lookup": MEMBER_ONLY,
    "pxhub.v1.LookupService.ResolveMatch": MEMBER_ONLY,
    "pxhub.v1.RequestService.ListRequests": ANY,
    "pxhub.v1.RequestService.WithdrawRequest": MEMBER_ONLY,
}
IDS = {"member": MEMBER, "revoked member": REVOKED, "auditor": "AUDITOR-1", "operator": "OPERATOR-1"}
AUTH_REASONS = {"UNKNOWN_CALLER", "ROLE_NOT_PERMITTED", "SENDER_INACTIVE", "MEMBER_REVOKED"}


def all_methods(hub: HubHandle) -> list[MethodDescriptor]:
    pool = descriptor_pool.Default()
    methods: list[MethodDescriptor] = []
    for name in hub.running.service_names:  # type: ignore[attr-defined]
        methods.extend(pool.FindServiceByName(name).methods)
    return methods


async def call(
    chan: grpc.aio.Channel, method: MethodDescriptor, empty_stream: bool = True
) -> tuple[grpc.StatusCode, str]:
    """Call ``method`` with an empty request; (status code, ErrorInfo reason)."""
    path = f"/{method.containing_service.full_name}/{method.name}"
    request = message_factory.GetMessageClass(method.input_type)()
    kwargs = {"request_serializer": lambda m: m.SerializeToString(), "response_deserializer": lambda b: b}
    try:
        if method.client_streaming:
            # An empty request stream: authorization does not depend on the request, and grpc's
            # client can report INTERNAL ("Internal error from Core") instead of the server's status
            # when the server refuses while the client is still writing its first message on a
            # fresh connection (seen in about 1 in 15 first calls; the server's status is correct).
            async def one() -> AsyncIterator[object]:
                if not empty_stream:
                    yield request

            stream = chan.stream_stream(path, **kwargs)(one(), timeout=10)
            async for _ in stream:
                pass
        elif method.server_streaming:
            async for _ in chan.unary_stream(path, **kwargs)(request, timeout=10):
                pass
        else:
            await chan.unary_unary(path, **kwargs)(request, timeout=10)
    except grpc.aio.AioRpcError as error:
        return error.code(), reason_of(error)
    return grpc.StatusCode.OK, ""


def refusals(hub: HubHandle, start: int) -> list[AuditEntry]:
    entries = [AuditEntry.decode(e) for e in hub.store.audit_entries(start, hub.store.audit_size())]
    return [e for e in entries if e.action == "auth.refuse"]


@pytest.fixture
async def hub(federation_dir: Path) -> AsyncIterator[HubHandle]:
    handle = await start_test_hub(federation_dir)
    handle.running.directory.members[REVOKED].status = "revoked"  # type: ignore[attr-defined]
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]


async def test_every_rpc_for_every_caller(hub: HubHandle, federation_dir: Path) -> None:
    methods = all_methods(hub)
    assert {f"{m.containing_service.full_name}.{m.name}" for m in methods} == set(ALLOWED), (
        "a new RPC needs a row in the authorization matrix"
    )
    callers = {
        "member": ("member", identity_credentials(federation_dir, MEMBER)),
        "revoked member": ("revoked", identity_credentials(federation_dir, REVOKED)),
        "auditor": ("auditor", identity_credentials(federation_dir, "AUDITOR-1")),
        "operator": ("operator", identity_credentials(federation_dir, "OPERATOR-1")),
    }
    table: dict[tuple[str, str], str] = {}
    for label, (role, credentials) in callers.items():
        chan = channel(hub.target, credentials)
        try:
            for method in methods:
                name = f"{method.containing_service.full_name}.{method.name}"
                before = hub.store.audit_size()
                code, reason = await call(chan, method)
                table[(label, name)] = f"{code.name}/{reason}"
                if role == "revoked":
                    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "MEMBER_REVOKED"), name
                elif role in ALLOWED[name]:
                    assert reason not in AUTH_REASONS, (label, name, code, reason)
                    assert code not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.UNAVAILABLE)
                    continue
                else:
                    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_PERMITTED"), (
                        label,
                        name,
                    )
                refused = refusals(hub, before)
                assert len(refused) == 1, (label, name)
                assert refused[0].details["method"] == method.name
                assert refused[0].actor_id == IDS[label]
        finally:
            await chan.close()
    assert len(table) == len(callers) * len(methods)


@pytest.mark.parametrize("kind", ["no certificate", "expired certificate", "foreign CA"])
async def test_the_handshake_refuses(hub: HubHandle, federation_dir: Path, kind: str) -> None:
    credentials = {
        "no certificate": lambda: no_certificate_credentials(federation_dir),
        "expired certificate": lambda: expired_credentials(federation_dir, MEMBER),
        "foreign CA": lambda: foreign_ca_credentials(federation_dir, MEMBER),
    }[kind]()
    before = hub.store.audit_size()
    chan = channel(hub.target, credentials)
    try:
        for method in all_methods(hub):
            code, _ = await call(chan, method, empty_stream=False)
            assert code == grpc.StatusCode.UNAVAILABLE, (kind, method.name, code)
    finally:
        await chan.close()
    assert hub.store.audit_size() == before  # no handler ran: nothing to audit
    # The hub keeps serving its members.
    chan = channel(hub.target, identity_credentials(federation_dir, MEMBER))
    try:
        method = next(m for m in all_methods(hub) if m.name == "GetDirectory")
        assert (await call(chan, method))[0] == grpc.StatusCode.OK
    finally:
        await chan.close()


async def test_a_member_acts_only_as_itself(hub: HubHandle) -> None:
    """The "another member" cells: its mail, its acknowledgements and its sender identity are its own."""
    sender_id, recipient_id, stranger_id = (
        MEMBER,
        default_members()[1].member_id,
        default_members()[2].member_id,
    )
    sender, recipient, stranger = [await hub.client(m) for m in (sender_id, recipient_id, stranger_id)]
    try:
        envelope = sender.seal(practice(sender_id), knowledge_metadata(), [recipient_id])
        # Another member cannot submit it as its own: the header names the real sender.
        resent = await stranger.submit([envelope])
        assert resent[0].outcome == envelope_pb2.Receipt.Outcome.OUTCOME_REJECTED
        assert resent[0].reason == envelope_pb2.REASON_SENDER_MISMATCH
        assert (await sender.submit([envelope]))[0].outcome == envelope_pb2.Receipt.Outcome.OUTCOME_ACCEPTED
        # Another member does not see it and cannot acknowledge it.
        assert [d async for d in stranger.fetch()] == []
        (delivery,) = [d async for d in recipient.fetch()]
        forged = stranger.receipt_for(verify(delivery.envelope, stranger.directory))
        results = await stranger.acknowledge([forged])
        assert results[0].outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED
        assert results[0].reason == envelope_pb2.REASON_NOT_A_RECIPIENT
        # The recipient's mailbox is untouched by that attempt.
        assert len([d async for d in recipient.fetch()]) == 1
    finally:
        for client in (sender, recipient, stranger):
            await client.close()
