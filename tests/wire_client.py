"""A raw client for both websocket endpoints, and the helpers the permission tests share:
exact frames out, every frame in, what the database holds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from pycrdt import Doc, Text
from sqlalchemy import text as sql

from crdt import hocuspocus as hp
from crdt import protocol
from crdt.article import ArticleDoc
from crdt.awareness import Entry, encode_entries
from crdt.lib0 import Reader, write_var_string
from server.domain.demo import DEMO_SLUG
from server.identity import COOKIE
from tests.hpdriver import HocuspocusClient
from tests.support import (
    RunningServer,
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
    "votes": "SELECT id, charter_id, status, version_after_id FROM votes ORDER BY id",
    "vote_ballots": "SELECT vote_id, participant_id, choice FROM vote_ballots ORDER BY 1, 2",
    "subgroups": "SELECT id, name, colour, status FROM subgroups ORDER BY id",
    "follows": "SELECT participant_id, kind, target_id, muted FROM follows ORDER BY 1, 2, 3",
    "mail_preferences": (
        "SELECT participant_id, frequency, instant_replies FROM mail_preferences ORDER BY 1"
    ),
    "text_marks": "SELECT participant_id, article_id, at FROM text_marks ORDER BY 1, 2",
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


def is_(kind: str, doc: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == kind and e["doc"] == doc


async def settled(client: HocuspocusClient, doc: str, since: int = 0) -> None:
    """Synced, and the provider's own step 2 of the handshake acknowledged (its unsynced
    count back to 0): the next SyncStatus answers our next edit."""
    await client.wait(is_("synced", doc), since=since)
    await client.wait(lambda e: is_("unsynced", doc)(e) and e["count"] == 0, since=since)


# The two live endpoints, as the app routes them.
WS_ENDPOINTS = {"yws": "/ws/{document:path}", "collab": "/collab"}
