"""The demo's lookups and requests: ask without disclosing, request, answer, refuse, let one go overdue.

Colombia (INPEC) investigates three persons: one held in Peru, one held in Mexico and one held
nowhere. Every member publishes the lookup tokens of its national export; INPEC asks (hit, no hit,
not permitted where no agreement covers the purpose); it requests the two files; Peru answers,
Mexico's officer refuses (a legal impediment); a third, urgent request to Peru goes unanswered and,
once the demo moves the hub's clock past its 48-hour deadline, becomes overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from hub.runtime.clock import MovableClock
from pxhub.v1 import inmate_profile_pb2

ASKER = "CO-INPEC"


@dataclass
class LookupScenario:
    """What the closing tables show."""

    answers: list[tuple[str, str, str]] = field(default_factory=list)  # (person, member, hit / no hit / ...)
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)  # (request, from, to, state)


def _first_profile(export: Path, member: str) -> inmate_profile_pb2.InmateSecurityProfile:
    from adapters.registry import get_adapter

    with export.open("rb") as stream:
        return next(r.record for r in get_adapter(member).parse(stream) if r.record is not None)


async def lookups_and_requests(
    target: str, fed: str, exports: dict[str, Path], sink_dir: Path, state_dir: str, clock: MovableClock
) -> LookupScenario:
    from flows.common import connect
    from flows.inbound import inbound_sync
    from flows.lookup import publish_lookup_tokens
    from flows.requests import request_inbox
    from hub.core.lookup import Token, document_token, profile_tokens
    from pxhub.v1 import envelope_pb2, lookup_pb2

    E = envelope_pb2
    scenario = LookupScenario()
    issuer = await connect(ASKER, target, fed)  # the default policy's matching-key issuer
    try:
        await issuer.start_epoch()
    finally:
        await issuer.close()
    for member, export in exports.items():
        await publish_lookup_tokens(member, str(export), target, fed, state_dir)
    peru = _first_profile(exports["PE-INPE"], "PE-INPE")
    mexico = _first_profile(exports["MX-OADPRS"], "MX-OADPRS")
    client = await connect(ASKER, target, fed)
    try:
        epoch, key = await client.matching_key()
        nowhere = document_token(key, "CO", "CO_CEDULA_CIUDADANIA", "9999999999")  # no member holds it
        persons = {
            "person held in Peru": profile_tokens(key, peru),
            "person held in Mexico": profile_tokens(key, mexico),
            "person held nowhere": [Token(lookup_pb2.MATCH_KIND_DOCUMENT, nowhere)],
        }
        labels = [label for label, tokens in persons.items() for _ in tokens]
        tokens = [token for group in persons.values() for token in group]
        response = await client.lookup(
            E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME, E.LEGAL_BASIS_BILATERAL_AGREEMENT, tokens, epoch
        )
        hits: dict[tuple[str, str], str] = {}
        for answer in response.answers:
            for hit in answer.hits:
                hits.setdefault((labels[hit.token_index], answer.member_id), hit.match_ref)
        for person in persons:
            for answer in response.answers:
                word = {
                    lookup_pb2.LOOKUP_OUTCOME_NOT_PERMITTED: "not permitted (no agreement)",
                    lookup_pb2.LOOKUP_OUTCOME_NOT_INDEXED: "not indexed",
                }.get(answer.outcome, "hit" if (person, answer.member_id) in hits else "no hit")
                scenario.answers.append((person, answer.member_id, word))
        layers = [2, 3, 4]  # PERSONAL, IDENTIFIER, JUDICIAL
        asked = [
            client.request_envelope(
                "PE-INPE",
                hits[("person held in Peru", "PE-INPE")],
                E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
                E.LEGAL_BASIS_BILATERAL_AGREEMENT,
                E.REQUEST_URGENCY_ORDINARY,
                layers,
                "Investigación de una estructura de extorsión transnacional",
                "CO-FGN-2026-0142",
            ),
            client.request_envelope(
                "MX-OADPRS",
                hits[("person held in Mexico", "MX-OADPRS")],
                E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
                E.LEGAL_BASIS_BILATERAL_AGREEMENT,
                E.REQUEST_URGENCY_ORDINARY,
                layers,
                "Verificación de antecedentes para un proceso de extradición",
                "CO-FGN-2026-0177",
            ),
        ]
        await client.submit(asked)
        for member in ("PE-INPE", "MX-OADPRS"):
            await inbound_sync(member, str(sink_dir / member), target, fed)
        await request_inbox(
            "PE-INPE", str(sink_dir / "PE-INPE"), str(exports["PE-INPE"]), target, fed, state_dir
        )
        mexican = await client.list_requests(member_id="")
        refuse = {v.message_id: "LEGAL_IMPEDIMENT" for v in mexican if v.responder == "MX-OADPRS"}
        await request_inbox(
            "MX-OADPRS",
            str(sink_dir / "MX-OADPRS"),
            str(exports["MX-OADPRS"]),
            target,
            fed,
            state_dir,
            refusals=refuse,
        )
        urgent = client.request_envelope(
            "PE-INPE",
            hits[("person held in Peru", "PE-INPE")],
            E.PURPOSE_TRANSNATIONAL_ORGANISED_CRIME,
            E.LEGAL_BASIS_BILATERAL_AGREEMENT,
            E.REQUEST_URGENCY_URGENT,
            layers,
            "Riesgo inminente: traslado coordinado de un integrante de la estructura",
            "CO-FGN-2026-0142",
        )
        await client.submit([urgent])
        await inbound_sync(ASKER, str(sink_dir / ASKER), target, fed)  # the answer and the refusal arrive
        clock.advance(timedelta(hours=49))  # nobody answers the urgent request within its 48 hours
        views = await client.list_requests()
    finally:
        await client.close()
    for view in views:
        scenario.requests.append(
            (view.message_id, view.requester, view.responder, _state(view.state, view.refusal_reason))
        )
    return scenario


def sweep_overdue(running: object, report: object) -> None:
    """Run the hub's deadline sweep now (it runs every request_sweep_seconds anyway), then re-read states."""

    exchange = running.context.exchange  # type: ignore[attr-defined]
    exchange.requests.sweep()
    rows: list[tuple[str, str, str, str]] = report.requests  # type: ignore[attr-defined]
    for index, (message_id, requester, responder, _) in enumerate(rows):
        stored = exchange.requests.store.get_request(message_id)
        if stored is not None:
            rows[index] = (message_id, requester, responder, _state(stored.state, stored.refusal_reason))


def _state(state: int, refusal: int) -> str:
    from hub.core.requests import state_name
    from pxhub.v1 import envelope_pb2

    if not refusal:
        return state_name(state)
    why = envelope_pb2.RefusalReason.Name(refusal).removeprefix("REFUSAL_REASON_").lower().replace("_", " ")  # type: ignore[arg-type]
    return f"{state_name(state)} ({why})"
