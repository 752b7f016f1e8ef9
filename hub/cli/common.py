"""What the client commands share: connecting as an identity, one-line errors, dates, enum names,
and the one way listings print (:func:`print_rows`).

Every client command (``pxhub consent``, ``policy``, ``track``, ``lookup``, ``requests``) connects
like the member SDK does (``--target``, ``--federation-dir``, ``--as``; key passphrase from
PXHUB_KEY_PASSPHRASE or PXHUB_KEY_PASSPHRASE_FILE). Exit codes: 0 done, 1 the hub refused (the
reason is printed), 2 a usage or connection problem.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

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

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the rows as one JSON array instead of a table.")
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


def enum_value(enum: object, text: str, prefix: str, what: str) -> int:
    """An enum value from its name, short (``CUSTODY_TRANSFER``) or full (``PURPOSE_CUSTODY_TRANSFER``),
    in any case; an unknown name fails naming ``what`` and the names it could have been."""
    name = text.strip().upper()
    for candidate in (name, prefix + name):
        try:
            return int(enum.Value(candidate))  # type: ignore[attr-defined]
        except ValueError:
            continue
    names: list[str] = enum.keys()  # type: ignore[attr-defined]
    known = ", ".join(n.removeprefix(prefix) for n in names if not n.endswith("UNSPECIFIED"))
    raise _fail(f"{what}: {text!r} is not one of {known}")


def enum_short_name(enum: object, text: str, prefix: str, what: str) -> str:
    """The name without ``prefix`` of the value :func:`enum_value` finds (as audit entries hold it)."""
    value = enum_value(enum, text, prefix, what)
    return str(enum.Name(value)).removeprefix(prefix)  # type: ignore[attr-defined]


def parse_instant(text: str, what: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO datetime (UTC unless it names an offset)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _fail(
            f"{what}: {text!r} is not an ISO date (2025-03-01) or datetime (2025-03-01T08:00Z)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# --------------------------------------------------------------------------- listings


@dataclass(frozen=True)
class Column:
    """One column of a listing: ``key`` in the JSON rows, ``header`` in the table.

    An ``ident`` column holds what a user types or compares next (an id, a key id, a timestamp): it
    is never wrapped, cut or folded; when the terminal is too narrow for every ident column beside
    the others, the listing prints one section per row instead of a table.
    """

    key: str
    header: str = ""
    ident: bool = False

    @property
    def title(self) -> str:
        return self.header or self.key


#: The narrowest a wrapping text column may become before the listing turns into sections.
MIN_TEXT_WIDTH = 12
#: Words longer than this may be folded (a path, a long reference); shorter ones never are.
MAX_WORD_WIDTH = 30


def _cell(value: Any) -> str:
    if value is None or value in ("", []):
        return "-"
    if isinstance(value, list | tuple):
        return "\n".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return "\n".join(f"{k}: {_cell(v)}" for k, v in value.items())
    return str(value)


def _column_widths(
    columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], width: int
) -> list[int] | None:
    """Each column's width in a table of at most ``width`` characters, or ``None`` if none fits.

    An ident column gets its longest value; a text column at least its longest word (up to
    :data:`MAX_WORD_WIDTH`) or :data:`MIN_TEXT_WIDTH`, and the room left is shared among the text
    columns in proportion to what they lack of their longest line. Rich is given the widths as
    they are: its own shrinking may cut a column it must not.
    """
    natural, minimum = [], []
    for column in columns:
        lines = [line for row in rows for line in _cell(row.get(column.key)).splitlines()]
        longest = max([len(column.title) if column.ident else 1, *(len(line) for line in lines)])
        natural.append(longest)
        if column.ident:
            minimum.append(longest)
        else:
            word = max((len(w) for line in lines for w in line.split()), default=1)
            minimum.append(min(longest, max(MIN_TEXT_WIDTH, min(word, MAX_WORD_WIDTH))))
    room = width - (3 * len(columns) + 1)  # a space of padding each side and a border per column
    if sum(minimum) > room:
        return None
    if sum(natural) <= room:
        return natural
    spare = room - sum(minimum)
    lacking = [n - m for n, m in zip(natural, minimum, strict=True)]
    widths = [m + spare * gap // sum(lacking) for m, gap in zip(minimum, lacking, strict=True)]
    widths[lacking.index(max(lacking))] += room - sum(widths)
    return widths


def listing_renderables(
    title: str, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], width: int
) -> list[RenderableType]:
    """One table, or the title and one section per row when the idents would not fit in ``width``."""
    widths = _column_widths(columns, rows, width)
    if widths is not None:
        table = Table(title=title)
        for column, column_width in zip(columns, widths, strict=True):
            table.add_column(column.title, no_wrap=column.ident, overflow="fold", width=column_width)
        for row in rows:
            table.add_row(*(_cell(row.get(c.key)) for c in columns))
        return [table]
    label_width = max(len(c.title) for c in columns)
    first = next((c for c in columns if c.ident), columns[0])
    sections: list[RenderableType] = [Text(title, style="bold")] if title else []
    for row in rows:
        section = Table(
            title=f"{first.title} {_cell(row.get(first.key))}",
            show_header=False,
            title_justify="left",
            expand=True,
        )
        section.add_column(no_wrap=True, min_width=label_width, style="bold")
        section.add_column(overflow="fold", ratio=1)
        for column in columns:
            section.add_row(column.title, _cell(row.get(column.key)))
        sections.append(section)
    return sections


def print_json(document: object) -> None:
    """``--json`` output: plain JSON on stdout, never wrapped or highlighted (a pipe reads it)."""
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


def print_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, title: str, empty: str = ""
) -> None:
    """A table in which no ident is cut, on a fresh console (the width is the terminal's now)."""
    console = Console()
    if not rows and empty:
        console.print(empty)
        return
    for renderable in listing_renderables(title, columns, rows, console.width):
        console.print(renderable)


def print_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    title: str,
    as_json: bool = False,
    empty: str = "",
) -> None:
    """Print a listing: the rows as JSON (``--json``), or a table in which no ident is cut."""
    if as_json:
        print_json(list(rows))
    else:
        print_table(rows, columns, title=title, empty=empty)


#: The columns of a request listing (``request_rows``); the refusal reason shows beside the state.
REQUEST_COLUMNS = (
    Column("request", ident=True),
    Column("requester", ident=True),
    Column("responder", ident=True),
    Column("state"),
    Column("refusal"),
    Column("purpose"),
    Column("urgency"),
    Column("opened", ident=True),
    Column("deadline", ident=True),
    Column("closed", ident=True),
)


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
