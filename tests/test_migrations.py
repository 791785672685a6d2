"""The schema comes from Alembic migrations, from the first table on."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from persistence.engine import MIGRATIONS, current_revision, make_engine, migrate
from persistence.tables import metadata


async def test_upgrade_from_empty_to_head_matches_the_tables(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert await current_revision(engine) is None
        await migrate(engine)
        head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert await current_revision(engine) == head
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata)
            )
        assert set(metadata.tables) <= tables
        assert diff == [], f"tables.py and the migrations disagree: {diff}"
        await migrate(engine)  # running again is a no-op
        assert await current_revision(engine) == head
    finally:
        await engine.dispose()


async def test_the_database_is_configured_for_durable_commits(database_url: str) -> None:
    from sqlalchemy import text

    from persistence.engine import check_durability

    engine = make_engine(database_url)
    try:
        await check_durability(engine)  # raises if a commit would not be durable
        async with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                assert (await conn.execute(text("SHOW synchronous_commit"))).scalar() == "on"
                return
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 2  # FULL
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()
