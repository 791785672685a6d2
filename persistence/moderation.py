"""The public moderation log's reverts: one participant's edits on an article taken back by
a facilitator (hidden comments are in persistence/comments.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.tables import moderation_reverts


@dataclass(frozen=True)
class RevertRecord:
    id: int
    charter_id: int
    article_key: str
    article_title: str
    participant_id: int | None
    participant_name: str
    since_position: int
    since_at: datetime
    by_name: str
    reason: str
    version_before_id: int | None
    at_position: int
    words_removed: int
    words_restored: int
    created_at: datetime


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class Moderation:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def record_revert(self, **values: object) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                insert(moderation_reverts).values(**values).returning(moderation_reverts.c.id)
            )
            return int(result.scalar_one())

    async def reverts(self, charter_id: int) -> list[RevertRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(moderation_reverts)
                .where(moderation_reverts.c.charter_id == charter_id)
                .order_by(moderation_reverts.c.id)
            )
            return [
                RevertRecord(
                    r.id,
                    r.charter_id,
                    r.article_key,
                    r.article_title,
                    r.participant_id,
                    r.participant_name,
                    r.since_position,
                    _aware(r.since_at),
                    r.by_name,
                    r.reason,
                    r.version_before_id,
                    r.at_position,
                    r.words_removed,
                    r.words_restored,
                    _aware(r.created_at),
                )
                for r in rows
            ]
