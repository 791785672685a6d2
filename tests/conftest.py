from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.settings import Settings
from tests.support import ADMIN_TOKEN, RunningServer, make_token, running_server


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'charter.db'}", seed_demo=True, admin_token=ADMIN_TOKEN
    )


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[RunningServer]:
    async with running_server(settings) as running:
        yield running


@pytest.fixture
async def editor(server: RunningServer) -> str:
    """The bearer token of an editor of the demo charter."""
    return await make_token(server, "editor", "Éditrice")


@pytest.fixture
async def facilitator(server: RunningServer) -> str:
    return await make_token(server, "facilitator", "Animateur")
