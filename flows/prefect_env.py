"""Prefect's local ephemeral mode, set up so short flows stay fast.

Must run before ``prefect`` is imported: the values are read at import.
See the engineering notes in docs/flows.md for why each setting is here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCAL_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # Task-run rows are not needed server-side here; writing them stalls SQLite for ~2 s.
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def use_local_prefect(home: Path | None = None) -> None:
    """Ephemeral API with a reusable home (migrated once, then ~4 s to start)."""
    for key, value in LOCAL_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if home is not None and "PREFECT_HOME" not in os.environ and "PREFECT_API_URL" not in os.environ:
        home.mkdir(parents=True, exist_ok=True)
        os.environ["PREFECT_HOME"] = str(home.resolve())


@contextmanager
def quiet_prefect_console(quiet: bool = True) -> Iterator[None]:
    """Keep Prefect's console log (and the tracebacks it prints) off the terminal while ``quiet``.

    The command prints the outcome itself, in one line; the run's log still reaches the Prefect API
    (the UI's flow-run page). Prefect's handlers are set up here if they are not yet, found, and
    restored on the way out.
    """
    if not quiet:
        yield
        return
    from prefect.logging.configuration import ensure_logging_setup
    from prefect.logging.handlers import PrefectConsoleHandler

    ensure_logging_setup()  # configured on first use otherwise: after this function looked
    handlers = {
        handler
        for name in (None, *logging.root.manager.loggerDict)
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, PrefectConsoleHandler)
    }
    levels = {handler: handler.level for handler in handlers}
    for handler in handlers:
        handler.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for handler, level in levels.items():
            handler.setLevel(level)


def flush_prefect_workers(timeout: float = 30.0) -> None:
    """Wait until Prefect has sent the run's pending events and log lines, before the process exits.

    Otherwise they are still queued when the interpreter stops, and Prefect's exit hook drains them
    with a "Still processing items" warning (logged whenever a stopped worker still holds items).
    Waiting for an empty queue while the workers still run sends them the ordinary way.
    """
    import threading

    from prefect._internal.concurrency.services import QueueService
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    services: list[object] = list(QueueService._instances.values())  # type: ignore[misc]
    workers = [w for w in services if isinstance(w, EventsWorker | APILogWorker)]
    waiting = [threading.Thread(target=w.wait_until_empty, daemon=True) for w in workers]
    for thread in waiting:
        thread.start()
    for thread in waiting:
        thread.join(timeout)
