"""Limits: per-connection rate limits close only the offender
(1013), per-participant connection caps, documents per /collab socket, and nothing keyed
on the address: a workshop puts fifty people behind one router."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

import httpx
import pytest
import websockets

from crdt import hocuspocus as hp
from crdt import protocol
from server.domain.demo import DEMO_SLUG
from server.identity import COOKIE
from server.settings import Settings
from tests.hpdriver import HocuspocusClient
from tests.support import (
    PyClient,
    RunningServer,
    ServerProcess,
    documents,
    first_document,
    make_token,
    running_server,
    server_text,
    wait_for,
)
from tests.wire_client import (
    TLS,
    WS_ENDPOINTS,
    Wire,
    api,
    insertion,
    no_nagle,
    participant_id,
)


async def connections(server: RunningServer, facilitator: str) -> dict[int, int]:
    """Open sockets per participant, as the facilitators' API reports them."""
    async with api(server, facilitator) as http:
        listed = await http.get(f"/api/charters/{DEMO_SLUG}/participants")
    return {p["id"]: p["connections"] for p in listed.json()["participants"]}


async def until_connections(
    server: RunningServer, facilitator: str, who: int, count: int, timeout: float = 5.0
) -> None:
    deadline = time.monotonic() + timeout
    while (await connections(server, facilitator)).get(who) != count:
        assert time.monotonic() < deadline, f"participant {who} never had {count} connections"
        await asyncio.sleep(0.02)


async def test_fifty_people_behind_one_address_join_and_connect(
    server: RunningServer, facilitator: str
) -> None:
    """One invitation, fifty browsers on 127.0.0.1 join within the minute and open the
    same article, over /ws with their cookie and over /collab with their token."""
    no_nagle(server)  # see test_serve_sends_small_responses_without_delay
    started = time.monotonic()
    doc = await first_document(server.base_url, DEMO_SLUG)
    async with api(server, facilitator) as http:
        invite = await http.post(
            f"/api/charters/{DEMO_SLUG}/invites",
            json={"role": "editor", "label": "Atelier", "max_uses": 50, "expires_in_hours": 3},
        )
    path = invite.json()["link"].removeprefix(server.base_url)

    async def join(i: int) -> tuple[int, str, str]:
        async with api(server) as browser:
            joined = await browser.post(path, json={"name": f"Participant·e {i}"})
            assert joined.status_code == 201, joined.text
            return joined.json()["participant_id"], joined.json()["token"], browser.cookies[COOKIE]

    people = await asyncio.gather(*(join(i) for i in range(50)))
    assert len({pid for pid, _, _ in people}) == 50
    async with api(server) as late:
        full = await late.post(path, json={"name": "Cinquante et un"})
    assert full.status_code == 422 and "used up" in full.json()["error"]["message"]

    ours = f"http://127.0.0.1:{server.settings.port}"
    browsers = await asyncio.gather(
        *(Wire.open(server.ws_url, "yws", doc, origin=ours, cookie=c) for _, _, c in people)
    )
    sockets = await asyncio.gather(*(Wire.open(server.ws_url, "collab", doc) for _ in people))
    try:
        await asyncio.gather(*(w.admitted(None) for w in browsers))
        answers = await asyncio.gather(
            *(w.authenticate(token) for w, (_, token, _) in zip(sockets, people, strict=True))
        )
        assert {(a.kind, a.text) for a in answers} == {("authenticated", "read-write")}
        assert time.monotonic() - started < 60
        online = await connections(server, facilitator)
        assert [online[pid] for pid, _, _ in people] == [2] * 50
        # and they write: one edit each over /collab reaches a browser
        for i, wire in enumerate(sockets):
            await wire.send(protocol.sync_update(insertion(f"[p{i}]")))
        await wait_for(
            lambda: sum(f.kind == "update" for f in browsers[0].frames) >= 50,
            what="fifty edits relayed",
        )
    finally:
        await asyncio.gather(*(w.close() for w in [*browsers, *sockets]))
    text = await server_text(server.base_url, doc)
    assert all(f"[p{i}]" in text for i in range(50))


def flood_frame(endpoint: str, doc: str, i: int) -> bytes:
    body = protocol.sync_update(insertion(f"[flot{i}]"))
    return hp.prefix(doc) + body if endpoint == "collab" else body


@pytest.mark.parametrize("endpoint", list(WS_ENDPOINTS))
async def test_a_flooding_connection_is_closed_1013_and_the_others_converge(
    settings: Settings, endpoint: str
) -> None:
    """Five messages per second (bursts of twenty) per connection. The offender is closed
    with 1013; everyone else, the same participant's other connection included, carries on."""
    async with running_server(settings.with_overrides(max_messages_per_second=5)) as server:
        doc = await first_document(server.base_url, DEMO_SLUG)
        alice, bob, flooder = [await make_token(server, "editor", n) for n in ("A", "B", "F")]
        async with (
            PyClient(server.ws_url, doc, alice) as a,
            PyClient(server.ws_url, doc, bob) as b,
            PyClient(server.ws_url, doc, flooder) as sibling,
        ):
            a.append("[a-avant]")
            await b.wait_text(lambda t: "[a-avant]" in t)
            wire = await Wire.open(server.ws_url, endpoint, doc, flooder)
            await wire.admitted(flooder)
            for i in range(60):
                if wire.closed.is_set():
                    break
                try:
                    await wire.send_raw(flood_frame(endpoint, doc, i))
                except websockets.ConnectionClosed:  # closed by the server mid-flood
                    break
                if i == 30:
                    b.append("[b-pendant]")
            assert await wire.wait_closed() == 1013
            assert wire.close_reason == "too many messages per second"
            a.append("[a-après]")
            b.append("[b-après]")
            sibling.append("[f-après]")  # limits are per connection, not per participant
            for client in (a, b, sibling):
                await client.wait_text(
                    lambda t: all(m in t for m in ("[a-après]", "[b-après]", "[f-après]"))
                )
            await wait_for(lambda: a.value() == b.value() == sibling.value(), what="converge")
            assert await server_text(server.base_url, doc) == a.value()
            assert "[b-pendant]" in a.value()
            flooded = a.value().count("[flot")
            assert 0 < flooded <= 21, f"{flooded} of the flood's 60 updates were applied"
            assert not sibling.closed.is_set()


@pytest.mark.parametrize("endpoint", list(WS_ENDPOINTS))
async def test_too_many_bytes_per_second_closes_1013(settings: Settings, endpoint: str) -> None:
    """4 KB per second (bursts of 16 KB): a 2 KB edit passes, a 20 KB one closes the socket."""
    async with running_server(settings.with_overrides(max_bytes_per_second=4096)) as server:
        doc = await first_document(server.base_url, DEMO_SLUG)
        token = await make_token(server, "editor", "Colle")
        async with PyClient(server.ws_url, doc, await make_token(server, "reader", "R")) as watcher:
            wire = await Wire.open(server.ws_url, endpoint, doc, token)
            await wire.admitted(token)
            small, large = "[petit]" + "é" * 1000, "[grand]" + "x" * 20_000
            await wire.send(protocol.sync_update(insertion(small)))
            await watcher.wait_text(lambda t: "[petit]" in t)
            await wire.send(protocol.sync_update(insertion(large)))
            assert await wire.wait_closed() == 1013
            assert wire.close_reason == "too many bytes per second"
        text = await server_text(server.base_url, doc)
        assert "[petit]" in text and "[grand]" not in text


async def test_connections_per_participant_are_capped(settings: Settings) -> None:
    """Three sockets per participant: the fourth /ws is closed 1013, /collab answers
    PermissionDenied; another participant is not affected; a closed socket frees a place.
    A /collab socket counts once, however many documents it carries."""
    capped = settings.with_overrides(max_connections_per_participant=3)
    async with running_server(capped) as server:
        facilitator = await make_token(server, "facilitator", "Anim")
        first, second = (await documents(server.base_url, DEMO_SLUG))[:2]
        token = await make_token(server, "editor", "Multi-onglets")
        pid = participant_id(token)
        tabs = [await Wire.open(server.ws_url, "yws", first, token) for _ in range(3)]
        for tab in tabs:
            await tab.admitted(token)
        fourth = await Wire.open(server.ws_url, "yws", first, token)
        assert await fourth.wait_closed() == 1013
        assert fourth.close_reason == "too many connections"
        socket = await Wire.open(server.ws_url, "collab", first)
        denied = await socket.authenticate(token)
        assert (denied.kind, denied.text) == ("auth_denied", "too many connections")
        other = await make_token(server, "editor", "Voisine")
        neighbour = await Wire.open(server.ws_url, "yws", first, other)
        await neighbour.admitted(other)
        await until_connections(server, facilitator, pid, 3)

        await tabs.pop().close()
        await until_connections(server, facilitator, pid, 2)
        for doc in (first, second):  # one socket, two documents: one connection
            assert (await socket.authenticate(token, doc)).kind == "authenticated"
        await until_connections(server, facilitator, pid, 3)
        again = await Wire.open(server.ws_url, "yws", second, token)
        assert await again.wait_closed() == 1013
        for wire in (*tabs, socket, neighbour):
            await wire.close()


async def test_documents_per_collab_socket_are_capped(settings: Settings) -> None:
    async with running_server(settings.with_overrides(max_documents_per_socket=2)) as server:
        docs = (await documents(server.base_url, DEMO_SLUG))[:3]
        token = await make_token(server, "editor", "Curieuse")
        wire = await Wire.open(server.ws_url, "collab", docs[0])
        try:
            for doc in docs[:2]:
                assert (await wire.authenticate(token, doc)).kind == "authenticated"
            refused = await wire.authenticate(token, docs[2])
            assert (refused.kind, refused.text) == (
                "auth_denied",
                "too many documents on one connection",
            )
            since = wire.mark()
            await wire.send(bytes((hp.CLOSE,)), docs[0])  # let one go: a place is free
            await wire.wait(lambda f: f.kind == "close" and f.doc == docs[0], since)
            assert (await wire.authenticate(token, docs[2])).kind == "authenticated"
        finally:
            await wire.close()
        # The real provider, three documents on one socket: two in, one refused.
        plan = [{"name": doc, "token": token} for doc in docs]
        async with HocuspocusClient(server.ws_url, plan) as client:
            outcomes = [
                await client.wait(
                    lambda e, d=doc: e["doc"] == d and e["event"] in ("authenticated", "denied")
                )
                for doc in docs
            ]
        assert sorted(e["event"] for e in outcomes) == ["authenticated", "authenticated", "denied"]
        [denied] = [e for e in outcomes if e["event"] == "denied"]
        assert denied["reason"] == "too many documents on one connection"


def test_serve_sends_small_responses_without_delay(tmp_path: Path) -> None:
    """`charter serve` binds its own socket with ``socket.socket(AF_INET)``, whose proto is
    0; asyncio then skips TCP_NODELAY on accepted connections (it checks
    ``sock.proto == IPPROTO_TCP``). A response written as headers then body, or two small
    websocket frames in a row, then waits for the client's delayed ACK: ~40 ms each."""
    server = ServerProcess(f"sqlite:///{tmp_path / 'charter.db'}")
    server.start()
    try:
        with httpx.Client(verify=TLS, base_url=server.base_url) as http:
            http.get("/healthz")
            times = []
            for _ in range(15):
                begin = time.monotonic()
                assert http.get("/healthz").status_code == 200
                times.append(time.monotonic() - begin)
    finally:
        server.stop()
    median = statistics.median(times)
    assert median < 0.02, f"GET /healthz takes {median * 1000:.0f} ms (TCP_NODELAY is not set)"
