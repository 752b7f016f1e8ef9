"""Shared fixtures: one development federation per session, hubs on loopback.

Prefect settings are set before anything imports prefect (see hub.prefect_env).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hub.prefect_env import use_local_prefect

use_local_prefect()

PASSPHRASE = b"test-passphrase-not-secret"
os.environ.setdefault("PXHUB_KEY_PASSPHRASE", PASSPHRASE.decode())


@pytest.fixture(scope="session")
def federation_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hub.pki import init_federation

    directory = tmp_path_factory.mktemp("federation") / "fed"
    init_federation(directory, PASSPHRASE)
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
    def store(self):  # type: ignore[no-untyped-def]
        return self.running.store  # type: ignore[attr-defined]

    async def client(self, member_id: str):  # type: ignore[no-untyped-def]
        from hub.sdk import MemberClient

        return await MemberClient.connect(self.target, self.federation_dir, member_id, PASSPHRASE)


async def start_test_hub(
    federation_dir: Path, database_url: str = "memory://", **overrides: object
) -> HubHandle:
    from hub.directory import Directory
    from hub.pki import load_hub
    from hub.server.app import start_hub
    from hub.settings import HubSettings
    from hub.store import open_store

    settings = HubSettings(federation_dir=federation_dir, listen="127.0.0.1:0", **overrides)  # type: ignore[arg-type]
    running = await start_hub(
        settings,
        load_hub(federation_dir, PASSPHRASE),
        Directory.from_federation(federation_dir),
        open_store(database_url),
    )
    return HubHandle(running, federation_dir)


@pytest.fixture
async def hub_server(federation_dir: Path, tmp_path: Path) -> AsyncIterator[HubHandle]:
    """A fresh hub on a fresh SQLite file for each test."""
    handle = await start_test_hub(federation_dir, f"sqlite:///{tmp_path / 'hub.db'}")
    yield handle
    await handle.running.stop(grace=0.1)  # type: ignore[attr-defined]
