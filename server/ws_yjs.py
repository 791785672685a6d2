"""``/ws/{document}``: the y-websocket protocol, one document per socket. Thin: decode,
hand to the room, close with a specific code on anything wrong."""

from __future__ import annotations

import logging

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from crdt.article import CrdtError, CrdtPanic
from crdt.protocol import ProtocolError, decode
from persistence.repo import NotFound
from server import closecodes
from server.access import Principal, local_facilitator
from server.connection import Connection
from server.rooms import Room
from server.services import Services

log = logging.getLogger("charter.ws")


class YjsConnection(Connection):
    """A y-websocket socket is itself the room member."""

    prefix = b""

    def acknowledge(self, applied: bool) -> None:
        """y-websocket has no acknowledgement message."""

    def refuse_write(self, reason: str) -> None:
        self.request_close(closecodes.FORBIDDEN, reason)


def authenticate(websocket: WebSocket) -> Principal:
    # Identities arrive with invites and participants; until then the local server is open.
    return local_facilitator()


async def yjs_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    name = websocket.path_params["document"]
    await websocket.accept()
    conn = YjsConnection(
        websocket,
        authenticate(websocket),
        services.next_connection_id(),
        outbox_frames=services.settings.outbox_frames,
        keepalive_seconds=services.settings.keepalive_seconds,
    )
    try:
        document_id = await services.resolve_document(name)
    except NotFound:
        await conn.close(closecodes.NOT_FOUND, "unknown document")
        return
    try:
        room = await services.registry.get(document_id, name)
    except Exception as exc:
        log.error("%r document=%s load failed: %r", conn, name, exc)
        await conn.close(closecodes.INTERNAL_ERROR, "document could not be loaded")
        return
    room.join(conn, send_step1=True)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(conn.run_writer)
            await _read_frames(conn, room, services)
            tg.cancel_scope.cancel()
    finally:
        room.leave(conn)


async def _read_frames(conn: YjsConnection, room: Room, services: Services) -> None:
    websocket = conn.websocket
    limit = services.settings.max_message_bytes
    while not conn.closed:
        try:
            event = await websocket.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if event["type"] == "websocket.disconnect":
            conn.closed = True
            return
        frame = event.get("bytes")
        if frame is None:
            await conn.close(closecodes.BAD_FRAME, "text frames are not part of the protocol")
            return
        if len(frame) > limit:
            await conn.close(closecodes.MESSAGE_TOO_BIG, "frame too large")
            return
        try:
            room.handle(conn, decode(frame))
        except CrdtPanic as exc:
            services.registry.discard(room, str(exc))
            await conn.close(closecodes.BAD_FRAME, "update rejected")
            return
        except (ProtocolError, CrdtError) as exc:
            log.warning("%r %r bad frame: %s", conn, room, exc)
            await conn.close(closecodes.BAD_FRAME, "bad frame")
            return
