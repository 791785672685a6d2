"""What an operator relies on: readiness that follows the database, Redis and the store's
acknowledgements, and log lines a collector can read (one JSON object per line, with the
document, participant id and close code as fields, never a secret)."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from crdt import protocol
from server.domain.demo import DEMO_SLUG
from server.domain.versions import save_version
from server.logs import JsonLines, RedactSecrets
from server.settings import Settings
from tests.databases import execute, fresh_database, scalar
from tests.hpdriver import HocuspocusClient
from tests.proxy import TcpProxy
from tests.redisdb import PrivateRedis
from tests.support import (
    ADMIN_TOKEN,
    ROOT,
    PyClient,
    RunningServer,
    ServerProcess,
    cli_token,
    first_document,
    make_token,
    running_server,
    server_text,
    until_server_has,
    wait_for,
)
from tests.wire_client import Wire, insertion

SEED = ("CHARTER_SEED_DEMO", "true")


def ready(server: ServerProcess) -> tuple[int, dict[str, object]]:
    answer = httpx.get(f"{server.base_url}/readyz", timeout=10)
    body: dict[str, object] = answer.json()
    return answer.status_code, body


def alive(server: ServerProcess) -> bool:
    return httpx.get(f"{server.base_url}/healthz", timeout=10).status_code == 200


async def test_readiness_follows_the_database_and_stalled_acknowledgements(pg: str) -> None:
    database = make_url(pg)
    with TcpProxy(database.host or "127.0.0.1", database.port or 5432) as proxy:
        through = make_url(pg).set(port=proxy.port, query={"timeout": "1", "command_timeout": "1"})
        server = ServerProcess(
            through.render_as_string(hide_password=False),
            SEED,
            ("CHARTER_READY_STALL_SECONDS", "1"),
            ("CHARTER_LOG_FORMAT", "json"),
        )
        server.start()
        try:
            assert ready(server) == (
                200,
                {"status": "ready", "failing": [], "store_waiting_seconds": 0.0, "pending": 0},
            )
            name = await first_document(server.base_url, DEMO_SLUG)
            token = cli_token(pg)
            async with HocuspocusClient(server.ws_url, [{"name": name, "token": token}]) as hp:
                await hp.wait(lambda e: e["event"] == "synced")
                printed = len(server.output)
                proxy.cut()
                await hp.send({"cmd": "insert", "doc": name, "text": "[pendant la panne]"})
                # The database is gone, then the edit has waited too long: not ready, and
                # says why; alive all the same (a proxy must not kill it).
                await wait_for(
                    lambda: set(ready(server)[1]["failing"]) == {"database", "store"},  # type: ignore[arg-type]
                    20,
                    "readiness to fail on the database and the store",
                )
                status, body = ready(server)
                assert status == 503 and body["status"] == "not ready"
                assert alive(server)

                proxy.restore()
                await wait_for(lambda: ready(server)[0] == 200, 20, "readiness to come back")
                assert ready(server)[1]["failing"] == []

            # The outage was logged as JSON lines a collector reads field by field.
            lines = [json.loads(line) for line in server.output[printed:] if line.startswith("{")]
            failures = [line for line in lines if line["logger"] == "charter.store"]
            assert failures and failures[0]["level"] == "error"
            assert isinstance(failures[0]["rows"], int) and "time" in failures[0]
            assert all(token not in json.dumps(line) for line in lines)
        finally:
            server.stop()


async def test_readiness_fails_while_redis_is_down(pg: str) -> None:
    redis = PrivateRedis()
    redis.start()
    server = ServerProcess(
        pg,
        SEED,
        ("CHARTER_REDIS_URL", redis.url),
        ("CHARTER_METRICS", "true"),
        ("CHARTER_METRICS_TOKEN", "t"),
    )
    server.start()

    def scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        page = httpx.get(f"{server.base_url}/metrics", headers={"authorization": "Bearer t"})
        return figures(page.text)

    try:
        await wait_for(lambda: ready(server)[0] == 200, 20, "readiness with Redis up")
        # Its own heartbeat's trip through Redis: the backplane's lag, in the metrics.
        lag = ("charter_backplane_lag_seconds", ())
        await wait_for(lambda: lag in scraped(), 20, "a heartbeat's trip through Redis")
        assert 0 <= scraped()[lag] < 1 and scraped()[("charter_backplane_up", ())] == 1
        redis.kill()
        await wait_for(lambda: ready(server)[1]["failing"] == ["backplane"], 20, "Redis down")
        assert ready(server)[0] == 503
        assert scraped()[("charter_backplane_up", ())] == 0 and lag not in scraped()
        redis.start()
        await wait_for(lambda: ready(server)[0] == 200, 30, "readiness with Redis back")
    finally:
        server.stop()
        redis.kill()


def test_json_lines_carry_the_fields_of_a_message_and_nothing_secret() -> None:
    record = logging.LogRecord(
        "charter.connection",
        logging.INFO,
        __file__,
        1,
        "%s closed code=%d reason=%s",
        ("conn=5 participant=12", 4403, "refused"),
        None,
    )
    RedactSecrets().filter(record)
    line = json.loads(JsonLines().format(record))
    assert line["conn"] == 5 and line["participant"] == 12 and line["code"] == 4403
    assert line["level"] == "info" and line["logger"] == "charter.connection"
    secret = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "GET /ws/x?token=abc123 HTTP/1.1", (), None
    )
    RedactSecrets().filter(secret)
    assert "abc123" not in JsonLines().format(secret)


def figures(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """A scraped page as {(sample name, labels): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_move_as_a_session_joins_edits_and_is_refused(settings: Settings) -> None:
    async with running_server(settings) as off:
        async with httpx.AsyncClient(base_url=off.base_url) as http:
            assert (await http.get("/metrics")).status_code == 404  # off unless asked for
    on = settings.with_overrides(metrics=True, metrics_token="jeton-des-metriques")
    async with running_server(on) as server:
        scraper = {"authorization": "Bearer jeton-des-metriques"}
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            assert (await http.get("/metrics")).status_code == 401
            wrong = {"authorization": "Bearer autre-chose"}
            assert (await http.get("/metrics", headers=wrong)).status_code == 401

            async def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
                answer = await http.get("/metrics", headers=scraper)
                assert answer.status_code == 200
                return figures(answer.text)

            before = await scrape()
            assert before[("charter_connections", (("endpoint", "ws"),))] == 0
            name = await first_document(server.base_url, DEMO_SLUG)
            editor = await make_token(server, "editor", "Eli")
            reader = await make_token(server, "reader", "Lou")
            async with PyClient(server.ws_url, name, editor) as client:
                await client.wait_text(lambda t: len(t) > 0)
                with client.doc.transaction():
                    client.text.insert(0, "Préambule. ")
                await until_server_has(server.base_url, name, lambda t: "Préambule" in t)
                await server.services.store.flush()
                during = await scrape()
                assert during[("charter_connections", (("endpoint", "ws"),))] == 1
                assert during[("charter_room_members", (("role", "editor"),))] >= 1
                edits = ("charter_edits_total", (("source", "client"),))
                assert during[edits] >= before.get(edits, 0) + 1
                acks = ("charter_acknowledgement_seconds_count", ())
                assert during[acks] >= 1
                assert during[("charter_store_commit_seconds_count", ())] >= 1
                assert during[("charter_document_loads_total", ())] >= 1

                wire = await Wire.open(server.ws_url, "yws", name, reader)
                await wire.admitted(reader)
                await wire.send(protocol.sync_update(insertion("[lecteur]")))
                assert await wire.wait_closed() == 4403
            after = await scrape()
            assert after[("charter_refused_writes_total", ())] == 1
            assert after[("charter_closes_total", (("code", "4403"),))] == 1
            assert after[("charter_connections", (("endpoint", "ws"),))] == 0
            assert after[("charter_store_queue", ())] == 0
            assert after[("charter_backplane_up", ())] == 1


def charter_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_check_finds_the_stored_charter_sound_then_names_what_is_broken(
    settings: Settings, database_url: str
) -> None:
    async with running_server(settings) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        editor = await make_token(server, "editor", "Eli")
        async with PyClient(server.ws_url, name, editor) as client:
            await client.wait_text(lambda t: len(t) > 0)
            for word in ("Un ", "deux ", "trois "):
                client.text.insert(0, word)
            await until_server_has(server.base_url, name, lambda t: t.startswith("trois deux"))
        await server.services.store.flush()
        charter = await server.services.repo.get_charter(DEMO_SLUG)
        await save_version(
            server.services.stores.versions, charter, server.services.article_doc, "v1", None
        )
    sound = charter_command("check", "--database-url", database_url)
    assert sound.returncode == 0, sound.stdout + sound.stderr
    assert "no problem" in sound.stdout and "saved state(s)" in sound.stdout

    # --repair rebuilds what derives from the rest: checkpoints (the log folded again, the
    # text the same) and saved states nothing names any more; never history.
    texts = await scalar(database_url, "SELECT COUNT(*) FROM doc_updates")
    assert isinstance(texts, int) and texts > 0
    await execute(database_url, "INSERT INTO doc_states (hash, state) VALUES ('orphan', :s)", s=b"")
    repaired = charter_command("check", "--repair", "--database-url", database_url)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "unused saved state(s) dropped" in repaired.stdout and "1 unused" in repaired.stdout
    assert await scalar(database_url, "SELECT COUNT(*) FROM doc_updates") == 0
    assert await scalar(database_url, "SELECT COUNT(*) FROM doc_states WHERE hash = 'orphan'") == 0
    async with running_server(settings) as server:
        assert (await server_text(server.base_url, name)).startswith("trois deux Un ")
    # Typed again, so that the log has rows to break below.
    async with running_server(settings) as server:
        async with PyClient(server.ws_url, name, editor) as client:
            await client.wait_text(lambda t: t.startswith("trois"))
            client.text.insert(0, "quatre ")
            await until_server_has(server.base_url, name, lambda t: t.startswith("quatre"))
        await server.services.store.flush()

    last = "SELECT document_id FROM doc_updates ORDER BY seq DESC LIMIT 1"
    document = await scalar(database_url, last)
    await execute(
        database_url,
        'UPDATE doc_updates SET "update" = :junk WHERE seq = (SELECT MAX(seq) FROM doc_updates)',
        junk=b"\x01\xff\xff\xff",
    )
    await execute(database_url, "UPDATE doc_states SET state = :junk", junk=b"\x00\x00")
    broken = charter_command("check", "--database-url", database_url)
    assert broken.returncode == 1
    assert f"document {document} (article): does not decode" in broken.stdout
    assert "its bytes no longer have its hash" in broken.stdout


async def written_by_eli(server: RunningServer, document: str) -> None:
    """The restored server still knows that Eli wrote the words Eli typed."""
    token = await make_token(server, "facilitator", "Fanny")
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article = next(
            a
            for s in (await http.get(f"/api/charters/{DEMO_SLUG}")).json()["sections"]
            for a in s["articles"]
            if a["document"] == document
        )
        found = (
            await http.get(f"/api/charters/{DEMO_SLUG}/articles/{article['id']}/authors")
        ).json()
    assert [p["name"] for p in found["summary"]["by_person"]] == ["Eli"]


async def test_a_backup_taken_while_people_type_restores_and_they_fill_in_the_rest(
    tmp_path: Path,
) -> None:
    live = tmp_path / "charter.db"
    copy = tmp_path / "backup.db"
    settings = Settings(database_url=f"sqlite:///{live}", seed_demo=True, admin_token=ADMIN_TOKEN)
    async with running_server(settings) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        token = await make_token(server, "editor", "Eli")
        client = PyClient(server.ws_url, name, token)
        await client.connect()
        await client.wait_text(lambda t: len(t) > 0)
        for n in range(40):  # typing, and the backup taken in the middle of it
            client.append(f" [{n}]")
            await asyncio.sleep(0.01)
            if n == 20:
                done = await asyncio.to_thread(
                    charter_command, "backup", str(copy), "--database-url", f"sqlite:///{live}"
                )
                assert done.returncode == 0, done.stderr
        await until_server_has(server.base_url, name, lambda t: "[39]" in t)
        await client.disconnect()
    assert (
        charter_command("backup", str(copy), "--database-url", f"sqlite:///{live}").returncode == 1
    )

    # The server comes back on the backup; the client reconnects and sends what it lacks.
    async with running_server(settings.with_overrides(database_url=f"sqlite:///{copy}")) as back:
        restored = await server_text(back.base_url, name)
        assert "[0]" in restored and "[39]" not in restored  # taken while typing went on
        await written_by_eli(back, name)  # who wrote what came with the backup
        client.url = client.url.replace(server.ws_url, back.ws_url)
        await client.connect()
        final = await until_server_has(back.base_url, name, lambda t: "[39]" in t)
        await client.disconnect()
    assert final == client.value()
    assert all(final.count(f"[{n}]") == 1 for n in range(40))


async def test_a_postgresql_backup_restores_with_pg_restore(pg: str, tmp_path: Path) -> None:
    dump = tmp_path / "charter.dump"
    settings = Settings(database_url=pg, seed_demo=True, admin_token=ADMIN_TOKEN)
    async with running_server(settings) as server:
        name = await first_document(server.base_url, DEMO_SLUG)
        token = await make_token(server, "editor", "Eli")
        async with PyClient(server.ws_url, name, token) as client:
            await client.wait_text(lambda t: len(t) > 0)
            client.append(" Sauvegardé.")
            wanted = await until_server_has(server.base_url, name, lambda t: "Sauvegardé" in t)
        done = await asyncio.to_thread(charter_command, "backup", str(dump), "--database-url", pg)
        assert done.returncode == 0, done.stderr
    async with fresh_database("postgresql", tmp_path / "restored", schema=False) as target:
        plain = make_url(target).set(drivername="postgresql").render_as_string(hide_password=False)
        restored = await asyncio.to_thread(
            subprocess.run,
            ["pg_restore", "--no-owner", "--dbname", plain, str(dump)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert restored.returncode == 0, restored.stderr
        async with running_server(settings.with_overrides(database_url=target)) as back:
            assert await server_text(back.base_url, name) == wanted
            await written_by_eli(back, name)


def test_charter_serve_times_its_garbage_collections_in_the_metrics(tmp_path: Path) -> None:
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'charter.db'}",
        SEED,
        ("CHARTER_METRICS", "true"),
        ("CHARTER_METRICS_TOKEN", "t"),
        ("CHARTER_GC_THRESHOLDS", "700,10,10"),
    )
    server.start()
    try:
        page = httpx.get(f"{server.base_url}/metrics", headers={"authorization": "Bearer t"})
        scraped = figures(page.text)
        # The full collection before the start-up heap is frozen, at least.
        full = scraped[("charter_gc_pause_seconds_count", (("generation", "2"),))]
        assert full >= 1
        assert 0 < scraped[("charter_gc_pause_seconds_sum", (("generation", "2"),))] < 5
        young = scraped.get(("charter_gc_pause_seconds_count", (("generation", "0"),)), 0)
        assert young >= 1  # 700 allocations pass in any start-up
    finally:
        server.stop()
