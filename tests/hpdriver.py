"""Drive the real @hocuspocus/provider (Node) from pytest: tests/interop/hp_driver.mjs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from tests.support import ROOT

DRIVER = ROOT / "tests" / "interop" / "hp_driver.mjs"


class HocuspocusClient:
    """One Node process = one socket carrying every document in ``docs``."""

    def __init__(self, ws_url: str, docs: list[dict[str, str]]) -> None:
        self.plan = {"url": f"{ws_url}/collab", "docs": docs}
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> HocuspocusClient:
        self.proc = await asyncio.create_subprocess_exec(
            "node",
            str(DRIVER),
            json.dumps(self.plan),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc is not None
        if self.proc.returncode is None:
            await self.send({"cmd": "exit"})
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.kill()
        self._reader.cancel()

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        async for line in self.proc.stdout:
            async with self._changed:
                self.events.append(json.loads(line))
                self._changed.notify_all()

    async def send(self, command: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        await self.proc.stdin.drain()

    def mark(self) -> int:
        """A position in the event log, to wait only for what happens after it."""
        return len(self.events)

    async def wait(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0, since: int = 0
    ) -> dict[str, Any]:
        """The first event from position ``since`` on (past or future) matching ``predicate``."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for event in self.events[since:]:
                    if predicate(event):
                        return event
                await self._changed.wait()

    async def state(self, doc: str) -> dict[str, Any]:
        since = self.mark()
        await self.send({"cmd": "state", "doc": doc})
        return await self.wait(lambda e: e["event"] == "state" and e["doc"] == doc, since=since)

    def text(self, doc: str) -> str:
        texts = [e["text"] for e in self.events if e["doc"] == doc and "text" in e]
        return texts[-1] if texts else ""
