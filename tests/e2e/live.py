"""The e2e session's server, as the tests see it."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from tests.support import RunningServer

T = TypeVar("T")


@dataclass
class LiveServer:
    """A running server and the event loop (in another thread) it runs on."""

    running: RunningServer
    loop: asyncio.AbstractEventLoop

    @property
    def base_url(self) -> str:
        return self.running.base_url

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the server's loop (e.g. make_token) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)
