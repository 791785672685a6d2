"""Who wrote what: the cost of attribution on a 5,000-word article written by three people.

A real server (SQLite in a temporary folder) and three real Yjs clients over /ws write one
article of about 5,000 words in many small edits (insertions of a few words at random places,
some deletions), the way a workshop table does: thousands of Yjs items, runs of every author
interleaved. Measured, median of several runs:

- server: ``GET …/articles/{key}/authors`` with the character ids computed afresh (the
  heavy part: one id per character, read in the article's ASCII twin), and again with them
  cached (what every later request for an unchanged text costs); ``GET …/why`` for a
  passage of 100 characters (the "where does this passage come from?" panel);
- storage: the rows the authors take in the database (``doc_authors``), against the
  article's compacted state;
- browser: Debian's Chromium draws the text's colours (``data-draw-ms`` of the panel: the
  Yjs items walked, the runs mapped onto the editor's text nodes, the highlights set),
  by person and by badge, then after each of a series of keystrokes.

Run: .venv/bin/python bench/authors_bench.py [--runs 7] [--words 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.domain import provenance
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    make_token,
    running_server,
    server_text,
)

API = f"/api/charters/{DEMO_SLUG}"
WORDS = (
    "la ville publie ses données publiques dans des formats ouverts chaque habitant peut "
    "proposer consulter commenter les décisions du conseil élus citoyens associations "
    "coproduisent politiques quartier budget participatif transparence participation "
    "évaluation réunions ouvertes l’atelier intérêt général concertation délibération"
).split()
CHROMIUM = os.environ.get("CHARTER_CHROMIUM", "/usr/bin/chromium")


async def write_article(server: Any, document: str, tokens: list[str], words: int) -> int:
    """Three clients write ``words`` words in small edits; returns the edits made."""
    rng = random.Random(7)
    clients = [PyClient(server.ws_url, document, token) for token in tokens]
    for client in clients:
        await client.connect()
        await client.synced.wait()
    edits = 0
    while True:
        client = rng.choice(clients)
        text = str(client.text)
        if len(text.split()) >= words:
            break
        spaces = [i for i, c in enumerate(text) if c == " "] or [len(text)]
        at = rng.choice(spaces)
        if rng.random() < 0.08 and len(text) > 40:
            start = len(text[:at].encode())
            del client.text[start : start + len(text[at : at + 6].encode())]
        else:
            piece = " " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
            client.text.insert(len(text[:at].encode()), piece)
        edits += 1
        if edits % 25 == 0:
            await asyncio.sleep(0.02)  # let the others hear of it: edits interleave
    final = str(clients[0].text)
    for _ in range(500):
        if await server_text(server.base_url, document) == final and all(
            str(c.text) == final for c in clients
        ):
            break
        await asyncio.sleep(0.02)
    for client in clients:
        await client.disconnect()
    await server.services.store.flush()
    return edits


async def measure_server(
    server: Any, http: httpx.AsyncClient, key: str, runs: int
) -> dict[str, float]:
    fresh, cached = [], []
    for _ in range(runs):
        provenance._ids.clear()
        started = time.perf_counter()
        (await http.get(f"{API}/articles/{key}/authors")).raise_for_status()
        fresh.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        (await http.get(f"{API}/articles/{key}/authors")).raise_for_status()
        cached.append((time.perf_counter() - started) * 1000)
    why = []
    for _ in range(runs):  # "where does this passage come from?" on 100 characters
        started = time.perf_counter()
        answer = await http.get(f"{API}/articles/{key}/why", params={"start": 2000, "end": 2100})
        answer.raise_for_status()
        why.append((time.perf_counter() - started) * 1000)
    return {
        "fresh": statistics.median(fresh),
        "cached": statistics.median(cached),
        "why": statistics.median(why),
    }


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
        await page.locator(".authors-panel summary").click()
        draws: dict[str, list[float]] = {"person": [], "badge": [], "typing": []}
        for _ in range(runs):
            for mode, label in (("person", "Par personne"), ("badge", "Par qualité")):
                await page.get_by_label("Aucune").check()
                await page.get_by_label(label).check()
                await page.wait_for_function(
                    "() => document.querySelector('.authors-panel').dataset.drawMs && "
                    "CSS.highlights.size > 0"
                )
                draws[mode].append(
                    float(await page.locator(".authors-panel").get_attribute("data-draw-ms") or 0)
                )
        await page.locator(".ql-editor").click()
        for _ in range(runs):
            before = await page.locator(".authors-panel").get_attribute("data-draw-ms")
            await page.keyboard.type("x")
            await page.wait_for_timeout(100)
            draws["typing"].append(
                float(
                    await page.locator(".authors-panel").get_attribute("data-draw-ms")
                    or before
                    or 0
                )
            )
        await browser.close()
    return {mode: statistics.median(values) for mode, values in draws.items()}


async def main(runs: int, words: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/charter.db", seed_demo=True, admin_token=ADMIN_TOKEN
        )
        async with running_server(settings) as server:
            tokens = [await make_token(server, "editor", n) for n in ("Awa", "Bruno", "Chloé")]
            facilitator = await make_token(server, "facilitator", "Fanny")
            headers = {"authorization": f"Bearer {facilitator}"}
            async with httpx.AsyncClient(
                base_url=server.base_url, headers=headers, timeout=60
            ) as http:
                charter = (await http.get(API)).json()
                article = charter["sections"][0]["articles"][0]
                started = time.perf_counter()
                edits = await write_article(server, article["document"], tokens, words)
                took = time.perf_counter() - started
                text = await server_text(server.base_url, article["document"])
                record = (await server.services.repo.get_charter(DEMO_SLUG)).sections[0]
                document_id = record.articles[0].document_id
                compacted = len((await server.services.article_doc(document_id)).full_update())
                async with server.services.engine.connect() as conn:
                    rows = (
                        await conn.execute(
                            sqlalchemy.text(
                                "SELECT count(*) FROM doc_authors WHERE document_id = :d"
                            ),
                            {"d": document_id},
                        )
                    ).scalar_one()
                authors = (await http.get(f"{API}/articles/{article['id']}/authors")).json()
                server_figures = await measure_server(server, http, article["id"], runs)
                link = (
                    await http.post(f"{API}/invites", json={"role": "editor", "label": "bench"})
                ).json()["link"]
            print(
                f"article: {len(text.split())} words, {len(text)} characters, "
                f"{edits} edits in {took:.1f} s"
            )
            print(
                f"runs of authors: {len(authors['runs'])}; clients known: {len(authors['clients'])}"
            )
            print(f"compacted state: {compacted} bytes; authors: {rows} rows (client, participant)")
            print(
                f"server, GET authors with ids computed: {server_figures['fresh']:.1f} ms "
                f"(median of {runs})"
            )
            print(f"server, GET authors with ids cached: {server_figures['cached']:.1f} ms")
            print(f"server, GET why (100 characters): {server_figures['why']:.1f} ms")
            browser = await measure_browser(server.base_url, link, article["id"], runs)
            print(f"browser, colours by person: {browser['person']:.1f} ms")
            print(f"browser, colours by badge: {browser['badge']:.1f} ms")
            print(f"browser, colours after a keystroke: {browser['typing']:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--words", type=int, default=5000)
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.words))
