"""The charter-wide view of the discussion: every thread (filtered by article, amendment,
status and author), the public moderation log, and each participant's unread markers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.comments import STATUSES
from persistence.repo import NotFound
from server.access import Action
from server.api.comment_views import amendment_ref, iso, thread_json, viewer
from server.api.comments import article_of, resolvers
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object
from server.domain import anchors
from server.domain import comments as domain
from server.domain.moderation import revert_json
from server.errors import Forbidden, Invalid, NotFoundError


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
    where = await anchors.places(svc, resolvers(request), found)
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


async def moderation(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    log = await domain.store(services(request)).hidden(charter.id)
    reverts = await services(request).stores.moderation.reverts(charter.id)
    return JSONResponse(
        {
            "reverts": [revert_json(r) for r in reverts],
            "hidden": [
                {
                    "comment": c.id,
                    "thread": t.id,
                    "article": {"id": t.article_key, "title": t.article_title},
                    "amendment": amendment_ref(t),
                    "author": c.author_name,
                    "written_at": iso(c.created_at),
                    "by": c.hidden_by_name,
                    "at": iso(c.hidden_at),
                    "reason": c.hidden_reason,
                    "opened_thread": t.comments[0].id == c.id,
                }
                for t, c in log
            ],
        }
    )


async def mark_seen(request: Request) -> Response:
    """``{"through": comment id}``: the participant has seen the article's comments up to
    it. The marker only moves forward, and never past the article's last comment."""
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    if who.participant_id is None:
        raise Forbidden("only participants keep unread markers")
    article = await article_of(request, charter)
    through = (await json_object(request)).get("through")
    if not isinstance(through, int) or isinstance(through, bool) or through < 0:
        raise Invalid("through must be a comment id (0 or more)", field="through")
    store = domain.store(services(request))
    latest = (await store.latest([article.id])).get(article.id, 0)
    seen = await store.mark_seen(who.participant_id, article.id, min(through, latest))
    return JSONResponse({"article": article.key, "seen_through": seen, "latest": latest})


routes = [
    Route("/api/charters/{slug}/threads", list_threads, methods=["GET"]),
    Route("/api/charters/{slug}/moderation", moderation, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/seen", mark_seen, methods=["PUT"]),
]
