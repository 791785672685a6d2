"""Several instances behind a load balancer: real server processes sharing PostgreSQL and
Redis. Edits, presence and charter events (projector, comments, amendments, versions) cross;
a room loaded on one instance gets what another holds unstored; Redis restarts and kill -9
lose nothing; compaction is locked. PostgreSQL cut off behind a TCP proxy (reset, or silent)
during edits: acknowledgements wait, relay goes on, nothing is lost or stored twice."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
import websockets
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from crdt import protocol
from crdt.article import ArticleDoc, fold
from crdt.awareness import Entry, decode_entries, encode_entries
from persistence.docs import COMPACTION_LOCK, DocStore
from persistence.engine import make_engine, normalise_url
from server.domain.demo import DEMO_SLUG
from server.names import charter_channel
from server.settings import Settings
from tests.databases import (
    _dsn,
    scalar,
    seeded_document,
    stored_text,
    writes_blocked,
)
from tests.hpdriver import HocuspocusClient
from tests.proxy import TcpProxy
from tests.redisdb import PrivateRedis, shared_redis, unique_prefix
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    ServerProcess,
    cli_token,
    first_document,
    running_server,
    server_text,
    wait_for,
)
from tests.test_bad_input import text_update

SEED = (("CHARTER_SEED_DEMO", "true"),)
MARK = re.compile(r"\[[ab]\d*-\d+\]")


def marks(text: str) -> Counter[str]:
    return Counter(MARK.findall(text))


class Instances:
    """Instances sharing one database and one Redis channel; the first seeds the demo."""

    def __init__(self, database_url: str, redis_url: str) -> None:
        prefix = unique_prefix()  # a channel of our own: parallel runs never collide
        env = [("CHARTER_REDIS_URL", redis_url), ("CHARTER_REDIS_PREFIX", prefix)]
        self.a = ServerProcess(database_url, ("CHARTER_SEED_DEMO", "true"), *env)
        self.b = ServerProcess(database_url, *env)

    def __enter__(self) -> tuple[ServerProcess, ServerProcess]:
        self.a.start()  # seeds first, so that B finds the charter
        self.b.start()
        return self.a, self.b

    def __exit__(self, *exc: object) -> None:
        self.a.stop()
        self.b.stop()


def url_of(server: ServerProcess, name: str, token: str) -> str:
    return f"{server.ws_url}/ws/{name}?token={token}"


async def presence_of(ws: websockets.ClientConnection, client_id: int) -> Entry:
    """The next presence entry for ``client_id`` this socket receives."""
    async with asyncio.timeout(10):
        while True:
            message = protocol.decode(await ws.recv())  # type: ignore[arg-type]
            if isinstance(message, protocol.AwarenessUpdate):
                for entry in decode_entries(message.payload, 4096):
                    if entry.client_id == client_id:
                        return entry


async def test_edits_presence_and_events_cross_instances(pg: str) -> None:
    with Instances(pg, shared_redis()) as (a, b):
        name = await first_document(a.base_url, DEMO_SLUG)
        token = cli_token(pg, "facilitator", "Animatrice Zoé")
        rows_before = await scalar(pg, "SELECT COUNT(*) FROM doc_updates")
        async with PyClient(a.ws_url, name, token) as on_a, PyClient(b.ws_url, name, token) as on_b:
            for i in range(10):
                on_a.append(f"[a-{i}]")
                on_b.text.insert(0, f"[b-{i}]")
                await asyncio.sleep(0.01)
            expected = {f"[{x}-{i}]" for x in "ab" for i in range(10)}
            for client in (on_a, on_b):
                await client.wait_text(lambda t: set(marks(t)) == expected)
            assert on_a.value() == on_b.value()
            assert all(n == 1 for n in marks(on_a.value()).values())
            # Stored once, by the instance that received each edit (not again by the other).
            await wait_for_stored(pg, on_a.value())
            assert await scalar(pg, "SELECT COUNT(*) FROM doc_updates") == rows_before + 20  # type: ignore[operator]

            # Presence typed on A shows on B, stamped with the participant's name there too.
            async with (
                websockets.connect(url_of(a, name, token)) as ws_a,
                websockets.connect(url_of(b, name, token)) as ws_b,
            ):
                forged = {"user": {"name": "Le Maire"}, "cursor": 7}
                entry = Entry(4242, 1, json.dumps(forged))
                await ws_a.send(protocol.awareness(encode_entries([entry])))
                seen = json.loads((await presence_of(ws_b, 4242)).state)
                assert seen["cursor"] == 7 and seen["user"]["name"] == "Animatrice Zoé"
                await ws_a.close()
                assert (await presence_of(ws_b, 4242)).removed  # gone on B when it left A

            # A charter event published by A (the projector follows an article) reaches a
            # browser on B's /collab.
            channel = charter_channel(DEMO_SLUG)
            async with HocuspocusClient(b.ws_url, [{"name": channel, "token": token}]) as watcher:
                await watcher.wait(lambda e: e["event"] == "synced" and e["doc"] == channel)
                key = name.rsplit("/", 1)[1]
                async with httpx.AsyncClient(base_url=a.base_url) as http:
                    response = await http.put(
                        f"/api/charters/{DEMO_SLUG}/projector",
                        json={"article": key},
                        headers={"authorization": f"Bearer {token}"},
                    )
                    assert response.status_code == 200, response.text
                event = await watcher.wait(lambda e: e["event"] == "stateless")
                assert json.loads(event["payload"]) == {
                    "type": "projector",
                    "article": key,
                    "view": {"mode": "live", "amendment": None, "passage": None, "authors": None},
                }


async def wait_for_stored(database_url: str, text: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while (stored := await stored_text(database_url)) != text:
        assert time.monotonic() < deadline, f"never stored: {stored[-120:]!r}"
        await asyncio.sleep(0.1)


async def test_a_room_loaded_on_b_gets_what_a_has_not_stored(pg: str) -> None:
    with Instances(pg, shared_redis()) as (a, b):
        name = await first_document(a.base_url, DEMO_SLUG)
        token = cli_token(pg)
        async with PyClient(a.ws_url, name, token) as on_a:
            async with writes_blocked(pg):  # A's writer waits: its update is held in memory
                on_a.append("[a-held]")
                deadline = time.monotonic() + 10
                while "[a-held]" not in await server_text(a.base_url, name):
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.02)
                assert "[a-held]" not in await stored_text(pg)
                # B loads the document from the database, which lacks it: A answers B's ask.
                async with PyClient(b.ws_url, name, token) as on_b:
                    await on_b.wait_text(lambda t: "[a-held]" in t)
                    assert on_b.value() == on_a.value()
            # Released: A commits, and the stored text has the update exactly once.
            await wait_for_stored(pg, on_a.value())
            assert (await stored_text(pg)).count("[a-held]") == 1


async def test_an_update_waiting_on_a_peers_item_is_stored_and_crosses_once_it_comes(
    pg: str,
) -> None:
    """An update held on A for an item A lacks, that item typed on B: once it crosses to A,
    the held update is applied there, and like any edit A receives it is stored by A and
    sent to B. It used to travel inside the peer's change, which A does not store, and
    never reached B."""
    with Instances(pg, shared_redis()) as (a, b):
        name = await first_document(a.base_url, DEMO_SLUG)
        token = cli_token(pg)
        async with (
            websockets.connect(url_of(a, name, token)) as on_a,
            PyClient(b.ws_url, name, token) as on_b,
        ):
            await on_a.send(protocol.sync_update(text_update(4280, 0, "LOINTAIN", (4281, 2))))
            await on_a.send(protocol.sync_step1(b"\x00"))  # answered once the update is read
            async with asyncio.timeout(10):
                while not isinstance(protocol.decode(await on_a.recv()), protocol.SyncStep2):  # type: ignore[arg-type]
                    pass
            async with websockets.connect(url_of(b, name, token)) as raw_b:
                await raw_b.send(protocol.sync_update(text_update(4281, 0, "abc")))
                await on_b.wait_text(lambda t: "abcLOINTAIN" in t)
            await wait_for_stored(pg, on_b.value())
            assert (await stored_text(pg)).count("LOINTAIN") == 1


async def test_redis_restart_during_edits_converges(pg: str) -> None:
    redis = PrivateRedis()
    redis.start()
    try:
        with Instances(pg, redis.url) as (a, b):
            name = await first_document(a.base_url, DEMO_SLUG)
            token = cli_token(pg)
            async with (
                PyClient(a.ws_url, name, token) as on_a,
                PyClient(b.ws_url, name, token) as on_b,
                PyClient(a.ws_url, name, token) as also_a,
            ):
                on_a.append("[a-0]")
                on_b.append("[b-0]")
                for client in (on_a, on_b):
                    await client.wait_text(lambda t: {"[a-0]", "[b-0]"} <= set(marks(t)))
                redis.kill()
                for i in range(1, 6):
                    on_a.append(f"[a-{i}]")
                    on_b.append(f"[b-{i}]")
                    await asyncio.sleep(0.05)
                # Each instance keeps serving its own clients and storing their edits.
                await also_a.wait_text(lambda t: "[a-5]" in t)
                deadline = time.monotonic() + 15
                while not {"[a-5]", "[b-5]"} <= set(marks(await stored_text(pg))):
                    assert time.monotonic() < deadline, "an instance stopped storing"
                    await asyncio.sleep(0.1)
                assert "[b-5]" not in on_a.value() and "[a-5]" not in on_b.value()
                redis.start()
                restarted = time.monotonic()
                expected = {f"[{x}-{i}]" for x in "ab" for i in range(6)}
                for client in (on_a, on_b, also_a):
                    await client.wait_text(lambda t: set(marks(t)) == expected, timeout=20)
                converged = time.monotonic() - restarted
                print(f"converged {converged:.2f}s after Redis came back")
                assert on_a.value() == on_b.value() == also_a.value()
                await wait_for_stored(pg, on_a.value())
                assert all(n == 1 for n in marks(await stored_text(pg)).values())
    finally:
        redis.kill()


async def _storm(clients: list[PyClient], stop: asyncio.Event, sent: list[int]) -> None:
    n = 0
    while not stop.is_set():
        for i, client in enumerate(clients):
            client.append(f"[{'ab'[i // 2]}{i}-{n}]")
            sent[i] = n + 1
        n += 1
        await asyncio.sleep(0.01)


async def test_kill_9_of_one_instance_loses_nothing_committed(pg: str) -> None:
    with Instances(pg, shared_redis()) as (a, b):
        name = await first_document(a.base_url, DEMO_SLUG)
        token = cli_token(pg)
        clients = [PyClient(s.ws_url, name, token) for s in (a, a, b, b)]
        for client in clients:
            await client.connect()
        stop, sent = asyncio.Event(), [0] * len(clients)
        storm = asyncio.ensure_future(_storm(clients, stop, sent))
        await wait_for(lambda: min(sent) >= 40, what="storm under way")
        a.kill()  # SIGKILL in the middle of the storm
        committed = marks(await stored_text(pg))
        await asyncio.sleep(0.2)
        stop.set()
        await storm
        assert committed and all(n == 1 for n in committed.values())

        for client in clients[:2]:  # A's clients come back through the load balancer: to B
            await client.disconnect()
            client.url = url_of(b, name, token)
            await client.connect()
        expected = {f"[{'ab'[i // 2]}{i}-{n}]" for i in range(len(clients)) for n in range(sent[i])}
        for client in clients:
            await client.wait_text(lambda t: set(marks(t)) == expected, timeout=20)
            assert all(n == 1 for n in marks(client.value()).values())
        await wait_for_stored(pg, clients[0].value())
        stored = marks(await stored_text(pg))
        assert set(stored) == expected and set(committed) <= set(stored)
        for client in clients:
            await client.disconnect()


async def test_compaction_takes_the_document_lock_on_postgresql(pg: str) -> None:
    settings = Settings(database_url=pg, seed_demo=True, admin_token=ADMIN_TOKEN)
    async with running_server(settings):  # migrated and seeded; its room stays unloaded
        document_id = int(await scalar(pg, "SELECT MIN(document_id) FROM articles"))  # type: ignore[call-overload]
    engines = [make_engine(pg), make_engine(pg)]  # two instances' stores
    stores = [DocStore(engine, fold) for engine in engines]
    writers = [asyncio.ensure_future(s.run()) for s in stores]  # each instance's writer task
    try:
        doc = ArticleDoc.from_updates(await stores[0].load(document_id))
        holder = await asyncpg.connect(_dsn(pg))  # another instance compacting
        try:
            await holder.execute("SELECT pg_advisory_lock($1, $2)", COMPACTION_LOCK, document_id)
            assert await stores[0].compact(document_id) == 0  # skipped: nothing folded
        finally:
            await holder.close()
        n = 0
        for _ in range(8):  # both append, then both fold at once
            for i in range(6):
                delta = doc.edit(lambda body, n=n: body.insert(len(body), f"[a-{n}]"))
                assert delta is not None
                stores[i % 2].append(document_id, delta)
                n += 1
            await asyncio.gather(*(s.flush() for s in stores))
            folded = await asyncio.gather(*(s.compact(document_id) for s in stores))
            assert sum(folded) > 0
            assert await stored_text(pg, document_id) == doc.text()
        left = f"SELECT COUNT(*) FROM doc_updates WHERE document_id = {document_id}"
        assert await scalar(pg, left) == 0
        assert marks(doc.text()) == Counter({f"[a-{i}]": 1 for i in range(n)})
    finally:
        for writer in writers:
            writer.cancel()
        await asyncio.gather(*writers, return_exceptions=True)
        for engine in engines:
            await engine.dispose()


async def test_a_phase_set_on_one_instance_refuses_editors_on_the_other(pg: str) -> None:
    with Instances(pg, shared_redis()) as (a, b):
        name = await first_document(a.base_url, DEMO_SLUG)
        boss = cli_token(pg, "facilitator", "Animatrice")
        editor = cli_token(pg, "editor", "Éditeur")
        async with PyClient(b.ws_url, name, editor) as on_b:
            on_b.append("[b-1]")  # open phase: accepted
            await on_b.wait_text(lambda t: "[b-1]" in t)
            deadline = time.monotonic() + 10
            while "[b-1]" not in await server_text(b.base_url, name):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            async with httpx.AsyncClient(base_url=a.base_url) as http:
                changed = await http.put(
                    f"/api/charters/{DEMO_SLUG}/phase",
                    json={"phase": "amendments"},
                    headers={"authorization": f"Bearer {boss}"},
                )
                assert changed.status_code == 200, changed.text
            # B learns it from A over Redis; its loaded room refuses the editor from then on
            deadline = time.monotonic() + 10
            for attempt in range(1000):
                marker = f"[b-late-{attempt}]"
                on_b.append(marker)
                await asyncio.sleep(0.3)
                if marker not in await server_text(b.base_url, name):
                    break  # refused: the room on B knows the phase set on A
                # accepted before B heard of the change: try again with a fresh marker
                assert time.monotonic() < deadline, "B kept accepting the editor's writes"
        async with PyClient(a.ws_url, name, boss) as on_a:
            on_a.append("[a-1]")  # facilitators still write
            text = await server_text(a.base_url, name)
            deadline = time.monotonic() + 10
            while "[a-1]" not in (text := await server_text(b.base_url, name)):
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        assert "[b-1]" in text


async def all_acknowledged(
    client: HocuspocusClient, doc: str, typed: str, timeout: float = 10
) -> None:
    """Wait until the provider has no unacknowledged change left after typing ``typed``."""
    shown = await client.wait(lambda e: e["doc"] == doc and typed in e.get("text", ""))
    after = client.events.index(shown)
    done = {"event": "unsynced", "doc": doc, "count": 0}
    await client.wait(lambda e: e == done, timeout=timeout, since=after)


def failures(server: ServerProcess, since: int) -> int:
    return sum("store commit failed" in line for line in server.output[since:])


def acks(client: HocuspocusClient, since: int) -> list[bool]:
    return [e["applied"] for e in client.events[since:] if e["event"] == "syncStatus"]


@pytest.mark.parametrize("fault", ["cut", "blackhole"])
async def test_a_postgresql_outage_withholds_acks_and_loses_nothing(pg: str, fault: str) -> None:
    """PostgreSQL restarts (``cut``: connections reset, new ones refused) or its host
    vanishes (``blackhole``: nothing answers, nobody is told) while a participant types.
    Peers keep getting the edits; the writer's edits stay unacknowledged; once the
    database is back they are stored, exactly once, and only then acknowledged."""
    database = make_url(pg)
    with TcpProxy(database.host or "127.0.0.1", database.port or 5432) as proxy:
        through = through_proxy(pg, proxy).render_as_string(hide_password=False)
        server = ServerProcess(through, *SEED)
        server.start()
        try:
            name = await first_document(server.base_url, DEMO_SLUG)
            token = cli_token(pg)
            async with (
                HocuspocusClient(server.ws_url, [{"name": name, "token": token}]) as writer,
                PyClient(server.ws_url, name, token) as peer,
            ):
                await writer.wait(lambda e: e["event"] == "synced")
                await writer.send({"cmd": "insert", "doc": name, "text": "[a-0]"})
                await all_acknowledged(writer, name, "[a-0]")

                since, printed = writer.mark(), len(server.output)
                rows = await scalar(pg, "SELECT COUNT(*) FROM doc_updates")
                getattr(proxy, fault)()
                for i in range(1, 6):
                    await writer.send({"cmd": "insert", "doc": name, "text": f"[a-{i}]"})
                    await peer.wait_text(lambda t, i=i: f"[a-{i}]" in t)  # relayed meanwhile
                # Retried, and refused again, at least twice: the outage outlasts a retry.
                await wait_for(lambda: failures(server, printed) >= 2, 10, "retries")
                assert acks(writer, since) == []  # withheld, never faked
                assert (await writer.state(name))["unsynced"] > 0

                proxy.restore()
                back = time.monotonic()
                await all_acknowledged(writer, name, "[a-5]", timeout=15)
                print(f"acknowledged {time.monotonic() - back:.2f}s after PostgreSQL came back")
                assert acks(writer, since) == [True] * 5  # one per edit
                text = writer.text(name)
                assert peer.value() == text
            expected = Counter({f"[a-{i}]": 1 for i in range(6)})
            assert marks(await stored_text(pg)) == expected  # stored, each exactly once
            assert await stored_text(pg) == text
            # One row per edit: nothing stored twice by the retries.
            assert await scalar(pg, "SELECT COUNT(*) FROM doc_updates") == rows + 5  # type: ignore[operator]
        finally:
            proxy.restore()
            server.stop()


def through_proxy(database_url: str, proxy: TcpProxy) -> URL:
    """The database's URL via ``proxy``, with short timeouts (the defaults are 10 s and 30 s)
    so that a database that went silent is noticed fast."""
    return make_url(database_url).set(
        port=proxy.port, query={"timeout": "1", "command_timeout": "1"}
    )


@dataclass
class ProxiedWriter:
    """A store and its running writer, reaching PostgreSQL through a proxy the test can
    cut; the demo charter's first document."""

    proxy: TcpProxy
    engine: AsyncEngine
    store: DocStore
    document_id: int
    writer: asyncio.Future[None]


@asynccontextmanager
async def writer_through_proxy(pg: str) -> AsyncIterator[ProxiedWriter]:
    document_id = await seeded_document(pg)
    database = make_url(pg)
    with TcpProxy(database.host or "127.0.0.1", database.port or 5432) as proxy:
        engine = make_engine(through_proxy(pg, proxy).render_as_string(hide_password=False))
        store = DocStore(engine, fold)
        writer = asyncio.ensure_future(store.run())
        try:
            yield ProxiedWriter(proxy, engine, store, document_id, writer)
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            await engine.dispose()


async def marked_edit(store: DocStore, document_id: int, mark: str) -> bytes:
    """An update that appends ``mark`` to the stored document."""
    doc = ArticleDoc.from_updates(await store.load(document_id))
    delta = doc.edit(lambda body: body.insert(len(body), mark))
    assert delta is not None
    return delta


async def test_a_commit_the_database_never_answers_is_retried_once_it_is_back(pg: str) -> None:
    """The host of PostgreSQL vanishes while a commit waits for a lock: no answer will ever
    come on that socket. The statement times out, the store retries on a new connection
    and, once the database answers again, commits the update once and only then calls
    back (acknowledges)."""
    waiting = (
        "SELECT COUNT(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    async with writer_through_proxy(pg) as w:
        proxy, store, document_id, writer = w.proxy, w.store, w.document_id, w.writer
        delta = await marked_edit(store, document_id, "[a-1]")
        committed = asyncio.Event()
        async with writes_blocked(pg):
            store.append(document_id, delta, None, committed.set)
            deadline = time.monotonic() + 10
            while await scalar(pg, waiting) == 0:  # the INSERT is in flight, waiting
                assert time.monotonic() < deadline, "the commit never reached the lock"
                await asyncio.sleep(0.02)
            proxy.blackhole()
        with pytest.raises(TimeoutError):  # nothing stored, so nothing acknowledged
            await asyncio.wait_for(committed.wait(), 1.5)
        proxy.restore()
        await asyncio.wait_for(committed.wait(), 10)
        assert not writer.done()
        assert marks(await stored_text(pg, document_id)) == Counter({"[a-1]": 1})


async def test_a_commit_whose_answer_is_lost_is_stored_once(
    pg: str, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL commits, then the network drops its answer: the store times out, retries
    on a new connection, finds its batch key and stores nothing twice — neither the update
    nor the edit it counts — then acknowledges."""
    async with writer_through_proxy(pg) as w:
        proxy, store, document_id = w.proxy, w.store, w.document_id
        delta = await marked_edit(store, document_id, "[a-1]")
        rows = await scalar(pg, "SELECT COUNT(*) FROM doc_updates")
        committed = asyncio.Event()
        proxy.lose_answer_to(b"COMMIT")
        store.append(document_id, delta, 7, committed.set)
        await asyncio.wait_for(committed.wait(), 15)
        assert "store commit failed" in caplog.text  # the answer was lost: a retry
        assert "found committed on retry" in caplog.text
        assert await scalar(pg, "SELECT COUNT(*) FROM doc_updates") == rows + 1  # type: ignore[operator]
        assert marks(await stored_text(pg, document_id)) == Counter({"[a-1]": 1})
        counted = "SELECT SUM(edits) FROM doc_contributions_at WHERE participant_id = 7"
        assert await scalar(pg, counted) == 1


async def test_the_store_waits_out_a_pool_with_no_connection_to_give(
    pg: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every pooled connection busy (requests stuck on a slow database): the pool's own
    timeout is one more transient failure to retry, not the end of the writer task."""
    document_id = await seeded_document(pg)
    engine = create_async_engine(normalise_url(pg), pool_size=1, max_overflow=0, pool_timeout=0.1)
    store = DocStore(engine, fold)
    writer = asyncio.ensure_future(store.run())
    try:
        delta = await marked_edit(store, document_id, "[a-1]")
        committed = asyncio.Event()
        async with engine.connect():  # the only connection
            store.append(document_id, delta, None, committed.set)
            await wait_for(lambda: "store commit failed" in caplog.text or writer.done())
            assert not writer.done(), writer.exception()
            assert "QueuePool limit" in caplog.text
        await asyncio.wait_for(committed.wait(), 10)
        assert marks(await stored_text(pg, document_id)) == Counter({"[a-1]": 1})
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await engine.dispose()


async def test_comment_amendment_and_version_events_cross_instances(pg: str) -> None:
    """A viewer on B's /collab hears, on the charter's channel, of a comment, an amendment
    and a version made through A's API: the comments panel and the lists refresh live."""
    with Instances(pg, shared_redis()) as (a, b):
        key = (await first_document(a.base_url, DEMO_SLUG)).rsplit("/", 1)[1]
        reader = cli_token(pg, "reader", "Rémi")
        boss = cli_token(pg, "facilitator", "Animatrice")  # comments, proposes, saves
        channel = charter_channel(DEMO_SLUG)
        api = f"/api/charters/{DEMO_SLUG}"
        async with (
            HocuspocusClient(b.ws_url, [{"name": channel, "token": reader}]) as viewer,
            httpx.AsyncClient(base_url=a.base_url) as http,
        ):
            await viewer.wait(lambda e: e["event"] == "synced" and e["doc"] == channel)

            async def heard(kind: str, since: int) -> dict[str, object]:
                def matches(e: dict[str, object]) -> bool:
                    payload = e.get("payload")
                    return e["event"] == "stateless" and json.loads(str(payload))["type"] == kind

                found = await viewer.wait(matches, timeout=5, since=since)
                return dict(json.loads(found["payload"]))

            as_boss = {"authorization": f"Bearer {boss}"}
            since = viewer.mark()
            thread = await http.post(
                f"{api}/articles/{key}/threads", json={"body": "Et la nuit ?"}, headers=as_boss
            )
            assert thread.status_code == 201, thread.text
            created = await heard("comment", since)
            assert (created["event"], created["article"]) == ("created", key)
            assert created["thread"] == thread.json()["id"]

            since = viewer.mark()
            amendment = await http.post(
                f"{api}/articles/{key}/amendments",
                json={"title": "Plus vite", "rationale": "Un mois, c’est long."},
                headers=as_boss,
            )
            assert amendment.status_code == 201, amendment.text
            proposed = await heard("amendment", since)
            assert proposed["event"] == "proposed"
            assert proposed["amendment"]["id"] == amendment.json()["id"]  # type: ignore[index]

            since = viewer.mark()
            version = await http.post(
                f"{api}/versions",
                json={"label": "Avant l’atelier"},
                headers=as_boss,
            )
            assert version.status_code == 201, version.text
            saved = await heard("version", since)
            assert saved["event"] == "saved"
            assert saved["version"]["id"] == version.json()["id"]  # type: ignore[index]


async def test_after_a_silent_outage_the_store_does_not_wait_on_each_dead_connection(
    pg: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The database went silent while the pool held several idle connections: all of them
    are dead. Once it answers again, the store commits at once instead of timing out on
    each of the dead connections in turn (pre-ping waits one statement timeout apiece)."""
    async with writer_through_proxy(pg) as w:
        proxy, engine, store, document_id = w.proxy, w.engine, w.store, w.document_id
        delta = await marked_edit(store, document_id, "[a-1]")

        async def use_a_connection(ready: asyncio.Barrier) -> None:
            async with engine.connect():
                await ready.wait()

        together = asyncio.Barrier(5)  # five connections open at once, then pooled
        await asyncio.gather(*(use_a_connection(together) for _ in range(5)))
        assert engine.sync_engine.pool.checkedin() == 5  # type: ignore[attr-defined]
        proxy.blackhole()
        committed = asyncio.Event()
        store.append(document_id, delta, None, committed.set)
        await wait_for(lambda: "store commit failed" in caplog.text, what="a failure")
        proxy.restore()
        failed = caplog.text.count("store commit failed")
        await asyncio.wait_for(committed.wait(), 15)
        # At most the attempt under way when the database came back fails; the dead
        # connections still pooled are not tried one by one.
        assert caplog.text.count("store commit failed") <= failed + 1, caplog.text
        assert marks(await stored_text(pg, document_id)) == Counter({"[a-1]": 1})


async def test_the_projected_article_is_the_same_on_every_instance_and_after_a_restart(
    pg: str,
) -> None:
    """The projector's article lived in one process: another instance answered
    ``"projector": null`` and a restart forgot it. It is kept with the charter."""
    with Instances(pg, shared_redis()) as (a, b):
        boss = {"authorization": f"Bearer {cli_token(pg, 'facilitator', 'Animatrice')}"}
        async with httpx.AsyncClient(headers=boss) as http:
            charter = (await http.get(f"{a.base_url}/api/charters/{DEMO_SLUG}")).json()
            key = charter["sections"][0]["articles"][1]["id"]
            put = await http.put(
                f"{a.base_url}/api/charters/{DEMO_SLUG}/projector", json={"article": key}
            )
            assert put.status_code == 200, put.text
            on_b = (await http.get(f"{b.base_url}/api/charters/{DEMO_SLUG}")).json()
            assert on_b["projector"] == key
        a.stop()
        a.start()
        async with httpx.AsyncClient(headers=boss) as http:
            again = (await http.get(f"{a.base_url}/api/charters/{DEMO_SLUG}")).json()
            assert again["projector"] == key
