"""Digests of a period: 500 participants of a 60-article charter, computed and queued.

The data set is built through the real server (in this process, SQLite in a temporary
folder, an SMTP server that is never there: mails stay in the outbox): 60 articles of ~150
words, 500 commenters with a verified address and a daily digest who follow the whole
charter and saw every article at one of three moments (their marks: a snapshot each), 20
articles edited after each moment, 200 threads with 400 replies (some with @mentions), 10
amendments (3 rejected, with votes) and an open vote of the room with an end. Timed: the
gathering of the charter's state, the composition of the 500 digests (word diffs, events,
what is asked), and the whole ``send_digests`` (gathering, composition, rendering, queueing
500 e-mails and moving 30,000 marks), on one core.

Run: .venv/bin/python bench/digests_bench.py [--participants 500] [--articles 60]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from persistence.comments import Author, NewThread
from persistence.follows import FollowRow
from server.access import Role
from server.domain.demo import DEMO_SLUG
from server.domain.digest_sending import send_digests
from server.domain.digests import compose, gather
from server.domain.follows import current_marks
from server.domain.participation import create_bot
from server.settings import Settings
from tests.support import ADMIN_TOKEN, PyClient, RunningServer, make_token, running_server

API = f"/api/charters/{DEMO_SLUG}"
WORDS = (
    "la ville publie ses données ouvertes chaque habitant peut proposer une idée les élus "
    "répondent sous un mois le conseil rend compte de ses décisions en public"
).split()


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


async def articles(boss: httpx.AsyncClient, count: int, rng: random.Random) -> list[dict[str, str]]:
    section = (await boss.get(API)).json()["sections"][0]["id"]
    made = []
    for n in range(count):
        body = {"title": f"Article {n + 1}", "markdown": paragraph(rng, 150)}
        made.append((await boss.post(f"{API}/sections/{section}/articles", json=body)).json())
    return made


async def edit(server: RunningServer, token: str, article: dict[str, str], text: str) -> None:
    async with PyClient(server.ws_url, article["document"], token) as live:
        live.append(text)
        await live.wait_text(lambda t: text in t)
    await server.services.store.flush()


async def build(server: RunningServer, participants: int, count: int) -> list[int]:
    rng = random.Random(7)
    svc = server.services
    charter = await svc.repo.get_charter(DEMO_SLUG)
    editor = await make_token(server, "editor", "Rédactrice")
    boss_token = await make_token(server, "facilitator", "Animatrice")
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"authorization": f"Bearer {boss_token}"}
    ) as boss:
        made = await articles(boss, count, rng)
        charter = await svc.repo.get_charter(DEMO_SLUG)
        ids = []
        for n in range(participants):
            joined = await create_bot(svc.people, charter, f"Personne {n + 1}", Role.COMMENTER)
            pid = joined.participant.id
            ids.append(pid)
            await svc.stores.accounts.set_pending(pid, f"p{pid}@example.org")
            await svc.stores.accounts.verify(pid, f"p{pid}@example.org", datetime.now(UTC))
            await svc.stores.follows.set_preferences(pid, "daily", False)
            await svc.stores.follows.put(
                charter.id, FollowRow(pid, "charter", charter.id, "explicit", False)
            )
        every = [a for _, a in charter.articles()]
        for wave in range(3):  # three moments they last looked, edits after each
            marks = await current_marks(svc, every)
            rows = [(p, a.id, marks[a.id]) for p in ids[wave::3] for a in every]
            await svc.stores.follows.put_marks(rows)
            for article in rng.sample(made, min(20, len(made))):
                await edit(server, editor, article, f" {paragraph(rng, 12)}")
        for _ in range(200):
            article = rng.choice(every)
            author = rng.choice(ids)
            new = NewThread(
                charter.id, article.id, None, "", author, f"Personne {author}", "Avis.", None
            )
            thread = await svc.stores.comments.create_thread(new)
            for _ in range(2):
                other = rng.choice(ids)
                body = (
                    f"Oui, @Personne {rng.randrange(participants) + 1}"
                    if rng.random() < 0.3
                    else "Oui."
                )
                await svc.stores.comments.add_comment(
                    thread, Author(other, f"Personne {other}"), body, None
                )
        for n in range(10):
            article = rng.choice(made)
            body = {"title": f"Amendement {n + 1}", "rationale": "Pour aller plus vite."}
            amendment = (
                await boss.post(f"{API}/articles/{article['id']}/amendments", json=body)
            ).json()
            if n < 3:
                await boss.post(
                    f"{API}/amendments/{amendment['id']}/reject", json={"reason": "Non"}
                )
        vote = {"subject": {"kind": "article", "article": made[0]["id"]}, "duration_seconds": 3600}
        await boss.post(f"{API}/votes", json=vote)
    return ids


async def main(participants: int, count: int) -> None:
    logging.getLogger("charter.mail").setLevel(logging.CRITICAL)  # no SMTP server: no noise
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/bench.db",
            seed_demo=True,
            admin_token=ADMIN_TOKEN,
            smtp_url="smtp://127.0.0.1:9",
            mail_from="charte@example.org",
        )
        async with running_server(settings) as server:
            started = time.perf_counter()
            ids = await build(server, participants, count)
            print(f"data set built in {time.perf_counter() - started:.1f} s")
            svc = server.services
            charter = await svc.repo.get_charter(DEMO_SLUG)
            now = datetime.now(UTC)
            started = time.perf_counter()
            data = await gather(svc, charter)
            gathered = time.perf_counter() - started
            started = time.perf_counter()
            digests = [compose(data, p, now.replace(hour=0)) for p in ids]
            composed = time.perf_counter() - started
            lines = sum(len(d.articles) for d in digests)
            print(f"gather: {gathered:.2f} s; compose {len(digests)} digests: {composed:.2f} s")
            print(f"articles with news per digest: {lines / len(digests):.1f}")
            started = time.perf_counter()
            queued = await send_digests(svc, charter, now)
            total = time.perf_counter() - started
            print(f"send_digests: {queued} e-mails queued in {total:.2f} s")
            if total > 30:
                raise SystemExit("over the 30 s target")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--articles", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(main(args.participants, args.articles))
