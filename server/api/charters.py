"""Charters, sections and articles over JSON."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from crdt.article import update_from_ops
from crdt.markdown import body_from_markdown, markdown_from_ops
from persistence.repo import Conflict, NewArticle, NotFound
from server.access import Action, Role
from server.api.common import charter_or_404, principal, require, services
from server.api.validate import LANGUAGE, json_object, pattern_field, text_field
from server.domain.charters import (
    charter_json,
    create_from_source,
    live_payload,
    outline_event,
    visible_charters,
)
from server.domain.participation import create_invite, invite_json
from server.errors import ConflictError, Invalid, NotFoundError
from server.names import SLUG, article_document

MAX_MARKDOWN = 200_000


async def _push_outline(request: Request, slug: str) -> None:
    """Tell everyone on the charter's channel (adding sections and articles)."""
    fresh = await services(request).repo.get_charter(slug)
    services(request).publish(fresh.id, outline_event(fresh))


async def list_charters(request: Request) -> Response:
    svc = services(request)
    who = await principal(request, None)
    charters = await visible_charters(svc.repo, svc.identity, request.cookies, who)
    return JSONResponse(
        {"charters": [{"slug": c.slug, "title": c.title, "language": c.language} for c in charters]}
    )


async def create_charter(request: Request) -> Response:
    await require(request, Action.ADMINISTER, None)
    body = await json_object(request)
    slug = pattern_field(body, "slug", SLUG, "lowercase letters, digits and dashes")
    title = text_field(body, "title")
    language = body.get("language", "fr")
    if not isinstance(language, str) or not LANGUAGE.match(language):
        raise Invalid("language must be a language tag such as fr or en", field="language")
    svc = services(request)
    try:
        charter = await create_from_source(svc.repo, slug, title or "", language, None)
    except Conflict as exc:
        raise ConflictError(str(exc)) from exc
    invite = await create_invite(
        svc.people,
        charter,
        Role.FACILITATOR,
        label="first facilitator",
        max_uses=1,
        expires_in_hours=7 * 24,
    )
    return JSONResponse(
        {**charter_json(charter), "facilitator_invite": invite_json(svc.identity, invite)},
        status_code=201,
    )


async def get_charter(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    return JSONResponse(live_payload(charter))


async def add_section(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    body = await json_object(request)
    title = text_field(body, "title") or ""
    section = await services(request).repo.add_section(charter.slug, title)
    await _push_outline(request, charter.slug)
    return JSONResponse(
        {"id": section.id, "position": section.position, "title": section.title}, status_code=201
    )


async def add_article(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    body = await json_object(request)
    title = text_field(body, "title") or ""
    markdown = text_field(body, "markdown", max_length=MAX_MARKDOWN, required=False)
    try:
        section_id = int(request.path_params["section_id"])
    except ValueError as exc:
        raise NotFoundError("no such section") from exc
    first = update_from_ops(body_from_markdown(markdown)) if markdown else None
    try:
        article = await services(request).repo.add_article(
            charter.slug, section_id, NewArticle(title, first)
        )
    except NotFound as exc:
        raise NotFoundError(str(exc)) from exc
    await _push_outline(request, charter.slug)
    return JSONResponse(
        {
            "id": article.key,
            "position": article.position,
            "title": article.title,
            "document": article_document(charter.slug, article.key),
        },
        status_code=201,
    )


async def get_article(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    svc = services(request)
    slug, key = charter.slug, request.path_params["key"]
    try:
        article = await svc.repo.find_article(slug, key)
    except NotFound as exc:
        raise NotFoundError(str(exc)) from exc
    doc = await svc.article_doc(article.document_id)
    text, markdown = doc.text(), markdown_from_ops(doc.ops())
    fmt = request.query_params.get("format", "json")
    if fmt == "text":
        return PlainTextResponse(text)
    if fmt in ("md", "markdown"):
        return PlainTextResponse(markdown, media_type="text/markdown; charset=utf-8")
    if fmt != "json":
        raise Invalid("format must be json, text or md", field="format")
    return JSONResponse(
        {
            "id": article.key,
            "title": article.title,
            "document": article_document(slug, key),
            "text": text,
            "markdown": markdown,
        }
    )


routes = [
    Route("/api/charters", list_charters, methods=["GET"]),
    Route("/api/charters", create_charter, methods=["POST"]),
    Route("/api/charters/{slug}", get_charter, methods=["GET"]),
    # GET /api/charters/{slug}/export: server/api/exports.py (any version, md|html|json)
    Route("/api/charters/{slug}/sections", add_section, methods=["POST"]),
    Route("/api/charters/{slug}/sections/{section_id}/articles", add_article, methods=["POST"]),
    Route("/api/charters/{slug}/articles/{key}", get_article, methods=["GET"]),
]
