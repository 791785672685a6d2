"""What the projector shows of the article on it.

By default its live text, following the place where people type. A facilitator can ask
instead for the text with its changes since the last saved version ("what we changed
today"), for the text as it would read with an open amendment applied, or keep one chosen
passage in view. All of these are computed when asked, in memory: nothing is ever written
to the article.

The view is kept with the charter (so every instance and every restart shows the same)
as a small JSON object; choosing another article starts again from the live text.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crdt.article import ArticleDoc
from crdt.diff import diff_words
from persistence.repo import CharterRecord, NotFound
from persistence.stores import Stores
from server.access import BADGES
from server.domain.versions import version_json
from server.errors import Invalid

if TYPE_CHECKING:
    from server.domain.charters import DocReader

MODES = ("live", "since", "amendment", "vote", "groups")  # vote: a live vote's result (votes.py)
# groups: the article's sub-groups' drafts side by side, then merged (subgroup_board.py)
AUTHORS = (
    "person",
    "badge",
)  # the live text coloured by who wrote it (server/domain/provenance.py)
# The live text shaded by where people stand on its passages (server/domain/stances.py):
# everyone's stances, or those of one badge's participants.
HEATMAP = ("all", *BADGES)
# A passage's ends are Yjs relative positions as the browser encodes them: a few dozen
# bytes; the bound only keeps garbage out of the charter's row.
_MAX_POSITION = 256


@dataclass(frozen=True)
class Passage:
    start: str  # base64 of an encoded Yjs relative position
    end: str

    def to_json(self) -> dict[str, str]:
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True)
class View:
    mode: str = "live"
    amendment: int | None = None  # with mode "amendment": the one applied
    passage: Passage | None = None  # kept in view instead of following the writing
    authors: str | None = None  # with mode "live": the text coloured by person or badge
    vote: int | None = None  # with mode "vote": the vote whose result it shows
    heatmap: str | None = None  # with mode "live": shaded by stances (not with authors)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "mode": self.mode,
            "amendment": self.amendment,
            "passage": self.passage.to_json() if self.passage else None,
            "authors": self.authors,
        }
        if self.mode == "vote":
            found["vote"] = self.vote
        if self.heatmap is not None:  # only when asked, like the vote
            found["heatmap"] = self.heatmap
        return found

    def stored(self) -> str | None:
        """The charter row's value: None for the plain live text."""
        return None if self == View() else json.dumps(self.to_json(), sort_keys=True)


def stored_view(charter: CharterRecord) -> View:
    """The view kept with the charter (a row written by an older release reads as live)."""
    if not charter.projector_view:
        return View()
    try:
        view = _parse(json.loads(charter.projector_view))
    except (Invalid, ValueError):
        return View()
    return view if charter.projector or view.mode == "vote" else View()


def view_json(charter: CharterRecord) -> dict[str, Any]:
    return stored_view(charter).to_json()


def _parse(raw: object) -> View:
    if raw is None:
        return View()
    if not isinstance(raw, dict):
        raise Invalid("view must be an object: mode, amendment, passage, authors", field="view")
    mode = raw.get("mode", "live")
    if mode not in MODES:
        raise Invalid(f"view.mode must be one of {', '.join(MODES)}", field="view.mode")
    if mode == "vote":
        vote = raw.get("vote")
        if isinstance(vote, bool) or not isinstance(vote, int):
            raise Invalid("view.vote must be the id of a vote", field="view.vote")
        return View("vote", vote=vote)
    amendment = raw.get("amendment")
    if mode == "amendment":
        if isinstance(amendment, bool) or not isinstance(amendment, int):
            raise Invalid(
                "view.amendment must be the id of an open amendment", field="view.amendment"
            )
    else:
        amendment = None
    # A passage is a place in the live text, and its colours are its authors': the other
    # views show another text.
    passage = _passage(raw.get("passage")) if mode == "live" else None
    authors = raw.get("authors")
    if authors is not None and authors not in AUTHORS:
        raise Invalid(
            f"view.authors must be null or one of {', '.join(AUTHORS)}", field="view.authors"
        )
    heatmap = _heatmap(raw.get("heatmap"), authors) if mode == "live" else None
    return View(mode, amendment, passage, authors if mode == "live" else None, heatmap=heatmap)


def _heatmap(raw: object, authors: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in HEATMAP:
        raise Invalid(
            f"view.heatmap must be null or one of {', '.join(HEATMAP)}", field="view.heatmap"
        )
    if authors is not None:
        raise Invalid(
            "view.heatmap and view.authors: one colouring of the text at a time",
            field="view.heatmap",
        )
    return raw


def _passage(raw: object) -> Passage | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Invalid("view.passage must be an object: start, end", field="view.passage")
    ends = []
    for name in ("start", "end"):
        value = raw.get(name)
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_POSITION:
            raise Invalid(f"view.passage.{name} must be an encoded position", field="view.passage")
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Invalid(f"view.passage.{name} must be base64", field="view.passage") from exc
        ends.append(value)
    return Passage(ends[0], ends[1])


async def choose_view(stores: Stores, charter: CharterRecord, key: str | None, raw: object) -> View:
    """The view asked for ``key``, checked: an amendment must be an open one of that
    article. No article: nothing to show, so the plain view (but a vote's result, which
    may be on the whole charter)."""
    if isinstance(raw, dict) and raw.get("mode") == "vote":
        view = _parse(raw)
        try:
            await stores.votes.get(charter.id, view.vote or 0)
        except NotFound as exc:
            raise Invalid(f"no vote {view.vote} in this charter", field="view.vote") from exc
        return view
    if key is None:
        return View()
    view = _parse(raw)
    if view.amendment is not None:
        try:
            record = await stores.amendments.get(charter.id, view.amendment)
        except NotFound as exc:
            raise Invalid(
                f"no amendment {view.amendment} in this charter", field="view.amendment"
            ) from exc
        if record.article_key != key or record.status != "open":
            raise Invalid(
                "view.amendment must be an open amendment of the article on the projector",
                field="view.amendment",
            )
    return view


async def changes_since_last_version(
    stores: Stores, charter: CharterRecord, read: DocReader, key: str
) -> dict[str, Any]:
    """The article's word diff from the last named version (saved by a facilitator, as
    after each workshop; automatic versions are too close to mark a workshop's start)
    to its live text. No named version yet, or an article it did not have: everything
    reads as added."""
    article = next((a for _, a in charter.articles() if a.key == key), None)
    if article is None:
        raise Invalid("article must be the id of an article of this charter", field="article")
    live = (await read(article.document_id)).text()
    listed = [v for v in await stores.versions.list(charter.id) if v.kind == "manual"]
    before = ""
    version: dict[str, Any] | None = None
    if listed:
        record = await stores.versions.get(charter.id, listed[-1].id)
        version = version_json(record)
        for saved in record.articles:
            if saved.article_key == key:
                before = ArticleDoc.from_updates([saved.state]).text()
    diff = diff_words(before, live)
    return {
        "version": version,
        "hunks": [h.to_json() for h in diff.hunks],
        "words_added": diff.words_added,
        "words_removed": diff.words_removed,
    }
