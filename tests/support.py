"""Test support: a real uvicorn server on port 0 (in-process or as a killable process),
and real clients: pycrdt's own Provider over a ``websockets`` connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import anyio
import httpx
import uvicorn
import websockets
from pycrdt import (
    Doc,
    Text,
    TransactionEvent,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)

from server.access import Role
from server.app import DrainingServer, uvicorn_config
from server.domain.demo import DEMO_SLUG
from server.domain.participation import create_bot
from server.settings import Settings

# Test servers run with this administrator token: it may read every charter.
ADMIN_TOKEN = "test-admin-token"

ROOT = Path(__file__).resolve().parent.parent


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Poll a condition on the event loop until it holds; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(0.01)


@dataclass
class RunningServer:
    base_url: str
    ws_url: str
    settings: Settings
    server: uvicorn.Server

    @property
    def services(self):  # type: ignore[no-untyped-def]
        return self.server.config.loaded_app.app.state.services  # type: ignore[union-attr]


@contextlib.asynccontextmanager
async def running_server(settings: Settings) -> AsyncIterator[RunningServer]:
    """uvicorn serving ``create_app(settings)`` on 127.0.0.1, port 0, in this event loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = settings.with_overrides(host="127.0.0.1", port=port)
    config = uvicorn_config(settings, log_level="warning")
    server = DrainingServer(config)
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    await wait_for(lambda: server.started or task.done(), what="server start")
    if task.done():
        task.result()
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", settings, server)
    finally:
        server.stop()
        await task
        sock.close()


class PyClient:
    """A pycrdt Doc kept in sync with the server over /ws/{document}.

    Sync messages are handled by pycrdt's own ``handle_sync_message``; local changes
    are sent as updates while connected and recovered by sync step 2 after a reconnect.
    The reader and sender are plain tasks, so a server that dies only ends them.
    """

    def __init__(self, ws_url: str, document: str, token: str | None = None) -> None:
        self.url = f"{ws_url}/ws/{document}" + (f"?token={token}" if token else "")
        self.document = document
        self.doc: Doc = Doc()
        self.text: Text = self.doc.get("body", type=Text)
        self.ws: websockets.ClientConnection | None = None
        self.synced = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._remote = False
        self._outgoing: asyncio.Queue[bytes] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self.doc.observe(self._on_change)

    async def __aenter__(self) -> PyClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    def _on_change(self, event: TransactionEvent) -> None:
        if not self._remote and self.ws is not None:
            self._outgoing.put_nowait(create_update_message(event.update))

    async def connect(self, timeout: float = 10.0) -> None:
        self.synced.clear()
        self.closed.clear()
        self.close_code = None
        self.ws = await websockets.connect(self.url, max_size=None)
        self._outgoing = asyncio.Queue()
        await self.ws.send(create_sync_message(self.doc))
        self._tasks = [
            asyncio.ensure_future(self._read(self.ws)),
            asyncio.ensure_future(self._send(self.ws)),
        ]
        with anyio.fail_after(timeout):
            await self.synced.wait()

    async def _read(self, ws: websockets.ClientConnection) -> None:
        try:
            async for frame in ws:
                assert isinstance(frame, bytes), "the server sent a text frame"
                if frame[0] != 0:
                    continue  # awareness and keepalive
                self._remote = True
                try:
                    reply = handle_sync_message(frame[1:], self.doc)
                finally:
                    self._remote = False
                if frame[1] == 1:
                    self.synced.set()
                if reply is not None:
                    await ws.send(reply)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = ws.close_code
            self.closed.set()

    async def _send(self, ws: websockets.ClientConnection) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await ws.send(await self._outgoing.get())

    async def disconnect(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def value(self) -> str:
        return str(self.text)

    def append(self, value: str) -> None:
        self.text.insert(len(self.text), value)

    async def wait_text(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
        await wait_for(lambda: predicate(self.value()), timeout, f"text of {self.document}")
        return self.value()


async def make_token(
    server: RunningServer, role: str = "editor", name: str = "Test", slug: str = DEMO_SLUG
) -> str:
    """A participant of ``slug`` with ``role``, created the way `charter token` does."""
    services = server.services
    charter = await services.repo.get_charter(slug)
    joined = await create_bot(services.people, charter, name, Role(role))
    return joined.token


def cli_token(
    database_url: str, role: str = "editor", name: str = "Test", slug: str = DEMO_SLUG
) -> str:
    """The same, through the real `charter token` command (for server processes)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "token",
            slug,
            "--name",
            name,
            "--role",
            role,
            "--database-url",
            database_url,
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return str(json.loads(done.stdout)["token"])


async def first_document(base_url: str, slug: str, token: str | None = None) -> str:
    return (await documents(base_url, slug, token))[0]


async def documents(base_url: str, slug: str, token: str | None = None) -> list[str]:
    headers = {"authorization": f"Bearer {token or ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        response = await http.get(f"/api/charters/{slug}")
        response.raise_for_status()
        charter = response.json()
    return [str(a["document"]) for s in charter["sections"] for a in s["articles"]]


async def server_text(base_url: str, document: str, token: str | None = None) -> str:
    """The server's current text of a document, read over the JSON API."""
    _, slug, _, key = document.split("/")
    headers = {"authorization": f"Bearer {token or ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        response = await http.get(f"/api/charters/{slug}/articles/{key}", params={"format": "text"})
        response.raise_for_status()
        return response.text


async def until_server_has(
    base_url: str, document: str, predicate: Callable[[str], bool], timeout: float = 10.0
) -> str:
    """Poll the server's text of ``document`` until ``predicate`` holds; fail after timeout."""
    deadline = time.monotonic() + timeout
    text = await server_text(base_url, document)
    while not predicate(text):
        assert time.monotonic() < deadline, f"the server's text never matched: {text[-200:]!r}"
        await asyncio.sleep(0.02)
        text = await server_text(base_url, document)
    return text


async def settle(server: RunningServer, client: PyClient, timeout: float = 10.0) -> str:
    """Wait until the server holds the client's text and has committed it."""
    expected = client.value()
    await until_server_has(server.base_url, client.document, lambda t: t == expected, timeout)
    await server.services.store.flush()
    return expected


class ServerProcess:
    """``charter serve`` in its own process, for restarts and kill -9."""

    def __init__(self, database_url: str, *extra_env: tuple[str, str]) -> None:
        self.database_url = database_url
        self.env = {
            **os.environ,
            "CHARTER_ADMIN_TOKEN": ADMIN_TOKEN,
            **dict(extra_env),
            "PYTHONUNBUFFERED": "1",
        }
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        # Everything the process printed after its first line. A thread keeps reading it:
        # an unread pipe fills up and then blocks the server on its next log line.
        self.output: list[str] = []

    def start(self, port: int = 0) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "serve",
                "--port",
                str(port or self.port),
                "--database-url",
                self.database_url,
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"port (\d+)", line)
        assert match, f"unexpected first line from charter serve: {line!r}"
        self.port = int(match[1])
        threading.Thread(target=self._drain, args=(self.proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, "server exited during start-up"
            assert time.monotonic() < deadline, "server did not become healthy"
            time.sleep(0.05)

    def _drain(self, stream: IO[str]) -> None:
        for line in stream:
            self.output.append(line)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise


def load_json(text: str) -> object:
    return json.loads(text)
