"""Charter-level operations shared by the API, the CLI and the demo seed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from crdt.article import ArticleDoc, update_from_ops
from crdt.markdown import CharterSource
from persistence.repo import CharterRecord, NewArticle, NewSection, Repo
from server.access import Action, Principal, decide
from server.identity import Identity
from server.names import article_document, charter_channel

DocReader = Callable[[int], Awaitable[ArticleDoc]]


async def visible_charters(
    repo: Repo, identity: Identity, cookies: Mapping[str, str], who: Principal | None
) -> list[CharterRecord]:
    """Public charters, those the browser's cookie belongs to, or all for the administrator."""
    charters = await repo.list_charters()
    if decide(who, Action.ADMINISTER).allowed:
        return charters
    mine = identity.cookie_tokens(cookies)
    own = {who.charter_id} if who is not None else set()
    return [c for c in charters if c.public_read or str(c.id) in mine or c.id in own]


async def create_from_source(
    repo: Repo, slug: str, title: str, language: str, source: CharterSource | None
) -> CharterRecord:
    """Create a charter; each article's text is written once, as its first CRDT update."""
    sections = [
        NewSection(
            s.title,
            [NewArticle(a.title, update_from_ops(a.body) if a.body else None) for a in s.articles],
        )
        for s in (source.sections if source else [])
    ]
    return await repo.create_charter(slug, title, language, sections)


def live_payload(charter: CharterRecord) -> dict[str, Any]:
    """The charter as open pages know it: its outline, its channel, the projector's
    article and view (answered by the outline API, pushed as ``outline`` events)."""
    # Imported here: the projector's module reads versions, which read this module.
    from server.domain.projector import view_json

    return {
        **charter_json(charter),
        "channel": charter_channel(charter.slug),
        "projector": charter.projector,
        "projector_view": view_json(charter),
    }


def outline_event(charter: CharterRecord) -> dict[str, Any]:
    """The ``outline`` event pushed to open pages: the outline and its channel, without the
    projector's state. That has its own ``projector`` event; an outline read before the
    projector moved, pushed after its event, would put the old article back on every page."""
    return {
        "type": "outline",
        "charter": {**charter_json(charter), "channel": charter_channel(charter.slug)},
    }


def charter_json(charter: CharterRecord) -> dict[str, Any]:
    return {
        "slug": charter.slug,
        "title": charter.title,
        "language": charter.language,
        "phase": charter.phase,
        "sections": [
            {
                "id": section.id,
                "position": section.position,
                "title": section.title,
                "articles": [
                    {
                        "id": article.key,
                        "position": article.position,
                        "title": article.title,
                        "document": article_document(charter.slug, article.key),
                        # "amendments": editors propose amendments instead of editing
                        "phase": article.phase or charter.phase,
                        "own_phase": article.phase,  # None: follows the charter's
                    }
                    for article in section.articles
                ],
            }
            for section in charter.sections
        ],
    }
