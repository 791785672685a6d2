"""Nothing stored is ever lost or duplicated: restarts, compaction, kill -9."""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter

import anyio
import pytest
from sqlalchemy import text

from crdt.article import ArticleDoc, fold
from persistence.docs import DocStore
from persistence.engine import make_engine
from server.domain.demo import DEMO_FILE, DEMO_SLUG
from server.settings import Settings
from tests.databases import scalar, seeded_document, stored_text
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    ServerProcess,
    cli_token,
    first_document,
    make_token,
    running_server,
    settle,
    wait_for,
)

MARK = re.compile(r"\[c(\d+)-(\d+)\]")


def marks(text: str) -> Counter[str]:
    return Counter(m[0] for m in MARK.finditer(text))


async def test_restart_keeps_every_edit(settings: Settings) -> None:
    async with running_server(settings) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        token = await make_token(server)
        async with PyClient(server.ws_url, name, token) as client:
            client.text.insert(0, "Préambule — ça tient 😀\n")
            for i in range(30):
                client.append(f"[c0-{i}]")
            expected = await settle(server, client)
    async with running_server(settings) as server:
        async with PyClient(server.ws_url, name, token) as client:
            assert client.value() == expected


async def test_compaction_keeps_the_content(database_url: str) -> None:
    settings = Settings(
        database_url=database_url, seed_demo=True, compact_every=25, admin_token=ADMIN_TOKEN
    )
    async with running_server(settings) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        token = await make_token(server)
        async with PyClient(server.ws_url, name, token) as client:
            for i in range(120):
                client.append(f"[c0-{i}] é😀 ")
                if i % 7 == 0:
                    del client.text[0:1]
                await asyncio.sleep(0)
            expected = await settle(server, client)

        # Compaction runs in the writer task right after the commits that make it due.
        folded_sql = "SELECT SUM(updates_folded) FROM doc_checkpoints"
        deadline = asyncio.get_running_loop().time() + 10
        while int(await scalar(database_url, folded_sql) or 0) < 100:  # type: ignore[call-overload]
            assert asyncio.get_running_loop().time() < deadline, "compaction did not run"
            await asyncio.sleep(0.05)
        assert int(await scalar(database_url, "SELECT COUNT(*) FROM doc_updates")) < 60  # type: ignore[call-overload]
        # Read the stored CONTENT back: checkpoint + tail must give the client's text.
        assert await stored_text(database_url) == expected
    async with running_server(settings) as server:
        async with PyClient(server.ws_url, name, token) as client:
            assert client.value() == expected


async def _storm(clients: list[PyClient], stop: asyncio.Event, sent: list[int]) -> None:
    n = 0
    while not stop.is_set():
        for i, client in enumerate(clients):
            client.append(f"[c{i}-{n}]")
            sent[i] = n + 1
        n += 1
        await asyncio.sleep(0.005)


@pytest.mark.parametrize("trial", range(2))
async def test_kill_9_during_a_storm_loses_nothing_committed(database_url: str, trial: int) -> None:
    proc = ServerProcess(
        database_url, ("CHARTER_SEED_DEMO", "true"), ("CHARTER_COMPACT_EVERY", "40")
    )
    proc.start()
    try:
        name = await first_document(proc.base_url, DEMO_SLUG)
        token = cli_token(proc.database_url)
        clients = [PyClient(proc.ws_url, name, token) for _ in range(4)]
        for client in clients:
            await client.connect()
        stop, sent = asyncio.Event(), [0] * len(clients)
        storm = asyncio.ensure_future(_storm(clients, stop, sent))
        await wait_for(lambda: min(sent) >= 60 + 40 * trial, what="storm under way")
        proc.kill()  # SIGKILL in the middle of the storm
        stop.set()
        await storm
        for client in clients:
            await client.disconnect()

        committed = marks(await stored_text(database_url))
        assert committed, "nothing was committed before the kill"
        assert all(n == 1 for n in committed.values()), "a stored update is duplicated"

        proc.start(port=proc.port)
        async with PyClient(proc.ws_url, name, token) as fresh:
            assert marks(fresh.value()) == committed  # every committed update, once
        for client in clients:  # clients come back and re-send what was not stored
            await client.connect()
        expected = {f"[c{i}-{n}]" for i in range(len(clients)) for n in range(sent[i])}
        async with PyClient(proc.ws_url, name, token) as check:
            text = await check.wait_text(lambda t: set(marks(t)) == expected, timeout=20)
            assert all(n == 1 for n in marks(text).values())
        for client in clients:
            await client.disconnect()
    finally:
        proc.stop()


async def test_restarts_with_reconnecting_clients_never_duplicate(database_url: str) -> None:
    proc = ServerProcess(database_url, ("CHARTER_SEED_DEMO", "true"))
    first_line = DEMO_FILE.read_text(encoding="utf-8").split("## ", 2)[1].splitlines()[2][:40]
    clients: list[PyClient] = []
    name = token = ""
    try:
        for cycle in range(4):
            proc.start(port=proc.port)
            if not clients:
                name = await first_document(proc.base_url, DEMO_SLUG)
                token = cli_token(proc.database_url)
                clients = [PyClient(proc.ws_url, name, token) for _ in range(2)]
            for i, client in enumerate(clients):
                await client.connect()
                client.append(f"[c{i}-{cycle}]")
            want = {f"[c{i}-{n}]" for i in range(2) for n in range(cycle + 1)}
            for client in clients:
                await client.wait_text(lambda t, want=want: set(marks(t)) == want)
            if cycle % 2:
                proc.kill()
            else:
                proc.stop()
            for client in clients:
                await client.disconnect()
        proc.start(port=proc.port)
        # A kill -9 may take the last edits before their commit: their clients hold them
        # and send them again when they reconnect, as they did after every earlier cycle.
        for client in clients:
            await client.connect()
        async with PyClient(proc.ws_url, name, token) as check:
            text = await check.wait_text(lambda t: len(marks(t)) == 8)
        for client in clients:
            await client.disconnect()
        assert all(n == 1 for n in marks(text).values()) and len(marks(text)) == 8
        assert text.count(first_line) == 1, "the seeded text was duplicated"
    finally:
        proc.stop()


async def test_a_busy_store_shares_commits_and_a_quiet_one_commits_at_once(
    database_url: str,
) -> None:
    """CHARTER_COMMIT_INTERVAL_MS: while updates keep coming, at most one commit per interval
    (they share it); the first update after a quiet spell is committed without waiting."""
    document_id = await seeded_document(database_url)
    engine = make_engine(database_url)
    store = DocStore(engine, fold, commit_interval=1.0)
    writer = asyncio.ensure_future(store.run())
    try:
        doc = ArticleDoc.from_updates(await store.load(document_id))
        committed: list[float] = []
        loop = asyncio.get_running_loop()

        def append(mark: str) -> None:
            delta = doc.edit(lambda body: body.insert(len(body), mark))
            store.append(document_id, delta, None, lambda: committed.append(loop.time()))

        quiet = loop.time()
        append("[c0-0]")
        await wait_for(lambda: len(committed) == 1, timeout=5)
        assert committed[0] - quiet < 0.5  # not held for the interval
        assert store.commits == 1
        for i in range(3):  # a burst right after that commit: one shared commit
            append(f"[c1-{i}]")
            await asyncio.sleep(0.05)
        await wait_for(lambda: len(committed) == 4, timeout=5)
        assert store.commits == 2
        assert min(committed[1:]) - quiet > 0.95  # waited for the interval to end
        assert marks(await stored_text(database_url, document_id)) == Counter(
            {"[c0-0]": 1, "[c1-0]": 1, "[c1-1]": 1, "[c1-2]": 1}
        )
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await engine.dispose()


async def test_an_update_the_database_refuses_is_set_aside_and_the_rest_is_stored(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An update for a document that no longer exists (deleted while someone typed) used to
    be retried for ever, holding every acknowledgement behind it. Now the batch is split,
    that update is set aside with a log line, and everything else is stored and
    acknowledged; a failing acknowledgement callback does not stop the writer either."""
    document_id = await seeded_document(database_url)
    engine = make_engine(database_url)
    store = DocStore(engine, fold)
    writer = asyncio.ensure_future(store.run())
    try:
        doc = ArticleDoc.from_updates(await store.load(document_id))
        acknowledged: list[str] = []

        def boom() -> None:
            raise RuntimeError("a callback that fails")

        gone = ArticleDoc()  # someone typing in an article that was deleted meanwhile
        for i, target in enumerate([document_id, 987_654_321, document_id, document_id]):
            mark = f"[c9{i}-0]"
            writer_doc = gone if target != document_id else doc
            delta = writer_doc.edit(lambda body, mark=mark: body.insert(len(body), mark))
            store.append(target, delta, None, lambda mark=mark: acknowledged.append(mark))
            if i == 2:
                store.append(document_id, None, None, boom)
        with anyio.fail_after(20):
            await store.flush()
        assert acknowledged == ["[c90-0]", "[c92-0]", "[c93-0]"]
        stored = await stored_text(database_url, document_id)
        assert marks(stored) == Counter({"[c90-0]": 1, "[c92-0]": 1, "[c93-0]": 1})
        assert "store set aside an update document=987654321" in caplog.text
        assert "on_commit failed" in caplog.text
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await engine.dispose()


class Gate:
    """A fold that waits, in its worker thread, until the test lets it go on: the moment a
    compaction has read its rows and not yet written its checkpoint, held open."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def __call__(self, updates: list[bytes]) -> bytes:
        self.entered.set()
        self.opened.wait(30)
        return fold(updates)


async def test_a_compaction_does_not_hold_back_what_other_edits_save(database_url: str) -> None:
    """Compaction used to run inside the writer's loop: while a document was folded (its
    history computed, its checkpoint written), no edit of any document was committed, so
    every "saved" waited — a second for twenty articles that came due together, longer
    for a large one. Now edits are committed and acknowledged while a compaction runs,
    the edited document's own included, and nothing typed meanwhile is lost or forgotten."""
    first = await seeded_document(database_url)
    other = int(await scalar(database_url, "SELECT MAX(document_id) FROM articles"))  # type: ignore[call-overload]
    engine = make_engine(database_url)
    gate = Gate()
    store = DocStore(engine, gate, compact_every=3)
    writer = asyncio.ensure_future(store.run())
    try:
        docs = {d: ArticleDoc.from_updates(await store.load(d)) for d in (first, other)}
        acknowledged: list[str] = []

        def append(document_id: int, mark: str) -> None:
            delta = docs[document_id].edit(lambda body: body.insert(len(body), mark))
            store.append(document_id, delta, None, lambda: acknowledged.append(mark))

        for i in range(3):
            append(first, f"[c1-{i}]")
        await wait_for(lambda: gate.entered.is_set(), timeout=10, what="the compaction")
        append(other, "[c2-0]")
        append(first, "[c1-3]")
        await wait_for(lambda: len(acknowledged) == 5, timeout=5, what="saved during compaction")
        assert store.compactions == 0  # still folding
        gate.opened.set()
        await wait_for(lambda: store.compactions == 1, timeout=10, what="the compaction's end")
        assert marks(await stored_text(database_url, first)) == Counter(
            {f"[c1-{i}]": 1 for i in range(4)}
        )
        assert marks(await stored_text(database_url, other)) == Counter({"[c2-0]": 1})
        # The row typed during the fold is still counted towards the next compaction.
        for i in range(4, 6):
            append(first, f"[c1-{i}]")
        await wait_for(lambda: store.compactions == 2, timeout=10, what="the next compaction")
    finally:
        gate.opened.set()
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await engine.dispose()


async def test_two_compactions_of_one_document_lose_nothing(database_url: str) -> None:
    """Two stores that fold the same document at once (the server's writer, and
    `charter check --repair` rebuilding its checkpoint while the server runs): on SQLite
    the one that read first used to write its older checkpoint over the newer one and
    delete its rows, so what the other had folded since was gone from the database. Now a
    compaction writes its checkpoint only over the one it read; the later one gives way."""
    document_id = await seeded_document(database_url)
    engine = make_engine(database_url)
    gate = Gate()
    slow, quick = DocStore(engine, gate), DocStore(engine, fold)
    writer = asyncio.ensure_future(quick.run())
    try:
        doc = ArticleDoc.from_updates(await quick.load(document_id))

        def append(mark: str) -> None:
            quick.append(document_id, doc.edit(lambda body: body.insert(len(body), mark)))

        for i in range(3):
            append(f"[c1-{i}]")
        await quick.flush()
        folding = asyncio.ensure_future(slow.compact(document_id))
        await wait_for(lambda: gate.entered.is_set(), timeout=10, what="the first compaction")
        for i in range(3, 5):
            append(f"[c1-{i}]")
        await quick.flush()
        await quick.compact(document_id)
        gate.opened.set()
        with anyio.fail_after(20):
            await folding
        expected = Counter({f"[c1-{i}]": 1 for i in range(5)})
        assert marks(await stored_text(database_url, document_id)) == expected
        append("[c1-5]")
        await quick.flush()
        assert await quick.compact(document_id) > 0  # and the next compaction still folds
        expected["[c1-5]"] = 1
        assert marks(await stored_text(database_url, document_id)) == expected
    finally:
        gate.opened.set()
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await engine.dispose()


# A query that keeps the database busy for about a second or more on either backend.
SLOW_QUERY = {
    "sqlite": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3000000)"
    " SELECT count(*) FROM r",
    "postgresql": "SELECT pg_sleep(3)",
}


async def test_work_cancelled_in_the_middle_of_a_query_leaves_nothing_waiting(
    database_url: str,
) -> None:
    """The app's task group is cancelled at shutdown while a worker (the mail sender, the
    digests) may be inside a query. SQLAlchemy then closes that connection, and on SQLite
    (aiosqlite 0.22) the close it started waited for ever once the cancellation reached it a
    second time: a task left behind, a stopping server that never ended (a CI run hung on it).
    Now the cancelled work ends, nothing is left waiting, and the database answers again."""
    engine = make_engine(database_url)
    try:
        slow = text(SLOW_QUERY[engine.dialect.name])
        inside = anyio.Event()

        async def worker() -> None:
            async with engine.connect() as conn:
                inside.set()
                await conn.execute(slow)

        me = asyncio.current_task()
        async with anyio.create_task_group() as tg:
            tg.start_soon(worker)
            await inside.wait()
            await anyio.sleep(0.1)  # the query is running
            tg.cancel_scope.cancel()
        await wait_for(
            lambda: all(t is me or t.done() for t in asyncio.all_tasks()),
            timeout=20,
            what="every task the cancelled query started to end",
        )
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await engine.dispose()
