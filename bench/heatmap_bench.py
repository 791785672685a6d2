"""The heat-map of stances: the cost of shading a 5,000-word article under 200 threads.

A real server (SQLite in a temporary folder); a real Yjs client writes an article of about
5,000 words in 500 pieces and then deletes 300 short stretches inside it (tombstones and
split items, as after a workshop's editing); 30 participants (10 citizens, 10 elected
officials, 10 organisers) open 200 threads on passages of 30 to 200 characters, each with a
stance, and answer them with 0 to 4 more stances. Measured, median of several runs:

- server: ``GET …/articles/{key}/stances`` (the threads, their places, the counts);
- browser: Debian's Chromium shades the editor's text (``data-draw-ms`` of the panel: the
  200 anchors resolved on the page's Yjs document, the counts swept over the characters,
  the runs mapped onto the editor's text nodes, the highlights set), for everyone, for one
  badge, and after a keystroke.

Run: .venv/bin/python bench/heatmap_bench.py [--runs 7] [--words 5000] [--threads 200]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crdt.relpos import RelPos
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.support import ADMIN_TOKEN, PyClient, make_token, running_server, server_text

API = f"/api/charters/{DEMO_SLUG}"
WORDS = (
    "la ville publie ses donnees publiques dans des formats ouverts chaque habitant peut "
    "proposer consulter commenter les decisions du conseil elus citoyens associations "
    "coproduisent politiques quartier budget participatif transparence participation "
    "evaluation reunions ouvertes atelier interet general concertation deliberation"
).split()  # ASCII: a character's Yjs clock is its offset in what the client typed
STANCES = ("for", "against", "mixed")
BADGES = ("citizen", "elected", "organiser")
CHROMIUM = os.environ.get("CHARTER_CHROMIUM", "/usr/bin/chromium")


async def write_article(server: Any, document: str, token: str, words: int) -> tuple[int, set[int]]:
    """The article's text typed in pieces, then short stretches deleted: the client's id,
    and the offsets (in what was typed) of the deleted characters."""
    rng = random.Random(11)
    typed = " ".join(rng.choice(WORDS) for _ in range(words))
    deleted: set[int] = set()
    async with PyClient(server.ws_url, document, token) as client:
        for at in range(0, len(typed), len(typed) // 500 + 1):
            client.append(typed[at : at + len(typed) // 500 + 1])
            await asyncio.sleep(0)
        # From the end: what comes before a stretch is still as it was typed (ASCII: its
        # offset is its byte index).
        for start in sorted(rng.sample(range(100, len(typed) - 100), 300), reverse=True):
            if deleted & set(range(start - 4, start + 8)):
                continue
            del client.text[start : start + 3]
            deleted |= {start, start + 1, start + 2}
        final = client.value()
        for _ in range(1200):
            if await server_text(server.base_url, document) == final:
                break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError("the server never had the whole article")
        me = int(client.doc.client_id)
    return me, deleted


def anchor(me: int, start: int, end: int, quote: str) -> dict[str, str]:
    ends = (RelPos(me, start, 0).encode(), RelPos(me, end - 1, -1).encode())
    encoded = dict(zip(("start", "end"), (base64.b64encode(e).decode() for e in ends), strict=True))
    return {**encoded, "quote": quote}


async def discuss(
    server: Any, key: str, me: int, typed_length: int, deleted: set[int], threads: int
) -> int:
    """``threads`` threads with stances by 30 participants with badges; the comments made."""
    rng = random.Random(5)
    people = []
    for n in range(30):
        token = await make_token(server, "commenter", f"P{n}")
        charter = await server.services.repo.get_charter(DEMO_SLUG)
        participant = int(token.split(".", 1)[0])
        await server.services.people.update_participant(
            charter.id, participant, badge=BADGES[n % 3]
        )
        people.append(token)
    made = 0
    for _ in range(threads):
        while True:
            start = rng.randrange(0, typed_length - 220)
            end = start + rng.randint(30, 200)
            if start not in deleted and end - 1 not in deleted:
                break
        who = rng.sample(people, rng.randint(1, 5))
        async with httpx.AsyncClient(
            base_url=server.base_url, headers={"authorization": f"Bearer {who[0]}"}
        ) as http:
            body = {
                "body": "Avis",
                "stance": rng.choice(STANCES),
                "anchor": anchor(me, start, end, "passage"),
            }
            opened = (await http.post(f"{API}/articles/{key}/threads", json=body)).json()
        made += 1
        for token in who[1:]:
            async with httpx.AsyncClient(
                base_url=server.base_url, headers={"authorization": f"Bearer {token}"}
            ) as http:
                body = {"body": "Réponse", "stance": rng.choice(STANCES)}
                answer = await http.post(f"{API}/threads/{opened['id']}/comments", json=body)
                answer.raise_for_status()
            made += 1
    return made


async def measure_server(http: httpx.AsyncClient, key: str, runs: int) -> dict[str, float]:
    """The heat-map's answer, and (to compare) the discussion panel's list of threads."""
    took: dict[str, list[float]] = {"stances": [], "threads": []}
    for _ in range(runs):
        for name in took:
            started = time.perf_counter()
            (await http.get(f"{API}/articles/{key}/{name}")).raise_for_status()
            took[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in took.items()}


async def drawn(page: Any) -> float:
    return float(await page.locator(".heatmap-panel").get_attribute("data-draw-ms") or 0)


async def measure_browser(base_url: str, link: str, key: str, runs: int) -> dict[str, float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = await browser.new_context(
            base_url=base_url, locale="fr-FR", viewport={"width": 1280, "height": 900}
        )
        page = await context.new_page()
        await page.goto(link)
        await page.get_by_label("Votre nom").fill("Mesure")
        await page.locator("form button[type=submit]").click()
        await page.wait_for_url("**/charters/*")
        await page.goto(f"/charters/{DEMO_SLUG}/articles/{key}")
        await page.wait_for_selector(".save-state[data-state=saved]")
        await page.locator(".heatmap-panel summary").click()
        show = page.get_by_label("Colorer le texte selon les avis")
        draws: dict[str, list[float]] = {"all": [], "badge": [], "typing": []}
        for _ in range(runs):
            await show.uncheck()
            await show.check()
            await page.wait_for_function(
                "() => document.querySelector('.heatmap-panel').dataset.drawMs && "
                "[...CSS.highlights.keys()].some(n => n.startsWith('heat-'))"
            )
            draws["all"].append(await drawn(page))
            await page.get_by_label("Élu·es").check()
            draws["badge"].append(await drawn(page))
            await page.get_by_label("Tout le monde").check()
        await page.locator(".ql-editor").click()
        for _ in range(runs):
            await page.keyboard.type("x")
            await page.wait_for_timeout(100)
            draws["typing"].append(await drawn(page))
        threads = await page.locator(".heatmap-panel").get_attribute("data-threads")
        await browser.close()
    print(f"browser: {threads} threads placed")
    return {mode: statistics.median(values) for mode, values in draws.items()}


async def main(runs: int, words: int, threads: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/charter.db",
            seed_demo=True,
            admin_token=ADMIN_TOKEN,
            max_comments_per_minute=0,
            max_messages_per_second=100_000,  # one client types the whole article at once
        )
        async with running_server(settings) as server:
            writer = await make_token(server, "editor", "Awa")
            facilitator = await make_token(server, "facilitator", "Fanny")
            headers = {"authorization": f"Bearer {facilitator}"}
            async with httpx.AsyncClient(
                base_url=server.base_url, headers=headers, timeout=60
            ) as http:
                charter = (await http.get(API)).json()
                section = charter["sections"][0]["id"]
                article = (
                    await http.post(f"{API}/sections/{section}/articles", json={"title": "Long"})
                ).json()
                started = time.perf_counter()
                me, deleted = await write_article(server, article["document"], writer, words)
                text = await server_text(server.base_url, article["document"])
                typed = len(text) + len(deleted)
                made = await discuss(server, article["id"], me, typed, deleted, threads)
                took = time.perf_counter() - started
                print(
                    f"article: {len(text.split())} words, {len(text)} characters; "
                    f"{threads} threads, {made} comments with a stance; set up in {took:.0f} s"
                )
                server_ms = await measure_server(http, article["id"], runs)
                print(f"server, GET stances: {server_ms['stances']:.1f} ms (median of {runs})")
                print(f"server, GET threads (to compare): {server_ms['threads']:.1f} ms")
                link = (
                    await http.post(f"{API}/invites", json={"role": "editor", "label": "bench"})
                ).json()["link"]
            browser = await measure_browser(server.base_url, link, article["id"], runs)
            print(f"browser, shading for everyone: {browser['all']:.1f} ms")
            print(f"browser, shading for one badge: {browser['badge']:.1f} ms")
            print(f"browser, shading after a keystroke: {browser['typing']:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--words", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=200)
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.words, options.threads))
