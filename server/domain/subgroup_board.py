"""What the projector shows of an article's sub-groups: their drafts side by side while
they write, then the merged text with each group's passages marked.

While groups are open: each draft as a word diff against the live text (its own changes
applied to the live text, as a bundle's preview does), and where several drafts change the
same words. Once merged: the live text, its words that came from a group's draft (the words
added since the version before the merge that the draft had added) marked with the group.
Computed when asked, in memory.
"""

from __future__ import annotations

from typing import Any

from crdt.article import ArticleDoc
from crdt.diff import Hunk, diff_words
from persistence.amendments import AmendmentRecord
from persistence.repo import ArticleRecord, CharterRecord, NotFound
from persistence.subgroups import SubgroupRecord
from server.domain import bundles
from server.domain.amendments import texts
from server.domain.subgroups import group_json, listed
from server.services import Services


async def board(
    services: Services, charter: CharterRecord, article: ArticleRecord
) -> dict[str, Any]:
    found = await listed(services, charter, article)
    open_groups = [(g, r) for g, r in found if g.status == "open"]
    if open_groups:
        return {
            "article": article.key,
            "stage": "drafting",
            **await _drafting(services, charter, open_groups),
        }
    merged = [(g, r) for g, r in found if g.status == "merged" and r.version_after_id]
    if merged:
        last = max(r.version_after_id or 0 for _, r in merged)
        latest = [(g, r) for g, r in merged if r.version_after_id == last]
        return {
            "article": article.key,
            "stage": "merged",
            **await _merged(services, charter, article, latest),
        }
    return {"article": article.key, "stage": "none", "groups": []}


async def _drafting(
    services: Services, charter: CharterRecord, groups: list[tuple[SubgroupRecord, AmendmentRecord]]
) -> dict[str, Any]:
    bundle = await bundles.gather(services, [r for _, r in groups])
    letters = {r.id: g.letter for g, r in groups}
    overlaps = []
    for overlap in bundle.overlaps():
        shown = bundle.overlap_json(overlap)
        for version in shown["versions"]:
            version["letter"] = letters.get(version["amendment"])  # None: the live text
        overlaps.append(shown)
    return {
        "groups": [
            {
                **group_json(charter, g, r),
                "hunks": [h.to_json() for h in diff_words(bundle.live_text, amended).hunks],
            }
            for (g, r), amended in zip(groups, bundle.amended, strict=True)
        ],
        "overlaps": overlaps,
    }


def _added(hunks: list[Hunk]) -> list[str]:
    return [" ".join(h.text.split()) for h in hunks if h.kind == "insert" and h.text.strip()]


def _owner(text: str, added: dict[str, list[str]]) -> str | None:
    """The letter of the group whose draft added these words (or words containing them)."""
    words = " ".join(text.split())
    for letter, pieces in added.items():
        if any(words in piece or piece in words for piece in pieces):
            return letter
    return None


async def _merged(
    services: Services,
    charter: CharterRecord,
    article: ArticleRecord,
    groups: list[tuple[SubgroupRecord, AmendmentRecord]],
) -> dict[str, Any]:
    live = (await services.article_doc(article.document_id)).text()
    before = ""
    version_id = groups[0][1].version_before_id
    if version_id is not None:
        try:
            saved = await services.stores.versions.get(charter.id, version_id)
        except NotFound:
            saved = None
        for state in saved.articles if saved else []:
            if state.article_key == article.key:
                before = ArticleDoc.from_updates([state.state]).text()
    added: dict[str, list[str]] = {}
    for group, record in groups:
        base, fork, _ = await texts(services, record)
        added[group.letter] = _added(diff_words(base, fork.text()).hunks)
    segments = [
        {"text": h.text, "group": _owner(h.text, added) if h.kind == "insert" else None}
        for h in diff_words(before, live).hunks
        if h.kind != "delete"
    ]
    return {"groups": [group_json(charter, g, r) for g, r in groups], "segments": segments}
