"""The Alembic migrations and the tables agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from hub.store.sql.schema import downgrade, register_tables, upgrade
from hub.store.sql.store import make_engine
from tests.conftest import SQL_BACKENDS, fresh_database_url


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_migrations_build_exactly_the_tables(backend: str, tmp_path: Path) -> None:
    register_tables()
    engine = make_engine(fresh_database_url(backend, tmp_path))
    try:
        upgrade(engine)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert differences == [], "tables changed without a migration: run `make migration MESSAGE=...`"
        assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
        upgrade(engine)  # running it again changes nothing
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_downgrade_to_base_and_upgrade_again(backend: str, tmp_path: Path) -> None:
    register_tables()
    engine = make_engine(fresh_database_url(backend, tmp_path))
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert not set(SQLModel.metadata.tables) & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
