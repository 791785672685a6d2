"""Restore one article, or the whole charter, to a saved version — as a forward edit.

Applying an old state to a CRDT changes nothing. Restoring computes the edit that turns
today's text into the version's text (``crdt.versions.restore_edit``) and applies it
through ``Room.apply``, like a keystroke: connected editors see it at once, and restoring
again (to the automatic version saved just before) undoes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio

from crdt.article import ArticleDoc
from crdt.authors import character_ids, kept_authors
from crdt.versions import restore_edit
from persistence.repo import ArticleRecord, CharterRecord
from persistence.versions import VersionArticle, VersionRecord
from server.access import Principal
from server.domain.charters import outline_event
from server.domain.provenance import authorship_of
from server.domain.versions import auto_version, version_json
from server.errors import ConflictError, NotFoundError
from server.i18n import content_language, translate
from server.live.rooms import ServerEdit
from server.names import article_document
from server.services import Services

MAX_LABEL = 200


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def restore_label(language: str, what: str, version: str, article: str = "") -> str:
    """The label of the automatic version saved just before a restore, in the charter's
    language, cut to fit."""
    key = f"version_before_restore_{what}"
    label = translate(
        content_language(language), key, article=_short(article), version=_short(version)
    )
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


@dataclass
class Outcome:
    """What a restore did, article by article, and what it could not do."""

    version: VersionRecord
    saved_before: VersionRecord | None = None
    restored: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_restored: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": version_json(self.version),
            "saved_before": version_json(self.saved_before) if self.saved_before else None,
            "restored": self.restored,
            "unchanged": self.unchanged,
            "not_restored": self.not_restored,
        }


def _differs(live: ArticleDoc, title: str, old: VersionArticle) -> bool:
    return title != old.article_title or live.ops() != ArticleDoc.from_updates([old.state]).ops()


async def restore_article(
    services: Services,
    charter: CharterRecord,
    key: str,
    version: VersionRecord,
    who: Principal,
) -> Outcome:
    old = next((a for a in version.articles if a.article_key == key), None)
    if old is None:
        raise NotFoundError(f"article {key!r} is not in version {version.id}")
    live = next((a for _, a in charter.articles() if a.key == key), None)
    if live is None:
        raise ConflictError(
            f"article {key!r} was deleted since version {version.id}: it cannot be restored"
        )
    outcome = Outcome(version)
    if not _differs(await services.article_doc(live.document_id), live.title, old):
        outcome.unchanged.append(key)
        return outcome
    label = restore_label(charter.language, "article", version.label, live.title)
    outcome.saved_before = await _save_before(services, charter, label, who)
    outcome.restored.append(await _restore(services, charter, live, old, who))
    await _announce(services, charter, outcome)
    return outcome


async def restore_charter(
    services: Services, charter: CharterRecord, version: VersionRecord, who: Principal
) -> Outcome:
    """Every article of the version that still exists gets its text and title back.
    Articles deleted since are reported (not recreated); articles added since stay;
    sections and the order of articles stay as they are now."""
    outcome = Outcome(version)
    live = {a.key: a for _, a in charter.articles()}
    todo: list[tuple[ArticleRecord, VersionArticle]] = []
    for old in version.articles:
        article = live.get(old.article_key)
        if article is None:
            outcome.not_restored.append(
                {
                    "id": old.article_key,
                    "title": old.article_title,
                    "reason": "deleted since the version",
                }
            )
        elif _differs(await services.article_doc(article.document_id), article.title, old):
            todo.append((article, old))
        else:
            outcome.unchanged.append(article.key)
    if todo:
        label = restore_label(charter.language, "charter", version.label)
        outcome.saved_before = await _save_before(services, charter, label, who)
        for article, old in todo:
            outcome.restored.append(await _restore(services, charter, article, old, who))
        await _announce(services, charter, outcome)
    return outcome


async def _save_before(
    services: Services, charter: CharterRecord, label: str, who: Principal
) -> VersionRecord:
    saved = await auto_version(services, charter, label, who)
    return await services.stores.versions.get(charter.id, saved)


async def _restore(
    services: Services,
    charter: CharterRecord,
    article: ArticleRecord,
    old: VersionArticle,
    who: Principal,
) -> dict[str, Any]:
    key = article.key
    name = article_document(charter.slug, key)
    # The words brought back keep the authors they had in the version.
    authorship = await authorship_of(services, article.document_id)
    old_ids = await anyio.to_thread.run_sync(character_ids, old.state)
    written: list[ArticleDoc] = []

    def make_update(live: ArticleDoc) -> bytes | None:
        scratch, update = restore_edit(live.full_update(), old.state)
        written.append(scratch)
        return update

    changed = await services.registry.server_edit(
        article.document_id, name, make_update, ServerEdit("restore", who.participant_id)
    )
    if changed is not None:  # committed: the restore's own client is recorded by now
        new_ids = await anyio.to_thread.run_sync(character_ids, written[-1].full_update())
        now = await authorship_of(services, article.document_id)
        kept = kept_authors(new_ids, now, old_ids, authorship)
        await services.stores.authors.keep_ranges(
            article.document_id,
            [(c, start, end, o.participant_id, o.amendment_id) for c, start, end, o in kept],
        )
    renamed = old.article_title != article.title
    if renamed:
        await services.stores.outline.update_article(charter.id, key, title=old.article_title)
    return {"id": key, "title": old.article_title, "text": changed is not None, "renamed": renamed}


async def _announce(services: Services, charter: CharterRecord, outcome: Outcome) -> None:
    """Tell the charter channel: a version was saved, articles were restored, and (when
    titles came back) the new outline."""
    event = {
        "type": "version",
        "event": "restored",
        "version": outcome.version.id,
        "saved_before": outcome.saved_before.id if outcome.saved_before else None,
        "articles": [r["id"] for r in outcome.restored],
    }
    services.publish(charter.id, event)
    if any(r["renamed"] for r in outcome.restored):
        fresh = await services.repo.get_charter(charter.slug)
        services.publish(charter.id, outline_event(fresh))
