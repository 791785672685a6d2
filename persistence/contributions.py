"""Who edited which document, by position in the update log: written with the updates,
read by comparisons.

The update log cannot answer "who took part between two versions" for long: compaction
folds its rows (and their participant ids) into a checkpoint. So the store's writer also
adds, in the same transaction as the updates, one count per (document, participant,
position), the position being the highest ``seq`` of the log once the commit's rows are in
(``seq`` only grows, across documents and instances). A version records the position its
states were read at, after the store was flushed: everything at or below it is in the
version, and what is committed later lies above it. So the people "between versions A and
B" are those counted at positions in (A, B], exactly, and a comparison of two saved
versions never changes afterwards.

Counts written before positions were kept (``doc_contributions``, per minute) still answer
for versions saved back then, to the minute: an edit in the very minute such a version was
saved counts on both sides of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.driver import Prepared
from persistence.tables import (
    articles,
    doc_contributions,
    doc_contributions_at,
    doc_updates,
    participants,
)


def minute(at: datetime) -> datetime:
    """The bucket of a moment: its minute, in UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def record(conn: Connection, edits: Iterable[tuple[int, int | None]]) -> None:
    """Count (document id, participant id) edits at the log's position, in the writer's
    transaction, after its rows; anonymous (server-made) edits are not counted."""
    counts = Counter((d, p) for d, p in edits if p is not None and d > 0)
    if not counts:
        return
    position = log_position(conn)
    rows = [
        {"document_id": d, "participant_id": p, "position": position, "edits": n}
        for (d, p), n in sorted(counts.items())
    ]
    _upsert(conn.dialect.name).many(conn, rows)


_POSITION = Prepared(select(func.max(doc_updates.c.seq)))


def log_position(conn: Connection) -> int:
    """The highest ``seq`` of the update log this transaction sees (0: empty)."""
    return int(_POSITION.scalar(conn) or 0)


_upserts: dict[str, Prepared] = {}


def _upsert(dialect: str) -> Prepared:
    """The counting statement, built once per dialect: building ``excluded`` copies the
    table's columns, which cost more than the writer's whole commit when done per batch."""
    prepared = _upserts.get(dialect)
    if prepared is None:
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = make(doc_contributions_at)
        # Two instances' commits may end at the same position: their counts add up.
        statement = base.on_conflict_do_update(
            index_elements=["document_id", "participant_id", "position"],
            set_={"edits": doc_contributions_at.c.edits + base.excluded.edits},
        )
        keys = ("document_id", "participant_id", "position", "edits")
        prepared = _upserts[dialect] = Prepared(statement, keys)
    return prepared


@dataclass(frozen=True)
class Contribution:
    document_id: int
    participant_id: int
    name: str
    edits: int
    badge: str | None = None  # citizen, elected, organiser


class Contributions:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def between(
        self, document_ids: Iterable[int], start: Bound, end: Bound | None
    ) -> list[Contribution]:
        """Edits per document and participant after ``start`` and up to ``end`` (None: up
        to now), with the participant's current name. A bound with a position cuts the
        log there; one without (a version saved before positions were kept) cuts the
        per-minute counts of that time, both minutes included."""
        wanted = sorted(set(document_ids))
        if not wanted:
            return []
        totals: Counter[tuple[int, int]] = Counter()
        names: dict[int, str] = {}
        badges: dict[int, str | None] = {}
        async with self.engine.connect() as conn:
            for first in range(0, len(wanted), 500):
                chunk = wanted[first : first + 500]
                # Counted by position: all of it written after every version without one.
                if end is None or end.position is not None:
                    query = self._named(doc_contributions_at, chunk)
                    if start.position is not None:
                        query = query.where(doc_contributions_at.c.position > start.position)
                    if end is not None and end.position is not None:
                        query = query.where(doc_contributions_at.c.position <= end.position)
                    for row in await conn.execute(query):
                        totals[(row.document_id, row.participant_id)] += row.edits
                        names[row.participant_id] = row.name or f"#{row.participant_id}"
                        badges[row.participant_id] = row.badge
                # Counted per minute, before positions: only where a bound has no position.
                if start.position is None:
                    low = minute(start.at)
                    high = minute(end.at) if end is not None and end.position is None else None
                    for row in await conn.execute(self._named(doc_contributions, chunk)):
                        bucket = minute(row.bucket)
                        if bucket < low or (high and bucket > high):
                            continue
                        totals[(row.document_id, row.participant_id)] += row.edits
                        names[row.participant_id] = row.name or f"#{row.participant_id}"
                        badges[row.participant_id] = row.badge
        return [
            Contribution(d, p, names[p], n, badges.get(p)) for (d, p), n in sorted(totals.items())
        ]

    @staticmethod
    def _named(table: Any, documents: list[int]) -> Any:
        return (
            select(
                table.c.document_id,
                table.c.participant_id,
                table.c.edits,
                participants.c.name,
                participants.c.badge,
                *([table.c.bucket] if "bucket" in table.c else []),
            )
            .join(participants, participants.c.id == table.c.participant_id, isouter=True)
            .where(table.c.document_id.in_(documents))
        )


@dataclass(frozen=True)
class Bound:
    """One end of a comparison: a version's log position (None for a version saved before
    positions were kept) and its time (for those)."""

    position: int | None
    at: datetime


async def article_documents(engine: AsyncEngine, charter_id: int) -> dict[int, str]:
    """Document id -> article key for every article of a charter, deleted ones included."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(articles.c.document_id, articles.c.key).where(
                articles.c.charter_id == charter_id
            )
        )
        return {int(r.document_id): str(r.key) for r in rows}
