"""Thin gRPC servicers for ConsentService, and the consent parts of ExchangeService.

``ExchangeLineageMixin`` gives ``ExchangeServicer`` its Track and
AttestDeletion methods; :func:`notice_response` is what Fetch sends first:
the caller's unattested revocation notices.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import grpc
from google.protobuf.descriptor import ServiceDescriptor

from hub.core.envelope import EnvelopeError
from hub.identity.caller import Caller
from hub.server.policy_servicer import abort_audited, refusal_for
from hub.server.registration import add_servicer
from hub.server.rpc import MEMBERS, RpcEvent, RpcGuard
from hub.server.signals import MailboxSignals
from hub.services.consents import ConsentRegistry
from hub.services.exchange import Exchange
from hub.transport.status import Context, RpcRefusal
from pxhub.v1 import consent_pb2, consent_pb2_grpc, exchange_pb2

if TYPE_CHECKING:
    from hub.server.app import HubContext


async def notice_response(
    exchange: Exchange, caller: Caller, seen: set[str], cursor: str, limit: int
) -> exchange_pb2.FetchResponse | None:
    """Unattested notices not yet sent on this stream, as one response that leaves the cursor as it is."""
    if limit <= 0:
        return None
    notices = await asyncio.to_thread(exchange.consents.pending_notices, caller, limit + len(seen))
    fresh = [n for n in notices if n.notice_id not in seen][:limit]
    if not fresh:
        return None
    seen.update(n.notice_id for n in fresh)
    response = exchange_pb2.FetchResponse(cursor=cursor)
    for notice in fresh:
        response.deliveries.add(revocation_notice=notice, cursor=cursor, accepted_at=notice.issued_at)
    return response


class ConsentServicer(consent_pb2_grpc.ConsentServiceServicer):
    def __init__(self, registry: ConsentRegistry, guard: RpcGuard, signals: MailboxSignals) -> None:
        self.registry = registry
        self.guard = guard
        self.signals = signals

    async def _caller(self, event: RpcEvent, context: Context, request: object) -> Caller:
        try:
            return self.guard.authenticate(event, context, MEMBERS, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise

    async def RegisterConsent(
        self, request: consent_pb2.RegisterConsentRequest, context: Context
    ) -> consent_pb2.RegisterConsentResponse:
        event = RpcEvent("RegisterConsent")
        caller = await self._caller(event, context, request)
        try:
            consent_id, registration, at = await asyncio.to_thread(
                self.registry.register, caller, request.consent
            )
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"consent_id": consent_id}
        event.emit("ok")
        response = consent_pb2.RegisterConsentResponse(consent_id=consent_id, registration=registration)  # type: ignore[arg-type]
        response.registered_at.FromDatetime(at)
        return response

    async def ChangeConsentState(
        self, request: consent_pb2.ChangeConsentStateRequest, context: Context
    ) -> consent_pb2.ChangeConsentStateResponse:
        event = RpcEvent("ChangeConsentState")
        caller = await self._caller(event, context, request)
        try:
            view, effect = await asyncio.to_thread(self.registry.change_state, caller, request.event)
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        self.signals.notify({recipient for _, recipient, _ in effect.notices})
        event.fields = {
            "consent_id": effect.consent_id,
            "purged": len(effect.purged),
            "notices": len(effect.notices),
        }
        event.emit("ok")
        return consent_pb2.ChangeConsentStateResponse(
            consent=view, purged_envelopes=len(effect.purged), notices=len(effect.notices)
        )

    async def GetConsent(
        self, request: consent_pb2.GetConsentRequest, context: Context
    ) -> consent_pb2.GetConsentResponse:
        event = RpcEvent("GetConsent")
        caller = await self._caller(event, context, request)
        try:
            view = await asyncio.to_thread(self.registry.get, caller, request.consent_id)
        except EnvelopeError as error:
            await self.guard.refuse(event, refusal_for(error), context)
            raise
        event.emit("ok")
        return consent_pb2.GetConsentResponse(consent=view)

    async def ListConsents(
        self, request: consent_pb2.ListConsentsRequest, context: Context
    ) -> consent_pb2.ListConsentsResponse:
        event = RpcEvent("ListConsents")
        caller = await self._caller(event, context, request)
        try:
            views = await asyncio.to_thread(self.registry.list_for_subject, caller, request.subject_pseudonym)
        except EnvelopeError as error:
            await abort_audited(event, error, context)
        event.fields = {"consents": len(views)}
        event.emit("ok")
        return consent_pb2.ListConsentsResponse(consents=views)


class ExchangeLineageMixin:
    """Track and AttestDeletion of ExchangeService; needs the servicer's ``exchange`` and ``guard``."""

    exchange: Exchange
    guard: RpcGuard

    async def Track(self, request: exchange_pb2.TrackRequest, context: Context) -> exchange_pb2.TrackResponse:
        event = RpcEvent("Track")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS, request)
            try:
                lineage = await asyncio.to_thread(self.exchange.consents.track, caller, request.message_id)
            except EnvelopeError as error:
                raise refusal_for(error) from error
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        event.fields = {"message_id": lineage.message_id}
        event.emit("ok")
        return exchange_pb2.TrackResponse(lineage=lineage)

    async def AttestDeletion(
        self, request: exchange_pb2.AttestDeletionRequest, context: Context
    ) -> exchange_pb2.AttestDeletionResponse:
        event = RpcEvent("AttestDeletion")
        try:
            caller = self.guard.authenticate(event, context, MEMBERS, request)
        except RpcRefusal as refusal:
            await self.guard.refuse(event, refusal, context)
            raise
        results = await asyncio.to_thread(self.exchange.consents.attest, caller, list(request.attestations))
        rejected = [r for r in results if r.outcome == exchange_pb2.ACKNOWLEDGE_OUTCOME_REJECTED]
        event.fields = {"message_ids": [r.message_id for r in results][:16], "count": len(results)}
        event.emit("ok" if not rejected else "partial")
        return exchange_pb2.AttestDeletionResponse(results=results)


def install_consent(server: grpc.aio.Server, hub: HubContext) -> ServiceDescriptor:
    service = consent_pb2.DESCRIPTOR.services_by_name["ConsentService"]
    add_servicer(server, service, ConsentServicer(hub.exchange.consents, hub.guard, hub.signals))
    return service
