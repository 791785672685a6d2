"""The send path (server/live/wire.py): broadcast frames written straight to each socket, the
ASGI path for sockets that negotiated compression, and a reader that stops reading is
closed (4408) without slowing the others. The receive path: frames handed to rooms as they
arrive, in the order they were sent even when one of them has to wait. Neither depends on
the database, so these run on SQLite only."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from crdt import protocol as yprotocol
from server.domain.demo import DEMO_SLUG
from server.live.connection import Connection
from server.live.wire import PROTOCOL_OVERRIDES, PROTOCOL_READS, CharterWebSockets
from server.settings import Settings
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    first_document,
    make_token,
    running_server,
    wait_for,
)
from tests.wire_client import Wire, auth_frame, insertion, text_of


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'charter.db'}",
        seed_demo=True,
        admin_token=ADMIN_TOKEN,
    ).with_overrides(**overrides)


@pytest.fixture
async def deflating(tmp_path: Path) -> AsyncIterator[RunningServer]:
    async with running_server(_settings(tmp_path, ws_deflate=True)) as running:
        yield running


async def _extensions(server: RunningServer, name: str, compression: str | None) -> list[str]:
    token = await make_token(server, "reader", "Lecteur")
    async with websockets.connect(
        f"{server.ws_url}/ws/{name}?token={token}", compression=compression
    ) as ws:
        header = ws.response.headers.get("Sec-WebSocket-Extensions") if ws.response else None
        return [header] if header else []


async def test_compression_is_off_unless_asked_for(server: RunningServer) -> None:
    name = await first_document(server.base_url, DEMO_SLUG)
    assert await _extensions(server, name, "deflate") == []


async def test_plain_sockets_are_written_to_directly_until_they_close(
    server: RunningServer,
) -> None:
    """Without compression a broadcast goes straight to each socket's transport; a socket
    that closes is no longer written to that way (its protocol tells its Wire)."""
    name = await first_document(server.base_url, DEMO_SLUG)
    _, document_id = await server.services.resolve_document(name)
    tokens = [await make_token(server, "editor", f"Éditrice {i}") for i in range(2)]
    async with PyClient(server.ws_url, name, tokens[0]) as writer:
        reader = PyClient(server.ws_url, name, tokens[1])
        await reader.connect()
        room = server.services.registry.get_loaded(document_id)
        assert room is not None
        members = [m for m in room.members if isinstance(m, Connection)]
        assert len(members) == 2 and all(m.direct for m in members)
        for member in members:  # what wire.py reads of uvicorn's protocol is still there
            protocol = member._wire._protocol  # type: ignore[union-attr]
            missing = [a for a in PROTOCOL_READS if not hasattr(protocol, a)]
            assert not missing, f"uvicorn's websocket protocol lost {missing}"
            assert all(hasattr(WebSocketsSansIOProtocol, m) for m in PROTOCOL_OVERRIDES)
            # frames are taken as they arrive, not through the ASGI queue
            assert isinstance(protocol, CharterWebSockets) and protocol.receiver is not None
        writer.append("[direct]")
        await reader.wait_text(lambda t: "[direct]" in t)
        gone = next(m for m in members if m.principal.name == "Éditrice 1")
        await reader.disconnect()
        await wait_for(lambda: gone not in room.members)
        assert not gone.direct
        assert gone._wire._protocol.receiver is None  # type: ignore[union-attr]
        assert [m.direct for m in room.members if isinstance(m, Connection)] == [True]


async def test_compressed_and_plain_sockets_see_each_others_edits(
    deflating: RunningServer,
) -> None:
    """One client negotiates permessage-deflate (the ASGI path), the other does not (the
    direct path): every edit reaches both, in order."""
    server = deflating
    name = await first_document(server.base_url, DEMO_SLUG)
    assert await _extensions(server, name, "deflate") != []
    assert await _extensions(server, name, None) == []
    tokens = [await make_token(server, "editor", f"Éditrice {i}") for i in range(2)]
    squeezed = PyClient(server.ws_url, name, tokens[0])
    plain = PyClient(server.ws_url, name, tokens[1])
    async with squeezed, plain:
        for i in range(40):
            (squeezed if i % 2 else plain).append(f"[{i}]")
            await asyncio.sleep(0.005)
        everything = [f"[{i}]" for i in range(40)]
        for client in (squeezed, plain):
            await client.wait_text(lambda t: all(s in t for s in everything))
        assert squeezed.value() == plain.value()
        # each client's own inserts stay in its order
        for client, parity in ((plain, 0), (squeezed, 1)):
            mine = [t for t in everything if int(t[1:-1]) % 2 == parity]
            positions = [client.value().index(t) for t in mine]
            assert positions == sorted(positions)


async def test_a_reader_that_stops_reading_is_closed_and_others_keep_up(
    tmp_path: Path,
) -> None:
    """A stalled socket fills its transport, then its outbox, and is closed with 4408; a
    client that reads still gets every edit meanwhile."""
    async with running_server(_settings(tmp_path, outbox_frames=16)) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        stalled_token = await make_token(server, "reader", "Lecteur lent")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", int(server.ws_url.rsplit(":", 1)[1])))
        stalled = await websockets.connect(
            f"{server.ws_url}/ws/{name}?token={stalled_token}",
            sock=sock,
            compression=None,
            max_queue=1,  # stop reading from the socket once one frame waits
        )
        writer_token = await make_token(server, "editor", "Rédactrice")
        watcher_token = await make_token(server, "reader", "Lectrice")
        async with (
            PyClient(server.ws_url, name, writer_token) as writer,
            PyClient(server.ws_url, name, watcher_token) as watcher,
        ):
            chunk = "x" * 20_000
            for i in range(300):  # 6 MB: more than the stalled socket's kernel buffers (4 MB)
                writer.append(f"<{i}>{chunk}")
                await asyncio.sleep(0.002)
            await watcher.wait_text(lambda t: "<299>" in t, 20)
        # the stalled client finds the close frame behind what it had not read
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(stalled.recv(), 10)
        assert closed.value.rcvd is not None, "the server never closed the stalled socket"
        assert closed.value.rcvd.code == 4408
        assert "too slow" in closed.value.rcvd.reason


async def test_frames_sent_after_an_auth_wait_for_its_answer(server: RunningServer) -> None:
    """On /collab an Auth awaits the database, so it takes the ASGI path; an update and a
    sync step 1 sent right behind it follow it there instead of overtaking it: the answers
    come in the order of the questions, and the step 2 holds the update sent before it."""
    name = await first_document(server.base_url, DEMO_SLUG)
    token = await make_token(server, "editor", "Rédactrice")
    wire = await Wire.open(server.ws_url, "collab", name)
    try:
        await wire.admitted(token)
        since = wire.mark()
        unknown = f"charters/{DEMO_SLUG}/articles/zz0unknown"
        await wire.send_raw(auth_frame(unknown, None))
        await wire.send(yprotocol.sync_update(insertion("[behind the auth]")))
        await wire.send(yprotocol.sync_step1(b"\x00"))
        step2 = await wire.wait(lambda f: f.kind == "step2" and f.doc == name, since)
        answers = [f for f in wire.since(since) if f.kind in ("auth_denied", "step2")]
        assert [(f.kind, f.doc) for f in answers] == [("auth_denied", unknown), ("step2", name)]
        assert "[behind the auth]" in text_of(step2.data)
        await wire.wait(lambda f: f.kind == "sync_status" and f.doc == name, since)
    finally:
        await wire.close()
