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

import websockets

from server.domain.demo import DEMO_SLUG
from tests.nginx import Nginx
from tests.redisdb import shared_redis, unique_prefix
from tests.support import (
    PyClient,
    ServerProcess,
    cli_token,
    first_document,
    until_server_has,
    wait_for,
)

CLIENTS = 30
MARK = re.compile(r"\[c\d+-\d+\]")


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
        """One attempt: a connection the proxy refuses is a failure of the restart."""
        try:
            await self.client.connect()
        except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
            self.refused.append(repr(exc))
            raise

    @property
    def live(self) -> bool:
        return self.client.ws is not None and not self.client.closed.is_set()

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

            async def everyone_types(marks: int, what: str) -> None:
                """Every client connected again and a few marks further."""
                since = {t.number: t.typed for t in typists}
                await wait_for(
                    lambda: all(t.live and t.typed >= since[t.number] + marks for t in typists),
                    30,
                    what,
                )

            await everyone_types(3, "everyone typing")
            for instance in (a, b):  # one at a time, as a deployment does
                port = instance.port
                await asyncio.to_thread(instance.stop)
                await everyone_types(3, "typing on through the other instance")
                await asyncio.to_thread(instance.start, port)  # returns once it answers
                await everyone_types(3, "typing on with both instances up")
            stop.set()
            await asyncio.gather(*typing)

            # Everyone converges on the stored text: each mark once, none missing.
            expected = Counter(f"[c{t.number}-{n}]" for t in typists for n in range(t.typed))
            stored = await until_server_has(
                proxy.base_url, name, lambda text: Counter(MARK.findall(text)) == expected, 30
            )
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
