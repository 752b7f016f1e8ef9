"""What the client commands share: connecting as an identity, one-line errors, dates, enum names.

Every client command (``pxhub consent``, ``policy``, ``track``, ``lookup``, ``requests``) connects
like the member SDK does (``--target``, ``--federation-dir``, ``--as``; key passphrase from
PXHUB_KEY_PASSPHRASE or PXHUB_KEY_PASSPHRASE_FILE). Exit codes: 0 done, 1 the hub refused (the
reason is printed), 2 a usage or connection problem.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from google.protobuf.timestamp_pb2 import Timestamp

    from hub.sdk import MemberClient
    from pxhub.v1 import request_pb2

err_console = Console(stderr=True, soft_wrap=True)

TargetOption = Annotated[str, typer.Option("--target", help="Hub address, HOST:PORT.")]
FederationOption = Annotated[
    Path, typer.Option("--federation-dir", help="Federation folder with federation.json and your keys.")
]
AsOption = Annotated[str, typer.Option("--as", help="Your identity in the federation, e.g. CO-INPEC.")]
ServerNameOption = Annotated[
    str | None,
    typer.Option("--server-name", help="TLS name of the hub when it differs from the target host."),
]

_T = TypeVar("_T")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/bold red] {message}")
    return typer.Exit(code=code)


def run_as(
    target: str,
    federation_dir: Path,
    identity: str,
    server_name: str | None,
    action: Callable[[MemberClient], Awaitable[_T]],
) -> _T:
    """Connect as ``identity``, run ``action``, close; hub refusals exit 1, other problems 2."""
    import grpc

    from hub.core.envelope import EnvelopeError
    from hub.identity.credentials import passphrase_from_env
    from hub.identity.manifest import PkiError
    from hub.sdk import MemberClient
    from hub.transport.status import reason_of

    try:
        passphrase = passphrase_from_env()
    except PkiError as error:
        raise _fail(str(error)) from None

    async def go() -> _T:
        client = await MemberClient.connect(
            target, federation_dir, identity, passphrase, server_name=server_name
        )
        try:
            return await action(client)
        finally:
            await client.close()

    try:
        return asyncio.run(go())
    except grpc.aio.AioRpcError as error:
        reason = reason_of(error)
        if reason:
            raise _fail(f"{reason}: {error.details()}", code=1) from None
        raise _fail(f"cannot talk to the hub at {target}: {error.code().name}: {error.details()}") from None
    except EnvelopeError as error:
        raise _fail(f"{error.reason_name}: {error.detail}", code=1) from None
    except (PkiError, OSError, ValueError) as error:
        raise _fail(str(error)) from None


def _when(stamp: Timestamp) -> str:
    if not stamp.seconds and not stamp.nanos:
        return "-"
    return stamp.ToDatetime(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _enum(enum: object, value: int, prefix: str) -> str:
    try:
        return str(enum.Name(value)).removeprefix(prefix)  # type: ignore[attr-defined]
    except ValueError:
        return str(value)


def request_rows(views: list[request_pb2.RequestView]) -> list[dict[str, str]]:
    """One row per request, every field as text, ids whole (for the table and for ``--json``)."""
    from hub.core.requests import OVERDUE, state_name
    from pxhub.v1 import envelope_pb2, options_pb2

    return [
        {
            "request": v.message_id,
            "requester": v.requester,
            "responder": v.responder,
            "state": state_name(v.state)
            + (" (was overdue)" if v.overdue_at.seconds and v.state != OVERDUE else ""),
            "purpose": _enum(envelope_pb2.Purpose, v.purpose, "PURPOSE_"),
            "urgency": _enum(envelope_pb2.RequestUrgency, v.urgency, "REQUEST_URGENCY_").lower(),
            "layers": ", ".join(
                _enum(options_pb2.Sensitivity, x, "SENSITIVITY_") for x in v.requested_layers
            ),
            "opened": _when(v.opened_at),
            "deadline": _when(v.deadline),
            "closed": _when(v.closed_at),
            "refusal": _enum(envelope_pb2.RefusalReason, v.refusal_reason, "REFUSAL_REASON_")
            if v.refusal_reason
            else "",
            "agreement": v.agreement_id,
        }
        for v in views
    ]
