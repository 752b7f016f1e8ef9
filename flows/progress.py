"""Progress of long work on the console: the bar of ``pxhub demo`` and of every ``pxhub flow run``.

The command that owns the console opens one ``console_progress`` and attaches it (``attached``);
flows report their work through ``report`` by a key of their own (``outbound CO-INPEC``), which
becomes a bar the first time it is seen. With nothing attached (a served run, a test, a Dask worker)
a report goes nowhere, so the flows stay free of console code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

#: Rows between two progress reports of a flow reading an export.
PROGRESS_ROWS: Final = 256


class _Attached:
    """The progress the running command attached, and its bars by key."""

    progress: Progress | None = None
    tasks: dict[str, TaskID] = {}  # noqa: RUF012 - one console per process


def console_progress(console: Console, *, counts: bool = False) -> Progress:
    """The bar the commands share: what is being done, the bar, (done/total,) time elapsed."""
    columns = [TextColumn("{task.description}"), BarColumn()]
    if counts:
        columns.append(MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), console=console)


@contextmanager
def attached(progress: Progress) -> Iterator[Progress]:
    """Let the flows run inside this block report to ``progress``."""
    previous, _Attached.progress = _Attached.progress, progress
    try:
        yield progress
    finally:
        _Attached.progress = previous
        _Attached.tasks.clear()


def report(
    key: str,
    *,
    description: str | None = None,
    completed: float | None = None,
    advance: float | None = None,
    total: float | None = None,
) -> None:
    """Move the bar named ``key`` (created on first use; ``total`` None: no known end yet)."""
    progress = _Attached.progress
    if progress is None:
        return
    tasks = _Attached.tasks
    if key not in tasks:
        tasks[key] = progress.add_task(description or key, total=total)
    progress.update(tasks[key], description=description, completed=completed, advance=advance, total=total)
