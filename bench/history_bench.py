"""The drafting history's cost: storage of the steps kept through compaction, and the time
to read one step back (what the time-slider does at each move).

A 20,000-edit article written by three clients (insertions of a word at random places, 8 %
deletions of 1–5 characters), spread over a three-hour workshop: one step per minute of
writing, as the store's compaction keeps them (crdt/history.py). Pure: no server, no
database; the steps are what compaction writes to ``doc_history``.

Run: .venv/bin/python bench/history_bench.py [--edits 20000] [--minutes 180] [--runs 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crdt.article import ArticleDoc
from crdt.history import Row, state_at, steps

WORDS = "la ville publie ses données publiques chaque habitant peut proposer".split()


def write(edits: int, minutes: int) -> tuple[ArticleDoc, list[Row]]:
    rng = random.Random(3)
    docs = [ArticleDoc(client_id=100 + i) for i in range(3)]
    rows: list[Row] = []
    start = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    for number in range(edits):
        doc = rng.choice(docs)
        text = doc.text()
        if rng.random() < 0.08 and len(text) > 40:
            at = rng.randrange(0, len(text) - 5)
            begin, end = len(text[:at].encode()), len(text[: at + rng.randint(1, 5)].encode())
            update = doc.edit(lambda t, b=begin, e=end: t.__delitem__(slice(b, e)))
        else:
            at = len(text[: rng.randrange(0, len(text) + 1)].encode())
            word = rng.choice(WORDS) + " "
            update = doc.edit(lambda t, b=at, w=word: t.insert(b, w))
        if update is None:
            continue
        for other in docs:
            if other is not doc:
                other.apply(update)
        at_time = start + timedelta(seconds=number * minutes * 60 / edits)
        rows.append(Row(number + 1, update, 7 + docs.index(doc), at_time))
    return docs[0], rows


def main(edits: int, minutes: int, runs: int) -> None:
    doc, rows = write(edits, minutes)
    full = doc.full_update()
    started = time.perf_counter()
    found = steps(None, rows)
    computed = time.perf_counter() - started
    stored = sum(len(s.snapshot) for s in found)
    reads = []
    for step in found[:: max(1, len(found) // runs)][:runs]:
        started = time.perf_counter()
        state_at(full, step.snapshot)
        reads.append((time.perf_counter() - started) * 1000)
    print(f"article: {len(rows)} edits, {len(doc.text().split())} words over {minutes} minutes")
    print(
        f"compacted state: {len(full)} bytes; update log: {sum(len(r.update) for r in rows)} bytes"
    )
    print(f"history: {len(found)} steps, {stored} bytes ({stored / len(full):.2f}x the state)")
    print(f"largest step: {max(len(s.snapshot) for s in found)} bytes")
    print(f"steps computed (at compaction): {computed * 1000:.0f} ms")
    print(f"one step read back (median of {len(reads)}): {statistics.median(reads):.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20000)
    parser.add_argument("--minutes", type=int, default=180)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    main(options.edits, options.minutes, options.runs)
