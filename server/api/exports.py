"""Exports of any version, or of the live text: Markdown, standalone HTML, open-data JSON."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.access import Action
from server.api.common import charter_or_404, require, services
from server.domain import vote_readouts
from server.domain.open_discussion import discussion
from server.domain.provenance import charter_authors, drafting_log, origins
from server.domain.versions import version_or_404
from server.errors import Invalid
from server.pages.exports import (
    FORMATS,
    html,
    markdown,
    open_data,
    origins_html,
    origins_json,
    origins_markdown,
    snapshot_of,
)
from server.pages.site import PAGE_CSP


async def export_charter(request: Request) -> Response:
    """``?format=md|html|json`` (default md) and ``version=ID`` (default: the live text);
    ``annex=origins``: the charter's annex of origins instead of its text."""
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
    annex = request.query_params.get("annex")
    if annex is not None:
        if annex != "origins":
            raise Invalid("annex must be origins", field="annex")
        # The annex of origins: who wrote each article, its amendments, its discussions.
        items = await origins(svc, charter, version)
        name = f"{snap.name}-origins.{extension}"
        headers = {"content-disposition": f'{disposition}; filename="{name}"'}
        if fmt == "md":
            body = origins_markdown(charter, version, items)
        elif fmt == "html":
            body = origins_html(charter, version, items)
            headers["content-security-policy"] = PAGE_CSP
        else:
            data = {"charter": charter.slug, "version": version.id if version else "live"}
            body = json.dumps(
                {**data, "articles": origins_json(items)}, ensure_ascii=False, indent=2
            )
        return Response(body, media_type=media_type, headers=headers)
    headers = {"content-disposition": f'{disposition}; filename="{snap.name}.{extension}"'}
    if fmt == "md":
        body = markdown(snap)
    elif fmt == "html":
        body = html(snap, svc.settings.base_url)
        headers["content-security-policy"] = PAGE_CSP
    else:
        talk = await discussion(svc.stores, charter) if charter.open_data_discussion else None
        authors = await charter_authors(svc, charter, snap.version)
        drafting = await drafting_log(svc, charter, snap.version)
        data = open_data(
            snap, await versions.list(charter.id), svc.settings.base_url, talk, authors, drafting
        )
        found = {**data, "votes": await vote_readouts.open_data(svc, charter, version)}
        body = json.dumps(found, ensure_ascii=False, indent=2)
    return Response(body, media_type=media_type, headers=headers)


routes = [
    Route("/api/charters/{slug}/export", export_charter, methods=["GET"]),
]
