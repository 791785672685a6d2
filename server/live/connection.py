"""A connection: one websocket, its principal, a bounded outbox and the writer that drains it.

``offer`` never blocks and never awaits, so a room can fan out inside a plain ``def``.
Where the server allows it (server/live/wire.py) and nothing is queued, ``offer`` writes the frame
to the socket at once; otherwise the frame waits in the outbox for the writer. A connection
whose outbox overflows is closed (4408) rather than slowing the room.

Receiving mirrors it: where the server allows it, ``receive_inline`` takes each binary
frame as it arrives and hands it to a plain ``def`` of the endpoint; a frame that needs to
await (a Hocuspocus Auth) takes the ASGI queue to ``frames`` instead, and every frame after
it follows it there until it is handled, so frames are handled in the order they came.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from crdt.protocol import KEEPALIVE
from server.access import Principal
from server.live import closecodes
from server.live.limits import ConnectionLimits
from server.live.wire import wire_of

log = logging.getLogger("charter.connection")


class Connection:
    endpoint = "?"  # as metrics name it: ws, collab

    def __init__(
        self,
        websocket: WebSocket,
        principal: Principal,
        conn_id: int,
        *,
        outbox_frames: int,
        keepalive_seconds: float,
    ) -> None:
        self.websocket = websocket
        self.principal = principal
        self.id = conn_id
        self.awareness_ids: set[int] = set()
        self._outbox: deque[bytes] = deque()
        self._limit = outbox_frames
        self._keepalive = keepalive_seconds
        self._ready = asyncio.Event()
        self._close_request: tuple[int, str] | None = None
        self._wire = wire_of(websocket.scope)
        self._sending = False  # the writer is inside an ASGI send: nothing may overtake it
        self._wrote = False  # a frame went out directly since the writer last woke
        self.closed = False
        self.close_code: int | None = None  # ours, when we closed it
        # Receiving as frames arrive (``receive_inline``):
        self._handle: Callable[[bytes], None] | None = None
        self._inline_ok: Callable[[bytes], bool] | None = None
        self._max_bytes = 0
        self._limits: ConnectionLimits | None = None
        self._behind = 0  # frames in (or taken from) the ASGI queue and not yet handled

    def __repr__(self) -> str:
        # As log lines name a connection: its number and whose it is (an id, never a name).
        who = self.principal.participant_id
        return f"conn={self.id}" if who is None else f"conn={self.id} participant={who}"

    def offer(self, frame: bytes) -> None:
        """Send or queue ``frame``; never raises (a room calls it for every member)."""
        if self.closed or self._close_request is not None:
            return
        wire = self._wire
        if wire is not None and not self._outbox and not self._sending:
            try:
                if wire.try_write(frame):
                    self._wrote = True
                    return
            except (OSError, RuntimeError) as exc:
                log.debug("%r direct write failed: %s", self, exc)
                self.request_close(closecodes.GOING_AWAY, "connection lost")
                return
        if len(self._outbox) >= self._limit:
            self.request_close(closecodes.TOO_SLOW, "outbox overflow: connection too slow")
            return
        self._outbox.append(frame)
        self._ready.set()

    @property
    def direct(self) -> bool:
        """Whether ``offer`` writes straight to the socket right now (server/live/wire.py)."""
        return self._wire is not None and not self._outbox and self._wire.ready()

    def keepalive_frame(self) -> bytes | None:
        """A frame that changes nothing but counts as traffic for the client's timeout."""
        return KEEPALIVE

    def request_close(self, code: int, reason: str, *, refused: bool = False) -> None:
        """Ask the writer to close after what is already queued (callable from plain code).
        The first request stands, except that ``refused`` (this socket's own frame was
        refused) replaces one made while that frame was handled: a room broken by the frame
        asks all its members to reconnect, but its sender is told its frame was refused."""
        if self._close_request is None or (refused and not self.closed):
            self._close_request = (code, reason)
            self._ready.set()

    async def run_writer(self) -> None:
        """Drain the outbox until the socket closes. Sends a no-op frame when idle."""
        try:
            while not self.closed:
                with anyio.move_on_after(self._keepalive) as idle:
                    await self._ready.wait()
                self._ready.clear()
                wrote, self._wrote = self._wrote, False
                if idle.cancelled_caught and not self._outbox and not wrote:
                    keepalive = self.keepalive_frame()
                    if keepalive is not None:
                        await self._send(keepalive)
                while self._outbox:
                    await self._send(self._outbox.popleft())
                if self._close_request is not None:
                    await self.close(*self._close_request)
        except (WebSocketDisconnect, OSError, RuntimeError) as exc:
            log.debug("%r writer stopped: %s", self, exc)
            self.closed = True

    async def _send(self, frame: bytes) -> None:
        wire = self._wire
        if wire is not None and wire.ready():
            wire.write(frame)
            return
        self._sending = True
        try:
            await self.websocket.send_bytes(frame)
        finally:
            self._sending = False

    def receive_inline(
        self,
        handle: Callable[[bytes], None],
        *,
        max_bytes: int,
        limits: ConnectionLimits,
        inline_ok: Callable[[bytes], bool] | None = None,
    ) -> bool:
        """Hand each binary frame to ``handle`` as it arrives, where the server allows it
        (server/live/wire.py); ``inline_ok(frame)`` False sends a frame through ``frames``
        instead. The same checks as ``frames`` apply. False if the server does not allow it."""
        self._handle, self._inline_ok = handle, inline_ok
        self._max_bytes, self._limits = max_bytes, limits
        queued = self._wire.listen(self._arrived) if self._wire is not None else None
        if queued is None:
            return False
        self._behind = queued  # what the client sent before this: handled first
        return True

    def stop_receiving_inline(self) -> None:
        if self._wire is not None:
            self._wire.listen(None)
        self._handle = None

    def _arrived(self, frame: bytes) -> bool:
        """One binary frame, as the socket's protocol reads it: True when taken here."""
        if self._behind or (self._inline_ok is not None and not self._inline_ok(frame)):
            self._behind += 1
            return False
        handle, limits = self._handle, self._limits
        if handle is None or limits is None or self.closed or self._close_request is not None:
            return True  # dropped, as the frames after a close are
        refusal = _refusal(frame, self._max_bytes, limits)
        if refusal is not None:
            self.request_close(*refusal)
            return True
        handle(frame)
        return True

    async def frames(self, max_bytes: int, limits: ConnectionLimits) -> AsyncIterator[bytes]:
        """The binary frames this socket receives through ASGI, in order, until it closes.
        A text frame, a frame over ``max_bytes`` or a rate limit closes it with its own code."""
        while not self.closed:
            try:
                event = await self.websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if event["type"] == "websocket.disconnect":
                self.closed = True
                return
            frame = event.get("bytes")
            if frame is None:
                await self.close(closecodes.BAD_FRAME, "text frames are not part of the protocol")
                return
            refusal = _refusal(frame, max_bytes, limits)
            if refusal is not None:
                await self.close(*refusal)
                return
            yield frame
            if self._behind:
                self._behind -= 1  # handled: the frames behind it may come inline again

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        if code not in (1000, closecodes.GOING_AWAY):
            log.info("%r closed code=%d reason=%s", self, code, reason)
        try:
            await self.websocket.close(code, reason[:120])
        except (WebSocketDisconnect, OSError, RuntimeError) as exc:
            log.debug("%r close after disconnect: %s", self, exc)


def _refusal(frame: bytes, max_bytes: int, limits: ConnectionLimits) -> tuple[int, str] | None:
    """The close code and reason for a frame over the size or rate limits, else None."""
    if len(frame) > max_bytes:
        return closecodes.MESSAGE_TOO_BIG, "frame too large"
    refusal = limits.admit(len(frame))
    if refusal is not None:
        return closecodes.RATE_LIMITED, refusal
    return None
