"""The projector: which article it shows and how (``PUT``, facilitators; pushed to every
open page as a ``{"type": "projector"}`` event), and the article's changes since the last
named version, which the projector draws when asked to (``GET``, anyone who may read)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.access import Action
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object
from server.domain.projector import changes_since_last_version, choose_view
from server.errors import Invalid, NotFoundError


async def set_projector(request: Request) -> Response:
    """``{"article": key | null, "view": {"mode", "amendment", "passage"}}``; without a
    view, the live text."""
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    body = await json_object(request)
    key = body.get("article")
    if key is not None:
        if not isinstance(key, str) or all(a.key != key for _, a in charter.articles()):
            raise Invalid("article must be the id of an article of this charter", field="article")
    svc = services(request)
    view = await choose_view(svc.stores, charter, key, body.get("view"))
    await svc.stores.outline.set_projector(charter.id, key, view.stored())
    shown = {"article": key, "view": view.to_json()}
    svc.publish(charter.id, {"type": "projector", **shown})
    return JSONResponse(shown)


async def changes(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    key = request.path_params["key"]
    if all(a.key != key for _, a in charter.articles()):
        raise NotFoundError(f"no article {key!r} in this charter")
    svc = services(request)
    return JSONResponse(await changes_since_last_version(svc.stores, charter, svc.article_doc, key))


routes = [
    Route("/api/charters/{slug}/projector", set_projector, methods=["PUT"]),
    Route("/api/charters/{slug}/articles/{key}/changes", changes, methods=["GET"]),
]
