"""The drafting history as stored (crdt/history.py makes it): the steps that compaction
kept, and the rows and version positions the steps are computed from."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.tables import doc_history, doc_updates, versions

Step = tuple[int, datetime, bytes, tuple[int, ...], str]  # …, deletions (JSON)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def log_rows(
    conn: AsyncConnection, document_id: int, first: int, last: int
) -> list[tuple[int, bytes, int | None, datetime]]:
    """The document's rows of the update log from ``first`` to ``last`` (seq), in order."""
    rows = await conn.execute(
        select(
            doc_updates.c.seq,
            doc_updates.c.update,
            doc_updates.c.participant_id,
            doc_updates.c.created_at,
        )
        .where(
            doc_updates.c.document_id == document_id,
            doc_updates.c.seq >= first,
            doc_updates.c.seq <= last,
        )
        .order_by(doc_updates.c.seq)
    )
    return [(r.seq, bytes(r.update), r.participant_id, _aware(r.created_at)) for r in rows]


async def version_positions(conn: AsyncConnection, first: int, last: int) -> list[int]:
    """The log positions saved versions were read at, between ``first`` and ``last``."""
    rows = await conn.execute(
        select(versions.c.log_position).where(
            versions.c.log_position >= first, versions.c.log_position <= last
        )
    )
    return [int(r.log_position) for r in rows]


async def keep(conn: AsyncConnection, document_id: int, steps: Sequence[Step]) -> None:
    if steps:
        await conn.execute(
            insert(doc_history),
            [
                {
                    "document_id": document_id,
                    "position": position,
                    "at": at,
                    "snapshot": snapshot,
                    "participants": json.dumps(list(participants)),
                    "deletions": deletions,
                }
                for position, at, snapshot, participants, deletions in steps
            ],
        )


async def kept(conn: AsyncConnection, document_id: int) -> list[Step]:
    rows = await conn.execute(
        select(doc_history)
        .where(doc_history.c.document_id == document_id)
        .order_by(doc_history.c.position)
    )
    return [
        (
            r.position,
            _aware(r.at),
            bytes(r.snapshot),
            tuple(json.loads(r.participants)),
            r.deletions,
        )
        for r in rows
    ]
