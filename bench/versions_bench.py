"""Versions benchmark: saving a version and comparing two versions of a large charter.

A 60-article, ~30,000-word French-ish charter on SQLite (a temporary file, WAL,
synchronous=FULL as in production). Version 1 is saved; then realistic edits are made
(a few % of the words replaced, inserted or deleted, in most articles; articles moved to
another section and renamed) and version 2 is saved. Measured, median of several runs:

- save: ``save_version`` of the whole charter with its rooms in memory (what the
  facilitator's "save a version" does on a live server: 60 full states, their hashes,
  one transaction; unchanged states are deduplicated);
- diff: ``comparison`` of version 1 with version 2 as the API computes it (both versions
  read from the database, 120 states decoded, article matching, word diffs, participants);
- diff (compare only): the pure comparison of two already decoded versions.

Run: .venv/bin/python bench/versions_bench.py [--runs 15] [--words 30000] [--articles 60]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crdt.article import ArticleDoc, fold, update_from_ops
from persistence.docs import DocStore
from persistence.engine import make_engine, migrate
from persistence.outline import Outline
from persistence.repo import CharterRecord, NewArticle, NewSection, Repo
from persistence.stores import Stores
from server.domain.versions import compare, comparison, entries, save_version

WORDS = (
    "la ville publie ses données publiques dans des formats ouverts réutilisables "
    "chaque habitant peut proposer consulter commenter les décisions du conseil municipal "
    "élus citoyens associations coproduisent politiques quartier budget participatif "
    "transparence participation coproduction évaluation indépendante réunions ouvertes "
    "à l’échelle métropolitaine l’atelier peut-être être avoir intérêt général élaboration "
    "concertation préalable délibération accès égal information compréhensible numérique "
    "accessibilité handicap langue claire comptes rendus calendrier engagements suivi "
    "indicateurs rapport annuel instance garante mandat tirage au sort représentativité "
    "jeunesse écoles bibliothèques médiation été hiver déjà très où ça çà français"
).split()
PUNCTUATION = [",", ",", ";", " :", ".", "."]


def sentence(rng: random.Random, words: int) -> str:
    out = []
    for i in range(words):
        word = rng.choice(WORDS)
        out.append(word.capitalize() if i == 0 else word)
        if 0 < i < words - 1 and rng.random() < 0.08:
            out[-1] += rng.choice(PUNCTUATION[:3])
    return " ".join(out) + rng.choice([".", ".", " !", " ?"])


def article_text(rng: random.Random, words: int) -> str:
    paragraphs, left = [], words
    while left > 0:
        paragraph = []
        for _ in range(rng.randint(2, 5)):
            n = min(left, rng.randint(8, 22))
            if n <= 0:
                break
            paragraph.append(sentence(rng, n))
            left -= n
        paragraphs.append(" ".join(paragraph))
    return "\n".join(paragraphs) + "\n"


def edit_words(rng: random.Random, doc: ArticleDoc, share: float) -> int:
    """Replace, insert or delete about ``share`` of the words of a doc; how many."""
    text = doc.text()
    starts = [i for i, c in enumerate(text) if c != " " and (i == 0 or text[i - 1] == " ")]
    chosen = sorted(rng.sample(starts, max(1, int(len(starts) * share))), reverse=True)

    def change(body: Any) -> None:
        current = text
        for start in chosen:  # from the end: earlier offsets hold
            end = current.find(" ", start)
            end = len(current) if end < 0 else end
            b0, b1 = len(current[:start].encode()), len(current[:end].encode())
            kind = rng.random()
            if kind < 0.5:  # replace
                del body[b0:b1]
                body.insert(b0, rng.choice(WORDS))
            elif kind < 0.8:  # insert a word before
                body.insert(b0, rng.choice(WORDS) + " ")
            else:  # delete the word and its space
                del body[b0 : min(b1 + 1, len(current[: end + 1].encode()))]

    doc.edit(change)
    return len(chosen)


async def build(
    url: str, articles: int, words: int, rng: random.Random
) -> tuple[Repo, CharterRecord, dict[int, ArticleDoc]]:
    engine = make_engine(url)
    await migrate(engine)
    repo = Repo(engine)
    per_section = 10
    sections = [
        NewSection(
            f"Section {s + 1} : {rng.choice(WORDS)}",
            [
                NewArticle(
                    f"Article {s * per_section + a + 1} — {rng.choice(WORDS)}",
                    update_from_ops([(article_text(rng, words // articles), None)]),
                )
                for a in range(min(per_section, articles - s * per_section))
            ],
        )
        for s in range((articles + per_section - 1) // per_section)
    ]
    charter = await repo.create_charter("bench", "Charte de banc d’essai", "fr", sections)
    store = DocStore(engine, fold)
    docs = {
        a.document_id: ArticleDoc.from_updates(await store.load(a.document_id))
        for _, a in charter.articles()
    }
    return repo, charter, docs


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:8.1f}"


async def timed(runs: int, work: Callable[[], Awaitable[object]]) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - start)
    return samples


async def main(runs: int, articles: int, words: int) -> None:
    rng = random.Random(20261128)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        repo, charter, docs = await build(url, articles, words, rng)
        total_words = sum(len(d.text().split()) for d in docs.values())
        stores = Stores.over(repo.engine, DocStore(repo.engine, fold))
        versions = stores.versions

        async def read(document_id: int) -> ArticleDoc:
            return docs[document_id]  # rooms in memory, as on a live server

        v1 = await save_version(versions, charter, read, "Atelier 1", None)
        save_unchanged = await timed(
            runs, lambda: save_version(versions, charter, read, "même texte", None)
        )

        edited = 0
        for _, article in charter.articles():
            if rng.random() < 0.8:  # most articles get edits
                edited += edit_words(rng, docs[article.document_id], 0.03)
        outline = Outline(repo.engine)
        pairs = charter.articles()
        for _, article in rng.sample(pairs, 3):
            await outline.update_article(charter.id, article.key, title=article.title + " (révisé)")
        for _, article in rng.sample(pairs, 2):
            target = rng.choice([s for s in charter.sections if s.articles[0] is not article])
            await outline.update_article(charter.id, article.key, section_id=target.id)
        charter = await repo.get_charter("bench")

        start = time.perf_counter()
        v2 = await save_version(versions, charter, read, "Atelier 2", None)
        first_save = time.perf_counter() - start

        diff = await timed(runs, lambda: comparison(stores, charter, read, str(v1), str(v2)))
        found = await comparison(stores, charter, read, str(v1), str(v2))
        old = entries((await versions.get(charter.id, v1)).articles)
        new = entries((await versions.get(charter.id, v2)).articles)
        compare_only = await timed(runs, lambda: asyncio.sleep(0, compare(old, new)))

        save_changed = []  # each run: 10 articles changed since the previous save
        for run in range(runs):
            for _, article in rng.sample(charter.articles(), 10):
                edit_words(rng, docs[article.document_id], 0.01)
            save_changed += await timed(
                1, lambda run=run: save_version(versions, charter, read, f"Suite {run}", None)
            )
        await repo.engine.dispose()

    statuses: dict[str, int] = {}
    for item in found["articles"]:
        for status in item["status"]:
            statuses[status] = statuses.get(status, 0) + 1
    print(f"charter: {articles} articles, {total_words} words; {runs} runs each (median)")
    print(
        f"edits: {edited} words changed; diff found {found['words_added']} added, "
        f"{found['words_removed']} removed; statuses {statuses}"
    )
    print()
    print("| measure                                   | median ms | target |")
    print("|-------------------------------------------|-----------|--------|")
    print(f"| save a version (first after the edits)    |  {median_ms([first_save])} | < 50   |")
    print(f"| save a version (10 articles changed)      |  {median_ms(save_changed)} | < 50   |")
    print(f"| save a version (nothing changed)          |  {median_ms(save_unchanged)} | < 50   |")
    print(f"| diff of two versions (as the API does)    |  {median_ms(diff)} | < 100  |")
    print(f"| diff, compare only (versions decoded)     |  {median_ms(compare_only)} |        |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--words", type=int, default=30_000)
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.articles, options.words))
