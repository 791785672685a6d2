"""What a proxy or an orchestrator asks an instance.

``/healthz`` (liveness) stays cheap: the process answers. ``/readyz`` (readiness) says
whether the instance should be sent new sockets: it fails (503) while the database does
not answer, while Redis is down when instances share rooms through it, or while edits have
waited for the database longer than ``CHARTER_READY_STALL_SECONDS`` with no commit — an
instance whose "saved" marks are stalled. Neither says anything about a charter.
"""

from __future__ import annotations

import anyio
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.docs import TRANSIENT
from server.services import Services

DATABASE_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> Response:
    services: Services = request.app.state.services
    return JSONResponse(
        {
            "status": "ok",
            "rooms": len(services.registry.loaded()),
            "pending": services.store.pending(),
        }
    )


async def _database_answers(services: Services) -> bool:
    try:
        with anyio.fail_after(DATABASE_TIMEOUT_SECONDS):
            async with services.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except (*TRANSIENT, TimeoutError):
        return False


async def readyz(request: Request) -> Response:
    services: Services = request.app.state.services
    failing = []
    if not await _database_answers(services):
        failing.append("database")
    if not services.backplane.ready():
        failing.append("backplane")
    stalled = services.store.stalled_for()
    if stalled > services.settings.ready_stall_seconds:
        failing.append("store")
    return JSONResponse(
        {
            "status": "not ready" if failing else "ready",
            "failing": failing,
            "store_waiting_seconds": round(stalled, 1),
            "pending": services.store.pending(),
        },
        status_code=503 if failing else 200,
    )


routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
