"""What open data carries of the discussion, when a charter allows it: every comment thread
(hidden and deleted comments keep their place and their moderation record, never their
text) and every amendment past draft, with its history and its voters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from persistence.amendments import EDITABLE, STATUSES, AmendmentRecord
from persistence.comments import CommentRecord, ThreadRecord
from persistence.repo import CharterRecord
from persistence.stores import Stores

CLOSED = tuple(s for s in STATUSES if s not in EDITABLE)  # accepted, rejected, withdrawn


@dataclass(frozen=True)
class Discussion:
    """What open data carries of the discussion: always the current one, read at ``as_of``
    (also for an export of a saved version)."""

    as_of: datetime
    threads: list[dict[str, Any]]
    amendments: list[dict[str, Any]]


def iso(at: datetime | None) -> str | None:
    """UTC with its offset (SQLite hands back naive UTC times)."""
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


async def discussion(stores: Stores, charter: CharterRecord) -> Discussion:
    """Every comment thread and every amendment (drafts left out) of the charter, as they
    stand now."""
    as_of = datetime.now(UTC)
    amendments = stores.amendments
    threads = await stores.comments.threads(charter.id)
    names = {p.id: p.name for p in await stores.people.list_participants(charter.id)}
    found = [
        await amendments.get(charter.id, a.id)  # with its history, which find() leaves out
        for a in await amendments.find(charter.id)
        if a.status != "draft"
    ]
    return Discussion(
        as_of, [_thread_json(t) for t in threads], [_amendment_json(a, names) for a in found]
    )


def _thread_json(thread: ThreadRecord) -> dict[str, Any]:
    return {
        "id": thread.id,
        "article": thread.article_key,
        "amendment": thread.amendment_id,  # a thread on an amendment's text
        "status": thread.status,
        "quote": thread.quote,
        "created_at": iso(thread.created_at),
        "comments": [_comment_json(c) for c in thread.comments],
    }


def _comment_json(comment: CommentRecord) -> dict[str, Any]:
    """A hidden or deleted comment keeps its place, never its text; hiding is public."""
    shown = comment.visible
    hidden = None
    if comment.hidden_at is not None:
        hidden = {
            "by": comment.hidden_by_name,
            "at": iso(comment.hidden_at),
            "reason": comment.hidden_reason,
        }
    return {
        "id": comment.id,
        "author": comment.author_name,
        "body": comment.body if shown else None,
        "stance": comment.stance if shown else None,
        "created_at": iso(comment.created_at),
        "edited": comment.edited_at is not None,
        "deleted": comment.deleted_at is not None,
        "hidden": hidden,
    }


def _amendment_json(record: AmendmentRecord, names: dict[int, str]) -> dict[str, Any]:
    co_authors = sorted(a for a in record.authors if a != record.author_id)
    closed = [e.at for e in record.events if e.status in CLOSED]
    return {
        "id": record.id,
        "article": record.article_key,
        "title": record.title,
        "rationale": record.rationale,
        "status": record.status,
        "author": record.author_name,
        "authors": [record.author_name, *(names[a] for a in co_authors if a in names)],
        "created_at": iso(record.created_at),
        "closed_at": iso(closed[-1]) if closed else None,
        "history": [
            {"status": e.status, "by": e.participant_name, "reason": e.reason, "at": iso(e.at)}
            for e in record.events
        ],
        "votes": record.tally(),
        "voters": [{"name": v.name, "choice": v.choice} for v in record.votes],
    }


# -- Atom feed of versions --
