"""Shaping a charter: rename, reorder, move and (softly) delete sections and articles.

Deleted rows are kept with ``deleted_at`` — and their documents with all their history — so
that versions can show what was removed and nothing typed is ever lost.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from persistence.repo import NotFound
from persistence.tables import articles, charters, sections


class OrderError(ValueError):
    """A new order that is not a permutation of what exists."""


def _now() -> datetime:
    return datetime.now(UTC)


class Outline:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def set_projector(
        self, charter_id: int, key: str | None, view: str | None = None
    ) -> None:
        """The article the projector shows (by key), or None, and how (JSON, None: live)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(charters)
                .where(charters.c.id == charter_id)
                .values(projector_article=key, projector_view=view)
            )

    async def rename_section(self, charter_id: int, section_id: int, title: str) -> None:
        async with self.engine.begin() as conn:
            await self._section(conn, charter_id, section_id)
            await conn.execute(
                update(sections).where(sections.c.id == section_id).values(title=title)
            )

    async def delete_section(self, charter_id: int, section_id: int) -> list[int]:
        """Delete a section and its articles; return the articles' document ids."""
        async with self.engine.begin() as conn:
            await self._section(conn, charter_id, section_id)
            now = _now()
            documents = list(
                (
                    await conn.execute(
                        select(articles.c.document_id).where(
                            articles.c.section_id == section_id, articles.c.deleted_at.is_(None)
                        )
                    )
                ).scalars()
            )
            await conn.execute(
                update(articles)
                .where(articles.c.section_id == section_id, articles.c.deleted_at.is_(None))
                .values(deleted_at=now)
            )
            await conn.execute(
                update(sections).where(sections.c.id == section_id).values(deleted_at=now)
            )
        return documents

    async def order_sections(self, charter_id: int, order: list[int]) -> None:
        async with self.engine.begin() as conn:
            live = set(
                (
                    await conn.execute(
                        select(sections.c.id).where(
                            sections.c.charter_id == charter_id, sections.c.deleted_at.is_(None)
                        )
                    )
                ).scalars()
            )
            if len(order) != len(live) or set(order) != live:
                raise OrderError("order must list every section of the charter exactly once")
            for position, section_id in enumerate(order):
                await conn.execute(
                    update(sections).where(sections.c.id == section_id).values(position=position)
                )

    async def update_article(
        self, charter_id: int, key: str, *, title: str | None = None, section_id: int | None = None
    ) -> int:
        """Rename and/or move an article (to the end of another section); its document id."""
        async with self.engine.begin() as conn:
            article = await self._article(conn, charter_id, key)
            values: dict[str, object] = {}
            if title is not None:
                values["title"] = title
            if section_id is not None and section_id != article.section_id:
                await self._section(conn, charter_id, section_id)
                last = (
                    await conn.execute(
                        select(func.max(articles.c.position)).where(
                            articles.c.section_id == section_id, articles.c.deleted_at.is_(None)
                        )
                    )
                ).scalar()
                values.update(section_id=section_id, position=(last + 1) if last is not None else 0)
            if values:
                await conn.execute(
                    update(articles).where(articles.c.id == article.id).values(values)
                )
            return int(article.document_id)

    async def delete_article(self, charter_id: int, key: str) -> int:
        async with self.engine.begin() as conn:
            article = await self._article(conn, charter_id, key)
            await conn.execute(
                update(articles).where(articles.c.id == article.id).values(deleted_at=_now())
            )
            return int(article.document_id)

    async def order_articles(self, charter_id: int, section_id: int, keys: list[str]) -> None:
        async with self.engine.begin() as conn:
            await self._section(conn, charter_id, section_id)
            rows = (
                await conn.execute(
                    select(articles.c.id, articles.c.key).where(
                        articles.c.section_id == section_id, articles.c.deleted_at.is_(None)
                    )
                )
            ).all()
            by_key = {row.key: row.id for row in rows}
            if len(keys) != len(by_key) or set(keys) != set(by_key):
                raise OrderError("order must list every article of the section exactly once")
            for position, key in enumerate(keys):
                await conn.execute(
                    update(articles).where(articles.c.id == by_key[key]).values(position=position)
                )

    async def _section(self, conn: AsyncConnection, charter_id: int, section_id: int) -> None:
        found = (
            await conn.execute(
                select(sections.c.id).where(
                    sections.c.id == section_id,
                    sections.c.charter_id == charter_id,
                    sections.c.deleted_at.is_(None),
                )
            )
        ).first()
        if found is None:
            raise NotFound(f"no section {section_id}")

    async def _article(self, conn: AsyncConnection, charter_id: int, key: str):  # type: ignore[no-untyped-def]
        row = (
            await conn.execute(
                select(articles).where(
                    articles.c.charter_id == charter_id,
                    articles.c.key == key,
                    articles.c.deleted_at.is_(None),
                )
            )
        ).first()
        if row is None:
            raise NotFound(f"no article {key!r}")
        return row
