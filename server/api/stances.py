"""Where participants stand on an article's passages, for its heat-map (editor and
projector): ``GET /api/charters/{slug}/articles/{key}/stances``, anyone who may read the
article. The counting is in ``server/domain/stances.py``; the browser places each passage
from its anchor's bytes and shades the text.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.comments import STANCES
from server.access import BADGES, Action
from server.api.comment_views import b64
from server.api.comments import article_of, resolvers
from server.api.common import charter_or_404, require, services
from server.domain import stances as domain


def passage_json(passage: domain.Passage) -> dict[str, Any]:
    thread, place = passage.thread, passage.place
    start = place.start
    return {
        "id": thread.id,
        "anchor": {
            "start": b64(thread.anchor_start),
            "end": b64(thread.anchor_end),
            "quote": thread.quote,
            "state": place.state,
            "index": start,
            "length": (place.end or 0) - start if start is not None else None,
        },
        "quote": thread.quote,
        "counts": passage.tally.by_badge,
        "total": passage.tally.total(),
    }


async def article_stances(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    article = await article_of(request, charter)
    found = await domain.article_stances(services(request), resolvers(request), charter, article)
    return JSONResponse(
        {
            "article": article.key,
            "stances": list(STANCES),
            "badges": list(BADGES),
            "threads": [passage_json(p) for p in found],
        }
    )


routes = [
    Route("/api/charters/{slug}/articles/{key}/stances", article_stances, methods=["GET"]),
]
