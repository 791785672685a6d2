"""Nothing stored is ever lost or duplicated: restarts, compaction, kill -9."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from crdt.article import text_of
from server.demo import DEMO_FILE, DEMO_SLUG
from server.settings import Settings
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


def stored_text(db: Path, document_id: int | None = None) -> str:
    """Rebuild a document's text straight from the database file (checkpoint + rows)."""
    with sqlite3.connect(db) as conn:
        if document_id is None:
            document_id = conn.execute("SELECT document_id FROM articles ORDER BY id").fetchone()[0]
        checkpoint = conn.execute(
            "SELECT state FROM doc_checkpoints WHERE document_id = ?", (document_id,)
        ).fetchall()
        rows = conn.execute(
            'SELECT "update" FROM doc_updates WHERE document_id = ? ORDER BY seq', (document_id,)
        ).fetchall()
    return text_of([r[0] for r in checkpoint] + [r[0] for r in rows])


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


async def test_compaction_keeps_the_content(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    settings = Settings(
        database_url=f"sqlite:///{db}", seed_demo=True, compact_every=25, admin_token=ADMIN_TOKEN
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

        def folded_and_left() -> tuple[int, int]:
            with sqlite3.connect(db) as conn:
                folded = conn.execute("SELECT SUM(updates_folded) FROM doc_checkpoints").fetchone()
                left = conn.execute("SELECT COUNT(*) FROM doc_updates").fetchone()
            return int(folded[0] or 0), int(left[0])

        # Compaction runs in the writer task right after the commits that make it due.
        await wait_for(lambda: folded_and_left()[0] >= 100, what="compaction")
        assert folded_and_left()[1] < 60
        # Read the stored CONTENT back: checkpoint + tail must give the client's text.
        assert stored_text(db) == expected
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
async def test_kill_9_during_a_storm_loses_nothing_committed(tmp_path: Path, trial: int) -> None:
    db = tmp_path / "k.db"
    proc = ServerProcess(
        f"sqlite:///{db}", ("CHARTER_SEED_DEMO", "true"), ("CHARTER_COMPACT_EVERY", "40")
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

        committed = marks(stored_text(db))
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


async def test_restarts_with_reconnecting_clients_never_duplicate(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    proc = ServerProcess(f"sqlite:///{db}", ("CHARTER_SEED_DEMO", "true"))
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
        async with PyClient(proc.ws_url, name, token) as check:
            text = check.value()
        assert all(n == 1 for n in marks(text).values()) and len(marks(text)) == 8
        assert text.count(first_line) == 1, "the seeded text was duplicated"
    finally:
        proc.stop()
