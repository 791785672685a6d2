"""The browser app: page shells for the charter, the article editor, the projector and the
amendments (the list, and one amendment), and the bundle that esbuild writes to
``web/dist`` (hashed file names listed in its ``manifest.json``; gzip and brotli copies
beside each file).

The shells carry no inline script: a strict Content-Security-Policy allows scripts, styles
and connections from this origin only. Everything else the pages show comes from the JSON
API and ``/collab``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from persistence.repo import ArticleRecord, CharterRecord, NotFound
from server.api.common import services
from server.pages import site as pages

DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
STATIC = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
# Path segments of letters, digits, dot, dash, underscore; none starting with a dot.
ASSET_PATH = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$")
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
HOST = re.compile(r"^[A-Za-z0-9.:\[\]-]+$")

# What a page adds to its shell's context (None: not found), e.g. the amendment it shows.
Lookup = Callable[[Request, CharterRecord], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Assets:
    """The URLs one page shell links: shared stylesheet, the page's script and style."""

    js: str
    style: str
    css: str | None = None
    icon: str | None = None
    preload: list[str] = field(default_factory=list)


def read_manifest(dist: Path = DIST) -> dict[str, Any] | None:
    """The build's manifest, read on each page load (a small file), so a rebuild is
    picked up without a restart. None when the app has not been built."""
    try:
        data = json.loads((dist / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def assets_for(manifest: dict[str, Any], page: str) -> Assets | None:
    entry, style = manifest.get(page), manifest.get("style")
    if not isinstance(entry, dict) or not isinstance(style, dict) or "js" not in entry:
        return None
    icon = manifest.get("icon", {}).get("file")
    return Assets(
        js=STATIC + entry["js"],
        style=STATIC + style["css"],
        css=STATIC + entry["css"] if entry.get("css") else None,
        icon=STATIC + icon if icon else None,
        preload=[STATIC + p for p in entry.get("preload", [])],
    )


def content_security_policy(request: Request) -> str:
    host = request.headers.get("host", "")
    sockets = f" ws://{host} wss://{host}" if HOST.match(host) else ""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            f"connect-src 'self'{sockets}",
            "manifest-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _secure(request: Request, response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-cache"
    return response


async def _shell(
    request: Request, page: str, key: str | None = None, lookup: Lookup | None = None
) -> Response:
    manifest = read_manifest()
    assets = assets_for(manifest, page) if manifest else None
    if assets is None:
        if page == "charter":
            return await pages.read_charter(request)  # the reading view works without it
        return _unbuilt(request)
    found = await pages.readable_charter(request)
    if isinstance(found, Response):
        return found
    article = _article(found, key) if key is not None else None
    if key is not None and article is None:
        return pages.render(request, "not_found.html", {}, 404)
    extra = await lookup(request, found) if lookup is not None else {}
    if extra is None:
        return pages.render(request, "not_found.html", {}, 404)
    context = {
        **extra,
        "charter": found,
        "article": article,
        "page": page,
        "assets": assets,
        "read_url": f"/charters/{found.slug}/read",
    }
    return _secure(request, pages.render(request, f"app_{page}.html", context))


def _article(charter: CharterRecord, key: str) -> ArticleRecord | None:
    return next((a for _, a in charter.articles() if a.key == key), None)


def _unbuilt(request: Request) -> Response:
    return pages.render(request, "app_unbuilt.html", {}, 503)


async def charter_page(request: Request) -> Response:
    return await _shell(request, "charter")


async def editor_page(request: Request) -> Response:
    return await _shell(request, "editor", request.path_params["key"])


async def projector_page(request: Request) -> Response:
    return await _shell(request, "projector")


async def amendments_page(request: Request) -> Response:
    return await _shell(request, "amendments")


async def comments_page(request: Request) -> Response:
    return await _shell(request, "comments")


async def _amendment(request: Request, charter: CharterRecord) -> dict[str, Any] | None:
    """The amendment of the URL, for the shell's title; None when there is none."""
    try:
        number = int(request.path_params["amendment_id"])
        record = await services(request).amendments.get(charter.id, number)
    except (ValueError, NotFound):
        return None
    return {"amendment": record}


async def amendment_page(request: Request) -> Response:
    return await _shell(request, "amendment", lookup=_amendment)


def _accepted(header: str) -> set[str]:
    """Content codings the client accepts (q=0 means refused)."""
    accepted = set()
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if params.strip().replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            continue
        if coding:
            accepted.add(coding.strip().lower())
    return accepted


async def asset(request: Request) -> Response:
    """A file of the build: immutable (its name changes with its content), with the right
    type, pre-compressed when the browser accepts it."""
    name = request.path_params["path"]
    path = DIST / name
    media_type = CONTENT_TYPES.get(path.suffix)
    if not ASSET_PATH.match(name) or media_type is None or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    if path.suffix in (".js", ".css"):
        headers["Vary"] = "Accept-Encoding"
        accepted = _accepted(request.headers.get("accept-encoding", ""))
        for coding, suffix in ENCODINGS:
            packed = path.with_name(path.name + suffix)
            if coding in accepted and packed.is_file():
                headers["Content-Encoding"] = coding
                return FileResponse(packed, media_type=media_type, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)


async def favicon(request: Request) -> Response:
    manifest = read_manifest()
    icon = manifest.get("icon", {}).get("file") if manifest else None
    if not icon:
        return Response(status_code=404)
    return RedirectResponse(STATIC + icon, status_code=302)


routes = [
    Route("/charters/{slug}", charter_page),
    Route("/charters/{slug}/articles/{key}", editor_page),
    Route("/charters/{slug}/projector", projector_page),
    Route("/charters/{slug}/amendments", amendments_page),
    Route("/charters/{slug}/amendments/{amendment_id}", amendment_page),
    Route("/charters/{slug}/comments", comments_page),
    Route(STATIC + "{path:path}", asset),
    Route("/favicon.ico", favicon),
]
