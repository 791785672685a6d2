"""Engine construction and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
import anyio
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger("charter.store")
MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


class StorageConfigError(RuntimeError):
    """The database is not configured for the durability we promise."""


def normalise_url(url: str) -> str:
    """Accept plain ``sqlite:///`` and ``postgresql://`` URLs and pick the async driver."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


# PostgreSQL that stops answering without closing the socket (its host died, the network
# dropped) would leave a query waiting for ever, and with it the store's writer and every
# acknowledgement, even after the database is back. asyncpg waits without limit unless told.
# Both can be set in the URL: postgresql://…/charter?timeout=5&command_timeout=60
PG_TIMEOUTS = {
    "timeout": 10.0,  # seconds to open a connection
    "command_timeout": 30.0,  # seconds for one statement (the slowest: a migration)
}


def make_engine(url: str) -> AsyncEngine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, connect_args={"timeout": 30, "async_creator_fn": _connect_aiosqlite}
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    parsed = make_url(url)
    timeouts = {name: _seconds(parsed.query.get(name), d) for name, d in PG_TIMEOUTS.items()}
    parsed = parsed.difference_update_query(PG_TIMEOUTS)
    # pre-ping: a connection the database closed while it sat in the pool (a restart)
    # is replaced on checkout instead of failing the next statement.
    return create_async_engine(parsed, pool_pre_ping=True, connect_args=timeouts)


class _AiosqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection, except that ``stop()`` may be asked for more than once.

    When a task is cancelled in the middle of a query, SQLAlchemy closes its connection:
    ``close()``, shielded, and if the task is cancelled again while it waits (an anyio cancel
    scope cancels at every await), ``stop()`` as well. aiosqlite 0.22.1's ``close()`` ends with
    a ``stop()`` of its own; once the first one has ended the worker thread, that second one is
    never answered and the close waits for ever — a task left behind, a stopping server that
    does not end. Here every ``stop()`` after the first returns the first one's future, which
    the worker answers before it ends."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._stopping: asyncio.Future[Any] | None = None
        self._stop_asked = False

    def stop(self) -> asyncio.Future[Any] | None:
        if not self._stop_asked:
            self._stop_asked = True
            self._stopping = super().stop()
        return self._stopping


def _connect_aiosqlite(database: str, **kwargs: Any) -> aiosqlite.Connection:
    """What SQLAlchemy's dialect would open (``aiosqlite.connect``), with the connection above."""
    conn = _AiosqliteConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)
    conn._thread.daemon = True  # as the dialect does: a worker never keeps the process alive
    return conn


def sync_twin(engine: AsyncEngine) -> Engine:
    """A synchronous engine on the same SQLite file, with the same pragmas: for code that
    runs a whole transaction in one worker thread (the store's writer)."""
    url = engine.url.set(drivername="sqlite")
    twin = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    event.listen(twin, "connect", _sqlite_pragmas)
    return twin


class OneTrip:
    """Run a plain function of a ``Connection`` in one trip to the database.

    Through SQLAlchemy's asyncio layer over aiosqlite, each statement is several hops between
    the event loop and aiosqlite's thread: a commit of the store's writer (begin, two
    statements, commit) cost 1.9 ms of CPU that way, and finding a joining socket's document
    and participant 4 ms (docs/benchmarks.md). On a SQLite file the function runs instead in
    one worker-thread trip through the synchronous driver (a twin engine on the same file,
    opened on first use; see ``close``); elsewhere in one checkout of the async engine.

    ``hold``: one caller that runs one trip at a time (the store's writer) keeps its SQLite
    connection between trips instead of taking it from the pool and giving it back (and
    resetting it) at each. A trip that fails drops it; the next one opens another.
    """

    def __init__(self, engine: AsyncEngine, *, hold: bool = False) -> None:
        self._engine = engine
        url = engine.url
        self._on_file = url.get_backend_name() == "sqlite" and url.database not in (
            None,
            "",
            ":memory:",
        )
        self._twin: Engine | None = None
        self._hold = hold
        self._held: Connection | None = None

    async def run(self, work: Callable[[Connection], T], *, write: bool = False) -> T:
        """``work(conn)``; with ``write``, inside one transaction committed at the end."""
        if self._on_file:
            if self._twin is None:
                self._twin = sync_twin(self._engine)
            twin = self._twin

            def in_thread() -> T:
                if self._hold:
                    return self._run_held(twin, work)
                with twin.begin() if write else twin.connect() as conn:
                    return work(conn)

            return await anyio.to_thread.run_sync(in_thread)
        async with self._engine.begin() if write else self._engine.connect() as conn:
            return await conn.run_sync(work)

    def _run_held(self, twin: Engine, work: Callable[[Connection], T]) -> T:
        """``work`` on the held connection, always in a transaction (a read left open would
        keep its snapshot, and SQLite could never checkpoint its log past it)."""
        conn = self._held
        if conn is None or conn.closed:
            conn = self._held = twin.connect()
        try:
            with conn.begin():
                return work(conn)
        except BaseException:
            self._held = None
            _close_quietly(conn)
            raise

    async def close(self) -> None:
        """Close the synchronous connections (the async engine is the caller's)."""
        held, self._held = self._held, None
        if held is not None:
            await anyio.to_thread.run_sync(_close_quietly, held)
        if self._twin is not None:
            twin, self._twin = self._twin, None
            await anyio.to_thread.run_sync(twin.dispose)


def _close_quietly(conn: Connection) -> None:
    try:
        conn.close()
    except Exception as exc:  # a connection that failed may fail to close too
        log.debug("closing a failed connection: %r", exc)


def _seconds(raw: str | tuple[str, ...] | None, default: float) -> float:
    if raw is None:
        return default
    value = float(raw[-1] if isinstance(raw, tuple) else raw)
    if value <= 0:
        raise StorageConfigError(f"database timeouts must be positive, got {value}")
    return value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; synchronous=FULL makes each commit
    # survive power loss, not only a process crash (with NORMAL, a power cut can lose the
    # last commits that were already acknowledged as saved).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


async def check_durability(engine: AsyncEngine) -> None:
    """Refuse to serve if a commit would not be durable."""
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            sync = (await conn.execute(text("PRAGMA synchronous"))).scalar()
            if mode not in ("wal", "memory") or sync != 2:
                raise StorageConfigError(f"SQLite journal_mode={mode} synchronous={sync}")
        elif engine.dialect.name == "postgresql":
            value = (await conn.execute(text("SHOW synchronous_commit"))).scalar()
            if value != "on":
                raise StorageConfigError(f"PostgreSQL synchronous_commit={value}, expected on")


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision``."""
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.upgrade(_alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
