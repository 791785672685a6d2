"""Cookie sessions only from our own Origin: websockets (cross-site websocket hijacking) and
state-changing API calls; bearer calls need no Origin."""

from __future__ import annotations

import pytest

from server.domain.demo import DEMO_SLUG
from server.identity import COOKIE
from tests.support import (
    RunningServer,
    first_document,
    make_token,
)
from tests.wire_client import (
    WS_ENDPOINTS,
    Wire,
    api,
    bearer,
    no_nagle,
    participant_id,
    snapshot,
)

# ---------------------------------------------------------------------------------------
# Cookie sessions only from our own Origin (no cross-site websocket hijacking).
# ---------------------------------------------------------------------------------------


async def join_with_cookie(server: RunningServer, inviter: str, role: str, name: str) -> str:
    """A browser joins through an invitation link; the value of its session cookie."""
    async with api(server, inviter) as http:
        invite = await http.post(f"/api/charters/{DEMO_SLUG}/invites", json={"role": role})
        assert invite.status_code == 201, invite.text
    path = invite.json()["link"].removeprefix(server.base_url)
    async with api(server) as browser:
        joined = await browser.post(path, json={"name": name})
        assert joined.status_code == 201, joined.text
        return str(browser.cookies[COOKIE])


@pytest.mark.parametrize("endpoint", list(WS_ENDPOINTS))
async def test_cookie_websocket_needs_our_own_origin(
    server: RunningServer, facilitator: str, endpoint: str
) -> None:
    no_nagle(server)
    doc = await first_document(server.base_url, DEMO_SLUG)
    cookie = await join_with_cookie(server, facilitator, "editor", "Awa")
    port = server.settings.port
    ours = f"http://127.0.0.1:{port}"
    foreign = [
        "https://evil.example",
        "null",
        None,  # no Origin header at all
        f"http://localhost:{port}",
        f"http://127.0.0.1:{port + 1}",
        f"https://127.0.0.1:{port}",
    ]
    for origin in [ours, *foreign]:
        wire = await Wire.open(server.ws_url, endpoint, doc, origin=origin, cookie=cookie)
        try:
            if endpoint == "yws" and origin == ours:
                await wire.admitted(None)
            elif endpoint == "yws":
                assert await wire.wait_closed() == 4403, origin
                assert wire.close_reason == "origin not allowed"
                assert wire.frames == []
            else:
                answer = await wire.authenticate(None)
                if origin == ours:
                    assert (answer.kind, answer.text) == ("authenticated", "read-write")
                else:
                    assert (answer.kind, answer.text) == ("auth_denied", "origin not allowed")
        finally:
            await wire.close()
    # A token is no ambient credential: from any origin it works.
    token = await make_token(server, "editor", "Script")
    wire = await Wire.open(server.ws_url, endpoint, doc, token, origin="https://evil.example")
    await wire.admitted(token)
    await wire.close()


async def test_cookie_api_writes_need_our_origin_but_bearer_calls_do_not(
    server: RunningServer, facilitator: str
) -> None:
    no_nagle(server)
    cookie = await join_with_cookie(server, facilitator, "facilitator", "Fatou")
    ours = {"origin": f"http://127.0.0.1:{server.settings.port}"}
    target = participant_id(await make_token(server, "editor", "Cible"))
    writes = [
        ("POST", f"/api/charters/{DEMO_SLUG}/invites", {"role": "facilitator"}),
        ("PATCH", f"/api/charters/{DEMO_SLUG}/settings", {"public_read": True}),
        ("PATCH", f"/api/charters/{DEMO_SLUG}/participants/{target}", {"role": "facilitator"}),
        ("POST", f"/api/charters/{DEMO_SLUG}/sections", {"title": "Section pirate"}),
    ]
    async with (
        api(server, cookies={COOKIE: cookie}) as browser,
        api(server) as script,
    ):
        me = await browser.get(f"/api/charters/{DEMO_SLUG}/me")
        assert me.json()["via"] == "cookie" and me.json()["role"] == "facilitator"
        before = await snapshot(server)
        for origin in (
            None,
            "https://evil.example",
            "null",
            f"http://localhost:{server.settings.port}",
        ):
            for method, path, body in writes:
                headers = {"origin": origin} if origin else {}
                refused = await browser.request(method, path, json=body, headers=headers)
                assert refused.status_code == 403, (origin, method, path, refused.text)
                assert refused.json()["error"]["code"] == "forbidden"
        assert await snapshot(server) == before, "a refused cross-site call changed something"
        # Reading needs no Origin; writing from our own pages works.
        assert (await browser.get(f"/api/charters/{DEMO_SLUG}/invites")).status_code == 200
        for method, path, body in writes:
            done = await browser.request(method, path, json=body, headers=ours)
            assert done.status_code < 300, (method, path, done.text)
        # A bearer token is not sent by browsers on their own: no Origin needed, any accepted.
        for headers in ({}, {"origin": "https://evil.example"}):
            made = await script.post(
                f"/api/charters/{DEMO_SLUG}/invites",
                json={"role": "reader"},
                headers={**bearer(facilitator), **headers},
            )
            assert made.status_code == 201
        # Joining from a foreign page is refused too, and creates nobody.
        link = made.json()["link"].removeprefix(server.base_url)
        before = await snapshot(server)
        refused = await script.post(
            link, json={"name": "Piégé"}, headers={"origin": "https://evil.example"}
        )
        assert refused.status_code == 403 and await snapshot(server) == before
