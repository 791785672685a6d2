"""A participant's own data: their e-mail address (never in ``ParticipantRecord``, so never
in what others read), everything about them for "my data", and the deletion of their
account, which keeps their contributions under a pseudonym."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from persistence import tables
from persistence.tables import (
    amendment_authors,
    amendment_events,
    amendment_votes,
    amendments,
    articles,
    charters,
    comment_reads,
    comment_threads,
    comments,
    moderation_reverts,
    participants,
    versions,
    vote_ballots,
)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class EmailState:
    address: str | None  # the verified address in use
    verified_at: datetime | None
    pending: str | None  # a new address waiting for its link
    sent: int  # verification links sent so far (numbers them)


class Accounts:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def email(self, participant_id: int) -> EmailState:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        participants.c.email,
                        participants.c.email_verified_at,
                        participants.c.email_pending,
                        participants.c.email_sent,
                    ).where(participants.c.id == participant_id)
                )
            ).one()
        return EmailState(
            row.email, _aware(row.email_verified_at), row.email_pending, row.email_sent
        )

    async def charter_slug(self, participant_id: int) -> str:
        async with self.engine.connect() as conn:
            return str(
                (
                    await conn.execute(
                        select(charters.c.slug)
                        .join(participants, participants.c.charter_id == charters.c.id)
                        .where(participants.c.id == participant_id)
                    )
                ).scalar_one()
            )

    async def set_pending(self, participant_id: int, address: str) -> int:
        """A new address waits for its link (the verified one stays in use); the number of
        the link to send for it."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(participants)
                .where(participants.c.id == participant_id)
                .values(email_pending=address, email_sent=participants.c.email_sent + 1)
            )
            number = (
                await conn.execute(
                    select(participants.c.email_sent).where(participants.c.id == participant_id)
                )
            ).scalar_one()
        return int(number)

    async def verify(self, participant_id: int, address: str, now: datetime) -> bool:
        """The pending address becomes the one in use, if it is still the pending one."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(participants)
                .where(
                    participants.c.id == participant_id,
                    participants.c.email_pending == address,
                    participants.c.deleted_at.is_(None),
                )
                .values(email=address, email_verified_at=now, email_pending=None)
            )
        return bool(result.rowcount)

    async def remove_email(self, participant_id: int) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(participants)
                .where(
                    participants.c.id == participant_id,
                    (participants.c.email.is_not(None))
                    | (participants.c.email_pending.is_not(None)),
                )
                .values(email=None, email_verified_at=None, email_pending=None)
            )
        return bool(result.rowcount)

    async def export(self, participant_id: int) -> dict[str, list[dict[str, Any]]]:
        """What they wrote and chose, as rows of plain values (the caller shapes the JSON)."""
        async with self.engine.connect() as conn:
            return {
                "comments": await _rows(conn, _comments(participant_id)),
                "amendments": await _rows(conn, _amendments(participant_id)),
                "amendment_votes": await _rows(
                    conn,
                    select(amendment_votes).where(
                        amendment_votes.c.participant_id == participant_id
                    ),
                ),
                "ballots": await _rows(
                    conn,
                    select(vote_ballots).where(vote_ballots.c.participant_id == participant_id),
                ),
                **{name: await _rows(conn, query) for name, query in _personal(participant_id)},
            }

    async def delete(self, participant_id: int, pseudonym: str, secret_hash: str) -> None:
        """Their name becomes ``pseudonym`` everywhere it was written, their secret a new one
        nobody knows (their tokens and cookies stop working), their address is gone; the row
        stays so that what they wrote keeps an author (a pseudonym)."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(participants)
                .where(participants.c.id == participant_id)
                .values(
                    name=pseudonym,
                    badge=None,
                    secret_hash=secret_hash,
                    blocked=True,
                    email=None,
                    email_verified_at=None,
                    email_pending=None,
                    deleted_at=now,
                )
            )
            for table, who, name in _NAMED:
                await conn.execute(
                    update(table).where(who == participant_id).values({name: pseudonym})
                )
            for personal in (comment_reads, *_tables(PERSONAL)):
                await conn.execute(
                    delete(personal).where(personal.c.participant_id == participant_id)
                )


# Where a participant's name was written next to their id: (table, id column, name column).
_NAMED = (
    (comments, comments.c.author_id, "author_name"),
    (comment_threads, comment_threads.c.author_id, "author_name"),
    (amendments, amendments.c.author_id, "author_name"),
    (amendment_events, amendment_events.c.participant_id, "participant_name"),
    (moderation_reverts, moderation_reverts.c.participant_id, "participant_name"),
    (versions, versions.c.created_by, "created_by_name"),
)


def _comments(participant_id: int) -> Any:
    return (
        select(
            comments.c.id,
            comments.c.thread_id,
            articles.c.key.label("article"),
            comments.c.body,
            comments.c.stance,
            comments.c.created_at,
            comments.c.edited_at,
            comments.c.deleted_at,
        )
        .join(comment_threads, comment_threads.c.id == comments.c.thread_id)
        .join(articles, articles.c.id == comment_threads.c.article_id)
        .where(comments.c.author_id == participant_id)
        .order_by(comments.c.id)
    )


def _amendments(participant_id: int) -> Any:
    coauthored = select(amendment_authors.c.amendment_id).where(
        amendment_authors.c.participant_id == participant_id
    )
    return (
        select(
            amendments.c.id,
            articles.c.key.label("article"),
            amendments.c.title,
            amendments.c.rationale,
            amendments.c.status,
            amendments.c.created_at,
        )
        .join(articles, articles.c.id == amendments.c.article_id)
        .where((amendments.c.author_id == participant_id) | amendments.c.id.in_(coauthored))
        .order_by(amendments.c.id)
    )


async def _rows(conn: AsyncConnection, query: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in await conn.execute(query)]


# What following (server/domain/follows.py) keeps about a participant, in tables of its own:
# in "my data", and deleted with the account.
PERSONAL = ("follows", "mail_preferences", "text_marks")


def _tables(names: tuple[str, ...]) -> list[Table]:
    """Those of ``names`` that are defined (following may not be there yet)."""
    return [t for t in (getattr(tables, name, None) for name in names) if isinstance(t, Table)]


def _personal(participant_id: int) -> list[tuple[str, Any]]:
    return [
        (table.name, select(table).where(table.c.participant_id == participant_id))
        for table in _tables(PERSONAL)
    ]
