"""Bundles of amendments: how long the proposals (compatible sets and alternatives) and the
overlaps of a whole set take, pure (crdt/bundles.py), for an article of 500 and of 3,000
words (random words of a 2,000-word vocabulary, accents and an emoji among them) and 16
open amendments (the most a search considers), each changing one word.

Run: .venv/bin/python bench/bundles_bench.py
"""

from __future__ import annotations

import random
import time
from itertools import combinations

from crdt.bundles import MAX_AMENDMENTS, changes_of, compatible_sets, disjoint, overlaps


def main() -> None:
    rng = random.Random(1)
    vocab = [f"mot{i}" for i in range(2000)] + ["données", "élus", "habitant", "été", "🎉"]
    for size in (500, 3000):
        words = [rng.choice(vocab) for _ in range(size)]
        live = " ".join(words)
        amended = []
        for i in range(MAX_AMENDMENTS):
            changed = list(words)
            at = rng.randrange(len(changed))
            changed[at] = f"{changed[at]}é{i}"
            amended.append(" ".join(changed))
        started = time.perf_counter()
        found = [changes_of(live, text) for text in amended]
        pairs = combinations(range(len(amended)), 2)
        clashes = {frozenset(p) for p in pairs if not disjoint(found[p[0]], found[p[1]])}
        sets = compatible_sets(len(amended), clashes)
        proposals = time.perf_counter() - started
        started = time.perf_counter()
        overlaps(live, amended)
        whole = time.perf_counter() - started
        print(
            f"{size} words, {len(amended)} amendments: sets and alternatives "
            f"{proposals * 1000:.0f} ms ({len(clashes)} clashes, {len(sets)} set(s)); "
            f"overlaps of the whole set {whole * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
