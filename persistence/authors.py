"""Who wrote which characters (crdt/authors.py), as stored: the first sender of each Yjs
client of a document, written by the store's writer in the same transaction as the updates
(so an acknowledged edit always has its author), and the ranges of the server's own edits
that kept older authors. Compaction folds the update log, never these.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Insert, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from crdt.article import CrdtError
from crdt.authors import Authorship, Origin, clients_of
from crdt.protocol import ProtocolError
from persistence.tables import doc_author_ranges, doc_authors

KNOWN_KEPT = 200_000  # (document, client) pairs the writer remembers as recorded


class Recorder:
    """The writer's side: which (document, client) pairs a batch brings that are not
    recorded yet. Remembers those it recorded, so a participant typing for an hour costs
    one row, not one per commit."""

    def __init__(self) -> None:
        self._known: set[tuple[int, int]] = set()

    def new_rows(self, sent: Iterable[tuple[int, int | None, bytes]]) -> list[dict[str, Any]]:
        rows: dict[tuple[int, int], int] = {}
        for document_id, participant_id, sent_update in sent:
            if participant_id is None or document_id <= 0:
                continue
            try:
                clients = clients_of(sent_update)
            except (CrdtError, ProtocolError):
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


class Authors:
    """Reading authors, and the writes made outside the store's writer."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def of(self, *document_ids: int) -> Authorship:
        """What is known of the documents' authors, the first document's first (an
        amendment's text: its own, then the article's it was forked from)."""
        found = Authorship()
        async with self._engine.connect() as conn:
            for document_id in reversed(document_ids):
                for row in await conn.execute(
                    select(doc_authors).where(doc_authors.c.document_id == document_id)
                ):
                    found.clients[row.client_id] = Origin(row.participant_id, row.amendment_id)
                for row in await conn.execute(
                    select(doc_author_ranges)
                    .where(doc_author_ranges.c.document_id == document_id)
                    .order_by(doc_author_ranges.c.id)
                ):
                    found.add_range(
                        row.client_id,
                        row.clock_start,
                        row.clock_end,
                        Origin(row.participant_id, row.amendment_id),
                    )
        return found

    async def keep_ranges(
        self, document_id: int, ranges: Iterable[tuple[int, int, int, Origin]]
    ) -> None:
        """A restored version's characters get the authors they had in it (crdt/authors.py
        ``kept_authors``): ranges (client, clock_start, clock_end, origin), in order."""
        rows = [
            {
                "document_id": document_id,
                "client_id": client,
                "clock_start": start,
                "clock_end": end,
                "participant_id": origin.participant_id,
                "amendment_id": origin.amendment_id,
            }
            for client, start, end, origin in ranges
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
