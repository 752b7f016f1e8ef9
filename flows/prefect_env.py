"""Prefect's local ephemeral mode, set up so short flows stay fast.

Must run before ``prefect`` is imported: the values are read at import.
See the engineering notes in docs/flows.md for why each setting is here.
"""

from __future__ import annotations

import os
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
