"""Facilitators shape the charter live: rename, reorder, move, delete. Each change
answers the updated charter and is pushed to everyone on the charter's channel
(``{"type": "outline"}`` events)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.outline import OrderError, Outline
from persistence.repo import CharterRecord, NotFound
from server.access import Action
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, text_field
from server.domain.charters import live_payload, outline_event
from server.errors import Invalid, NotFoundError
from server.live import closecodes
from server.live.keys import RoomKey


async def _changed(request: Request, charter: CharterRecord) -> Response:
    """Read the charter again, push it to everyone, answer it."""
    fresh = await services(request).repo.get_charter(charter.slug)
    services(request).publish(fresh.id, outline_event(fresh))
    return JSONResponse(live_payload(fresh))


def _outline(request: Request) -> Outline:
    return services(request).stores.outline


def _int(request: Request, name: str) -> int:
    try:
        return int(request.path_params[name])
    except ValueError as exc:
        raise NotFoundError(f"no such {name.removesuffix('_id')}") from exc


def _closed_rooms(request: Request, document_ids: list[int]) -> None:
    for document_id in document_ids:
        room = services(request).registry.get_loaded(RoomKey.document(document_id))
        if room is not None:
            room.close_all(closecodes.NOT_FOUND, "this article was deleted")


async def _order(request: Request, kind: type) -> list[Any]:
    body = await json_object(request)
    order = body.get("order")
    if not isinstance(order, list) or not all(
        isinstance(x, kind) and not isinstance(x, bool) for x in order
    ):
        raise Invalid("order must be a list of ids", field="order")
    return order


async def rename_section(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    title = text_field(await json_object(request), "title") or ""
    try:
        await _outline(request).rename_section(charter.id, _int(request, "section_id"), title)
    except NotFound as exc:
        raise NotFoundError(str(exc)) from exc
    return await _changed(request, charter)


async def delete_section(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    try:
        gone = await _outline(request).delete_section(charter.id, _int(request, "section_id"))
    except NotFound as exc:
        raise NotFoundError(str(exc)) from exc
    _closed_rooms(request, gone)
    return await _changed(request, charter)


async def order_sections(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    try:
        await _outline(request).order_sections(charter.id, await _order(request, int))
    except OrderError as exc:
        raise Invalid(str(exc), field="order") from exc
    return await _changed(request, charter)


async def update_article(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    body = await json_object(request)
    title = text_field(body, "title", required=False)
    section_id = body.get("section_id")
    if section_id is not None and (isinstance(section_id, bool) or not isinstance(section_id, int)):
        raise Invalid("section_id must be a section id", field="section_id")
    if title is None and section_id is None:
        raise Invalid("nothing to change: give title or section_id")
    try:
        await _outline(request).update_article(
            charter.id, request.path_params["key"], title=title, section_id=section_id
        )
    except NotFound as exc:
        raise NotFoundError(str(exc)) from exc
    return await _changed(request, charter)


async def delete_article(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    try:
        document_id = await _outline(request).delete_article(charter.id, request.path_params["key"])
    except NotFound as exc:
        raise NotFoundError(str(exc)) from exc
    _closed_rooms(request, [document_id])
    return await _changed(request, charter)


async def order_articles(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    try:
        await _outline(request).order_articles(
            charter.id, _int(request, "section_id"), await _order(request, str)
        )
    except NotFound as exc:
        raise NotFoundError(str(exc)) from exc
    except OrderError as exc:
        raise Invalid(str(exc), field="order") from exc
    return await _changed(request, charter)


routes = [
    Route("/api/charters/{slug}/sections/order", order_sections, methods=["PUT"]),
    Route("/api/charters/{slug}/sections/{section_id}", rename_section, methods=["PATCH"]),
    Route("/api/charters/{slug}/sections/{section_id}", delete_section, methods=["DELETE"]),
    Route("/api/charters/{slug}/sections/{section_id}/order", order_articles, methods=["PUT"]),
    Route("/api/charters/{slug}/articles/{key}", update_article, methods=["PATCH"]),
    Route("/api/charters/{slug}/articles/{key}", delete_article, methods=["DELETE"]),
]
