"""Schema of the hub's database, managed by Alembic migrations (``hub/store/migrations``).

``upgrade(url)`` brings any database to the newest revision; ``SqlHubStore``
calls it when it opens, so an embedded SQLite file and a PostgreSQL server
follow the same path. ``make migration MESSAGE=...`` autogenerates the next
revision after a table changes; ``tests/test_migrations.py`` fails if the
migrations and the tables disagree.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select

MIGRATIONS = Path(__file__).parents[1] / "migrations"
# PostgreSQL advisory lock key held while migrating.
MIGRATION_LOCK = 0x70786D67
# Every module that declares tables; imported before comparing or migrating.
TABLE_MODULES = (
    "hub.store.sql.tables",
    "hub.store.sql.audit_tables",
    "hub.store.sql.policy_consent_tables",
    "hub.store.sql.directory_changes_tables",
    "hub.store.sql.lookup_tables",
    "hub.store.sql.requests_tables",
)


def register_tables() -> None:
    for module in TABLE_MODULES:
        importlib.import_module(module)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision``, in one transaction."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas starting together: the first migrates, the others wait and find nothing to do.
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@functools.cache
def code_heads() -> frozenset[str]:
    """The newest revisions the migrations of this code know (read once per process)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def schema_problem(engine: Engine) -> str:
    """Empty when the database is at the newest revision this code knows, else what differs."""
    with engine.connect() as connection:
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    expected = code_heads()
    if current == expected:
        return ""
    at = ", ".join(sorted(current)) or "no revision"
    return f"database at {at}; this hub's migrations end at {', '.join(sorted(expected))}"


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to ``revision`` ("base" drops every table)."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def autogenerate(engine: Engine, message: str) -> None:
    """Write the next revision from the difference between the tables and the database."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
