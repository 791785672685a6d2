"""A hostile participant, through real sockets: what their attacks cost and what they get.

* Refused writes cost what the update costs, and a /collab session that keeps sending them
  is closed (on /ws the first one closes the socket).
* Links that are not http, https or mailto never reach anyone nor the store.
* Anonymous readers of a public charter have a budget of sockets, per charter and in all.
* Only a document's canonical name opens it: one room per socket per document.
* A client id's presence belongs to the participant who used it first in the room.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pycrdt import Doc, Text

from crdt import protocol
from crdt.article import ArticleDoc
from crdt.awareness import Entry, decode_entries
from server.domain.demo import DEMO_SLUG
from server.live.admission import NOT_A_NAME
from server.live.keys import RoomKey
from server.live.ws_collab import AFTER_CLOSE_ALLOWANCE
from server.settings import Settings
from tests.support import (
    ADMIN_TOKEN,
    RunningServer,
    first_document,
    make_token,
    running_server,
    server_text,
    wait_for,
)
from tests.wire_client import (
    WS_ENDPOINTS,
    Frame,
    Wire,
    api,
    insertion,
    no_nagle,
    presence,
    stored_when,
)

# -- refused writes --


def test_would_change_reads_the_update_against_the_state_and_the_delete_set() -> None:
    """A reader's no-op step 2 (its whole state, deletions included) is not a change; any
    new struct, new deletion, held update or unreadable update is."""
    author = ArticleDoc(client_id=11)
    author.edit(lambda body: body.insert(0, "la transparence des décisions"))
    author.edit(lambda body: body.__delitem__(slice(0, 3)))
    live = ArticleDoc.from_updates([author.full_update()])
    new_delete = ArticleDoc(client_id=12)
    new_delete.apply(author.full_update())
    deletion = new_delete.edit(lambda body: body.__delitem__(slice(0, 1)))
    unknown = ArticleDoc(client_id=13)
    unknown.edit(lambda body: body.insert(0, "zzz"))
    unknown_deletion = unknown.edit(lambda body: body.__delitem__(slice(0, 3)))
    gap = ArticleDoc(client_id=14)
    gap.edit(lambda body: body.insert(0, "a"))
    later = gap.edit(lambda body: body.insert(1, "b"))
    assert deletion is not None and unknown_deletion is not None and later is not None

    assert not live.would_change(author.full_update())  # everything known, deletions too
    assert not live.would_change(live.update_since(author.state_vector()))
    assert not live.would_change(protocol.EMPTY_UPDATE)
    assert not live.would_change(unknown_deletion)  # deletes nothing this doc holds
    assert live.would_change(deletion)
    assert live.would_change(insertion("nouveau"))
    assert live.would_change(later)  # held until its first part arrives
    assert live.would_change(b"\x01\x02\x03")
    assert live.text() == "transparence des décisions"


@pytest.mark.parametrize("role", ["reader", "commenter"])
async def test_a_collab_session_that_keeps_writing_where_it_may_not_is_closed(
    server: RunningServer, role: str
) -> None:
    """Each refused write used to cost a copy of the whole article and left the session
    open, so one reader could stall every room. Now the third refusal within a minute
    closes that document's session (the socket stays open for others), and it cannot be
    reopened on that socket."""
    no_nagle(server)
    token = await make_token(server, role, "Rita Refusée")
    doc = await first_document(server.base_url, DEMO_SLUG)
    before = await server_text(server.base_url, doc)
    wire = await Wire.open(server.ws_url, "collab", doc, token)
    try:
        await wire.admitted(token)
        start = wire.mark()
        for i in range(3):
            await wire.send(protocol.sync_update(insertion(f"[refus {i}]")))
        closing = await wire.wait(lambda f: f.kind == "close" and f.doc == doc, start)
        assert closing.text.startswith("writes refused")
        assert [f.text for f in wire.since(start, "sync_status")] == ["0", "0", "0"]
        again = await wire.authenticate(token)
        assert (again.kind, again.text) == ("auth_denied", "closed for refused writes: reconnect")
        await wire.processed()  # the socket itself stays open for other documents
        assert not wire.closed.is_set()
        room = server.services.registry.get_loaded(
            RoomKey.document(await _document_id(server, doc))
        )
        assert room is None or all(m.principal.participant_id is None for m in room.members)
    finally:
        await wire.close()
    assert await server_text(server.base_url, doc) == before


async def test_a_socket_that_keeps_writing_to_its_closed_document_is_closed(
    server: RunningServer,
) -> None:
    """After its session was closed, a reader's socket kept sending inserts for the closed
    document: each was queued as if sent before authentication, and the socket closed only
    after a thousand of them (4205). Now they are dropped unread, and a socket that sends
    more than a small allowance after the Close is closed with 4403."""
    token = await make_token(server, "reader", "Rolf Têtu")
    doc = await first_document(server.base_url, DEMO_SLUG)
    wire = await Wire.open(server.ws_url, "collab", doc, token)
    try:
        await wire.admitted(token)
        start = wire.mark()
        for i in range(3):
            await wire.send(protocol.sync_update(insertion(f"[refus {i}]")))
        await wire.wait(lambda f: f.kind == "close" and f.doc == doc, start)
        for i in range(AFTER_CLOSE_ALLOWANCE):
            await wire.send(protocol.sync_update(insertion(f"[encore {i}]")))
        await wire.processed()
        assert not wire.closed.is_set(), "a provider may still flush what it held"
        await wire.send(protocol.sync_update(insertion("[de trop]")))
        await asyncio.wait_for(wire.closed.wait(), 10)
        assert (wire.close_code, wire.close_reason) == (4403, "kept writing to a closed document")
        assert len(wire.since(start, "sync_status")) == 3, "dropped unread, never answered"
    finally:
        await wire.close()


async def test_a_readers_known_state_is_acknowledged_and_keeps_the_session(
    server: RunningServer,
) -> None:
    """A reader whose provider sends its whole state back (deletions included) gets
    SyncStatus 1 each time and is never closed for it."""
    token = await make_token(server, "reader", "Rémi")
    doc = await first_document(server.base_url, DEMO_SLUG)
    wire = await Wire.open(server.ws_url, "collab", doc, token)
    try:
        await wire.admitted(token)
        state = await wire.state()
        start = wire.mark()
        for _ in range(5):
            await wire.send(protocol.sync_step2(state))
        await wire.wait(lambda f: len(wire.since(start, "sync_status")) == 5, start)
        assert [f.text for f in wire.since(start, "sync_status")] == ["1"] * 5
        assert not wire.since(start, "close")
    finally:
        await wire.close()


async def _document_id(server: RunningServer, document: str) -> int:
    _, slug, _, key = document.split("/")
    return (await server.services.repo.find_article(slug, key)).document_id


# -- links --


def linked(text: str, link: Any) -> bytes:
    """An update from a fresh client inserting ``text`` formatted as a link to ``link``."""
    doc = Doc()
    body = doc.get("body", type=Text)
    body.insert(0, text, {"link": link})
    return doc.get_update()


HOSTILE_LINKS = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    'https://example.org/" onmouseover="alert(1)',
    'https://example.org/"><script>alert(1)</script>',
    "https://example.org/)\n\n# FORGED SECTION\n\n## Forged article\n",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://example.org/" + "a" * 2100,
    "//evil.example/",
    {"href": "https://example.org"},
]


@pytest.mark.parametrize("endpoint", list(WS_ENDPOINTS))
async def test_an_unsafe_link_closes_the_socket_4400_and_reaches_no_one(
    server: RunningServer, editor: str, endpoint: str
) -> None:
    doc = await first_document(server.base_url, DEMO_SLUG)
    before = await server_text(server.base_url, doc)
    watcher = await Wire.open(server.ws_url, "yws", doc, editor)
    try:
        await watcher.admitted(editor)
        for link in HOSTILE_LINKS:
            wire = await Wire.open(server.ws_url, endpoint, doc, editor)
            try:
                await wire.admitted(editor)
                mark = watcher.mark()
                await wire.send(protocol.sync_update(linked("lien piégé", link)))
                assert await wire.wait_closed() == 4400, link
                assert wire.close_reason.startswith("links must be http, https or mailto")
                await watcher.state()
                assert not watcher.since(mark, "update"), link
            finally:
                await wire.close()
    finally:
        await watcher.close()
    assert await server_text(server.base_url, doc) == before
    await server.services.store.flush()
    await stored_when(server, doc, lambda t: t == before)


@pytest.mark.parametrize(
    "link", ["https://www.nantes.fr/gouvernance?x=1&y=(2)#a", "mailto:atelier@nantes.fr", None]
)
async def test_safe_links_and_removed_links_are_accepted(
    server: RunningServer, editor: str, link: str | None
) -> None:
    doc = await first_document(server.base_url, DEMO_SLUG)
    wire = await Wire.open(server.ws_url, "collab", doc, editor)
    try:
        await wire.admitted(editor)
        start = wire.mark()
        await wire.send(protocol.sync_update(linked("ateliers", link)))
        await wire.wait(lambda f: f.kind == "sync_status", start)
        assert [f.text for f in wire.since(start, "sync_status")] == ["1"]
    finally:
        await wire.close()
    await server.services.store.flush()
    stored = ArticleDoc.from_updates(
        await server.services.store.load(await _document_id(server, doc))
    )
    assert "ateliers" in stored.text()
    if link is not None:
        assert ("ateliers", {"link": link}) in stored.ops()


# -- anonymous readers --


async def public_charter(server: RunningServer, slug: str) -> str:
    """A public charter with one article; its document name."""
    async with api(server, ADMIN_TOKEN) as http:
        made = await http.post("/api/charters", json={"slug": slug, "title": slug})
        assert made.status_code == 201, made.text
        section = await http.post(f"/api/charters/{slug}/sections", json={"title": "Accès"})
        article = await http.post(
            f"/api/charters/{slug}/sections/{section.json()['id']}/articles",
            json={"title": "Lire", "markdown": "Tout le monde peut lire."},
        )
        assert article.status_code == 201, article.text
        opened = await http.patch(f"/api/charters/{slug}/settings", json={"public_read": True})
        assert opened.status_code == 200, opened.text
    return await first_document(server.base_url, slug)


async def test_anonymous_sockets_have_a_budget_per_charter_and_in_all(
    settings: Settings,
) -> None:
    """Sixty anonymous sockets to a public charter all used to stay open: the cap counted
    only connections with a participant. Now each charter has a budget, and the instance
    one in all; refused sockets close with 1013 (try again later)."""
    settings = settings.with_overrides(
        max_anonymous_connections=3, max_anonymous_connections_total=5
    )
    async with running_server(settings) as server:
        first, second = [await public_charter(server, slug) for slug in ("ouverte", "libre")]
        kept = [await Wire.open(server.ws_url, "yws", first) for _ in range(3)]
        for wire in kept:
            await wire.admitted(None)
        over = await Wire.open(server.ws_url, "yws", first)
        assert await over.wait_closed() == 1013
        assert over.close_reason == "too many anonymous readers of this charter: try again later"
        collab = await Wire.open(server.ws_url, "collab", first)
        answer = await collab.authenticate(None)
        assert (answer.kind, answer.text) == ("auth_denied", over.close_reason)
        for _ in range(2):  # the other charter has its own budget, up to the total
            kept.append(await Wire.open(server.ws_url, "yws", second))
            await kept[-1].admitted(None)
        answer = await collab.authenticate(None, doc=second)
        assert (answer.kind, answer.text) == (
            "auth_denied",
            "too many anonymous readers: try again later",
        )
        # Participants are never counted in the anonymous budget.
        reader = await make_token(server, "reader", "Rémi", slug="ouverte")
        named = await Wire.open(server.ws_url, "yws", first, reader)
        await named.admitted(reader)
        # A socket that closes gives its place back.
        await kept.pop(0).close()
        await wait_for(lambda: server.services.slots.anonymous() == 4, what="a freed slot")
        await collab.admitted(None)
        for wire in [*kept, named, collab]:
            await wire.close()
        assert server.services.slots.anonymous() == 0


# -- document names --

ALIASES = [
    "/charters/{slug}/articles/{key}",
    "charters/{slug}/articles/{key}/",
    "charters//{slug}/articles/{key}",
    "//charters/{slug}//articles/{key}//",
    "charters/{slug}/articles/{key}\n",
    "charters/{slug}/articles/./{key}",
    "charters/{slug}/",
    "/charters/{slug}",
]


async def test_only_the_canonical_name_opens_a_document(server: RunningServer) -> None:
    """Aliases of one document used to open it again on the same socket: one reader
    showed four presences, and thousands of aliases made thousands of members."""
    token = await make_token(server, "reader", "Rémi")
    doc = await first_document(server.base_url, DEMO_SLUG)
    _, slug, _, key = doc.split("/")
    wire = await Wire.open(server.ws_url, "collab", doc, token)
    try:
        await wire.admitted(token)
        for alias in ALIASES:
            name = alias.format(slug=slug, key=key)
            answer = await wire.authenticate(token, doc=name)
            assert (answer.kind, answer.text) == ("auth_denied", NOT_A_NAME), name
        room = server.services.registry.get_loaded(
            RoomKey.document(await _document_id(server, doc))
        )
        assert room is not None and len(room.members) == 1
    finally:
        await wire.close()
    for alias in ALIASES[:3]:
        refused = await Wire.open(server.ws_url, "yws", alias.format(slug=slug, key=key), token)
        assert await refused.wait_closed() == 4404
        assert refused.close_reason == NOT_A_NAME


async def test_an_amendment_has_one_name(server: RunningServer, editor: str) -> None:
    doc = await first_document(server.base_url, DEMO_SLUG)
    key = doc.split("/")[-1]
    async with api(server, editor) as http:
        created = await http.post(
            f"/api/charters/{DEMO_SLUG}/articles/{key}/amendments",
            json={"title": "Publier", "rationale": "Pour tous."},
        )
    assert created.status_code == 201, created.text
    name = created.json()["document"]
    amendment_id = created.json()["id"]
    wire = await Wire.open(server.ws_url, "collab", name, editor)
    try:
        await wire.admitted(editor)
        for alias in (f"charters/{DEMO_SLUG}/amendments/0{amendment_id}", f"{name}/"):
            answer = await wire.authenticate(editor, doc=alias)
            assert (answer.kind, answer.text) == ("auth_denied", NOT_A_NAME), alias
    finally:
        await wire.close()


# -- presence --


async def test_a_client_id_keeps_belonging_to_the_participant_who_used_it(
    server: RunningServer,
) -> None:
    """After Alice disconnects, Mallory claims her client id; when Alice comes back with
    the same id (as y-websocket does), her presence is shown and Mallory's is not."""
    alice, mallory, watcher = [
        await make_token(server, "editor", name) for name in ("Alice", "Mallory", "Wanda")
    ]
    doc = await first_document(server.base_url, DEMO_SLUG)
    client_id = 424_242
    observer = await Wire.open(server.ws_url, "yws", doc, watcher)
    try:
        await observer.admitted(watcher)
        first = await Wire.open(server.ws_url, "yws", doc, alice)
        await first.admitted(alice)
        await first.send(presence(client_id, {"cursor": "alice-1"}))
        await observer.wait(lambda f: _shows(f, client_id, "alice-1"))
        await first.close()
        taker = await Wire.open(server.ws_url, "collab", doc, mallory)
        await taker.admitted(mallory)
        mark = observer.mark()
        await taker.send(presence(client_id, {"cursor": "mallory"}))
        back = await Wire.open(server.ws_url, "yws", doc, alice)
        await back.admitted(alice)
        await back.send(presence(client_id, {"cursor": "alice-2"}))
        shown = await observer.wait(lambda f: _shows(f, client_id, "alice-2"), mark)
        assert json.loads(_entry(shown, client_id).state)["user"]["name"] == "Alice"
        assert not any(_shows(f, client_id, "mallory") for f in observer.since(mark))
        await taker.close()
        await back.close()
    finally:
        await observer.close()


def _entry(frame: Frame, client_id: int) -> Entry:
    return next(e for e in decode_entries(frame.data, 4096) if e.client_id == client_id)


def _shows(frame: Frame, client_id: int, cursor: str) -> bool:
    if frame.kind != "awareness":
        return False
    entries = [e for e in decode_entries(frame.data, 4096) if e.client_id == client_id]
    return any(not e.removed and json.loads(e.state).get("cursor") == cursor for e in entries)


# -- half-open HTTP connections --


async def closed_by_server(reader: asyncio.StreamReader, timeout: float) -> bool:
    """Whether the server closes the connection within ``timeout`` (reads until EOF)."""
    try:
        async with asyncio.timeout(timeout):
            while await reader.read(4096):
                pass
        return True
    except TimeoutError:
        return False


async def test_a_request_head_that_never_ends_is_closed(settings: Settings) -> None:
    """Unfinished request heads used to stay open for ever (uvicorn has no such timeout):
    now they are closed after CHARTER_HTTP_HEAD_TIMEOUT_SECONDS, on a new connection as on
    a kept-alive one, while complete requests and open websockets carry on."""
    settings = settings.with_overrides(http_head_timeout_seconds=0.5, keepalive_seconds=60)
    async with running_server(settings) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        token = await make_token(server, "reader", "Rémi")
        doc = await first_document(server.base_url, DEMO_SLUG)
        wire = await Wire.open(server.ws_url, "yws", doc, token)
        await wire.admitted(token)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        kept_reader, kept = await asyncio.open_connection("127.0.0.1", port)
        kept.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert (await kept_reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        kept.write(b"GET /healthz HTTP/1.1\r\nHo")  # a second request, never finished
        assert await closed_by_server(reader, 5), "a half-open request head stayed open"
        assert await closed_by_server(kept_reader, 5), "a kept-alive half request stayed open"
        await wire.state()  # the websocket, open for longer than the deadline, still answers
        assert not wire.closed.is_set()
        async with api(server, token) as http:
            assert (await http.get(f"/api/charters/{DEMO_SLUG}")).status_code == 200
        for stream in (writer, kept):
            stream.close()
        await wire.close()
