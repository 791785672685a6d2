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
from server.domain.versions import version_json
from server.errors import Invalid

if TYPE_CHECKING:
    from server.domain.charters import DocReader

MODES = ("live", "since", "amendment")
AUTHORS = (
    "person",
    "badge",
)  # the live text coloured by who wrote it (server/domain/provenance.py)
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

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "amendment": self.amendment,
            "passage": self.passage.to_json() if self.passage else None,
            "authors": self.authors,
        }

    def stored(self) -> str | None:
        """The charter row's value: None for the plain live text."""
        return None if self == View() else json.dumps(self.to_json(), sort_keys=True)


def stored_view(charter: CharterRecord) -> View:
    """The view kept with the charter (a row written by an older release reads as live)."""
    if not charter.projector or not charter.projector_view:
        return View()
    try:
        return _parse(json.loads(charter.projector_view))
    except (Invalid, ValueError):
        return View()


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
    return View(mode, amendment, passage, authors if mode == "live" else None)


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
    article. No article: nothing to show, so the plain view."""
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
