"""Replay the drafting log of a charter's open-data export (docs/drafting-log.md).

    python3 docs/replay_drafting_log.py charter.json            # each article's final text
    python3 docs/replay_drafting_log.py charter.json --steps    # every step, in order

Standard library only. Checks that each article, replayed, reads like its text in the export.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any


def replay(text: str, changes: list[list[Any]]) -> str:
    """One step: keep ("=", n) characters, insert ("+", text), delete ("-", n) characters."""
    out, at = [], 0
    for kind, value in changes:
        if kind == "=":
            out.append(text[at : at + value])
            at += value
        elif kind == "-":
            at += value
        elif kind == "+":
            out.append(value)
        else:
            raise ValueError(f"unknown change {kind!r}")
    return "".join(out)


def states(article: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Each step of an article with its text after it."""
    text = ""
    for step in article["steps"]:
        text = replay(text, step["changes"])
        yield step, text


def main() -> int:
    parser = argparse.ArgumentParser(description="Replay a charter's drafting log.")
    parser.add_argument("export", help="the open-data JSON export (format=json)")
    parser.add_argument("--steps", action="store_true", help="print every step")
    options = parser.parse_args()
    with open(options.export, encoding="utf-8") as handle:
        data = json.load(handle)
    texts = {a["id"]: a["text"] for s in data["sections"] for a in s["articles"]}
    badges = {a["name"]: a["badge"] for a in data["drafting_log"]["authors"]}
    failed = 0
    for article in data["drafting_log"]["articles"]:
        print(f"# {article['title']}")
        text = ""
        for step, text in states(article):
            if options.steps:
                who = ", ".join(f"{p} ({badges.get(p) or '—'})" for p in step["authors"])
                counts = f"+{step['inserted_words']} -{step['deleted_words']}"
                print(f"## {step['at']} — {who or '—'} {counts}")
                print(text)
        if not options.steps:
            print(text)
        if article["id"] in texts and texts[article["id"]] != text:
            print(
                f"!! {article['id']}: the replayed text differs from the export's", file=sys.stderr
            )
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
