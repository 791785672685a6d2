"""y-websocket frame codec: bytes in, typed messages out, and back.

Wire format (docs/protocols.md §2): one message per binary frame,
``varUint type`` then a type-specific payload. Hocuspocus frames are the same
messages preceded by a varString document name (see ``hocuspocus.py``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from crdt.lib0 import DecodeError, Reader, write_var_bytes, write_var_string

MSG_SYNC = 0
MSG_AWARENESS = 1
MSG_AUTH = 2
MSG_QUERY_AWARENESS = 3

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

EMPTY_UPDATE = b"\x00\x00"

# Bounds for Yjs v1 updates (``check_update``). yrs decodes nested values recursively, and
# 100,000 levels (200 KB) overflow its stack and kill the process; it keeps clocks in 32
# bits and wraps larger ones, so the change shows in memory but not in the update it
# reports for storage. No real document comes near any of these.
MAX_ANY_DEPTH = 32
MAX_CLIENT = 2**53  # Yjs client ids are JS numbers
MAX_CLOCK = 2**31
# A link in an article: http, https or mailto, nothing that could break out of an attribute
# or a Markdown link (whitespace, control characters, quotes, angle brackets, backslashes,
# backticks). The browser editor applies the same rule (web/src/lib/quill.js).
MAX_LINK_CHARS = 2048
SAFE_LINK = re.compile(r"(?:https?://|mailto:)[^\s\"<>\\`\x00-\x1f\x7f]+", re.IGNORECASE)


class ProtocolError(ValueError):
    """A frame that does not follow the protocol. The connection that sent it is closed."""


class RefusedContent(ProtocolError):
    """A well-formed update carrying what an article does not accept (an unsafe link).
    The message says what, for the close reason."""


@dataclass(frozen=True, slots=True)
class SyncStep1:
    state_vector: bytes


@dataclass(frozen=True, slots=True)
class SyncStep2:
    update: bytes


@dataclass(frozen=True, slots=True)
class SyncUpdate:
    update: bytes


@dataclass(frozen=True, slots=True)
class AwarenessUpdate:
    payload: bytes


@dataclass(frozen=True, slots=True)
class AuthMessage:
    """y-websocket auth: only 'permission denied' (0) exists; it is a notice."""

    reason: str


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    pass


SyncMessage = SyncStep1 | SyncStep2 | SyncUpdate
Message = SyncStep1 | SyncStep2 | SyncUpdate | AwarenessUpdate | AuthMessage | QueryAwareness


def read_message(reader: Reader) -> Message:
    """Decode one y-websocket message from ``reader``; the frame must end with it."""
    try:
        kind = reader.read_var_uint()
        message: Message
        if kind == MSG_SYNC:
            message = _read_sync(reader)
        elif kind == MSG_AWARENESS:
            message = AwarenessUpdate(reader.read_var_bytes())
        elif kind == MSG_AUTH:
            sub = reader.read_var_uint()
            if sub != 0:
                raise ProtocolError(f"unknown auth message {sub}")
            message = AuthMessage(reader.read_var_string())
        elif kind == MSG_QUERY_AWARENESS:
            message = QueryAwareness()
        else:
            raise ProtocolError(f"unknown message type {kind}")
        reader.expect_end()
    except DecodeError as exc:
        raise ProtocolError(str(exc)) from exc
    return message


def decode(frame: bytes) -> Message:
    return read_message(Reader(frame))


def _read_sync(reader: Reader) -> SyncMessage:
    sub = reader.read_var_uint()
    payload = reader.read_var_bytes()
    if sub == SYNC_STEP1:
        return SyncStep1(payload)
    if sub == SYNC_STEP2:
        return SyncStep2(payload)
    if sub == SYNC_UPDATE:
        return SyncUpdate(payload)
    raise ProtocolError(f"unknown sync message {sub}")


# -- Yjs v1 updates: checked before pycrdt sees them --

Spans = dict[int, tuple[int, int]]  # client -> (first clock, end clock) of an update's structs
Deletions = dict[int, list[tuple[int, int]]]  # client -> [(clock, length)] of its delete set
# client -> the clock just past the last of its items that an update's structs are placed
# next to (left and right origins) or inside (parent items): what it leans on
Leans = dict[int, int]


@dataclass(frozen=True, slots=True)
class UpdateShape:
    spans: Spans
    deletions: Deletions
    leans: Leans


def check_update(update: bytes, *, links: bool = False) -> Spans:
    """Walk a Yjs v1 update without applying it; raise ProtocolError if it is not one.
    Return the clocks each client's structs span, as {client: (start, end)}.

    pycrdt 0.14.13 (yrs 0.28) must not see some inputs: a deeply nested value crashes the
    process, one client's structs split over two sections make it build strings that are
    not UTF-8 (undefined behaviour: crashes seen), and clocks past 32 bits wrap. A v2
    update, which pycrdt reads as an empty v1 update and silently drops, fails on its
    trailing bytes. ``links``: also refuse (RefusedContent) a link that is not ``SAFE_LINK``.
    """
    return walk_update(update, links=links).spans


def walk_update(update: bytes, *, links: bool = False) -> UpdateShape:
    """``check_update``, also returning the update's delete set and the items it leans on."""
    reader = Reader(update)
    spans: Spans = {}
    deletions: Deletions = {}
    leans: Leans = {}
    try:
        for _ in range(reader.read_var_uint()):
            structs = reader.read_var_uint()
            client, start = _read_id(reader)
            if client in spans:
                raise ProtocolError(f"client {client} appears twice in one update")
            clock = start
            for _ in range(structs):
                clock += _skip_struct(reader, links, leans)
                if clock >= MAX_CLOCK:
                    raise ProtocolError("clock out of range")
            spans[client] = (start, clock)
        for _ in range(reader.read_var_uint()):  # delete set: client, then (clock, length)*
            client = _read_id(reader, clock=False)[0]
            ranges = deletions.setdefault(client, [])
            for _ in range(reader.read_var_uint()):
                deleted = reader.read_var_uint(), reader.read_var_uint()
                if deleted[0] + deleted[1] >= MAX_CLOCK:
                    raise ProtocolError("deleted range out of range")
                ranges.append(deleted)
        reader.expect_end()
    except DecodeError as exc:
        raise ProtocolError(f"not a v1 update: {exc}") from exc
    return UpdateShape(spans, deletions, leans)


def read_state_vector(state_vector: bytes) -> dict[int, int]:
    """A state vector (varUint count, then client and clock each) as {client: clock}."""
    reader = Reader(state_vector)
    try:
        clocks = {
            reader.read_var_uint(): reader.read_var_uint() for _ in range(reader.read_var_uint())
        }
        reader.expect_end()
    except DecodeError as exc:
        raise ProtocolError(f"not a state vector: {exc}") from exc
    return clocks


def _read_id(reader: Reader, *, clock: bool = True) -> tuple[int, int]:
    client = reader.read_var_uint()
    if client >= MAX_CLIENT:
        raise ProtocolError("client id out of range")
    if not clock:
        return client, 0
    value = reader.read_var_uint()
    if value >= MAX_CLOCK:
        raise ProtocolError("clock out of range")
    return client, value


def _skip_struct(reader: Reader, links: bool, leans: Leans) -> int:
    """Skip one struct, noting in ``leans`` the items it refers to; return the number of
    clock ticks it spans."""
    info = reader.read_byte()
    ref = info & 0x1F
    if ref in (0, 10):  # GC, Skip: a length only
        return reader.read_var_uint()
    if info & 0x80:  # left origin
        _lean_on(leans, _read_id(reader))
    if info & 0x40:  # right origin
        _lean_on(leans, _read_id(reader))
    if not info & 0xC0:  # no origin: the parent is written out
        if reader.read_var_uint() == 1:
            reader.read_var_string()  # root type name
        else:
            _lean_on(leans, _read_id(reader))  # an item holding a nested type
        if info & 0x20:
            reader.read_var_string()  # key in a map
    return _skip_content(reader, ref, links)


def _lean_on(leans: Leans, item: tuple[int, int]) -> None:
    client, clock = item
    if clock >= leans.get(client, 0):
        leans[client] = clock + 1


def _skip_content(reader: Reader, ref: int, links: bool) -> int:
    if ref == 1:  # deleted: a length
        return reader.read_var_uint()
    if ref == 2:  # JSON: strings
        count = reader.read_var_uint()
        for _ in range(count):
            reader.read_var_string()
        return count
    if ref == 4:  # string: clocks count UTF-16 units
        return len(reader.read_var_string().encode("utf-16-le")) // 2
    if ref == 8:  # any: values
        count = reader.read_var_uint()
        for _ in range(count):
            _skip_any(reader, 0)
        return count
    if ref == 3:  # binary
        reader.read_var_bytes()
    elif ref == 5:  # embed: JSON text
        reader.read_var_string()
    elif ref == 6:  # format: key, JSON value
        key = reader.read_var_string()
        value = reader.read_var_string()
        if links and key == "link":
            _check_link(value)
    elif ref == 7:  # type: 0 array .. 6 XML text; XML element and hook carry a name
        type_ref = reader.read_var_uint()
        if type_ref > 6:
            raise ProtocolError(f"unsupported type {type_ref}")
        if type_ref in (3, 5):
            reader.read_var_string()
    else:  # 9 (subdocument) is never part of an article
        raise ProtocolError(f"unsupported content {ref}")
    return 1


def _check_link(value: str) -> None:
    """A link format's JSON value: null (the link removed) or a safe address."""
    try:
        link = json.loads(value)
    except ValueError as exc:
        raise ProtocolError("link format is not JSON") from exc
    if link is None:
        return
    if not isinstance(link, str) or not link_allowed(link):
        raise RefusedContent(
            f"links must be http, https or mailto addresses of at most {MAX_LINK_CHARS} "
            "characters, without spaces or quotes"
        )


def link_allowed(link: str) -> bool:
    return len(link) <= MAX_LINK_CHARS and SAFE_LINK.fullmatch(link) is not None


def _skip_any(reader: Reader, depth: int) -> None:
    if depth > MAX_ANY_DEPTH:
        raise ProtocolError("value nested too deeply")
    tag = reader.read_byte()
    if 120 <= tag <= 127:  # 127 undefined, 126 null, 121 false, 120 true; 125..122 numbers
        if tag == 125:
            reader.read_var_int()
        elif 122 <= tag <= 124:
            reader.skip(4 if tag == 124 else 8)
    elif tag == 119:
        reader.read_var_string()
    elif tag == 118:  # object: (key, value)*
        for _ in range(reader.read_var_uint()):
            reader.read_var_string()
            _skip_any(reader, depth + 1)
    elif tag == 117:  # array
        for _ in range(reader.read_var_uint()):
            _skip_any(reader, depth + 1)
    elif tag == 116:  # bytes
        reader.read_var_bytes()
    else:
        raise ProtocolError(f"unknown value tag {tag}")


# -- encoders: each returns the message bytes without any document-name prefix --


def sync_step1(state_vector: bytes) -> bytes:
    return b"\x00\x00" + write_var_bytes(state_vector)


def sync_step2(update: bytes) -> bytes:
    return b"\x00\x01" + write_var_bytes(update)


def sync_update(update: bytes) -> bytes:
    return b"\x00\x02" + write_var_bytes(update)


def awareness(payload: bytes) -> bytes:
    return b"\x01" + write_var_bytes(payload)


def permission_denied(reason: str) -> bytes:
    return b"\x02\x00" + write_var_string(reason)


# An awareness update with zero entries: a valid message that changes nothing.
# Sent to otherwise silent connections so that clients do not time out (30 s).
KEEPALIVE = awareness(b"\x00")
