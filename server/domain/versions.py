"""Saving versions of a whole charter and comparing any two (or one with the live text)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any

from crdt.article import ArticleDoc
from crdt.diff import diff_words
from persistence.contributions import Bound, article_documents
from persistence.repo import CharterRecord, NotFound
from persistence.stores import Stores
from persistence.versions import VersionArticle, VersionRecord, Versions
from server.access import Principal
from server.domain.charters import DocReader
from server.errors import Invalid, NotFoundError
from server.services import Services


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
    flush: Callable[[], Awaitable[None]] | None = None,
) -> int:
    # ``flush`` (the live store's): edits already applied in memory are committed first, so
    # the log position below covers every edit the states contain. Read before the states:
    # one committed while they are read (milliseconds) counts after this version
    # (persistence/contributions.py).
    if flush is not None:
        await flush()
    position = await versions.log_position()
    articles = await live_articles(charter, read)
    return await versions.save(
        charter.id,
        label,
        kind,
        articles,
        created_by=who.participant_id if who else None,
        created_by_name=who.name if who and who.participant_id else None,
        log_position=position,
    )


async def auto_version(
    services: Services, charter: CharterRecord, label: str, who: Principal | None
) -> int:
    """An automatic version of the charter as it stands, what is live committed first
    (around an amendment, a bundle, a vote, a restore or a revert)."""
    return await save_version(
        services.stores.versions,
        charter,
        services.article_doc,
        label,
        who,
        "auto",
        services.store.flush,
    )


def entries(articles: list[VersionArticle], texts: dict[bytes, str] | None = None) -> list[Entry]:
    """The articles as compared; ``texts`` caches the text of states already read (a
    timeline reads the same unchanged states again and again)."""
    texts = {} if texts is None else texts
    found = []
    for a in articles:
        text = texts.get(a.state)
        if text is None:
            text = texts[a.state] = ArticleDoc.from_updates([a.state]).text()
        found.append(Entry(a.article_key, a.article_title, a.section_id, a.section_title, text))
    return found


def compare(old: list[Entry], new: list[Entry], with_text: bool = False) -> dict[str, Any]:
    """Per article: added, removed, moved, renamed, changed or unchanged; word diffs.
    ``with_text``: an article without a word diff also carries its whole ``text``."""
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
            articles.append(_item(entry, ["added"], None, entry, with_text))
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
        articles.append(_item(entry, status or ["unchanged"], diff, previous, with_text))
    for entry in old:
        if entry.key not in after:
            articles.append(_item(entry, ["removed"], None, entry, with_text))
            removed += diff_words(entry.text, "").words_removed
    return {"articles": articles, "words_added": added, "words_removed": removed}


def _item(
    entry: Entry, status: list[str], diff: Any, previous: Entry, with_text: bool = False
) -> dict[str, Any]:
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
    elif with_text:
        item["text"] = entry.text
    return item


def version_json(record: VersionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "label": record.label,
        "kind": record.kind,
        # UTC with its offset (SQLite hands back naive UTC times): RFC 3339, as Atom wants.
        "created_at": _aware(record.created_at).astimezone(UTC).isoformat()
        if record.created_at
        else None,
        "created_by": record.created_by_name,
    }


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def participants_between(
    stores: Stores, charter_id: int, start: Bound, end: Bound | None
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Whose edits fall after ``start`` and up to ``end`` (None: now): overall, with their
    number of edits (most first), and the names per article key."""
    documents = await article_documents(stores.engine, charter_id)
    overall: dict[int, dict[str, Any]] = {}
    per_article: dict[str, list[str]] = {}
    for c in await stores.contributions.between(documents, start, end):
        person = overall.setdefault(
            c.participant_id,
            {"id": c.participant_id, "name": c.name, "badge": c.badge, "edits": 0},
        )
        person["edits"] += c.edits
        names = per_article.setdefault(documents[c.document_id], [])
        if c.name not in names:
            names.append(c.name)
    ranked = sorted(overall.values(), key=lambda p: (-p["edits"], p["name"]))
    return ranked, {key: sorted(names) for key, names in per_article.items()}


def _order(side: Side) -> tuple[int, datetime]:
    record = side.record
    assert record is not None
    return (record.id, _aware(record.created_at))


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a saved version, or the live text (record None)."""

    ref: str  # the version id as given, or "live"
    record: VersionRecord | None
    entries: list[Entry]

    @property
    def at(self) -> datetime | None:
        return _aware(self.record.created_at) if self.record else None

    @property
    def bound(self) -> Bound | None:
        """Where this side cuts the record of who edited (None: the live text, now)."""
        if self.record is None:
            return None
        return Bound(self.record.log_position, _aware(self.record.created_at))


async def side(
    versions: Versions, charter: CharterRecord, read: DocReader, ref: str, what: str
) -> Side:
    """A version by its id, or ``live``; NotFoundError naming ``what`` otherwise."""
    if ref == "live":
        return Side("live", None, entries(await live_articles(charter, read)))
    record = await version_or_404(versions, charter.id, ref, what)
    return Side(str(record.id), record, entries(record.articles))


async def version_or_404(
    versions: Versions, charter_id: int, ref: str, what: str = "version"
) -> VersionRecord:
    try:
        return await versions.get(charter_id, int(ref))
    except (ValueError, NotFound) as exc:
        raise NotFoundError(f"{what}: no version {ref!r} in this charter") from exc


async def comparison(
    stores: Stores,
    charter: CharterRecord,
    read: DocReader,
    origin: str,
    target: str,
    with_text: bool = False,
) -> dict[str, Any]:
    """The full comparison of ``origin`` (a version id) with ``target`` (an id or live):
    articles, word diffs, counts and participants."""
    if origin == "live":
        raise Invalid("from must be a version id; only to may be live", field="from")
    if origin == target:
        raise Invalid("from and to are the same version: nothing to compare", field="to")
    versions = stores.versions
    old = await side(versions, charter, read, origin, "from")
    new = await side(versions, charter, read, target, "to")
    found = compare(old.entries, new.entries, with_text)
    # The earlier saved version is the start, whichever side it is on.
    first, last = (old, new) if new.record is None or _order(old) <= _order(new) else (new, old)
    assert first.bound is not None  # "from" is always a saved version
    people, per_article = await participants_between(stores, charter.id, first.bound, last.bound)
    for item in found["articles"]:
        item["participants"] = per_article.get(item["id"], [])
    return {
        "from": version_json(old.record) if old.record else "live",
        "to": version_json(new.record) if new.record else "live",
        **found,
        "articles_changed": sum(a["status"] != ["unchanged"] for a in found["articles"]),
        "participants": people,
    }


async def timeline(stores: Stores, charter: CharterRecord) -> list[dict[str, Any]]:
    """Every version, oldest first, with a summary of what changed since the previous one
    (the first: since an empty charter)."""
    versions = stores.versions
    texts: dict[bytes, str] = {}
    items: list[dict[str, Any]] = []
    previous: list[Entry] = []
    previous_id: int | None = None
    for listed in await versions.list(charter.id):
        record = await versions.get(charter.id, listed.id)
        current = entries(record.articles, texts)
        found = compare(previous, current)
        summary = {
            "words_added": found["words_added"],
            "words_removed": found["words_removed"],
            "articles_changed": sum(a["status"] != ["unchanged"] for a in found["articles"]),
        }
        items.append({"version": version_json(record), "previous": previous_id, "summary": summary})
        previous, previous_id = current, record.id
    return items
