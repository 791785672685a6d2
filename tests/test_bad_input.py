"""Bad input never harms a room: specific hostile or malformed frames on /ws/{document}.

Each offending connection must be closed with a specific code (4400 bad frame, 1009 too
big), the server must stay up, other members must keep converging, and nothing from the
bad frame may be relayed or stored. ``test_fuzz.py`` generates many more such frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from typing import Literal

import anyio
import pytest
import websockets
from sqlalchemy import text as sql

from crdt import protocol
from crdt.article import MAX_WAITING, MAX_WAITING_PER_SENDER, ArticleDoc, CrdtError
from crdt.lib0 import Reader, write_var_bytes, write_var_string, write_var_uint
from persistence.engine import make_engine
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.support import (
    ROOT,
    PyClient,
    RunningServer,
    documents,
    make_token,
    running_server,
    server_text,
    settle,
    wait_for,
)
from tests.wire_client import Wire, participant_id

INTEROP = ROOT / "tests" / "interop"
NODE = shutil.which("node")
Compression = Literal["deflate"] | None


# -- helpers shared with test_fuzz.py --


async def close_code_after(
    url: str, frame: bytes | str, *, compression: Compression = "deflate", timeout: float = 5.0
) -> int | None:
    """Send ``frame`` on a fresh socket; return the code the server closed it with."""
    async with websockets.connect(url, max_size=None, compression=compression) as ws:
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.send(frame)
        try:
            with anyio.fail_after(timeout):
                with contextlib.suppress(websockets.ConnectionClosed):
                    async for _ in ws:  # the server's step 1 and anything else, until the close
                        pass
        except TimeoutError:
            raise AssertionError(f"the server kept the socket open after {frame[:40]!r}") from None
        return ws.close_code


async def step2_reply(url: str, frame: bytes, timeout: float = 5.0) -> protocol.SyncStep2:
    """Send a sync step 1 ``frame``; return the server's step 2 and check the socket stays up."""
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(frame)
        with anyio.fail_after(timeout):
            while True:
                message = protocol.decode(bytes(await ws.recv()))
                if isinstance(message, protocol.SyncStep2):
                    break
        await ws.ping()  # still open: a closed socket raises ConnectionClosed here
        return message


async def stored_doc(server: RunningServer, name: str) -> ArticleDoc:
    """The document rebuilt from what the store holds (checkpoint + rows), after a flush."""
    services = server.services
    await services.store.flush()
    _, key = await services.resolve_document(name)
    return ArticleDoc.from_updates(await services.store.load(key.id))


def clients_of(state_vector: bytes) -> set[int]:
    reader = Reader(state_vector)
    clients = set()
    for _ in range(reader.read_var_uint()):
        clients.add(reader.read_var_uint())
        reader.read_var_uint()
    return clients


def text_update(client: int, clock: int, text: str, origin: tuple[int, int] | None = None) -> bytes:
    """A hand-written v1 update: one string item, at the start of root "body" or after origin."""
    if origin is None:
        item = b"\x04\x01" + write_var_string("body")
    else:
        item = b"\x84" + write_var_uint(origin[0]) + write_var_uint(origin[1])
    return (
        b"\x01\x01"
        + write_var_uint(client)
        + write_var_uint(clock)
        + item
        + write_var_string(text)
        + b"\x00"
    )


def item_in_body(kind: int, content: bytes) -> bytes:
    """A one-item update by client 4210 at the start of root "body"; ``kind`` is the content
    reference (4 string, 7 type, 8 values, 9 subdocument...), ``content`` its encoding."""
    head = b"\x01\x01" + write_var_uint(4210) + b"\x00" + bytes([kind]) + b"\x01"
    return head + write_var_string("body") + content + b"\x00"


def nested_any(depth: int) -> bytes:
    """An update whose one value is a list nested ``depth`` levels deep: [[[...null...]]]."""
    return item_in_body(8, b"\x01" + b"\x75\x01" * depth + b"\x7e")


async def node_json(script: str, *args: str) -> dict[str, str]:
    assert NODE is not None, "Node.js is needed: install it, then run make js-deps"
    proc = await asyncio.create_subprocess_exec(
        NODE, str(INTEROP / script), *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    result: dict[str, str] = json.loads(out)
    return result


class Article:
    """One article under test: its name, a watching member, and what must never change."""

    def __init__(self, server: RunningServer, name: str, token: str, watcher: str) -> None:
        self.server = server
        self.name = name
        self.url = f"{server.ws_url}/ws/{name}?token={token}"  # for the bad frames
        self.watcher = PyClient(server.ws_url, name, watcher)

    async def unchanged(self, expected: str, clients: set[int]) -> None:
        """Live, relayed and stored text all equal ``expected``; no foreign client stored."""
        assert await server_text(self.server.base_url, self.name) == expected
        assert self.watcher.value() == expected
        stored = await stored_doc(self.server, self.name)
        assert stored.text() == expected
        assert clients_of(stored.state_vector()) <= clients


async def article(server: RunningServer, token: str, watcher: str | None = None) -> Article:
    name = (await documents(server.base_url, DEMO_SLUG))[0]
    return Article(server, name, token, watcher or token)


# -- size limit --


def step1_of_size(size: int) -> bytes:
    """A valid sync step 1 frame of exactly ``size`` bytes: a state vector of many clients."""
    for count in range(size // 4, 0, -1):
        head = b"\x00\x00"
        entries = [write_var_uint(16384 + i) + b"\x00" for i in range(count)]  # 3 + 1 bytes
        body = write_var_uint(count) + b"".join(entries)
        spare = size - len(head) - len(write_var_bytes(body))
        if 0 <= spare <= count:  # widen ``spare`` clocks from 1 byte (0) to 2 bytes (128)
            entries = [
                write_var_uint(16384 + i) + (b"\x80\x01" if i < spare else b"\x00")
                for i in range(count)
            ]
            frame = head + write_var_bytes(write_var_uint(count) + b"".join(entries))
            assert len(frame) == size
            return frame
    raise AssertionError(f"no step 1 of {size} bytes")


async def test_frames_just_under_the_limit_pass_and_just_over_close_with_1009(
    settings: Settings,
) -> None:
    limit = 8192
    async with running_server(settings.with_overrides(max_message_bytes=limit)) as server:
        token = await make_token(server, "editor", "Éditrice")
        doc = await article(server, token)
        async with doc.watcher:
            before = doc.watcher.value()
            clients = clients_of((await stored_doc(server, doc.name)).state_vector())
            # Exactly at the limit: a valid (if absurd) state vector gets its step 2.
            reply = await step2_reply(doc.url, step1_of_size(limit))
            assert ArticleDoc.from_updates([reply.update]).text() == before
            # Exactly at the limit but malformed: refused as a bad frame, not as too big.
            assert await close_code_after(doc.url, b"\x7f" + b"\x00" * (limit - 1)) == 4400
            for compression in ("deflate", None):  # the limit applies to the inflated size
                frame = step1_of_size(limit + 1)
                assert await close_code_after(doc.url, frame, compression=compression) == 1009
                zeros = protocol.sync_update(b"\x00" * (limit * 4))
                assert await close_code_after(doc.url, zeros, compression=compression) == 1009
            doc.watcher.append(" encore")
            await settle(server, doc.watcher)
            await doc.unchanged(before + " encore", clients | {doc.watcher.doc.client_id})


# -- frames the decoder refuses --

PROTOCOL_CASES: dict[str, bytes | str] = {
    "text frame": "hello",
    "text frame holding a valid message": protocol.sync_step1(b"\x00").decode("latin-1"),
    "empty frame": b"",
    "unknown message type": b"\x04",
    "unknown message type, long varint": b"\xff\xff\x01",
    "unknown sync type": b"\x00\x03\x00",
    "unknown auth type": b"\x02\x01\x00",
    "auth reason not UTF-8": b"\x02\x00\x02\xc3\x28",
    "truncated varint": b"\x00\x02\x80",
    "overlong varint": b"\x00\x02" + b"\x80" * 11 + b"\x01",
    "length prefix past the end": b"\x00\x02\x05\x00\x00",
    "allocation bomb in an update length": b"\x00\x02\xff\xff\xff\x7a",
    "allocation bomb inside a state vector": protocol.sync_step1(b"\xff\xff\xff\x7a\x01\x01"),
    "allocation bomb inside an update": protocol.sync_update(b"\xff\xff\xff\x7a\x00\x00"),
    "allocation bomb inside awareness": protocol.awareness(b"\xff\xff\xff\x7a"),
    "trailing bytes": protocol.sync_step1(b"\x00") + b"\x00",
    "awareness: 10,000 entries": protocol.awareness(
        write_var_uint(10_000) + b"".join(write_var_uint(i) + b"\x01\x02{}" for i in range(10_000))
    ),
    "awareness: not JSON": protocol.awareness(b"\x01\x07\x01" + write_var_string("{name")),
    "awareness: a list": protocol.awareness(b"\x01\x07\x01" + write_var_string("[1]")),
    "awareness: a number": protocol.awareness(b"\x01\x07\x01" + write_var_string("12")),
    "awareness: not UTF-8": protocol.awareness(b"\x01\x07\x01\x03{\xff}"),
    "awareness: nested 3,000 levels": protocol.awareness(
        b"\x01\x07\x01" + write_var_string('{"a":' + "[" * 3000 + "]" * 3000 + "}")
    ),
    "awareness: state too large": protocol.awareness(
        b"\x01\x07\x01" + write_var_string(json.dumps({"name": "x" * 5000}))
    ),
    "awareness: truncated entry": protocol.awareness(b"\x02\x07\x01\x02{}"),
    "state vector pycrdt refuses": protocol.sync_step1(b"\x02\x01"),
    "update pycrdt refuses": protocol.sync_update(b"\x05\x00"),
    "step 2 pycrdt refuses": protocol.sync_step2(b"\x01\x01\x01"),
}

# Updates that pycrdt 0.14.13 accepts or even crashes on, and that must be refused first.
DANGEROUS_UPDATES: dict[str, bytes] = {
    # yrs decodes nested values recursively: this killed the whole process (SIGSEGV).
    "a value nested 100,000 levels deep (200 KB)": nested_any(100_000),
    "a value nested 33 levels deep": nested_any(33),
    # One client's structs in two sections: pycrdt then built invalid UTF-8 strings (crashes).
    "one client in two sections": b"\x02"
    + text_update(4242, 1, "b", origin=(4242, 0))[1:-1]
    + text_update(4242, 0, "a")[1:],
    # Clocks past 32 bits: pycrdt showed the text in memory but reported no change to store.
    "clock 2**53": text_update(4243, 2**53, "Y"),
    "clock 2**32 - 1": text_update(4244, 2**32 - 1, "Y"),
    "client id 2**64 + 5 (read as client 5)": text_update(2**64 + 5, 0, "Z"),
    "origin clock 2**32 + 1": text_update(4245, 0, "X", origin=(4245, 2**32 + 1)),
    "deleted range past 2**31": b"\x00\x01"
    + write_var_uint(4246)
    + b"\x01\x00"
    + write_var_uint(2**32 + 2),
    "subdocument content": item_in_body(9, write_var_string("guid") + b"\x7e"),
    "weak link type": item_in_body(7, b"\x07"),
    "unknown value tag": item_in_body(8, b"\x01\x10"),
}


async def test_malformed_frames_close_only_their_connection_with_4400(
    server: RunningServer, editor: str
) -> None:
    attacker = await make_token(server, "editor", "Attaquant")
    doc = await article(server, attacker, editor)
    async with doc.watcher:
        expected = doc.watcher.value()
        clients = clients_of((await stored_doc(server, doc.name)).state_vector())
        frames = {**PROTOCOL_CASES}
        for name, update in DANGEROUS_UPDATES.items():
            frames[f"sync update: {name}"] = protocol.sync_update(update)
            frames[f"sync step 2: {name}"] = protocol.sync_step2(update)
        for name, frame in frames.items():
            code = await close_code_after(doc.url, frame)
            assert code == 4400, f"{name}: closed with {code}"
        # The room still works for everyone else, and nothing above was kept.
        doc.watcher.append(" Suite.")
        await settle(server, doc.watcher)
        await doc.unchanged(expected + " Suite.", clients | {doc.watcher.doc.client_id})


async def test_a_yjs_v2_update_is_refused_and_nothing_is_stored(
    server: RunningServer, editor: str
) -> None:
    """pycrdt reads a v2 update as an empty v1 one and would drop it without a word."""
    made = await node_json("make_v2_update.mjs", "4242", "V2 INJECTÉ 😀 ")
    v1, v2 = bytes.fromhex(made["v1"]), bytes.fromhex(made["v2"])
    assert ArticleDoc().apply(v1) is not None  # the same change as v1 is a real edit
    doc = await article(server, editor)
    async with doc.watcher:
        expected = doc.watcher.value()
        clients = clients_of((await stored_doc(server, doc.name)).state_vector())
        assert await close_code_after(doc.url, protocol.sync_update(v2)) == 4400
        assert await close_code_after(doc.url, protocol.sync_step2(v2)) == 4400
        doc.watcher.append(" Fin.")
        await settle(server, doc.watcher)
        await doc.unchanged(expected + " Fin.", clients | {doc.watcher.doc.client_id})
        assert "V2" not in doc.watcher.value()


async def test_an_update_that_waits_is_acknowledged_once_applied_and_stored_as_its_senders(
    server: RunningServer, editor: str, facilitator: str
) -> None:
    """ "Saved" means stored: an update held for an item the article lacks gets its SyncStatus
    only when that item has come, it is applied and committed. Its row is its sender's, not
    the sender's of the item it waited for (who wrote what follows the rows)."""
    name = (await documents(server.base_url, DEMO_SLUG))[0]
    waiting = await Wire.open(server.ws_url, "collab", name)
    bringing = await Wire.open(server.ws_url, "collab", name)
    try:
        await waiting.admitted(editor)
        await bringing.admitted(facilitator)
        start = waiting.mark()
        await waiting.send(protocol.sync_update(text_update(4270, 0, "ATTENTE", (4271, 2))))
        await waiting.send(protocol.sync_update(text_update(4272, 0, "Vu. ")))
        await waiting.wait(lambda f: f.kind == "sync_status", start, what="the second's ack")
        await waiting.processed()
        assert [f.text for f in waiting.since(start, "sync_status")] == ["1"]  # not the held one
        assert "ATTENTE" not in (await stored_doc(server, name)).text()

        await bringing.send(protocol.sync_update(text_update(4271, 0, "abc")))
        await wait_for(lambda: len(waiting.since(start, "sync_status")) == 2, what="its ack")
        assert [f.text for f in waiting.since(start, "sync_status")] == ["1", "1"]
        assert "abcATTENTE" in (await stored_doc(server, name)).text()
        authors = await execute_rows(
            server,
            "SELECT client_id, participant_id FROM doc_authors"
            " WHERE client_id IN (4270, 4271, 4272)",
        )
        assert authors == {
            4270: participant_id(editor),
            4271: participant_id(facilitator),
            4272: participant_id(editor),
        }
    finally:
        await waiting.close()
        await bringing.close()


def item_inside(client: int, parent: tuple[int, int], text: str) -> bytes:
    """A one-item update whose parent is given as an item (as for a nested type's content)."""
    return (
        b"\x01\x01"
        + write_var_uint(client)
        + b"\x00\x04\x00"  # clock 0; a string, no origins; the parent is an item's id
        + write_var_uint(parent[0])
        + write_var_uint(parent[1])
        + write_var_string(text)
        + b"\x00"
    )


async def test_a_held_update_refused_once_it_can_be_applied_closes_only_its_sender(
    server: RunningServer, editor: str, facilitator: str
) -> None:
    """An update can wait for an item and, once the item has come, turn out to be one pycrdt
    refuses (here: placed inside a piece of text, as if it were a nested type). Nothing was
    acknowledged for it: its sender is closed with 4400, as for any refused update, and the
    update that let it through is stored and acknowledged as if nothing had waited."""
    name = (await documents(server.base_url, DEMO_SLUG))[0]
    waiting = await Wire.open(server.ws_url, "collab", name)
    bringing = await Wire.open(server.ws_url, "collab", name)
    try:
        await waiting.admitted(editor)
        await bringing.admitted(facilitator)
        await waiting.send(protocol.sync_update(item_inside(4280, (4281, 1), "DEDANS")))
        await waiting.processed()
        assert not waiting.closed.is_set()  # held, not refused: the item may still come

        start = bringing.mark()
        await bringing.send(protocol.sync_update(text_update(4281, 0, "abc")))
        assert await waiting.wait_closed() == 4400
        await bringing.send(protocol.sync_update(text_update(4282, 0, "Suite. ")))
        await wait_for(lambda: len(bringing.since(start, "sync_status")) == 2, what="both acks")
        assert [f.text for f in bringing.since(start, "sync_status")] == ["1", "1"]
        stored = (await stored_doc(server, name)).text()
        assert "abc" in stored and "Suite. " in stored and "DEDANS" not in stored
        assert await server_text(server.base_url, name) == stored
        authors = await execute_rows(
            server,
            "SELECT client_id, participant_id FROM doc_authors"
            " WHERE client_id IN (4280, 4281, 4282)",
        )
        assert authors == {4281: participant_id(facilitator), 4282: participant_id(facilitator)}
    finally:
        await waiting.close()
        await bringing.close()


async def execute_rows(server: RunningServer, query: str) -> dict[int, int]:
    engine = make_engine(server.settings.database_url)
    try:
        async with engine.connect() as conn:
            return {int(k): int(v) for k, v in (await conn.execute(sql(query))).all()}
    finally:
        await engine.dispose()


async def test_an_update_with_missing_dependencies_waits_until_they_arrive(
    server: RunningServer, editor: str
) -> None:
    """Not an error (the missing part may come later), so the socket stays open; until then
    it is invisible: no text, no relay, no row. pycrdt 0.14.13 alone showed the text of the
    second case at once and reported no change, so it was never stored."""
    doc = await article(server, editor)
    async with doc.watcher:
        expected = doc.watcher.value()
        clients = clients_of((await stored_doc(server, doc.name)).state_vector())
        waiting = {
            "after a missing item": text_update(4250, 1000, "FANTÔME", origin=(4250, 999)),
            "at the start, after a gap": text_update(4251, 16, "FANTÔME"),
            "after another client's missing item": text_update(4254, 0, "SPECTRE", (4255, 2)),
        }
        async with websockets.connect(doc.url) as raw:
            for update in waiting.values():
                await raw.send(protocol.sync_update(update))
            await raw.send(protocol.sync_step1(b"\x00"))  # answered after the updates
            with anyio.fail_after(5):
                while not isinstance(protocol.decode(bytes(await raw.recv())), protocol.SyncStep2):
                    pass
            doc.watcher.append(" Fin.")
            await settle(server, doc.watcher)
            await doc.unchanged(expected + " Fin.", clients | {doc.watcher.doc.client_id})
            # The missing part arrives: now everything shows, everywhere, and is stored.
            await raw.send(protocol.sync_update(text_update(4251, 0, "x" * 16)))
            await raw.send(protocol.sync_update(text_update(4255, 0, "yyy")))
            await doc.watcher.wait_text(lambda t: "FANTÔME" in t and "SPECTRE" in t)
        live = await server_text(server.base_url, doc.name)
        assert live == doc.watcher.value()
        assert live.count("FANTÔME") == 1 and "x" * 16 in live
        assert "yyySPECTRE" in live
        assert (await stored_doc(server, doc.name)).text() == live


def test_held_updates_are_bounded_per_sender_and_leave_with_it() -> None:
    """One sender cannot take every place: past its share its next held update is refused
    while another sender's still waits. A sender's held updates go when it leaves (nothing was
    acknowledged for them: its client sends them again when it comes back). What the others'
    held updates change is given back apart, each with what its sender gave to wait with it."""
    doc = ArticleDoc()
    doc.apply(text_update(4256, 0, "a"))
    for k in range(MAX_WAITING_PER_SENDER):
        offered = doc.offer(text_update(4300 + k, 0, "b", origin=(4299, 5)), sender="filler")
        assert offered.held and offered.delta is None
    with pytest.raises(CrdtError, match="wait"):
        doc.offer(text_update(4400, 0, "c", origin=(4299, 5)), sender="filler")
    assert doc.offer(text_update(4401, 0, "d", origin=(4299, 5)), sender="other", waiter=7).held
    doc.forget("filler")
    arrived = doc.offer(text_update(4299, 0, "xxxxxx"), sender="third")
    assert arrived.delta is not None and not arrived.held
    assert [(r.waiter, r.delta is not None) for r in arrived.released] == [(7, True)]
    assert doc.text() == "axxxxxxd"
    peer = ArticleDoc()
    for update in (text_update(4256, 0, "a"), arrived.delta, arrived.released[0].delta):
        assert update is not None
        peer.apply(update)
    assert peer.text() == doc.text()


def test_held_updates_count_as_changes_and_are_bounded() -> None:
    doc = ArticleDoc()
    doc.apply(text_update(4252, 0, "a"))
    gap = text_update(4252, 5, "b", origin=(4252, 4))
    assert doc.would_change(gap)  # a reader's held write is refused, not acknowledged
    for clock in range(MAX_WAITING):
        assert doc.apply(text_update(4253, 100 + clock, "c")) is None
    with pytest.raises(CrdtError, match="wait"):
        doc.apply(text_update(4253, 500, "d"))
    assert doc.text() == "a"


def deletions_update(client: int, ranges: list[tuple[int, int]]) -> bytes:
    """A v1 update with no structs, only a delete set: ``client``'s (clock, length) ranges."""
    out = b"\x00\x01" + write_var_uint(client) + write_var_uint(len(ranges))
    return out + b"".join(write_var_uint(clock) + write_var_uint(n) for clock, n in ranges)


def test_updates_that_lean_on_items_the_document_lacks_are_held_by_us_and_bounded() -> None:
    """An item placed next to another client's item that never came, or deletions of items
    the document does not have: pycrdt keeps such an update in memory, out of sight (no
    text, nothing stored or relayed) and without limit, so a participant could fill the
    server's memory with them. They wait with the updates held for a gap, within its bounds."""
    doc = ArticleDoc()
    doc.apply(text_update(4256, 0, "a"))
    for k in range(MAX_WAITING):
        assert doc.apply(text_update(4300 + k, 0, "b", origin=(4299, 5))) is None
    with pytest.raises(CrdtError, match="wait"):
        doc.apply(text_update(4400, 0, "c", origin=(4299, 5)))
    assert doc.text() == "a"
    # The missing item arrives: what leaned on it is applied with it, in one change.
    delta = doc.apply(text_update(4299, 0, "xxxxxx"))
    assert delta is not None and "xxxxxx" + "b" * MAX_WAITING in doc.text()
    peer = ArticleDoc()
    peer.apply(text_update(4256, 0, "a"))
    peer.apply(delta)
    assert peer.text() == doc.text()

    doc = ArticleDoc()
    doc.apply(text_update(4256, 0, "a"))
    big = deletions_update(4257, [(2 * i, 1) for i in range(50_000)])  # 191 kB
    before = resident_kib()
    refused = 0
    for _ in range(100):
        try:
            assert doc.apply(big, untrusted=True) is None
        except CrdtError:
            refused += 1
    assert refused >= 90  # the held ones stay within MAX_WAITING_BYTES
    assert resident_kib() - before < 20_000  # given to pycrdt, 100 of them kept about 130 MB
    assert doc.text() == "a"


def resident_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_refused_writes_leak_no_copies_of_the_document() -> None:
    """A reader's write is tried on a scratch copy of the document; pycrdt keeps an observed
    doc alive until it is unobserved, so each copy (and each room, each fold) used to leak."""
    live = ArticleDoc()
    live.apply(ArticleDoc(client_id=5).edit(lambda body: body.insert(0, "x" * 50_000)) or b"")
    write = ArticleDoc(client_id=6).edit(lambda body: body.insert(0, "y"))
    assert write is not None
    before = resident_kib()
    for _ in range(1000):
        assert live.would_change(write)
    assert resident_kib() - before < 20_000  # leaking, 1,000 copies took about 50 MB


# -- a real pycrdt panic --


def panic_update(state_vector: bytes) -> bytes:
    """An update that makes pycrdt 0.14.13 panic: an empty section (0 structs) for a client
    the document already knows (yrs ``BlockSet::exclude`` unwraps None). Found by fuzzing."""
    client = min(clients_of(state_vector))
    return b"\x01\x00" + write_var_uint(client) + b"\x00\x00"


async def test_an_update_that_makes_pycrdt_panic_rebuilds_only_its_room(
    server: RunningServer, editor: str
) -> None:
    names = await documents(server.base_url, DEMO_SLUG)
    url = f"{server.ws_url}/ws/{names[0]}?token={editor}"
    registry = server.services.registry
    async with (
        PyClient(server.ws_url, names[0], editor) as alice,
        PyClient(server.ws_url, names[0], editor) as carol,
        PyClient(server.ws_url, names[1], editor) as bob,
        PyClient(server.ws_url, names[1], editor) as dave,
    ):
        alice.append(" Avant.")
        await carol.wait_text(lambda t: t == alice.value())
        await settle(server, alice)
        _, document_id = await server.services.resolve_document(names[0])
        broken = registry.get_loaded(document_id)
        assert broken is not None
        update = panic_update(broken.doc.state_vector())
        with pytest.raises(BaseException, match=r"panicked|unwrap"):
            ArticleDoc.from_updates([broken.doc.full_update()]).doc.apply_update(update)

        assert await close_code_after(url, protocol.sync_update(update)) == 4400
        # The other members of the broken room are told to reconnect; other rooms carry on.
        with anyio.fail_after(5):
            await alice.closed.wait()
            await carol.closed.wait()
        assert (alice.close_code, carol.close_code) == (1011, 1011)
        bob.append(" Bob continue.")
        await dave.wait_text(lambda t: t == bob.value())
        assert not bob.closed.is_set() and not dave.closed.is_set()

        alice.append(" Hors ligne.")  # made while disconnected: re-sent by sync step 2
        await alice.disconnect()
        await carol.disconnect()
        await alice.connect()
        await carol.connect()
        rebuilt = registry.get_loaded(document_id)
        assert rebuilt is not None and rebuilt is not broken
        await carol.wait_text(lambda t: t == alice.value())
        assert alice.value().endswith(" Avant. Hors ligne.")
        await settle(server, alice)
        stored = await stored_doc(server, names[0])
        assert stored.text() == alice.value()
        await settle(server, bob)
        assert (await stored_doc(server, names[1])).text() == bob.value()
