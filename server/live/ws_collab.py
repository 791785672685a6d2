"""``/collab``: the Hocuspocus protocol, many documents over one socket.

Each document is authenticated by its own Auth message; anything sent for a document
before its Auth is queued (with limits). SyncStatus is sent exactly once per client
update, and only after the update is committed: "saved" means saved.
"""

from __future__ import annotations

import json
import logging

from starlette.websockets import WebSocket

from crdt import hocuspocus as hp
from crdt.lib0 import write_var_bytes
from server.access import Principal, local_reader
from server.live import closecodes
from server.live.admission import admit
from server.live.connection import Connection
from server.live.limits import SlidingWindow
from server.live.rooms import Frames, Room
from server.live.serve import open_connection, serve
from server.services import Services

log = logging.getLogger("charter.collab")

MAX_PENDING_DOCUMENTS = 100
MAX_PENDING_MESSAGES = 1000
MAX_PENDING_BYTES = 5 * 1024 * 1024
# Messages a socket may still send for a document closed for refused writes (a provider
# flushing what it held) before the socket itself is closed; they are dropped unread.
AFTER_CLOSE_ALLOWANCE = 100
# A session whose writes keep being refused is closed: each refusal costs the server a
# little, and a client that keeps writing where it may not is broken or hostile.
REFUSALS_BEFORE_CLOSE = 3
REFUSAL_WINDOW_SECONDS = 60.0


class DocSession:
    """One document of a multiplexed socket: the room member for that document."""

    def __init__(self, conn: CollabConnection, name: str, room: Room, principal: Principal) -> None:
        self.conn = conn
        self.name = name
        self.room = room
        self.principal = principal
        self.prefix = hp.prefix(name)
        self.awareness_ids: set[int] = set()
        self._refusals = SlidingWindow(REFUSALS_BEFORE_CLOSE - 1, REFUSAL_WINDOW_SECONDS)

    step1_first = True  # Hocuspocus expects the server's own step 1 before its step 2

    def send(self, message: bytes, frames: Frames | None = None) -> None:
        """Frame ``message`` for this document: its name first."""
        if frames is None:
            self.conn.offer(self.prefix + message)
            return
        frame = frames.get(self.prefix)
        if frame is None:
            frame = frames[self.prefix] = self.prefix + message
        self.conn.offer(frame)

    def send_stateless(self, payload: str, frames: Frames) -> None:
        frame = frames.get(self.prefix)
        if frame is None:
            frame = frames[self.prefix] = hp.stateless(self.prefix, payload)
        self.conn.offer(frame)

    def acknowledge(self, applied: bool) -> None:
        self.conn.offer(hp.sync_status(self.prefix, applied))

    def refuse_write(self, reason: str) -> None:
        log.info("%r document=%s write refused: %s", self.conn, self.name, reason)
        self.acknowledge(False)
        if self._refusals.admit(None) is not None:
            self.conn.end_session(self, f"writes refused: {reason}")

    def request_close(self, code: int, reason: str) -> None:
        self.conn.request_close(code, reason)


class CollabConnection(Connection):
    endpoint = "collab"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.sessions: dict[str, DocSession] = {}
        self.pending: dict[str, list[hp.DocMessage]] = {}
        self.pending_bytes = 0  # bytes queued before authentication, on all documents
        self.pending_sizes: dict[str, int] = {}
        self.provider_version: str | None = None
        self.principals: list[Principal] = []  # whom this socket's slots are counted for
        self.barred: set[str] = set()  # documents closed for refused writes, not reopened
        self.sent_after_close = 0  # messages for barred documents, dropped

    def end_session(self, session: DocSession, reason: str) -> None:
        """Close one document of this socket (Hocuspocus Close); the socket stays open."""
        if self.sessions.get(session.name) is not session:
            return
        del self.sessions[session.name]
        self.barred.add(session.name)
        session.room.leave(session)
        self.offer(hp.close(session.name, reason))

    def keepalive_frame(self) -> bytes | None:
        if self.provider_version and self.provider_version.split(".")[0].isdigit():
            if int(self.provider_version.split(".")[0]) >= 4:
                return hp.PING  # answered by a bare Pong from 4.x providers
        for session in self.sessions.values():  # older providers: an empty awareness update
            return session.prefix + bytes((hp.AWARENESS,)) + write_var_bytes(b"\x00")
        return None


async def collab_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    # Each document carries its own principal (DocSession); the socket itself none.
    conn = open_connection(CollabConnection, websocket, local_reader(), services)

    def handle(frame: bytes) -> None:
        if frame != hp.PONG:
            name, message = hp.decode(frame)
            _handle(conn, name, message, len(frame))

    async def dispatch(frame: bytes) -> None:
        if frame != hp.PONG:
            name, message = hp.decode(frame)
            if isinstance(message, hp.Auth):
                if name not in conn.sessions:
                    await _authenticate(conn, services, name, message)
                return
            _handle(conn, name, message, len(frame))

    try:
        # An Auth awaits the database: it (and what follows it) comes through ``dispatch``.
        await serve(conn, services, dispatch, handle, inline_ok=_not_auth)
    finally:
        for session in conn.sessions.values():
            session.room.leave(session)
        # Each session points back at the socket: left in place, that cycle would keep the
        # rooms (and their whole histories) until a full garbage collection.
        conn.sessions.clear()
        for principal in conn.principals:
            services.release_slot(principal, conn)


def _not_auth(frame: bytes) -> bool:
    return hp.kind(frame) != hp.AUTH


def _handle(conn: CollabConnection, name: str, message: hp.DocMessage, size: int) -> None:
    """Any message but an Auth (``dispatch`` awaits those)."""
    session = conn.sessions.get(name)
    if isinstance(message, hp.Auth):
        raise RuntimeError("an Auth is dispatched (it awaits), never handled inline")
    if session is None and name in conn.barred:
        conn.sent_after_close += 1
        if conn.sent_after_close > AFTER_CLOSE_ALLOWANCE:
            conn.request_close(closecodes.FORBIDDEN, "kept writing to a closed document")
        return
    if session is None:
        _queue(conn, name, message, size)
        return
    if isinstance(message, hp.Stateless):
        _stateless(session, message.payload)
    elif isinstance(message, hp.Close):
        session.room.leave(session)
        del conn.sessions[name]
        conn.offer(hp.close(name, "provider_initiated"))
    else:
        session.room.handle(session, message)


def _queue(conn: CollabConnection, name: str, message: hp.DocMessage, size: int) -> None:
    queue = conn.pending.setdefault(name, [])
    conn.pending_bytes += size
    conn.pending_sizes[name] = conn.pending_sizes.get(name, 0) + size
    queue.append(message)
    if (
        len(conn.pending) > MAX_PENDING_DOCUMENTS
        or len(queue) > MAX_PENDING_MESSAGES
        or conn.pending_bytes > MAX_PENDING_BYTES
    ):
        conn.request_close(closecodes.PRE_AUTH_LIMIT, "too much sent before authentication")


async def _authenticate(
    conn: CollabConnection, services: Services, name: str, auth: hp.Auth
) -> None:
    conn.provider_version = auth.provider_version or conn.provider_version
    queued = conn.pending.pop(name, [])
    conn.pending_bytes -= conn.pending_sizes.pop(name, 0)
    if name in conn.barred:
        conn.offer(hp.permission_denied(name, "closed for refused writes: reconnect"))
        return
    if len(conn.sessions) >= services.settings.max_documents_per_socket:
        conn.offer(hp.permission_denied(name, "too many documents on one connection"))
        return
    admission = await admit(services, conn.websocket, name, auth.token or None)
    if admission.refused is not None:
        conn.offer(hp.permission_denied(name, admission.refused[1]))
        return
    assert admission.principal is not None and admission.room is not None
    principal = admission.principal
    refusal = services.take_slot(principal, conn)  # once per socket and participant
    if refusal is not None:
        conn.offer(hp.permission_denied(name, refusal))
        return
    conn.principals.append(principal)
    try:
        room = await services.open_room(admission.room, name)
    except Exception as exc:  # only this document's session fails, as /ws closes with 1011
        log.error("%r document=%s load failed: %r", conn, name, exc)
        conn.offer(hp.permission_denied(name, "document could not be loaded"))
        return
    if any(s.room is room for s in conn.sessions.values()):
        conn.offer(hp.permission_denied(name, "this document is already open on this connection"))
        return
    session = DocSession(conn, name, room, principal)
    writable = not room.read_only and admission.can_write(room.scope)
    conn.offer(hp.authenticated(name, "read-write" if writable else "readonly"))
    conn.sessions[name] = session
    room.join(session, send_step1=False)
    for message in queued:
        if conn.sessions.get(name) is not session:
            break  # closed while replaying (refused writes)
        if isinstance(message, hp.Stateless):
            _stateless(session, message.payload)
        elif not isinstance(message, hp.Auth | hp.Close):
            room.handle(session, message)


def _stateless(session: DocSession, payload: str) -> None:
    """Application messages from the browser. ``ping`` is answered; others are events
    pushed by the server (comments, versions) and are not accepted from clients."""
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("type") == "ping":
        reply = json.dumps({"type": "pong", "id": data.get("id")})
        session.conn.offer(hp.stateless(session.prefix, reply))
        return
    log.debug("%r document=%s ignored stateless message", session.conn, session.name)
