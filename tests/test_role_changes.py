"""Rights changed mid-session take effect within 2 s: a demoted editor, a blocked
participant, a charter made private; a charter always keeps a facilitator."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from server.domain.demo import DEMO_SLUG
from tests.hpdriver import HocuspocusClient
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    first_document,
    make_token,
    server_text,
    until_server_has,
)
from tests.wire_client import (
    WS_ENDPOINTS,
    Wire,
    api,
    is_,
    no_nagle,
    participant_id,
    settled,
    snapshot,
)

# ---------------------------------------------------------------------------------------
# Rights changed mid-session.
# ---------------------------------------------------------------------------------------


async def patch_participant(
    server: RunningServer, as_token: str, target: int, body: dict[str, Any]
) -> httpx.Response:
    async with api(server, as_token) as http:
        return await http.patch(f"/api/charters/{DEMO_SLUG}/participants/{target}", json=body)


async def me(server: RunningServer, token: str) -> httpx.Response:
    async with api(server, token) as http:
        return await http.get(f"/api/charters/{DEMO_SLUG}/me")


async def test_demoted_editor_is_cut_off_within_2s_and_comes_back_read_only(
    server: RunningServer, facilitator: str
) -> None:
    no_nagle(server)
    doc = await first_document(server.base_url, DEMO_SLUG)
    token = await make_token(server, "editor", "Awa")
    async with (
        PyClient(server.ws_url, doc, token) as py,
        HocuspocusClient(server.ws_url, [{"name": doc, "token": token}]) as hpc,
    ):
        assert (await hpc.wait(is_("authenticated", doc)))["scope"] == "read-write"
        await hpc.wait(is_("synced", doc))
        py.append("[avant]")
        await until_server_has(server.base_url, doc, lambda t: "[avant]" in t)
        since = hpc.mark()
        started = time.monotonic()
        demoted = await patch_participant(
            server, facilitator, participant_id(token), {"role": "reader"}
        )
        assert demoted.status_code == 200 and demoted.json()["role"] == "reader"
        async with asyncio.timeout(2):
            await py.closed.wait()
            await hpc.wait(lambda e: e["event"] == "close" and e["doc"] == doc, since=since)
        assert time.monotonic() - started < 2
        assert py.close_code == 1008
        closes = [e for e in hpc.events[since:] if is_("close", doc)(e)]
        assert closes[0]["code"] == 1008
        # Back with the new rights: the old token still identifies them, as a reader.
        assert (await me(server, token)).json()["role"] == "reader"
        await py.disconnect()
        await py.connect()
        py.append("[après-ws]")
        async with asyncio.timeout(5):
            await py.closed.wait()
        assert py.close_code == 4403
        again = await hpc.wait(is_("authenticated", doc), since=since)  # it reconnected
        assert again["scope"] == "readonly"
        await settled(hpc, doc, since)
        mark = hpc.mark()
        await hpc.send({"cmd": "insert", "doc": doc, "index": 0, "text": "[après-hp]"})
        assert (await hpc.wait(is_("syncStatus", doc), since=mark))["applied"] is False
        text = await server_text(server.base_url, doc)
        assert "[avant]" in text and "[après" not in text
        await py.disconnect()


async def test_blocked_participant_is_cut_off_within_2s_and_stays_out(
    server: RunningServer, facilitator: str
) -> None:
    no_nagle(server)
    doc = await first_document(server.base_url, DEMO_SLUG)
    token = await make_token(server, "editor", "Bruno")
    pid = participant_id(token)
    async with (
        PyClient(server.ws_url, doc, token) as py,
        HocuspocusClient(server.ws_url, [{"name": doc, "token": token}]) as hpc,
    ):
        await hpc.wait(is_("synced", doc))
        since = hpc.mark()
        blocked = await patch_participant(server, facilitator, pid, {"blocked": True})
        assert blocked.status_code == 200 and blocked.json()["blocked"] is True
        async with asyncio.timeout(2):
            await py.closed.wait()
            await hpc.wait(lambda e: e["event"] == "close" and e["doc"] == doc, since=since)
        assert py.close_code == 1008
        await py.disconnect()
        reason = "this participant has been blocked by a facilitator"
        denied = await hpc.wait(is_("denied", doc), since=since)  # the provider came back
        assert denied["reason"] == reason
        wire = await Wire.open(server.ws_url, "yws", doc, token)
        assert await wire.wait_closed() == 4403 and wire.close_reason == reason
        refused = await me(server, token)
        assert refused.status_code == 403 and refused.json()["error"]["message"] == reason
        # Unblocked: in again.
        assert (
            await patch_participant(server, facilitator, pid, {"blocked": False})
        ).status_code == 200
        wire = await Wire.open(server.ws_url, "yws", doc, token)
        await wire.admitted(token)
        await wire.close()


async def test_the_last_facilitator_cannot_be_demoted_or_blocked(
    server: RunningServer, facilitator: str
) -> None:
    no_nagle(server)
    first = participant_id(facilitator)
    before = await snapshot(server)
    for as_token in (facilitator, ADMIN_TOKEN):
        for body in ({"role": "editor"}, {"role": "reader"}, {"blocked": True}):
            response = await patch_participant(server, as_token, first, body)
            assert response.status_code == 409, (body, response.text)
            assert response.json()["error"]["code"] == "conflict"
    assert await snapshot(server) == before
    renamed = await patch_participant(server, facilitator, first, {"name": "Anim"})
    assert renamed.status_code == 200  # changing anything else is fine
    second = await make_token(server, "facilitator", "Deuxième")
    stepped_down = await patch_participant(server, second, first, {"role": "editor"})
    assert stepped_down.status_code == 200
    # The former facilitator's token now carries an editor's rights only.
    assert (
        await patch_participant(server, facilitator, participant_id(second), {"role": "editor"})
    ).status_code == 403
    alone = await patch_participant(server, second, participant_id(second), {"role": "editor"})
    assert alone.status_code == 409


async def test_making_a_charter_private_cuts_off_anonymous_readers(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    """Anonymous readers were let in because the charter was public. Once a facilitator
    makes it private, they must stop receiving its text (within 2 s)."""
    no_nagle(server)
    doc = await first_document(server.base_url, DEMO_SLUG)
    settings_path = f"/api/charters/{DEMO_SLUG}/settings"
    async with api(server, facilitator) as http:
        assert (await http.patch(settings_path, json={"public_read": True})).status_code == 200
        anonymous = [await Wire.open(server.ws_url, kind, doc) for kind in WS_ENDPOINTS]
        for wire in anonymous:
            welcome = await wire.admitted(None)
            assert wire.collab is False or welcome.text == "readonly"
        marks = [w.mark() for w in anonymous]
        assert (await http.patch(settings_path, json={"public_read": False})).status_code == 200
    try:

        async def still_connected(wire: Wire, mark: int) -> str | None:
            try:  # closed, or (/collab) the document closed with a CLOSE message
                await wire.wait(lambda f: f.kind == "close", mark, timeout=2.0)
            except AssertionError:
                if not wire.closed.is_set():
                    return "/collab" if wire.collab else "/ws"
            return None

        waited = await asyncio.gather(*map(still_connected, anonymous, marks))
        still = [where for where in waited if where]
        assert not still, f"anonymous readers of a now private charter still connected: {still}"
        async with PyClient(server.ws_url, doc, editor) as writer:
            writer.append("[privé]")
            await until_server_has(server.base_url, doc, lambda t: "[privé]" in t)
        for wire in anonymous:
            assert not any("[privé]".encode() in f.raw for f in wire.frames)
    finally:
        for wire in anonymous:
            await wire.close()
