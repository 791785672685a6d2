"""Versions as records: immutable rows, article states stored once per content hash."""

from __future__ import annotations

import builtins
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.contributions import log_position
from persistence.repo import NotFound
from persistence.tables import doc_states, version_articles, versions


@dataclass(frozen=True)
class VersionArticle:
    section_id: int
    section_title: str
    section_position: int
    article_key: str
    article_title: str
    article_position: int
    state: bytes = b""


@dataclass(frozen=True)
class VersionRecord:
    id: int
    charter_id: int
    label: str
    kind: str
    created_by: int | None
    created_by_name: str | None
    created_at: datetime
    articles: list[VersionArticle] = field(default_factory=list)
    log_position: int | None = None  # the update log's position it was read at


def state_hash(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


def _record(row: Any, articles: list[VersionArticle]) -> VersionRecord:
    return VersionRecord(
        row.id,
        row.charter_id,
        row.label,
        row.kind,
        row.created_by,
        row.created_by_name,
        row.created_at,
        articles,
        row.log_position,
    )


class Versions:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def log_position(self) -> int:
        """The update log's position now (persistence/contributions.py): a version saved
        with it holds every edit at or below it."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(log_position)

    async def save(
        self,
        charter_id: int,
        label: str,
        kind: str,
        articles: list[VersionArticle],
        *,
        created_by: int | None = None,
        created_by_name: str | None = None,
        log_position: int | None = None,
    ) -> int:
        """Store a version and its article states in one transaction; its id."""
        states = {state_hash(a.state): a.state for a in articles}
        async with self.engine.begin() as conn:
            known = set(
                (
                    await conn.execute(
                        select(doc_states.c.hash).where(doc_states.c.hash.in_(list(states)))
                    )
                ).scalars()
            )
            new = [{"hash": h, "state": s} for h, s in states.items() if h not in known]
            if new:  # another version saved at the same moment may store the same states
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                await conn.execute(
                    dialect.insert(doc_states).on_conflict_do_nothing(index_elements=["hash"]), new
                )
            version_id = (
                await conn.execute(
                    insert(versions)
                    .values(
                        charter_id=charter_id,
                        label=label,
                        kind=kind,
                        created_by=created_by,
                        created_by_name=created_by_name,
                        log_position=log_position,
                    )
                    .returning(versions.c.id)
                )
            ).scalar_one()
            if articles:
                await conn.execute(
                    insert(version_articles),
                    [
                        {
                            "version_id": version_id,
                            "section_id": a.section_id,
                            "section_title": a.section_title,
                            "section_position": a.section_position,
                            "article_key": a.article_key,
                            "article_title": a.article_title,
                            "article_position": a.article_position,
                            "state_hash": state_hash(a.state),
                        }
                        for a in articles
                    ],
                )
        return int(version_id)

    async def list(self, charter_id: int) -> list[VersionRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(versions).where(versions.c.charter_id == charter_id).order_by(versions.c.id)
            )
            return [_record(r, []) for r in rows]

    async def of_article(
        self, charter_id: int, key: str
    ) -> builtins.list[tuple[VersionRecord, bytes]]:
        """Every version that holds article ``key``, oldest first, with its state there."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(versions, doc_states.c.state)
                .join(version_articles, version_articles.c.version_id == versions.c.id)
                .join(doc_states, doc_states.c.hash == version_articles.c.state_hash)
                .where(versions.c.charter_id == charter_id, version_articles.c.article_key == key)
                .order_by(versions.c.id)
            )
            return [(_record(r, []), r.state) for r in rows]

    async def get(self, charter_id: int, version_id: int) -> VersionRecord:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(versions).where(
                        versions.c.id == version_id, versions.c.charter_id == charter_id
                    )
                )
            ).first()
            if row is None:
                raise NotFound(f"no version {version_id}")
            rows = await conn.execute(
                select(version_articles, doc_states.c.state)
                .join(doc_states, doc_states.c.hash == version_articles.c.state_hash)
                .where(version_articles.c.version_id == version_id)
                .order_by(version_articles.c.section_position, version_articles.c.article_position)
            )
            articles = [
                VersionArticle(
                    r.section_id,
                    r.section_title,
                    r.section_position,
                    r.article_key,
                    r.article_title,
                    r.article_position,
                    r.state,
                )
                for r in rows
            ]
        return _record(row, articles)
