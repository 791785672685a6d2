"""Automatic versions on a schedule (``CHARTER_AUTO_VERSION_MINUTES``): every period, each
charter whose text or outline changed since its last version gets a version of kind
"auto". Other automatic versions (before a restore, around an accepted amendment) call
``server.domain.versions.auto_version`` directly."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from crdt.article import ArticleDoc
from persistence.repo import CharterRecord
from persistence.versions import VersionArticle
from server.domain import rounds
from server.domain.versions import auto_version, live_articles
from server.i18n import content_language, translate
from server.services import Services

log = logging.getLogger("charter.versions")


def auto_label(language: str, at: datetime) -> str:
    return translate(content_language(language), "version_auto", at=at)


def _shape(articles: list[VersionArticle]) -> list[tuple[Any, ...]]:
    """What a reader of the charter sees: outline, titles, text and formatting."""
    return sorted(
        (
            a.section_position,
            a.section_id,
            a.section_title,
            a.article_position,
            a.article_key,
            a.article_title,
            ArticleDoc.from_updates([a.state]).ops(),
        )
        for a in articles
    )


async def changed_since_last_version(services: Services, charter: CharterRecord) -> bool:
    versions = services.stores.versions
    listed = await versions.list(charter.id)
    if not listed:
        return True
    last = await versions.get(charter.id, listed[-1].id)
    live = await live_articles(charter, services.article_doc)
    return _shape(live) != _shape(last.articles)


async def save_changed(services: Services) -> list[int]:
    """One automatic version per charter that changed since its last version; their ids."""
    saved = []
    for listed in await services.repo.list_charters():
        if services.stopping.is_set():
            break
        charter = await services.repo.get_charter(listed.slug)
        if not await changed_since_last_version(services, charter):
            continue
        label = auto_label(charter.language, datetime.now(UTC))
        version_id = await auto_version(services, charter, label, None)
        log.info("automatic version charter=%s version=%d", charter.slug, version_id)
        services.publish(charter.id, {"type": "version", "event": "saved", "version": version_id})
        saved.append(version_id)
    return saved


async def every(services: Services, minutes: float) -> None:
    """Runs in the app's task group until the app stops."""
    await rounds.every(services, minutes * 60, _flush_and_save, log, "automatic versions")


async def _flush_and_save(services: Services) -> None:
    await services.store.flush()  # what was typed so far is in the version
    await save_changed(services)
