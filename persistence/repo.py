"""Charters, sections and articles as records. Plain rows; CRDT bytes arrive ready-made."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from persistence.tables import articles, charters, doc_updates, documents, sections

KEY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read aloud in a room


class NotFound(LookupError):
    pass


class Conflict(ValueError):
    pass


@dataclass
class ArticleRecord:
    id: int
    key: str
    position: int
    title: str
    document_id: int
    phase: str | None = None  # its own phase; None follows the charter's


@dataclass
class SectionRecord:
    id: int
    position: int
    title: str
    articles: list[ArticleRecord] = field(default_factory=list)


@dataclass
class CharterRecord:
    id: int
    slug: str
    title: str
    language: str
    public_read: bool = False
    licence: str = "CC-BY-SA-4.0"
    open_data_discussion: bool = False
    phase: str = "open"  # "open" | "amendments" (editors propose instead of editing)
    projector: str | None = None  # the key of the article on the projector
    projector_view: str | None = None  # how it shows it (JSON), None: the live text
    sections: list[SectionRecord] = field(default_factory=list)
    open_data_names: bool = False  # the drafting log names its authors (else pseudonyms)

    def articles(self) -> list[tuple[SectionRecord, ArticleRecord]]:
        return [(s, a) for s in self.sections for a in s.articles]


@dataclass
class NewArticle:
    title: str
    first_update: bytes | None = None  # written once, as the document's first CRDT update


@dataclass
class NewSection:
    title: str
    articles: list[NewArticle] = field(default_factory=list)


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(8))


def charter_record(row: Any) -> CharterRecord:
    """A charter's own row as a record, without its outline (sections stay empty)."""
    return CharterRecord(
        row.id,
        row.slug,
        row.title,
        row.language,
        bool(row.public_read),
        row.licence,
        bool(row.open_data_discussion),
        row.phase,
        row.projector_article,
        row.projector_view,
        open_data_names=bool(row.open_data_names),
    )


class Repo:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def count_charters(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(charters))).scalar_one()
            )

    async def create_charter(
        self, slug: str, title: str, language: str, new_sections: list[NewSection]
    ) -> CharterRecord:
        try:
            async with self.engine.begin() as conn:
                charter_id = (
                    await conn.execute(
                        insert(charters)
                        .values(slug=slug, title=title, language=language)
                        .returning(charters.c.id)
                    )
                ).scalar_one()
                for position, section in enumerate(new_sections):
                    section_id = await self._insert_section(
                        conn, charter_id, position, section.title
                    )
                    for article_position, article in enumerate(section.articles):
                        await self._insert_article(
                            conn, charter_id, section_id, article_position, article
                        )
        except IntegrityError as exc:
            raise Conflict(f"a charter with slug {slug!r} already exists") from exc
        return await self.get_charter(slug)

    async def list_charters(self) -> list[CharterRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(charters).order_by(charters.c.id))
            return [
                CharterRecord(
                    r.id,
                    r.slug,
                    r.title,
                    r.language,
                    r.public_read,
                    r.licence,
                    r.open_data_discussion,
                    r.phase,
                    r.projector_article,
                    r.projector_view,
                    open_data_names=bool(r.open_data_names),
                )
                for r in rows
            ]

    async def get_charter(self, slug: str) -> CharterRecord:
        async with self.engine.connect() as conn:
            return await self._charter(conn, slug)

    async def _charter(self, conn: AsyncConnection, slug: str) -> CharterRecord:
        row = (await conn.execute(select(charters).where(charters.c.slug == slug))).first()
        if row is None:
            raise NotFound(f"no charter {slug!r}")
        charter = charter_record(row)
        by_id: dict[int, SectionRecord] = {}
        for s in await conn.execute(
            select(sections)
            .where(sections.c.charter_id == row.id, sections.c.deleted_at.is_(None))
            .order_by(sections.c.position, sections.c.id)
        ):
            by_id[s.id] = SectionRecord(s.id, s.position, s.title)
            charter.sections.append(by_id[s.id])
        for a in await conn.execute(
            select(articles)
            .where(articles.c.charter_id == row.id, articles.c.deleted_at.is_(None))
            .order_by(articles.c.position, articles.c.id)
        ):
            if a.section_id not in by_id:
                continue
            by_id[a.section_id].articles.append(
                ArticleRecord(a.id, a.key, a.position, a.title, a.document_id, a.phase)
            )
        return charter

    async def add_section(self, slug: str, title: str) -> SectionRecord:
        async with self.engine.begin() as conn:
            charter = await self._charter(conn, slug)
            position = max((s.position for s in charter.sections), default=-1) + 1
            section_id = await self._insert_section(conn, charter.id, position, title)
        return SectionRecord(section_id, position, title)

    async def add_article(self, slug: str, section_id: int, article: NewArticle) -> ArticleRecord:
        async with self.engine.begin() as conn:
            charter = await self._charter(conn, slug)
            section = next((s for s in charter.sections if s.id == section_id), None)
            if section is None:
                raise NotFound(f"no section {section_id} in charter {slug!r}")
            position = max((a.position for a in section.articles), default=-1) + 1
            return await self._insert_article(conn, charter.id, section_id, position, article)

    async def find_article(self, slug: str, key: str) -> ArticleRecord:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(articles)
                    .join(charters, charters.c.id == articles.c.charter_id)
                    .where(
                        charters.c.slug == slug,
                        articles.c.key == key,
                        articles.c.deleted_at.is_(None),
                    )
                )
            ).first()
        if row is None:
            raise NotFound(f"no article {key!r} in charter {slug!r}")
        return ArticleRecord(row.id, row.key, row.position, row.title, row.document_id)

    async def _insert_section(
        self, conn: AsyncConnection, charter_id: int, position: int, title: str
    ) -> int:
        return int(
            (
                await conn.execute(
                    insert(sections)
                    .values(charter_id=charter_id, position=position, title=title)
                    .returning(sections.c.id)
                )
            ).scalar_one()
        )

    async def _insert_article(
        self,
        conn: AsyncConnection,
        charter_id: int,
        section_id: int,
        position: int,
        article: NewArticle,
    ) -> ArticleRecord:
        document_id = (
            await conn.execute(
                insert(documents)
                .values(charter_id=charter_id, kind="article")
                .returning(documents.c.id)
            )
        ).scalar_one()
        if article.first_update is not None:
            await conn.execute(
                insert(doc_updates).values(document_id=document_id, update=article.first_update)
            )
        key = new_key()
        article_id = (
            await conn.execute(
                insert(articles)
                .values(
                    key=key,
                    charter_id=charter_id,
                    section_id=section_id,
                    position=position,
                    title=article.title,
                    document_id=document_id,
                )
                .returning(articles.c.id)
            )
        ).scalar_one()
        return ArticleRecord(article_id, key, position, article.title, document_id)
