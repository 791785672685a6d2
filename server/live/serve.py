"""One serve loop for both websocket endpoints: the connection, its writer task, the frames it
receives, and the code each kind of error closes it with. The endpoints only decode their
protocol and hand messages to rooms: ``handle``, a plain ``def`` called as each frame
arrives (server/live/connection.py ``receive_inline``), and ``dispatch``, for the frames
that come through ASGI (those that must await, or all of them under another server)."""

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
    conn: Connection,
    services: Services,
    dispatch: Callable[[bytes], Awaitable[None]],
    handle: Callable[[bytes], None],
    inline_ok: Callable[[bytes], bool] | None = None,
) -> None:
    """Run the writer and hand every frame to ``handle`` as it arrives, or to ``dispatch``
    (those for which ``inline_ok`` is false, and any under a server without a receiver),
    until the socket closes, a limit is passed or a frame is refused (4400 with its reason)."""
    settings = services.settings
    limits = ConnectionLimits.per_second(
        settings.max_messages_per_second, settings.max_bytes_per_second
    )
    counts = services.registry.counts
    counts.connections[conn.endpoint] += 1
    conn.receive_inline(
        lambda frame: _handle_now(conn, handle, frame),
        max_bytes=settings.max_message_bytes,
        limits=limits,
        inline_ok=inline_ok,
    )
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
        conn.stop_receiving_inline()
        counts.connections[conn.endpoint] -= 1
        counts.closes["peer" if conn.close_code is None else str(conn.close_code)] += 1


async def _dispatch(
    conn: Connection, dispatch: Callable[[bytes], Awaitable[None]], frame: bytes
) -> str | None:
    """None if the frame was handled, else the reason to close its connection."""
    try:
        await dispatch(frame)
    except REFUSED as exc:
        return _reason(conn, exc)
    return None


def _handle_now(conn: Connection, handle: Callable[[bytes], None], frame: bytes) -> None:
    """``handle`` a frame as it arrives; what ``_dispatch`` refuses closes the connection
    once what is queued for it is sent, and so does a failure of ours (1011)."""
    try:
        handle(frame)
    except REFUSED as exc:
        conn.request_close(closecodes.BAD_FRAME, _reason(conn, exc), refused=True)
    except Exception:
        log.exception("%r frame failed", conn)
        conn.request_close(closecodes.INTERNAL_ERROR, "internal error")


REFUSED = (CrdtPanic, RefusedContent, ProtocolError, CrdtError)


def _reason(conn: Connection, exc: Exception) -> str:
    if isinstance(exc, CrdtPanic):  # its room is rebuilt from the store (Room.on_broken)
        return "update rejected"
    if isinstance(exc, RefusedContent):
        log.warning("%r update refused: %s", conn, exc)
        return str(exc)
    log.warning("%r bad frame: %s", conn, exc)
    return "bad frame"
