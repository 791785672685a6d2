"""Named versions of a charter, the comparison of any two (or one with the live text),
and restoring an article or the whole charter to a version."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crdt.article import ArticleDoc
from persistence.versions import VersionRecord, Versions
from server.access import Action
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, text_field
from server.domain.restore import restore_article, restore_charter
from server.domain.versions import comparison, save_version, version_json, version_or_404
from server.errors import Invalid


def _versions(request: Request) -> Versions:
    return services(request).stores.versions


async def create_version(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    label = text_field(await json_object(request), "label") or ""
    svc = services(request)
    version_id = await save_version(
        _versions(request), charter, svc.article_doc, label, who, flush=svc.store.flush
    )
    record = await _versions(request).get(charter.id, version_id)
    svc.publish(charter.id, {"type": "version", "event": "saved", "version": version_json(record)})
    return JSONResponse(version_json(record), status_code=201)


async def list_versions(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    records = await _versions(request).list(charter.id)
    return JSONResponse({"versions": [version_json(r) for r in records]})


async def get_version(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    record = await version_or_404(_versions(request), charter.id, request.path_params["version_id"])
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


async def compare_versions(request: Request) -> Response:
    """``?from=ID&to=ID`` or ``to=live`` (the default)."""
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    origin = request.query_params.get("from")
    if not origin:
        raise Invalid("from is required: a version id", field="from")
    target = request.query_params.get("to") or "live"
    svc = services(request)
    found = await comparison(svc.stores, charter, svc.article_doc, origin, target)
    return JSONResponse(found)


async def _version_in_body(request: Request, charter_id: int) -> VersionRecord:
    body: dict[str, Any] = await json_object(request)
    raw = body.get("version")
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip():
        raise Invalid("version is required: the id of a version of this charter", field="version")
    return await version_or_404(_versions(request), charter_id, str(raw).strip(), "version")


async def restore_one_article(request: Request) -> Response:
    """Body ``{"version": ID}``: the article's text and title come back, as a new edit."""
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    version = await _version_in_body(request, charter.id)
    outcome = await restore_article(
        services(request), charter, request.path_params["key"], version, who
    )
    return JSONResponse(outcome.to_json())


async def restore_whole_charter(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    version = await version_or_404(
        _versions(request), charter.id, request.path_params["version_id"]
    )
    outcome = await restore_charter(services(request), charter, version, who)
    return JSONResponse(outcome.to_json())


routes = [
    Route("/api/charters/{slug}/versions", list_versions, methods=["GET"]),
    Route("/api/charters/{slug}/versions", create_version, methods=["POST"]),
    Route("/api/charters/{slug}/versions/{version_id}", get_version, methods=["GET"]),
    Route(
        "/api/charters/{slug}/versions/{version_id}/restore",
        restore_whole_charter,
        methods=["POST"],
    ),
    Route("/api/charters/{slug}/compare", compare_versions, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/restore", restore_one_article, methods=["POST"]),
]
