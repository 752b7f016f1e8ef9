"""Shared fixtures: one development federation per session, hubs on loopback.

Prefect settings are set before anything imports prefect (see flows.prefect_env).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from flows.prefect_env import use_local_prefect

use_local_prefect()

PASSPHRASE = b"test-passphrase-not-secret"
os.environ.setdefault("PXHUB_KEY_PASSPHRASE", PASSPHRASE.decode())


@pytest.fixture(scope="session")
def federation_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hub.dev.federation import init_federation

    directory = tmp_path_factory.mktemp("federation") / "fed"
    init_federation(directory, PASSPHRASE)
    from hub.policy import sign_default_policy

    sign_default_policy(directory, PASSPHRASE)  # as `pxhub pki init` does: the operator signs it
    return directory


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's test harness, started once and only for tests that ask for it."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        prefect_test_harness(server_startup_timeout=120),
    ):
        yield


class HubHandle:
    """A running hub on loopback and helpers to connect members to it."""

    def __init__(self, running: object, federation_dir: Path) -> None:
        self.running = running
        self.federation_dir = federation_dir

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.running.port}"  # type: ignore[attr-defined]

    @property
    def store(self):
        return self.running.store  # type: ignore[attr-defined]

    async def client(self, member_id: str, **options: Any):
        from hub.sdk import MemberClient

        return await MemberClient.connect(self.target, self.federation_dir, member_id, PASSPHRASE, **options)


async def start_test_hub(
    federation_dir: Path, database_url: str = "memory://", clock: object = None, **overrides: object
) -> HubHandle:
    from hub.identity.credentials import load_hub
    from hub.identity.directory import Directory
    from hub.server.app import start_hub
    from hub.settings import HubSettings
    from hub.store import open_store

    settings = HubSettings(federation_dir=federation_dir, **{"listen": "127.0.0.1:0", **overrides})  # type: ignore[arg-type]
    running = await start_hub(
        settings,
        load_hub(federation_dir, PASSPHRASE),
        Directory.from_federation(federation_dir),
        open_store(database_url),
        **({"clock": clock} if clock is not None else {}),  # type: ignore[arg-type]
    )
    return HubHandle(running, federation_dir)


POSTGRES_URL = os.environ.get("PXHUB_TEST_POSTGRES_URL", "")
SQL_BACKENDS = ["sqlite", "postgresql"]


def fresh_database_url(backend: str, tmp_path: Path) -> str:
    """An empty database of the given backend for one test."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    if backend == "memory":
        return "memory://"
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("PXHUB_TEST_POSTGRES_URL is not set: .ci/run starts PostgreSQL and sets it")
        pytest.skip("PostgreSQL not configured (run .ci/postgres.sh and set PXHUB_TEST_POSTGRES_URL)")
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture(params=SQL_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each service test runs once on SQLite and once on PostgreSQL."""
    return fresh_database_url(request.param, tmp_path)


@pytest.fixture(params=["memory", *SQL_BACKENDS])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """Every store backend, for the shared store contract suite."""
    from hub.store import open_store

    opened = open_store(fresh_database_url(request.param, tmp_path))
    yield opened
    opened.close()


@pytest.fixture
async def hub_server(federation_dir: Path, database_url: str) -> AsyncIterator[HubHandle]:
    """A fresh hub on a fresh database (SQLite and PostgreSQL) for each test."""
    handle = await start_test_hub(federation_dir, database_url)
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]
