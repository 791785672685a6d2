"""Who wrote what, for people: an article's text as runs of authors (with their badges),
the share of its words written by citizens, elected officials and organisers, and by
amendment or live; the same summed over a charter. Computed from the live text (the room's
if it is loaded) and what the store knows of authors (crdt/authors.py)."""

from __future__ import annotations

import hashlib
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio

from crdt.article import ArticleDoc
from crdt.authors import (
    UNKNOWN,
    WORD,
    Authorship,
    Origin,
    character_ids,
    clocks_of,
    runs,
    word_ids,
)
from crdt.history import changes, state_at, steps_of, texts_at
from crdt.protocol import read_state_vector
from persistence.amendments import AmendmentRecord
from persistence.comments import ThreadRecord
from persistence.people import ParticipantRecord
from persistence.repo import ArticleRecord, CharterRecord, NotFound
from persistence.versions import VersionRecord
from persistence.votes import VoteRecord
from server.domain.anchors import Place, Resolvers, places
from server.identity import PALETTE, color_for
from server.services import Services

BADGES = ("citizen", "elected", "organiser")
IDS_KEPT = 256  # states of articles whose item ids are kept (the heavy part)

_ids: OrderedDict[tuple[str, int, bytes], list[tuple[int, int]]] = OrderedDict()


async def _cached_ids(
    what: str, document_id: int, state: bytes, read: Callable[[bytes], list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    """Item ids read from an article's full state (``character_ids`` or ``word_ids``):
    kept for the latest states, computed off the event loop (one pycrdt lookup each)."""
    # By a digest of the whole state: a deletion leaves the state vector as it was.
    key = (what, document_id, hashlib.blake2b(state, digest_size=16).digest())
    found = _ids.get(key)
    if found is None:
        found = await anyio.to_thread.run_sync(read, state)
        _ids[key] = found
        while len(_ids) > IDS_KEPT:
            _ids.popitem(last=False)
    else:
        _ids.move_to_end(key)
    return found


async def authorship_of(services: Services, *document_ids: int) -> Authorship:
    """Who wrote the documents' characters, as the store keeps it."""
    stored = await services.stores.authors.of(*document_ids)
    return Authorship.of(stored.clients, stored.ranges)


def _badge(person: ParticipantRecord | None) -> str:
    return person.badge if person is not None and person.badge in BADGES else "none"


def person_json(person: ParticipantRecord) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "badge": person.badge,
        "color": color_for(person.id),
        "shade": person.id % len(PALETTE),  # the editor's highlight of this colour
    }


def _origin_json(origin: Origin) -> dict[str, Any]:
    return {"participant": origin.participant_id, "amendment": origin.amendment_id}


class Summary:
    """Words counted by person, badge and way (live writing or an amendment)."""

    def __init__(self) -> None:
        self.words = 0
        self.by_person: Counter[int | None] = Counter()
        self.by_badge: Counter[str] = Counter({b: 0 for b in (*BADGES, "none")})
        self.by_way: Counter[str] = Counter({"live": 0, "amendment": 0})

    def add(self, origins: list[Origin], people: dict[int, ParticipantRecord]) -> None:
        for origin in origins:
            self.words += 1
            person = people.get(origin.participant_id) if origin.participant_id else None
            self.by_person[origin.participant_id if person is not None else None] += 1
            self.by_badge[_badge(person)] += 1
            self.by_way["amendment" if origin.amendment_id is not None else "live"] += 1

    def to_json(self, people: dict[int, ParticipantRecord]) -> dict[str, Any]:
        ranked = sorted(
            ((pid, n) for pid, n in self.by_person.items() if pid is not None),
            key=lambda item: (-item[1], people[item[0]].name),
        )
        return {
            "words": self.words,
            "by_badge": dict(self.by_badge),
            "by_way": dict(self.by_way),
            "by_person": [{**person_json(people[pid]), "words": n} for pid, n in ranked],
            "unknown": self.by_person.get(None, 0),
        }


async def _people(services: Services, charter: CharterRecord) -> dict[int, ParticipantRecord]:
    return {p.id: p for p in await services.people.list_participants(charter.id)}


async def _words(
    services: Services, document_id: int, state: bytes, authorship: Authorship | None = None
) -> list[Origin]:
    """The origin of each word of an article's state (live, or a version's): whoever
    began it."""
    if authorship is None:
        authorship = await authorship_of(services, document_id)
    ids = await _cached_ids("words", document_id, state, word_ids)
    return [authorship.origin(client, clock) for client, clock in ids]


async def article_authors(
    services: Services, charter: CharterRecord, article: ArticleRecord
) -> dict[str, Any]:
    """The article's authors now: runs over its text (UTF-16 units, as the editor counts),
    the clients and ranges the editor colours live text with, the people, the summary."""
    authorship = await authorship_of(services, article.document_id)
    people = await _people(services, charter)
    doc = await services.article_doc(article.document_id)
    state = doc.full_update()
    ids = await _cached_ids("characters", article.document_id, state, character_ids)
    found = runs(ids, authorship)
    summary = Summary()
    summary.add(await _words(services, article.document_id, state, authorship), people)
    # Every client of the text is named, those nobody is known for too (an import, text
    # from before authors were recorded): the editor asks again only for new ones.
    clients = {c: authorship.clients.get(c, UNKNOWN) for c in read_state_vector(doc.state_vector())}
    clients.update(authorship.clients)
    origins = [*authorship.clients.values()]
    origins += [span[2] for spans in authorship.ranges.values() for span in spans]
    named = {o.participant_id for o in origins if o.participant_id is not None}
    return {
        "article": article.key,
        "runs": [{"start": r.start, "end": r.end, **_origin_json(r.origin)} for r in found],
        "clients": {str(c): _origin_json(o) for c, o in clients.items()},
        "ranges": [
            {"client": c, "start": start, "end": end, **_origin_json(origin)}
            for c, spans in authorship.ranges.items()
            for start, end, origin in spans
        ],
        "people": [person_json(people[p]) for p in sorted(named) if p in people],
        "summary": summary.to_json(people),
    }


async def charter_authors(
    services: Services, charter: CharterRecord, version: VersionRecord | None = None
) -> dict[str, Any]:
    """The share of the charter's words by person, badge and way, overall and per article:
    of the live text, or of a saved version (its articles that still exist)."""
    people = await _people(services, charter)
    overall = Summary()
    articles = []
    documents = {a.key: a.document_id for _, a in charter.articles()}
    if version is None:
        states = [
            (
                a.key,
                a.title,
                a.document_id,
                (await services.article_doc(a.document_id)).full_update(),
            )
            for _, a in charter.articles()
        ]
    else:
        states = [
            (a.article_key, a.article_title, documents[a.article_key], a.state)
            for a in version.articles
            if a.article_key in documents
        ]
    for key, title, document_id, state in states:
        origins = await _words(services, document_id, state)
        overall.add(origins, people)
        own = Summary()
        own.add(origins, people)
        articles.append({"id": key, "title": title, **own.to_json(people)})
    return {"summary": overall.to_json(people), "articles": articles}


def shares(summary: dict[str, Any]) -> dict[str, str]:
    """A summary's shares as percentages, for sentences (``authors_share``)."""
    words = summary["words"]

    def percent(part: int) -> str:
        return f"{round(100 * part / words) if words else 0}\u00a0%"

    return {
        "citizen": percent(summary["by_badge"]["citizen"]),
        "elected": percent(summary["by_badge"]["elected"]),
        "organiser": percent(summary["by_badge"]["organiser"]),
        "amendment": percent(summary["by_way"]["amendment"]),
    }


@dataclass
class Why:
    """Where a passage of the live text comes from."""

    start: int  # UTF-16 units of the live text
    end: int
    text: str
    origins: list[Origin]  # in the order they first appear in the passage
    people: dict[int, ParticipantRecord]
    amendments: list[AmendmentRecord]
    first_version: VersionRecord | None  # the first named version holding all of it
    threads: list[tuple[ThreadRecord, Place]]
    votes: list[VoteRecord] = field(default_factory=list)  # of the room, on it or the charter


async def why(
    services: Services,
    resolvers: Resolvers,
    charter: CharterRecord,
    article: ArticleRecord,
    start: int,
    end: int,
) -> Why:
    """Who wrote the passage [start, end) of the live text (a caret: its sentence), the
    amendment that brought its words, the first named version that held it (the workshop
    it comes from) and the discussions on it."""
    doc = await services.article_doc(article.document_id)
    text16 = doc.text().encode("utf-16-le")
    units = len(text16) // 2
    start, end = max(0, min(start, units)), max(0, min(end, units))
    if end <= start:
        start, end = _sentence(doc.text(), start)
    state = doc.full_update()
    ids = (await _cached_ids("characters", article.document_id, state, character_ids))[start:end]
    authorship = await authorship_of(services, article.document_id)
    origins: list[Origin] = []
    for client, clock in ids:
        origin = authorship.origin(client, clock)
        if origin not in origins:
            origins.append(origin)
    people = await _people(services, charter)
    amendments = []
    for number in sorted({o.amendment_id for o in origins if o.amendment_id is not None}):
        try:
            amendments.append(await services.amendments.get(charter.id, number))
        except NotFound:
            continue  # its article was deleted and the amendment with it
    first = await _first_version(services, charter, article, ids)
    threads = await services.stores.comments.threads(
        charter.id, article_id=article.id, articles_only=True
    )
    where = await places(services, resolvers, threads)
    overlapping = [
        (t, where[t.id])
        for t in threads
        if where[t.id].state == "attached"
        and (where[t.id].start or 0) < end
        and (where[t.id].end or 0) > start
    ]
    passage = text16[start * 2 : end * 2].decode("utf-16-le", errors="replace")
    votes = await services.stores.votes.find(charter.id, status="closed")
    on_it = [v for v in votes if v.subject == "charter" or v.article_id == article.id]
    return Why(start, end, passage, origins, people, amendments, first, overlapping, on_it)


async def _first_version(
    services: Services, charter: CharterRecord, article: ArticleRecord, ids: list[tuple[int, int]]
) -> VersionRecord | None:
    """The first named version whose state holds every character of the passage (else the
    first automatic one). A character's item, once in a state, is in every later one; and
    a character visible now was never deleted (a deletion is for good): holding the item
    is holding the character."""
    if not ids:
        return None
    found_auto = None
    for version, state in await services.stores.versions.of_article(charter.id, article.key):
        clocks = clocks_of(state)
        if all(clocks.get(client, 0) > clock for client, clock in ids):
            if version.kind == "manual":
                return version
            found_auto = found_auto or version
    return found_auto


def _sentence(text: str, at: int) -> tuple[int, int]:
    """The sentence around UTF-16 unit ``at``: from after the previous full stop (or line)
    to the next one, included."""
    units = text.encode("utf-16-le")
    chars = [
        units[i : i + 2].decode("utf-16-le", errors="replace") for i in range(0, len(units), 2)
    ]
    start = at
    while start > 0 and chars[start - 1] not in ".!?\n":
        start -= 1
    while start < len(chars) and chars[start] == " ":
        start += 1
    end = at
    while end < len(chars) and chars[end] not in ".!?\n":
        end += 1
    if end < len(chars) and chars[end] != "\n":
        end += 1
    return start, end


@dataclass
class ArticleOrigins:
    """Where one article of a charter (live, or at a version) comes from."""

    key: str
    title: str
    summary: dict[str, Any]  # ``Summary.to_json``: words by person, badge and way
    amendments: list[AmendmentRecord]  # accepted into it (by then), oldest first
    threads: int  # discussions on it (by then), and how many of them are resolved
    resolved: int


async def origins(
    services: Services, charter: CharterRecord, version: VersionRecord | None = None
) -> list[ArticleOrigins]:
    """For each article: who wrote its words (by person, badge and way), the amendments
    accepted into it and the discussions on it — the charter's annex of origins. At a
    version: what it held, and what had been decided and discussed by then."""
    authors = await charter_authors(services, charter, version)
    accepted = await services.amendments.find(charter.id, status="accepted")
    threads = await services.stores.comments.threads(charter.id, articles_only=True)
    ids = {a.key: a.id for _, a in charter.articles()}
    found = []
    for item in authors["articles"]:
        article_id = ids.get(item["id"])
        merged = [
            a
            for a in accepted
            if a.article_id == article_id
            and (version is None or (a.version_after_id or 0) <= version.id)
        ]
        talk = [
            t
            for t in threads
            if t.article_id == article_id
            and not t.hidden
            and (version is None or t.created_at <= version.created_at)
        ]
        summary = {k: v for k, v in item.items() if k not in ("id", "title")}
        found.append(
            ArticleOrigins(
                item["id"],
                item["title"],
                summary,
                sorted(merged, key=lambda a: a.id),
                len(talk),
                sum(1 for t in talk if t.status == "resolved"),
            )
        )
    return found


@dataclass
class History:
    """An article's drafting history: its steps (position, time, snapshot, who wrote) and
    the saved versions on it, each at the step that reads like it."""

    steps: list[tuple[int, datetime, bytes, tuple[int, ...], str]]
    marks: list[tuple[VersionRecord, int | None]]  # a version and its step's position


async def history(services: Services, charter: CharterRecord, article: ArticleRecord) -> History:
    """The steps compaction kept, then those of the rows not folded yet (computed now)."""
    kept, base, rows, breaks = await services.store.history_of(article.document_id)
    live = await anyio.to_thread.run_sync(steps_of, base, rows, breaks) if rows else []
    found = kept + live
    positions = [position for position, _, _, _, _ in found]
    marks = []
    for version, _ in await services.stores.versions.of_article(charter.id, article.key):
        at = version.log_position
        before = [p for p in positions if at is not None and p <= at]
        marks.append((version, before[-1] if before else None))
    return History(found, marks)


async def state_at_step(
    services: Services,
    article: ArticleRecord,
    steps: list[tuple[int, datetime, bytes, tuple[int, ...], str]],
    position: int,
) -> ArticleDoc | None:
    """The article as it read at the step ending at ``position`` (None: no such step)."""
    step = next((s for s in steps if s[0] == position), None)
    if step is None:
        return None
    live = await services.article_doc(article.document_id)
    return await anyio.to_thread.run_sync(state_at, live.full_update(), step[2])


async def drafting_log(
    services: Services, charter: CharterRecord, version: VersionRecord | None = None
) -> dict[str, Any]:
    """The open data's drafting log: for each article, its steps in order (time to the
    minute, authors by pseudonym and badge, words inserted and deleted, and the changes
    that replay it exactly from the step before: docs/drafting-log.md). At a version: the
    steps up to it. Pseudonyms ("P1", "P2", …) are stable within one log; with the
    charter's ``open_data_names`` setting, the authors' names instead."""
    people = await _people(services, charter)
    pseudonyms: dict[int, str] = {}
    articles = []
    for _, article in charter.articles():
        past = await history(services, charter, article)
        chosen = [
            step
            for step in past.steps
            if version is None or version.log_position is None or step[0] <= version.log_position
        ]
        if not chosen:
            continue
        live = await services.article_doc(article.document_id)
        texts = await anyio.to_thread.run_sync(
            texts_at, live.full_update(), [snapshot for _, _, snapshot, _, _ in chosen]
        )
        steps = []
        before = ""
        for (_, at, _, who, _), text in zip(chosen, texts, strict=True):
            found = changes(before, text)
            for participant in who:
                named = charter.open_data_names and participant in people
                pseudonyms.setdefault(
                    participant,
                    people[participant].name if named else f"P{len(pseudonyms) + 1}",
                )
            inserted, deleted = _words_changed(before, found)
            steps.append(
                {
                    "at": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ"),
                    "authors": [pseudonyms[p] for p in who],
                    "inserted_words": inserted,
                    "deleted_words": deleted,
                    "changes": [[kind, value] for kind, value in found],
                }
            )
            before = text
        articles.append({"id": article.key, "title": article.title, "steps": steps})
    authors = [
        {"name": name, "badge": people[p].badge if p in people else None}
        for p, name in pseudonyms.items()
    ]
    return {
        "format": "charter-drafting-log",
        "format_version": 1,
        "authors_are": "names" if charter.open_data_names else "pseudonyms",
        "authors": authors,
        "articles": articles,
    }


def _words_changed(before: str, found: list[tuple[str, int | str]]) -> tuple[int, int]:
    """The words a step's changes insert, and those they delete from ``before``."""
    inserted = deleted = at = 0
    for kind, value in found:
        if kind == "+":
            inserted += len(WORD.findall(str(value)))
        elif kind == "-":
            deleted += len(WORD.findall(before[at : at + int(value)]))
            at += int(value)
        else:
            at += int(value)
    return inserted, deleted
