"""Refused writes benchmark: what readers who keep writing cost everyone else.

One ``charter serve`` process on SQLite (a temporary file). A charter holds a large article
(about 600 KB of text) and a small one. A victim editor on the small article sends a
stateless ping over ``/collab`` every 20 ms and times each pong. Then ``--attackers`` reader
sockets each send refused inserts to the large article at ``--rate`` per second; whenever the
server closes a session (Close) or a socket, the attacker opens a new socket and carries on,
as a hostile client would. Reported: the victim's round trip (median, p99, max) while quiet
and under attack, refusals answered, sessions closed.

Run: .venv/bin/python bench/refused_writes.py [--attackers 20] [--rate 70] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crdt import hocuspocus as hp  # noqa: E402
from crdt.lib0 import Reader, write_var_string  # noqa: E402
from crdt.protocol import sync_update  # noqa: E402

ADMIN = "bench-admin-token"
SLUG = "refus"
PARAGRAPH = (
    "La Ville publie ses données publiques dans des formats ouverts, réutilisables par "
    "tous, et rend compte chaque année des engagements pris avec les habitants. "
)


@dataclass
class Tally:
    refused: int = 0
    closed_sessions: int = 0
    sockets: int = 0
    errors: list[str] = field(default_factory=list)


def auth(doc: str, token: str) -> bytes:
    return (
        hp.prefix(doc)
        + bytes((hp.AUTH, hp.AUTH_TOKEN))
        + write_var_string(token)
        + write_var_string("4.8.0")
    )


def kind_of(frame: bytes) -> tuple[str, int, int | None]:
    """(document, message type, first payload varUint) of a Hocuspocus frame."""
    reader = Reader(frame)
    name = reader.read_var_string()
    kind = reader.read_var_uint()
    sub = reader.read_var_uint() if reader.remaining() else None
    return name, kind, sub


def insertion(n: int) -> bytes:
    """A fresh client's insert of a short text (a new client each time: always a change)."""
    from pycrdt import Doc, Text

    doc = Doc()
    doc.get("body", type=Text).insert(0, f"[refus {n}]")
    return doc.get_update()


def start_server(database: Path) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "CHARTER_ADMIN_TOKEN": ADMIN,
        "CHARTER_SEED_DEMO": "false",
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--port",
            "0",
            "--log-level",
            "error",
            "--database-url",
            f"sqlite:///{database}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    match = re.search(r"port (\d+)", proc.stdout.readline())
    assert match, "charter serve did not print its port"
    base = f"http://127.0.0.1:{match[1]}"
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)


async def setup(base: str, kib: int, readers: int) -> tuple[str, str, str, list[str]]:
    """The charter: (large document, small document, editor token, reader tokens)."""
    headers = {"authorization": f"Bearer {ADMIN}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
        (await http.post("/api/charters", json={"slug": SLUG, "title": "Refus"})).raise_for_status()
        section = (await http.post(f"/api/charters/{SLUG}/sections", json={"title": "S"})).json()
        for title, markdown in (("Grand", "Un long article."), ("Petit", "Un court article.")):
            made = await http.post(
                f"/api/charters/{SLUG}/sections/{section['id']}/articles",
                json={"title": title, "markdown": markdown},
            )
            made.raise_for_status()
        charter = (await http.get(f"/api/charters/{SLUG}")).json()
        large, small = [a["document"] for a in charter["sections"][0]["articles"]]
        tokens = []
        for role, count in (("editor", 1), ("reader", readers)):
            invite = await http.post(
                f"/api/charters/{SLUG}/invites", json={"role": role, "max_uses": count}
            )
            link = invite.json()["link"]
            for i in range(count):
                joined = await http.post(link, json={"name": f"{role} {i}"})
                joined.raise_for_status()
                tokens.append(joined.json()["token"])
    await write(base.replace("http", "ws", 1) + "/collab", large, tokens[0], kib)
    return large, small, tokens[0], tokens[1:]


async def write(url: str, doc: str, token: str, kib: int) -> None:
    """The editor writes ``kib`` KiB into ``doc`` (in 100 KiB updates), acknowledged."""
    from pycrdt import Doc, Text

    chunk = PARAGRAPH * (100 * 1024 // len(PARAGRAPH.encode()))
    async with websockets.connect(url, max_size=None, compression=None) as ws:
        await ws.send(auth(doc, token))
        for _ in range(max(1, kib // 100)):
            writer = Doc()
            writer.get("body", type=Text).insert(0, chunk)
            await ws.send(hp.prefix(doc) + sync_update(writer.get_update()))
            while True:
                frame = bytes(await ws.recv())
                if frame[:1] != hp.PING and kind_of(frame)[1] == hp.SYNC_STATUS:
                    assert kind_of(frame)[2] == 1, "the large article was not written"
                    break


async def victim(url: str, doc: str, token: str, stop: asyncio.Event) -> list[float]:
    """Round trips (ms) of stateless pings on ``doc`` until ``stop``."""
    times: list[float] = []
    async with websockets.connect(url, max_size=None, compression=None) as ws:
        await ws.send(auth(doc, token))
        while kind_of(bytes(await ws.recv()))[1] != hp.AUTH:
            pass
        for n in itertools.count():
            if stop.is_set():
                return times
            sent = time.perf_counter()
            await ws.send(hp.stateless(hp.prefix(doc), json.dumps({"type": "ping", "id": n})))
            while True:
                frame = bytes(await ws.recv())
                if frame[:1] != hp.PING and kind_of(frame)[1] == hp.STATELESS:
                    break
            times.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(0.02)
    return times


async def attacker(
    url: str,
    doc: str,
    token: str,
    rate: float,
    stop: asyncio.Event,
    tally: Tally,
    counter: itertools.count[int],
    mode: str,
) -> None:
    """``refuse``: refused inserts, a new socket whenever the session is closed; ``stay``:
    refused inserts on one socket until the server closes it, no reconnecting; ``churn``:
    open a socket, authenticate, close, again (no writes: the cost of reconnecting alone)."""
    while not stop.is_set():
        try:
            async with websockets.connect(url, max_size=None, compression=None) as ws:
                tally.sockets += 1
                await ws.send(auth(doc, token))
                if mode == "churn":
                    while kind_of(bytes(await ws.recv()))[1] != hp.AUTH:
                        pass
                    continue
                await _hammer(ws, doc, rate, stop, tally, counter, stay=mode == "stay")
                if mode == "stay":
                    await stop.wait()
        except (websockets.ConnectionClosed, OSError) as exc:
            if not isinstance(exc, websockets.ConnectionClosed):
                tally.errors.append(repr(exc))
                await asyncio.sleep(0.1)


async def _hammer(
    ws: websockets.ClientConnection,
    doc: str,
    rate: float,
    stop: asyncio.Event,
    tally: Tally,
    counter: itertools.count[int],
    stay: bool,
) -> None:
    closed = asyncio.Event()

    async def read() -> None:
        async for raw in ws:
            frame = bytes(raw)
            if frame[:1] in (hp.PING, hp.PONG):
                continue
            _, kind, sub = kind_of(frame)
            if kind == hp.SYNC_STATUS and sub == 0:
                tally.refused += 1
            elif kind == hp.CLOSE or (kind == hp.AUTH and sub == hp.AUTH_PERMISSION_DENIED):
                tally.closed_sessions += kind == hp.CLOSE
                if not stay:
                    closed.set()
                    return

    reader = asyncio.ensure_future(read())
    try:
        while not stop.is_set() and not closed.is_set() and not reader.done():
            await ws.send(hp.prefix(doc) + sync_update(insertion(next(counter))))
            await asyncio.sleep(1 / rate)
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "pings": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max_ms": round(ordered[-1], 2),
    }


Attack = tuple[str, list[str], float, str]  # document, reader tokens, rate, mode


async def phase(
    ws_url: str, small: str, editor: str, seconds: float, attack: Attack | None
) -> tuple[dict[str, float], Tally]:
    """The victim pings in this process; the attackers run in a process of their own, so
    that their client-side work does not count in the victim's round trips."""
    stop = asyncio.Event()
    tally = Tally()
    attackers = None
    if attack is not None:
        context = multiprocessing.get_context("spawn")
        halt, results = context.Event(), context.Queue()
        attackers = context.Process(target=attack_process, args=(ws_url, attack, halt, results))
        attackers.start()
        await asyncio.sleep(2)  # the attack is under way before measuring
    pings = asyncio.ensure_future(victim(ws_url, small, editor, stop))
    await asyncio.sleep(seconds)
    stop.set()
    times = await pings
    if attackers is not None:
        halt.set()
        tally = await asyncio.to_thread(results.get, True, 60)
        attackers.join(10)
    return summary(times), tally


def attack_process(ws_url: str, attack: Attack, halt: Any, results: Any) -> None:
    results.put(asyncio.run(attack_all(ws_url, attack, halt)))


async def attack_all(ws_url: str, attack: Attack, halt: Any) -> Tally:
    large, readers, rate, mode = attack
    stop = asyncio.Event()
    tally = Tally()
    counter = itertools.count()
    tasks = [
        asyncio.ensure_future(attacker(ws_url, large, t, rate, stop, tally, counter, mode))
        for t in readers
    ]
    await asyncio.to_thread(halt.wait)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return tally


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attackers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=70.0, help="refused inserts/s per socket")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--kib", type=int, default=600, help="size of the large article")
    parser.add_argument("--modes", default="stay,refuse,churn", help="attacks, in turn")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        proc, base = start_server(Path(folder) / "bench.db")
        try:
            large, small, editor, readers = await setup(base, args.kib, args.attackers)
            ws_url = base.replace("http", "ws", 1) + "/collab"
            quiet, _ = await phase(ws_url, small, editor, args.seconds, None)
            report: dict[str, object] = {
                "attackers": args.attackers,
                "rate_per_socket": args.rate,
                "article_kib": args.kib,
                "quiet": quiet,
            }
            for mode in args.modes.split(","):
                attack = (large, readers, args.rate, mode)
                loaded, tally = await phase(ws_url, small, editor, args.seconds, attack)
                report[mode] = {
                    **loaded,
                    "p99_ratio": round(loaded["p99_ms"] / quiet["p99_ms"], 2),
                    "refusals_answered": tally.refused,
                    "sessions_closed": tally.closed_sessions,
                    "sockets_opened": tally.sockets,
                    "errors": tally.errors[:3],
                }
        finally:
            proc.terminate()
            proc.wait(10)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
