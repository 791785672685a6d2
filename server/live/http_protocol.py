"""uvicorn's HTTP protocol (h11), with a deadline for request heads.

uvicorn (checked with the version ``wire.UVICORN_CHECKED`` names) never times out a
connection that sends part of a request head and then nothing: it stays open for ever.
This subclass closes a connection whose request head is not complete within
``head_timeout`` seconds of the moment it was awaited (the connection opened, or the
previous response ended). It reads uvicorn's protocol attributes ``conn``, ``loop`` and
``transport``; ``tests/test_hostile.py`` and ``tests/test_pins.py`` fail loudly if they
change.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("charter.http")


class HeadTimeoutProtocol(H11Protocol):
    head_timeout = 10.0  # set per server by ``with_head_timeout``
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is complete (or refused)
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        upgraded = self.transport.get_protocol() is not self  # now a websocket's
        if upgraded or self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        log.info("closed a connection whose request head took over %.0fs", self.head_timeout)
        self.transport.close()


def with_head_timeout(seconds: float) -> type[HeadTimeoutProtocol]:
    """The protocol class uvicorn should use, with this deadline for request heads."""
    return type("HeadTimeoutProtocol", (HeadTimeoutProtocol,), {"head_timeout": seconds})
