"""Bundles of amendments of one article: the compatible sets and alternatives, a preview of
a chosen set, and accepting a set as one step (facilitators).

Accepting pushes ``{"type": "amendment", "event": "accepted", ...}`` for each amendment and
``{"type": "bundle", "event": "accepted", "article", "amendments"}`` on the charter channel.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.repo import ArticleRecord, CharterRecord, NotFound
from server.access import Action
from server.api.amendments import amendment_json
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, resolution_items, text_field
from server.domain import bundles as domain
from server.errors import Invalid, NotFoundError


async def article_of(request: Request, charter: CharterRecord) -> ArticleRecord:
    key = request.path_params["key"]
    try:
        return await services(request).repo.find_article(charter.slug, key)
    except NotFound as exc:
        raise NotFoundError(f"no article {key!r}") from exc


def amendment_ids(body: dict[str, Any]) -> list[int]:
    raw = body.get("amendments")
    if not isinstance(raw, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in raw
    ):
        raise Invalid("amendments must be a list of amendment ids", field="amendments")
    return list(raw)


def query_ids(request: Request) -> list[int]:
    """``?amendments=3,5``."""
    raw = request.query_params.get("amendments", "")
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise Invalid(
            "amendments must be amendment ids: ?amendments=3,5", field="amendments"
        ) from exc


def choices(raw: object) -> list[domain.Choice]:
    """``[{"choose": "amendment", "amendment": id} | {"choose": "live"} | {"choose": "both"}
    | {"choose": "text", "text": …}]``, one per overlap in the order the preview lists them
    ("live": the live text's words, where an amendment met words changed since its base)."""
    if raw is None:
        return []
    return [
        domain.Choice(choose, amendment, text)
        for choose, amendment, text in resolution_items(raw, with_ids=True)
    ]


async def list_bundles(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    article = await article_of(request, charter)
    return JSONResponse(await domain.proposals(services(request), charter, article))


async def preview(request: Request) -> Response:
    """``?amendments=3,5``: the article with them applied, and where they overlap."""
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    article = await article_of(request, charter)
    ids = query_ids(request)
    records = await domain.chosen(services(request), charter, article, ids)
    return JSONResponse(await domain.preview(services(request), records))


async def accept(request: Request) -> Response:
    """``{"amendments": [ids], "reason"?, "resolutions"?}``: one resolution per overlap."""
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    article = await article_of(request, charter)
    body = await json_object(request)
    ids = amendment_ids(body)
    reason = text_field(body, "reason", max_length=2000, required=False)
    given = choices(body.get("resolutions"))
    svc = services(request)
    records = await domain.chosen(svc, charter, article, ids)
    fresh = await svc.repo.get_charter(charter.slug)
    done = await domain.accept(svc, fresh, records, who, reason, given)
    return JSONResponse({"amendments": [amendment_json(charter, r) for r in done]})


routes = [
    Route("/api/charters/{slug}/articles/{key}/bundles", list_bundles, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/bundles/preview", preview, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/bundles/accept", accept, methods=["POST"]),
]
