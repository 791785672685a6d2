"""Sub-groups drafting an article in parallel: list them (anyone who reads), create,
rename, recolour, change members, close (facilitators); the board the projector shows
(their drafts side by side, or the merged text); merge every open draft as one step
(facilitators). Members are participants of the charter who may write.

Pushed on the charter channel: ``{"type": "subgroup", "event": "created" | "changed" |
"closed" | "merged", "group": {...}}``, besides the amendment events of their drafts.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.repo import CharterRecord, NotFound
from persistence.subgroups import SubgroupRecord
from server.access import Action
from server.api.bundles import article_of, choices
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, text_field
from server.domain import subgroups as domain
from server.domain.subgroup_board import board
from server.errors import Invalid, NotFoundError

MAX_NAME = 80


def _members(body: dict[str, Any]) -> list[int] | None:
    raw = body.get("members")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in raw
    ):
        raise Invalid("members must be a list of participant ids", field="members")
    return list(raw)


def _text(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = text_field(body, name, max_length=MAX_NAME, required=required)
    if value is not None and not value:
        raise Invalid(f"{name} must not be empty", field=name)
    return value


async def _group(request: Request, charter: CharterRecord) -> SubgroupRecord:
    raw = request.path_params["group_id"]
    try:
        return await services(request).stores.subgroups.get(charter.id, int(raw))
    except (ValueError, NotFound) as exc:
        raise NotFoundError(f"no sub-group {raw!r}") from exc


async def list_groups(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    article = await article_of(request, charter)
    found = await domain.listed(services(request), charter, article)
    return JSONResponse(
        {
            "groups": [domain.group_json(charter, g, r) for g, r in found],
            "palette": domain.palette_json(),
        }
    )


async def create(request: Request) -> Response:
    """``{"name", "colour", "members": [participant ids]}``."""
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    article = await article_of(request, charter)
    body = await json_object(request)
    name = _text(body, "name", required=True)
    colour = body.get("colour")
    if not isinstance(colour, str):
        raise Invalid("colour is required", field="colour")
    assert name is not None
    group, record = await domain.create(
        services(request), charter, article, who, name, colour, _members(body) or []
    )
    return JSONResponse(domain.group_json(charter, group, record), status_code=201)


async def change(request: Request) -> Response:
    """``{"name"?, "colour"?, "members"?}``."""
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    group = await _group(request, charter)
    body = await json_object(request)
    colour = body.get("colour")
    if colour is not None and not isinstance(colour, str):
        raise Invalid("colour must be a colour of the palette", field="colour")
    fresh, record = await domain.change(
        services(request),
        charter,
        group,
        name=_text(body, "name", required=False),
        colour=colour,
        members=_members(body),
    )
    return JSONResponse(domain.group_json(charter, fresh, record))


async def close(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    group = await _group(request, charter)
    fresh, record = await domain.close(services(request), charter, group, who)
    return JSONResponse(domain.group_json(charter, fresh, record))


async def show_board(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    article = await article_of(request, charter)
    return JSONResponse(await board(services(request), charter, article))


async def merge(request: Request) -> Response:
    """``{"reason"?, "resolutions"?}``: one resolution per overlap, as the board lists them
    (``{"choose": "amendment", "amendment": a group's draft}``, ``both`` or ``text``)."""
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    article = await article_of(request, charter)
    body = await json_object(request)
    reason = text_field(body, "reason", max_length=2000, required=False)
    given = choices(body.get("resolutions"))
    svc = services(request)
    fresh = await svc.repo.get_charter(charter.slug)
    merged = await domain.merge(svc, fresh, article, who, given, reason)
    return JSONResponse({"groups": [domain.group_json(charter, g, r) for g, r in merged]})


routes = [
    Route("/api/charters/{slug}/articles/{key}/subgroups", list_groups, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/subgroups", create, methods=["POST"]),
    Route("/api/charters/{slug}/articles/{key}/subgroups/board", show_board, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/subgroups/merge", merge, methods=["POST"]),
    Route("/api/charters/{slug}/subgroups/{group_id}", change, methods=["PATCH"]),
    Route("/api/charters/{slug}/subgroups/{group_id}/close", close, methods=["POST"]),
]
