"""y-websocket frame codec: bytes in, typed messages out, and back.

Wire format (PROTOCOLS.md section 1): one message per binary frame,
``varUint type`` then a type-specific payload. Hocuspocus frames are the same
messages preceded by a varString document name (see ``hocuspocus.py``).
"""

from __future__ import annotations

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


class ProtocolError(ValueError):
    """A frame that does not follow the protocol. The connection that sent it is closed."""


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
