"""Comment threads over JSON: an article's threads in document order, an amendment's (on
its fork's text), the charter-wide list (filtered by article, amendment, status and
author), one thread; start a thread on a passage, reply, resolve or reopen, edit, delete,
hide; the moderation log; unread markers (one per article, its amendments' threads
included).

Anchors travel as base64 of the client's ``Y.encodeRelativePosition`` bytes. A comment's
text is returned as typed: the browser shows it as text, never as markup.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.amendments import AmendmentRecord
from persistence.comments import STATUSES, CommentRecord, ThreadRecord
from persistence.repo import ArticleRecord, CharterRecord, NotFound
from server.access import Action, Principal, Scope, decide
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, text_field
from server.domain import comments as domain
from server.domain.amendments import discussion_scope
from server.errors import ConflictError, Forbidden, Invalid, NotFoundError

MAX_REASON = 2000


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _b64(value: bytes | None) -> str | None:
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
        "created_at": _iso(comment.created_at),
        "body": comment.body if shown else None,
        "stance": comment.stance if shown else None,
        "edited_at": _iso(comment.edited_at),
        "revisions": [
            {"body": r.body, "stance": r.stance, "at": _iso(r.at)} for r in comment.revisions
        ]
        if shown
        else [],
        "deleted": comment.deleted_at is not None,
        "hidden": {
            "by": comment.hidden_by_name,
            "at": _iso(comment.hidden_at),
            "reason": comment.hidden_reason,
        }
        if comment.hidden_at is not None
        else None,
        "mine": view.who.participant_id is not None
        and view.who.participant_id == comment.author_id,
        "may_change": shown and domain.may_change(view.who, comment, thread.charter_id),
        "unread": view.unread(thread, comment),
    }


def thread_json(thread: ThreadRecord, place: domain.Place, view: Viewer) -> dict[str, Any]:
    items = [comment_json(thread, c, view) for c in thread.comments]
    anchor = None
    if thread.anchor_start is not None:
        anchor = {
            "start": _b64(thread.anchor_start),
            "end": _b64(thread.anchor_end),
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
        "amendment": _amendment_ref(thread),
        "anchor": anchor,
        "detached": place.state == "detached",
        "status": thread.status,
        "status_by": thread.status_by_name,
        "status_at": _iso(thread.status_at),
        "author": thread.author_name,
        "author_id": thread.author_id,
        "created_at": _iso(thread.created_at),
        "hidden": thread.hidden,
        "comments": items,
        "unread": sum(1 for c in items if c["unread"]),
        "last_comment": thread.comments[-1].id if thread.comments else None,
        "may_reply": view.may_reply(thread),
        "may_set_status": domain.may_set_status(view.who, thread, view.scope(thread)),
        "may_hide": decide(view.who, Action.MANAGE, thread.charter_id).allowed,
    }


def _amendment_ref(thread: ThreadRecord) -> dict[str, Any] | None:
    """The amendment whose text a thread is about (None: the article's)."""
    if thread.amendment_id is None:
        return None
    return {
        "id": thread.amendment_id,
        "title": thread.amendment_title,
        "status": thread.amendment_status,
    }


async def _amendment(request: Request, charter: CharterRecord) -> AmendmentRecord:
    raw = request.path_params["amendment_id"]
    try:
        return await services(request).amendments.get(charter.id, int(raw))
    except (ValueError, NotFound) as exc:
        raise NotFoundError(f"no amendment {raw!r}") from exc


async def _article(request: Request, charter: CharterRecord) -> ArticleRecord:
    key = request.path_params["key"]
    try:
        return await services(request).repo.find_article(charter.slug, key)
    except NotFound as exc:
        raise NotFoundError(f"no article {key!r}: it may have been deleted") from exc


async def _thread(request: Request, charter: CharterRecord) -> ThreadRecord:
    raw = request.path_params["thread_id"]
    try:
        return await domain.store(services(request)).thread(charter.id, int(raw))
    except (ValueError, NotFound) as exc:
        raise NotFoundError(f"no thread {raw!r}") from exc


async def _comment(request: Request, charter: CharterRecord) -> tuple[ThreadRecord, CommentRecord]:
    raw = request.path_params["comment_id"]
    try:
        thread, index = await domain.store(services(request)).comment(charter.id, int(raw))
    except (ValueError, NotFound) as exc:
        raise NotFoundError(f"no comment {raw!r}") from exc
    return thread, thread.comments[index]


def _body(request: Request, body: dict[str, Any]) -> str:
    limit = services(request).settings.max_comment_chars
    text = text_field(body, "body", max_length=limit)
    assert text is not None
    return text


def _anchor(body: dict[str, Any]) -> domain.Anchor | None:
    raw = body.get("anchor")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Invalid("anchor must be an object {start, end, quote} or null", field="anchor")
    ends: list[bytes] = []
    for name in ("start", "end"):
        value = raw.get(name)
        if not isinstance(value, str) or not value:
            raise Invalid(f"anchor.{name} must be a relative position in base64", field="anchor")
        try:
            ends.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise Invalid(f"anchor.{name} is not base64", field="anchor") from exc
    quote = raw.get("quote")
    if not isinstance(quote, str) or not quote.strip():
        raise Invalid("anchor.quote must be the quoted passage", field="anchor")
    return domain.Anchor(ends[0], ends[1], quote[: domain.MAX_QUOTE])


def resolvers(request: Request) -> domain.Resolvers:
    """The app's cache of anchor resolvers, made on first use."""
    state = request.app.state
    cache = getattr(state, "comment_resolvers", None)
    if cache is None:
        cache = state.comment_resolvers = domain.Resolvers()
    assert isinstance(cache, domain.Resolvers)
    return cache


async def _one(request: Request, charter: CharterRecord, thread_id: int, who: Principal) -> Any:
    thread = await domain.store(services(request)).thread(charter.id, thread_id)
    where = await domain.places(services(request), resolvers(request), [thread])
    return thread_json(thread, where[thread.id], await viewer(request, who, charter, [thread]))


# -- routes --


async def article_threads(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    article = await _article(request, charter)
    svc = services(request)
    found = await domain.store(svc).threads(charter.id, article_id=article.id, articles_only=True)
    where = await domain.places(svc, resolvers(request), found)
    view = await viewer(request, who, charter, found)
    latest = (await domain.store(svc).latest([article.id], articles_only=True)).get(article.id, 0)
    return JSONResponse(
        {
            "article": article.key,
            "threads": [
                thread_json(t, where[t.id], view) for t in domain.in_document_order(found, where)
            ],
            "seen_through": view.seen.get(article.id, 0),
            "latest": latest,
        }
    )


async def start_thread(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    article = await _article(request, charter)
    return await _start(request, charter, who, domain.Target(article))


async def amendment_threads(request: Request) -> Response:
    """The threads on an amendment's text, in the order of the fork's text."""
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    amendment = await _amendment(request, charter)
    svc = services(request)
    found = await domain.store(svc).threads(charter.id, amendment_id=amendment.id)
    where = await domain.places(svc, resolvers(request), found)
    view = await viewer(request, who, charter, found)
    scope = discussion_scope(amendment)
    return JSONResponse(
        {
            "amendment": amendment.id,
            "status": amendment.status,
            "article": amendment.article_key,
            "threads": [
                thread_json(t, where[t.id], view) for t in domain.in_document_order(found, where)
            ],
            "may_comment": not amendment.article_deleted
            and domain.may_discuss(who, charter.id, scope),
            "seen_through": view.seen.get(amendment.article_id, 0),
            "latest": max((c.id for t in found for c in t.comments), default=0),
        }
    )


async def start_amendment_thread(request: Request) -> Response:
    """``{"body", "stance", "anchor"}``: the anchor's positions are in the fork's text."""
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    amendment = await _amendment(request, charter)
    try:
        article = await services(request).repo.find_article(charter.slug, amendment.article_key)
    except NotFound as exc:
        raise ConflictError(
            "the article of this amendment was deleted: its discussion is closed"
        ) from exc
    return await _start(request, charter, who, domain.Target(article, amendment))


async def _start(
    request: Request, charter: CharterRecord, who: Principal, target: domain.Target
) -> Response:
    """A new thread from ``{"body", "stance", "anchor"}`` on ``target``'s text."""
    body = await json_object(request)
    text = _body(request, body)
    stance = domain.check_stance(body.get("stance"))
    thread_id = await domain.start_thread(
        services(request), resolvers(request), charter, target, who, text, stance, _anchor(body)
    )
    return JSONResponse(await _one(request, charter, thread_id, who), status_code=201)


async def list_threads(request: Request) -> Response:
    """The charter-wide list: ``?article=KEY&amendment=ID&status=open|resolved&author=ID``
    (an article's threads include those on its amendments)."""
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    query = request.query_params
    status = query.get("status") or None
    if status is not None and status not in STATUSES:
        raise Invalid(f"unknown status {status!r}: open or resolved", field="status")
    article_id = None
    if query.get("article"):
        try:
            article_id = (
                await services(request).repo.find_article(charter.slug, query["article"])
            ).id
        except NotFound as exc:
            raise NotFoundError(f"no article {query['article']!r}") from exc
    author_id = None
    if query.get("author"):
        try:
            author_id = int(query["author"])
        except ValueError as exc:
            raise Invalid("author must be a participant's id", field="author") from exc
    amendment_id = None
    if query.get("amendment"):
        try:
            amendment_id = int(query["amendment"])
        except ValueError as exc:
            raise Invalid("amendment must be an amendment's id", field="amendment") from exc
    svc = services(request)
    found = await domain.store(svc).threads(
        charter.id,
        article_id=article_id,
        status=status,
        author_id=author_id,
        amendment_id=amendment_id,
    )
    where = await domain.places(svc, resolvers(request), found)
    view = await viewer(request, who, charter, found)
    order = {a.id: i for i, (_, a) in enumerate(charter.articles())}
    found.sort(
        key=lambda t: (
            order.get(t.article_id, len(order)),
            t.amendment_id or 0,  # an article's own threads, then each amendment's
            *where[t.id].order(),
            t.id,
        )
    )
    return JSONResponse({"threads": [thread_json(t, where[t.id], view) for t in found]})


async def get_thread(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    thread = await _thread(request, charter)
    return JSONResponse(await _one(request, charter, thread.id, who))


async def reply(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    thread = await _thread(request, charter)
    body = await json_object(request)
    text = _body(request, body)
    stance = domain.check_stance(body.get("stance"))
    await domain.reply(services(request), thread, who, text, stance)
    return JSONResponse(await _one(request, charter, thread.id, who), status_code=201)


async def set_status(request: Request) -> Response:
    """``{"status": "resolved" | "open"}``."""
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    thread = await _thread(request, charter)
    status = (await json_object(request)).get("status")
    if status not in STATUSES:
        raise Invalid("status must be open or resolved", field="status")
    await domain.set_status(services(request), thread, who, str(status))
    return JSONResponse(await _one(request, charter, thread.id, who))


async def edit_comment(request: Request) -> Response:
    """``{"body": …, "stance": …}``: the previous text is kept."""
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    thread, comment = await _comment(request, charter)
    body = await json_object(request)
    text = _body(request, body)
    stance = domain.check_stance(body.get("stance", comment.stance))
    await domain.edit(services(request), thread, comment, who, text, stance)
    return JSONResponse(await _one(request, charter, thread.id, who))


async def delete_comment(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    thread, comment = await _comment(request, charter)
    await domain.delete(services(request), thread, comment, who)
    return JSONResponse(await _one(request, charter, thread.id, who))


async def hide_comment(request: Request) -> Response:
    """``{"reason": …}`` (required): listed in the moderation log for everyone to see."""
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    thread, comment = await _comment(request, charter)
    reason = text_field(await json_object(request), "reason", max_length=MAX_REASON) or ""
    await domain.hide(services(request), thread, comment, who, reason)
    return JSONResponse(await _one(request, charter, thread.id, who))


async def moderation(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    log = await domain.store(services(request)).hidden(charter.id)
    return JSONResponse(
        {
            "hidden": [
                {
                    "comment": c.id,
                    "thread": t.id,
                    "article": {"id": t.article_key, "title": t.article_title},
                    "amendment": _amendment_ref(t),
                    "author": c.author_name,
                    "written_at": _iso(c.created_at),
                    "by": c.hidden_by_name,
                    "at": _iso(c.hidden_at),
                    "reason": c.hidden_reason,
                    "opened_thread": t.comments[0].id == c.id,
                }
                for t, c in log
            ]
        }
    )


async def mark_seen(request: Request) -> Response:
    """``{"through": comment id}``: the participant has seen the article's comments up to
    it. The marker only moves forward, and never past the article's last comment."""
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    if who.participant_id is None:
        raise Forbidden("only participants keep unread markers")
    article = await _article(request, charter)
    through = (await json_object(request)).get("through")
    if not isinstance(through, int) or isinstance(through, bool) or through < 0:
        raise Invalid("through must be a comment id (0 or more)", field="through")
    store = domain.store(services(request))
    latest = (await store.latest([article.id])).get(article.id, 0)
    seen = await store.mark_seen(who.participant_id, article.id, min(through, latest))
    return JSONResponse({"article": article.key, "seen_through": seen, "latest": latest})


routes = [
    Route("/api/charters/{slug}/threads", list_threads, methods=["GET"]),
    Route("/api/charters/{slug}/threads/{thread_id}", get_thread, methods=["GET"]),
    Route("/api/charters/{slug}/threads/{thread_id}/comments", reply, methods=["POST"]),
    Route("/api/charters/{slug}/threads/{thread_id}/status", set_status, methods=["PUT"]),
    Route("/api/charters/{slug}/comments/{comment_id}", edit_comment, methods=["PATCH"]),
    Route("/api/charters/{slug}/comments/{comment_id}", delete_comment, methods=["DELETE"]),
    Route("/api/charters/{slug}/comments/{comment_id}/hide", hide_comment, methods=["POST"]),
    Route("/api/charters/{slug}/moderation", moderation, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/threads", article_threads, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/threads", start_thread, methods=["POST"]),
    Route("/api/charters/{slug}/articles/{key}/seen", mark_seen, methods=["PUT"]),
    Route(
        "/api/charters/{slug}/amendments/{amendment_id}/threads",
        amendment_threads,
        methods=["GET"],
    ),
    Route(
        "/api/charters/{slug}/amendments/{amendment_id}/threads",
        start_amendment_thread,
        methods=["POST"],
    ),
]
