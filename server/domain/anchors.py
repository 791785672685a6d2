"""Where a thread's passage is: the anchor a client sends (two Yjs relative positions and
the quoted text), and where that passage is now in the live article, resolved on the server
with the article's own item ids (correct in accented text and emoji)."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from crdt.article import ArticleDoc, CrdtError
from crdt.relpos import AnchorError, RelPos, Resolver, decode
from persistence.comments import ThreadRecord
from server.errors import ConflictError, Invalid
from server.services import Services

MAX_QUOTE = 10_000  # characters of the quoted passage kept with a thread


@dataclass(frozen=True)
class Anchor:
    """What the client sends for a passage: two relative positions and the quoted text."""

    start: bytes
    end: bytes
    quote: str


@dataclass(frozen=True)
class Place:
    """Where a thread's passage is now. ``state``: article (no passage), attached,
    detached (every character of it was deleted) or unknown (the positions name text this
    server has not received yet)."""

    state: str
    start: int | None = None  # UTF-16 units, as Yjs and Quill count
    end: int | None = None
    text: str = ""

    def order(self) -> tuple[int, int]:
        if self.state == "article":
            return (0, 0)
        if self.start is None:
            return (2, 0)
        return (1, self.start)


def positions(anchor: Anchor) -> tuple[RelPos, RelPos]:
    try:
        return decode(anchor.start), decode(anchor.end)
    except AnchorError as exc:
        raise Invalid(f"anchor: {exc}", field="anchor") from exc


def place_of(resolver: Resolver, start: RelPos, end: RelPos, quote: str = "") -> Place:
    """Where the passage is now. Given its ``quote``, a passage whose characters were all
    deleted is attached again if the same words stand where it was: an undo or a restored
    version brings the words back as new characters, which its positions do not name. The
    browser applies the same rule (comments/common.js)."""
    span = resolver.span(start, end)
    if span is None:
        return Place("unknown")
    if span.detached and quote.strip():
        span = resolver.find(quote, span.start) or span
    state = "detached" if span.detached else "attached"
    return Place(state, span.start, max(span.end, span.start), resolver.text(span))


class Resolvers:
    """The last resolver built for each article, reused while its state is the same: a
    comment event makes every viewer of the article ask for the thread at once, and building
    one walks the article's whole history. Keyed by a digest of the full state (a deletion
    leaves the state vector as it was). Bounded; one per app (``resolvers_of``)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._kept: OrderedDict[int, tuple[bytes, Resolver]] = OrderedDict()

    def get(self, document_id: int, article: ArticleDoc) -> Resolver:
        digest = hashlib.blake2b(article.full_update(), digest_size=16).digest()
        kept = self._kept.get(document_id)
        if kept is not None and kept[0] == digest:
            self._kept.move_to_end(document_id)
            return kept[1]
        try:
            resolver = Resolver(article)
        except CrdtError as exc:  # our own stored state: not expected
            raise ConflictError(f"the article's text cannot be read for anchors: {exc}") from exc
        self._kept[document_id] = (digest, resolver)
        self._kept.move_to_end(document_id)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return resolver


async def resolver_for(services: Services, resolvers: Resolvers, document_id: int) -> Resolver:
    return resolvers.get(document_id, await services.article_doc(document_id))


async def places(
    services: Services, resolvers: Resolvers, threads: list[ThreadRecord]
) -> dict[int, Place]:
    """Where each thread's passage is now, one resolver per article (asked once per call:
    checking that the kept one is still current reads the whole state)."""
    found: dict[int, Place] = {}
    asked: dict[int, Resolver] = {}
    for thread in threads:
        if thread.anchor_start is None or thread.anchor_end is None:
            found[thread.id] = Place("article")
            continue
        resolver = asked.get(thread.document_id)
        if resolver is None:
            resolver = await resolver_for(services, resolvers, thread.document_id)
            asked[thread.document_id] = resolver
        try:
            start, end = decode(thread.anchor_start), decode(thread.anchor_end)
        except AnchorError:  # checked when stored: not expected
            found[thread.id] = Place("unknown")
            continue
        found[thread.id] = place_of(resolver, start, end, thread.quote)
    return found


def in_document_order(threads: list[ThreadRecord], where: dict[int, Place]) -> list[ThreadRecord]:
    """The whole article's threads first, then by where their passage is (a detached one
    where its text was), then those not placed yet."""
    return sorted(threads, key=lambda t: (*where[t.id].order(), t.id))
