"""Room life: presence, single-flight load, keepalive, idle unload, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import socket
import weakref
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import websockets
from sqlalchemy import delete, insert

from crdt import protocol
from crdt.article import ArticleDoc, fold
from crdt.awareness import Entry, decode_entries, encode_entries
from persistence.docs import DocStore
from persistence.engine import make_engine
from persistence.tables import doc_updates
from server.access import local_reader
from server.domain.demo import DEMO_SLUG
from server.live.keys import RoomKey
from server.live.rooms import Frames, Room
from server.settings import Settings
from tests.databases import scalar, seeded_document, stored_text, writes_blocked
from tests.hpdriver import HocuspocusClient
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    ServerProcess,
    cli_token,
    first_document,
    make_token,
    running_server,
    server_text,
    until_server_has,
    wait_for,
)
from tests.wire_client import Wire


async def recv_until(ws: websockets.ClientConnection, kind: type, timeout: float = 5) -> object:
    async with asyncio.timeout(timeout):
        while True:
            message = protocol.decode(await ws.recv())  # type: ignore[arg-type]
            if isinstance(message, kind):
                return message


def presence(client_id: int, clock: int, state: object) -> bytes:
    return protocol.awareness(encode_entries([Entry(client_id, clock, json.dumps(state))]))


async def test_presence_is_stamped_relayed_echoed_and_removed_on_disconnect(
    server: RunningServer,
) -> None:
    name = await first_document(server.base_url, DEMO_SLUG)
    alice_token = await make_token(server, "editor", "Alice Martin")
    bob_token = await make_token(server, "reader", "Bob")
    url = f"{server.ws_url}/ws/{name}?token="
    async with (
        websockets.connect(url + alice_token) as alice,
        websockets.connect(url + bob_token) as bob,
    ):
        forged = {"user": {"name": "Le Maire", "color": "red;background:url(//x)"}, "cursor": 3}
        await alice.send(presence(11, 1, forged))
        echoed = await recv_until(alice, protocol.AwarenessUpdate)
        seen = await recv_until(bob, protocol.AwarenessUpdate)
        for message in (echoed, seen):
            assert isinstance(message, protocol.AwarenessUpdate)
            [entry] = decode_entries(message.payload, 4096)
            state = json.loads(entry.state)
            assert entry.client_id == 11 and state["cursor"] == 3  # the rest is kept
            assert state["user"]["name"] == "Alice Martin"  # the forged name is replaced
            assert state["user"]["color"].startswith("#") and len(state["user"]["color"]) == 7
        # Bob may not speak for Alice's client id, nor remove her.
        await bob.send(presence(11, 5, {"user": {"name": "Alice"}, "cursor": 99}))
        await bob.send(presence(11, 6, None))
        async with websockets.connect(url + bob_token) as carol:  # a late joiner sees Alice
            joined = await recv_until(carol, protocol.AwarenessUpdate)
            assert isinstance(joined, protocol.AwarenessUpdate)
            [entry] = decode_entries(joined.payload, 4096)
            assert entry.client_id == 11 and json.loads(entry.state)["cursor"] == 3
        await alice.close()
        gone = await recv_until(bob, protocol.AwarenessUpdate)
        assert isinstance(gone, protocol.AwarenessUpdate)
        removals = decode_entries(gone.payload, 4096)
        assert [(e.client_id, e.removed) for e in removals] == [(11, True)]


async def test_presence_coming_back_after_its_removal_is_seen_at_once(
    server: RunningServer,
) -> None:
    """A client that reconnects (a cut connection, a changed role or name) still counts
    from its old clock, which the others saw removed one tick later: y-protocols ignores a
    state whose clock is not above the removal's, so the person stayed missing from presence
    until their client's clock caught up (30 s). The room relays it with clocks above the
    removal."""
    name = await first_document(server.base_url, DEMO_SLUG)
    alice_token = await make_token(server, "editor", "Alice")
    bob_token = await make_token(server, "reader", "Bob")
    url = f"{server.ws_url}/ws/{name}?token="

    async def next_entry(ws: websockets.ClientConnection) -> Entry:
        message = await recv_until(ws, protocol.AwarenessUpdate)
        assert isinstance(message, protocol.AwarenessUpdate)
        [entry] = decode_entries(message.payload, 4096)
        return entry

    async with websockets.connect(url + bob_token) as bob:
        async with websockets.connect(url + alice_token) as alice:
            await alice.send(presence(11, 3, {"cursor": 1}))
            assert (await next_entry(bob)).clock == 3
        removal = await next_entry(bob)
        assert removal.removed and removal.clock == 4
        async with websockets.connect(url + alice_token) as alice:
            await alice.send(presence(11, 3, {"cursor": 2}))  # the same client, back
            back = await next_entry(bob)
            assert not back.removed and back.clock > removal.clock
            assert json.loads(back.state)["cursor"] == 2
            await alice.send(presence(11, 4, {"cursor": 3}))  # and it goes on counting
            later = await next_entry(bob)
            assert later.clock > back.clock and json.loads(later.state)["cursor"] == 3
            await alice.send(presence(11, 5, None))  # it leaves
            gone = await next_entry(bob)
            assert gone.removed and gone.clock > later.clock


async def test_concurrent_first_joiners_share_one_load(server: RunningServer) -> None:
    name = await first_document(server.base_url, DEMO_SLUG)
    tokens = [await make_token(server, name=f"P{i}") for i in range(20)]
    clients = [PyClient(server.ws_url, name, token) for token in tokens]
    await asyncio.gather(*(c.connect() for c in clients))
    try:
        assert len(server.services.registry.loaded()) == 1
        texts = {c.value() for c in clients}
        assert len(texts) == 1 and texts != {""}
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients))


async def test_idle_connection_gets_keepalive_frames(settings: Settings) -> None:
    async with running_server(settings.with_overrides(keepalive_seconds=0.2)) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        token = await make_token(server, "reader")
        async with websockets.connect(f"{server.ws_url}/ws/{name}?token={token}") as ws:
            await recv_until(ws, protocol.SyncStep1)
            async with asyncio.timeout(2):
                frame = await ws.recv()
            assert frame == protocol.KEEPALIVE


async def test_idle_room_is_unloaded_after_its_updates_are_stored(settings: Settings) -> None:
    async with running_server(settings.with_overrides(idle_unload_seconds=0.2)) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        async with PyClient(server.ws_url, name, await make_token(server)) as client:
            client.append(" [unload-me]")
            await client.wait_text(lambda t: "[unload-me]" in t)
            await wait_for(lambda: "[unload-me]" in server.services.registry.loaded()[0].doc.text())
        await wait_for(lambda: not server.services.registry.loaded(), what="unload")
        assert "[unload-me]" in await server_text(server.base_url, name)


@pytest.mark.parametrize("leaving", ["closes its documents", "drops its socket"])
async def test_an_unloaded_room_is_freed_at_once(settings: Settings, leaving: str) -> None:
    """Once unloaded, a room and its document are freed by their last reference going away,
    not by a later garbage collection nor by the store's next commit, however its last
    client left. The store's writer used to keep its last batch, and with it the sessions,
    the room and its whole history, until it committed again (on a quiet server, for ever);
    a /collab socket that dropped kept its sessions, each pointing back at it: a cycle that
    only a full collection frees, which comes rarely under ``CHARTER_GC_THRESHOLDS``."""
    async with running_server(settings.with_overrides(idle_unload_seconds=0.2)) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        token = await make_token(server)
        with collector_off():  # only reference counting may free them
            async with HocuspocusClient(server.ws_url, [{"name": name, "token": token}]) as client:
                await client.wait(lambda e: e["event"] == "synced")
                await client.send({"cmd": "insert", "doc": name, "index": 0, "text": "[freed] "})
                await until_server_has(server.base_url, name, lambda t: t.startswith("[freed] "))
                (room,) = server.services.registry.loaded()
                room_ref, doc_ref = weakref.ref(room), weakref.ref(room.doc)
                del room
                if leaving == "drops its socket":
                    assert client.proc is not None
                    client.proc.kill()  # no Close for its document: the socket just ends
                    await client.proc.wait()
            await wait_for(lambda: not server.services.registry.loaded(), what="unload")
            await wait_for(lambda: room_ref() is None, what="the room freed")
            assert doc_ref() is None


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_sigterm_stores_everything_the_server_applied(database_url: str) -> None:
    proc = ServerProcess(database_url, ("CHARTER_SEED_DEMO", "true"))
    proc.start()
    try:
        name = await first_document(proc.base_url, DEMO_SLUG)
        async with PyClient(proc.ws_url, name, cli_token(proc.database_url)) as client:
            for i in range(200):
                client.append(f"[t{i}]")
            text = await client.wait_text(lambda t: "[t199]" in t)
            await until_server_has(proc.base_url, name, lambda t: "[t199]" in t)
            proc.stop()  # SIGTERM: close sockets, commit the queue, exit
            # uvicorn re-raises SIGTERM after its graceful shutdown has completed
            assert proc.proc is not None and proc.proc.returncode in (0, -15)
    finally:
        proc.stop()
    assert await stored_text(database_url) == text


async def test_a_stop_closes_the_door_and_lets_a_request_in_flight_finish(
    tmp_path: Path,
) -> None:
    """A stop (as SIGTERM, here from the event loop) stops accepting connections at once,
    waits for a request already running (its write waits for the database), then runs the
    app's shutdown: what that request wrote is stored and its answer arrives."""
    database_url = f"sqlite:///{tmp_path / 'charter.db'}"
    settings = Settings(database_url=database_url, seed_demo=True, admin_token=ADMIN_TOKEN)
    async with running_server(settings) as server:
        token = await make_token(server, "facilitator", "Animatrice")
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
            api = f"/api/charters/{DEMO_SLUG}"
            section = (await http.get(api)).json()["sections"][0]["id"]
            async with writes_blocked(database_url):
                request = asyncio.ensure_future(
                    http.post(
                        f"{api}/sections/{section}/articles",
                        json={"title": "Arrivé à l'arrêt", "markdown": "Texte."},
                    )
                )
                state = server.server.server_state
                await wait_for(lambda: bool(state.tasks), what="the request running")
                server.server.stop()  # type: ignore[attr-defined]
                await wait_for(lambda: not listening(server.base_url), what="the door closed")
                # The app's shutdown waits for the request (it would close the store under it).
                finished = server.server.lifespan.shutdown_event
                with anyio.move_on_after(0.3):
                    await finished.wait()
                assert not finished.is_set() and not request.done()
            response = await request
        assert response.status_code == 201, response.text
    titles = await scalar(database_url, "SELECT count(*) FROM articles WHERE title LIKE 'Arriv%'")
    assert titles == 1


def listening(base_url: str) -> bool:
    host, port = base_url.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


async def test_an_article_past_the_size_limit_refuses_more_edits(settings: Settings) -> None:
    async with running_server(settings.with_overrides(max_document_bytes=3000)) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        async with PyClient(server.ws_url, name, await make_token(server)) as client:
            client.append("x" * 3000)  # accepted: the article was under the limit
            await until_server_has(server.base_url, name, lambda t: t.endswith("x" * 3000))
            client.append("one more")
            await asyncio.wait_for(client.closed.wait(), 5)
            assert client.close_code == 4403
        text = await server_text(server.base_url, name)
        assert "one more" not in text


async def test_a_failed_load_is_told_to_its_own_waiters_only(server: RunningServer) -> None:
    """A document whose stored history cannot be read fails to load: on /collab only its
    session is refused (the socket carries on); once the history is mended, a later load
    and all who wait for it succeed (the failure of the first load used to be kept and
    raised to a waiter of a later one)."""
    name = await first_document(server.base_url, DEMO_SLUG)
    _, slug, _, key = name.split("/")
    document_id = (await server.services.repo.find_article(slug, key)).document_id
    token = await make_token(server, "editor", "Élise")
    async with server.services.engine.begin() as conn:
        bad = await conn.execute(
            insert(doc_updates).values(document_id=document_id, update=b"\x01\x02\x03")
        )
        seq = bad.inserted_primary_key[0]
    wire = await Wire.open(server.ws_url, "collab", name, token)
    try:
        answer = await wire.authenticate(token)
        assert (answer.kind, answer.text) == ("auth_denied", "document could not be loaded")
        await wire.processed()
        assert not wire.closed.is_set()
    finally:
        await wire.close()
    async with server.services.engine.begin() as conn:
        await conn.execute(delete(doc_updates).where(doc_updates.c.seq == seq))
    tokens = [await make_token(server, name=f"P{i}") for i in range(10)]
    clients = [PyClient(server.ws_url, name, t) for t in tokens]
    try:
        await asyncio.gather(*(c.connect() for c in clients))
        assert len({c.value() for c in clients} - {""}) == 1
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients))


class BrokenPeer:
    """A room member whose socket fails in the middle of a broadcast."""

    step1_first = False

    def __init__(self) -> None:
        self.principal = local_reader()
        self.awareness_ids: set[int] = set()

    def send(self, message: bytes, frames: Frames | None = None) -> None:
        raise OSError("connection reset by peer")

    def send_stateless(self, payload: str, frames: Frames) -> None: ...

    def acknowledge(self, applied: bool) -> None: ...

    def refuse_write(self, reason: str) -> None: ...

    def request_close(self, code: int, reason: str) -> None: ...


async def test_a_change_is_queued_for_the_store_before_it_is_relayed(database_url: str) -> None:
    """Whatever happens while relaying a change, it was queued for the store first: a
    change can never reach other people and be missing from the database."""
    document_id = await seeded_document(database_url)
    engine = make_engine(database_url)
    store = DocStore(engine, fold)
    writer = asyncio.ensure_future(store.run())
    try:
        doc = ArticleDoc.from_updates(await store.load(document_id))
        room = Room("charters/x/articles/y", RoomKey.document(document_id), doc, store, 4096)
        room.join(BrokenPeer(), send_step1=False)
        writer_doc = ArticleDoc.from_updates(await store.load(document_id))
        update = writer_doc.edit(lambda body: body.insert(0, "[relayed-or-not]"))
        assert update is not None
        with pytest.raises(OSError):
            room.apply(update, origin=None)
        await store.flush()
        assert "[relayed-or-not]" in await stored_text(database_url, document_id)
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await engine.dispose()


def test_a_channel_and_a_document_of_the_same_id_are_different_rooms() -> None:
    """Charter channels used to be keyed by a negative document id; a typed key keeps them
    apart and travels between instances as a signed id."""
    document, channel = RoomKey.document(3), RoomKey.channel(3)
    assert document != channel and len({document, channel}) == 2
    assert document.holds_text and not channel.holds_text
    assert [RoomKey.from_wire(k.wire()) for k in (document, channel)] == [document, channel]
    assert channel.wire() < 0 < document.wire()
