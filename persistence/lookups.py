"""Short reads on every socket's way in — which document a name is, whose token this is —
done in one trip to the database.

Through SQLAlchemy's asyncio layer over aiosqlite, each statement is several hops between
the event loop and aiosqlite's thread: finding a document and a participant that way cost
4 ms of CPU per joining socket, most of a fresh client's time to its first sync
(bench/README.md). :class:`Reads` runs a plain function of a ``Connection`` instead: on a
SQLite file in one worker-thread trip through the synchronous driver (as the store's writer
commits), elsewhere in one checkout of the async engine (``run_sync``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
from sqlalchemy import Connection, Engine, select
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.engine import sync_twin
from persistence.people import ParticipantRecord, participant_record
from persistence.repo import CharterRecord, NotFound, charter_record
from persistence.tables import amendments, articles, charters, participants

T = TypeVar("T")


class Reads:
    """Run a read-only function of a ``Connection`` in one trip to the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        url = engine.url
        self._on_file = url.get_backend_name() == "sqlite" and url.database not in (
            None,
            "",
            ":memory:",
        )
        self._twin: Engine | None = None

    async def run(self, read: Callable[[Connection], T]) -> T:
        if self._on_file:
            if self._twin is None:
                self._twin = sync_twin(self._engine)
            twin = self._twin

            def in_thread() -> T:
                with twin.connect() as conn:
                    return read(conn)

            return await anyio.to_thread.run_sync(in_thread)
        async with self._engine.connect() as conn:
            return await conn.run_sync(read)

    async def close(self) -> None:
        """Close the synchronous connections (the async engine is the caller's)."""
        if self._twin is not None:
            twin, self._twin = self._twin, None
            await anyio.to_thread.run_sync(twin.dispose)


def charter(conn: Connection, slug: str) -> CharterRecord:
    """The charter's own record, without its outline. NotFound if there is none."""
    row = conn.execute(select(charters).where(charters.c.slug == slug)).first()
    if row is None:
        raise NotFound(f"no charter {slug!r}")
    return charter_record(row)


def article_document(conn: Connection, slug: str, key: str) -> tuple[CharterRecord, int]:
    """The charter (without outline) and the document of a live article."""
    row = conn.execute(
        select(charters, articles.c.document_id)
        .join(articles, articles.c.charter_id == charters.c.id)
        .where(charters.c.slug == slug, articles.c.key == key, articles.c.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFound(f"no article {key!r} in charter {slug!r}")
    return charter_record(row), int(row.document_id)


def amendment_document(conn: Connection, slug: str, amendment_id: int) -> tuple[CharterRecord, int]:
    """The charter (without outline) and the fork document of one of its amendments."""
    row = conn.execute(
        select(charters, amendments.c.document_id)
        .join(amendments, amendments.c.charter_id == charters.c.id)
        .where(charters.c.slug == slug, amendments.c.id == amendment_id)
    ).first()
    if row is None:
        raise NotFound(f"no amendment {amendment_id} in charter {slug!r}")
    return charter_record(row), int(row.document_id)


def participant(conn: Connection, participant_id: int) -> ParticipantRecord | None:
    row = conn.execute(select(participants).where(participants.c.id == participant_id)).first()
    return None if row is None else participant_record(row)
