"""Comment anchors: Yjs relative positions (``Y.encodeRelativePosition``), checked and
resolved correctly in text of any script.

A relative position names a character by its item id (client, clock), or the start/end of
the root text by its name, plus an association (docs/protocols.md §4.2)::

    varUint 0, varUint client, varUint clock | varUint 1, varString type name
    then varInt assoc (optional in old encodings: 0)

pycrdt resolves them wrongly inside non-ASCII text: it adds a UTF-16 offset inside an item
to the UTF-8 byte offset of the item's start. Its resolution is right when every character
is one byte, one UTF-16 unit and one clock tick, so we resolve in a *twin* of the article:
the same update with every string replaced by as many ``x`` as it has UTF-16 units. Ids,
origins, deletions and so the order of items are unchanged; pycrdt's byte index in the twin
is then the UTF-16 index in the real text, which is what Yjs (and Quill) count.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycrdt import Doc, StickyIndex, Text

from crdt.article import BODY, ArticleDoc, CrdtError, _guard
from crdt.lib0 import DecodeError, Reader, write_var_string, write_var_uint
from crdt.protocol import (
    MAX_CLIENT,
    MAX_CLOCK,
    ProtocolError,
    _read_id,
    _skip_any,
    read_state_vector,
)

MAX_ANCHOR_BYTES = 64  # an item id is at most 1 + 8 + 5 bytes; "body" by name is 6


class AnchorError(ValueError):
    """Bytes that are not a relative position in an article's text."""


@dataclass(frozen=True, slots=True)
class RelPos:
    """A decoded relative position: an item id, or the start/end of the root text."""

    client: int | None  # None: the root text itself (start if assoc < 0, else end)
    clock: int
    assoc: int  # >= 0: sticks to the character after; < 0: to the one before

    def encode(self) -> bytes:
        """The canonical encoding (what Yjs writes), e.g. for pycrdt."""
        if self.client is None:
            head = b"\x01" + write_var_string(BODY)
        else:
            head = b"\x00" + write_var_uint(self.client) + write_var_uint(self.clock)
        return head + write_var_int(self.assoc)


def write_var_int(value: int) -> bytes:
    """lib0 ``writeVarInt``: first byte = continue bit, sign bit (0x40), 6 value bits."""
    negative = value < 0
    magnitude = -value if negative else value
    first = (0x80 if magnitude > 0x3F else 0) | (0x40 if negative else 0) | (magnitude & 0x3F)
    out = bytearray((first,))
    magnitude >>= 6
    while magnitude:
        out.append((0x80 if magnitude > 0x7F else 0) | (magnitude & 0x7F))
        magnitude >>= 7
    return bytes(out)


def decode(data: bytes) -> RelPos:
    """Check that ``data`` is a relative position in the article's root text ``body``."""
    if not data or len(data) > MAX_ANCHOR_BYTES:
        raise AnchorError("not a relative position: wrong length")
    reader = Reader(data)
    try:
        kind = reader.read_var_uint()
        if kind == 0:
            client, clock = _read_id(reader)
        elif kind == 1:
            name = reader.read_var_string()
            if name != BODY:
                raise AnchorError(f"the position is in {name!r}, not in the article's text")
            client, clock = None, 0
        elif kind == 2:
            raise AnchorError("the position is in a nested type, not in the article's text")
        else:
            raise AnchorError(f"not a relative position: unknown kind {kind}")
        assoc = reader.read_var_int() if reader.remaining() else 0
        reader.expect_end()
    except (DecodeError, ProtocolError) as exc:
        raise AnchorError(f"not a relative position: {exc}") from exc
    if client is not None and (client >= MAX_CLIENT or clock >= MAX_CLOCK):
        raise AnchorError("not a relative position: id out of range")
    return RelPos(client, clock, -1 if assoc < 0 else 0)


# -- the twin: the same items, every string made of ASCII "x" --


def ascii_twin(update: bytes) -> bytes:
    """``update`` (our own encoding of an article: not checked again) with each string
    content replaced by ``x`` * (its UTF-16 length)."""
    reader = Reader(update)
    out = bytearray()
    copied = 0
    try:
        for _ in range(reader.read_var_uint()):
            structs = reader.read_var_uint()
            _read_id(reader)
            for _ in range(structs):
                found = _twin_struct(reader)
                if found is not None:
                    start, text = found
                    out += update[copied:start]
                    out += write_var_string("x" * (len(text.encode("utf-16-le")) // 2))
                    copied = reader.pos
    except DecodeError as exc:  # pycrdt's own encoding: not expected
        raise ProtocolError(f"not a v1 update: {exc}") from exc
    out += update[copied:]
    return bytes(out)


def _twin_struct(reader: Reader) -> tuple[int, str] | None:
    """Skip one struct; for a string, return where its varString starts and the text."""
    info = reader.read_byte()
    ref = info & 0x1F
    if ref in (0, 10):
        reader.read_var_uint()
        return None
    if info & 0x80:
        _read_id(reader)
    if info & 0x40:
        _read_id(reader)
    if not info & 0xC0:
        if reader.read_var_uint() == 1:
            reader.read_var_string()
        else:
            _read_id(reader)
        if info & 0x20:
            reader.read_var_string()
    if ref == 4:
        start = reader.pos
        return start, reader.read_var_string()
    _skip_content(reader, ref)
    return None


def _skip_content(reader: Reader, ref: int) -> None:
    if ref in (1, 7):  # deleted length; type ref (+ name for XML element and hook)
        value = reader.read_var_uint()
        if ref == 7 and value in (3, 5):
            reader.read_var_string()
    elif ref == 2:
        for _ in range(reader.read_var_uint()):
            reader.read_var_string()
    elif ref == 3:
        reader.read_var_bytes()
    elif ref == 5:
        reader.read_var_string()
    elif ref == 6:
        reader.read_var_string()
        reader.read_var_string()
    elif ref == 8:
        for _ in range(reader.read_var_uint()):
            _skip_any(reader, 0)


# -- resolution --


@dataclass(frozen=True, slots=True)
class Span:
    """Where an anchor is now, in UTF-16 units of the article's text (as in Yjs and Quill)."""

    start: int
    end: int

    @property
    def detached(self) -> bool:
        """Every character of the passage was deleted: nothing is left between the ends."""
        return self.end <= self.start


class Resolver:
    """Resolves anchors against one state of an article (build one per state)."""

    def __init__(self, article: ArticleDoc) -> None:
        self._utf16 = article.text().encode("utf-16-le")
        self._doc: Doc[Text] = Doc(skip_gc=True)
        self._body = self._doc.get(BODY, type=Text)
        try:
            twin = ascii_twin(article.full_update())
        except ProtocolError as exc:
            raise CrdtError(f"cannot read the article for anchors: {exc}") from exc
        with _guard("cannot read the article for anchors"):
            self._doc.apply_update(twin)
        self._length = len(self._body)
        self._clocks = read_state_vector(self._doc.get_state())

    def index(self, pos: RelPos) -> int | None:
        """The UTF-16 index of ``pos`` now; None if it names text this state lacks."""
        if pos.client is None:
            return 0 if pos.assoc < 0 else self._length
        if self._clocks.get(pos.client, 0) <= pos.clock:
            return None
        with _guard("cannot resolve an anchor"):
            index = StickyIndex.decode(pos.encode(), self._body).get_index()
        return min(max(int(index), 0), self._length)

    def span(self, start: RelPos, end: RelPos) -> Span | None:
        """Where the passage between two positions is now; None if either is unknown here."""
        first, last = self.index(start), self.index(end)
        if first is None or last is None:
            return None
        return Span(first, last)

    def find(self, quote: str, at: int) -> Span | None:
        """``quote`` where it stands in the text now, if it starts at or spans ``at`` (UTF-16
        units), else None: how a passage whose characters were all deleted is found again
        when the same words come back in the same place (an undo, a restored version).
        The same words elsewhere (moved, or another sentence) are not it."""
        wanted = quote.encode("utf-16-le")
        if not wanted:
            return None
        units = len(wanted) // 2
        first = max(0, at - units) * 2
        found = self._utf16.find(wanted, first, (at + units) * 2)
        while found >= 0 and found % 2:
            found = self._utf16.find(wanted, found + 1, (at + units) * 2)
        if found < 0:
            return None
        return Span(found // 2, found // 2 + units)

    def text(self, span: Span) -> str:
        """The article's text between the two ends (empty when detached)."""
        if span.detached:
            return ""
        chunk = self._utf16[span.start * 2 : span.end * 2]
        return chunk.decode("utf-16-le", errors="replace")


__all__ = ["AnchorError", "RelPos", "Resolver", "Span", "ascii_twin", "decode", "write_var_int"]
