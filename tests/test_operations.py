"""What an operator relies on: readiness that follows the database, Redis and the store's
acknowledgements, and log lines a collector can read (one JSON object per line, with the
document, participant id and close code as fields, never a secret)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from crdt import protocol
from server.domain.demo import DEMO_SLUG
from server.logs import JsonLines, RedactSecrets
from server.settings import Settings
from tests.databases import fresh_database
from tests.hpdriver import HocuspocusClient
from tests.proxy import TcpProxy
from tests.redisdb import PrivateRedis
from tests.support import (
    PyClient,
    ServerProcess,
    cli_token,
    first_document,
    make_token,
    running_server,
    until_server_has,
    wait_for,
)
from tests.wire_client import Wire, insertion

SEED = ("CHARTER_SEED_DEMO", "true")


@pytest.fixture
async def pg(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database("postgresql", tmp_path) as url:
        yield url


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
    server = ServerProcess(pg, SEED, ("CHARTER_REDIS_URL", redis.url))
    server.start()
    try:
        await wait_for(lambda: ready(server)[0] == 200, 20, "readiness with Redis up")
        redis.kill()
        await wait_for(lambda: ready(server)[1]["failing"] == ["backplane"], 20, "Redis down")
        assert ready(server)[0] == 503
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
