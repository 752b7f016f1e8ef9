"""Alembic environment of the hub's store: the same migrations for SQLite and PostgreSQL.

Run through ``hub.store.sql.schema.upgrade(url)`` (the hub does this when it opens
its store) or ``pxhub db upgrade``; there is no alembic.ini to keep in step.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import hub.store.sql.tables  # noqa: F401  (registers every table on the metadata)
from hub.store.sql.schema import register_tables

register_tables()
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
