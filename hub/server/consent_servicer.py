"""Thin gRPC servicer for ConsentService: register, change the state of, get and list consents."""

from __future__ import annotations

import asyncio

from hub.core.envelope import EnvelopeError
from hub.identity.caller import Caller
from hub.server.refusals import abort_audited, refusal_for
from hub.server.rpc import MEMBERS, RpcEvent, RpcGuard
from hub.server.signals import MailboxSignals
from hub.services.consents import ConsentRegistry
from hub.transport.status import Context, RpcRefusal
from pxhub.v1 import consent_pb2, consent_pb2_grpc


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
