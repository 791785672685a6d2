"""Reverting one participant's edits since a point of the drafting history: pure, no I/O.

Vandalism in a public phase: a facilitator takes back what one participant did to an
article since a moment (a step of its history), and only that. From the article's items:
the characters that participant's Yjs clients typed after that moment go; the characters
they deleted since come back, where they were. Everyone else's edits, before and after,
stay. The result is a text, written as one forward edit (it can itself be undone by
restoring the version saved just before it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from crdt.article import ArticleDoc
from crdt.authors import character_ids, clocks_of


def reverted_text(
    live_state: bytes,
    past_state: bytes,
    their_clients: Collection[int],
    their_deletions: Mapping[int, Sequence[tuple[int, int]]],
) -> str:
    """The live text without what ``their_clients`` typed since ``past_state``, and with
    what they deleted since (``their_deletions``: {client: [(clock, length)]}) back."""
    live_ids = character_ids(live_state)
    past_ids = character_ids(past_state)
    live_units = _units(ArticleDoc.from_updates([live_state]).text())
    past_units = _units(ArticleDoc.from_updates([past_state]).text())
    before = clocks_of(past_state)
    in_live, in_past = set(live_ids), set(past_ids)

    def theirs_since(client: int, clock: int) -> bool:
        return client in their_clients and clock >= before.get(client, 0)

    def deleted_by_them(client: int, clock: int) -> bool:
        return any(
            start <= clock < start + length for start, length in their_deletions.get(client, ())
        )

    out: list[str] = []
    i = j = 0
    # Both are the same document's characters in document order: those in both appear in
    # the same order, the others go between them where they stand.
    while i < len(live_ids) or j < len(past_ids):
        if i < len(live_ids) and j < len(past_ids) and live_ids[i] == past_ids[j]:
            out.append(live_units[i])
            i += 1
            j += 1
        elif j < len(past_ids) and past_ids[j] not in in_live:
            if deleted_by_them(*past_ids[j]):
                out.append(past_units[j])  # deleted by them since: back
            j += 1
        elif i < len(live_ids) and live_ids[i] not in in_past:
            if not theirs_since(*live_ids[i]):
                out.append(live_units[i])  # someone else's since: kept
            i += 1
        else:  # not expected: the same characters in another order
            raise ValueError("the article's past and present disagree on the order of its text")
    return _join(out)


def _units(text: str) -> list[str]:
    """The text as UTF-16 units (each a str of one unit, surrogates kept apart)."""
    data = text.encode("utf-16-le", "surrogatepass")
    return [data[k : k + 2].decode("utf-16-le", "surrogatepass") for k in range(0, len(data), 2)]


def _join(units: list[str]) -> str:
    return "".join(units).encode("utf-16-le", "surrogatepass").decode("utf-16-le")
