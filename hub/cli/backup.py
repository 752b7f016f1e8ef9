"""``pxhub backup``: a consistent copy of a running hub's SQLite database (audit log included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hub.cli.common import _fail
from hub.core.words import counted

console = Console()


def backup(
    destination: Annotated[Path, typer.Argument(help="File to write (must not exist); 0600.")],
    config: Annotated[
        Path | None, typer.Option(help="TOML file with hub settings (section \\[hub]), as for serve.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder of the hub's SQLite file (PXHUB_DATA_DIR).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of a SQLite file (PXHUB_DATABASE_URL).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Copy the hub's SQLite database to DESTINATION, safely while the hub runs.

    One read snapshot through SQLite's backup API (the hub keeps writing meanwhile), checked with
    PRAGMA integrity_check, written whole or not at all. The audit log, its tree and its checkpoints
    are in the copy. PostgreSQL: use pg_dump (docs/operations.md).
    """
    from pydantic import ValidationError

    from hub.settings import HubSettings
    from hub.store.sql.backup import BackupError, backup_sqlite, sqlite_path

    try:
        settings = HubSettings.load(config, data_dir=data_dir, database_url=database_url)
    except ValidationError as error:
        first = error.errors()[0]
        raise _fail(f"setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from error
    except OSError as error:
        raise _fail(f"--config {config}: {error.strerror}") from error
    try:
        source = sqlite_path(settings.sqlalchemy_url)
        with console.status(f"copying {source} …"):
            summary = backup_sqlite(source, destination)
    except BackupError as error:
        raise _fail(str(error)) from None
    if as_json:
        document = {
            "source": str(source),
            "backup": str(summary.path),
            "bytes": summary.size_bytes,
            "audit_entries": summary.audit_entries,
            "checkpoint_size": summary.checkpoint_size,
            "schema_revision": summary.schema_revision,
        }
        typer.echo(json.dumps(document, indent=2))
        return
    console.print(
        f"backed up {source} to {summary.path}: {summary.size_bytes:,} bytes, audit log of "
        f"{counted(summary.audit_entries, 'entry')}, newest checkpoint of size {summary.checkpoint_size:,}, "
        f"schema {summary.schema_revision}; integrity check ok",
        soft_wrap=True,
    )
