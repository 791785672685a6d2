"""The page shells and the bundle over plain HTTP: security headers, no inline script,
content types, cache-busting names, compression, access. No browser needed."""

from __future__ import annotations

import re

import httpx

from tests.e2e.live import LiveServer
from tests.e2e.workshop import new_charter


def test_shells_carry_a_strict_policy_and_no_inline_script(live_server: LiveServer) -> None:
    charter = new_charter(live_server, [("S", [("A", "x")])])
    key = charter.article(0, 0)["id"]
    with charter.http() as http:
        for path in ("", f"/articles/{key}", "/projector"):
            response = http.get(f"/charters/{charter.slug}{path}")
            assert response.status_code == 200
            policy = response.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
            assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
            assert response.headers["x-content-type-options"] == "nosniff"
            scripts = re.findall(r"<script[^>]*>", response.text)
            assert scripts and all('src="/static/' in s and 'type="module"' in s for s in scripts)
            assert "<style" not in response.text and " style=" not in response.text
        assert http.get(f"/charters/{charter.slug}/articles/nope").status_code == 404
        assert http.get("/charters/no-such-charter").status_code == 404
    stranger = httpx.get(f"{live_server.base_url}/charters/{charter.slug}")
    assert stranger.status_code == 403


def test_assets_have_hashed_names_types_and_compression(live_server: LiveServer) -> None:
    charter = new_charter(live_server, [])
    with charter.http() as http:
        page = http.get(f"/charters/{charter.slug}").text
        script = re.search(r'<script type="module" src="(/static/charter-[A-Z0-9]+\.js)"', page)
        style = re.search(r'href="(/static/style-[A-Z0-9]+\.css)"', page)
        assert script and style
        js = http.get(script[1], headers={"accept-encoding": "gzip"})
        assert js.status_code == 200
        assert js.headers["content-type"] == "text/javascript; charset=utf-8"
        assert js.headers["content-encoding"] == "gzip"
        assert js.headers["cache-control"] == "public, max-age=31536000, immutable"
        plain = http.get(script[1], headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == js.content
        css = http.get(style[1])
        assert css.headers["content-type"] == "text/css; charset=utf-8"
        for bad in (
            "/static/manifest.json",
            "/static/../server/pages/shells.py",
            "/static/.x.js",
            "/static/nope-AAAA.js",
            f"{script[1]}.gz",
        ):
            assert http.get(bad).status_code == 404, bad
        assert (
            http.get("/favicon.ico", follow_redirects=True).headers["content-type"]
            == "image/svg+xml"
        )
