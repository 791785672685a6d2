"""Amendments as forks of an article document: pure, no I/O.

An amendment starts as a copy of the article's full state (same items, same ids) and records
the state vector of that moment, its *base*. Whatever its authors then write in the fork is
``fork.update_since(base)``: only their own items, plus deletions. Accepting the amendment
applies exactly that update to the live article, which may have changed meanwhile — the CRDT
merges both, so nothing edited live since the base is undone (unlike overwriting the text).

Conflicts are computed on words, against the base text: the amendment's changes and the
other side's changes (the live article since the base, or another amendment) are each a set of
base word ranges; two that overlap touch the same words. An insertion into a range the other
side rewrote or deleted counts too (or right against it: « ses données ouvertes » and « ses
chiffres » would merge into « ses chiffres ouvertes »), as does an insertion at the same place.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from crdt.article import ArticleDoc
from crdt.diff import _TOKEN, Token, tokens
from crdt.versions import text_edit


@dataclass(frozen=True, slots=True)
class Fork:
    state: bytes  # the fork's first update: the article's full state at proposal
    base_state_vector: bytes


def fork_of(live: ArticleDoc) -> Fork:
    return Fork(live.full_update(), live.state_vector())


def own_changes(fork: ArticleDoc, base_state_vector: bytes) -> bytes:
    """What the fork's authors changed since the base, as one update."""
    return fork.update_since(base_state_vector)


def accepted_update(
    live: ArticleDoc,
    changes: bytes,
    base: str,
    amended: str,
    choose: Callable[[list[Conflict]], list[str | None]],
) -> bytes:
    """What accepting the amendment does to the live article, as one update: its own
    changes merged by the CRDT, then, where they and the live text since the base touch the
    same words, those words replaced by what ``choose`` picks for each conflict (the merge
    alone would keep both, glued: « chaque semainechaque trimestre »; None keeps what the
    merge made there, e.g. two sentences added at the same place)."""
    scratch = ArticleDoc.from_updates([live.full_update()])
    scratch.apply(changes)
    found = conflicts(base, amended, live.text())
    if found:
        final = resolve(scratch.text(), base, amended, live.text(), choose(found))
        text_edit(scratch, final)
    return scratch.update_since(live.state_vector())


def preview(live_state: bytes, changes: bytes) -> ArticleDoc:
    """The live article as it would read if the changes were applied now (a copy)."""
    scratch = ArticleDoc.from_updates([live_state])
    scratch.apply(changes)
    return scratch


@dataclass(frozen=True, slots=True)
class Change:
    start: int  # base word range [start, end); start == end is an insertion point
    end: int
    before: str  # the base words of the range
    after: str  # what the side made of them


@dataclass(frozen=True, slots=True)
class Conflict:
    start: int  # base word range covering both changes
    end: int
    base: str
    ours: str  # what the amendment makes of it
    theirs: str  # what the other side made of it

    def to_json(self) -> dict[str, object]:
        return {
            "start_word": self.start,
            "end_word": self.end,
            "base": self.base,
            "amendment": self.ours,
            "other": self.theirs,
        }


def _text(parts: list[Token]) -> str:
    return "".join(t.space + t.text for t in parts).strip()


Opcodes = Sequence[tuple[str, int, int, int, int]]


def _opcodes(a: list[Token], b: list[Token]) -> Opcodes:
    matcher = SequenceMatcher(None, [t.text for t in a], [t.text for t in b], autojunk=False)
    return matcher.get_opcodes()


def changes(base: str, other: str) -> list[Change]:
    """The word ranges of ``base`` that ``other`` changed, in order."""
    a, b = tokens(base), tokens(other)
    return [
        Change(i1, i2, _text(a[i1:i2]), _text(b[j1:j2]))
        for op, i1, i2, j1, j2 in _opcodes(a, b)
        if op != "equal"
    ]


def _project(opcodes: Opcodes, start: int, end: int) -> tuple[int, int]:
    """The range of the other text that the base word range [start, end) became."""
    first, last = None, 0
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            if first is None and start < i2:
                first = j1 + max(0, start - i1)
            if i1 < end:
                last = j1 + min(end, i2) - i1
        else:
            if first is None and start <= i2 and (start < i2 or i1 == i2):
                first = j1
            if i1 < end or (i1 == i2 == end) or (i1 == start == end):
                last = j2
    first = last if first is None else first
    return first, max(first, last)


def _touch(x: Change, y: Change) -> bool:
    if x.start < y.end and y.start < x.end:  # they share base words
        return True
    if x.start == x.end and y.start == y.end:  # two insertions at the same place
        return x.start == y.start
    if x.start == x.end:  # an insertion inside or against the other's range
        return y.start <= x.start <= y.end
    if y.start == y.end:
        return x.start <= y.start <= x.end
    return False


def conflicts(base: str, amended: str, other: str) -> list[Conflict]:
    """Where the amendment (base → amended) and another side (base → other) touch the
    same words of the base, merged into disjoint base ranges. Empty when the two sets of
    changes are disjoint."""
    a, ours_t, theirs_t = tokens(base), tokens(amended), tokens(other)
    ours_ops, theirs_ops = _opcodes(a, ours_t), _opcodes(a, theirs_t)
    ours = [Change(i1, i2, "", "") for op, i1, i2, _, _ in ours_ops if op != "equal"]
    theirs = [Change(i1, i2, "", "") for op, i1, i2, _, _ in theirs_ops if op != "equal"]
    spans: list[tuple[int, int]] = []
    for mine in ours:
        hits = [t for t in theirs if _touch(mine, t)]
        if not hits:
            continue
        start = min(mine.start, *(t.start for t in hits))
        end = max(mine.end, *(t.end for t in hits))
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    found = []
    for start, end in spans:
        o1, o2 = _project(ours_ops, start, end)
        t1, t2 = _project(theirs_ops, start, end)
        found.append(
            Conflict(start, end, _text(a[start:end]), _text(ours_t[o1:o2]), _text(theirs_t[t1:t2]))
        )
    return found


def resolve(merged: str, base: str, amended: str, other: str, choices: Sequence[str | None]) -> str:
    """``merged`` (the CRDT merge of the amendment, base → amended, into the other side,
    base → other) with the words of each conflict replaced by the choice made for it
    (``choices[i]`` for ``conflicts(base, amended, other)[i]``; None leaves that spot as
    merged). Everything else in ``merged`` stays exactly as it is, spacing and line breaks
    included."""
    found = conflicts(base, amended, other)
    if len(choices) != len(found):
        raise ValueError(f"{len(found)} conflict(s), {len(choices)} choice(s)")
    text = unicodedata.normalize("NFC", merged)
    spans = [(m.start(2), m.end(2), m.start(1)) for m in _TOKEN.finditer(text)]
    base_t, other_t, merged_t = tokens(base), tokens(other), tokens(merged)
    to_other = _opcodes(base_t, other_t)
    to_merged = _opcodes(other_t, merged_t)
    regions: list[tuple[int, int, str]] = []  # merged character ranges, replaced by words
    for conflict, words in zip(found, choices, strict=True):
        if words is None:
            continue
        o1, o2 = _project(to_other, conflict.start, conflict.end)
        m1, m2 = _project(to_merged, o1, o2)
        if m1 < m2:
            regions.append((spans[m1][0], spans[m2 - 1][1], words))
        else:  # nothing of it left in the merge: the words go where it was
            at = spans[m1][2] if m1 < len(spans) else len(text.rstrip())
            regions.append((at, at, (" " + words) if words else ""))
    for start, end, words in sorted(regions, reverse=True):
        text = text[:start] + words + text[end:]
    return text
