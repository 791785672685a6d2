"""The participants' guide: "the first five minutes", one page in the reader's language,
with screenshots taken by the browser tests (tests/e2e/test_participant_guide.py writes
them; ``make guide-images`` copies them here)."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from server.pages.site import render

SCREENSHOTS = Path(__file__).parent / "screenshots"
SCREENSHOT_NAME = re.compile(r"^[a-z0-9-]+\.(fr|en)\.png$")
# Screenshots change only with a new release of the app: a day in caches is plenty.
SCREENSHOT_CACHE = "public, max-age=86400"


async def guide(request: Request) -> Response:
    return render(request, "guide.html", {})


async def screenshot(request: Request) -> Response:
    name = request.path_params["name"]
    path = SCREENSHOTS / name
    if not SCREENSHOT_NAME.match(name) or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": SCREENSHOT_CACHE, "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type="image/png", headers=headers)


routes = [
    Route("/guide", guide),
    Route("/guide/img/{name}", screenshot),
]
