"""Bundles of amendments of one article: which may be applied together, and how: pure.

Amendments may have different bases, so each is compared against the live text: its
*amended* text is the live article with its own changes applied (``amendments.preview``).
Two amendments are compatible when their changes touch disjoint words of the live text (as
``amendments.conflicts`` counts touching: shared words, an insertion inside or against the
other's range, two insertions at the same place). A bundle is applied as one update: every
amendment's own changes merged by the CRDT, then, where some of them touched the same words
(an *overlap*), those words replaced by what was chosen for it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crdt.amendments import Change, _opcodes, _project, _text, _touch, conflicts
from crdt.amendments import resolve as resolve_one
from crdt.article import ArticleDoc
from crdt.diff import _TOKEN, tokens
from crdt.versions import text_edit

MAX_AMENDMENTS = 16  # compatible sets are searched among at most this many amendments
MAX_SETS = 64  # and at most this many maximal sets are listed
LIVE = -1  # in an overlap's versions: the live text's own words, changed since a base


@dataclass(frozen=True, slots=True)
class Overlap:
    start: int  # live word range [start, end) that several amendments changed
    end: int
    base: str  # the live words of the range
    versions: tuple[tuple[int, str], ...]  # (index of the amendment, what it makes of them)

    @property
    def key(self) -> tuple[str, tuple[str, ...]]:
        """Known by its words (positions move when the live text does)."""
        return self.base, tuple(words for _, words in self.versions)


@dataclass(frozen=True, slots=True)
class Side:
    """One amendment against the live text."""

    amended: str  # the live text with its changes (its own words where it met live edits)
    pinned: tuple[tuple[int, int], ...]  # live word ranges edited since its base that it changed


def side(live_state: bytes, changes: bytes, base: str, fork_text: str) -> Side:
    """The amendment (its base text, its fork's text, its own changes) against the live
    text: where it and the live text since its base changed the same words, the CRDT merge
    would glue both; its amended text has its own words there, and those places are
    pinned: an overlap with the live text, to be chosen like one with another amendment."""
    live_text = ArticleDoc.from_updates([live_state]).text()
    preview = amended_text(live_state, changes)
    found = conflicts(base, fork_text, live_text)
    if not found:
        return Side(preview, ())
    clean = resolve_one(preview, base, fork_text, live_text, [c.ours for c in found])
    to_live = _opcodes(tokens(base), tokens(live_text))
    return Side(clean, tuple(_project(to_live, c.start, c.end) for c in found))


def amended_text(live_state: bytes, changes: bytes) -> str:
    """The live article as it would read with one amendment's own changes applied."""
    scratch = ArticleDoc.from_updates([live_state])
    scratch.apply(changes)
    return scratch.text()


def merged(live_state: bytes, changes: Sequence[bytes]) -> ArticleDoc:
    """The live article with every amendment's own changes applied (a copy): the CRDT merge,
    both versions kept where they overlap."""
    scratch = ArticleDoc.from_updates([live_state])
    for update in changes:
        scratch.apply(update)
    return scratch


def changes_of(live: str, amended: str) -> list[Change]:
    """The word ranges of ``live`` that ``amended`` changed (diff once, compare many)."""
    ops = _opcodes(tokens(live), tokens(amended))
    return [Change(i1, i2, "", "") for op, i1, i2, _, _ in ops if op != "equal"]


def disjoint(mine: Sequence[Change], theirs: Sequence[Change]) -> bool:
    """Whether two sets of changes of one text touch no common words (both in order)."""
    j = 0
    for x in mine:
        while j < len(theirs) and theirs[j].end < x.start:
            j += 1  # ends before x starts, not even against it
        k = j
        while k < len(theirs) and theirs[k].start <= x.end:
            if _touch(x, theirs[k]):
                return False
            k += 1
    return True


def compatible(live: str, one: str, other: str) -> bool:
    """Whether two amended texts of ``live`` change disjoint words of it."""
    return disjoint(changes_of(live, one), changes_of(live, other))


def _clusters(
    found: list[list[Change]], pinned: Sequence[Sequence[tuple[int, int]]]
) -> list[tuple[int, int, set[int]]]:
    """Live word ranges where changes of several amendments touch (or an amendment's and
    the live text's since its base), each with who touched."""
    spans: list[tuple[int, int, set[int]]] = []
    for i, ranges in enumerate(pinned):
        for start, end in ranges:
            near = [x for x in found[i] if _touch(Change(start, end, "", ""), x)]
            first = min([start, *(x.start for x in near)])
            spans.append((first, max([end, *(x.end for x in near)]), {i, LIVE}))
    for i, mine in enumerate(found):
        for x in mine:
            for j in range(i + 1, len(found)):
                for y in found[j]:
                    if _touch(x, y):
                        spans.append((min(x.start, y.start), max(x.end, y.end), {i, j}))
    spans.sort(key=lambda s: (s[0], s[1]))
    joined: list[tuple[int, int, set[int]]] = []
    for start, end, who in spans:
        if joined and start <= joined[-1][1]:
            last = joined[-1]
            joined[-1] = (last[0], max(end, last[1]), last[2] | who)
        else:
            joined.append((start, end, set(who)))
    return joined


def overlaps(
    live: str, amended: Sequence[str], pinned: Sequence[Sequence[tuple[int, int]]] = ()
) -> list[Overlap]:
    """Where several of the amended texts change the same words of ``live`` (or one of
    them and the live text since its base: ``pinned``, as ``Side`` has them), as disjoint
    live word ranges in order, each with what every side touching it makes of it (the
    live text's own words as ``LIVE``, last)."""
    live_t = tokens(live)
    ops = [_opcodes(live_t, tokens(text)) for text in amended]
    found = [[Change(i1, i2, "", "") for op, i1, i2, _, _ in o if op != "equal"] for o in ops]
    result = []
    for start, end, who in _clusters(found, pinned):
        versions = []
        for i in sorted(who, key=lambda n: (n == LIVE, n)):
            if i == LIVE:
                versions.append((LIVE, _text(live_t[start:end])))
                continue
            j1, j2 = _project(ops[i], start, end)
            versions.append((i, _text(tokens(amended[i])[j1:j2])))
        result.append(Overlap(start, end, _text(live_t[start:end]), tuple(versions)))
    return result


def compatible_sets(count: int, clashes: set[frozenset[int]]) -> list[tuple[int, ...]]:
    """The maximal sets of mutually compatible amendments (indices below ``count``, at most
    ``MAX_AMENDMENTS`` considered) given the clashing pairs; largest first, at most
    ``MAX_SETS``. Bron–Kerbosch with a pivot on the compatibility graph."""
    nodes = list(range(min(count, MAX_AMENDMENTS)))
    friends = {i: {j for j in nodes if j != i and frozenset((i, j)) not in clashes} for i in nodes}
    found: list[tuple[int, ...]] = []

    def grow(chosen: set[int], candidates: set[int], excluded: set[int]) -> None:
        if len(found) >= MAX_SETS:
            return
        if not candidates and not excluded:
            found.append(tuple(sorted(chosen)))
            return
        pivot = max(candidates | excluded, key=lambda n: len(friends[n] & candidates))
        for node in sorted(candidates - friends[pivot]):
            grow(chosen | {node}, candidates & friends[node], excluded & friends[node])
            candidates = candidates - {node}
            excluded = excluded | {node}

    grow(set(), set(nodes), set())
    return sorted(found, key=lambda s: (-len(s), s))


def resolve(
    merged_text: str, live: str, found: Sequence[Overlap], choices: Sequence[str | None]
) -> str:
    """``merged_text`` (the CRDT merge of the amendments into ``live``) with the words of each
    overlap replaced by the choice made for it (None leaves that spot as merged: both)."""
    if len(choices) != len(found):
        raise ValueError(f"{len(found)} overlap(s), {len(choices)} choice(s)")
    text = unicodedata.normalize("NFC", merged_text)
    spans = [(m.start(2), m.end(2), m.start(1)) for m in _TOKEN.finditer(text)]
    to_merged = _opcodes(tokens(live), tokens(merged_text))
    regions: list[tuple[int, int, str]] = []
    for overlap, words in zip(found, choices, strict=True):
        if words is None:
            continue
        m1, m2 = _project(to_merged, overlap.start, overlap.end)
        if m1 < m2:
            regions.append((spans[m1][0], spans[m2 - 1][1], words))
        else:
            at = spans[m1][2] if m1 < len(spans) else len(text.rstrip())
            regions.append((at, at, (" " + words) if words else ""))
    for start, end, words in sorted(regions, reverse=True):
        text = text[:start] + words + text[end:]
    return text


def bundle_update(
    live: ArticleDoc,
    changes: Sequence[bytes],
    choose: Callable[[list[Overlap]], list[str | None]],
    forks: Sequence[tuple[str, str]] = (),
) -> bytes:
    """What accepting the bundle does to the live article, as one update: every amendment's
    own changes, then the words chosen where they overlap (with each other, and, given
    ``forks`` — each amendment's base text and fork text — with the live text since its
    base)."""
    state = live.full_update()
    live_text = live.text()
    if forks:
        sides = [side(state, c, b, f) for c, (b, f) in zip(changes, forks, strict=True)]
        found = overlaps(live_text, [s.amended for s in sides], [s.pinned for s in sides])
    else:
        found = overlaps(live_text, [amended_text(state, update) for update in changes])
    scratch = merged(state, changes)
    if found:
        text_edit(scratch, resolve(scratch.text(), live_text, found, choose(found)))
    return scratch.update_since(live.state_vector())
