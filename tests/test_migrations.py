"""The schema comes from Alembic migrations, from the first table on."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from persistence.engine import MIGRATIONS, current_revision, make_engine, migrate
from persistence.tables import metadata


async def test_upgrade_from_empty_to_head_matches_the_tables(database_url: str) -> None:
    engine = make_engine(database_url)
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


async def test_authors_are_recorded_from_the_update_log_on_upgrade(database_url: str) -> None:
    """Revision 0014 records the first sender of each Yjs client the log still holds."""
    from sqlalchemy import text

    from crdt.article import ArticleDoc

    first, second = ArticleDoc(client_id=11), ArticleDoc(client_id=22)
    by_seven = first.edit(lambda t: t.insert(0, "Awa. "))
    second.apply(first.full_update())
    by_eight = second.edit(lambda t: t.insert(0, "Bruno. "))
    both = second.update_since(b"\x00")  # clients 11 and 22: 11 was sent by 7 first
    engine = make_engine(database_url)
    try:
        await migrate(engine, "0013")
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO charters (id, slug, title, language) VALUES (1, 'c', 'C', 'fr')")
            )
            await conn.execute(
                text("INSERT INTO documents (id, charter_id, kind) VALUES (5, 1, 'article')")
            )
            for update, participant in ((by_seven, 7), (by_eight, 8), (both, 8), (both, None)):
                await conn.execute(
                    text(
                        'INSERT INTO doc_updates (document_id, "update", participant_id) '
                        "VALUES (5, :update, :participant)"
                    ),
                    {"update": update, "participant": participant},
                )
        await migrate(engine)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT client_id, participant_id FROM doc_authors WHERE document_id = 5")
            )
            assert dict(rows.all()) == {11: 7, 22: 8}
    finally:
        await engine.dispose()
