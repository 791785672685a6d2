"""Comment threads as records: a thread (its passage and status), its comments, what each
comment said before it was edited, and unread markers.

Nothing is ever deleted: deleting or hiding a comment sets a date, and an edit keeps the
previous text. Comment ids give the order, and unread markers count from them.

Authors are read as they are now (``_author``): a comment says who wrote it, and the
``author_name`` stored with it is what it said when it was written, kept for when the
participant is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from persistence.repo import NotFound
from persistence.tables import (
    amendments,
    articles,
    comment_reads,
    comment_revisions,
    comment_threads,
    comments,
    participants,
)

STATUSES = ("open", "resolved")
STANCES = ("for", "against", "mixed")  # where a comment stands on its passage


@dataclass(frozen=True)
class Revision:
    body: str
    stance: str | None
    at: datetime  # when this text was replaced


@dataclass
class CommentRecord:
    id: int
    thread_id: int
    author_id: int | None
    author_name: str
    body: str
    stance: str | None
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    hidden_by_name: str | None
    hidden_reason: str | None
    author_badge: str | None = None  # citizen, elected, organiser (as the author is now)
    revisions: list[Revision] = field(default_factory=list)

    @property
    def visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


@dataclass
class ThreadRecord:
    id: int
    charter_id: int
    article_id: int
    article_key: str
    article_title: str
    article_deleted: bool
    document_id: int  # where the passage is: the article's, or the amendment's fork
    anchor_start: bytes | None
    anchor_end: bytes | None
    quote: str
    status: str
    author_id: int | None
    author_name: str
    created_at: datetime
    status_by_name: str | None
    status_at: datetime | None
    amendment_id: int | None = None  # a thread on an amendment's text
    amendment_title: str | None = None
    amendment_status: str | None = None
    author_badge: str | None = None
    comments: list[CommentRecord] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        """A facilitator hid the comment that opened the thread."""
        return bool(self.comments) and self.comments[0].hidden_at is not None


@dataclass(frozen=True)
class NewThread:
    charter_id: int
    article_id: int
    anchor: tuple[bytes, bytes] | None  # (start, end) relative positions; None: the article
    quote: str
    author_id: int | None
    author_name: str
    body: str
    stance: str | None
    amendment_id: int | None = None  # the passage is in this amendment's fork


@dataclass(frozen=True)
class Author:
    id: int | None
    name: str


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back: they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _author(row: Any) -> tuple[str, str | None]:
    """The author's name and badge as they are now, else as they were when written.

    A facilitator renames someone to correct a name (a typo, a nickname the person did not
    want on the projector), not to make them someone else: the discussion shows every
    comment of one person under the one name they have now, and a badge they have now,
    rather than the same person under two names. The snapshot is kept for when the
    participant is gone (``author_id`` set to NULL)."""
    if row.author_now is None:
        return row.author_name, None
    return row.author_now, row.author_badge


def _author_columns() -> list[Any]:
    return [participants.c.name.label("author_now"), participants.c.badge.label("author_badge")]


def _thread_columns() -> list[Any]:
    return [
        *comment_threads.c,
        *_author_columns(),
        articles.c.key.label("article_key"),
        articles.c.title.label("article_title"),
        articles.c.deleted_at.label("article_deleted_at"),
        articles.c.document_id,
        amendments.c.title.label("amendment_title"),
        amendments.c.status.label("amendment_status"),
        amendments.c.document_id.label("amendment_document_id"),
    ]


def _thread(row: Any) -> ThreadRecord:
    author_name, author_badge = _author(row)
    return ThreadRecord(
        id=row.id,
        charter_id=row.charter_id,
        article_id=row.article_id,
        article_key=row.article_key,
        article_title=row.article_title,
        article_deleted=row.article_deleted_at is not None,
        document_id=row.amendment_document_id or row.document_id,
        anchor_start=row.anchor_start,
        anchor_end=row.anchor_end,
        quote=row.quote,
        status=row.status,
        author_id=row.author_id,
        author_name=author_name,
        author_badge=author_badge,
        created_at=_aware(row.created_at) or _now(),
        status_by_name=row.status_by_name,
        status_at=_aware(row.status_at),
        amendment_id=row.amendment_id,
        amendment_title=row.amendment_title,
        amendment_status=row.amendment_status,
    )


def _comment(row: Any) -> CommentRecord:
    author_name, author_badge = _author(row)
    return CommentRecord(
        id=row.id,
        thread_id=row.thread_id,
        author_id=row.author_id,
        author_name=author_name,
        author_badge=author_badge,
        body=row.body,
        stance=row.stance,
        created_at=_aware(row.created_at) or _now(),
        edited_at=_aware(row.edited_at),
        deleted_at=_aware(row.deleted_at),
        hidden_at=_aware(row.hidden_at),
        hidden_by_name=row.hidden_by_name,
        hidden_reason=row.hidden_reason,
    )


def _insert(conn: AsyncConnection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


class Comments:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # -- writing --

    async def create_thread(self, new: NewThread) -> int:
        """The thread and its first comment, in one transaction; the thread's id."""
        start, end = new.anchor if new.anchor is not None else (None, None)
        async with self.engine.begin() as conn:
            thread_id = (
                await conn.execute(
                    insert(comment_threads)
                    .values(
                        charter_id=new.charter_id,
                        article_id=new.article_id,
                        anchor_start=start,
                        anchor_end=end,
                        quote=new.quote,
                        status="open",
                        author_id=new.author_id,
                        author_name=new.author_name,
                        amendment_id=new.amendment_id,
                    )
                    .returning(comment_threads.c.id)
                )
            ).scalar_one()
            await self._add(conn, thread_id, Author(new.author_id, new.author_name), new)
        return int(thread_id)

    async def add_comment(
        self, thread_id: int, author: Author, body: str, stance: str | None
    ) -> int:
        async with self.engine.begin() as conn:
            return await self._add(
                conn,
                thread_id,
                author,
                NewThread(0, 0, None, "", author.id, author.name, body, stance),
            )

    async def _add(
        self, conn: AsyncConnection, thread_id: int, author: Author, new: NewThread
    ) -> int:
        return int(
            (
                await conn.execute(
                    insert(comments)
                    .values(
                        thread_id=thread_id,
                        author_id=author.id,
                        author_name=author.name,
                        body=new.body,
                        stance=new.stance,
                    )
                    .returning(comments.c.id)
                )
            ).scalar_one()
        )

    async def set_status(self, thread_id: int, status: str, by_name: str) -> bool:
        """Resolve or reopen; False if the thread already had that status."""
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(comment_threads)
                .where(comment_threads.c.id == thread_id, comment_threads.c.status != status)
                .values(status=status, status_by_name=by_name, status_at=_now())
            )
        return bool(done.rowcount)

    async def edit(self, comment_id: int, body: str, stance: str | None) -> bool:
        """Keep the previous text as a revision, then change it; False if the comment is
        deleted or hidden (nothing changes then)."""
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    select(comments.c.body, comments.c.stance)
                    .where(
                        comments.c.id == comment_id,
                        comments.c.deleted_at.is_(None),
                        comments.c.hidden_at.is_(None),
                    )
                    .with_for_update()
                )
            ).first()
            if row is None:
                return False
            await conn.execute(
                insert(comment_revisions).values(
                    comment_id=comment_id, body=row.body, stance=row.stance
                )
            )
            await conn.execute(
                update(comments)
                .where(comments.c.id == comment_id)
                .values(body=body, stance=stance, edited_at=_now())
            )
        return True

    async def delete(self, comment_id: int) -> bool:
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(comments)
                .where(comments.c.id == comment_id, comments.c.deleted_at.is_(None))
                .values(deleted_at=_now())
            )
        return bool(done.rowcount)

    async def hide(self, comment_id: int, by_name: str, reason: str) -> bool:
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(comments)
                .where(comments.c.id == comment_id, comments.c.hidden_at.is_(None))
                .values(hidden_at=_now(), hidden_by_name=by_name, hidden_reason=reason)
            )
        return bool(done.rowcount)

    # -- reading --

    async def thread(self, charter_id: int, thread_id: int) -> ThreadRecord:
        found = await self.threads(charter_id, thread_id=thread_id)
        if not found:
            raise NotFound(f"no thread {thread_id}")
        return found[0]

    async def threads(
        self,
        charter_id: int,
        *,
        article_id: int | None = None,
        status: str | None = None,
        author_id: int | None = None,
        thread_id: int | None = None,
        amendment_id: int | None = None,
        articles_only: bool = False,
    ) -> list[ThreadRecord]:
        """Threads of a charter with their comments (and their revisions), oldest first.
        ``article_id`` also finds the threads on its amendments, unless ``articles_only``."""
        query = (
            select(*_thread_columns())
            .join(articles, articles.c.id == comment_threads.c.article_id)
            .outerjoin(amendments, amendments.c.id == comment_threads.c.amendment_id)
            .outerjoin(participants, participants.c.id == comment_threads.c.author_id)
            .where(comment_threads.c.charter_id == charter_id)
            .order_by(comment_threads.c.id)
        )
        for column, value in (
            (comment_threads.c.article_id, article_id),
            (comment_threads.c.status, status),
            (comment_threads.c.author_id, author_id),
            (comment_threads.c.id, thread_id),
            (comment_threads.c.amendment_id, amendment_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if articles_only:
            query = query.where(comment_threads.c.amendment_id.is_(None))
        async with self.engine.connect() as conn:
            found = [_thread(row) for row in await conn.execute(query)]
            await self._fill(conn, found)
        return found

    async def _fill(self, conn: AsyncConnection, found: list[ThreadRecord]) -> None:
        if not found:
            return
        by_id = {t.id: t for t in found}
        rows = await conn.execute(
            select(comments, *_author_columns())
            .outerjoin(participants, participants.c.id == comments.c.author_id)
            .where(comments.c.thread_id.in_(by_id))
            .order_by(comments.c.id)
        )
        by_comment: dict[int, CommentRecord] = {}
        for row in rows:
            comment = _comment(row)
            by_comment[comment.id] = comment
            by_id[comment.thread_id].comments.append(comment)
        revisions = await conn.execute(
            select(comment_revisions)
            .where(comment_revisions.c.comment_id.in_(by_comment))
            .order_by(comment_revisions.c.id)
        )
        for row in revisions:
            by_comment[row.comment_id].revisions.append(
                Revision(row.body, row.stance, _aware(row.created_at) or _now())
            )

    async def comment(self, charter_id: int, comment_id: int) -> tuple[ThreadRecord, int]:
        """The thread holding a comment of this charter, and the comment's index in it."""
        async with self.engine.connect() as conn:
            thread_id = (
                await conn.execute(
                    select(comments.c.thread_id)
                    .join(comment_threads, comment_threads.c.id == comments.c.thread_id)
                    .where(comments.c.id == comment_id, comment_threads.c.charter_id == charter_id)
                )
            ).scalar()
        if thread_id is None:
            raise NotFound(f"no comment {comment_id}")
        thread = await self.thread(charter_id, int(thread_id))
        index = next(i for i, c in enumerate(thread.comments) if c.id == comment_id)
        return thread, index

    async def hidden(self, charter_id: int) -> list[tuple[ThreadRecord, CommentRecord]]:
        """The moderation log: every hidden comment of the charter, latest first."""
        found = await self.threads(charter_id)
        log = [(t, c) for t in found for c in t.comments if c.hidden_at is not None]
        return sorted(log, key=lambda tc: tc[1].hidden_at or _now(), reverse=True)

    # -- unread markers --

    async def latest(
        self, article_ids: Iterable[int], *, articles_only: bool = False
    ) -> dict[int, int]:
        """The last comment id of each article that has comments; the threads on its
        amendments count too (one unread marker per article covers both), unless
        ``articles_only``."""
        ids = list(article_ids)
        if not ids:
            return {}
        query = (
            select(comment_threads.c.article_id, func.max(comments.c.id))
            .join(comments, comments.c.thread_id == comment_threads.c.id)
            .where(comment_threads.c.article_id.in_(ids))
            .group_by(comment_threads.c.article_id)
        )
        if articles_only:
            query = query.where(comment_threads.c.amendment_id.is_(None))
        async with self.engine.connect() as conn:
            return {int(a): int(m) for a, m in await conn.execute(query)}

    async def seen(self, participant_id: int, charter_id: int) -> dict[int, int]:
        """{article id: last comment id seen} for a participant, in one charter."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(comment_reads.c.article_id, comment_reads.c.seen_through)
                .join(articles, articles.c.id == comment_reads.c.article_id)
                .where(
                    and_(
                        comment_reads.c.participant_id == participant_id,
                        articles.c.charter_id == charter_id,
                    )
                )
            )
            return {int(a): int(s) for a, s in rows}

    async def mark_seen(self, participant_id: int, article_id: int, through: int) -> int:
        """Move the marker forward (never back) to ``through``; the marker after."""
        async with self.engine.begin() as conn:
            statement = _insert(conn)(comment_reads).values(
                participant_id=participant_id, article_id=article_id, seen_through=through
            )
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["participant_id", "article_id"],
                    set_={
                        "seen_through": func.max(
                            comment_reads.c.seen_through, statement.excluded.seen_through
                        )
                        if conn.dialect.name == "sqlite"
                        else func.greatest(
                            comment_reads.c.seen_through, statement.excluded.seen_through
                        )
                    },
                )
            )
            return int(
                (
                    await conn.execute(
                        select(comment_reads.c.seen_through).where(
                            comment_reads.c.participant_id == participant_id,
                            comment_reads.c.article_id == article_id,
                        )
                    )
                ).scalar_one()
            )
