"""Exports of a charter at a version or live: Markdown, standalone HTML, open-data JSON
(with the discussion when the charter allows it: server/domain/open_discussion.py), and the Atom
feed of its versions. Pure rendering of what ``snapshot_of`` read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from crdt.article import ArticleDoc, Op
from crdt.markdown import (
    ArticleSource,
    CharterSource,
    SectionSource,
    charter_markdown,
    lines_of,
    markdown_from_ops,
)
from persistence.repo import CharterRecord
from persistence.versions import VersionRecord
from server.domain.charters import DocReader
from server.domain.licences import licence_of
from server.domain.open_discussion import Discussion, iso
from server.domain.provenance import ArticleOrigins
from server.domain.versions import version_json
from server.i18n import content_language, translate
from server.names import article_document
from server.pages.site import TEMPLATES  # the shared Jinja environment (filters, autoescape)

FORMATS = {
    "md": ("text/markdown; charset=utf-8", "md", "attachment"),
    "html": ("text/html; charset=utf-8", "html", "inline"),
    "json": ("application/json; charset=utf-8", "json", "attachment"),
}
# Bumped when a field changes meaning; fields are only ever added within a version.
OPEN_DATA_FORMAT = 1


@dataclass
class ArticleText:
    key: str
    title: str
    ops: list[Op]

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.ops)


@dataclass
class SectionText:
    title: str
    articles: list[ArticleText] = field(default_factory=list)


@dataclass
class Snapshot:
    """A charter's sections and articles at a version (``version``) or live (None)."""

    charter: CharterRecord
    version: VersionRecord | None
    sections: list[SectionText]

    @property
    def name(self) -> str:
        """The file name: ``{slug}-v{id}`` or ``{slug}-live``."""
        suffix = f"v{self.version.id}" if self.version else "live"
        return f"{self.charter.slug}-{suffix}"


async def snapshot_of(
    charter: CharterRecord, read: DocReader, version: VersionRecord | None
) -> Snapshot:
    if version is None:
        sections = [
            SectionText(
                s.title,
                [
                    ArticleText(a.key, a.title, (await read(a.document_id)).ops())
                    for a in s.articles
                ],
            )
            for s in charter.sections
        ]
        return Snapshot(charter, None, sections)
    grouped: dict[tuple[int, int], SectionText] = {}
    for a in version.articles:  # ordered by section position, then article position
        section = grouped.setdefault(
            (a.section_position, a.section_id), SectionText(a.section_title)
        )
        ops = ArticleDoc.from_updates([a.state]).ops()
        section.articles.append(ArticleText(a.article_key, a.article_title, ops))
    return Snapshot(charter, version, [grouped[k] for k in sorted(grouped)])


# -- Markdown: the charter file format, read back by `charter init --from-markdown` --


def markdown(snap: Snapshot) -> str:
    charter = snap.charter
    front = [f"licence: {charter.licence}"]  # ignored on import, kept for readers
    if snap.version is not None:
        front.append(f"version: {snap.version.id} — {snap.version.label}")
    source = CharterSource(
        charter.title,
        charter.language,
        [
            SectionSource(s.title, [ArticleSource(a.title, a.ops) for a in s.articles])
            for s in snap.sections
        ],
    )
    return charter_markdown(source, front)


# -- HTML: one standalone, print-friendly page --


@dataclass
class Block:
    """One block of an article body: a paragraph, a heading, a list or a quote."""

    kind: str  # p | h | ul | ol | quote
    items: list[list[Op]]
    level: int = 0


def blocks(ops: list[Op]) -> list[Block]:
    """Quill lines grouped into HTML blocks (consecutive list items share one list)."""
    found: list[Block] = []
    for runs, attrs in lines_of(ops):
        attrs = attrs or {}
        kind = "p"
        if attrs.get("header"):
            kind = "h"
        elif attrs.get("list") in ("bullet", "ordered"):
            kind = "ul" if attrs["list"] == "bullet" else "ol"
        elif attrs.get("blockquote"):
            kind = "quote"
        if kind in ("ul", "ol") and found and found[-1].kind == kind:
            found[-1].items.append(runs)
        elif runs or kind != "p":
            found.append(Block(kind, [runs], int(attrs.get("header") or 0)))
    return found


def html(snap: Snapshot, base_url: str) -> str:
    lang = content_language(snap.charter.language)
    return TEMPLATES.env.get_template("export.html").render(
        snap=snap,
        charter=snap.charter,
        licence=licence_of(snap.charter.licence),
        blocks=blocks,
        lang=lang,
        t=lambda key, **values: translate(lang, key, **values),
        base_url=base_url,
        generated=datetime.now(UTC),
    )


# -- JSON open data --


def open_data(
    snap: Snapshot,
    versions: list[VersionRecord],
    base_url: str,
    discussion: Discussion | None = None,
    authors: dict[str, Any] | None = None,
    drafting: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The charter as open data. ``discussion`` is included only when the charter's
    ``open_data_discussion`` setting is on; ``authors`` (server/domain/provenance.py
    ``charter_authors``): who wrote the words, by person, badge and way; ``drafting``
    (``drafting_log``): the steps of the writing, to replay and audit it."""
    by_article = {a["id"]: _authors_json(a) for a in authors["articles"]} if authors else {}
    charter = snap.charter
    data: dict[str, Any] = {
        "format": "charter-open-data",
        "format_version": OPEN_DATA_FORMAT,
        "generated_at": datetime.now(UTC).isoformat(),
        "charter": {
            "slug": charter.slug,
            "title": charter.title,
            "language": charter.language,
            "url": f"{base_url}/charters/{charter.slug}",
            "licence": licence_of(charter.licence).to_json(),
        },
        "version": version_json(snap.version) if snap.version else "live",
        "sections": [
            {
                "position": position,
                "title": section.title,
                "articles": [
                    {
                        "id": a.key,
                        "position": index,
                        "title": a.title,
                        "document": article_document(charter.slug, a.key),
                        "text": a.text,
                        "markdown": markdown_from_ops(a.ops),
                        **({"authors": by_article[a.key]} if a.key in by_article else {}),
                    }
                    for index, a in enumerate(section.articles)
                ],
            }
            for position, section in enumerate(snap.sections)
        ],
        "versions": [version_json(v) for v in versions],
    }
    if authors is not None:
        data["authors"] = _authors_json(authors["summary"])
    if drafting is not None:  # docs/drafting-log.md
        data["drafting_log"] = drafting
    if charter.open_data_discussion and discussion is not None:
        data["discussion_as_of"] = iso(discussion.as_of)
        data["discussion"] = {"threads": discussion.threads, "amendments": discussion.amendments}
    return data


def _authors_json(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary of authors as open data: words by badge, by way, by person (name, badge)."""
    return {
        "words": summary["words"],
        "by_badge": summary["by_badge"],
        "by_way": summary["by_way"],
        "unknown": summary["unknown"],
        "by_person": [
            {"name": p["name"], "badge": p["badge"], "words": p["words"]}
            for p in summary["by_person"]
        ],
    }


# -- the annex of origins: who wrote each article, its amendments, its discussions --


def origins_lines(
    charter: CharterRecord, version: VersionRecord | None, items: list[ArticleOrigins]
) -> tuple[str, str, list[tuple[str, list[str]]]]:
    """The annex in words, in the charter's language: title, introduction, and for each
    article its title and sentences (shared by the Markdown and HTML annexes)."""
    lang = content_language(charter.language)

    def say(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    at = say("origins_at_version", label=version.label) if version else ""
    articles = []
    for item in items:
        summary = item.summary
        words = summary["words"]

        people = [
            say(
                "origins_person",
                name=p["name"],
                badge=f" ({say('badge_' + p['badge']).lower()})" if p["badge"] else "",
                share=_share(p["words"], words),
            )
            for p in summary["by_person"]
        ]
        if summary["unknown"]:
            people.append(say("origins_unknown", share=_share(summary["unknown"], words)))
        lines = [
            say("origins_written_by", names=", ".join(people)) if words else say("origins_no_words")
        ]
        lines += [
            say(
                "origins_amendment",
                number=a.id,
                title=a.title,
                author=a.author_name,
                rationale=a.rationale or "—",
                **a.tally(),
            )
            for a in item.amendments
        ] or [say("origins_no_amendment")]
        lines.append(say("origins_threads", count=item.threads, resolved=item.resolved))
        articles.append((item.title, lines))
    return (
        say("origins_title", title=charter.title),
        say("origins_intro", version=at),
        articles,
    )


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole) if whole else 0}\u00a0%"


def origins_markdown(
    charter: CharterRecord, version: VersionRecord | None, items: list[ArticleOrigins]
) -> str:
    title, intro, articles = origins_lines(charter, version, items)
    out = [f"# {title}", "", intro, ""]
    for article, lines in articles:
        out += [f"## {article}", ""] + [f"- {line}" for line in lines] + [""]
    return "\n".join(out)


def origins_html(
    charter: CharterRecord, version: VersionRecord | None, items: list[ArticleOrigins]
) -> str:
    title, intro, articles = origins_lines(charter, version, items)
    keyed = [(item.key, name, lines) for item, (name, lines) in zip(items, articles, strict=True)]
    return TEMPLATES.env.get_template("export_origins.html").render(
        charter=charter, title=title, intro=intro, articles=keyed
    )


def origins_json(items: list[ArticleOrigins]) -> list[dict[str, Any]]:
    return [
        {
            "id": item.key,
            "title": item.title,
            "authors": _authors_json(item.summary),
            "amendments": [
                {
                    "id": a.id,
                    "title": a.title,
                    "rationale": a.rationale,
                    "author": a.author_name,
                    "votes": a.tally(),
                }
                for a in item.amendments
            ],
            "threads": item.threads,
            "resolved_threads": item.resolved,
        }
        for item in items
    ]


ATOM = "http://www.w3.org/2005/Atom"
XML = "http://www.w3.org/XML/1998/namespace"


def _stamp(at: datetime | None) -> str:
    at = at or datetime.now(UTC)
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


def atom(charter: CharterRecord, timeline: list[dict[str, Any]], base_url: str) -> str:
    """``timeline`` as built by ``server.domain.versions.timeline`` (oldest first)."""
    lang = content_language(charter.language)
    licence = licence_of(charter.licence)
    home = f"{base_url}/charters/{charter.slug}"
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {f"{{{XML}}}lang": charter.language})

    def add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    add(feed, "title", translate(lang, "versions_of", title=charter.title))
    add(feed, "id", f"{home}/versions.atom")
    add(feed, "link", rel="self", href=f"{home}/versions.atom")
    add(feed, "link", rel="alternate", type="text/html", href=f"{home}/versions")
    add(feed, "rights", f"{licence.name} — {licence.url}".rstrip(" —"))
    if licence.url:
        add(feed, "link", rel="license", href=licence.url)
    latest = timeline[-1]["version"]["created_at"] if timeline else None
    add(feed, "updated", latest or _stamp(None))
    for item in reversed(timeline):  # newest first
        version = item["version"]
        entry = add(feed, "entry")
        add(entry, "title", version["label"])
        add(entry, "id", f"{home}/versions/{version['id']}")
        add(entry, "updated", version["created_at"] or _stamp(None))
        author = add(entry, "author")
        add(author, "name", version["created_by"] or translate(lang, "automatic"))
        link = f"{base_url}/api/charters/{charter.slug}/export?format=html&version={version['id']}"
        add(entry, "link", rel="alternate", type="text/html", href=link)
        if item.get("previous") is not None:
            compare = f"{home}/compare?from={item['previous']}&to={version['id']}"
            add(entry, "link", rel="related", type="text/html", href=compare)
        add(
            entry,
            "summary",
            translate(
                lang,
                "first_version" if item["previous"] is None else "summary",
                **item["summary"],
            ),
        )
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode")
