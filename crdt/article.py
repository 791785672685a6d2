"""The shape of an article document: one Yjs doc whose root ``Y.Text`` named ``body``
holds the article's rich text as Quill-style formatting attributes.

All pycrdt errors are turned into ``CrdtError`` here, at the apply/decode boundary.
pycrdt's Rust panics are ``BaseException`` (``pyo3_runtime.PanicException``), so they
are caught explicitly and reported as ``CrdtPanic``: the doc may be half-modified.
"""

from __future__ import annotations

import bisect
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Text, TransactionEvent, merge_updates

from crdt.protocol import (
    EMPTY_UPDATE,
    MAX_CLOCK,
    Deletions,
    ProtocolError,
    RefusedContent,
    Spans,
    UpdateShape,
    check_update,
    read_state_vector,
    walk_update,
)

BODY = "body"
# Updates held back until what they lean on arrives (as Yjs keeps pending structs and
# deletions); more than this is refused, per article and per sender (a sender cannot take
# every place and so refuse the others' updates that wait for an item in flight).
MAX_WAITING = 64
MAX_WAITING_BYTES = 1024 * 1024
MAX_WAITING_PER_SENDER = 16
MAX_WAITING_BYTES_PER_SENDER = 256 * 1024
Attrs = dict[str, Any]
Op = tuple[str, Attrs | None]  # a run of text and its Quill attributes


class CrdtError(ValueError):
    """An update or state vector that pycrdt refused."""


class CrdtPanic(CrdtError):
    """pycrdt panicked: the in-memory doc can no longer be trusted."""


def _is_panic(exc: BaseException) -> bool:
    return type(exc).__module__ == "pyo3_runtime"


@contextmanager
def _guard(what: str) -> Iterator[None]:
    try:
        yield
    except (ValueError, RuntimeError, OverflowError, TypeError) as exc:
        raise CrdtError(f"{what}: {exc}") from exc
    except BaseException as exc:
        if _is_panic(exc):
            raise CrdtPanic(f"{what}: pycrdt panicked: {exc}") from None
        raise


@dataclass(slots=True)
class _Waiting:
    update: bytes
    needs: dict[int, int]  # client -> the clock this doc must reach first
    sender: object  # whose (bounds, ``forget``), by identity; None: no sender to bound
    waiter: object  # the caller's, given back with what the update changed


@dataclass(frozen=True, slots=True)
class Released:
    """A held update applied at last, or refused by pycrdt then (and dropped)."""

    waiter: object  # what the caller gave when the update was held
    delta: bytes | None  # what it changed
    refused: bool = False  # pycrdt refused it once it could be applied


@dataclass(frozen=True, slots=True)
class Offered:
    """What :meth:`ArticleDoc.offer` did with an update."""

    delta: bytes | None  # what this update changed; None: nothing, or it waits (``held``)
    held: bool = False  # it waits for what it leans on: its ``waiter`` comes back released
    released: tuple[Released, ...] = ()  # earlier held updates it let through, in order


class ArticleDoc:
    """One article document in memory. Synchronous; no I/O."""

    def __init__(self, client_id: int | None = None) -> None:
        # skip_gc keeps tombstones so that snapshots and provenance stay possible.
        self.doc: Doc[Text] = Doc(skip_gc=True, client_id=client_id)
        self.body: Text = self.doc.get(BODY, type=Text)
        self._delta: bytes | None = None
        self._clocks: dict[int, int] | None = None  # the state vector, once needed
        self._deleted: dict[int, list[tuple[int, int]]] | None = None  # delete set, once needed
        self._waiting: list[_Waiting] = []
        self._known: tuple[bytes, Spans] | None = None  # the update being applied, walked
        self._sub = self.doc.observe(_weak_capture(weakref.ref(self)))
        # pycrdt keeps an observed doc alive until it is unobserved: without this, every
        # ArticleDoc (rooms, folds, the scratch doc of each refused write) would leak.
        weakref.finalize(self, self.doc.unobserve, self._sub)

    def _capture(self, event: TransactionEvent) -> None:
        delta = self._delta = event.update
        self._deleted = None
        if self._clocks is None:
            return
        known = self._known
        if known is not None and known[0] == delta:
            spans = known[1]  # all of the update was new: walked already
        else:
            try:  # keep the clocks current from what was integrated
                spans = check_update(delta)
            except ProtocolError:  # not expected from pycrdt's own encoding: decode afresh
                self._clocks = None
                return
        for client, (_, end) in spans.items():
            self._clocks[client] = max(end, self._clocks.get(client, 0))

    @classmethod
    def from_updates(cls, updates: Iterable[bytes]) -> ArticleDoc:
        article = cls()
        for update in updates:
            article._apply(update)  # our own encodings: checked when they first arrived
        return article

    def apply(self, update: bytes, *, untrusted: bool = False) -> bytes | None:
        """Apply a v1 update; return what it changed as an update, or None if nothing.
        What held updates it let through changed is merged in (see :meth:`offer`)."""
        offered = self.offer(update, untrusted=untrusted)
        deltas = [d for d in (offered.delta, *(r.delta for r in offered.released)) if d]
        if len(deltas) > 1:
            return merge_updates(*deltas)
        return deltas[0] if deltas else None

    def offer(
        self,
        update: bytes,
        *,
        untrusted: bool = False,
        sender: object = None,
        waiter: object = None,
    ) -> Offered:
        """Apply a v1 update: what it changed, whether it waits, what it let through.

        The update is walked first (``check_update``): some malformed updates crash pycrdt.
        ``untrusted`` (a participant's update): an unsafe link raises RefusedContent.
        An update that leans on something this doc lacks waits here for it, as in Yjs, but
        within bounds (per article, and per ``sender``): one that starts past what this doc
        has of one of its clients (pycrdt 0.14.13 would show some of its text at once but
        report no change, so that text would never be sent to peers or stored), one whose
        items are placed next to or inside an item this doc does not have, one that deletes
        items it does not have (pycrdt would keep these two in memory, out of sight and
        without limit). When what it waits for arrives, it is applied after the update that
        brought it, and comes back in ``released`` with ``waiter``, its change kept apart
        (it is its sender's, to store, relay and acknowledge as such).
        """
        shape = _walk(update, untrusted)
        needs = _needs(shape)
        if self._lacks(needs):
            self._wait(_Waiting(update, needs, sender, waiter))
            return Offered(None, held=True)
        self._known = (update, shape.spans)
        try:
            delta = self._apply(update)
        finally:
            self._known = None
        if delta is None or not self._waiting:
            return Offered(delta)
        return Offered(delta, released=tuple(self._release()))

    def forget(self, sender: object) -> None:
        """Drop the updates ``sender`` has waiting (it left: none of them was acknowledged)."""
        self._waiting = [w for w in self._waiting if w.sender is not sender]

    def _lacks(self, needs: dict[int, int]) -> bool:
        clocks = self._state_clocks()
        return any(clock > clocks.get(client, 0) for client, clock in needs.items())

    def _wait(self, waiting: _Waiting) -> None:
        count, size = len(self._waiting), sum(len(w.update) for w in self._waiting)
        if count >= MAX_WAITING or size + len(waiting.update) > MAX_WAITING_BYTES:
            raise CrdtError("too many updates wait for what the document lacks")
        if waiting.sender is not None:
            own = [w for w in self._waiting if w.sender is waiting.sender]
            size = sum(len(w.update) for w in own) + len(waiting.update)
            if len(own) >= MAX_WAITING_PER_SENDER or size > MAX_WAITING_BYTES_PER_SENDER:
                raise CrdtError("too many updates of one sender wait for what the document lacks")
        self._waiting.append(waiting)

    def _release(self) -> Iterator[Released]:
        """Apply the held updates whose missing part has arrived, in the order they came."""
        ready = True
        while ready:
            ready = False
            for waiting in list(self._waiting):
                if self._lacks(waiting.needs):
                    continue
                self._waiting.remove(waiting)
                ready = True
                try:
                    delta = self._apply(waiting.update)
                except CrdtPanic:
                    raise
                except CrdtError:  # dropped, as a refused update always is
                    yield Released(waiting.waiter, None, refused=True)
                    continue
                yield Released(waiting.waiter, delta)

    def _apply(self, update: bytes) -> bytes | None:
        self._delta = None
        with _guard("cannot apply update"):
            self.doc.apply_update(update)
        delta, self._delta = self._delta, None
        return delta

    def would_change(self, update: bytes) -> bool:
        """Whether applying ``update`` would change this doc, without changing it.

        Used to refuse writes from readers while accepting their no-op sync step 2, so it
        costs what the update costs, not what the document does: structs past this doc's
        state vector are new; deletions are looked up in this doc's delete set (read once
        per change of the doc). An update that cannot be read, or that is held for a
        missing earlier part, counts as a change (it is refused either way).
        """
        if update == EMPTY_UPDATE:
            return False
        try:
            shape = _walk(update, untrusted=True)
        except (CrdtError, RefusedContent):
            return True
        clocks = self._state_clocks()
        if any(end > clocks.get(client, 0) for client, (_, end) in shape.spans.items()):
            return True
        return bool(shape.deletions) and not self._has_deleted(shape.deletions, clocks)

    def _state_clocks(self) -> dict[int, int]:
        if self._clocks is None:
            self._clocks = read_state_vector(self.doc.get_state())
        return self._clocks

    def _has_deleted(self, deletions: Deletions, clocks: dict[int, int]) -> bool:
        """Whether every item of ``deletions`` that this doc holds is deleted here already
        (deletions of items it has not seen change nothing now)."""
        if self._deleted is None:
            # A diff against our own state vector is our delete set and no structs.
            own = walk_update(self.doc.get_update(self.doc.get_state())).deletions
            self._deleted = {client: _merged(ranges) for client, ranges in own.items()}
        for client, ranges in deletions.items():
            held = clocks.get(client, 0)
            deleted = self._deleted.get(client, [])
            for clock, length in ranges:
                end = min(clock + length, held)
                if clock < end and not _covers(deleted, clock, end):
                    return False
        return True

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def update_since(self, state_vector: bytes) -> bytes:
        """What a peer with ``state_vector`` lacks (the sync step 2 payload)."""
        with _guard("bad state vector"):
            return self.doc.get_update(state_vector)

    def full_update(self) -> bytes:
        return self.doc.get_update()

    def text(self) -> str:
        return str(self.body)

    def ops(self) -> list[Op]:
        return [(str(text), _ints(attrs)) for text, attrs in self.body.diff()]

    def edit(self, change: Any) -> bytes | None:
        """Run ``change(body)`` in one local transaction; return the resulting update."""
        self._delta = None
        with self.doc.transaction():
            change(self.body)
        delta, self._delta = self._delta, None
        return delta


def _needs(shape: UpdateShape) -> dict[int, int]:
    """The clock a doc must have reached for each client before it can take an update of
    this shape whole: the start of the update's own structs of that client, the items they
    are placed next to or inside and the items it deletes (the update's own excepted)."""
    spans = shape.spans
    needs = {client: start for client, (start, _) in spans.items()}
    leans = shape.leans
    if shape.deletions:
        leans = dict(leans)
        for client, ranges in shape.deletions.items():
            end = max((clock + length for clock, length in ranges), default=0)
            leans[client] = max(end, leans.get(client, 0))
    for client, end in leans.items():
        span = spans.get(client)
        if (span is None or end > span[1]) and end > needs.get(client, 0):
            needs[client] = end
    return needs


def _walk(update: bytes, untrusted: bool) -> UpdateShape:
    try:
        return walk_update(update, links=untrusted)
    except RefusedContent:
        raise
    except ProtocolError as exc:
        raise CrdtError(f"cannot apply update: {exc}") from exc


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(clock, length) ranges as sorted, disjoint [start, end) intervals."""
    out: list[tuple[int, int]] = []
    for start, length in sorted(ranges):
        end = start + length
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _covers(intervals: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether sorted disjoint ``intervals`` cover [start, end)."""
    index = bisect.bisect_right(intervals, (start, MAX_CLOCK)) - 1
    return index >= 0 and intervals[index][0] <= start and end <= intervals[index][1]


def _weak_capture(ref: weakref.ref[ArticleDoc]) -> Callable[[TransactionEvent], None]:
    def capture(event: TransactionEvent) -> None:
        article = ref()
        if article is not None:
            article._capture(event)

    return capture


def _ints(attrs: Attrs | None) -> Attrs | None:
    """Yjs numbers come back as floats: give integral ones back as int (header levels)."""
    if not attrs:
        return None
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in attrs.items()}


def update_from_ops(ops: Iterable[Op]) -> bytes:
    """Build the first update of a new article from Quill-style runs (used once, at creation)."""
    article = ArticleDoc()

    def write(body: Text) -> None:
        # Insert the plain text, then format ranges: an unformatted insert would
        # otherwise inherit the formatting on its left (Yjs semantics).
        body.insert(0, "".join(text for text, _ in ops))
        index = 0  # pycrdt Text indices are UTF-8 bytes
        for text, attrs in ops:
            end = index + len(text.encode("utf-8"))
            if attrs:
                body.format(index, end, attrs)
            index = end

    article.edit(write)
    return article.full_update()


def fold(updates: Iterable[bytes]) -> bytes:
    """Merge stored updates into one full-state update (compaction)."""
    return ArticleDoc.from_updates(updates).full_update()


def text_of(updates: Iterable[bytes]) -> str:
    return ArticleDoc.from_updates(updates).text()
