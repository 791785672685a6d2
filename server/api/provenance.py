"""Who wrote what (anyone who may read the charter): an article's text as runs of authors
with the people and the share of words by badge and way; the same summed over the charter.
Names and badges are those the comparisons between versions already show."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.access import Action
from server.api.common import charter_or_404, require, services
from server.domain.provenance import article_authors, charter_authors
from server.errors import NotFoundError


async def article(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    key = request.path_params["key"]
    found = next((a for _, a in charter.articles() if a.key == key), None)
    if found is None:
        raise NotFoundError(f"no article {key!r} in this charter")
    return JSONResponse(await article_authors(services(request), charter, found))


async def charter(request: Request) -> Response:
    record = await charter_or_404(request)
    await require(request, Action.READ, record)
    return JSONResponse(await charter_authors(services(request), record))


routes = [
    Route("/api/charters/{slug}/authors", charter, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/authors", article, methods=["GET"]),
]
