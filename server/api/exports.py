"""Exports of any version, or of the live text: Markdown, standalone HTML, open-data JSON."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.access import Action
from server.api.common import charter_or_404, require, services
from server.domain.open_discussion import discussion
from server.domain.provenance import charter_authors
from server.domain.versions import version_or_404
from server.errors import Invalid
from server.pages.exports import FORMATS, html, markdown, open_data, snapshot_of
from server.pages.site import PAGE_CSP


async def export_charter(request: Request) -> Response:
    """``?format=md|html|json`` (default md) and ``version=ID`` (default: the live text)."""
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    fmt = request.query_params.get("format", "md")
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise Invalid(f"format must be md, html or json, not {fmt!r}", field="format")
    svc = services(request)
    versions = svc.stores.versions
    ref = request.query_params.get("version") or "live"
    version = None if ref == "live" else await version_or_404(versions, charter.id, ref)
    snap = await snapshot_of(charter, svc.article_doc, version)
    media_type, extension, disposition = FORMATS[fmt]
    headers = {"content-disposition": f'{disposition}; filename="{snap.name}.{extension}"'}
    if fmt == "md":
        body = markdown(snap)
    elif fmt == "html":
        body = html(snap, svc.settings.base_url)
        headers["content-security-policy"] = PAGE_CSP
    else:
        talk = await discussion(svc.stores, charter) if charter.open_data_discussion else None
        authors = await charter_authors(svc, charter, snap.version)
        data = open_data(
            snap, await versions.list(charter.id), svc.settings.base_url, talk, authors
        )
        body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, media_type=media_type, headers=headers)


routes = [
    Route("/api/charters/{slug}/export", export_charter, methods=["GET"]),
]
