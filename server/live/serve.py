"""One serve loop for both websocket endpoints: the connection, its writer task, the frames it
receives, and the code each kind of error closes it with. The endpoints only decode their
protocol and hand messages to rooms (``dispatch``)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from starlette.websockets import WebSocket

from crdt.article import CrdtError, CrdtPanic
from crdt.protocol import ProtocolError, RefusedContent
from server.access import Principal
from server.live import closecodes
from server.live.connection import Connection
from server.live.limits import ConnectionLimits
from server.services import Services

log = logging.getLogger("charter.serve")

C = TypeVar("C", bound=Connection)


def open_connection(
    kind: type[C], websocket: WebSocket, principal: Principal, services: Services
) -> C:
    settings = services.settings
    return kind(
        websocket,
        principal,
        services.next_connection_id(),
        outbox_frames=settings.outbox_frames,
        keepalive_seconds=settings.keepalive_seconds,
    )


async def serve(
    conn: Connection, services: Services, dispatch: Callable[[bytes], Awaitable[None]]
) -> None:
    """Run the writer and hand every frame to ``dispatch`` until the socket closes, a limit
    is passed (``Connection.frames``) or a frame is refused (4400 with its reason)."""
    settings = services.settings
    limits = ConnectionLimits.per_second(
        settings.max_messages_per_second, settings.max_bytes_per_second
    )
    counts = services.registry.counts
    counts.connections[conn.endpoint] += 1
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(conn.run_writer)
            async for frame in conn.frames(settings.max_message_bytes, limits):
                refused = await _dispatch(conn, dispatch, frame)
                if refused is not None:
                    await conn.close(closecodes.BAD_FRAME, refused)
                    break
            tg.cancel_scope.cancel()
    finally:
        counts.connections[conn.endpoint] -= 1
        counts.closes["peer" if conn.close_code is None else str(conn.close_code)] += 1


async def _dispatch(
    conn: Connection, dispatch: Callable[[bytes], Awaitable[None]], frame: bytes
) -> str | None:
    """None if the frame was handled, else the reason to close its connection."""
    try:
        await dispatch(frame)
    except CrdtPanic:  # its room is rebuilt from the store (Room.on_broken)
        return "update rejected"
    except RefusedContent as exc:
        log.warning("%r update refused: %s", conn, exc)
        return str(exc)
    except (ProtocolError, CrdtError) as exc:
        log.warning("%r bad frame: %s", conn, exc)
        return "bad frame"
    return None
