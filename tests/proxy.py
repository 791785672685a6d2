"""A TCP proxy to put between a server process and PostgreSQL, and cut during a test.

It runs its own event loop in its own thread: the test's loop may block (``ServerProcess``
starts with blocking calls), and a proxy served by a blocked loop would hang the server it
serves. Two faults:

- ``cut()``: what a PostgreSQL restart looks like. Every connection is reset on both sides;
  new ones are accepted and reset at once (refused) until ``restore()``.
- ``blackhole()``: what a crashed database host looks like from the client. The database
  side of every connection is reset (its sessions and their transactions end), the client
  side is not told: in-flight queries never get their answer. New connections are accepted
  and never answered. After ``restore()`` new connections work; the old ones stay silent
  for ever, as a host that rebooted would leave them.
- ``lose_answer_to(marker)``: the next client message containing ``marker`` reaches the
  database, and nothing the database answers on that connection reaches the client (a
  network that dropped just then). The database did the work; the client never hears.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class _Pipe:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    silent: bool = False  # blackholed: read and drop, never forward, never close
    deaf: bool = False  # the database's answers are dropped (lose_answer_to)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST, as a dying server's kernel does."""
    if writer.transport.is_closing():
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.mode = "open"  # open | cut | blackhole
        self._lose_answer_to: bytes | None = None
        self._pipes: set[_Pipe] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        self._server = self._call(self._listen)
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def _call(self, make: Callable[[], Any]) -> Any:
        async def run() -> Any:
            return await make()

        future: Future[Any] = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(10)

    async def _listen(self) -> asyncio.Server:
        server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        for pipe in list(self._pipes):
            self._drop(pipe)
        await asyncio.sleep(0)

    # -- faults, called from the test's thread --

    def cut(self) -> None:
        self._call(self._cut)

    def blackhole(self) -> None:
        self._call(self._blackhole)

    def restore(self) -> None:
        self._call(self._restore)

    def lose_answer_to(self, marker: bytes) -> None:
        self._lose_answer_to = marker

    async def _cut(self) -> None:
        self.mode = "cut"
        for pipe in list(self._pipes):
            self._drop(pipe)

    async def _blackhole(self) -> None:
        self.mode = "blackhole"
        for pipe in self._pipes:
            pipe.silent = True
            if pipe.upstream is not None:
                _reset(pipe.upstream)

    async def _restore(self) -> None:
        self.mode = "open"

    # -- the pipes --

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "cut":
            _reset(writer)
            return
        pipe = _Pipe(writer, silent=self.mode == "blackhole")
        self._pipes.add(pipe)
        if pipe.silent:
            await self._swallow(reader)  # until the client gives up, or the proxy closes
            return
        try:
            up_reader, pipe.upstream = await asyncio.open_connection(*self.target)
        except OSError:
            self._drop(pipe)
            return
        pipe.tasks = [
            asyncio.ensure_future(self._pump(pipe, reader, pipe.upstream, to_database=True)),
            asyncio.ensure_future(self._pump(pipe, up_reader, writer, to_database=False)),
        ]

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError):
            while await reader.read(65536):
                pass

    async def _pump(
        self,
        pipe: _Pipe,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        to_database: bool,
    ) -> None:
        try:
            while data := await reader.read(65536):
                if pipe.silent or (pipe.deaf and not to_database):
                    continue  # lost on the way; nobody is told
                marker = self._lose_answer_to
                if to_database and marker is not None and marker in data:
                    self._lose_answer_to = None
                    pipe.deaf = True
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        # One side closed or failed: close both, unless the pipe is silent (a dead peer
        # tells nobody anything; the other side waits).
        if not pipe.silent:
            self._drop(pipe)

    def _drop(self, pipe: _Pipe) -> None:
        self._pipes.discard(pipe)
        for writer in (pipe.client, pipe.upstream):
            if writer is not None:
                _reset(writer)
        current = asyncio.current_task()
        for task in pipe.tasks:
            if task is not current:
                task.cancel()
