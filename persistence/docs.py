"""DocStore: the append-only update log of every document, with group commit and compaction.

Contract (README, "Durability"): ``append`` only queues; the writer task commits
everything queued in one transaction, then calls each ``on_commit``. A crash can
cost only what was queued and not yet committed, and nothing was acknowledged for it.
Load = checkpoint + every remaining row, in ``seq`` order. Compaction folds the
checkpoint and the rows it read into a new checkpoint and deletes exactly those
rows, in one transaction, and writes that checkpoint only over the one it read (another
compaction that folded the document meanwhile wins, this one gives way: on SQLite its
reads are not part of the transaction), so no interleaving of writers or compactions can
lose a row.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from persistence import authors, contributions, history
from persistence.driver import Prepared
from persistence.engine import OneTrip
from persistence.tables import doc_batches, doc_checkpoints, doc_updates

log = logging.getLogger("charter.store")

# The writer's batch keys (server databases): kept long enough for any retry, pruned as
# the writer goes.
BATCH_KEYS_KEPT = timedelta(days=1)
BATCH_KEYS_PRUNE_EVERY = 1000
COMPACTION_LOCK = 0x43484152  # "CHAR": the first key of pg_try_advisory_xact_lock(int, int)

# What a database that is down, restarting, unreachable or swamped raises: retried, never
# fatal to the writer. OSError covers asyncpg failing to connect and its statement timeout
# (TimeoutError); PoolTimeout is every pooled connection staying busy for pool_timeout.
TRANSIENT = (DBAPIError, OSError, PoolTimeout)
# What the database refuses for the content of a batch (an update for a document deleted
# meanwhile, say): retrying cannot help; the batch is split and the offender set aside.
POISON = (IntegrityError, DataError)

Fold = Callable[[list[bytes]], bytes]
# The steps of the drafting history (crdt/history.py ``steps_of``): from a base state and
# rows (seq, update, participant, time), with the positions where a step must end.
LogRow = tuple[int, bytes, int | None, datetime]
HistoryStep = tuple[int, datetime, bytes, tuple[int, ...], str]  # …, deletions (JSON)
History = Callable[[bytes | None, list[LogRow], list[int]], list[HistoryStep]]
OnCommit = Callable[[], None]


@dataclass(slots=True)
class _Queued:
    document_id: int
    update: bytes | None  # None: only wait for the commit (an acknowledgement barrier)
    participant_id: int | None
    on_commit: OnCommit | None
    at: float  # when it was queued (time.monotonic()): acknowledgement latency


class DocStore:
    def __init__(
        self,
        engine: AsyncEngine,
        fold: Fold,
        *,
        clients: authors.Clients | None = None,
        history: History | None = None,
        compact_every: int = 500,
        max_batch: int = 5000,
        commit_interval: float = 0.0,
    ) -> None:
        self._engine = engine
        # Each batch is one trip to the database (docs/benchmarks.md, "The store's writer"),
        # on a connection of the writer's own, kept between commits.
        self._trip = OneTrip(engine, hold=True)
        # ``clients`` (crdt/authors.py ``clients_of``): who wrote what is recorded with the
        # updates. Without it (a store used alone, in tests of the store), it is not.
        self._authors = authors.Recorder(clients) if clients is not None else None
        self._keyed = engine.url.get_backend_name() != "sqlite"  # see ``_commit``
        self._fold = fold
        # ``history``: compaction keeps the drafting history of the rows it folds (without
        # it, in tests of the store alone, the rows are folded and their history forgotten).
        self._history = history
        self._compact_every = compact_every
        self._max_batch = max_batch
        # At most one commit per interval while updates keep coming: a busy workshop's
        # updates share transactions (each costs a trip to a thread and an fsync), and the
        # first update after a quiet spell still commits at once.
        self._interval = commit_interval
        self._last_commit = -commit_interval
        self._queue: list[_Queued] = []
        self._wakeup = asyncio.Event()
        self._rows_since_compaction: dict[int, int] = {}
        self._due: set[int] = set()  # documents with compact_every rows or more since then
        self._compact_soon = asyncio.Event()  # set by a commit that leaves documents due
        self._in_flight = False  # a batch taken from the queue and not yet committed
        self.commits = 0  # transactions committed, for tests and metrics
        self._waiting_since: float | None = None  # work queued and not committed since
        self.compactions = 0
        # Told how long each commit took and how long each stored update waited for its
        # acknowledgement ("commit" / "acknowledgement", seconds): metrics, when enabled.
        self.timings: Callable[[str, float], None] | None = None

    # -- reading --

    async def load(self, document_id: int) -> list[bytes]:
        """The checkpoint (if any) followed by every row not yet folded, in seq order."""
        async with self._engine.connect() as conn:
            async with conn.begin():
                updates = await self._read(conn, document_id)
        self._count_rows(document_id, sum(seq is not None for _, seq in updates))
        return [u for u, _ in updates]

    async def _read(
        self, conn: AsyncConnection, document_id: int
    ) -> list[tuple[bytes, int | None]]:
        """Checkpoint as (state, None) then rows as (update, seq)."""
        checkpoint = (
            await conn.execute(
                select(doc_checkpoints.c.state).where(doc_checkpoints.c.document_id == document_id)
            )
        ).scalar()
        rows = await conn.execute(
            select(doc_updates.c.update, doc_updates.c.seq)
            .where(doc_updates.c.document_id == document_id)
            .order_by(doc_updates.c.seq)
        )
        found: list[tuple[bytes, int | None]] = [] if checkpoint is None else [(checkpoint, None)]
        found.extend((row.update, row.seq) for row in rows)
        return found

    # -- writing --

    def append(
        self,
        document_id: int,
        update: bytes | None,
        participant_id: int | None = None,
        on_commit: OnCommit | None = None,
    ) -> None:
        """Queue an update; never blocks. ``on_commit`` runs after it is committed."""
        self._queue.append(
            _Queued(document_id, update, participant_id, on_commit, time.monotonic())
        )
        if self._waiting_since is None:
            self._waiting_since = time.monotonic()
        self._wakeup.set()

    def pending(self) -> int:
        return len(self._queue)

    def stalled_for(self) -> float:
        """Seconds during which updates have been waiting with no commit to show for it
        (0 while the writer keeps up): a database that is down, or swamped."""
        if self._waiting_since is None:
            return 0.0
        return time.monotonic() - self._waiting_since

    async def flush(self) -> None:
        """Wait until everything queued so far, and the batch being committed, is committed."""
        if not self._queue and not self._in_flight:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def release() -> None:
            if not done.done():
                done.set_result(None)

        self.append(0, None, None, release)
        await done

    async def run(self) -> None:
        """The writer task: group commit; beside it, the compaction of the documents that
        came due, so that a fold never holds back what is being saved. Runs until cancelled."""
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._compactor)
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while self._queue:
                    await self._commit_next()

    async def _commit_next(self) -> None:
        """Commit the next batch and acknowledge it. A method of its own so that the batch,
        and with it every ``on_commit`` (which may hold a session, its room and document),
        is released as soon as it is done, not kept by the writer's frame while it sleeps."""
        loop = asyncio.get_running_loop()
        wait = self._last_commit + self._interval - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)  # gathers what arrives meanwhile
        self._last_commit = loop.time()
        batch = self._queue[: self._max_batch]
        del self._queue[: len(batch)]
        self._in_flight = True
        try:
            stored = await self._commit(batch)
        finally:
            self._in_flight = False
        # Progress: what still waits has waited since now, at most.
        now = time.monotonic()
        self._waiting_since = now if self._queue else None
        for item in stored:
            _acknowledge(item)
        if self.timings is not None:
            for item in stored:
                if item.update is not None:
                    self.timings("acknowledgement", now - item.at)
        if self._due:
            self._compact_soon.set()

    async def _commit(self, batch: list[_Queued]) -> list[_Queued]:
        """Commit ``batch``; return what was stored (with the barriers in it). A batch the
        database refuses for its content is split until the offending update is alone; it
        is set aside (logged, never acknowledged) and the rest is stored."""
        try:
            await self._commit_retrying(batch)
            return batch
        except POISON as exc:
            updates = [q for q in batch if q.update is not None]
            if len(updates) <= 1:
                for q in updates:
                    log.error(
                        "store set aside an update document=%d participant=%s bytes=%d error=%s",
                        q.document_id,
                        q.participant_id,
                        len(q.update or b""),
                        type(exc).__name__,
                    )
                return [q for q in batch if q.update is None]
            half = len(batch) // 2
            return await self._commit(batch[:half]) + await self._commit(batch[half:])

    async def _commit_retrying(self, batch: list[_Queued]) -> None:
        rows = [
            {"document_id": q.document_id, "update": q.update, "participant_id": q.participant_id}
            for q in batch
            if q.update is not None
        ]
        if not rows:
            return
        # Who wrote which characters: the clients this batch brings that are not known yet.
        new_authors = (
            self._authors.new_rows(
                (q.document_id, q.participant_id, q.update) for q in batch if q.update is not None
            )
            if self._authors is not None
            else []
        )
        delay = 0.05
        # On a server database the answer to COMMIT can be lost after the commit happened:
        # the retry must then find the batch stored, not store it twice (each batch carries
        # a key, recorded in the same transaction).
        key = uuid.uuid4().hex if self._keyed else None
        retry = False
        while True:
            try:
                # Who edited what survives compaction: counted in the same transaction.
                edits = [(q.document_id, q.participant_id) for q in batch if q.update]
                started = time.monotonic()
                await self._write(rows, edits, new_authors, datetime.now(UTC), key, retry)
                if self.timings is not None:
                    self.timings("commit", time.monotonic() - started)
                break
            except TRANSIENT as exc:
                if isinstance(exc, POISON):
                    raise
                # Acknowledgements wait; the batch is retried until the database is back.
                log.error(
                    "store commit failed rows=%d retry_in=%.2fs error=%s: %s",
                    len(rows),
                    delay,
                    type(exc).__name__,
                    exc,
                )
                if isinstance(exc, TimeoutError):
                    await self._forget_connections()
                retry = True
                await anyio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.commits += 1
        if self._authors is not None:
            self._authors.recorded(new_authors)
        for q in batch:
            if q.update is not None:
                n = self._rows_since_compaction.get(q.document_id, 0)
                self._count_rows(q.document_id, n + 1)

    async def _write(
        self,
        rows: list[dict[str, Any]],
        edits: list[tuple[int, int | None]],
        new_authors: list[dict[str, Any]],
        at: datetime,
        key: str | None,
        retry: bool,
    ) -> None:
        prune = self.commits % BATCH_KEYS_PRUNE_EVERY == 0

        def write(conn: Connection) -> None:
            if key is not None:
                if retry and _stored(conn, key):
                    log.warning("store commit found committed on retry rows=%d", len(rows))
                    return
                conn.execute(insert(doc_batches).values(id=key))
                if prune:
                    conn.execute(
                        delete(doc_batches).where(doc_batches.c.created_at < at - BATCH_KEYS_KEPT)
                    )
            _write_batch(conn, rows, edits, new_authors)

        await self._trip.run(write, write=True)

    async def close(self) -> None:
        """Close the writer's own SQLite connections (the engine's are the caller's)."""
        await self._trip.close()

    async def _forget_connections(self) -> None:
        """The database stopped answering (a statement or a connection timed out): every
        connection pooled meanwhile is as dead, and the pool's pre-ping would wait out the
        whole timeout on each in turn before the database is used again. Start a new pool;
        the old connections are dropped without a goodbye that nobody would answer."""
        await self._engine.dispose(close=False)

    # -- compaction --

    def _count_rows(self, document_id: int, rows: int) -> None:
        self._rows_since_compaction[document_id] = rows
        if rows >= self._compact_every:
            self._due.add(document_id)
        else:
            self._due.discard(document_id)

    async def _compactor(self) -> None:
        """Compact the documents that reached compact_every, noted as they do (not a scan
        of every document ever loaded: that grows with the rooms), one after another."""
        while True:
            await self._compact_soon.wait()
            self._compact_soon.clear()
            for document_id in sorted(self._due):
                try:
                    await self.compact(document_id)
                except TRANSIENT as exc:
                    # Nothing was folded (one transaction); tried again after the next commit.
                    log.error("compaction failed document=%d error=%s", document_id, exc)
                except Exception:
                    # Not the database: tried again once as many rows have come again.
                    log.exception("compaction failed document=%d", document_id)
                    self._count_rows(document_id, 0)

    async def compact(self, document_id: int) -> int:
        """Fold the checkpoint and all current rows into one checkpoint; return rows folded.

        On PostgreSQL several instances may share the log: a transaction-scoped advisory
        lock on the document makes sure that two of them never fold the same rows (one
        would overwrite the other's checkpoint with a state missing rows it deleted).
        The loser skips; the winner folds. SQLite has one writer at a time anyway.
        """
        try:
            async with self._engine.begin() as conn:
                if not await self._lock_for_compaction(conn, document_id):
                    log.info(
                        "compaction skipped document=%d: another instance holds it", document_id
                    )
                    self._count_rows(document_id, 0)
                    return 0
                read_over = await self._checkpoint_position(conn, document_id)
                found = await self._read(conn, document_id)
                seqs = [seq for _, seq in found if seq is not None]
                if not seqs:
                    self._count_rows(document_id, 0)
                    return 0
                state = await anyio.to_thread.run_sync(self._fold, [u for u, _ in found])
                if self._history is not None:
                    base = found[0][0] if found[0][1] is None else None
                    await self._keep_history(conn, document_id, base, min(seqs), max(seqs))
                await self._write_checkpoint(conn, document_id, state, seqs, read_over)
                for start in range(0, len(seqs), 1000):  # exactly the rows folded, in chunks
                    chunk = seqs[start : start + 1000]
                    await conn.execute(delete(doc_updates).where(doc_updates.c.seq.in_(chunk)))
        except _FoldedMeanwhile:
            log.info("compaction skipped document=%d: folded meanwhile elsewhere", document_id)
            self._count_rows(document_id, 0)
            return 0
        # Rows committed while it folded stay in the log, counted towards the next one.
        left = self._rows_since_compaction.get(document_id, 0) - len(seqs)
        self._count_rows(document_id, max(0, left))
        self.compactions += 1
        log.info("compacted document=%d rows=%d bytes=%d", document_id, len(seqs), len(state))
        return len(seqs)

    async def _keep_history(
        self, conn: AsyncConnection, document_id: int, base: bytes | None, first: int, last: int
    ) -> None:
        """The steps of the rows about to be folded, written in the same transaction."""
        assert self._history is not None
        rows = await history.log_rows(conn, document_id, first, last)
        breaks = await history.version_positions(conn, first, last)
        found = await anyio.to_thread.run_sync(self._history, base, rows, breaks)
        await history.keep(conn, document_id, found)

    async def history_of(
        self, document_id: int
    ) -> tuple[list[HistoryStep], bytes | None, list[LogRow], list[int]]:
        """What the drafting history of a document is made of: the steps kept by earlier
        compactions, the checkpoint, the rows not folded yet (their steps are the caller's
        to compute) and the saved versions' positions among them."""
        async with self._engine.connect() as conn:
            async with conn.begin():
                kept = await history.kept(conn, document_id)
                found = await self._read(conn, document_id)
                base = found[0][0] if found and found[0][1] is None else None
                seqs = [seq for _, seq in found if seq is not None]
                rows = (
                    await history.log_rows(conn, document_id, min(seqs), max(seqs)) if seqs else []
                )
                breaks = await history.version_positions(conn, min(seqs), max(seqs)) if seqs else []
        return kept, base, rows, breaks

    async def _lock_for_compaction(self, conn: AsyncConnection, document_id: int) -> bool:
        if conn.dialect.name != "postgresql":
            return True
        locked = await conn.execute(
            select(func.pg_try_advisory_xact_lock(COMPACTION_LOCK, document_id))
        )
        return bool(locked.scalar())

    async def _checkpoint_position(self, conn: AsyncConnection, document_id: int) -> int | None:
        """The last row the document's checkpoint holds (None: it has none yet)."""
        checkpoints = doc_checkpoints.c
        found = await conn.execute(
            select(checkpoints.through_seq).where(checkpoints.document_id == document_id)
        )
        return found.scalar()

    async def _write_checkpoint(
        self,
        conn: AsyncConnection,
        document_id: int,
        state: bytes,
        seqs: list[int],
        read_over: int | None,
    ) -> None:
        """Replace the checkpoint, provided it is still the one read (``read_over``: its
        position then); raises _FoldedMeanwhile if another compaction replaced it since."""
        if read_over is None:
            try:
                await conn.execute(
                    insert(doc_checkpoints).values(
                        document_id=document_id,
                        state=state,
                        through_seq=max(seqs),
                        updates_folded=len(seqs),
                    )
                )
            except IntegrityError as exc:  # another compaction wrote the first one meanwhile
                raise _FoldedMeanwhile from exc
            return
        result = await conn.execute(
            update(doc_checkpoints)
            .where(
                doc_checkpoints.c.document_id == document_id,
                doc_checkpoints.c.through_seq == read_over,
            )
            .values(
                state=state,
                through_seq=max(seqs),
                updates_folded=doc_checkpoints.c.updates_folded + len(seqs),
            )
        )
        if result.rowcount == 0:
            raise _FoldedMeanwhile


class _FoldedMeanwhile(Exception):
    """Another compaction replaced the checkpoint this one read: this one must not write."""


def _acknowledge(item: _Queued) -> None:
    """Run one ``on_commit``; a failing one is logged and never stops the writer."""
    if item.on_commit is None:
        return
    try:
        item.on_commit()
    except Exception:
        log.exception("on_commit failed document=%d", item.document_id)


def _stored(conn: Connection, key: str) -> bool:
    found = conn.execute(select(doc_batches.c.id).where(doc_batches.c.id == key))
    return found.first() is not None


_INSERT_UPDATES = Prepared(insert(doc_updates), ("document_id", "update", "participant_id"))


def _write_batch(
    conn: Connection,
    rows: list[dict[str, Any]],
    edits: list[tuple[int, int | None]],
    new_authors: list[dict[str, Any]],
) -> None:
    """One batch of the writer: the updates, who made them and the authors of clients not
    seen before (in the same transaction)."""
    _INSERT_UPDATES.many(conn, rows)
    contributions.record(conn, edits)
    authors.record(conn, new_authors)
