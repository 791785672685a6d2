"""The shape of an article document: one Yjs doc whose root ``Y.Text`` named ``body``
holds the article's rich text as Quill-style formatting attributes.

All pycrdt errors are turned into ``CrdtError`` here, at the apply/decode boundary.
pycrdt's Rust panics are ``BaseException`` (``pyo3_runtime.PanicException``), so they
are caught explicitly and reported as ``CrdtPanic``: the doc may be half-modified.
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pycrdt import Doc, Text, TransactionEvent, merge_updates

from crdt.protocol import ProtocolError, check_update, read_state_vector

BODY = "body"
# Updates held back until the earlier updates of their client arrive (as Yjs keeps pending
# structs); more than this from a peer is refused.
MAX_WAITING = 32
MAX_WAITING_BYTES = 1024 * 1024
Attrs = dict[str, Any]
Op = tuple[str, Attrs | None]  # a run of text and its Quill attributes
Spans = dict[int, tuple[int, int]]  # client -> (first clock, end clock) of an update


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


def new_client_id() -> int:
    return random.getrandbits(52)  # Yjs client ids must stay below 2**53


class ArticleDoc:
    """One article document in memory. Synchronous; no I/O."""

    def __init__(self, client_id: int | None = None) -> None:
        # skip_gc keeps tombstones so that snapshots and provenance stay possible.
        self.doc: Doc[Text] = Doc(skip_gc=True, client_id=client_id)
        self.body: Text = self.doc.get(BODY, type=Text)
        self._delta: bytes | None = None
        self._clocks: dict[int, int] | None = None  # the state vector, once needed
        self._waiting: list[tuple[bytes, Spans]] = []
        self._known: tuple[bytes, Spans] | None = None  # the update being applied, walked
        self._sub = self.doc.observe(_weak_capture(weakref.ref(self)))
        # pycrdt keeps an observed doc alive until it is unobserved: without this, every
        # ArticleDoc (rooms, folds, the scratch doc of each refused write) would leak.
        weakref.finalize(self, self.doc.unobserve, self._sub)

    def _capture(self, event: TransactionEvent) -> None:
        delta = self._delta = event.update
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

    def apply(self, update: bytes) -> bytes | None:
        """Apply a v1 update; return what it changed as an update, or None if nothing.

        The update is walked first (``check_update``): some malformed updates crash pycrdt.
        An update that starts past what this doc has of one of its clients waits for the
        missing part, as in Yjs: pycrdt 0.14.13 would show some of its text at once but
        report no change, so that text would never be sent to peers or stored.
        """
        with _guard("cannot apply update"):
            spans = check_update(update)
        if self._has_gap(spans):
            self._wait(update, spans)
            return None
        self._known = (update, spans)
        try:
            delta = self._apply(update)
        finally:
            self._known = None
        if delta is not None and self._waiting:
            delta = self._apply_waiting(delta)
        return delta

    def _has_gap(self, spans: Spans) -> bool:
        if self._clocks is None:
            self._clocks = read_state_vector(self.doc.get_state())
        clocks = self._clocks
        return any(start > clocks.get(client, 0) for client, (start, _) in spans.items())

    def _wait(self, update: bytes, spans: Spans) -> None:
        held = sum(len(u) for u, _ in self._waiting) + len(update)
        if len(self._waiting) >= MAX_WAITING or held > MAX_WAITING_BYTES:
            raise CrdtError("too many updates wait for missing earlier updates")
        self._waiting.append((update, spans))

    def _apply_waiting(self, delta: bytes) -> bytes:
        """Apply the held updates whose missing part has arrived; merge what they changed."""
        deltas = [delta]
        ready = True
        while ready:
            ready = False
            for held in list(self._waiting):
                if self._has_gap(held[1]):
                    continue
                self._waiting.remove(held)
                ready = True
                try:
                    more = self._apply(held[0])
                except CrdtPanic:
                    raise
                except CrdtError:
                    continue  # pycrdt refused it: dropped, as a refused update always is
                if more is not None:
                    deltas.append(more)
        return merge_updates(*deltas) if len(deltas) > 1 else delta

    def _apply(self, update: bytes) -> bytes | None:
        self._delta = None
        with _guard("cannot apply update"):
            self.doc.apply_update(update)
        delta, self._delta = self._delta, None
        return delta

    def would_change(self, update: bytes, full_state: bytes | None = None) -> bool:
        """Whether applying ``update`` would change this doc, without changing it.

        Used to refuse writes from readers while accepting their no-op sync step 2.
        An update pycrdt cannot read counts as a change (it is refused either way).
        """
        if update == b"\x00\x00":
            return False
        scratch = ArticleDoc()
        scratch._apply(full_state if full_state is not None else self.full_update())
        try:
            return scratch.apply(update) is not None or bool(scratch._waiting)
        except CrdtError:
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
