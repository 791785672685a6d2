"""Who wrote which characters of an article: pure, no I/O.

Every character of a Yjs text is (part of) an item whose id is (client, clock): the client
is the Yjs document of the browser tab that typed it, which the server knows the sender of
(persistence/authors.py records "client c of document d was first sent by participant p").
A character therefore keeps its author through merges, compaction (a checkpoint keeps the
items' ids) and backups.

The server's own edits (a restored version, an amendment's conflicts settled) are written
by a scratch client on behalf of a facilitator; the characters they bring back keep their
original authors through *ranges*: (client, clocks [start, end)) → author, which take
precedence over the client's own author.

Positions are UTF-16 units, as in Yjs and Quill: the ids are read in the article's ASCII
twin (crdt/relpos.py), where pycrdt's byte indices are UTF-16 indices.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pycrdt import Assoc, Doc, Text, get_state

from crdt.article import BODY, ArticleDoc, CrdtError, _guard
from crdt.protocol import ProtocolError, read_state_vector
from crdt.relpos import ascii_twin

# A word, as the summaries count them (punctuation and emoji are not words).
WORD = re.compile(r"\w+(?:['’\-]\w+)*")


def clocks_of(update: bytes) -> dict[int, int]:
    """{client: clock} of the items an update holds (every clock below is in it)."""
    with _guard("cannot read an update's state"):
        return read_state_vector(get_state(update))


def clients_of(update: bytes) -> list[int]:
    """The Yjs clients that have items in ``update`` (not those it only deletes from)."""
    with _guard("cannot read an update's clients"):
        state = get_state(update)
    return sorted(read_state_vector(state))


@dataclass(frozen=True, slots=True)
class Origin:
    """Where characters come from: a participant (None: unknown, e.g. text written before
    authors were recorded) and the amendment that brought them (None: written live)."""

    participant_id: int | None
    amendment_id: int | None = None


UNKNOWN = Origin(None)


@dataclass
class Authorship:
    """What the store knows of one document's authors."""

    clients: dict[int, Origin] = field(default_factory=dict)
    # client → [(clock_start, clock_end, origin)], oldest first: a restored version's
    # characters given the authors they had in it; the latest range wins where two overlap
    ranges: dict[int, list[tuple[int, int, Origin]]] = field(default_factory=dict)
    _flat: dict[int, tuple[list[int], list[tuple[int, int, Origin]]]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def of(
        cls,
        clients: Mapping[int, tuple[int | None, int | None]],
        ranges: Iterable[tuple[int, int, int, int | None, int | None]],
    ) -> Authorship:
        """From what the store keeps: client → (participant, amendment), and the ranges
        (client, clock_start, clock_end, participant, amendment), oldest first."""
        found = cls(clients={c: Origin(p, a) for c, (p, a) in clients.items()})
        for client, start, end, participant, amendment in ranges:
            found.add_range(client, start, end, Origin(participant, amendment))
        return found

    def origin(self, client: int, clock: int) -> Origin:
        if client in self.ranges:
            starts, spans = self._flattened(client)
            at = bisect_right(starts, clock) - 1
            if at >= 0 and clock < spans[at][1]:
                return spans[at][2]
        return self.clients.get(client, UNKNOWN)

    def add_range(self, client: int, start: int, end: int, origin: Origin) -> None:
        self.ranges.setdefault(client, []).append((start, end, origin))
        self._flat.pop(client, None)

    def _flattened(self, client: int) -> tuple[list[int], list[tuple[int, int, Origin]]]:
        """The client's ranges as disjoint spans, sorted, each later range painted over
        the earlier ones."""
        found = self._flat.get(client)
        if found is None:
            spans: list[tuple[int, int, Origin]] = []
            for start, end, origin in self.ranges[client]:
                kept = []
                for s, e, o in spans:
                    if e <= start or s >= end:
                        kept.append((s, e, o))
                        continue
                    if s < start:
                        kept.append((s, start, o))
                    if e > end:
                        kept.append((end, e, o))
                kept.append((start, end, origin))
                spans = sorted(kept)
            found = self._flat[client] = ([s for s, _, _ in spans], spans)
        return found


def character_ids(state: bytes) -> list[tuple[int, int]]:
    """The item id (client, clock) of each UTF-16 unit of the text of an article given as
    its full state (``ArticleDoc.full_update()``), in order. Pure: may run in a thread."""
    units = len(ArticleDoc.from_updates([state]).text().encode("utf-16-le")) // 2
    return _ids_at(state, range(units))


def word_ids(state: bytes) -> list[tuple[int, int]]:
    """The item id of the first character of each word (``WORD``) of the article's text:
    a word counts for whoever began it. One lookup per word, not per character: what the
    summaries of a whole charter read. Pure: may run in a thread."""
    text = ArticleDoc.from_updates([state]).text()
    starts = []
    done, units = 0, 0
    for match in WORD.finditer(text):
        units += _units(text[done : match.start()])
        starts.append(units)
        units += _units(match[0])
        done = match.end()
    return _ids_at(state, starts)


def _ids_at(state: bytes, indices: Iterable[int]) -> list[tuple[int, int]]:
    try:
        twin_update = ascii_twin(state)
    except ProtocolError as exc:
        raise CrdtError(f"cannot read the article's authors: {exc}") from exc
    twin: Doc[Text] = Doc(skip_gc=True)
    body = twin.get(BODY, type=Text)
    with _guard("cannot read the article's authors"):
        twin.apply_update(twin_update)
        return [_item_id(body.sticky_index(i, Assoc.AFTER).encode()) for i in indices]


def _item_id(raw: bytes) -> tuple[int, int]:
    """(client, clock) of an item-based relative position (kind 0): varUints after byte 0."""
    values = []
    at = 1
    for _ in range(2):
        value = shift = 0
        while True:
            byte = raw[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        values.append(value)
    return values[0], values[1]


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive characters of one origin: UTF-16 units [start, end) of the text."""

    start: int
    end: int
    origin: Origin


def runs(ids: Iterable[tuple[int, int]], authorship: Authorship) -> list[Run]:
    """The text as runs of one origin each."""
    found: list[Run] = []
    for index, (client, clock) in enumerate(ids):
        origin = authorship.origin(client, clock)
        if found and found[-1].origin == origin and found[-1].end == index:
            last = found[-1]
            found[-1] = Run(last.start, index + 1, origin)
        else:
            found.append(Run(index, index + 1, origin))
    return found


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def kept_authors(
    new_ids: list[tuple[int, int]],
    now: Authorship,
    old_ids: list[tuple[int, int]],
    old: Authorship,
) -> list[tuple[int, int, int, Origin]]:
    """A server edit made the text (whose characters now have ids ``new_ids``) read exactly
    like an older state (ids ``old_ids``): the ranges (client, clock_start, clock_end,
    origin) that give each character the origin the older state's character at its place
    had, where it differs. The edit's own words, and those of others it happened to keep
    (a diff keeps every letter in common), are then the older authors' again."""
    if len(new_ids) != len(old_ids):
        raise CrdtError("the server's edit does not read like the state it restores")
    found: list[tuple[int, int, int, Origin]] = []
    for (client, clock), (old_client, old_clock) in zip(new_ids, old_ids, strict=True):
        wanted = old.origin(old_client, old_clock)
        if now.origin(client, clock) == wanted:
            continue
        if found and found[-1][0] == client and found[-1][2] == clock and found[-1][3] == wanted:
            found[-1] = (client, found[-1][1], clock + 1, wanted)
        else:
            found.append((client, clock, clock + 1, wanted))
    return found
