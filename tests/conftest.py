from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.settings import Settings
from tests.databases import BACKENDS, drop_schemas, fresh_database
from tests.support import ADMIN_TOKEN, RunningServer, make_token, running_server


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Every test that stores something runs on SQLite and on PostgreSQL."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=BACKENDS)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database without even the schema (the migrations' own tests)."""
    async with fresh_database(request.param, tmp_path, schema=False) as url:
        yield url


def pytest_sessionfinish(session: pytest.Session) -> None:
    drop_schemas()


@pytest.fixture
async def pg(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh PostgreSQL database, for what only a database server can do (several
    instances, pg_dump, a proxy cut between server and database)."""
    async with fresh_database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, seed_demo=True, admin_token=ADMIN_TOKEN)


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


# The matrices' world, one per test module that asks for it.
from tests.matrix_world import world  # noqa: E402, F401
