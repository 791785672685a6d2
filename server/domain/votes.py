"""Live votes of the room: a facilitator opens one on an article, the whole charter or a
bundle of amendments of one article; participants cast a ballot from their phones, change
or withdraw it while it is open; it closes by a facilitator's hand or at its end.

The result is recorded with the text it was about: an automatic version is saved when the
vote opens, and another when it closes if that text changed meanwhile. Every step is an
event on the charter's channel; a secret vote's events carry counts only, never names.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from persistence.repo import CharterRecord, NotFound
from persistence.votes import SCALES, NewVote, VoteRecord
from server.access import Principal
from server.domain import rounds
from server.domain.versions import auto_version, entries, live_articles
from server.errors import ConflictError, Forbidden, Invalid, NotFoundError
from server.i18n import content_language, translate
from server.services import Services

log = logging.getLogger("charter.votes")

MIN_SECONDS, MAX_SECONDS = 5, 4 * 3600
MAX_QUESTION = 500


@dataclass(frozen=True)
class Subject:
    kind: str  # article | charter | bundle
    article_id: int | None = None
    title: str = ""
    amendments: list[int] | None = None


@dataclass(frozen=True)
class Opening:
    """What a facilitator asks for, checked (``server/api/votes.py``)."""

    subject: object  # checked by ``subject_of``
    scale: str
    secret: bool
    duration_seconds: int | None
    question: str | None


def now() -> datetime:
    return datetime.now(UTC)


async def subject_of(services: Services, charter: CharterRecord, raw: object) -> Subject:
    """``{"kind": "article", "article": key}``, ``{"kind": "charter"}`` or ``{"kind":
    "bundle", "article": key, "amendments": [ids]}`` (open amendments of that article)."""
    if not isinstance(raw, dict) or raw.get("kind") not in ("article", "charter", "bundle"):
        raise Invalid(
            "subject must be an object whose kind is article, charter or bundle", field="subject"
        )
    if raw["kind"] == "charter":
        return Subject("charter", title=charter.title)
    key = raw.get("article")
    article = next((a for _, a in charter.articles() if a.key == key), None)
    if article is None:
        raise Invalid(
            "subject.article must be the id of an article of this charter", field="subject"
        )
    if raw["kind"] == "article":
        return Subject("article", article.id, article.title)
    ids = raw.get("amendments")
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > 100
        or any(isinstance(i, bool) or not isinstance(i, int) for i in ids)
        or len(set(ids)) != len(ids)
    ):
        raise Invalid(
            "subject.amendments must be a list of distinct amendment ids", field="subject"
        )
    open_ones = await services.amendments.find(charter.id, article_id=article.id, status="open")
    missing = set(ids) - {a.id for a in open_ones}
    if missing:
        raise Invalid(
            f"not open amendments of this article: {sorted(missing)}", field="subject.amendments"
        )
    return Subject("bundle", article.id, article.title, ids)


def _subject_words(charter: CharterRecord, kind: str, title: str) -> str:
    lang = content_language(charter.language)
    short = title if len(title) <= 100 else title[:99] + "…"
    return translate(lang, f"vote_subject_{kind}", title=short)


async def open_vote(
    services: Services, charter: CharterRecord, principal: Principal, opening: Opening
) -> VoteRecord:
    """One open vote per charter at a time: the room decides one thing at once."""
    subject = await subject_of(services, charter, opening.subject)
    if await services.stores.votes.find(charter.id, status="open"):
        await close_due(services, charter)
        if await services.stores.votes.find(charter.id, status="open"):
            raise ConflictError("a vote is already open: close it first")
    words = _subject_words(charter, subject.kind, subject.title)
    before = await auto_version(
        services,
        charter,
        translate(content_language(charter.language), "version_before_vote", subject=words),
        principal,
    )
    opened = now()
    record = await services.stores.votes.create(
        NewVote(
            charter.id,
            subject.kind,
            subject.article_id,
            subject.amendments,
            opening.question,
            opening.scale,
            opening.secret,
            principal.name,
            opened,
            None
            if opening.duration_seconds is None
            else opened + timedelta(seconds=opening.duration_seconds),
            before,
        )
    )
    if record is None:
        raise ConflictError("a vote is already open: close it first")
    services.publish(charter.id, event("opened", record))
    return record


async def get(services: Services, charter: CharterRecord, vote_id: int) -> VoteRecord:
    """The vote, closed first if its end is past (a restart leaves none open forever)."""
    try:
        record = await services.stores.votes.get(charter.id, vote_id)
    except NotFound as exc:
        raise NotFoundError(f"no vote {vote_id} in this charter") from exc
    if record.due(now()):
        return await close(services, charter, record, None)
    return record


async def listed(services: Services, charter: CharterRecord) -> list[VoteRecord]:
    await close_due(services, charter)
    return await services.stores.votes.find(charter.id)


async def close_due(services: Services, charter: CharterRecord) -> None:
    at = now()
    for record in await services.stores.votes.find(charter.id, status="open"):
        if record.due(at):
            await close(services, charter, record, None)


async def ballot(
    services: Services,
    charter: CharterRecord,
    record: VoteRecord,
    principal: Principal,
    choice: str | None,
) -> VoteRecord:
    if principal.participant_id is None:
        raise Forbidden("only participants vote")
    if choice is not None and choice not in SCALES[record.scale]:
        raise Invalid(
            f"choice must be one of {', '.join(SCALES[record.scale])} or null", field="choice"
        )
    if record.status != "open":
        raise ConflictError("this vote is closed")
    taken = await services.stores.votes.ballot(record.id, principal.participant_id, choice, now())
    if not taken:
        await get(services, charter, record.id)  # closes it if it ended
        raise ConflictError("this vote is closed")
    fresh = await services.stores.votes.get(charter.id, record.id)
    services.publish(charter.id, event("ballot", fresh))
    return fresh


async def close(
    services: Services, charter: CharterRecord, record: VoteRecord, principal: Principal | None
) -> VoteRecord:
    """Close it once: whoever wins the ``UPDATE`` records the outcome and tells the room;
    the others get it as it stands (a facilitator closing a closed vote: a conflict)."""
    at = min(now(), record.closes_at) if record.closes_at else now()
    if not await services.stores.votes.close(record.id, at):
        if principal is not None:
            raise ConflictError("this vote is already closed")
        return await services.stores.votes.get(charter.id, record.id)
    full = await services.repo.get_charter(charter.slug)
    changed = await text_changed(services, full, record)
    after = None
    if changed:
        words = _subject_words(full, record.subject, record.article_title or full.title)
        after = await auto_version(
            services,
            full,
            translate(content_language(full.language), "version_after_vote", subject=words),
            principal,
        )
    await services.stores.votes.set_outcome(record.id, changed, after)
    fresh = await services.stores.votes.get(charter.id, record.id)
    log.info("vote closed charter=%d vote=%d changed=%s", charter.id, record.id, changed)
    services.publish(charter.id, event("closed", fresh))
    return fresh


async def text_changed(services: Services, charter: CharterRecord, record: VoteRecord) -> bool:
    """Whether the text the vote was about differs now from the version saved at opening:
    the article's text (an article, a bundle), or any article's title or text (the charter)."""
    if record.version_before_id is None:
        return False
    saved = await services.stores.versions.get(charter.id, record.version_before_id)
    texts: dict[bytes, str] = {}
    old = entries(saved.articles, texts)
    new = entries(await live_articles(charter, services.article_doc), texts)
    if record.subject == "charter":
        shape = [(e.key, e.title, e.text) for e in old]
        return shape != [(e.key, e.title, e.text) for e in new]
    key = record.article_key
    return [e.text for e in old if e.key == key] != [e.text for e in new if e.key == key]


# The fewest ballots a badge shows separately in a secret vote.
SECRET_GROUP = 3


def vote_json(record: VoteRecord, participant_id: int | None = None) -> dict[str, Any]:
    """The vote as the API, the events and the export show it: names only when public;
    ``mine``: the asking participant's own ballot."""
    found: dict[str, Any] = {
        "id": record.id,
        "subject": subject_json(record),
        "question": record.question,
        "scale": record.scale,
        "choices": list(SCALES[record.scale]),
        "secret": record.secret,
        "status": record.status,
        "opened_by": record.opened_by,
        "opened_at": record.opened_at.isoformat(),
        "closes_at": record.closes_at.isoformat() if record.closes_at else None,
        "closed_at": record.closed_at.isoformat() if record.closed_at else None,
        "version_before": record.version_before_id,
        "version_after": record.version_after_id,
        "text_changed": record.text_changed,
        "ballots": len(record.ballots),
        "counts": record.counts(),
        "by_badge": by_badge(record),
        "voters": None
        if record.secret
        else [{"name": b.name, "badge": b.badge, "choice": b.choice} for b in record.ballots],
    }
    if participant_id is not None:
        found["mine"] = next(
            (b.choice for b in record.ballots if b.participant_id == participant_id), None
        )
    return found


def by_badge(record: VoteRecord) -> dict[str, dict[str, int]] | None:
    """Counts per badge; for a secret vote only while every badge that voted has at least
    ``SECRET_GROUP`` ballots: the one elected official of a room would otherwise be seen."""
    split = record.by_badge()
    if record.secret and any(sum(row.values()) < SECRET_GROUP for row in split.values()):
        return None
    return split


def subject_json(record: VoteRecord) -> dict[str, Any]:
    if record.subject == "charter":
        return {"kind": "charter"}
    found: dict[str, Any] = {
        "kind": record.subject,
        "article": record.article_key,
        "title": record.article_title,
    }
    if record.subject == "bundle":
        found["amendments"] = record.amendments
    return found


def event(kind: str, record: VoteRecord) -> dict[str, Any]:
    """What the charter channel carries: the vote without anyone's own ballot."""
    return {"type": "vote", "event": kind, "vote": vote_json(record)}


async def close_at_their_end(services: Services, every: float = 1.0) -> None:
    """Runs in the app's task group: every instance closes the votes whose end is past
    (one of them wins each)."""
    await rounds.every(services, every, _close_ended, log, "closing ended votes")


async def _close_ended(services: Services) -> None:
    at = now()
    for slug, vote_id, ends in await services.stores.votes.open_with_end():
        if services.stopping.is_set():
            return
        if ends > at:
            continue
        try:
            charter = await services.repo.get_charter(slug)
            record = await services.stores.votes.get(charter.id, vote_id)
        except NotFound:
            continue  # deleted meanwhile
        await close(services, charter, record, None)
