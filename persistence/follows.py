"""What participants follow, their mail preferences, and the text as they last saw it.

Explicit follows (and muted defaults) are rows; the defaults themselves are read from what
people did: wrote in an article (``doc_authors``), commented on it, voted on one of its
amendments or in a vote of the room on it. A participant's digest period is claimed in one
conditional update, so that two instances computing the same digest send it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from persistence.tables import (
    amendment_authors,
    amendment_events,
    amendment_votes,
    amendments,
    articles,
    comment_threads,
    comments,
    doc_authors,
    doc_checkpoints,
    doc_updates,
    follows,
    mail_preferences,
    participants,
    text_marks,
    vote_ballots,
    votes,
)

KINDS = ("charter", "section", "article", "amendment")
FREQUENCIES = ("none", "daily", "weekly")

Target = tuple[str, int]  # (kind, id)


@dataclass(frozen=True)
class FollowRow:
    participant_id: int
    kind: str
    target_id: int
    origin: str  # explicit | default
    muted: bool


@dataclass(frozen=True)
class Preferences:
    participant_id: int
    frequency: str = "none"
    instant_replies: bool = False
    last_digest_at: datetime | None = None
    last_digest_period: str | None = None


@dataclass(frozen=True)
class Mark:
    position: int
    snapshot: bytes
    at: datetime


def _insert(conn: AsyncConnection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _defaults_queries(charter_id: int) -> list[tuple[str, Any]]:
    """(kind, SELECT participant_id, target id) of every default follow of a charter."""
    wrote = (
        select(doc_authors.c.participant_id, articles.c.id)
        .join(articles, articles.c.document_id == doc_authors.c.document_id)
        .where(articles.c.charter_id == charter_id, doc_authors.c.participant_id.is_not(None))
    )
    commented = (
        select(comments.c.author_id, comment_threads.c.article_id)
        .join(comment_threads, comment_threads.c.id == comments.c.thread_id)
        .where(comment_threads.c.charter_id == charter_id, comments.c.author_id.is_not(None))
    )
    voted = (
        select(amendment_votes.c.participant_id, amendments.c.article_id)
        .join(amendments, amendments.c.id == amendment_votes.c.amendment_id)
        .where(amendments.c.charter_id == charter_id)
    )
    room = (
        select(vote_ballots.c.participant_id, votes.c.article_id)
        .join(votes, votes.c.id == vote_ballots.c.vote_id)
        .where(votes.c.charter_id == charter_id, votes.c.article_id.is_not(None))
    )
    backed = (
        select(amendment_votes.c.participant_id, amendments.c.id)
        .join(amendments, amendments.c.id == amendment_votes.c.amendment_id)
        .where(amendments.c.charter_id == charter_id)
    )
    drafted = (
        select(amendment_authors.c.participant_id, amendments.c.id)
        .join(amendments, amendments.c.id == amendment_authors.c.amendment_id)
        .where(amendments.c.charter_id == charter_id)
    )
    proposed = select(amendments.c.author_id, amendments.c.id).where(
        amendments.c.charter_id == charter_id, amendments.c.author_id.is_not(None)
    )
    return [
        ("article", wrote.distinct()),
        ("article", commented.distinct()),
        ("article", voted.distinct()),
        ("article", room.distinct()),
        ("amendment", backed),
        ("amendment", drafted),
        ("amendment", proposed),
    ]


class Follows:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # -- follows --

    async def defaults(self, charter_id: int) -> dict[int, set[Target]]:
        """What each participant of a charter follows without having asked."""
        found: dict[int, set[Target]] = defaultdict(set)
        async with self.engine.connect() as conn:
            for kind, query in _defaults_queries(charter_id):
                for participant, target in await conn.execute(query):
                    found[int(participant)].add((kind, int(target)))
        return found

    async def rows(self, charter_id: int, participant_id: int | None = None) -> list[FollowRow]:
        query = select(follows).where(follows.c.charter_id == charter_id)
        if participant_id is not None:
            query = query.where(follows.c.participant_id == participant_id)
        async with self.engine.connect() as conn:
            return [
                FollowRow(r.participant_id, r.kind, int(r.target_id), r.origin, bool(r.muted))
                for r in await conn.execute(query)
            ]

    async def put(self, charter_id: int, row: FollowRow) -> None:
        async with self.engine.begin() as conn:
            statement = _insert(conn)(follows).values(
                participant_id=row.participant_id,
                kind=row.kind,
                target_id=row.target_id,
                charter_id=charter_id,
                origin=row.origin,
                muted=row.muted,
            )
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["participant_id", "kind", "target_id"],
                    set_={"origin": row.origin, "muted": row.muted},
                )
            )

    async def drop(self, participant_id: int, kind: str, target_id: int) -> bool:
        async with self.engine.begin() as conn:
            gone = await conn.execute(
                delete(follows).where(
                    follows.c.participant_id == participant_id,
                    follows.c.kind == kind,
                    follows.c.target_id == target_id,
                )
            )
            return bool(gone.rowcount)

    async def decided(self, charter_id: int, statuses: Iterable[str]) -> dict[int, datetime]:
        """When each amendment of a charter last took one of ``statuses`` (its decision)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(amendment_events.c.amendment_id, func.max(amendment_events.c.created_at))
                .join(amendments, amendments.c.id == amendment_events.c.amendment_id)
                .where(
                    amendments.c.charter_id == charter_id,
                    amendment_events.c.status.in_(list(statuses)),
                )
                .group_by(amendment_events.c.amendment_id)
            )
            return {int(a): aware(at) for a, at in rows}

    # -- mail preferences --

    async def preferences(self, charter_id: int) -> dict[int, Preferences]:
        """Every participant of a charter who set preferences, by id."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(mail_preferences)
                .join(participants, participants.c.id == mail_preferences.c.participant_id)
                .where(participants.c.charter_id == charter_id)
            )
            return {
                r.participant_id: Preferences(
                    r.participant_id,
                    r.frequency,
                    bool(r.instant_replies),
                    aware(r.last_digest_at) if r.last_digest_at else None,
                    r.last_digest_period,
                )
                for r in rows
            }

    async def set_preferences(
        self, participant_id: int, frequency: str, instant_replies: bool
    ) -> bool:
        """True when something changed."""
        async with self.engine.begin() as conn:
            changed = await conn.execute(
                update(mail_preferences)
                .where(
                    mail_preferences.c.participant_id == participant_id,
                    or_(
                        mail_preferences.c.frequency != frequency,
                        mail_preferences.c.instant_replies != instant_replies,
                    ),
                )
                .values(frequency=frequency, instant_replies=instant_replies)
            )
            if changed.rowcount:
                return True
            statement = _insert(conn)(mail_preferences).values(
                participant_id=participant_id, frequency=frequency, instant_replies=instant_replies
            )
            made = await conn.execute(statement.on_conflict_do_nothing())
            return bool(made.rowcount)

    async def claim_period(self, participant_id: int, period: str, at: datetime) -> bool:
        """Take the digest of ``period`` for this participant: False when an instance (this
        one or another) already took it."""
        async with self.engine.begin() as conn:
            taken = await conn.execute(
                update(mail_preferences)
                .where(
                    mail_preferences.c.participant_id == participant_id,
                    or_(
                        mail_preferences.c.last_digest_period.is_(None),
                        mail_preferences.c.last_digest_period != period,
                    ),
                )
                .values(last_digest_period=period, last_digest_at=at)
            )
            return bool(taken.rowcount)

    # -- the text as they last saw it --

    async def marks(
        self, article_ids: Iterable[int], participant_id: int | None = None
    ) -> dict[tuple[int, int], Mark]:
        """{(participant, article): mark}, for one participant or all of them."""
        query = select(text_marks).where(text_marks.c.article_id.in_(list(article_ids)))
        if participant_id is not None:
            query = query.where(text_marks.c.participant_id == participant_id)
        async with self.engine.connect() as conn:
            return {
                (r.participant_id, r.article_id): Mark(int(r.position), r.snapshot, aware(r.at))
                for r in await conn.execute(query)
            }

    async def put_marks(self, rows: Iterable[tuple[int, int, Mark]]) -> None:
        """(participant, article, mark) rows, replacing what was there."""
        found = [
            {
                "participant_id": p,
                "article_id": a,
                "position": m.position,
                "snapshot": m.snapshot,
                "at": m.at,
            }
            for p, a, m in rows
        ]
        if not found:
            return
        async with self.engine.begin() as conn:
            statement = _insert(conn)(text_marks)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["participant_id", "article_id"],
                    set_={
                        "position": statement.excluded.position,
                        "snapshot": statement.excluded.snapshot,
                        "at": statement.excluded.at,
                    },
                ),
                found,
            )

    async def positions(self, document_ids: Iterable[int]) -> dict[int, tuple[int, datetime]]:
        """The update log's position of each document (its last stored update), and when."""
        ids = list(document_ids)
        found: dict[int, tuple[int, datetime]] = {}
        async with self.engine.connect() as conn:
            folded = await conn.execute(
                select(
                    doc_checkpoints.c.document_id,
                    doc_checkpoints.c.through_seq,
                    doc_checkpoints.c.updated_at,
                ).where(doc_checkpoints.c.document_id.in_(ids))
            )
            for document, through, at in folded:
                found[int(document)] = (int(through), aware(at))
            rows = await conn.execute(
                select(
                    doc_updates.c.document_id,
                    func.max(doc_updates.c.seq),
                    func.max(doc_updates.c.created_at),
                )
                .where(doc_updates.c.document_id.in_(ids))
                .group_by(doc_updates.c.document_id)
            )
            for document, seq, at in rows:
                found[int(document)] = (int(seq), aware(at))
        return found
