"""Where participants stand on the passages of an article: the heat-map's data.

A comment on a passage may say ``for``, ``against`` or ``mixed`` (or nothing): the heat-map
counts ``for`` as agreement, ``against`` as disagreement and ``mixed`` as neither. One
person's stance on a thread counts once: that of their latest comment with a stance in it
(deleted and hidden comments say nothing). Counts are kept per badge of the comment's
author as they are now (citizen, elected, organiser, or none), so that the browser can
filter by badge and add them up.

Only the open threads on a passage of the article's own text are counted: the whole
article's threads have no passage to shade, resolved ones are settled, a hidden one was
taken off by a facilitator, and threads on an amendment's text are about another text.
Where each passage is, is resolved in the browser from the anchor's bytes (the server's
place, sent along, is what it shows while its own copy of the text is not there yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from persistence.comments import STANCES, CommentRecord, ThreadRecord
from persistence.repo import ArticleRecord, CharterRecord
from server.access import BADGES
from server.domain import anchors
from server.domain.comments import store
from server.services import Services

GROUPS = (*BADGES, "none")  # "none": a participant without a badge, or one who is gone


def _counts() -> dict[str, int]:
    return {s: 0 for s in STANCES}


@dataclass
class Tally:
    """The current stances on one thread, per badge of their authors."""

    by_badge: dict[str, dict[str, int]] = field(
        default_factory=lambda: {g: _counts() for g in GROUPS}
    )

    def add(self, badge: str | None, stance: str) -> None:
        self.by_badge[badge if badge in BADGES else "none"][stance] += 1

    def total(self) -> dict[str, int]:
        return {s: sum(c[s] for c in self.by_badge.values()) for s in STANCES}


def _person(comment: CommentRecord) -> str:
    """Who said it: the participant, or, once they are gone, the name they wrote under."""
    if comment.author_id is not None:
        return f"p{comment.author_id}"
    return f"name:{comment.author_name}"


def current_stances(thread: ThreadRecord) -> dict[str, CommentRecord]:
    """Each person's latest shown comment with a stance in the thread (comments come in
    the order they were written)."""
    latest: dict[str, CommentRecord] = {}
    for comment in thread.comments:
        if comment.visible and comment.stance in STANCES:
            latest[_person(comment)] = comment
    return latest


def tally(thread: ThreadRecord) -> Tally:
    counted = Tally()
    for comment in current_stances(thread).values():
        assert comment.stance is not None
        counted.add(comment.author_badge, comment.stance)
    return counted


def counted(thread: ThreadRecord) -> bool:
    """A thread the heat-map shows: open, on a passage of the article's own text."""
    return (
        thread.status == "open"
        and thread.anchor_start is not None
        and thread.amendment_id is None
        and not thread.hidden
    )


@dataclass(frozen=True)
class Passage:
    thread: ThreadRecord
    place: anchors.Place
    tally: Tally


async def article_stances(
    services: Services,
    resolvers: anchors.Resolvers,
    charter: CharterRecord,
    article: ArticleRecord,
) -> list[Passage]:
    """The article's counted threads in the order of its text, each with its stances."""
    found = await store(services).threads(
        charter.id, article_id=article.id, status="open", articles_only=True
    )
    shown = [t for t in found if counted(t)]
    where = await anchors.places(services, resolvers, shown)
    return [Passage(t, where[t.id], tally(t)) for t in anchors.in_document_order(shown, where)]
