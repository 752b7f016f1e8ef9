"""A flow's result as people read it (Rich tables) and as programs read it (JSON).

Results are dataclasses of counts, lists of tuples or records and dicts; none of them is printed
through ``repr``: times are ISO 8601 in UTC, nested records become tables of their own, and ids
are never cut (a column that holds one folds instead of truncating).
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

#: Rows of a list shown on the console; ``--json`` and the artifacts have all of them.
SHOWN_ROWS: Final = 10
#: Column names of the tuple lists results carry, by field name.
TUPLE_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "rejected": ("message id", "reason", "detail"),
    "refused": ("item", "reason", "detail"),
    "row_issues": ("row", "severity", "field", "reason", "message"),
    "deleted": ("message id", "consent", "action"),
    "invalid": ("notice", "why"),
    "problems": ("line", "what is wrong"),
}


def plain(value: Any) -> Any:  # noqa: PLR0911 - one return per kind of value
    """``value`` as JSON-ready data: dataclasses and mappings as objects, times as ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value if isinstance(value.value, str | int) else value.name
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def result_json(result: object) -> str:
    return json.dumps(plain(result), ensure_ascii=False, sort_keys=False)


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return "-" if value in ("", None) else str(value)


def _rows_table(title: str, rows: Sequence[Any], columns: Sequence[str] | None) -> Table:
    """A list of records (objects) or tuples as a table; the first SHOWN_ROWS of it."""
    if rows and isinstance(rows[0], dict):
        columns = list(rows[0])
        values = [[_cell(row.get(c)) for c in columns] for row in rows[:SHOWN_ROWS]]
    else:
        width = len(rows[0]) if rows and isinstance(rows[0], list) else 1
        columns = list(columns or [f"#{i + 1}" for i in range(width)])
        values = [[_cell(v) for v in (row if isinstance(row, list) else [row])] for row in rows[:SHOWN_ROWS]]
    more = f" (the first {SHOWN_ROWS} of {len(rows)})" if len(rows) > SHOWN_ROWS else f" ({len(rows)})"
    table = Table(title=f"{title}{more}", title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in values:
        table.add_row(*row)
    return table


def print_result(name: str, result: object, console: Console) -> None:
    """The counts in one table, then one table per non-empty list of records."""
    data = plain(result)
    if not isinstance(data, dict):
        console.print(f"{name}: {_cell(data)}")
        return
    summary = Table(title=f"{name}: result", title_justify="left")
    summary.add_column("field")
    summary.add_column("value", overflow="fold")
    lists: list[tuple[str, list[Any]]] = []
    files: list[tuple[str, str]] = []
    for key, value in data.items():
        if key.endswith("_file"):  # a path to open next: on a line of its own, never folded
            if value:
                files.append((key.replace("_", " "), str(value)))
        elif isinstance(value, list) and value and isinstance(value[0], list | dict):
            summary.add_row(key, f"{len(value)} (below)")
            lists.append((key, value))
        else:
            summary.add_row(key, _cell(value))
    console.print(summary)
    for key, rows in lists:
        console.print(_rows_table(f"{name}: {key.replace('_', ' ')}", rows, TUPLE_COLUMNS.get(key)))
    for label, path in files:
        console.print(f"{label}: {path}", soft_wrap=True, highlight=False, markup=False)
