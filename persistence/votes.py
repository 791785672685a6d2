"""Live votes of the room as records: the vote, its ballots, its closing.

A vote closes once (``UPDATE … WHERE status = 'open'``): a facilitator's click, the timer
of every instance and a late reader may all try, one wins. A ballot is taken only while
the vote's row says open and its end is not past, read in the ballot's own transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from persistence.repo import NotFound
from persistence.tables import articles, charters, participants, vote_ballots, votes

SUBJECTS = ("article", "charter", "bundle")
SCALES: dict[str, tuple[str, ...]] = {
    "simple": ("for", "against", "abstain"),
    "consent": ("agree", "live_with", "objection"),
}


def utc(at: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes: they were written in UTC."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)


def _insert(conn: AsyncConnection) -> Any:
    """INSERT … ON CONFLICT: the same API in both dialects, from different modules."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


@dataclass(frozen=True)
class Ballot:
    participant_id: int
    name: str
    badge: str | None
    choice: str


@dataclass
class VoteRecord:
    id: int
    charter_id: int
    subject: str
    article_id: int | None
    article_key: str | None
    article_title: str | None
    amendments: list[int]
    question: str | None
    scale: str
    secret: bool
    status: str
    opened_by: str
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    version_before_id: int | None
    version_after_id: int | None
    text_changed: bool | None
    ballots: list[Ballot] = field(default_factory=list)

    def due(self, now: datetime) -> bool:
        """Open, with its end past."""
        return self.status == "open" and self.closes_at is not None and self.closes_at <= now

    def counts(self) -> dict[str, int]:
        found = dict.fromkeys(SCALES[self.scale], 0)
        for ballot in self.ballots:
            found[ballot.choice] += 1
        return found

    def by_badge(self) -> dict[str, dict[str, int]]:
        """Counts per badge (``none``: a participant without one)."""
        found: dict[str, dict[str, int]] = {}
        for ballot in self.ballots:
            row = found.setdefault(ballot.badge or "none", dict.fromkeys(SCALES[self.scale], 0))
            row[ballot.choice] += 1
        return found


@dataclass(frozen=True)
class NewVote:
    charter_id: int
    subject: str
    article_id: int | None
    amendments: list[int] | None
    question: str | None
    scale: str
    secret: bool
    opened_by: str
    opened_at: datetime
    closes_at: datetime | None
    version_before_id: int


class Votes:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self, new: NewVote) -> VoteRecord | None:
        """The new vote; None if the charter has an open vote already (checked with the
        charter's row locked: two facilitators opening at once open one vote)."""
        async with self.engine.begin() as conn:
            # A write first (it changes nothing): PostgreSQL locks the row, SQLite takes its
            # write lock before reading, so that what is read below is not already stale.
            await conn.execute(
                update(charters).where(charters.c.id == new.charter_id).values(slug=charters.c.slug)
            )
            already = await conn.execute(
                select(votes.c.id).where(
                    votes.c.charter_id == new.charter_id, votes.c.status == "open"
                )
            )
            if already.first() is not None:
                return None
            vote_id = (
                await conn.execute(
                    insert(votes)
                    .values(
                        charter_id=new.charter_id,
                        subject=new.subject,
                        article_id=new.article_id,
                        amendments=None if new.amendments is None else json.dumps(new.amendments),
                        question=new.question,
                        scale=new.scale,
                        secret=new.secret,
                        status="open",
                        opened_by=new.opened_by,
                        opened_at=new.opened_at,
                        closes_at=new.closes_at,
                        version_before_id=new.version_before_id,
                    )
                    .returning(votes.c.id)
                )
            ).scalar_one()
        return await self.get(new.charter_id, vote_id)

    async def get(self, charter_id: int, vote_id: int) -> VoteRecord:
        found = await self.find(charter_id, vote_id=vote_id)
        if not found:
            raise NotFound(f"no vote {vote_id}")
        return found[0]

    async def find(
        self,
        charter_id: int,
        *,
        vote_id: int | None = None,
        status: str | None = None,
        article_id: int | None = None,
    ) -> list[VoteRecord]:
        """Newest first, with their ballots."""
        where = votes.c.charter_id == charter_id
        if vote_id is not None:
            where &= votes.c.id == vote_id
        if status is not None:
            where &= votes.c.status == status
        if article_id is not None:
            where &= votes.c.article_id == article_id
        async with self.engine.connect() as conn:
            return await self._select(conn, where)

    async def _select(self, conn: AsyncConnection, where: Any) -> list[VoteRecord]:
        rows = await conn.execute(
            select(votes, articles.c.key.label("article_key"), articles.c.title.label("title"))
            .outerjoin(articles, articles.c.id == votes.c.article_id)
            .where(where)
            .order_by(votes.c.id.desc())
        )
        records = {r.id: _record(r) for r in rows}
        if not records:
            return []
        for row in await conn.execute(
            select(vote_ballots, participants.c.name, participants.c.badge)
            .join(participants, participants.c.id == vote_ballots.c.participant_id)
            .where(vote_ballots.c.vote_id.in_(list(records)))
            .order_by(participants.c.id)
        ):
            records[row.vote_id].ballots.append(
                Ballot(row.participant_id, row.name, row.badge, row.choice)
            )
        return list(records.values())

    async def ballot(
        self, vote_id: int, participant_id: int, choice: str | None, now: datetime
    ) -> bool:
        """Set (None: withdraw) a participant's ballot; False if the vote is not open."""
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(votes.c.status, votes.c.closes_at)
                    .where(votes.c.id == vote_id)
                    .with_for_update(read=True)  # ballots side by side; closing waits for them
                )
            ).first()
            if row is None or row.status != "open":
                return False
            ends = utc(row.closes_at)
            if ends is not None and ends <= now:
                return False
            mine = (vote_ballots.c.vote_id == vote_id) & (
                vote_ballots.c.participant_id == participant_id
            )
            if choice is None:
                await conn.execute(delete(vote_ballots).where(mine))
                return True
            upsert = _insert(conn)(vote_ballots).values(
                vote_id=vote_id, participant_id=participant_id, choice=choice
            )
            await conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["vote_id", "participant_id"],
                    set_={"choice": choice, "updated_at": func.now()},
                )
            )
            return True

    async def close(self, vote_id: int, at: datetime) -> bool:
        """Close it if it is open; False if someone else closed it first."""
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(votes)
                .where(votes.c.id == vote_id, votes.c.status == "open")
                .values(status="closed", closed_at=at)
            )
        return done.rowcount == 1

    async def set_outcome(self, vote_id: int, changed: bool, version_after_id: int | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(votes)
                .where(votes.c.id == vote_id)
                .values(text_changed=changed, version_after_id=version_after_id)
            )

    async def open_with_end(self) -> list[tuple[str, int, datetime]]:
        """(charter slug, vote id, end) of every open vote that has an end, on any charter."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(charters.c.slug, votes.c.id, votes.c.closes_at)
                .join(charters, charters.c.id == votes.c.charter_id)
                .where(votes.c.status == "open", votes.c.closes_at.is_not(None))
            )
            return [(r.slug, r.id, utc(r.closes_at) or r.closes_at) for r in rows]


def _record(r: Any) -> VoteRecord:
    opened = utc(r.opened_at)
    assert opened is not None
    return VoteRecord(
        r.id,
        r.charter_id,
        r.subject,
        r.article_id,
        r.article_key,
        r.title,
        json.loads(r.amendments) if r.amendments else [],
        r.question,
        r.scale,
        bool(r.secret),
        r.status,
        r.opened_by,
        opened,
        utc(r.closes_at),
        utc(r.closed_at),
        r.version_before_id,
        r.version_after_id,
        r.text_changed,
    )
