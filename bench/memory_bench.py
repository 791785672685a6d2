"""What an article's history costs in memory while it is loaded, and whether that memory is
reused once articles are closed: the part of the soak's growth that belongs to the
documents themselves, measured without a server.

The soak's edit pattern (bench/loadgen.mjs with ``steadyText``): two typists, each edit a
marker of about ten characters inserted at a random place; past 4,000 characters each edit
also deletes as many at another random place, in the same transaction. The updates are
written once by two pycrdt documents, then applied to ``--articles`` server-side documents
(``ArticleDoc``, as a room holds them) in each of ``--rounds`` rounds; the documents of a
round are dropped before the next one starts. RSS is read from /proc/self/status.

Run: .venv/bin/python bench/memory_bench.py [--edits 12000] [--articles 20] [--rounds 3]
(12,000 edits per article is the soak's ten minutes: 400 edits/s over 20 articles.)
``--from-state``: load each article from its whole state in one update, as a room loads it
from the store, instead of edit by edit: whether rebuilding a document would shrink it.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crdt.article import ArticleDoc

STEADY = 4000  # characters an article keeps once it has grown to them


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def soak_updates(edits: int) -> list[bytes]:
    """The updates of one article, as its two typists send them."""
    rng = random.Random(7)
    typists = [ArticleDoc(client_id=100 + i) for i in range(2)]
    updates: list[bytes] = []
    for number in range(edits):
        doc = typists[number % 2]
        text = doc.text()
        at = rng.randrange(0, len(text) + 1)
        marker = f"[m{number % 2}:{number}] "

        def change(body, text=text, at=at, marker=marker):  # type: ignore[no-untyped-def]
            body.insert(len(text[:at].encode()), marker)
            if len(text) + len(marker) > STEADY:
                after = text[:at] + marker + text[at:]
                n = len(marker)
                start = rng.randrange(0, at - n + 1) if at >= n and rng.random() < 0.5 else None
                if start is None:
                    start = at + n + rng.randrange(0, max(1, len(after) - at - 2 * n + 1))
                if start + n <= len(after):
                    begin = len(after[:start].encode())
                    del body[begin : begin + len(after[start : start + n].encode())]

        update = doc.edit(change)
        assert update is not None
        typists[1 - number % 2].apply(update)
        updates.append(update)
    return updates


def main(edits: int, articles: int, rounds: int, from_state: bool) -> None:
    updates = soak_updates(edits)
    size = sum(len(u) for u in updates)
    print(f"one article: {edits} edits, {size / 1e6:.2f} MB of updates")
    if from_state:
        updates = [ArticleDoc.from_updates(updates).full_update()]
        print(f"loaded from its state: one update of {len(updates[0]) / 1e6:.2f} MB")
    start = rss_mb()
    for number in range(1, rounds + 1):
        before = rss_mb()
        docs = []
        for _ in range(articles):
            doc = ArticleDoc()
            for update in updates:
                doc.apply(update, untrusted=True)
            docs.append(doc)
        held = rss_mb()
        text, state = len(docs[0].text()), len(docs[0].full_update())
        del docs, doc
        print(
            f"round {number}: RSS {before:.0f} -> {held:.0f} MB with {articles} articles loaded "
            f"({(held - before) / articles:.2f} MB each, "
            f"{(held - before) * 1024 * 1024 / articles / edits:.0f} bytes per edit; "
            f"text {text} characters, stored state {state / 1e6:.2f} MB); "
            f"{rss_mb():.0f} MB once dropped"
        )
    print(f"growth over {rounds} rounds: {rss_mb() - start:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=12000)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--from-state", action="store_true")
    options = parser.parse_args()
    main(options.edits, options.articles, options.rounds, options.from_state)
