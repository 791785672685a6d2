"""Who wrote which characters (crdt/authors.py), as stored: the first sender of each Yjs
client of a document, written by the store's writer in the same transaction as the updates
(so an acknowledged edit always has its author), and the ranges of the server's own edits
that kept older authors. Compaction folds the update log, never these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Insert, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.tables import doc_author_ranges, doc_authors, doc_updates

# The Yjs clients that have items in an update (crdt/authors.py ``clients_of``): reading
# updates is the crdt package's job, handed to this one.
Clients = Callable[[bytes], Iterable[int]]

KNOWN_KEPT = 200_000  # (document, client) pairs the writer remembers as recorded


class Recorder:
    """The writer's side: which (document, client) pairs a batch brings that are not
    recorded yet. Remembers those it recorded, so a participant typing for an hour costs
    one row, not one per commit."""

    def __init__(self, clients: Clients) -> None:
        self._clients = clients
        self._known: set[tuple[int, int]] = set()

    def new_rows(self, sent: Iterable[tuple[int, int | None, bytes]]) -> list[dict[str, Any]]:
        rows: dict[tuple[int, int], int] = {}
        for document_id, participant_id, sent_update in sent:
            if participant_id is None or document_id <= 0:
                continue
            try:
                clients = self._clients(sent_update)
            except ValueError:
                continue  # checked on arrival; an unreadable one has no author to give
            for client in clients:
                key = (document_id, client)
                if key not in self._known and key not in rows:
                    rows[key] = participant_id
        return [
            {"document_id": d, "client_id": c, "participant_id": p} for (d, c), p in rows.items()
        ]

    def recorded(self, rows: Sequence[dict[str, Any]]) -> None:
        if len(self._known) > KNOWN_KEPT:
            self._known.clear()
        self._known.update((r["document_id"], r["client_id"]) for r in rows)


def record(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """In the writer's transaction: the first sender of each client is kept."""
    if rows:
        conn.execute(_first_wins(conn.dialect.name), list(rows))


_statements: dict[str, Insert] = {}


def _first_wins(dialect: str) -> Insert:
    """INSERT INTO doc_authors … ON CONFLICT DO NOTHING, built once per dialect."""
    statement = _statements.get(dialect)
    if statement is None:
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = make(doc_authors).on_conflict_do_nothing()
        _statements[dialect] = statement
    return statement


@dataclass
class StoredAuthors:
    """What the store knows of documents' authors (crdt/authors.py ``Authorship`` reads it)."""

    clients: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)
    # (client, clock_start, clock_end, participant, amendment), oldest first
    ranges: list[tuple[int, int, int, int | None, int | None]] = field(default_factory=list)


# A range: (client, clock_start, clock_end, participant_id, amendment_id).
Range = tuple[int, int, int, int | None, int | None]


class Authors:
    """Reading authors, and the writes made outside the store's writer."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def of(self, *document_ids: int) -> StoredAuthors:
        """What is known of the documents' authors, the first document's first (an
        amendment's text: its own, then the article's it was forked from)."""
        found = StoredAuthors()
        async with self._engine.connect() as conn:
            for document_id in reversed(document_ids):
                for row in await conn.execute(
                    select(doc_authors).where(doc_authors.c.document_id == document_id)
                ):
                    found.clients[row.client_id] = (row.participant_id, row.amendment_id)
                for row in await conn.execute(
                    select(doc_author_ranges)
                    .where(doc_author_ranges.c.document_id == document_id)
                    .order_by(doc_author_ranges.c.id)
                ):
                    found.ranges.append(
                        (
                            row.client_id,
                            row.clock_start,
                            row.clock_end,
                            row.participant_id,
                            row.amendment_id,
                        )
                    )
        return found

    async def keep_ranges(self, document_id: int, ranges: Iterable[Range]) -> None:
        """A restored version's characters get the authors they had in it (crdt/authors.py
        ``kept_authors``), in order: the latest range wins where two overlap."""
        rows = [
            {
                "document_id": document_id,
                "client_id": client,
                "clock_start": start,
                "clock_end": end,
                "participant_id": participant_id,
                "amendment_id": amendment_id,
            }
            for client, start, end, participant_id, amendment_id in ranges
        ]
        if rows:
            async with self._engine.begin() as conn:
                await conn.execute(insert(doc_author_ranges), rows)

    async def adopt(self, fork_id: int, document_id: int, amendment_id: int) -> None:
        """An amendment is accepted: the clients that wrote in its text (``fork_id``) are
        the article's authors too, by way of the amendment."""
        async with self._engine.begin() as conn:
            rows = [
                {
                    "document_id": document_id,
                    "client_id": row.client_id,
                    "participant_id": row.participant_id,
                    "amendment_id": amendment_id,
                }
                for row in await conn.execute(
                    select(doc_authors).where(doc_authors.c.document_id == fork_id)
                )
            ]
            if rows:
                await conn.execute(_first_wins(conn.dialect.name), rows)

    async def through_amendment(
        self, document_id: int, clients: Iterable[int], amendment_id: int
    ) -> None:
        """The server wrote these clients' items while accepting an amendment (the words
        chosen where it met the live text): they came by way of the amendment."""
        chosen = list(clients)
        if not chosen:
            return
        async with self._engine.begin() as conn:
            await conn.execute(
                update(doc_authors)
                .where(
                    doc_authors.c.document_id == document_id,
                    doc_authors.c.client_id.in_(chosen),
                    doc_authors.c.amendment_id.is_(None),
                )
                .values(amendment_id=amendment_id)
            )

    async def record_from_log(self, clients: Clients) -> int:
        """Once, on a database that has authors to recover (upgraded from before they were
        recorded): the first sender of each client the update log still holds, oldest row
        first. Returns the rows recorded (0 when there is nothing to do)."""
        async with self._engine.connect() as conn:
            if (await conn.execute(select(doc_authors.c.client_id).limit(1))).first():
                return 0
            rows = await conn.execute(
                select(
                    doc_updates.c.document_id, doc_updates.c.participant_id, doc_updates.c.update
                )
                .where(doc_updates.c.participant_id.is_not(None))
                .order_by(doc_updates.c.seq)
            )
            recorder = Recorder(clients)
            found = recorder.new_rows(
                (r.document_id, r.participant_id, bytes(r.update)) for r in rows
            )
        if found:
            async with self._engine.begin() as conn:
                await conn.execute(_first_wins(conn.dialect.name), found)
        return len(found)
