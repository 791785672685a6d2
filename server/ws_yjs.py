"""``/ws/{document}``: the y-websocket protocol, one document per socket. Thin: admit,
decode, hand to the room, close with a specific code on anything wrong."""

from __future__ import annotations

import logging

import anyio
from starlette.websockets import WebSocket

from crdt.article import CrdtError, CrdtPanic
from crdt.protocol import ProtocolError, RefusedContent, decode
from server import closecodes
from server.access import local_reader
from server.admission import admit
from server.connection import Connection
from server.limits import ConnectionLimits
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


async def yjs_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    settings = services.settings
    name = websocket.path_params["document"]
    await websocket.accept()  # then close with 44xx: y-websocket stops retrying on those
    admission = await admit(services, websocket, name, websocket.query_params.get("token"))
    conn = YjsConnection(
        websocket,
        admission.principal or local_reader(),
        services.next_connection_id(),
        outbox_frames=settings.outbox_frames,
        keepalive_seconds=settings.keepalive_seconds,
    )
    if admission.refused is not None:
        await conn.close(*admission.refused)
        return
    refusal = services.take_slot(conn.principal, conn)
    if refusal is not None:
        await conn.close(closecodes.RATE_LIMITED, refusal)
        return
    try:
        await _serve(conn, services, admission.document_id, name)
    finally:
        services.release_slot(conn.principal, conn)


async def _serve(conn: YjsConnection, services: Services, document_id: int, name: str) -> None:
    try:
        room = await services.open_room(document_id, name)
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
    settings = services.settings
    limits = ConnectionLimits.per_second(
        settings.max_messages_per_second, settings.max_bytes_per_second
    )
    async for frame in conn.frames(settings.max_message_bytes, limits):
        try:
            room.handle(conn, decode(frame))
        except CrdtPanic as exc:
            services.registry.discard(room, str(exc))
            await conn.close(closecodes.BAD_FRAME, "update rejected")
            return
        except RefusedContent as exc:
            log.warning("%r %r update refused: %s", conn, room, exc)
            await conn.close(closecodes.BAD_FRAME, str(exc))
            return
        except (ProtocolError, CrdtError) as exc:
            log.warning("%r %r bad frame: %s", conn, room, exc)
            await conn.close(closecodes.BAD_FRAME, "bad frame")
            return
