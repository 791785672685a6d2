"""Comment threads over JSON: an article's threads in document order, an amendment's (on
its fork's text), one thread; start a thread on a passage, reply, resolve or reopen, edit,
delete, hide. The charter-wide list, the moderation log and unread markers are in
``discussions.py``; how threads look in JSON in ``comment_views.py``.

Anchors travel as base64 of the client's ``Y.encodeRelativePosition`` bytes. A comment's
text is returned as typed: the browser shows it as text, never as markup.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.amendments import AmendmentRecord
from persistence.comments import STATUSES, CommentRecord, ThreadRecord
from persistence.repo import ArticleRecord, CharterRecord, NotFound
from server.access import Action, Principal
from server.api.comment_views import (
    thread_json,
    viewer,
)
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, text_field
from server.domain import anchors
from server.domain import comments as domain
from server.domain.amendments import discussion_scope
from server.errors import ConflictError, Invalid, NotFoundError

MAX_REASON = 2000


async def _amendment(request: Request, charter: CharterRecord) -> AmendmentRecord:
    raw = request.path_params["amendment_id"]
    try:
        return await services(request).amendments.get(charter.id, int(raw))
    except (ValueError, NotFound) as exc:
        raise NotFoundError(f"no amendment {raw!r}") from exc


async def article_of(request: Request, charter: CharterRecord) -> ArticleRecord:
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


def _anchor(body: dict[str, Any]) -> anchors.Anchor | None:
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
    return anchors.Anchor(ends[0], ends[1], quote[: anchors.MAX_QUOTE])


def resolvers(request: Request) -> anchors.Resolvers:
    """The app's cache of anchor resolvers, made on first use."""
    state = request.app.state
    cache = getattr(state, "comment_resolvers", None)
    if cache is None:
        cache = state.comment_resolvers = anchors.Resolvers()
    assert isinstance(cache, anchors.Resolvers)
    return cache


async def _one(request: Request, charter: CharterRecord, thread_id: int, who: Principal) -> Any:
    thread = await domain.store(services(request)).thread(charter.id, thread_id)
    where = await anchors.places(services(request), resolvers(request), [thread])
    return thread_json(thread, where[thread.id], await viewer(request, who, charter, [thread]))


# -- routes --


async def article_threads(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    article = await article_of(request, charter)
    svc = services(request)
    found = await domain.store(svc).threads(charter.id, article_id=article.id, articles_only=True)
    where = await anchors.places(svc, resolvers(request), found)
    view = await viewer(request, who, charter, found)
    latest = (await domain.store(svc).latest([article.id], articles_only=True)).get(article.id, 0)
    return JSONResponse(
        {
            "article": article.key,
            "threads": [
                thread_json(t, where[t.id], view) for t in anchors.in_document_order(found, where)
            ],
            "seen_through": view.seen.get(article.id, 0),
            "latest": latest,
        }
    )


async def start_thread(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    article = await article_of(request, charter)
    return await _start(request, charter, who, domain.Target(article))


async def amendment_threads(request: Request) -> Response:
    """The threads on an amendment's text, in the order of the fork's text."""
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    amendment = await _amendment(request, charter)
    svc = services(request)
    found = await domain.store(svc).threads(charter.id, amendment_id=amendment.id)
    where = await anchors.places(svc, resolvers(request), found)
    view = await viewer(request, who, charter, found)
    scope = discussion_scope(amendment)
    return JSONResponse(
        {
            "amendment": amendment.id,
            "status": amendment.status,
            "article": amendment.article_key,
            "threads": [
                thread_json(t, where[t.id], view) for t in anchors.in_document_order(found, where)
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


routes = [
    Route("/api/charters/{slug}/threads/{thread_id}", get_thread, methods=["GET"]),
    Route("/api/charters/{slug}/threads/{thread_id}/comments", reply, methods=["POST"]),
    Route("/api/charters/{slug}/threads/{thread_id}/status", set_status, methods=["PUT"]),
    Route("/api/charters/{slug}/comments/{comment_id}", edit_comment, methods=["PATCH"]),
    Route("/api/charters/{slug}/comments/{comment_id}", delete_comment, methods=["DELETE"]),
    Route("/api/charters/{slug}/comments/{comment_id}/hide", hide_comment, methods=["POST"]),
    Route("/api/charters/{slug}/articles/{key}/threads", article_threads, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/threads", start_thread, methods=["POST"]),
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
