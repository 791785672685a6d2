"""The databases the suite runs on: SQLite always, PostgreSQL when it is there.

``CHARTER_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``) names a
server where the suite may create and drop databases. On CI (``CI=true``) PostgreSQL must be
reachable: its tests fail instead of skipping. Elsewhere they skip with a message.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from crdt.article import ArticleDoc, fold
from persistence.docs import DocStore
from persistence.engine import make_engine, migrate
from server.settings import Settings
from tests.support import ADMIN_TOKEN, running_server

POSTGRES = os.environ.get("CHARTER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ("sqlite", "postgresql")


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _postgres_reachable() -> str | None:
    try:
        conn = await asyncpg.connect(_dsn(POSTGRES), timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@asynccontextmanager
async def fresh_database(
    backend: str, tmp_path: Path, *, schema: bool = True
) -> AsyncIterator[str]:
    """A new database of ``backend`` for one test, dropped afterwards: migrated to the head
    (a copy of one migrated once per run), or empty with ``schema=False``. The server
    migrates at start either way; tests/test_migrations.py starts from empty."""
    if backend == "sqlite":
        path = tmp_path / "charter.db"
        if schema:
            shutil.copyfile(await _sqlite_schema(), path)
        yield f"sqlite:///{path}"
        return
    problem = await _postgres_reachable()
    if problem is not None:
        message = f"PostgreSQL unreachable at {POSTGRES} ({problem})"
        if ON_CI:
            pytest.fail(message + ": CI needs it", pytrace=False)
        pytest.skip(message + "; start it or set CHARTER_TEST_POSTGRES to run these tests")
    template = await _postgres_schema() if schema else "template1"
    name = f"charter_{uuid.uuid4().hex[:12]}"
    await _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _postgres_url(name)
    finally:
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The migrated schema each fresh database copies: made at first use, once per run (a
# migration from empty costs about as much as starting the server without it).
_schemas: dict[str, str] = {}


async def _sqlite_schema() -> Path:
    if "sqlite" not in _schemas:
        folder = Path(tempfile.mkdtemp(prefix="charter-schema-"))
        engine = make_engine(f"sqlite:///{folder / 'schema.db'}")
        try:
            await migrate(engine)
        finally:
            await engine.dispose()  # the last connection folds the WAL into the file
        _schemas["sqlite"] = str(folder / "schema.db")
    return Path(_schemas["sqlite"])


async def _postgres_schema() -> str:
    if "postgresql" not in _schemas:
        name = f"charter_schema_{uuid.uuid4().hex[:12]}"
        await _postgres_admin(f'CREATE DATABASE "{name}"')
        engine = make_engine(_postgres_url(name))
        try:
            await migrate(engine)
        finally:
            await engine.dispose()  # a template must have no connection when it is copied
        _schemas["postgresql"] = name
    return _schemas["postgresql"]


def drop_schemas() -> None:
    """At the end of the run: drop what ``_sqlite_schema`` and ``_postgres_schema`` made."""
    sqlite = _schemas.pop("sqlite", None)
    if sqlite is not None:
        shutil.rmtree(Path(sqlite).parent, ignore_errors=True)
    postgres = _schemas.pop("postgresql", None)
    if postgres is not None:
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{postgres}" WITH (FORCE)'))


async def _postgres_admin(statement: str) -> None:
    admin = await asyncpg.connect(_dsn(POSTGRES))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)


async def stored_text(database_url: str, document_id: int | None = None) -> str:
    """Rebuild a document's text straight from the database (checkpoint + rows)."""
    engine = make_engine(database_url)
    try:
        if document_id is None:
            from sqlalchemy import select

            from persistence.tables import articles

            async with engine.connect() as conn:
                document_id = (
                    (await conn.execute(select(articles.c.document_id).order_by(articles.c.id)))
                    .scalars()
                    .first()
                )
        assert document_id is not None
        return ArticleDoc.from_updates(await DocStore(engine, fold).load(document_id)).text()
    finally:
        await engine.dispose()


async def scalar(database_url: str, sql: str) -> object:
    from sqlalchemy import text

    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql))).scalar()
    finally:
        await engine.dispose()


async def execute(database_url: str, sql: str, **values: object) -> None:
    """One statement, committed (a test's own change to the stored data)."""
    from sqlalchemy import text

    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql), values)
    finally:
        await engine.dispose()


@asynccontextmanager
async def writes_blocked(database_url: str) -> AsyncIterator[None]:
    """Hold the database's write lock from another connection: commits must wait."""
    if database_url.startswith("sqlite"):
        import sqlite3

        blocker = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        return
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("LOCK TABLE doc_updates IN EXCLUSIVE MODE")  # readers still read
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await conn.close()


async def seeded_document(database_url: str) -> int:
    """A database migrated and seeded with the demo charter; the id of its first document."""
    settings = Settings(database_url=database_url, seed_demo=True, admin_token=ADMIN_TOKEN)
    async with running_server(settings):  # migrated and seeded; its room stays unloaded
        pass
    return int(await scalar(database_url, "SELECT MIN(document_id) FROM articles"))  # type: ignore[call-overload]
