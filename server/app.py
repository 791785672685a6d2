"""``create_app(settings)``: the only place that names concrete classes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.templating import Jinja2Templates

from crdt.article import fold
from crdt.markdown import lines_of
from persistence.docs import DocStore
from persistence.engine import check_durability, make_engine, migrate
from persistence.repo import NotFound, Repo
from server import closecodes
from server.api import charters as charters_api
from server.demo import seed_demo
from server.errors import ApiError, api_error_handler
from server.rooms import RoomRegistry, SizeLimits
from server.services import Services
from server.settings import Settings
from server.ws_collab import collab_endpoint
from server.ws_yjs import yjs_endpoint

log = logging.getLogger("charter.app")
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        await migrate(engine)
        await check_durability(engine)
        repo = Repo(engine)
        if settings.seed_demo:
            await _seed_and_announce(repo, settings)
        store = DocStore(engine, fold, compact_every=settings.compact_every)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(store.run)
                registry = RoomRegistry(
                    store,
                    tg,
                    idle_unload_seconds=settings.idle_unload_seconds,
                    max_awareness_bytes=settings.max_awareness_bytes,
                    limits=SizeLimits(settings.warn_document_bytes, settings.max_document_bytes),
                )
                app.state.services = Services(settings, engine, repo, store, registry)
                try:
                    yield
                finally:
                    registry.close_all(closecodes.GOING_AWAY, "server shutting down")
                    await store.flush()
                    tg.cancel_scope.cancel()
        finally:
            await engine.dispose()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/", home),
            Route("/charters/{slug}", read_charter),
            *charters_api.routes,
            WebSocketRoute("/ws/{document:path}", yjs_endpoint),
            WebSocketRoute("/collab", collab_endpoint),
        ],
        lifespan=lifespan,
        exception_handlers={ApiError: api_error_handler},
    )


async def _seed_and_announce(repo: Repo, settings: Settings) -> None:
    """Create the demo charter when the database has none (never again), print its link."""
    if await repo.count_charters() == 0:
        charter = await seed_demo(repo)
        log.info("seeded demo charter slug=%s", charter.slug)
    for charter in await repo.list_charters():
        print(f"Charter {charter.title!r}: {settings.base_url}/charters/{charter.slug}", flush=True)


async def healthz(request: Request) -> Response:
    services: Services = request.app.state.services
    return JSONResponse(
        {
            "status": "ok",
            "rooms": len(services.registry.loaded()),
            "pending": services.store.pending(),
        }
    )


async def home(request: Request) -> Response:
    services: Services = request.app.state.services
    charters = await services.repo.list_charters()
    return TEMPLATES.TemplateResponse(request, "home.html", {"charters": charters})


async def read_charter(request: Request) -> Response:
    """A plain reading view of the whole charter (works without JavaScript)."""
    services: Services = request.app.state.services
    try:
        charter = await services.repo.get_charter(request.path_params["slug"])
    except NotFound:
        return TEMPLATES.TemplateResponse(request, "not_found.html", {}, status_code=404)
    bodies = {}
    for _, article in charter.articles():
        doc = await services.article_doc(article.document_id)
        bodies[article.id] = lines_of(doc.ops())
    return TEMPLATES.TemplateResponse(
        request, "charter.html", {"charter": charter, "bodies": bodies}
    )
