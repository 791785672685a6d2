"""The drafting history of an article, kept through compaction: pure, no I/O.

A document's items are never garbage-collected here (``ArticleDoc`` keeps tombstones), so
its full state holds every character ever written, deleted ones included. What a past state
needs on top is a *snapshot*: the state vector and the delete set of that moment (a few
dozen bytes, ``Y.encodeSnapshot``). Restored against today's full state, a snapshot gives
back the text exactly as it was.

The store's compaction folds the update log into a checkpoint; before the rows go, their
history is kept as steps: one snapshot per minute of writing (and at every saved version's
position, so that the history shows each version exactly), with who wrote in it.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher

from pycrdt import Doc, Snapshot, Text

from crdt.article import BODY, ArticleDoc, _guard
from crdt.protocol import ProtocolError, walk_update


@dataclass(frozen=True, slots=True)
class Row:
    """One update of the log: its position, bytes, sender and time."""

    seq: int
    update: bytes
    participant_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Step:
    """The article after the rows up to ``position`` (the log's seq): a moment of its history."""

    position: int
    at: datetime  # the time of its last row
    snapshot: bytes
    participants: tuple[int, ...]  # who wrote in it (known senders), in order of first edit
    # What each of them deleted in it: {participant: {client: [[clock, length], …]}}, so
    # that a facilitator can revert one participant's edits (crdt/moderation.py).
    deletions: dict[int, dict[int, list[tuple[int, int]]]] = field(default_factory=dict)


def steps(base: bytes | None, rows: Sequence[Row], breaks: Iterable[int] = ()) -> list[Step]:
    """The steps of ``rows`` applied after ``base`` (a full state, or nothing): one per
    minute of writing, and one ending where each position of ``breaks`` (saved versions,
    read at a position of the whole log) falls between two of the rows."""
    doc = ArticleDoc.from_updates([base] if base else [])
    cut = sorted(set(breaks))
    found: list[Step] = []
    who: list[int] = []
    deleted: dict[int, dict[int, list[tuple[int, int]]]] = {}
    for index, row in enumerate(rows):
        doc.apply(row.update)
        if row.participant_id is not None:
            if row.participant_id not in who:
                who.append(row.participant_id)
            _add_deletions(deleted.setdefault(row.participant_id, {}), row.update)
        following = rows[index + 1] if index + 1 < len(rows) else None
        if (
            following is None
            or _minute(following.at) != _minute(row.at)
            or _break_between(cut, row.seq, following.seq)
        ):
            kept = {p: d for p, d in deleted.items() if d}
            found.append(Step(row.seq, row.at, snapshot_of(doc), tuple(who), kept))
            who, deleted = [], {}
    return found


def _add_deletions(into: dict[int, list[tuple[int, int]]], update: bytes) -> None:
    try:
        shape = walk_update(update)
    except ProtocolError:  # our own stored updates: not expected
        return
    for client, ranges in shape.deletions.items():
        into.setdefault(client, []).extend(ranges)


def _break_between(cut: list[int], seq: int, following: int) -> bool:
    """A version was saved after row ``seq`` and before the row ``following``."""
    at = bisect_left(cut, seq)
    return at < len(cut) and cut[at] < following


def snapshot_of(doc: ArticleDoc) -> bytes:
    with _guard("cannot take a snapshot"):
        return bytes(Snapshot.from_doc(doc.doc).encode())


def state_at(full_state: bytes, snapshot: bytes) -> ArticleDoc:
    """The article as it was at ``snapshot``, from a later full state (which holds every item
    the snapshot names: nothing is ever garbage-collected)."""
    with _guard("cannot restore a past state"):
        current: Doc[Text] = Doc(skip_gc=True)
        current.apply_update(full_state)
        past = Doc.from_snapshot(Snapshot.decode(snapshot), current)
        return ArticleDoc.from_updates([past.get_update()])


def _minute(at: datetime) -> tuple[int, int, int, int, int]:
    return (at.year, at.month, at.day, at.hour, at.minute)


def steps_of(
    base: bytes | None,
    rows: Sequence[tuple[int, bytes, int | None, datetime]],
    breaks: Iterable[int] = (),
) -> list[tuple[int, datetime, bytes, tuple[int, ...], str]]:
    """``steps`` for the store, in plain tuples: rows (seq, update, participant, time) in,
    steps (position, time, snapshot, participants, deletions as JSON) out."""
    found = steps(base, [Row(*row) for row in rows], breaks)
    return [
        (s.position, s.at, s.snapshot, s.participants, deletions_json(s.deletions)) for s in found
    ]


def deletions_json(deletions: dict[int, dict[int, list[tuple[int, int]]]]) -> str:
    return json.dumps(
        {
            str(p): {str(c): [list(r) for r in ranges] for c, ranges in d.items()}
            for p, d in deletions.items()
        },
        separators=(",", ":"),
    )


def deletions_of(raw: str, participant: int) -> dict[int, list[tuple[int, int]]]:
    """What ``participant`` deleted in a step (``deletions_json``'s text)."""
    found = json.loads(raw or "{}").get(str(participant), {})
    return {int(c): [(int(a), int(b)) for a, b in ranges] for c, ranges in found.items()}


def texts_at(full_state: bytes, snapshots: Sequence[bytes]) -> list[str]:
    """The article's text at each snapshot, from one later full state (read once)."""
    with _guard("cannot restore past states"):
        current: Doc[Text] = Doc(skip_gc=True)
        current.apply_update(full_state)
        return [
            str(Doc.from_snapshot(Snapshot.decode(s), current).get(BODY, type=Text))
            for s in snapshots
        ]


_TOKENS = re.compile(r"\s+|[^\s]+")

# One change of the drafting log: keep n characters, insert a text, or delete n characters
# (characters: Unicode code points).
Change = tuple[str, int | str]


def changes(before: str, after: str) -> list[Change]:
    """What turns ``before`` into ``after``, word by word: ``("=", n)`` keeps n characters,
    ``("+", text)`` inserts, ``("-", n)`` deletes n. Replaying them gives ``after`` exactly."""
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[-1 - end] == after[-1 - end]:
        end += 1
    # Back to word boundaries, so that words are inserted and deleted whole.
    while start > 0 and not before[start - 1].isspace():
        start -= 1
    while end > 0 and not before[len(before) - end].isspace():
        end -= 1
    old = _TOKENS.findall(before[start : len(before) - end])
    new = _TOKENS.findall(after[start : len(after) - end])
    found: list[Change] = [("=", start)] if start else []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            found.append(("=", sum(len(t) for t in old[i1:i2])))
            continue
        if i2 > i1:
            found.append(("-", sum(len(t) for t in old[i1:i2])))
        if j2 > j1:
            found.append(("+", "".join(new[j1:j2])))
    if end:
        found.append(("=", end))
    return _merged(found)


def _merged(found: list[Change]) -> list[Change]:
    out: list[Change] = []
    for kind, value in found:
        if out and out[-1][0] == kind and kind in ("=", "-"):
            out[-1] = (kind, int(out[-1][1]) + int(value))
        elif out and out[-1][0] == kind == "+":
            out[-1] = ("+", str(out[-1][1]) + str(value))
        else:
            out.append((kind, value))
    return out


def replay(before: str, found: Sequence[Change]) -> str:
    """``changes`` applied to ``before`` (what docs/replay_drafting_log.py does)."""
    out, at = [], 0
    for kind, value in found:
        if kind == "=":
            out.append(before[at : at + int(value)])
            at += int(value)
        elif kind == "-":
            at += int(value)
        else:
            out.append(str(value))
    return "".join(out)
