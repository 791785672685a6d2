"""Named versions of a charter and the comparison of any two (or one with the live text)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crdt.article import ArticleDoc
from persistence.repo import NotFound
from persistence.versions import Versions
from server.access import Action
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, text_field
from server.errors import Invalid, NotFoundError
from server.versions import Entry, compare, entries, live_articles, save_version, version_json


def _versions(request: Request) -> Versions:
    return Versions(services(request).engine)


async def create_version(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    label = text_field(await json_object(request), "label") or ""
    svc = services(request)
    version_id = await save_version(_versions(request), charter, svc.article_doc, label, who)
    record = await _versions(request).get(charter.id, version_id)
    return JSONResponse(version_json(record), status_code=201)


async def list_versions(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    records = await _versions(request).list(charter.id)
    return JSONResponse({"versions": [version_json(r) for r in records]})


async def get_version(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    record = await _version(request, charter.id, request.path_params["version_id"])
    return JSONResponse(
        {
            **version_json(record),
            "articles": [
                {
                    "id": a.article_key,
                    "title": a.article_title,
                    "section": a.section_title,
                    "text": ArticleDoc.from_updates([a.state]).text(),
                }
                for a in record.articles
            ],
        }
    )


async def _version(request: Request, charter_id: int, raw: str):  # type: ignore[no-untyped-def]
    try:
        return await _versions(request).get(charter_id, int(raw))
    except (ValueError, NotFound) as exc:
        raise NotFoundError(f"no version {raw!r}") from exc


async def compare_versions(request: Request) -> Response:
    """``?from=ID&to=ID`` or ``to=live`` (the default)."""
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    origin = request.query_params.get("from")
    target = request.query_params.get("to", "live")
    if origin is None:
        raise Invalid("from is required: a version id", field="from")
    if origin == target:
        raise Invalid("from and to are the same version: nothing to compare", field="to")
    old = entries((await _version(request, charter.id, origin)).articles)
    new: list[Entry]
    if target == "live":
        new = entries(await live_articles(charter, services(request).article_doc))
    else:
        new = entries((await _version(request, charter.id, target)).articles)
    return JSONResponse({"from": origin, "to": target, **compare(old, new)})


routes = [
    Route("/api/charters/{slug}/versions", list_versions, methods=["GET"]),
    Route("/api/charters/{slug}/versions", create_version, methods=["POST"]),
    Route("/api/charters/{slug}/versions/{version_id}", get_version, methods=["GET"]),
    Route("/api/charters/{slug}/compare", compare_versions, methods=["GET"]),
]
