"""Server-rendered pages of versions, without JavaScript, at stable shareable URLs:
the timeline, a whole-charter comparison, one article side by side, and the Atom feed."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from persistence.repo import CharterRecord
from server.api.common import services
from server.domain.licences import licence_of
from server.domain.versions import comparison, timeline
from server.errors import DomainError, Invalid, NotFoundError
from server.pages.exports import atom
from server.pages.site import PAGE_CSP, readable_charter, render


def _context(charter: CharterRecord, **values: Any) -> dict[str, Any]:
    return {"charter": charter, "licence": licence_of(charter.licence), **values}


async def versions_page(request: Request) -> Response:
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    items = await timeline(services(request).stores, charter)
    return render(request, "versions.html", _context(charter, items=items[::-1]))


async def _comparison(
    request: Request, charter: CharterRecord, with_text: bool = False
) -> dict[str, Any] | Response:
    origin = request.query_params.get("from") or ""
    target = request.query_params.get("to") or "live"
    svc = services(request)
    try:
        if not origin:
            raise Invalid("from is required: a version id")
        return await comparison(svc.stores, charter, svc.article_doc, origin, target, with_text)
    except DomainError as exc:
        context = _context(charter, message=exc.message)
        status = 404 if isinstance(exc, NotFoundError) else 422
        return render(request, "compare_error.html", context, status)


async def compare_page(request: Request) -> Response:
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    found = await _comparison(request, charter, with_text=True)
    if isinstance(found, Response):
        return found
    changed = [a for a in found["articles"] if a["status"] != ["unchanged"]]
    same = [a for a in found["articles"] if a["status"] == ["unchanged"]]
    context = _context(charter, c=found, changed=changed, same=same)
    return render(request, "compare.html", context)


async def compare_article_page(request: Request) -> Response:
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    found = await _comparison(request, charter, with_text=True)
    if isinstance(found, Response):
        return found
    key = request.path_params["key"]
    item = next((a for a in found["articles"] if a["id"] == key), None)
    if item is None:
        message = f"article {key!r} is in neither version"
        return render(request, "compare_error.html", _context(charter, message=message), 404)
    diff = item.get("diff", [])
    context = _context(
        charter, c=found, item=item, old=_side(diff, "insert"), new=_side(diff, "delete")
    )
    return render(request, "compare_article.html", context)


def _side(diff: list[dict[str, str]], hidden: str) -> list[dict[str, str]]:
    """One side of a word diff: without the other side's hunks, and no leading space."""
    shown = [h for h in diff if h["kind"] != hidden]
    if shown:
        shown[0] = {**shown[0], "text": shown[0]["text"].lstrip()}
    return shown


async def versions_feed(request: Request) -> Response:
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    svc = services(request)
    items = await timeline(svc.stores, charter)
    return Response(
        atom(charter, items, svc.settings.base_url),
        media_type="application/atom+xml; charset=utf-8",
        headers={"content-security-policy": PAGE_CSP},
    )


routes = [
    Route("/charters/{slug}/versions", versions_page),
    Route("/charters/{slug}/versions.atom", versions_feed),
    Route("/charters/{slug}/compare", compare_page),
    Route("/charters/{slug}/compare/{key}", compare_article_page),
]
