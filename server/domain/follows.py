"""What a participant follows, how they want to hear of it, and "since your last visit".

A participant follows, without asking, the articles they wrote in, commented on or voted on
(an amendment of it, or in a vote of the room on it) and the amendments they proposed,
co-wrote or voted on. They may follow the whole charter, a section, an article or an
amendment, and mute what they follow by default. Following the charter or a section
follows each of its articles (unless muted one by one).

Each visit of an article (and each digest that showed its changes) records the text as they
saw it: a snapshot (crdt/history.py) and the update log's position. What changed since is
the word diff between that text and today's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio

from crdt.history import Change, changes, snapshot_of, texts_at
from persistence.contributions import Bound
from persistence.follows import FREQUENCIES, KINDS, FollowRow, Mark, Preferences, Target
from persistence.repo import ArticleRecord, CharterRecord, NotFound
from server.access import Principal
from server.errors import Forbidden, Invalid, NotFoundError
from server.services import Services

_WORD = re.compile(r"\S+")


@dataclass
class Followed:
    """What one participant follows in one charter, and why."""

    articles: dict[int, str] = field(default_factory=dict)  # id -> explicit|default|section|charter
    amendments: dict[int, str] = field(default_factory=dict)  # id -> explicit|default
    explicit: set[Target] = field(default_factory=set)
    muted: set[Target] = field(default_factory=set)
    defaults: set[Target] = field(default_factory=set)


def followed(charter: CharterRecord, defaults: set[Target], rows: list[FollowRow]) -> Followed:
    """Pure: the articles and amendments followed, from the defaults and the rows."""
    found = Followed(defaults=set(defaults))
    found.muted = {(r.kind, r.target_id) for r in rows if r.muted}
    found.explicit = {(r.kind, r.target_id) for r in rows if not r.muted}
    whole = ("charter", charter.id) in found.explicit
    for section, article in charter.articles():
        target = ("article", article.id)
        if target in found.muted:
            continue
        if target in found.explicit:
            found.articles[article.id] = "explicit"
        elif target in defaults:
            found.articles[article.id] = "default"
        elif ("section", section.id) in found.explicit:
            found.articles[article.id] = "section"
        elif whole:
            found.articles[article.id] = "charter"
    for kind, target_id in found.explicit | defaults:
        if kind == "amendment" and (kind, target_id) not in found.muted:
            origin = "explicit" if (kind, target_id) in found.explicit else "default"
            found.amendments[target_id] = origin
    return found


async def of_participant(
    services: Services, charter: CharterRecord, participant_id: int
) -> Followed:
    store = services.stores.follows
    defaults = (await store.defaults(charter.id)).get(participant_id, set())
    return followed(charter, defaults, await store.rows(charter.id, participant_id))


def participant_of(who: Principal) -> int:
    """Follows and preferences belong to participants: not the administrator, nor readers
    of a public charter without an invite."""
    if who.participant_id is None:
        raise Forbidden("only a participant of this charter follows its articles")
    return who.participant_id


async def target_of(services: Services, charter: CharterRecord, kind: str, ref: object) -> int:
    """The id of what ``kind``/``ref`` names in this charter (an article by its key)."""
    if kind not in KINDS:
        raise Invalid(f"kind: one of {', '.join(KINDS)}", field="kind")
    if kind == "charter":
        return charter.id
    if kind == "article":
        found = next((a.id for _, a in charter.articles() if a.key == ref), None)
    elif kind == "section":
        found = next((s.id for s in charter.sections if s.id == ref), None)
    else:
        try:
            found = (await services.amendments.get(charter.id, int(str(ref)))).id
        except (NotFound, ValueError):
            found = None
    if found is None:
        raise NotFoundError(f"no {kind} {ref!r} in this charter")
    return found


async def set_follow(
    services: Services, charter: CharterRecord, participant_id: int, target: Target, on: bool
) -> None:
    """Follow (explicitly) or stop following (muting a default or a wider follow)."""
    store = services.stores.follows
    current = await of_participant(services, charter, participant_id)
    kind, target_id = target
    if on:
        await store.put(charter.id, FollowRow(participant_id, kind, target_id, "explicit", False))
        return
    origin = "default" if target in current.defaults else "explicit"
    wider = kind in ("article", "amendment")
    if target in current.defaults or wider:
        await store.put(charter.id, FollowRow(participant_id, kind, target_id, origin, True))
    else:
        await store.drop(participant_id, kind, target_id)


async def preferences(
    services: Services, charter: CharterRecord, participant_id: int
) -> Preferences:
    found = await services.stores.follows.preferences(charter.id)
    return found.get(participant_id, Preferences(participant_id))


async def set_preferences(
    services: Services, participant_id: int, frequency: object, instant: object
) -> None:
    if frequency not in FREQUENCIES:
        raise Invalid(f"frequency: one of {', '.join(FREQUENCIES)}", field="frequency")
    if not isinstance(instant, bool):
        raise Invalid("instant_replies: true or false", field="instant_replies")
    await services.stores.follows.set_preferences(participant_id, str(frequency), instant)


# -- the text as they last saw it --


@dataclass
class TextChange:
    """An article's text since someone last saw it."""

    article: ArticleRecord
    changes: list[Change]
    before: str
    added: int  # words
    removed: int
    since: datetime
    who: list[str] = field(default_factory=list)  # who wrote since, most edits first


def words(before: str, found: list[Change]) -> tuple[int, int]:
    added = removed = at = 0
    for kind, value in found:
        if kind == "=":
            at += int(value)
        elif kind == "-":
            removed += len(_WORD.findall(before[at : at + int(value)]))
            at += int(value)
        else:
            added += len(_WORD.findall(str(value)))
    return added, removed


def text_change(
    article: ArticleRecord, before: str, after: str, since: datetime
) -> TextChange | None:
    """Pure: the word diff from ``before`` to ``after``; None when nothing changed."""
    if before == after:
        return None
    found = changes(before, after)
    added, removed = words(before, found)
    return TextChange(article, found, before, added, removed, since)


async def current_marks(services: Services, found: list[ArticleRecord]) -> dict[int, Mark]:
    """The text of each article as it is now, as a mark to record (by article id)."""
    positions = await services.stores.follows.positions(a.document_id for a in found)
    at = datetime.now(UTC)
    marks = {}
    for article in found:
        doc = await services.article_doc(article.document_id)
        position = positions.get(article.document_id, (0, at))[0]
        marks[article.id] = Mark(position, snapshot_of(doc), at)
    return marks


async def visit(services: Services, article: ArticleRecord, participant_id: int) -> None:
    mark = (await current_marks(services, [article]))[article.id]
    await services.stores.follows.put_marks([(participant_id, article.id, mark)])


async def visit_all(services: Services, charter: CharterRecord, participant_id: int) -> None:
    """The participant has seen the whole charter's text as it is now (its page's panel)."""
    found = [a for _, a in charter.articles()]
    marks = await current_marks(services, found)
    await services.stores.follows.put_marks((participant_id, a, m) for a, m in marks.items())


async def since_all(
    services: Services, charter: CharterRecord, participant_id: int
) -> list[TextChange]:
    """What changed in each article this participant saw before, in the charter's order."""
    found = []
    for _, article in charter.articles():
        change = await since_visit(services, charter, article, participant_id)
        if change is not None:
            found.append(change)
    return found


async def since_visit(
    services: Services, charter: CharterRecord, article: ArticleRecord, participant_id: int
) -> TextChange | None:
    """What changed in the article's text since this participant last saw it (None: they
    never did, or nothing changed)."""
    marks = await services.stores.follows.marks([article.id], participant_id)
    mark = marks.get((participant_id, article.id))
    if mark is None:
        return None
    doc = await services.article_doc(article.document_id)
    full, after = doc.full_update(), doc.text()
    before = (await anyio.to_thread.run_sync(texts_at, full, [mark.snapshot]))[0]
    found = text_change(article, before, after, mark.at)
    if found is not None:
        since = Bound(mark.position, mark.at)
        made = await services.stores.contributions.between([article.document_id], since, None)
        found.who = [c.name for c in sorted(made, key=lambda c: -c.edits)]
    return found
