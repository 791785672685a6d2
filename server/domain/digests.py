"""What a digest tells one participant: gathered once per charter, composed per person.

``gather`` reads a charter's state once (texts now and as each participant last saw them,
amendments, comments, open votes, follows); ``compose`` is pure: per followed article, the
word diff of its text since the participant's last visit or last digest (whichever is
later: both record a mark, server/domain/follows.py), the amendments proposed or decided
since, the replies to their comments and the @mentions of their name; then what is asked
of them (open votes of the room, open amendments they have not voted on). Grouped by
article, newest first, each event once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import anyio

from crdt.history import texts_at
from persistence.amendments import AmendmentRecord
from persistence.comments import CommentRecord, ThreadRecord
from persistence.follows import FollowRow, Mark, Preferences, Target, aware
from persistence.people import ParticipantRecord
from persistence.repo import ArticleRecord, CharterRecord
from persistence.votes import VoteRecord
from server.domain.follows import TextChange, current_marks, followed, text_change
from server.services import Services

DIGEST_HOUR = 6  # UTC: daily digests after this hour, weekly ones on Monday after it
CLOSED = ("accepted", "rejected", "withdrawn")
VOTERS = ("facilitator", "editor", "commenter")  # who may vote (server/access.py)


def after(at: datetime, since: datetime) -> bool:
    """``at`` is after ``since``; a time stored to the second (SQLite's clock) counts from
    the start of that second: an event is told twice rather than never."""
    at = aware(at)
    return at >= since.replace(microsecond=0) if at.microsecond == 0 else at > since


def boundary(frequency: str, now: datetime) -> datetime:
    """The last period boundary at or before ``now``."""
    day = now.astimezone(UTC).replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if day > now:
        day -= timedelta(days=1)
    if frequency == "weekly":
        day -= timedelta(days=day.weekday())
    return day


def period_key(frequency: str, now: datetime) -> str:
    """The digest period ``now`` is in: ``2026-12-05`` (daily), ``2026-W49`` (weekly)."""
    start = boundary(frequency, now)
    if frequency == "weekly":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.date().isoformat()


def period_length(frequency: str) -> timedelta:
    return timedelta(days=7 if frequency == "weekly" else 1)


@dataclass(frozen=True)
class AmendmentLine:
    amendment: AmendmentRecord
    state: str  # new | accepted | rejected | withdrawn
    at: datetime

    def counts(self) -> dict[str, int]:
        found = {"for": 0, "against": 0, "abstain": 0}
        for vote in self.amendment.votes:
            found[vote.choice] = found.get(vote.choice, 0) + 1
        return found


@dataclass(frozen=True)
class CommentLine:
    thread: ThreadRecord
    comment: CommentRecord
    mention: bool  # an @mention of them (else a reply in a thread they wrote in)


@dataclass(frozen=True)
class Asked:
    kind: str  # vote | amendment
    id: int
    article: ArticleRecord | None  # None: a vote on the whole charter
    title: str
    ends: datetime | None


@dataclass
class ArticleNews:
    article: ArticleRecord
    latest: datetime
    text: TextChange | None = None
    amendments: list[AmendmentLine] = field(default_factory=list)
    comments: list[CommentLine] = field(default_factory=list)


@dataclass
class Digest:
    charter: CharterRecord
    participant: ParticipantRecord
    since: datetime
    articles: list[ArticleNews]
    asked: list[Asked]
    followed: list[int]  # the followed articles (their marks move on once it is sent)

    @property
    def empty(self) -> bool:
        return not self.articles and not self.asked


@dataclass
class CharterData:
    """A charter's state, read once for every digest of a period."""

    charter: CharterRecord
    people: dict[int, ParticipantRecord]
    defaults: dict[int, set[Target]]
    rows: dict[int, list[FollowRow]]
    preferences: dict[int, Preferences]
    texts: dict[int, str]  # article id -> text now
    written: dict[int, datetime]  # article id -> last edit
    marks: dict[tuple[int, int], Mark]  # (participant, article) -> as they last saw it
    before: dict[tuple[int, bytes], str]  # (article, snapshot) -> the text then
    now_marks: dict[int, Mark]
    amendments: list[AmendmentRecord]
    decided: dict[int, datetime]  # amendment id -> when it was accepted, rejected, withdrawn
    threads: list[ThreadRecord]
    votes: list[VoteRecord]  # open ones

    @property
    def articles(self) -> dict[int, ArticleRecord]:
        return {a.id: a for _, a in self.charter.articles()}


async def gather(services: Services, charter: CharterRecord) -> CharterData:
    stores = services.stores
    found = [a for _, a in charter.articles()]
    ids = [a.id for a in found]
    rows: dict[int, list[FollowRow]] = defaultdict(list)
    for row in await stores.follows.rows(charter.id):
        rows[row.participant_id].append(row)
    marks = await stores.follows.marks(ids)
    texts, before = await _texts(services, found, marks)
    positions = await stores.follows.positions(a.document_id for a in found)
    people = await stores.people.list_participants(charter.id)
    return CharterData(
        charter,
        {p.id: p for p in people},
        await stores.follows.defaults(charter.id),
        rows,
        await stores.follows.preferences(charter.id),
        texts,
        {a.id: positions[a.document_id][1] for a in found if a.document_id in positions},
        marks,
        before,
        await current_marks(services, found),
        await stores.amendments.find(charter.id),
        await stores.follows.decided(charter.id, CLOSED),
        await stores.comments.threads(charter.id),
        await stores.votes.find(charter.id, status="open"),
    )


async def _texts(
    services: Services, found: list[ArticleRecord], marks: dict[tuple[int, int], Mark]
) -> tuple[dict[int, str], dict[tuple[int, bytes], str]]:
    """Each article's text now, and at each distinct snapshot of its marks."""
    wanted: dict[int, list[bytes]] = defaultdict(list)
    for (_, article_id), mark in marks.items():
        if mark.snapshot not in wanted[article_id]:
            wanted[article_id].append(mark.snapshot)
    texts: dict[int, str] = {}
    before: dict[tuple[int, bytes], str] = {}
    for article in found:
        doc = await services.article_doc(article.document_id)
        texts[article.id] = doc.text()
        snapshots = wanted.get(article.id, [])
        if snapshots:
            then = await anyio.to_thread.run_sync(texts_at, doc.full_update(), snapshots)
            before.update({(article.id, s): t for s, t in zip(snapshots, then, strict=True)})
    return texts, before


def compose(data: CharterData, participant_id: int, since: datetime) -> Digest:
    """Pure: the digest of one participant, for events after ``since``."""
    person = data.people[participant_id]
    follows = followed(
        data.charter, data.defaults.get(participant_id, set()), data.rows.get(participant_id, [])
    )
    articles = data.articles
    news: dict[int, ArticleNews] = {}

    def entry(article_id: int, at: datetime) -> ArticleNews:
        found = news.setdefault(article_id, ArticleNews(articles[article_id], at))
        found.latest = max(found.latest, at)
        return found

    for article_id in follows.articles:
        mark = data.marks.get((participant_id, article_id))
        if mark is None:
            continue
        before = data.before[(article_id, mark.snapshot)]
        change = text_change(articles[article_id], before, data.texts[article_id], mark.at)
        if change is not None:
            entry(article_id, data.written.get(article_id, mark.at)).text = change
    for line in _amendment_lines(data, follows.articles, follows.amendments, since):
        entry(line.amendment.article_id, line.at).amendments.append(line)
    for comment_line in _comment_lines(data, person, since):
        entry(
            comment_line.thread.article_id, aware(comment_line.comment.created_at)
        ).comments.append(comment_line)
    for item in news.values():
        item.amendments.sort(key=lambda a: (a.at, a.amendment.id), reverse=True)
        item.comments.sort(key=lambda c: c.comment.id, reverse=True)
    ordered = sorted(news.values(), key=lambda n: n.latest, reverse=True)
    asked = _asked(data, person, set(follows.articles)) if person.role in VOTERS else []
    return Digest(data.charter, person, since, ordered, asked, sorted(follows.articles))


def _amendment_lines(
    data: CharterData, article_ids: dict[int, str], amendment_ids: dict[int, str], since: datetime
) -> list[AmendmentLine]:
    found = []
    for amendment in data.amendments:
        if amendment.article_id not in article_ids and amendment.id not in amendment_ids:
            continue
        if amendment.article_id not in data.articles or amendment.status == "draft":
            continue
        decided = data.decided.get(amendment.id)
        if decided is not None and after(decided, since) and amendment.status in CLOSED:
            found.append(AmendmentLine(amendment, amendment.status, decided))
        elif amendment.status == "open" and after(amendment.created_at, since):
            found.append(AmendmentLine(amendment, "new", aware(amendment.created_at)))
    return found


def mentions(body: str, name: str) -> bool:
    return re.search(rf"@{re.escape(name)}(?!\w)", body, re.IGNORECASE) is not None


def _comment_lines(
    data: CharterData, person: ParticipantRecord, since: datetime
) -> list[CommentLine]:
    found = []
    for thread in data.threads:
        if thread.article_id not in data.articles or thread.hidden:
            continue
        wrote = False
        for comment in thread.comments:
            mine = comment.author_id == person.id
            fresh = after(comment.created_at, since) and comment.visible and not mine
            if fresh and (wrote or mentions(comment.body, person.name)):
                found.append(CommentLine(thread, comment, mentions(comment.body, person.name)))
            wrote = wrote or mine
    return found


def _asked(data: CharterData, person: ParticipantRecord, article_ids: set[int]) -> list[Asked]:
    found = []
    articles = data.articles
    for vote in data.votes:
        about = vote.article_id in article_ids or vote.subject == "charter"
        if not about or any(b.participant_id == person.id for b in vote.ballots):
            continue
        article = articles.get(vote.article_id) if vote.article_id else None
        title = article.title if article else data.charter.title
        ends = aware(vote.closes_at) if vote.closes_at else None
        found.append(Asked("vote", vote.id, article, title, ends))
    for amendment in data.amendments:
        if amendment.status != "open" or amendment.article_id not in article_ids:
            continue
        voted = any(v.participant_id == person.id for v in amendment.votes)
        if voted or person.id in amendment.authors:
            continue
        found.append(
            Asked("amendment", amendment.id, articles[amendment.article_id], amendment.title, None)
        )
    return sorted(found, key=lambda a: (a.ends is None, a.ends or datetime.max.replace(tzinfo=UTC)))
