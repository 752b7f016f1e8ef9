"""``pxhub lookup`` and ``pxhub requests``: ask who holds a person, start an epoch, follow requests.

Thin, like ``pxhub consent``: connect as ``--as`` (key passphrase from PXHUB_KEY_PASSPHRASE or
PXHUB_KEY_PASSPHRASE_FILE), call the SDK, print a Rich table (ids never cut) or ``--json``.
Exit codes: 0 done, 1 the hub refused (the reason is printed), 2 a usage or connection problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from hub.cli.common import (
    REQUEST_COLUMNS,
    AsOption,
    Column,
    FederationOption,
    JsonOption,
    ServerNameOption,
    TargetOption,
    _enum,
    _fail,
    _when,
    enum_value,
    print_json,
    print_rows,
    print_table,
    request_rows,
    run_as,
)

if TYPE_CHECKING:
    from hub.core.lookup import Token
    from hub.sdk import MemberClient
    from pxhub.v1 import lookup_pb2

lookup_app = typer.Typer(
    help="Ask which members hold a person (hit / no hit), without disclosing whom; start a key epoch.",
    no_args_is_help=True,
)
requests_app = typer.Typer(
    help="Requests for a person's file after a hit: list, withdraw.", no_args_is_help=True
)
console = Console()


def _tokens(key: bytes, documents: list[str], persons: list[str]) -> tuple[list[Token], list[str]]:
    """The tokens of ``--document COUNTRY:TYPE:NUMBER`` and ``--person GIVEN|SURNAMES|BIRTH|SEX``."""
    from hub.core.lookup import Token, demographic_token, document_token
    from pxhub.v1 import lookup_pb2

    tokens: list[Token] = []
    labels: list[str] = []
    for index, text in enumerate(documents):
        parts = text.split(":", 2)
        if len(parts) != 3:
            raise _fail(f"--document {index + 1}: expected COUNTRY:TYPE:NUMBER, e.g. PE:PE_DNI:45678912")
        try:
            tokens.append(Token(lookup_pb2.MATCH_KIND_DOCUMENT, document_token(key, *parts)))
        except ValueError as error:
            raise _fail(f"--document {index + 1}: {error}") from None
        labels.append(f"document {index + 1}")
    for index, text in enumerate(persons):
        parts = text.split("|")
        if len(parts) != 4:
            raise _fail(f"--person {index + 1}: expected GIVEN|SURNAME,SURNAME|YYYY-MM-DD or YYYY|F, M or X")
        given, surnames, birth, sex = parts
        try:
            tokens.append(
                Token(
                    lookup_pb2.MATCH_KIND_DEMOGRAPHIC,
                    demographic_token(key, given, surnames.split(","), birth, sex.upper()),
                )
            )
        except ValueError as error:
            raise _fail(f"--person {index + 1}: {error}") from None
        labels.append(f"person {index + 1}")
    if not tokens:
        raise _fail("give at least one --document or --person")
    return tokens, labels


@lookup_app.command("ask")
def ask(
    purpose: Annotated[str, typer.Option(help="Purpose, e.g. TRANSNATIONAL_ORGANISED_CRIME.")],
    basis: Annotated[str, typer.Option(help="Legal basis, e.g. BILATERAL_AGREEMENT.")],
    document: Annotated[
        list[str] | None, typer.Option(help="COUNTRY:TYPE:NUMBER, e.g. PE:PE_DNI:45678912 (repeatable).")
    ] = None,
    person: Annotated[
        list[str] | None,
        typer.Option(
            help="GIVEN|SURNAME,SURNAME|YYYY-MM-DD (or YYYY)|SEX, e.g. 'José|Quispe,Mamani|1990|M'."
        ),
    ] = None,
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Which members hold this person? Hit, no hit, not permitted or not indexed, per member."""
    from pxhub.v1 import envelope_pb2

    if not as_member:
        raise _fail("--as is required (the member that asks)")
    purpose_value = enum_value(envelope_pb2.Purpose, purpose, "PURPOSE_", "--purpose")
    basis_value = enum_value(envelope_pb2.LegalBasis, basis, "LEGAL_BASIS_", "--basis")

    async def go(client: MemberClient) -> tuple[lookup_pb2.LookupResponse, list[str]]:
        epoch, key = await client.matching_key()
        tokens, labels = _tokens(key, document or [], person or [])
        return await client.lookup(purpose_value, basis_value, tokens, epoch), labels

    response, labels = run_as(target, federation_dir, as_member, server_name, go)
    print_lookup(response, labels, as_json)


def print_lookup(response: lookup_pb2.LookupResponse, labels: list[str], as_json: bool) -> None:
    from pxhub.v1 import envelope_pb2, lookup_pb2

    rows: list[dict[str, Any]] = []
    for answer in response.answers:
        outcome = _enum(lookup_pb2.LookupOutcome, answer.outcome, "LOOKUP_OUTCOME_").lower().replace("_", " ")
        why = _enum(envelope_pb2.Reason, answer.reason, "REASON_") if answer.reason else ""
        hits = [
            {
                "token": labels[h.token_index] if h.token_index < len(labels) else str(h.token_index),
                "kind": _enum(lookup_pb2.MatchKind, h.kind, "MATCH_KIND_").lower(),
                "match_ref": h.match_ref,
                "expires": _when(h.match_ref_expires_at),
            }
            for h in answer.hits
        ]
        rows.append(
            {
                "member": answer.member_id,
                "answer": outcome,
                "reason": why,
                "detail": answer.detail,
                "hits": hits,
            }
        )
    if as_json:
        print_json({"lookup_id": response.lookup_id, "answers": rows})
        return
    table_rows = [
        {
            "member": row["member"],
            "answer": row["answer"],
            "matched": [f"{h['token']} ({h['kind']})" for h in row["hits"]],
            "match_ref": [h["match_ref"] for h in row["hits"]],
            "reason": f"{row['reason']}: {row['detail']}" if row["reason"] else "",
        }
        for row in rows
    ]
    columns = [
        Column("member", ident=True),
        Column("answer"),
        Column("matched"),
        Column("match_ref", "match reference (for a request)", ident=True),
        Column("reason"),
    ]
    print_table(table_rows, columns, title=f"Lookup {response.lookup_id}")


@lookup_app.command("start-epoch")
def start_epoch(
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
) -> None:
    """As the policy's matching-key issuer: a new key, sealed to every active member (next epoch).

    Every member then republishes its tokens (the publish-lookup-tokens flow does on its next run).
    """
    if not as_member:
        raise _fail("--as is required (the policy's matching-key issuer)")
    epoch = run_as(target, federation_dir, as_member, server_name, lambda c: c.start_epoch())
    console.print(f"matching-key epoch {epoch} is current; members republish their tokens under it")


# --------------------------------------------------------------------------- requests


@requests_app.command("list")
def list_requests(
    state: Annotated[str | None, typer.Option(help="open, answered, refused, overdue or withdrawn.")] = None,
    member: Annotated[str | None, typer.Option(help="Only requests this member asked or was asked.")] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only requests that passed their deadline.")
    ] = False,
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "OPERATOR-1",
    server_name: ServerNameOption = None,
    as_json: JsonOption = False,
) -> None:
    """Requests with their state and deadline: a member's own, or every one (operator, auditor)."""
    from pxhub.v1 import request_pb2

    state_value = enum_value(request_pb2.RequestState, state, "REQUEST_STATE_", "--state") if state else 0
    views = run_as(
        target,
        federation_dir,
        as_member,
        server_name,
        lambda c: c.list_requests(state=state_value, member_id=member or "", overdue_only=overdue),
    )
    print_rows(request_rows(views), REQUEST_COLUMNS, title=f"Requests ({len(views)})", as_json=as_json)


@requests_app.command("withdraw")
def withdraw(
    message_id: Annotated[str, typer.Argument(help="The REQUEST's message id.")],
    reason: Annotated[str, typer.Option(help="Why, in a few words (audit log; no personal data).")],
    target: TargetOption = "127.0.0.1:50051",
    federation_dir: FederationOption = Path("var/federation"),
    as_member: AsOption = "",
    server_name: ServerNameOption = None,
) -> None:
    """As the requester: withdraw an open or overdue request (the member asked is notified)."""
    if not as_member:
        raise _fail("--as is required (the requester)")
    view = run_as(
        target, federation_dir, as_member, server_name, lambda c: c.withdraw_request(message_id, reason)
    )
    console.print(f"request {view.message_id} withdrawn")
