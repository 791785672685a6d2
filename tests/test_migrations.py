"""The schema comes from Alembic migrations, from the first table on."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from persistence.engine import MIGRATIONS, current_revision, make_engine, migrate
from persistence.tables import metadata


async def test_upgrade_from_empty_to_head_matches_the_tables(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
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


async def test_sqlite_is_configured_for_durable_commits(tmp_path: Path) -> None:
    from sqlalchemy import text

    from persistence.engine import check_durability

    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        await check_durability(engine)
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 2  # FULL
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()
