"""``/ws/{document}``: the y-websocket protocol, one document per socket. Thin: admit,
decode, hand to the room, close with a specific code on anything wrong."""

from __future__ import annotations

import logging

from starlette.websockets import WebSocket

from crdt.protocol import decode
from server.access import local_reader
from server.live import closecodes
from server.live.admission import admit
from server.live.connection import Connection
from server.live.keys import RoomKey
from server.live.rooms import Frames
from server.live.serve import open_connection, serve
from server.services import Services

log = logging.getLogger("charter.ws")


class YjsConnection(Connection):
    """A y-websocket socket is itself the room member; its frames are the messages."""

    endpoint = "ws"

    step1_first = False

    def send(self, message: bytes, frames: Frames | None = None) -> None:
        self.offer(message)

    def send_stateless(self, payload: str, frames: Frames) -> None:
        """y-websocket carries no application events."""

    def acknowledge(self, applied: bool) -> None:
        """y-websocket has no acknowledgement message."""

    def refuse_write(self, reason: str) -> None:
        self.request_close(closecodes.FORBIDDEN, reason)


async def yjs_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    name = websocket.path_params["document"]
    await websocket.accept()  # then close with 44xx: y-websocket stops retrying on those
    admission = await admit(services, websocket, name, websocket.query_params.get("token"))
    conn = open_connection(
        YjsConnection, websocket, admission.principal or local_reader(), services
    )
    if admission.refused is not None:
        await conn.close(*admission.refused)
        return
    assert admission.room is not None
    refusal = services.take_slot(conn.principal, conn)
    if refusal is not None:
        await conn.close(closecodes.RATE_LIMITED, refusal)
        return
    try:
        await _serve(conn, services, admission.room, name)
    finally:
        services.release_slot(conn.principal, conn)


async def _serve(conn: YjsConnection, services: Services, key: RoomKey, name: str) -> None:
    try:
        room = await services.open_room(key, name)
    except Exception as exc:
        log.error("%r document=%s load failed: %r", conn, name, exc)
        await conn.close(closecodes.INTERNAL_ERROR, "document could not be loaded")
        return
    room.join(conn, send_step1=True)

    def handle(frame: bytes) -> None:
        room.handle(conn, decode(frame))

    async def dispatch(frame: bytes) -> None:
        handle(frame)

    try:
        await serve(conn, services, dispatch, handle)
    finally:
        room.leave(conn)
