"""Amendments as records: the fork's document, its base, status events and votes.

A status only changes from an expected one (``UPDATE … WHERE status IN …``): two facilitators
clicking "accept" at once cannot both win, and nothing changes on a closed amendment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from persistence.repo import NotFound
from persistence.tables import (
    amendment_authors,
    amendment_events,
    amendment_votes,
    amendments,
    articles,
    charters,
    doc_states,
    doc_updates,
    documents,
    participants,
)
from persistence.versions import state_hash

STATUSES = ("draft", "open", "accepted", "rejected", "withdrawn")
EDITABLE = ("draft", "open")  # the fork's text may still change
CHOICES = ("for", "against", "abstain")


@dataclass(frozen=True)
class Event:
    status: str
    participant_name: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class Vote:
    participant_id: int
    name: str
    choice: str
    badge: str | None = None


@dataclass
class AmendmentRecord:
    id: int
    charter_id: int
    article_id: int
    article_key: str
    article_title: str
    article_deleted: bool
    article_document_id: int
    document_id: int
    base_state_vector: bytes
    base_state_hash: str
    title: str
    rationale: str
    status: str
    author_id: int | None
    author_name: str
    created_at: datetime
    merged_update: bytes | None
    version_before_id: int | None
    version_after_id: int | None
    authors: set[int] = field(default_factory=set)  # the author and co-authors
    co_author_names: dict[int, str] = field(default_factory=dict)  # public, like the author's
    votes: list[Vote] = field(default_factory=list)
    # Badges (citizen, elected, organiser) of the author and co-authors, by participant.
    badges: dict[int, str | None] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    def tally(self) -> dict[str, int]:
        counts = dict.fromkeys(CHOICES, 0)
        for vote in self.votes:
            counts[vote.choice] += 1
        return counts


@dataclass(frozen=True)
class NewAmendment:
    charter_id: int
    article_id: int
    fork_state: bytes  # the article's full state at proposal: the fork's first update
    base_state_vector: bytes
    title: str
    rationale: str
    status: str
    author_id: int | None
    author_name: str


def _insert(conn: AsyncConnection) -> Any:
    """INSERT … ON CONFLICT: the same API in both dialects, from different modules."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


class Amendments:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self, new: NewAmendment) -> AmendmentRecord:
        """The fork's document, its first update, its base state and the amendment: one
        transaction."""
        digest = state_hash(new.fork_state)
        async with self.engine.begin() as conn:
            known = (
                await conn.execute(select(doc_states.c.hash).where(doc_states.c.hash == digest))
            ).first()
            if known is None:
                await conn.execute(insert(doc_states).values(hash=digest, state=new.fork_state))
            document_id = (
                await conn.execute(
                    insert(documents)
                    .values(charter_id=new.charter_id, kind="amendment")
                    .returning(documents.c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(doc_updates).values(document_id=document_id, update=new.fork_state)
            )
            amendment_id = (
                await conn.execute(
                    insert(amendments)
                    .values(
                        charter_id=new.charter_id,
                        article_id=new.article_id,
                        document_id=document_id,
                        base_state_vector=new.base_state_vector,
                        base_state_hash=digest,
                        title=new.title,
                        rationale=new.rationale,
                        status=new.status,
                        author_id=new.author_id,
                        author_name=new.author_name,
                    )
                    .returning(amendments.c.id)
                )
            ).scalar_one()
            await self._event(conn, amendment_id, new.status, new.author_id, new.author_name, None)
        return await self.get(new.charter_id, amendment_id)

    async def get(self, charter_id: int, amendment_id: int) -> AmendmentRecord:
        async with self.engine.connect() as conn:
            found = await self._select(
                conn, (amendments.c.charter_id == charter_id) & (amendments.c.id == amendment_id)
            )
            if not found:
                raise NotFound(f"no amendment {amendment_id}")
            record = found[0]
            record.events = [
                Event(r.status, r.participant_name, r.reason, r.created_at)
                for r in await conn.execute(
                    select(amendment_events)
                    .where(amendment_events.c.amendment_id == amendment_id)
                    .order_by(amendment_events.c.id)
                )
            ]
            return record

    async def by_document(self, document_id: int) -> AmendmentRecord:
        async with self.engine.connect() as conn:
            found = await self._select(conn, amendments.c.document_id == document_id)
        if not found:
            raise NotFound(f"no amendment for document {document_id}")
        return found[0]

    async def find(
        self, charter_id: int, *, article_id: int | None = None, status: str | None = None
    ) -> list[AmendmentRecord]:
        where = amendments.c.charter_id == charter_id
        if article_id is not None:
            where &= amendments.c.article_id == article_id
        if status is not None:
            where &= amendments.c.status == status
        async with self.engine.connect() as conn:
            return await self._select(conn, where)

    async def _select(self, conn: AsyncConnection, where: Any) -> list[AmendmentRecord]:
        rows = await conn.execute(
            select(
                amendments,
                articles.c.key.label("article_key"),
                articles.c.title.label("article_title"),
                articles.c.deleted_at.label("article_deleted_at"),
                articles.c.document_id.label("article_document_id"),
                participants.c.name.label("author_now"),
                participants.c.badge.label("author_badge"),
            )
            .join(articles, articles.c.id == amendments.c.article_id)
            .outerjoin(participants, participants.c.id == amendments.c.author_id)
            .where(where)
            .order_by(amendments.c.id)
        )
        records = {
            r.id: AmendmentRecord(
                r.id,
                r.charter_id,
                r.article_id,
                r.article_key,
                r.article_title,
                r.article_deleted_at is not None,
                r.article_document_id,
                r.document_id,
                r.base_state_vector,
                r.base_state_hash,
                r.title,
                r.rationale,
                r.status,
                r.author_id,
                r.author_now or r.author_name,  # as named now: see persistence/comments.py _author
                r.created_at,
                r.merged_update,
                r.version_before_id,
                r.version_after_id,
                {r.author_id} if r.author_id is not None else set(),
                badges={r.author_id: r.author_badge} if r.author_id is not None else {},
            )
            for r in rows
        }
        if not records:
            return []
        ids = list(records)
        for row in await conn.execute(
            select(amendment_authors, participants.c.name, participants.c.badge)
            .join(participants, participants.c.id == amendment_authors.c.participant_id)
            .where(amendment_authors.c.amendment_id.in_(ids))
            .order_by(participants.c.id)
        ):
            record = records[row.amendment_id]
            record.authors.add(row.participant_id)
            record.badges[row.participant_id] = row.badge
            if row.participant_id != record.author_id:
                record.co_author_names[row.participant_id] = row.name
        for row in await conn.execute(
            select(amendment_votes, participants.c.name, participants.c.badge)
            .join(participants, participants.c.id == amendment_votes.c.participant_id)
            .where(amendment_votes.c.amendment_id.in_(ids))
            .order_by(amendment_votes.c.updated_at, participants.c.id)
        ):
            records[row.amendment_id].votes.append(
                Vote(row.participant_id, row.name, row.choice, row.badge)
            )
        return list(records.values())

    async def base_state(self, digest: str) -> bytes:
        async with self.engine.connect() as conn:
            state = (
                await conn.execute(select(doc_states.c.state).where(doc_states.c.hash == digest))
            ).scalar_one_or_none()
        if state is None:
            raise NotFound(f"no stored state {digest}")
        return bytes(state)

    async def change_status(
        self,
        amendment_id: int,
        allowed_from: tuple[str, ...],
        to: str,
        who_id: int | None,
        who_name: str,
        reason: str | None,
        **values: Any,
    ) -> bool:
        """Move to ``to`` if the status is one of ``allowed_from``; False if it was not."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(amendments)
                .where(amendments.c.id == amendment_id, amendments.c.status.in_(allowed_from))
                .values(status=to, **values)
            )
            if result.rowcount != 1:
                return False
            await self._event(conn, amendment_id, to, who_id, who_name, reason)
            return True

    async def _event(
        self,
        conn: AsyncConnection,
        amendment_id: int,
        status: str,
        who_id: int | None,
        who_name: str,
        reason: str | None,
    ) -> None:
        await conn.execute(
            insert(amendment_events).values(
                amendment_id=amendment_id,
                status=status,
                participant_id=who_id,
                participant_name=who_name,
                reason=reason,
            )
        )

    async def vote(self, amendment_id: int, participant_id: int, choice: str | None) -> bool:
        """Set (or with None, withdraw) a participant's vote; False if not open."""
        async with self.engine.begin() as conn:
            status = (
                await conn.execute(
                    select(amendments.c.status)
                    .where(amendments.c.id == amendment_id)
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if status != "open":
                return False
            mine = (amendment_votes.c.amendment_id == amendment_id) & (
                amendment_votes.c.participant_id == participant_id
            )
            if choice is None:
                await conn.execute(delete(amendment_votes).where(mine))
                return True
            upsert = _insert(conn)(amendment_votes).values(
                amendment_id=amendment_id, participant_id=participant_id, choice=choice
            )
            await conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["amendment_id", "participant_id"],
                    set_={"choice": choice, "updated_at": func.now()},
                )
            )
            return True

    async def set_version_after(self, amendment_id: int, version_id: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(amendments)
                .where(amendments.c.id == amendment_id)
                .values(version_after_id=version_id)
            )

    async def add_author(self, amendment_id: int, participant_id: int) -> bool:
        """False if the participant already was one of its authors."""
        async with self.engine.begin() as conn:
            done = await conn.execute(
                _insert(conn)(amendment_authors)
                .values(amendment_id=amendment_id, participant_id=participant_id)
                .on_conflict_do_nothing(index_elements=["amendment_id", "participant_id"])
            )
        return bool(done.rowcount)

    async def set_charter_phase(self, charter_id: int, phase: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(charters).where(charters.c.id == charter_id).values(phase=phase)
            )

    async def set_article_phase(self, charter_id: int, article_id: int, phase: str | None) -> None:
        """An article's own phase; None: it follows the charter's."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(articles)
                .where(articles.c.id == article_id, articles.c.charter_id == charter_id)
                .values(phase=phase)
            )

    async def phase_of_document(self, document_id: int) -> tuple[str, str | None] | None:
        """(charter phase, article phase) of an article document; None if it is not one."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(charters.c.phase, articles.c.phase.label("article_phase"))
                    .join(articles, articles.c.charter_id == charters.c.id)
                    .where(articles.c.document_id == document_id)
                )
            ).first()
        return None if row is None else (row.phase, row.article_phase)
