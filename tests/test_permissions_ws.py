"""Who may do what over the websockets: admission on both endpoints; every message type x
principal x endpoint -> what the sender gets, what the other members receive, and what is
stored; readers and commenters who write with real clients (pycrdt over /ws, the Node
@hocuspocus/provider over /collab), live and as sync step 2 after a reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json

import pytest

from crdt import hocuspocus as hp
from crdt import protocol
from crdt.awareness import decode_entries
from crdt.lib0 import write_var_string
from server.access import Role
from server.domain.demo import DEMO_SLUG
from server.names import charter_channel
from tests.databases import stored_text, writes_blocked
from tests.hpdriver import HocuspocusClient
from tests.matrix_world import (
    PRINCIPAL_ROLE,
    World,
)
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    first_document,
    make_token,
    server_text,
    until_server_has,
    wait_for,
)
from tests.wire_client import (
    WS_ENDPOINTS,
    Wire,
    auth_frame,
    document_id,
    insertion,
    is_,
    no_nagle,
    participant_id,
    presence,
    settled,
    stored_when,
    text_of,
)

# ---------------------------------------------------------------------------------------
# Websockets: admission of those who may not read, on both endpoints.
# ---------------------------------------------------------------------------------------

NO_TOKEN = "an invitation or a token is needed"
ADMISSION: dict[str, tuple[int, str]] = {
    "nobody": (4401, NO_TOKEN),
    "forged": (4401, NO_TOKEN),  # a participant's id with a wrong secret
    "other": (4403, "not a participant of this charter"),
    "blocked": (4403, "this participant has been blocked by a facilitator"),
    "unknown document": (4404, "unknown document"),
}


def loaded(world: World) -> set[str]:
    return {room.name for room in world.server.services.registry.loaded()}


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("endpoint", list(WS_ENDPOINTS))
@pytest.mark.parametrize("kind", ["article", "channel"])
@pytest.mark.parametrize("who", list(ADMISSION))
async def test_websocket_admission_refusals(
    world: World, endpoint: str, kind: str, who: str
) -> None:
    code, reason = ADMISSION[who]
    if kind == "article":
        document = world.demo.spare_document
        if who == "unknown document":
            document = f"charters/{DEMO_SLUG}/articles/zz404"
    else:
        document = charter_channel("zz404" if who == "unknown document" else DEMO_SLUG)
    reader = world.tokens["reader"]
    assert reader is not None
    token = {
        "forged": f"{participant_id(reader)}.not-the-secret",
        "unknown document": world.tokens["editor"],
    }.get(who, world.tokens.get(who))
    before = loaded(world)
    wire = await Wire.open(world.server.ws_url, endpoint, document, token)
    try:
        if endpoint == "yws":
            assert await wire.wait_closed() == code
            assert wire.close_reason == reason
            assert wire.frames == [], "a refused socket received document data"
        else:
            answer = await wire.authenticate(token)
            assert (answer.kind, answer.text) == ("auth_denied", reason)
            await wire.processed()
            assert [f for f in wire.frames if f.doc == document] == [answer]
    finally:
        await wire.close()
    assert document not in loaded(world) - before, "a room was loaded for a refused socket"


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("endpoint", list(WS_ENDPOINTS))
@pytest.mark.parametrize("who", ["admin", "facilitator", "editor", "commenter", "reader", "public"])
async def test_charter_channel_carries_no_text(world: World, endpoint: str, who: str) -> None:
    """The charter's channel (presence and events) is read-only for everyone."""
    channel = charter_channel(world.target(who).slug)
    token = world.tokens[who]
    sentinel = f"[canal|{endpoint}|{who}]"
    observer = await Wire.open(world.server.ws_url, "yws", channel, ADMIN_TOKEN)
    sender = await Wire.open(world.server.ws_url, endpoint, channel, token)
    try:
        await observer.admitted(ADMIN_TOKEN)
        welcome = await sender.admitted(token)
        assert sender.collab is False or welcome.text == "readonly"
        mark, start = observer.mark(), sender.mark()
        await sender.send(protocol.sync_update(insertion(sentinel)))
        if endpoint == "yws":
            assert await sender.wait_closed() == 4403
            assert sender.close_reason == "the charter channel carries no text"
        else:
            status = await sender.wait(lambda f: f.kind == "sync_status", start)
            assert status.text == "0"
        assert text_of(await observer.state()) == ""
        assert not any(f.kind == "update" for f in observer.since(mark))
    finally:
        await sender.close()
        await observer.close()


# ---------------------------------------------------------------------------------------
# Websockets: every message type x principal x endpoint.
# ---------------------------------------------------------------------------------------

WS_PRINCIPALS = ("admin", "facilitator", "editor", "commenter", "reader", "public")
WRITERS = ("admin", "facilitator", "editor")


def same(outcome: str) -> dict[str, str]:
    return dict.fromkeys(WS_PRINCIPALS, outcome)


def by_right(writer: str, read_only: str) -> dict[str, str]:
    return {who: writer if who in WRITERS else read_only for who in WS_PRINCIPALS}


# Outcomes:
#   answered  the sender gets its answer (step 2 / awareness / pong); nothing else happens
#   applied   stored, relayed to every other member, acknowledged (/collab SyncStatus 1)
#   refused   /ws: closed 4403; /collab: SyncStatus 0, socket open; not applied, not relayed
#   noop      accepted as nothing new (/collab SyncStatus 1); nothing relayed or stored
#   stamped   presence relayed to every member with ``user`` from our records
#   receives  the sender watches: it gets another member's edit
#   detached  /collab CLOSE: the server lets go of the document; later writes do nothing
#   bad_frame closed 4400, nothing relayed
WS_MATRIX: dict[str, dict[str, str]] = {
    "sync_step1": same("answered"),
    "sync_step2": by_right("applied", "refused"),
    "sync_step2_known": same("noop"),
    "update": by_right("applied", "refused"),
    "empty_update": same("noop"),
    "awareness": same("stamped"),
    "query_awareness": same("answered"),
    "auth_then_update": by_right("applied", "refused"),
    "watch": same("receives"),
    "stateless": same("answered"),
    "broadcast_stateless": same("bad_frame"),
    "close_then_update": same("detached"),
    "server_only_type": same("bad_frame"),
}
COLLAB_ONLY = {"stateless", "broadcast_stateless", "close_then_update"}
# What each row sends: (y-websocket type, sync sub-type) and (Hocuspocus type, sub-type).
SENDS: dict[str, tuple[tuple[int, int | None] | None, tuple[int, int | None] | None]] = {
    "sync_step1": ((protocol.MSG_SYNC, protocol.SYNC_STEP1), (hp.SYNC, protocol.SYNC_STEP1)),
    "sync_step2": ((protocol.MSG_SYNC, protocol.SYNC_STEP2), (hp.SYNC, protocol.SYNC_STEP2)),
    "sync_step2_known": (
        (protocol.MSG_SYNC, protocol.SYNC_STEP2),
        (hp.SYNC, protocol.SYNC_STEP2),
    ),
    "update": ((protocol.MSG_SYNC, protocol.SYNC_UPDATE), (hp.SYNC, protocol.SYNC_UPDATE)),
    "empty_update": ((protocol.MSG_SYNC, protocol.SYNC_UPDATE), (hp.SYNC, protocol.SYNC_UPDATE)),
    "awareness": ((protocol.MSG_AWARENESS, None), (hp.AWARENESS, None)),
    "query_awareness": ((protocol.MSG_QUERY_AWARENESS, None), (hp.QUERY_AWARENESS, None)),
    "auth_then_update": ((protocol.MSG_AUTH, None), (hp.AUTH, None)),
    "watch": (None, None),
    "stateless": (None, (hp.STATELESS, None)),
    "broadcast_stateless": (None, (hp.BROADCAST_STATELESS, None)),
    "close_then_update": (None, (hp.CLOSE, None)),
    "server_only_type": ((9, None), (hp.SYNC_STATUS, None)),
}


def constants(module: object, prefix: str, exclude: tuple[str, ...] = ()) -> set[int]:
    return {
        value
        for name, value in vars(module).items()
        if name.startswith(prefix) and isinstance(value, int) and not name.startswith(exclude)
    }


def test_every_message_type_and_role_has_cells() -> None:
    assert set(WS_MATRIX) == set(SENDS)
    for row, outcomes in WS_MATRIX.items():
        assert set(outcomes) == set(WS_PRINCIPALS), row
    assert set(Role) <= {PRINCIPAL_ROLE[who] for who in WS_PRINCIPALS}
    yws_sent = {sent for sent, _ in SENDS.values() if sent is not None}
    collab_sent = {sent for _, sent in SENDS.values() if sent is not None}
    for kind in constants(protocol, "MSG_"):
        assert any(t == kind for t, _ in yws_sent), f"y-websocket message type {kind}"
    for sub in constants(protocol, "SYNC_"):
        assert (protocol.MSG_SYNC, sub) in yws_sent and (hp.SYNC, sub) in collab_sent, sub
    hocuspocus_types = {
        value
        for name, value in vars(hp).items()
        if name.isupper() and isinstance(value, int) and not name.startswith("AUTH_")
    }
    for kind in hocuspocus_types:
        assert any(t == kind for t, _ in collab_sent), f"Hocuspocus message type {kind}"


WS_CELLS = [
    (endpoint, row, who)
    for endpoint in WS_ENDPOINTS
    for row in WS_MATRIX
    for who in WS_PRINCIPALS
    if endpoint == "collab" or row not in COLLAB_ONLY
]
_client_ids = itertools.count(70_000)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("endpoint", "row", "who"), WS_CELLS)
async def test_websocket_message_matrix(world: World, endpoint: str, row: str, who: str) -> None:
    server = world.server
    target = world.target(who)
    doc, token = target.document, world.tokens[who]
    sentinel = f"[{endpoint}|{row}|{who}]"
    outcome = WS_MATRIX[row][who]
    read_only = who not in WRITERS
    async with contextlib.AsyncExitStack() as stack:
        observers = await world.observers(doc)
        sender = await Wire.open(server.ws_url, endpoint, doc, token)
        stack.push_async_callback(sender.close)
        welcome = await sender.admitted(token)
        if endpoint == "collab":
            assert welcome.text == ("readonly" if read_only else "read-write")
        before = await observers[0].state()
        marks = [o.mark() for o in observers]
        start = sender.mark()
        client_id = 0

        # -- the message --
        if row == "sync_step1":
            await sender.send(protocol.sync_step1(b"\x00"))
        elif row == "sync_step2":
            await sender.send(protocol.sync_step2(insertion(sentinel)))
        elif row == "sync_step2_known":
            await sender.send(protocol.sync_step2(await sender.state()))
        elif row in ("update", "auth_then_update", "close_then_update"):
            if row == "auth_then_update":  # a second Auth, with the administrator's token
                if endpoint == "collab":
                    await sender.send_raw(auth_frame(doc, ADMIN_TOKEN))
                else:
                    await sender.send(protocol.permission_denied(ADMIN_TOKEN))
            if row == "close_then_update":
                await sender.send(bytes((hp.CLOSE,)))
                closing = await sender.wait(lambda f: f.kind == "close", start)
                assert closing.text == "provider_initiated"
            await sender.send(protocol.sync_update(insertion(sentinel)))
        elif row == "empty_update":
            await sender.send(protocol.sync_update(protocol.EMPTY_UPDATE))
        elif row == "awareness":
            client_id = next(_client_ids)
            forged = {"name": "Le Maire", "role": "facilitator", "color": "red;x:url(//e)"}
            await sender.send(presence(client_id, {"user": forged, "cursor": sentinel}))
        elif row == "query_awareness":
            await sender.send(bytes((protocol.MSG_QUERY_AWARENESS,)))
        elif row == "watch":
            await observers[0].send(protocol.sync_update(insertion(sentinel)))
        elif row == "stateless":
            await sender.send(bytes((hp.STATELESS,)) + write_var_string('{"type":"ping","id":5}'))
            await sender.send(bytes((hp.STATELESS,)) + write_var_string(json.dumps(sentinel)))
        elif row == "broadcast_stateless":
            await sender.send(bytes((hp.BROADCAST_STATELESS,)) + write_var_string(sentinel))
        elif row == "server_only_type":
            await sender.send(bytes((hp.SYNC_STATUS, 1)) if endpoint == "collab" else b"\x09")
        else:
            raise AssertionError(row)

        # -- what the sender gets --
        if outcome == "bad_frame":
            assert await sender.wait_closed() == 4400
        elif outcome == "refused" and endpoint == "yws":
            assert await sender.wait_closed() == 4403
            assert "may not write" in sender.close_reason
        else:
            await sender.processed()
            assert not sender.closed.is_set()
        if endpoint == "collab":  # exactly one SyncStatus per update or step 2 it took
            acks = {"applied": ["1"], "refused": ["0"], "noop": ["1"]}.get(outcome, [])
            if acks:  # a write is acknowledged once committed
                await sender.wait(lambda f: f.kind == "sync_status", start)
            await server.services.store.flush()
            if not sender.closed.is_set():
                await sender.processed()
            statuses = [f.text for f in sender.since(start, "sync_status")]
            assert statuses == acks, f"SyncStatus answers {statuses}, expected {acks}"
        if outcome == "answered" and row == "sync_step1":
            step2 = await sender.wait(lambda f: f.kind == "step2", start)
            assert text_of(step2.data) == text_of(before)
            if endpoint == "collab":  # Hocuspocus expects the server's own step 1 first
                assert sender.since(start)[0].kind == "step1"
        if outcome == "answered" and row == "query_awareness":
            await sender.wait(lambda f: f.kind == "awareness", start)
        if outcome == "answered" and row == "stateless":
            pong = await sender.wait(lambda f: f.kind == "stateless", start)
            assert json.loads(pong.text) == {"type": "pong", "id": 5}
            assert len(sender.since(start, "stateless")) == 1
        if outcome == "receives":
            update = await sender.wait(lambda f: f.kind == "update", start)
            assert sentinel.encode() in update.data
        if outcome == "detached":
            assert sender.since(start, "sync_status") == []

        # -- what the others get --
        for observer, mark in zip(observers, marks, strict=True):
            if outcome == "applied":
                await observer.wait(
                    lambda f: f.kind == "update" and sentinel.encode() in f.data, mark
                )
            await observer.state()  # barrier: all the room relayed before is in
            relayed = observer.since(mark)
            if outcome not in ("applied", "receives"):
                assert not any(f.kind == "update" for f in relayed), f"relayed: {relayed}"
            if outcome == "stamped":
                [entry] = [
                    e
                    for f in relayed
                    if f.kind == "awareness"
                    for e in decode_entries(f.data, 4096)
                    if e.client_id == client_id
                ]
                state = json.loads(entry.state)
                role = PRINCIPAL_ROLE[who] or Role.FACILITATOR
                assert state["cursor"] == sentinel
                assert state["user"]["name"] == world.names[who]
                assert state["user"]["role"] == role.value
                assert state["user"]["color"].startswith("#")
            elif outcome not in ("applied", "receives"):
                assert not any(sentinel.encode() in f.raw for f in relayed if f.kind != "step2")
            assert not any(f.kind == "stateless" for f in relayed)

        # -- what is stored --
        now = await world.text(doc)
        assert (sentinel in now) == (outcome in ("applied", "receives")), now[:200]
        if outcome not in ("applied", "receives"):
            assert now == text_of(before)
        await stored_when(server, doc, lambda t: t == now)


# ---------------------------------------------------------------------------------------
# Readers and commenters with real clients: live updates and sync step 2 after a reconnect.
# ---------------------------------------------------------------------------------------


async def exchange(a: PyClient, b: PyClient, mark: str) -> None:
    """Each of two editors writes and waits for the other's edit: whatever the server
    relayed before has reached both of them."""
    a.append(f"{mark}a")
    await b.wait_text(lambda t: f"{mark}a" in t)
    b.append(f"{mark}b")
    await a.wait_text(lambda t: f"{mark}b" in t)


@pytest.mark.parametrize("endpoint", list(WS_ENDPOINTS))
@pytest.mark.parametrize("role", ["reader", "commenter"])
async def test_read_only_writes_never_reach_anyone_nor_the_store(
    server: RunningServer, role: str, endpoint: str
) -> None:
    no_nagle(server)
    doc = await first_document(server.base_url, DEMO_SLUG)
    token = await make_token(server, role, "Lou Lectrice")
    editors = [await make_token(server, "editor", n) for n in ("Ana", "Bob")]
    async with (
        PyClient(server.ws_url, doc, editors[0]) as a,
        PyClient(server.ws_url, doc, editors[1]) as b,
    ):
        if endpoint == "yws":
            ro = PyClient(server.ws_url, doc, token)
            await ro.connect()
            ro.append("[ro-live]")  # sent as an update while connected
            async with asyncio.timeout(5):
                await ro.closed.wait()
            assert ro.close_code == 4403
            await ro.disconnect()
            await exchange(a, b, "[ed-1]")
            # Offline: the edit is not sent; on reconnect the client's sync step 2 to
            # the server's step 1 carries both edits.
            ro.append("[ro-offline]")
            await ro.connect()
            async with asyncio.timeout(5):
                await ro.closed.wait()
            assert ro.close_code == 4403
            await ro.disconnect()
            await exchange(a, b, "[ed-2]")
        else:
            async with HocuspocusClient(server.ws_url, [{"name": doc, "token": token}]) as ro:
                assert (await ro.wait(is_("authenticated", doc)))["scope"] == "readonly"
                await settled(ro, doc)
                since = ro.mark()
                await ro.send({"cmd": "insert", "doc": doc, "index": 0, "text": "[ro-live]"})
                status = await ro.wait(is_("syncStatus", doc), since=since)
                assert status["applied"] is False
                await exchange(a, b, "[ed-1]")
                # it watches: others' edits reach it
                await ro.wait(lambda e: e["doc"] == doc and "[ed-1]b" in e.get("text", ""))
                since = ro.mark()
                await ro.send({"cmd": "disconnect"})
                await ro.wait(
                    lambda e: e["event"] == "status" and e["status"] == "disconnected",
                    since=since,
                )
                await ro.send(
                    {
                        "cmd": "insert",
                        "doc": doc,
                        "index": 0,
                        "text": "[ro-offline]",
                        "silent": True,  # not sent now: only as step 2 on reconnect
                    }
                )
                since = ro.mark()
                await ro.send({"cmd": "connect"})
                again = await ro.wait(is_("authenticated", doc), since=since)
                assert again["scope"] == "readonly"
                status = await ro.wait(is_("syncStatus", doc), since=since)
                assert status["applied"] is False, "sync step 2 of a reader was applied"
                await exchange(a, b, "[ed-2]")
                assert "[ro-offline]" in (await ro.state(doc))["text"]  # local only
        for client in (a, b):
            assert "[ro-" not in client.value()
        live = await server_text(server.base_url, doc)
        assert "[ed-2]b" in live and "[ro-" not in live
    # What a restart would load: the document rebuilt from the database.
    await stored_when(server, doc, lambda t: t == live)


async def test_store_flush_waits_for_the_batch_being_committed(
    server: RunningServer, editor: str
) -> None:
    """``DocStore.flush()`` promises "everything queued so far is committed"; the checks
    above ("never stored") and the room reload rely on it. It must also wait for the batch
    the writer has already taken off the queue and is still committing."""
    no_nagle(server)
    doc = await first_document(server.base_url, DEMO_SLUG)
    store = server.services.store
    async with PyClient(server.ws_url, doc, editor) as client:
        await store.flush()
        async with writes_blocked(server.settings.database_url):  # the commit must wait
            client.append("[en vol]")
            await until_server_has(server.base_url, doc, lambda t: "[en vol]" in t)
            await wait_for(lambda: store.pending() == 0, what="the writer to take the batch")
            flushing = asyncio.ensure_future(store.flush())
            for _ in range(10):  # let it run (no time passes): it can only wait now
                await asyncio.sleep(0)
            returned_while_uncommitted = flushing.done()
        await flushing
        assert not returned_while_uncommitted, "flush() returned before the batch was committed"
        stored = await stored_text(server.settings.database_url, await document_id(server, doc))
        assert "[en vol]" in stored
