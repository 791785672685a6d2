"""A rolling restart while people type: two instances behind Debian's nginx (configured as
docs/deploy.md says), 30 clients typing through nginx, each instance stopped (SIGTERM) and
started again in turn. Every edit is stored exactly once, every client ends with the
stored text, and no connection through the proxy is refused."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from pathlib import Path

import pytest
import websockets

from server.domain.demo import DEMO_SLUG
from tests.databases import fresh_database
from tests.nginx import Nginx
from tests.redisdb import shared_redis, unique_prefix
from tests.support import PyClient, ServerProcess, cli_token, first_document, server_text

CLIENTS = 30
MARK = re.compile(r"\[c\d+-\d+\]")


@pytest.fixture
async def pg(tmp_path: Path) -> Path | str:
    async with fresh_database("postgresql", tmp_path) as url:
        yield url  # type: ignore[misc]


class Typist:
    """A client typing a mark every ``pause`` seconds; reconnects (through the proxy, so to
    whichever instance is up) whenever its socket closes, and notes how it was closed."""

    def __init__(self, url: str, name: str, token: str, number: int) -> None:
        self.client = PyClient(url, name, token)
        self.number = number
        self.typed = 0
        self.closes: list[int | None] = []
        self.refused: list[str] = []

    async def connect(self) -> None:
        while True:
            try:
                await self.client.connect()
                return
            except (
                OSError,
                websockets.InvalidStatus,
                websockets.InvalidHandshake,
                TimeoutError,
            ) as exc:
                self.refused.append(repr(exc))
                await asyncio.sleep(0.2)

    async def type(self, stop: asyncio.Event, pause: float) -> None:
        await self.connect()
        while not stop.is_set():
            self.client.append(f" [c{self.number}-{self.typed}]")
            self.typed += 1
            await asyncio.sleep(pause)
            if self.client.closed.is_set():  # its instance went away: on to another
                self.closes.append(self.client.close_code)
                await self.client.disconnect()
                await self.connect()  # its sync step 1 brings back what was typed meanwhile


async def test_a_rolling_restart_behind_nginx_loses_and_duplicates_nothing(
    pg: str, tmp_path: Path
) -> None:
    env = [("CHARTER_REDIS_URL", shared_redis()), ("CHARTER_REDIS_PREFIX", unique_prefix())]
    a = ServerProcess(pg, ("CHARTER_SEED_DEMO", "true"), *env)
    b = ServerProcess(pg, *env)
    a.start()
    b.start()
    try:
        with Nginx(tmp_path / "nginx", [a.port, b.port]) as proxy:
            name = await first_document(proxy.base_url, DEMO_SLUG)
            tokens = [cli_token(pg, "editor", f"Table {n}") for n in range(3)]
            typists = [
                Typist(proxy.ws_url, name, tokens[n % len(tokens)], n) for n in range(CLIENTS)
            ]
            stop = asyncio.Event()
            typing = [asyncio.ensure_future(t.type(stop, 0.25)) for t in typists]
            await asyncio.sleep(2)
            for instance in (a, b):  # one at a time, as a deployment does
                port = instance.port
                await asyncio.to_thread(instance.stop)
                await asyncio.sleep(1.5)  # typing goes on through the other instance
                await asyncio.to_thread(instance.start, port)
                await asyncio.sleep(2)  # clients move back as they reconnect; then the next
            stop.set()
            await asyncio.gather(*typing)

            # Everyone converges on the stored text: each mark once, none missing.
            expected = Counter(f"[c{t.number}-{n}]" for t in typists for n in range(t.typed))
            deadline = asyncio.get_running_loop().time() + 30
            while True:
                stored = await server_text(proxy.base_url, name)
                if Counter(MARK.findall(stored)) == expected:
                    break
                assert asyncio.get_running_loop().time() < deadline, (
                    f"missing {sorted(expected - Counter(MARK.findall(stored)))[:5]}, "
                    f"twice {[m for m, n in Counter(MARK.findall(stored)).items() if n > 1][:5]}"
                )
                await asyncio.sleep(0.2)
            for t in typists:
                with contextlib.suppress(AssertionError):
                    await t.client.wait_text(lambda text: text == stored, timeout=15)
                assert t.client.value() == stored, f"client {t.number} did not converge"
                await t.client.disconnect()
            moved = [code for t in typists for code in t.closes]
            assert moved, "no client was on a restarted instance"
            assert set(moved) == {1001}, Counter(moved)  # going away: reconnect elsewhere
            assert [r for t in typists for r in t.refused] == []
    finally:
        a.stop()
        b.stop()
