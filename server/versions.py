"""Saving versions of a whole charter and comparing any two (or one with the live text)."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from crdt.article import ArticleDoc
from crdt.diff import diff_words
from persistence.repo import CharterRecord
from persistence.versions import VersionArticle, VersionRecord, Versions
from server.access import Principal
from server.charters import DocReader


@dataclass(frozen=True)
class Entry:
    """One article as it stands in a snapshot (a version, or the live charter)."""

    key: str
    title: str
    section_id: int
    section_title: str
    text: str


async def live_articles(charter: CharterRecord, read: DocReader) -> list[VersionArticle]:
    found = []
    for section in charter.sections:
        for article in section.articles:
            doc = await read(article.document_id)
            found.append(
                VersionArticle(
                    section.id,
                    section.title,
                    section.position,
                    article.key,
                    article.title,
                    article.position,
                    doc.full_update(),
                )
            )
    return found


async def save_version(
    versions: Versions,
    charter: CharterRecord,
    read: DocReader,
    label: str,
    who: Principal | None,
    kind: str = "manual",
) -> int:
    articles = await live_articles(charter, read)
    return await versions.save(
        charter.id,
        label,
        kind,
        articles,
        created_by=who.participant_id if who else None,
        created_by_name=who.name if who and who.participant_id else None,
    )


def entries(articles: list[VersionArticle]) -> list[Entry]:
    return [
        Entry(
            a.article_key,
            a.article_title,
            a.section_id,
            a.section_title,
            ArticleDoc.from_updates([a.state]).text(),
        )
        for a in articles
    ]


def compare(old: list[Entry], new: list[Entry]) -> dict[str, Any]:
    """Per article: added, removed, moved, renamed, changed or unchanged; word diffs."""
    before = {e.key: e for e in old}
    after = {e.key: e for e in new}
    common_old = [e.key for e in old if e.key in after]
    common_new = [e.key for e in new if e.key in before]
    kept_in_place: set[str] = set()
    for block in SequenceMatcher(
        None, common_old, common_new, autojunk=False
    ).get_matching_blocks():
        kept_in_place.update(common_old[block.a : block.a + block.size])
    articles: list[dict[str, Any]] = []
    added = removed = 0
    for entry in new:
        if entry.key not in before:
            articles.append(_item(entry, ["added"], None, entry))
            added += diff_words("", entry.text).words_added
            continue
        previous = before[entry.key]
        status = []
        if entry.key not in kept_in_place or previous.section_id != entry.section_id:
            status.append("moved")
        if previous.title != entry.title:
            status.append("renamed")
        diff = diff_words(previous.text, entry.text) if previous.text != entry.text else None
        if diff is not None and diff.changed:
            status.append("changed")
            added += diff.words_added
            removed += diff.words_removed
        articles.append(_item(entry, status or ["unchanged"], diff, previous))
    for entry in old:
        if entry.key not in after:
            articles.append(_item(entry, ["removed"], None, entry))
            removed += diff_words(entry.text, "").words_removed
    return {"articles": articles, "words_added": added, "words_removed": removed}


def _item(entry: Entry, status: list[str], diff: Any, previous: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.key,
        "status": status,
        "title": entry.title,
        "section": entry.section_title,
    }
    if "renamed" in status or "moved" in status:
        item["previous"] = {"title": previous.title, "section": previous.section_title}
    if diff is not None and diff.changed:
        item["diff"] = [h.to_json() for h in diff.hunks]
        item["words_added"], item["words_removed"] = diff.words_added, diff.words_removed
    return item


def version_json(record: VersionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "label": record.label,
        "kind": record.kind,
        "created_at": record.created_at.isoformat() if record.created_at else None,
        "created_by": record.created_by_name,
    }
