"""Sending the same frame to many sockets: encode it once, write the bytes to each socket.

A room fans each change out to every member. Through ASGI every copy would go its own way
— a task switch to the connection's writer, three ``send`` wrappers, websockets' framing —
which cost about two thirds of the server's CPU with 200 clients in a room (docs/benchmarks.md).
Under uvicorn's websockets-sansio protocol (uvicorn's default), :class:`WireMiddleware` hands
each websocket a :class:`Wire` in ``scope["extensions"]``: the socket's transport, and
whether a frame may be written to it right now. A binary frame from the server is the same
bytes for every socket (RFC 6455: server frames are not masked), so :func:`encode` runs once
per broadcast and :meth:`Wire.write` is one ``transport.write``.

A socket that negotiated an extension (permessage-deflate compresses with per-socket state),
a socket that is closing or whose transport is paused, and any other ASGI server: the
connection uses the ordinary ASGI ``send``. Both write to the same transport in the order
they are called (server/live/connection.py keeps that order).

Receiving, the same reasoning. Through ASGI each frame a client sends is queued by the
protocol, which stops reading the socket until the application's task wakes up, takes it
through Starlette's ``receive`` and asks for the next one: a task switch and two changes
to the event loop's watch of the socket per frame, for a room that then handles the frame
in a plain ``def``. :class:`CharterWebSockets` (the protocol ``charter serve`` gives uvicorn)
hands each complete binary message instead to a receiver the connection registers
(:meth:`Wire.listen`), as it arrives; the receiver can decline a message, which then takes
the ASGI queue as before (server/live/connection.py keeps the order).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

EXTENSION = "charter.wire"
# This module reads uvicorn's websocket protocol beyond its public interface: these
# attributes, as uvicorn UVICORN_CHECKED has them (pinned exactly in pyproject.toml;
# tests/test_pins.py fails when either changes).
UVICORN_CHECKED = "0.54.0"
PROTOCOL_READS = (
    "handshake_complete",
    "conn",
    "writable",
    "close_sent",
    "disconnected",
    "queue",
    "frames",
    "curr_msg_data_type",
)
# … and the method :class:`CharterWebSockets` overrides (tests/test_wire.py checks both).
PROTOCOL_OVERRIDES = ("send_receive_event_to_app",)

Receiver = Callable[[bytes], bool]  # True: taken; False: let it take the ASGI queue

_last: tuple[bytes | None, bytes] = (None, b"")


def encode(payload: bytes) -> bytes:
    """The wire bytes of a binary frame from the server. The last result is kept: a room
    offers the same ``payload`` object to each member in turn."""
    global _last
    if _last[0] is payload:
        return _last[1]
    wire = Frame(Opcode.BINARY, payload).serialize(mask=False)
    _last = (payload, wire)
    return wire


class CharterWebSockets(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, with a receiver for complete binary messages."""

    receiver: Receiver | None = None

    def send_receive_event_to_app(self) -> None:
        receiver = self.receiver
        if receiver is not None and self.curr_msg_data_type == "bytes" and not self.close_sent:
            frames = self.frames
            data = frames[0] if len(frames) == 1 else b"".join(frames)
            if receiver(data):
                self.frames = []
                return
        super().send_receive_event_to_app()


class Wire:
    """One socket's transport, written to directly while that is safe."""

    def __init__(self, protocol: WebSocketsSansIOProtocol) -> None:
        self._protocol = protocol
        self._plain = False  # handshake done, no extension: checked until it is true

    def ready(self) -> bool:
        """True when a frame written now goes out as is: handshake done, no extension,
        open, not closing, transport not paused by flow control."""
        p = self._protocol
        if not self._plain:
            if not p.handshake_complete or p.conn.extensions:
                return False
            self._plain = True
        return (
            p.writable.is_set()
            and not p.close_sent
            and not p.disconnected
            and p.conn.state is State.OPEN
        )

    def write(self, payload: bytes) -> None:
        self._protocol.transport.write(encode(payload))

    def try_write(self, payload: bytes) -> bool:
        """``write`` if ``ready``, in one call: this runs once per member of a broadcast."""
        if not self.ready():
            return False
        self._protocol.transport.write(encode(payload))
        return True

    def listen(self, receiver: Receiver | None) -> int | None:
        """Hand each complete binary message to ``receiver`` as it arrives (None: stop).
        Returns how many events already wait in the ASGI queue (they come first), or None
        if this socket's protocol has no receiver (then everything takes the queue)."""
        protocol = self._protocol
        if not isinstance(protocol, CharterWebSockets):
            return None
        protocol.receiver = receiver
        return protocol.queue.qsize()


class WireMiddleware:
    """Offer a :class:`Wire` to websocket endpoints whose server allows it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            protocol = getattr(send, "__self__", None)
            if isinstance(protocol, WebSocketsSansIOProtocol):
                extensions = dict(scope.get("extensions") or {})
                extensions[EXTENSION] = Wire(protocol)
                scope = {**scope, "extensions": extensions}
        await self.app(scope, receive, send)


def wire_of(scope: Scope) -> Wire | None:
    wire = (scope.get("extensions") or {}).get(EXTENSION)
    return wire if isinstance(wire, Wire) else None
