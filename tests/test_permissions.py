"""Who may do what (RELIABILITY.md 4.4 P1-P3).

* A generated matrix: every HTTP route of the app (read from its routes, so a new route
  without cells fails) x nine kinds of principal -> the status, and whether the database
  changed. Every websocket message type x principal x endpoint -> what the sender gets,
  what the other members receive, and what is stored.
* Readers and commenters who write with real clients (pycrdt over /ws, the Node
  @hocuspocus/provider over /collab), live and as sync step 2 after a reconnect.
* Cookie sessions only from our own Origin (websockets and state-changing API calls).
* Rights changed mid-session take effect within 2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets
from pycrdt import Doc, Text
from sqlalchemy import text as sql
from starlette.routing import Route, WebSocketRoute

from crdt import hocuspocus as hp
from crdt import protocol
from crdt.article import ArticleDoc
from crdt.awareness import Entry, decode_entries, encode_entries
from crdt.lib0 import Reader, write_var_string
from server.access import Role
from server.app import create_app
from server.domain.demo import DEMO_SLUG
from server.identity import COOKIE
from server.names import charter_channel
from server.settings import Settings
from tests.databases import BACKENDS, fresh_database, stored_text, writes_blocked
from tests.hpdriver import HocuspocusClient
from tests.support import (
    ADMIN_TOKEN,
    ROOT,
    PyClient,
    RunningServer,
    first_document,
    make_token,
    running_server,
    server_text,
    until_server_has,
    wait_for,
)

# ---------------------------------------------------------------------------------------
# A raw client for both endpoints: sends exact frames, keeps every frame it receives.
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """One frame from the server. ``kind``: step1 step2 update awareness query_awareness
    auth_denied authenticated token_request sync_status stateless close ping."""

    kind: str
    doc: str | None
    data: bytes = b""
    text: str = ""  # reason, scope, stateless payload, or "1"/"0" for sync_status
    raw: bytes = b""


def _from_message(message: protocol.Message, doc: str | None, raw: bytes) -> Frame:
    if isinstance(message, protocol.SyncStep1):
        return Frame("step1", doc, message.state_vector, raw=raw)
    if isinstance(message, protocol.SyncStep2):
        return Frame("step2", doc, message.update, raw=raw)
    if isinstance(message, protocol.SyncUpdate):
        return Frame("update", doc, message.update, raw=raw)
    if isinstance(message, protocol.AwarenessUpdate):
        return Frame("awareness", doc, message.payload, raw=raw)
    if isinstance(message, protocol.AuthMessage):
        return Frame("auth_denied", doc, text=message.reason, raw=raw)
    return Frame("query_awareness", doc, raw=raw)


def parse_yws(raw: bytes, doc: str) -> Frame:
    return _from_message(protocol.decode(raw), doc, raw)


def parse_collab(raw: bytes) -> Frame:
    if raw == hp.PING:
        return Frame("ping", None, raw=raw)
    reader = Reader(raw)
    name = reader.read_var_string()
    start = reader.pos
    kind = reader.read_var_uint()
    if kind in (hp.SYNC, hp.AWARENESS, hp.QUERY_AWARENESS):
        return _from_message(protocol.read_message(Reader(raw, start)), name, raw)
    if kind == hp.AUTH:
        sub = reader.read_var_uint()
        if sub == hp.AUTH_TOKEN:
            return Frame("token_request", name, raw=raw)
        label = "authenticated" if sub == hp.AUTH_AUTHENTICATED else "auth_denied"
        return Frame(label, name, text=reader.read_var_string(), raw=raw)
    if kind == hp.SYNC_STATUS:
        return Frame("sync_status", name, text=str(reader.read_var_uint()), raw=raw)
    if kind == hp.STATELESS:
        return Frame("stateless", name, text=reader.read_var_string(), raw=raw)
    if kind == hp.CLOSE:
        reason = reader.read_var_string() if reader.remaining() else ""
        return Frame("close", name, text=reason, raw=raw)
    raise AssertionError(f"unexpected frame type {kind} from the server: {raw!r}")


def auth_frame(doc: str, token: str | None) -> bytes:
    """A Hocuspocus Auth message as provider 4.8 sends it (token, then its version)."""
    return (
        hp.prefix(doc)
        + bytes((hp.AUTH, hp.AUTH_TOKEN))
        + write_var_string(token or "")
        + write_var_string("4.8.0")
    )


class Wire:
    """A websocket to /ws/{doc} (``collab=False``) or /collab, recording what it receives."""

    def __init__(self, ws: websockets.ClientConnection, collab: bool, doc: str) -> None:
        self.ws = ws
        self.collab = collab
        self.doc = doc
        self.frames: list[Frame] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self.closed = asyncio.Event()
        self._news = asyncio.Event()  # set whenever a frame arrives or the socket closes
        self._task = asyncio.ensure_future(self._read())

    @classmethod
    async def open(
        cls,
        ws_url: str,
        endpoint: str,
        doc: str,
        token: str | None = None,
        *,
        origin: str | None = None,
        cookie: str | None = None,
    ) -> Wire:
        """Open the socket. On /ws the token goes in the URL; on /collab use ``authenticate``."""
        if endpoint == "yws":
            url = f"{ws_url}/ws/{doc}" + (f"?token={token}" if token else "")
        else:
            url = f"{ws_url}/collab"
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else None
        ws = await websockets.connect(
            url,
            origin=origin,  # type: ignore[arg-type]
            additional_headers=headers,
            max_size=None,
            compression=None,
        )
        return cls(ws, endpoint == "collab", doc)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                assert isinstance(raw, bytes), "the server sent a text frame"
                self.frames.append(parse_collab(raw) if self.collab else parse_yws(raw, self.doc))
                self._news.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason or ""
            self.closed.set()
            self._news.set()

    def mark(self) -> int:
        return len(self.frames)

    def since(self, mark: int, kind: str | None = None) -> list[Frame]:
        return [f for f in self.frames[mark:] if kind is None or f.kind == kind]

    async def send(self, body: bytes, doc: str | None = None) -> None:
        """Send one message; on /collab it is addressed to ``doc`` (default: our document)."""
        await self.ws.send(hp.prefix(doc or self.doc) + body if self.collab else body)

    async def send_raw(self, frame: bytes) -> None:
        await self.ws.send(frame)

    async def wait(
        self,
        predicate: Callable[[Frame], bool],
        since: int = 0,
        timeout: float = 5.0,
        what: str = "a frame",
    ) -> Frame:
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.frames[since:]:
                if predicate(frame):
                    return frame
            if self.closed.is_set():
                raise AssertionError(
                    f"socket closed ({self.close_code} {self.close_reason!r}) "
                    f"while waiting for {what}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            self._news.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._news.wait()

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        async with asyncio.timeout(timeout):
            await self.closed.wait()
        return self.close_code

    async def authenticate(self, token: str | None, doc: str | None = None) -> Frame:
        """/collab: send Auth for ``doc``; the Authenticated or PermissionDenied answer."""
        doc = doc or self.doc
        since = self.mark()
        await self.ws.send(auth_frame(doc, token))
        return await self.wait(
            lambda f: f.doc == doc and f.kind in ("authenticated", "auth_denied"),
            since,
            what=f"the answer to Auth for {doc}",
        )

    async def admitted(self, token: str | None) -> Frame:
        """Wait until the server let us in: its step 1 (/ws) or Authenticated (/collab)."""
        if self.collab:
            answer = await self.authenticate(token)
            assert answer.kind == "authenticated", f"refused: {answer.text}"
            return answer
        return await self.wait(lambda f: f.kind == "step1", what="the server's step 1")

    async def state(self, doc: str | None = None) -> bytes:
        """Sync step 1 with an empty state vector: the server's whole state (its step 2).
        A room answers a member in order, so whatever it relayed to us earlier is here."""
        doc = doc or self.doc
        since = self.mark()
        await self.send(protocol.sync_step1(b"\x00"), doc)
        frame = await self.wait(
            lambda f: f.kind == "step2" and f.doc == doc, since, what="step 2 (barrier)"
        )
        return frame.data

    async def processed(self) -> None:
        """Prove the server has read everything this socket sent so far, without touching
        our document: /collab answers Auth for an unknown document; /ws answers step 1."""
        if not self.collab:
            await self.state()
            return
        answer = await self.authenticate(None, doc=f"charters/{DEMO_SLUG}/articles/zz0barrier")
        assert answer.kind == "auth_denied" and answer.text == "unknown document"

    async def close(self) -> None:
        await self.ws.close()
        await self._task


def insertion(text: str) -> bytes:
    """A Yjs update from a fresh client inserting ``text`` at the start of the body."""
    doc = Doc()
    doc.get("body", type=Text).insert(0, text)
    return doc.get_update()


def text_of(update: bytes) -> str:
    doc = Doc()
    doc.apply_update(update)
    return str(doc.get("body", type=Text))


def presence(client_id: int, state: dict[str, Any]) -> bytes:
    return protocol.awareness(encode_entries([Entry(client_id, 1, json.dumps(state))]))


async def document_id(server: RunningServer, document: str) -> int:
    _, slug, _, key = document.split("/")
    return (await server.services.repo.find_article(slug, key)).document_id


async def stored_when(
    server: RunningServer, document: str, predicate: Callable[[str], bool], timeout: float = 5.0
) -> str:
    """The document's text rebuilt from the database, once ``predicate`` holds."""
    doc_id = await document_id(server, document)
    deadline = time.monotonic() + timeout
    while True:
        text = ArticleDoc.from_updates(await server.services.store.load(doc_id)).text()
        if predicate(text):
            return text
        assert time.monotonic() < deadline, f"the stored text never matched: {text[:300]!r}"
        await asyncio.sleep(0.02)


SNAPSHOT = {
    "charters": "SELECT slug, title, public_read FROM charters ORDER BY id",
    "sections": "SELECT id, charter_id, position, title, deleted_at FROM sections ORDER BY id",
    "articles": (
        "SELECT id, charter_id, section_id, position, title, deleted_at FROM articles ORDER BY id"
    ),
    "participants": "SELECT id, charter_id, name, role, blocked FROM participants ORDER BY id",
    "invites": "SELECT id, role, revoked_at IS NOT NULL, uses FROM invites ORDER BY id",
    "versions": "SELECT id, charter_id, label FROM versions ORDER BY id",
    "version_articles": "SELECT id, version_id, article_key FROM version_articles ORDER BY id",
    "phases": "SELECT id, phase, projector_article FROM charters ORDER BY id",
    "article_phases": "SELECT id, phase FROM articles ORDER BY id",
    "amendments": "SELECT id, status FROM amendments ORDER BY id",
    "amendment_votes": (
        "SELECT amendment_id, participant_id, choice FROM amendment_votes ORDER BY 1, 2"
    ),
    "amendment_authors": "SELECT amendment_id, participant_id FROM amendment_authors ORDER BY 1, 2",
    "comment_threads": "SELECT id, article_id, status FROM comment_threads ORDER BY id",
    "comments": (
        "SELECT id, thread_id, body, stance, deleted_at IS NULL, hidden_at IS NULL"
        " FROM comments ORDER BY id"
    ),
    "comment_reads": (
        "SELECT participant_id, article_id, seen_through FROM comment_reads ORDER BY 1, 2"
    ),
}


async def snapshot(server: RunningServer) -> dict[str, list[tuple[Any, ...]]]:
    """What a refused request must not change, read from the database."""
    async with server.services.engine.connect() as conn:
        return {
            name: [tuple(row) for row in await conn.execute(sql(query))]
            for name, query in SNAPSHOT.items()
        }


def no_nagle(server: RunningServer) -> None:
    """Harness work-around, not a fix: ``running_server`` (like ``charter serve``) listens on
    a socket made with ``socket.socket()`` (proto 0), so asyncio does not set TCP_NODELAY on
    accepted connections and every response whose headers and body go out as two writes
    waits ~40 ms for a delayed ACK (see test_limits). Accepted sockets inherit the option
    from the listening one; the matrices below make hundreds of requests."""
    for listener in server.server.servers:
        for sock in listener.sockets:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# One TLS context for every client (all plain http here): httpx otherwise builds one per
# client, ~35 ms of CPU each, and the tests below open hundreds of clients.
TLS = httpx.create_ssl_context()


def api(server: RunningServer, token: str | None = None, **options: Any) -> httpx.AsyncClient:
    """An HTTP client of ``server``, as ``token`` if one is given (else a bare browser)."""
    return httpx.AsyncClient(base_url=server.base_url, headers=bearer(token), verify=TLS, **options)


def participant_id(token: str) -> int:
    return int(token.split(".", 1)[0])


def bearer(token: str | None) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"} if token else {}


# ---------------------------------------------------------------------------------------
# The world of the matrices: one server, a private charter and a public one, a principal
# of every kind. Module-scoped: each cell creates what it changes, so cells stay apart.
# ---------------------------------------------------------------------------------------

PRINCIPALS = (
    "admin",  # the server's administrator token
    "facilitator",
    "editor",
    "commenter",
    "reader",
    "nobody",  # no credentials, private charter
    "public",  # no credentials, public charter
    "other",  # facilitator of ANOTHER charter
    "blocked",  # an editor a facilitator has blocked
)
PRINCIPAL_ROLE: dict[str, Role | None] = {
    "admin": None,
    "facilitator": Role.FACILITATOR,
    "editor": Role.EDITOR,
    "commenter": Role.COMMENTER,
    "reader": Role.READER,
    "nobody": None,
    "public": Role.READER,
    "other": Role.FACILITATOR,
    "blocked": Role.EDITOR,
}
OPEN_SLUG = "charte-ouverte"


@dataclass
class Target:
    slug: str
    section_id: int
    key: str
    document: str
    spare_document: str  # an article no test opens: refused sockets must not load it


@dataclass
class World:
    server: RunningServer
    demo: Target
    open: Target
    tokens: dict[str, str | None]
    names: dict[str, str]
    http: httpx.AsyncClient
    watching: dict[str, list[Wire]] = field(default_factory=dict)

    async def observers(self, document: str) -> list[Wire]:
        """An administrator on each endpoint, kept open on ``document`` for every cell."""
        kept = self.watching.get(document, [])
        if len(kept) != len(WS_ENDPOINTS) or any(w.closed.is_set() for w in kept):
            kept = []
            for kind in WS_ENDPOINTS:
                observer = await Wire.open(self.server.ws_url, kind, document, ADMIN_TOKEN)
                await observer.admitted(ADMIN_TOKEN)
                kept.append(observer)
            self.watching[document] = kept
        return kept

    async def close(self) -> None:
        for wire in (w for kept in self.watching.values() for w in kept):
            await wire.close()

    def target(self, who: str) -> Target:
        return self.open if who == "public" else self.demo

    async def snapshot(self) -> dict[str, Any]:
        """The database (what the projectors show included)."""
        return await snapshot(self.server)

    async def call(
        self, who: str, method: str, path: str, body: Any = None, params: Any = None
    ) -> httpx.Response:
        return await self.http.request(
            method, path, json=body, params=params, headers=bearer(self.tokens[who])
        )

    async def text(self, document: str) -> str:
        """The server's live text of a document (``server_text`` on a kept connection)."""
        _, slug, _, key = document.split("/")
        response = await self.admin("GET", f"/api/charters/{slug}/articles/{key}?format=text")
        return response.text

    async def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        response = await self.call("admin", method, path, body)
        assert response.status_code < 300, response.text
        return response


async def _target(http: httpx.AsyncClient, slug: str) -> Target:
    charter = (await http.get(f"/api/charters/{slug}", headers=bearer(ADMIN_TOKEN))).json()
    articles = [a for s in charter["sections"] for a in s["articles"]]
    return Target(
        slug,
        charter["sections"][0]["id"],
        articles[0]["id"],
        articles[0]["document"],
        articles[-1]["document"],
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    async with fresh_database(request.param, tmp_path_factory.mktemp("matrix")) as url:
        settings = Settings(database_url=url, seed_demo=True, admin_token=ADMIN_TOKEN)
        async with (
            running_server(settings) as server,
            api(server) as http,
        ):
            no_nagle(server)
            world = await _world(server, http)
            yield world
            await world.close()


async def _world(server: RunningServer, http: httpx.AsyncClient) -> World:
    admin = bearer(ADMIN_TOKEN)
    created = await http.post(
        "/api/charters", json={"slug": OPEN_SLUG, "title": "Charte ouverte"}, headers=admin
    )
    assert created.status_code == 201, created.text
    for title in ("Accès libre", "Réutilisation"):
        section = await http.post(
            f"/api/charters/{OPEN_SLUG}/sections", json={"title": title}, headers=admin
        )
        article = await http.post(
            f"/api/charters/{OPEN_SLUG}/sections/{section.json()['id']}/articles",
            json={"title": title, "markdown": f"Tout le monde peut lire : {title}."},
            headers=admin,
        )
        assert article.status_code == 201, article.text
    opened = await http.patch(
        f"/api/charters/{OPEN_SLUG}/settings", json={"public_read": True}, headers=admin
    )
    assert opened.status_code == 200
    names = {
        "admin": "admin",
        "facilitator": "Fatou Animatrice",
        "editor": "Élise Rédactrice",
        "commenter": "Camille Commente",
        "reader": "Rémi Lecteur",
        "nobody": "",
        "public": "",
        "other": "Otto d'Ailleurs",
        "blocked": "Blaise Bloqué",
    }
    tokens: dict[str, str | None] = {"admin": ADMIN_TOKEN, "nobody": None, "public": None}
    for who in ("facilitator", "editor", "commenter", "reader", "blocked"):
        role = PRINCIPAL_ROLE[who]
        assert role is not None
        tokens[who] = await make_token(server, role.value, names[who])
    tokens["other"] = await make_token(server, "facilitator", names["other"], OPEN_SLUG)
    blocked = tokens["blocked"]
    assert blocked is not None
    response = await http.patch(
        f"/api/charters/{DEMO_SLUG}/participants/{participant_id(blocked)}",
        json={"blocked": True},
        headers=admin,
    )
    assert response.status_code == 200 and response.json()["blocked"] is True
    return World(
        server,
        await _target(http, DEMO_SLUG),
        await _target(http, OPEN_SLUG),
        tokens,
        names,
        http,
    )


# ---------------------------------------------------------------------------------------
# HTTP: every route x every principal -> status; refused writes change nothing.
# ---------------------------------------------------------------------------------------


def cells(*statuses: int) -> dict[str, int]:
    assert len(statuses) == len(PRINCIPALS)
    return dict(zip(PRINCIPALS, statuses, strict=True))


#                 admin fac  edit comm read nobody public other blocked
READ = cells(200, 200, 200, 200, 200, 401, 200, 403, 403)
ANYONE = cells(200, 200, 200, 200, 200, 200, 200, 200, 200)
# The HTML reading view answers a private charter with a 403 page, never a 401.
READ_PAGE = cells(200, 200, 200, 200, 200, 403, 200, 403, 403)


# The browser app's page shells (server/pages/shells.py). Without a build of the app (``make web``)
# they answer 503 "not built" to everyone, before looking at the charter.
WEB_BUILT = (ROOT / "web" / "dist" / "manifest.json").is_file()
WEB_PAGE = READ_PAGE if WEB_BUILT else cells(*[503] * len(PRINCIPALS))


def manage(ok: int) -> dict[str, int]:
    return cells(ok, ok, 403, 403, 403, 401, 403, 403, 403)


def comment(ok: int) -> dict[str, int]:
    return cells(ok, ok, ok, ok, 403, 401, 403, 403, 403)


# What only an amendment's author may do; the cells' amendments are the administrator's.
AUTHOR = cells(200, 403, 403, 403, 403, 401, 403, 403, 403)


# docs/api.md: "POST /api/charters — administrator" (a facilitator shapes only their charter)
ADMIN_ONLY = cells(201, 403, 403, 403, 403, 401, 401, 403, 403)


Values = dict[str, Any]  # the path parameters of one cell, and the charter they belong to


@dataclass(frozen=True)
class Cell:
    statuses: dict[str, int]
    body: Callable[[str, Values], Any] | None = None  # (principal, values) -> JSON body
    query: Callable[[Values], dict[str, Any]] | None = None


HTTP_MATRIX: dict[tuple[str, str], Cell] = {
    ("GET", "/"): Cell(ANYONE),
    ("GET", "/charters/{slug}"): Cell(READ_PAGE),
    ("GET", "/charters/{slug}/read"): Cell(READ_PAGE),
    ("GET", "/charters/{slug}/articles/{key}"): Cell(WEB_PAGE),
    ("GET", "/charters/{slug}/projector"): Cell(WEB_PAGE),
    ("GET", "/charters/{slug}/amendments"): Cell(WEB_PAGE),
    ("GET", "/charters/{slug}/amendments/{amendment_id}"): Cell(WEB_PAGE),
    ("GET", "/charters/{slug}/comments"): Cell(WEB_PAGE),
    ("GET", "/api/charters"): Cell(ANYONE),
    ("POST", "/api/charters"): Cell(
        ADMIN_ONLY, lambda who, _: {"slug": f"nouvelle-{who}", "title": f"Nouvelle ({who})"}
    ),
    ("GET", "/api/charters/{slug}"): Cell(READ),
    ("GET", "/api/charters/{slug}/export"): Cell(READ),
    ("POST", "/api/charters/{slug}/sections"): Cell(
        manage(201), lambda who, _: {"title": f"Section de {who}"}
    ),
    ("POST", "/api/charters/{slug}/sections/{section_id}/articles"): Cell(
        manage(201), lambda who, _: {"title": f"Article de {who}", "markdown": "Texte."}
    ),
    ("GET", "/api/charters/{slug}/articles/{key}"): Cell(READ),
    # Shaping the charter (server/api/outline.py): each cell works on a fresh section.
    ("PATCH", "/api/charters/{slug}/sections/{section_id}"): Cell(
        manage(200), lambda who, _: {"title": f"Renommée par {who}"}
    ),
    ("DELETE", "/api/charters/{slug}/sections/{section_id}"): Cell(manage(200)),
    ("PUT", "/api/charters/{slug}/sections/order"): Cell(
        manage(200), lambda _, v: {"order": [s["id"] for s in v["charter"]["sections"]][::-1]}
    ),
    ("PUT", "/api/charters/{slug}/sections/{section_id}/order"): Cell(
        manage(200), lambda _, v: {"order": v["keys"][::-1]}
    ),
    ("PATCH", "/api/charters/{slug}/articles/{key}"): Cell(
        manage(200), lambda who, _: {"title": f"Titre de {who}"}
    ),
    ("DELETE", "/api/charters/{slug}/articles/{key}"): Cell(manage(200)),
    ("PUT", "/api/charters/{slug}/projector"): Cell(
        manage(200),
        lambda _, v: {"article": None if v["charter"]["projector"] == v["key"] else v["key"]},
    ),
    # Versions of the whole charter, and comparisons (server/api/versions.py).
    ("GET", "/api/charters/{slug}/versions"): Cell(READ),
    ("POST", "/api/charters/{slug}/versions"): Cell(
        manage(201), lambda who, _: {"label": f"Version de {who}"}
    ),
    ("GET", "/api/charters/{slug}/versions/{version_id}"): Cell(READ),
    ("GET", "/api/charters/{slug}/compare"): Cell(
        READ, query=lambda v: {"from": v["version_id"], "to": "live"}
    ),
    # Restores: each cell's version is saved, then its article renamed, so there is a change.
    ("POST", "/api/charters/{slug}/versions/{version_id}/restore"): Cell(manage(200)),
    ("POST", "/api/charters/{slug}/articles/{key}/restore"): Cell(
        manage(200), lambda _, v: {"version": v["version_id"]}
    ),
    # Pages of versions (server/pages/versions.py) and the Atom feed.
    ("GET", "/charters/{slug}/versions"): Cell(READ_PAGE),
    ("GET", "/charters/{slug}/versions.atom"): Cell(READ_PAGE),
    ("GET", "/charters/{slug}/compare"): Cell(
        READ_PAGE, query=lambda v: {"from": v["version_id"], "to": "live"}
    ),
    ("GET", "/charters/{slug}/compare/{key}"): Cell(
        READ_PAGE, query=lambda v: {"from": v["version_id"], "to": "live"}
    ),
    # Amendments (server/api/amendments.py); each cell's amendment is proposed by the admin.
    ("GET", "/api/charters/{slug}/amendments"): Cell(READ),
    ("POST", "/api/charters/{slug}/articles/{key}/amendments"): Cell(
        comment(201), lambda who, _: {"title": f"Amendement de {who}", "rationale": "Parce que."}
    ),
    ("GET", "/api/charters/{slug}/amendments/{amendment_id}"): Cell(READ),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/open"): Cell(AUTHOR),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/withdraw"): Cell(AUTHOR),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/accept"): Cell(manage(200)),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/reject"): Cell(
        manage(200), lambda who, _: {"reason": f"Refusé par {who}"}
    ),
    # The administrator is no participant: no vote.
    ("PUT", "/api/charters/{slug}/amendments/{amendment_id}/vote"): Cell(
        cells(403, 200, 200, 200, 403, 401, 403, 403, 403), lambda *_: {"choice": "for"}
    ),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/authors"): Cell(
        manage(200), lambda _, v: {"participant_id": v["participant_id"]}
    ),
    # Who may be invited as a co-author: its authors (the admin) and facilitators ask.
    ("GET", "/api/charters/{slug}/amendments/{amendment_id}/candidates"): Cell(manage(200)),
    # The discussion of an (open) amendment.
    ("GET", "/api/charters/{slug}/amendments/{amendment_id}/threads"): Cell(READ),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/threads"): Cell(
        comment(201), lambda who, _: {"body": f"Fil d’amendement de {who}"}
    ),
    # The admin closes the charter (or article) to direct edits, the facilitator reopens it.
    ("PUT", "/api/charters/{slug}/phase"): Cell(
        manage(200), lambda who, _: {"phase": "amendments" if who == "admin" else "open"}
    ),
    ("PUT", "/api/charters/{slug}/articles/{key}/phase"): Cell(
        manage(200), lambda who, _: {"phase": "amendments" if who == "admin" else None}
    ),
    # Comment threads (server/api/comments.py); each cell's thread is started by the admin.
    ("GET", "/api/charters/{slug}/threads"): Cell(READ),
    ("GET", "/api/charters/{slug}/threads/{thread_id}"): Cell(READ),
    ("GET", "/api/charters/{slug}/articles/{key}/threads"): Cell(READ),
    ("GET", "/api/charters/{slug}/moderation"): Cell(READ),
    ("POST", "/api/charters/{slug}/articles/{key}/threads"): Cell(
        comment(201), lambda who, _: {"body": f"Fil de {who}"}
    ),
    ("POST", "/api/charters/{slug}/threads/{thread_id}/comments"): Cell(
        comment(201), lambda who, _: {"body": f"Réponse de {who}"}
    ),
    # Editors and up, or the thread's author (here the admin).
    ("PUT", "/api/charters/{slug}/threads/{thread_id}/status"): Cell(
        cells(200, 200, 200, 403, 403, 401, 403, 403, 403), lambda *_: {"status": "resolved"}
    ),
    ("PATCH", "/api/charters/{slug}/comments/{comment_id}"): Cell(
        AUTHOR, lambda who, _: {"body": f"Corrigé par {who}"}
    ),
    ("DELETE", "/api/charters/{slug}/comments/{comment_id}"): Cell(AUTHOR),
    ("POST", "/api/charters/{slug}/comments/{comment_id}/hide"): Cell(
        manage(200), lambda who, _: {"reason": f"Masqué par {who}"}
    ),
    # Unread markers belong to participants: the administrator and anonymous readers have none.
    ("PUT", "/api/charters/{slug}/articles/{key}/seen"): Cell(
        cells(403, 200, 200, 200, 200, 401, 403, 403, 403), lambda *_: {"through": 10**9}
    ),
    ("GET", "/api/charters/{slug}/me"): Cell(READ),
    # Flips public_read: a private charter would open, the public one would close.
    ("GET", "/api/charters/{slug}/settings"): Cell(manage(200)),
    ("PATCH", "/api/charters/{slug}/settings"): Cell(
        manage(200), lambda who, _: {"public_read": who != "public"}
    ),
    ("GET", "/api/charters/{slug}/invites"): Cell(manage(200)),
    ("POST", "/api/charters/{slug}/invites"): Cell(
        manage(201), lambda who, _: {"role": "facilitator", "label": f"par {who}"}
    ),
    ("DELETE", "/api/charters/{slug}/invites/{invite_id}"): Cell(manage(200)),
    ("GET", "/api/charters/{slug}/participants"): Cell(manage(200)),
    ("PATCH", "/api/charters/{slug}/participants/{participant_id}"): Cell(
        manage(200), lambda who, _: {"role": "facilitator"}
    ),
}

# Routes with no principal to check, and where each is tested instead.
UNGUARDED_ROUTES = {
    ("GET", "/healthz"): "a health probe with no charter data",
    ("GET", "/join/{token}"): "the invitation link is the credential: test_identity",
    ("POST", "/join/{token}"): "the invitation link is the credential: test_identity",
    ("GET", "/lang/{lang}"): "sets the interface language cookie: test_identity",
    ("GET", "/static/{path:path}"): "the browser app's build files, the same for everyone",
    ("GET", "/favicon.ico"): "the browser app's icon",
}
WS_ENDPOINTS = {"yws": "/ws/{document:path}", "collab": "/collab"}


def app_routes() -> tuple[set[tuple[str, str]], set[str]]:
    app = create_app(Settings(database_url="sqlite:///unused.db"))
    http: set[tuple[str, str]] = set()
    sockets: set[str] = set()
    for route in app.routes:
        if isinstance(route, Route):
            http |= {(method, route.path) for method in (route.methods or set()) - {"HEAD"}}
        elif isinstance(route, WebSocketRoute):
            sockets.add(route.path)
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return http, sockets


def test_every_route_and_endpoint_has_cells() -> None:
    http, sockets = app_routes()
    missing = http - set(HTTP_MATRIX) - set(UNGUARDED_ROUTES)
    assert not missing, f"routes without permission cells: {sorted(missing)}"
    assert not (set(HTTP_MATRIX) | set(UNGUARDED_ROUTES)) - http, "cells of removed routes"
    assert sockets == set(WS_ENDPOINTS.values()), "a websocket endpoint without cells"
    for route, cell in HTTP_MATRIX.items():
        assert set(cell.statuses) == set(PRINCIPALS), route
    # Every role is someone in the matrix (a new role needs its column).
    assert set(Role) <= {r for r in PRINCIPAL_ROLE.values() if r is not None}


async def fill(world: World, method: str, template: str, who: str) -> Values:
    """The route's path for ``who``'s charter. What a cell may change (a section and its
    articles, an invite, a participant) is created fresh for it."""
    target = world.target(who)
    values: Values = {"slug": target.slug, "section_id": target.section_id, "key": target.key}
    api = f"/api/charters/{target.slug}"
    if method in ("PATCH", "PUT", "DELETE") and "{section_id}" in template:
        section = await world.admin("POST", f"{api}/sections", {"title": f"Pour {who}"})
        values["section_id"] = section.json()["id"]
    if (method in ("PATCH", "DELETE") and "{key}" in template) or template.endswith("}/order"):
        values["keys"] = []
        for title in ("Un", "Deux")[: 2 if template.endswith("/order") else 1]:
            made = await world.admin(
                "POST", f"{api}/sections/{values['section_id']}/articles", {"title": title}
            )
            values["keys"].append(made.json()["id"])
        values["key"] = values["keys"][0]
    if "{version_id}" in template or "/compare" in template or template.endswith("/restore"):
        version = await world.admin("POST", f"{api}/versions", {"label": f"Pour {who}"})
        values["version_id"] = version.json()["id"]
    if template.endswith("/restore"):  # something to restore: the article's title
        await world.admin("PATCH", f"{api}/articles/{target.key}", {"title": f"Renommé ({who})"})
    if "{invite_id}" in template:
        invite = await world.admin(
            "POST", f"/api/charters/{target.slug}/invites", {"role": "editor"}
        )
        values["invite_id"] = invite.json()["id"]
    if "{participant_id}" in template or template.endswith("/authors"):
        token = await make_token(world.server, "commenter", f"Cible de {who}", target.slug)
        values["participant_id"] = participant_id(token)
    if "{thread_id}" in template or "{comment_id}" in template:
        started = await world.admin(
            "POST", f"{api}/articles/{target.key}/threads", {"body": f"Pour {who}"}
        )
        values["thread_id"] = started.json()["id"]
        values["comment_id"] = started.json()["comments"][0]["id"]
    if "{amendment_id}" in template:
        proposed = await world.admin(
            "POST",
            f"{api}/articles/{target.key}/amendments",
            {"title": f"Pour {who}", "rationale": "Essai.", "open": not template.endswith("/open")},
        )
        values["amendment_id"] = proposed.json()["id"]
    return values


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("route", list(HTTP_MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
async def test_http_permission_matrix(world: World, route: tuple[str, str]) -> None:
    method, template = route
    cell = HTTP_MATRIX[route]
    wrong: list[str] = []
    fresh: dict[str, Values] = {}  # per charter, until a cell changes something
    for who in PRINCIPALS:
        slug = world.target(who).slug
        if slug not in fresh:
            fresh[slug] = await fill(world, method, template, who)
        values = fresh[slug]
        if template.endswith(("/sections/order", "/projector")):  # the body depends on it
            values["charter"] = (await world.admin("GET", f"/api/charters/{slug}")).json()
        path = template.format(**values)
        before = await world.snapshot()
        body = cell.body(who, values) if cell.body else None
        query = cell.query(values) if cell.query else None
        response = await world.call(who, method, path, body, params=query)
        changed = await world.snapshot() != before
        if changed:
            fresh.pop(slug)
        expected = cell.statuses[who]
        if response.status_code != expected:
            wrong.append(f"{who}: {method} {path} -> {response.status_code}, expected {expected}")
        if method != "GET" and response.status_code < 300 and not changed:
            wrong.append(f"{who}: {method} {path} answered {response.status_code}, changed nothing")
        if (method == "GET" or response.status_code >= 300) and changed:
            wrong.append(f"{who}: {method} {path} -> {response.status_code}, but the DB changed")
        if path.startswith("/api/") and response.status_code in (401, 403):
            code = response.json()["error"]["code"]
            if code != {401: "unauthorized", 403: "forbidden"}[response.status_code]:
                wrong.append(f"{who}: {method} {path} error code {code!r}")
        if template.endswith("/settings"):  # put both charters back as they were
            await world.admin(
                "PATCH", f"/api/charters/{DEMO_SLUG}/settings", {"public_read": False}
            )
            await world.admin("PATCH", f"/api/charters/{OPEN_SLUG}/settings", {"public_read": True})
    assert not wrong, "permission matrix mismatches:\n" + "\n".join(wrong)


@pytest.mark.asyncio(loop_scope="module")
async def test_listings_show_only_what_each_principal_may_read(world: World) -> None:
    charters = (await snapshot(world.server))["charters"]
    public = {slug for slug, _, public_read in charters if public_read}
    everything = {slug for slug, _, _ in charters}
    expected = {
        "admin": everything,
        "facilitator": public | {DEMO_SLUG},
        "reader": public | {DEMO_SLUG},
        "nobody": public,
        "other": public | {OPEN_SLUG},
    }
    for who, slugs in expected.items():
        listed = (await world.call(who, "GET", "/api/charters")).json()["charters"]
        assert {c["slug"] for c in listed} == slugs, who
    home = await world.call("nobody", "GET", "/")
    assert f'/charters/{OPEN_SLUG}"' in home.text and f"/charters/{DEMO_SLUG}" not in home.text


@pytest.mark.asyncio(loop_scope="module")
async def test_ids_of_another_charter_are_not_found_through_ones_own(world: World) -> None:
    """The facilitator of the public charter names the private charter's objects through
    the slug of the charter they manage: 404 every time, and nothing changes."""
    demo = world.demo
    invite = (
        await world.admin("POST", f"/api/charters/{DEMO_SLUG}/invites", {"role": "editor"})
    ).json()
    victim = participant_id(await make_token(world.server, "editor", "Victime"))
    version = (
        await world.admin("POST", f"/api/charters/{DEMO_SLUG}/versions", {"label": "V"})
    ).json()
    amendment = (
        await world.admin(
            "POST",
            f"/api/charters/{DEMO_SLUG}/articles/{demo.key}/amendments",
            {"title": "Privé", "rationale": "Privé."},
        )
    ).json()
    thread = (
        await world.admin(
            "POST", f"/api/charters/{DEMO_SLUG}/articles/{demo.key}/threads", {"body": "Privé"}
        )
    ).json()
    comment_id = thread["comments"][0]["id"]
    own = f"/api/charters/{OPEN_SLUG}"
    attempts = [
        ("POST", f"{own}/sections/{demo.section_id}/articles", {"title": "Intrus"}),
        ("PATCH", f"{own}/sections/{demo.section_id}", {"title": "Intrus"}),
        ("DELETE", f"{own}/sections/{demo.section_id}", None),
        ("PUT", f"{own}/sections/{demo.section_id}/order", {"order": [demo.key]}),
        ("GET", f"{own}/articles/{demo.key}", None),
        ("PATCH", f"{own}/articles/{demo.key}", {"title": "Intrus"}),
        ("DELETE", f"{own}/articles/{demo.key}", None),
        ("DELETE", f"{own}/invites/{invite['id']}", None),
        ("PATCH", f"{own}/participants/{victim}", {"role": "reader"}),
        ("PATCH", f"{own}/participants/{victim}", {"blocked": True}),
        ("GET", f"{own}/versions/{version['id']}", None),
        ("GET", f"{own}/compare?from={version['id']}&to=live", None),
        ("GET", f"{own}/amendments/{amendment['id']}", None),
        ("POST", f"{own}/amendments/{amendment['id']}/accept", {}),
        ("POST", f"{own}/amendments/{amendment['id']}/reject", {"reason": "Intrus"}),
        ("PUT", f"{own}/amendments/{amendment['id']}/vote", {"choice": "for"}),
        ("POST", f"{own}/articles/{demo.key}/amendments", {"title": "I", "rationale": "I"}),
        ("PUT", f"{own}/articles/{demo.key}/phase", {"phase": "amendments"}),
        ("GET", f"{own}/threads/{thread['id']}", None),
        ("POST", f"{own}/threads/{thread['id']}/comments", {"body": "Intrus"}),
        ("PUT", f"{own}/threads/{thread['id']}/status", {"status": "resolved"}),
        ("PATCH", f"{own}/comments/{comment_id}", {"body": "Intrus"}),
        ("DELETE", f"{own}/comments/{comment_id}", None),
        ("POST", f"{own}/comments/{comment_id}/hide", {"reason": "Intrus"}),
        ("GET", f"{own}/articles/{demo.key}/threads", None),
        ("POST", f"{own}/articles/{demo.key}/threads", {"body": "Intrus"}),
        ("PUT", f"{own}/articles/{demo.key}/seen", {"through": comment_id}),
    ]
    before = await world.snapshot()
    for method, path, body in attempts:
        response = await world.call("other", method, path, body)
        assert response.status_code == 404, (method, path, response.text)
    assert await world.snapshot() == before
    # The private charter's document under the public charter's name does not exist either.
    wire = await Wire.open(
        world.server.ws_url,
        "yws",
        f"charters/{OPEN_SLUG}/articles/{demo.key}",
        world.tokens["other"],
    )
    assert await wire.wait_closed() == 4404


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


def is_(kind: str, doc: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == kind and e["doc"] == doc


async def settled(client: HocuspocusClient, doc: str, since: int = 0) -> None:
    """Synced, and the provider's own step 2 of the handshake acknowledged (its unsynced
    count back to 0): the next SyncStatus answers our next edit."""
    await client.wait(is_("synced", doc), since=since)
    await client.wait(lambda e: is_("unsynced", doc)(e) and e["count"] == 0, since=since)


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


# ---------------------------------------------------------------------------------------
# Cookie sessions only from our own Origin (P3, CSWSH).
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


# ---------------------------------------------------------------------------------------
# Rights changed mid-session (P2).
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
    makes it private, they must stop receiving its text (P2: within 2 s)."""
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
