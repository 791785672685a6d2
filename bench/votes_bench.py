"""A live vote of the room: 50 phones vote within 10 seconds, the projector watches.

The server runs as ``charter serve`` in its own process (SQLite in a temporary folder, or
``--database-url``). 50 scripted participants (citizens, elected officials, organisers)
each hold a real websocket on the charter's channel over /collab, as a phone does, and
vote over HTTP at a random moment of a 10-second window (their own HTTP client each); one
more socket, the facilitator's, is the projector. Measured:

- ballot latency: from sending ``PUT …/ballot`` to its answer (the ballot committed and
  counted), p50 / p99 / max over the 50;
- every ballot counted: from the first ballot sent to the last answer, and from the last
  ballot sent to the last answer;
- the projector has the final counts: from the last ballot sent to the moment the
  projector's socket receives the event whose counts hold all 50 ballots; and the same for
  the slowest of the 50 phones' sockets.

Run: .venv/bin/python bench/votes_bench.py [--participants 50] [--window 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from persistence.engine import make_engine, migrate
from persistence.people import People
from persistence.repo import Repo
from server.access import Role
from server.domain.demo import DEMO_SLUG, seed_demo
from server.domain.participation import create_bot
from server.names import charter_channel
from tests.support import ServerProcess
from tests.wire_client import Wire, parse_collab

API = f"/api/charters/{DEMO_SLUG}"
BADGES = ("citizen", "citizen", "citizen", "elected", "organiser")


async def people(url: str, count: int) -> tuple[str, list[str]]:
    """The demo charter and its participants, written before the server starts."""
    engine = make_engine(url)
    try:
        await migrate(engine)
        repo, folks = Repo(engine), People(engine)
        await seed_demo(repo)
        charter = await repo.get_charter(DEMO_SLUG)
        boss = await create_bot(folks, charter, "Animatrice", Role.FACILITATOR)
        tokens = []
        for n in range(count):
            joined = await create_bot(folks, charter, f"Participant {n + 1}", Role.COMMENTER)
            badge = BADGES[n % len(BADGES)]
            await folks.update_participant(charter.id, joined.participant.id, badge=badge)
            tokens.append(joined.token)
        return boss.token, tokens
    finally:
        await engine.dispose()


def final_seen(wire: Phone, total: int) -> float | None:
    """When ``wire`` received the event counting ``total`` ballots (monotonic), if it did."""
    for frame, at in zip(wire.frames, wire.arrivals, strict=False):
        if frame.kind != "stateless":
            continue
        event = json.loads(frame.text)
        if event.get("type") == "vote" and event["vote"]["ballots"] == total:
            return at
    return None


class Phone(Wire):
    """A socket on the charter's channel that stamps each frame's arrival (monotonic)."""

    def __init__(self, ws: websockets.ClientConnection, collab: bool, doc: str) -> None:
        self.arrivals: list[float] = []
        super().__init__(ws, collab, doc)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                assert isinstance(raw, bytes), "the server sent a text frame"
                self.frames.append(parse_collab(raw))
                self.arrivals.append(time.monotonic())
                self._news.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            self._news.set()


async def listener(ws_url: str, token: str) -> Phone:
    ws = await websockets.connect(f"{ws_url}/collab", max_size=None, compression=None)
    phone = Phone(ws, True, charter_channel(DEMO_SLUG))
    await phone.admitted(token)
    return phone


async def one_run(
    server: ServerProcess, boss: str, tokens: list[str], window: float
) -> dict[str, Any]:
    rng = random.Random()
    phones = [await listener(server.ws_url, t) for t in tokens]
    projector = await listener(server.ws_url, boss)
    clients = [
        httpx.AsyncClient(base_url=server.base_url, headers={"authorization": f"Bearer {t}"})
        for t in tokens
    ]
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"authorization": f"Bearer {boss}"}
    ) as admin:
        opened = await admin.post(f"{API}/votes", json={"subject": {"kind": "charter"}})
        assert opened.status_code == 201, opened.text
        vote = opened.json()
        sent: list[float] = []
        latencies: list[float] = []
        answered: list[float] = []

        async def vote_once(http: httpx.AsyncClient, delay: float) -> None:
            await asyncio.sleep(delay)
            choice = rng.choice(vote["choices"])
            start = time.monotonic()
            sent.append(start)
            done = await http.put(f"{API}/votes/{vote['id']}/ballot", json={"choice": choice})
            end = time.monotonic()
            assert done.status_code == 200, done.text
            latencies.append(end - start)
            answered.append(end)

        await asyncio.gather(*(vote_once(c, rng.uniform(0, window)) for c in clients))
        total = len(tokens)
        deadline = time.monotonic() + 10
        while final_seen(projector, total) is None or any(
            final_seen(p, total) is None for p in phones
        ):
            assert time.monotonic() < deadline, "the final counts never reached every socket"
            await asyncio.sleep(0.01)
        result = (await admin.post(f"{API}/votes/{vote['id']}/close")).json()
        assert result["ballots"] == total and sum(result["counts"].values()) == total
    for http in clients:
        await http.aclose()
    seen = final_seen(projector, total)
    phones_seen = max(final_seen(p, total) or 0.0 for p in phones)
    for wire in [*phones, projector]:
        await wire.close()
    assert seen is not None
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000,
        "max_ms": latencies[-1] * 1000,
        "first_sent_to_all_counted_s": max(answered) - min(sent),
        "last_sent_to_all_counted_ms": (max(answered) - max(sent)) * 1000,
        "last_sent_to_projector_ms": (seen - max(sent)) * 1000,
        "last_sent_to_slowest_phone_ms": (phones_seen - max(sent)) * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--window", type=float, default=10.0, help="seconds they all vote in")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/charter.db"
        boss, tokens = await people(url, args.participants)
        server = ServerProcess(url)
        server.start()
        try:
            runs = [await one_run(server, boss, tokens, args.window) for _ in range(args.runs)]
        finally:
            server.stop()
    print(f"{args.participants} participants voting within {args.window:g} s, {args.runs} runs")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(
            f"{key:32} median {statistics.median(values):9.1f}"
            f"   (min {min(values):.1f}, max {max(values):.1f})"
        )


if __name__ == "__main__":
    asyncio.run(main())
