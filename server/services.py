"""What the endpoints share for the lifetime of the app; built by ``create_app``'s lifespan."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from crdt.article import ArticleDoc
from persistence.docs import DocStore
from persistence.repo import NotFound, Repo
from server.names import parse_document
from server.rooms import RoomRegistry
from server.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    repo: Repo
    store: DocStore
    registry: RoomRegistry
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_connection_id(self) -> int:
        return next(self._ids)

    async def resolve_document(self, name: str) -> int:
        """The document id behind a document name; NotFound if there is none."""
        parsed = parse_document(name)
        if parsed is None:
            raise NotFound(f"no document {name!r}")
        article = await self.repo.find_article(*parsed)
        return article.document_id

    async def article_doc(self, document_id: int) -> ArticleDoc:
        """The live doc if the room is loaded, else a read-only copy from the store."""
        room = self.registry.get_loaded(document_id)
        if room is not None:
            return room.doc
        return ArticleDoc.from_updates(await self.store.load(document_id))
