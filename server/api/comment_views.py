"""How a comment thread and its comments look in JSON, for the one who looks: what they may
do, what they have not read yet, where the thread sits in its text."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from starlette.requests import Request

from persistence.comments import CommentRecord, ThreadRecord
from persistence.repo import CharterRecord
from server.access import Action, Principal, Scope, decide
from server.api.common import services
from server.domain import anchors
from server.domain import comments as domain
from server.domain.amendments import discussion_scope


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def b64(value: bytes | None) -> str | None:
    return base64.b64encode(value).decode("ascii") if value is not None else None


class Viewer:
    """Who is looking, the last comment they have seen in each article, and what the
    amendments of the threads shown say about commenting on them."""

    def __init__(
        self, who: Principal, seen: dict[int, int], scopes: dict[int, Scope] | None = None
    ) -> None:
        self.who = who
        self.seen = seen
        self.scopes = scopes or {}

    def scope(self, thread: ThreadRecord) -> Scope | None:
        return self.scopes.get(thread.amendment_id) if thread.amendment_id else None

    def may_reply(self, thread: ThreadRecord) -> bool:
        if thread.hidden or thread.article_deleted:
            return False
        return domain.may_discuss(self.who, thread.charter_id, self.scope(thread))

    def unread(self, thread: ThreadRecord, comment: CommentRecord) -> bool:
        me = self.who.participant_id
        if me is None or comment.author_id == me:
            return False
        return comment.id > self.seen.get(thread.article_id, 0)


async def viewer(
    request: Request, who: Principal, charter: CharterRecord, threads: Iterable[ThreadRecord]
) -> Viewer:
    svc = services(request)
    scopes: dict[int, Scope] = {}
    if any(t.amendment_id is not None for t in threads):
        scopes = {a.id: discussion_scope(a) for a in await svc.amendments.find(charter.id)}
    if who.participant_id is None:
        return Viewer(who, {}, scopes)
    seen = await domain.store(svc).seen(who.participant_id, charter.id)
    return Viewer(who, seen, scopes)


def comment_json(thread: ThreadRecord, comment: CommentRecord, view: Viewer) -> dict[str, Any]:
    shown = comment.visible
    return {
        "id": comment.id,
        "author": comment.author_name,
        "author_id": comment.author_id,
        "author_badge": comment.author_badge,
        "created_at": iso(comment.created_at),
        "body": comment.body if shown else None,
        "stance": comment.stance if shown else None,
        "edited_at": iso(comment.edited_at),
        "revisions": [
            {"body": r.body, "stance": r.stance, "at": iso(r.at)} for r in comment.revisions
        ]
        if shown
        else [],
        "deleted": comment.deleted_at is not None,
        "hidden": {
            "by": comment.hidden_by_name,
            "at": iso(comment.hidden_at),
            "reason": comment.hidden_reason,
        }
        if comment.hidden_at is not None
        else None,
        "mine": view.who.participant_id is not None
        and view.who.participant_id == comment.author_id,
        "may_change": shown and domain.may_change(view.who, comment, thread.charter_id),
        "unread": view.unread(thread, comment),
    }


def thread_json(thread: ThreadRecord, place: anchors.Place, view: Viewer) -> dict[str, Any]:
    items = [comment_json(thread, c, view) for c in thread.comments]
    anchor = None
    if thread.anchor_start is not None:
        anchor = {
            "start": b64(thread.anchor_start),
            "end": b64(thread.anchor_end),
            "quote": thread.quote,
            "state": place.state,
            "index": place.start,
            "length": (place.end or 0) - (place.start or 0) if place.start is not None else None,
            "text": place.text,
        }
    return {
        "id": thread.id,
        "article": {
            "id": thread.article_key,
            "title": thread.article_title,
            "deleted": thread.article_deleted,
        },
        "amendment": amendment_ref(thread),
        "anchor": anchor,
        "detached": place.state == "detached",
        "status": thread.status,
        "status_by": thread.status_by_name,
        "status_at": iso(thread.status_at),
        "author": thread.author_name,
        "author_id": thread.author_id,
        "author_badge": thread.author_badge,
        "created_at": iso(thread.created_at),
        "hidden": thread.hidden,
        "comments": items,
        "unread": sum(1 for c in items if c["unread"]),
        "last_comment": thread.comments[-1].id if thread.comments else None,
        "may_reply": view.may_reply(thread),
        "may_set_status": domain.may_set_status(view.who, thread, view.scope(thread)),
        "may_hide": decide(view.who, Action.MANAGE, thread.charter_id).allowed,
    }


def amendment_ref(thread: ThreadRecord) -> dict[str, Any] | None:
    """The amendment whose text a thread is about (None: the article's)."""
    if thread.amendment_id is None:
        return None
    return {
        "id": thread.amendment_id,
        "title": thread.amendment_title,
        "status": thread.amendment_status,
    }
