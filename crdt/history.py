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

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pycrdt import Doc, Snapshot, Text

from crdt.article import ArticleDoc, _guard


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


def steps(base: bytes | None, rows: Sequence[Row], breaks: Iterable[int] = ()) -> list[Step]:
    """The steps of ``rows`` applied after ``base`` (a full state, or nothing): one per
    minute of writing, and one ending where each position of ``breaks`` (saved versions,
    read at a position of the whole log) falls between two of the rows."""
    doc = ArticleDoc.from_updates([base] if base else [])
    cut = sorted(set(breaks))
    found: list[Step] = []
    who: list[int] = []
    for index, row in enumerate(rows):
        doc.apply(row.update)
        if row.participant_id is not None and row.participant_id not in who:
            who.append(row.participant_id)
        following = rows[index + 1] if index + 1 < len(rows) else None
        if (
            following is None
            or _minute(following.at) != _minute(row.at)
            or _break_between(cut, row.seq, following.seq)
        ):
            found.append(Step(row.seq, row.at, snapshot_of(doc), tuple(who)))
            who = []
    return found


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
) -> list[tuple[int, datetime, bytes, tuple[int, ...]]]:
    """``steps`` for the store, in plain tuples: rows (seq, update, participant, time) in,
    steps (position, time, snapshot, participants) out."""
    found = steps(base, [Row(*row) for row in rows], breaks)
    return [(s.position, s.at, s.snapshot, s.participants) for s in found]
