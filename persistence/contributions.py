"""Who edited which document, per minute: written with the updates, read by comparisons.

The update log cannot answer "who took part between two versions" for long: compaction
folds its rows (and their participant ids) into a checkpoint. So the store's writer also
adds, in the same transaction as the updates, one count per (document, participant,
minute). Reading is to the minute: an edit in the very minute a version was saved counts
on both sides of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.tables import articles, doc_contributions, participants


def minute(at: datetime) -> datetime:
    """The bucket of a moment: its minute, in UTC."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).replace(second=0, microsecond=0)


def record(conn: Connection, edits: Iterable[tuple[int, int | None]], at: datetime) -> None:
    """Count (document id, participant id) edits in the minute of ``at``; anonymous
    (server-made) edits are not counted."""
    counts = Counter((d, p) for d, p in edits if p is not None and d > 0)
    if not counts:
        return
    bucket = minute(at)
    rows = [
        {"document_id": d, "participant_id": p, "bucket": bucket, "edits": n}
        for (d, p), n in sorted(counts.items())
    ]
    conn.execute(_upsert(conn.dialect.name), rows)


_upserts: dict[str, Insert] = {}


def _upsert(dialect: str) -> Insert:
    """The counting statement, built once per dialect: building ``excluded`` copies the
    table's columns, which cost more than the writer's whole commit when done per batch."""
    statement = _upserts.get(dialect)
    if statement is None:
        make = postgresql.insert if dialect == "postgresql" else sqlite.insert
        base = make(doc_contributions)
        statement = _upserts[dialect] = base.on_conflict_do_update(
            index_elements=["document_id", "participant_id", "bucket"],
            set_={"edits": doc_contributions.c.edits + base.excluded.edits},
        )
    return statement


@dataclass(frozen=True)
class Contribution:
    document_id: int
    participant_id: int
    name: str
    edits: int


class Contributions:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def between(
        self, document_ids: Iterable[int], start: datetime | None, end: datetime | None
    ) -> list[Contribution]:
        """Edits per document and participant in the minutes from ``start`` to ``end``
        (both included; None: no bound), with the participant's current name."""
        wanted = sorted(set(document_ids))
        if not wanted:
            return []
        low = minute(start) if start else None
        high = minute(end) if end else None
        totals: Counter[tuple[int, int]] = Counter()
        names: dict[int, str] = {}
        async with self.engine.connect() as conn:
            for first in range(0, len(wanted), 500):
                rows = await conn.execute(
                    select(
                        doc_contributions.c.document_id,
                        doc_contributions.c.participant_id,
                        doc_contributions.c.bucket,
                        doc_contributions.c.edits,
                        participants.c.name,
                    )
                    .join(
                        participants,
                        participants.c.id == doc_contributions.c.participant_id,
                        isouter=True,
                    )
                    .where(doc_contributions.c.document_id.in_(wanted[first : first + 500]))
                )
                for row in rows:
                    bucket = minute(row.bucket)
                    if (low and bucket < low) or (high and bucket > high):
                        continue
                    totals[(row.document_id, row.participant_id)] += row.edits
                    names[row.participant_id] = row.name or f"#{row.participant_id}"
        return [Contribution(d, p, names[p], n) for (d, p), n in sorted(totals.items())]


async def article_documents(engine: AsyncEngine, charter_id: int) -> dict[int, str]:
    """Document id -> article key for every article of a charter, deleted ones included."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(articles.c.document_id, articles.c.key).where(
                articles.c.charter_id == charter_id
            )
        )
        return {int(r.document_id): str(r.key) for r in rows}
