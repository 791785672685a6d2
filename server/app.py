"""``create_app(settings)``: the only place that names concrete classes."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import uvicorn
from anyio.abc import TaskGroup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import WebSocketRoute

from crdt.article import fold
from crdt.authors import clients_of
from crdt.history import steps_of
from persistence.docs import DocStore
from persistence.engine import check_durability, make_engine, migrate
from persistence.people import People
from persistence.repo import Repo
from persistence.stores import Stores
from server.access import Role
from server.api import account as account_api
from server.api import amendments as amendments_api
from server.api import bundles as bundles_api
from server.api import charters as charters_api
from server.api import comments as comments_api
from server.api import discussions as discussions_api
from server.api import exports as exports_api
from server.api import follows as follows_api
from server.api import outline as outline_api
from server.api import people as people_api
from server.api import projector as projector_api
from server.api import provenance as provenance_api
from server.api import stances as stances_api
from server.api import subgroups as subgroups_api
from server.api import versions as versions_api
from server.api import votes as votes_api
from server.api.errors import domain_error_handler
from server.domain import autoversion, digest_sending, mail, rounds
from server.domain.demo import DEMO_SLUG, seed_demo
from server.domain.participation import create_invite, make_identity
from server.domain.votes import close_at_their_end
from server.errors import DomainError
from server.identity import Identity
from server.live import closecodes
from server.live.backplane import Backplane, LocalBackplane
from server.live.http_protocol import with_head_timeout
from server.live.redis_backplane import RedisBackplane
from server.live.registry import RoomRegistry
from server.live.rooms import SizeLimits
from server.live.wire import CharterWebSockets, WireMiddleware
from server.live.ws_collab import collab_endpoint
from server.live.ws_yjs import yjs_endpoint
from server.ops import health
from server.ops.metrics import Metrics
from server.ops.metrics import routes as metrics_routes
from server.pages import account as account_pages
from server.pages import guide, shells, site, unsubscribe
from server.pages import versions as version_pages
from server.services import Services
from server.settings import Settings

log = logging.getLogger("charter.app")


def create_app(settings: Settings) -> Starlette:
    if settings.metrics and not settings.metrics_token:
        raise SystemExit("CHARTER_METRICS needs CHARTER_METRICS_TOKEN: metrics are never public")
    metrics = Metrics() if settings.metrics else None
    try:
        mail.parse_smtp_url(settings.smtp_url)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        await migrate(engine)
        await check_durability(engine)
        store = DocStore(
            engine,
            fold,
            clients=clients_of,
            history=steps_of,
            compact_every=settings.compact_every,
            commit_interval=settings.commit_interval_ms / 1000,
        )
        if metrics is not None:
            store.timings = metrics.observe
        app.state.metrics = metrics
        stores = Stores.over(engine, store)
        # Upgraded from before authors were recorded: those the update log still holds.
        recovered = await stores.authors.record_from_log(clients_of)
        if recovered:
            log.info("authors recorded from the update log clients=%d", recovered)
        reads = stores.reads
        identity = await make_identity(stores.people, reads, settings)
        if settings.seed_demo:
            await _seed_and_announce(stores.repo, stores.people, identity)
        backplane: Backplane = LocalBackplane()
        if settings.redis_url:
            backplane = redis_backplane = RedisBackplane(
                settings.redis_url, settings.redis_prefix, store
            )
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(store.run)
                registry = RoomRegistry(
                    store,
                    tg,
                    idle_unload_seconds=settings.idle_unload_seconds,
                    max_awareness_bytes=settings.max_awareness_bytes,
                    limits=SizeLimits(settings.warn_document_bytes, settings.max_document_bytes),
                    backplane=backplane,
                )
                if settings.redis_url:
                    redis_backplane.bind(registry)
                tg.start_soon(backplane.run)
                app.state.services = Services(
                    settings, stores, identity, registry, backplane=backplane
                )
                app.state.services.watch_peers()
                if metrics is not None:
                    metrics.watch(app.state.services)
                try:
                    async with anyio.create_task_group() as background:
                        _start_rounds(background, app.state.services)
                        try:
                            yield
                        finally:  # rounds end at a safe point, or are cut after the grace
                            app.state.services.stopping.set()
                            background.cancel_scope.deadline = (
                                anyio.current_time() + rounds.STOP_GRACE_SECONDS
                            )
                finally:
                    registry.close_all(closecodes.GOING_AWAY, "server shutting down")
                    await store.flush()
                    tg.cancel_scope.cancel()
        finally:
            await store.close()
            await reads.close()
            await engine.dispose()

    return Starlette(
        routes=[
            *health.routes,
            *metrics_routes,
            *shells.routes,
            *site.routes,
            *guide.routes,
            *charters_api.routes,
            *people_api.routes,
            *account_api.routes,
            *account_pages.routes,
            *outline_api.routes,
            *projector_api.routes,
            *provenance_api.routes,
            *versions_api.routes,
            *exports_api.routes,
            *version_pages.routes,
            *amendments_api.routes,
            *bundles_api.routes,
            *subgroups_api.routes,
            *comments_api.routes,
            *stances_api.routes,
            *discussions_api.routes,
            *votes_api.routes,
            *follows_api.routes,
            *unsubscribe.routes,
            WebSocketRoute("/ws/{document:path}", yjs_endpoint),
            WebSocketRoute("/collab", collab_endpoint),
        ],
        lifespan=lifespan,
        exception_handlers={DomainError: domain_error_handler},
        middleware=[Middleware(WireMiddleware)],
    )


def _start_rounds(group: TaskGroup, services: Services) -> None:
    """The background rounds (server/domain/rounds.py)."""
    settings = services.settings
    group.start_soon(close_at_their_end, services)  # votes with an end
    group.start_soon(digest_sending.every_period, services)  # digests
    if settings.smtp_url:
        group.start_soon(mail.sender, services)  # the outbox, over SMTP
    if settings.auto_version_minutes > 0:
        group.start_soon(autoversion.every, services, settings.auto_version_minutes)


async def _seed_and_announce(repo: Repo, people: People, identity: Identity) -> None:
    """Create the demo charter when the database has none, and print its one facilitator
    link then, so that whoever ran ``make run`` can get in. Later starts mint nothing and
    print no secret: an operator asks for a link with ``charter invite``."""
    if await repo.count_charters() > 0:
        print(
            f"To get a facilitator link: .venv/bin/charter invite {DEMO_SLUG} --role facilitator",
            flush=True,
        )
        return
    charter = await seed_demo(repo)
    log.info("seeded demo charter slug=%s", charter.slug)
    invite = await create_invite(
        people, charter, Role.FACILITATOR, label="demo", max_uses=1, expires_in_hours=24
    )
    print(f"Charter {charter.title!r}", flush=True)
    print(f"  facilitator link (single use, 24 h): {identity.invite_link(invite)}", flush=True)


def uvicorn_config(settings: Settings, *, log_level: str | None = None) -> uvicorn.Config:
    """How uvicorn serves the app, for ``charter serve`` and the tests alike."""
    return uvicorn.Config(
        create_app(settings),
        log_level=log_level or settings.log_level,
        http=with_head_timeout(settings.http_head_timeout_seconds),
        # uvicorn's websockets-sansio protocol, which hands frames to rooms as they arrive and
        # whose transports broadcasts are written to (server/live/wire.py).
        ws=CharterWebSockets,
        ws_max_size=settings.max_message_bytes,
        ws_per_message_deflate=settings.ws_deflate,
        lifespan="on",
        access_log=False,
        timeout_graceful_shutdown=10,
        limit_concurrency=settings.max_connections or None,
    )


class DrainingServer(uvicorn.Server):
    """uvicorn, stopping as a rolling restart wants. On SIGTERM it stops accepting, then
    closes every live socket with 1001 (going away: the clients reconnect, through the
    proxy, to another instance) and commits what is queued, and only then lets the HTTP
    requests still running finish and runs the app's shutdown.

    uvicorn's own stop sleeps a fixed 0.1 s and then polls every 0.1 s; this one polls every
    0.01 s, so that a stop takes what it needs and no more (the tests start and stop a server
    hundreds of times). :meth:`stop` asks for it from the event loop and is seen at once; a
    signal is seen at uvicorn's next tick (0.1 s).

    ``on_started`` runs once the app has started and before the first connection is served
    (``charter serve`` freezes the start-up heap there: server/ops/collector.py)."""

    on_started: Callable[[], None] | None = None
    _woken: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.on_started is not None and self.started:
            self.on_started()

    def stop(self) -> None:
        """Stop as SIGTERM does, from the event loop, without waiting for uvicorn's tick."""
        self.should_exit = True
        if self._woken is not None:
            self._woken.set()

    async def main_loop(self) -> None:
        # uvicorn's loop (a tick every 0.1 s), woken early by ``stop``.
        self._woken = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864_000
            with anyio.move_on_after(0.1):
                await self._woken.wait()
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        app = self.config.app
        services: Services | None = getattr(getattr(app, "state", None), "services", None)
        if services is not None:
            services.registry.close_all(closecodes.GOING_AWAY, "server restarting")
            counts = services.registry.counts
            await _until(lambda: not sum(counts.connections.values()), DRAIN_SECONDS)
            await services.store.flush()
        # uvicorn's shutdown, polled finely: ask every connection to finish, wait for them
        # and for their tasks (up to the graceful timeout, then cancel), then the lifespan.
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        graceful = self.config.timeout_graceful_shutdown
        done = await _until(
            lambda: self.force_exit or not (state.connections or state.tasks),
            graceful if graceful is not None else float("inf"),
        )
        if not done:
            log.error(
                "cancelling %d request(s) still running after %ss",
                len(state.tasks),
                graceful,
            )
            for task in state.tasks:
                task.cancel(msg="graceful shutdown timed out")
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


async def _until(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` every 0.01 s for up to ``seconds``: whether it came true."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return False
        await anyio.sleep(0.01)
    return True


DRAIN_SECONDS = 5.0  # for the live sockets to close before the HTTP requests are waited for
