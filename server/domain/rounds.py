"""The work the app repeats in the background while it runs: votes closed at their end,
digests queued, the outbox sent, automatic versions. Each is a round every so many seconds,
in the app's task group.

A stop never cuts a round at an arbitrary await: ``Services.stopping`` is set first, a
worker that is waiting stops at once, and one in the middle of a round finishes the step it
is on (a message being sent and marked sent, a digest claimed and queued) — each round
checks ``stopping`` between its steps. The app waits ``STOP_GRACE_SECONDS`` for them, then
cancels what is left (server/app.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio

from persistence.docs import TRANSIENT
from server.services import Services

STOP_GRACE_SECONDS = 10.0


async def every(
    services: Services,
    seconds: float,
    round_: Callable[[Services], Awaitable[object]],
    log: logging.Logger,
    what: str,
    passing: tuple[type[Exception], ...] = (),
) -> None:
    """``round_`` every ``seconds`` until the app stops. A round that fails because the
    database is away (or for one of ``passing``) is logged as "``what`` failed"; the next
    one tries again."""
    caught: tuple[type[Exception], ...] = (*TRANSIENT, TimeoutError, *passing)
    while not services.stopping.is_set():
        with anyio.move_on_after(seconds):
            await services.stopping.wait()
        if services.stopping.is_set():
            return
        try:
            await round_(services)
        except caught as exc:
            log.error("%s failed error=%s", what, exc)
