"""Hocuspocus frame codec (docs/protocols.md §3): many documents over one socket.

Every document message is ``varString documentName · varUint type · payload``; sync and
awareness payloads are the y-websocket ones. Ping (``09``) and Pong (``0a``) are bare bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from crdt.lib0 import DecodeError, Reader, write_var_string, write_var_uint
from crdt.protocol import (
    AwarenessUpdate,
    ProtocolError,
    QueryAwareness,
    SyncMessage,
    _read_sync,
)

SYNC = 0
AWARENESS = 1
AUTH = 2
QUERY_AWARENESS = 3
STATELESS = 5
BROADCAST_STATELESS = 6
CLOSE = 7
SYNC_STATUS = 8
PING = b"\x09"
PONG = b"\x0a"

AUTH_TOKEN = 0
AUTH_PERMISSION_DENIED = 1
AUTH_AUTHENTICATED = 2


@dataclass(frozen=True, slots=True)
class Auth:
    token: str
    provider_version: str | None


@dataclass(frozen=True, slots=True)
class Stateless:
    payload: str


@dataclass(frozen=True, slots=True)
class Close:
    pass


DocMessage = SyncMessage | AwarenessUpdate | QueryAwareness | Auth | Stateless | Close


def decode(frame: bytes) -> tuple[str, DocMessage]:
    """One client frame -> (document name, message). Raises ProtocolError."""
    reader = Reader(frame)
    try:
        name = reader.read_var_string()
        kind = reader.read_var_uint()
        message: DocMessage
        if kind == SYNC:
            message = _read_sync(reader)
        elif kind == AWARENESS:
            message = AwarenessUpdate(reader.read_var_bytes())
        elif kind == AUTH:
            message = _read_auth(reader)
        elif kind == QUERY_AWARENESS:
            message = QueryAwareness()
        elif kind == STATELESS:
            message = Stateless(reader.read_var_string())
        elif kind == CLOSE:
            reader.read_rest()  # an optional reason; nothing to do with it
            message = Close()
        else:
            raise ProtocolError(f"message type {kind} is not accepted from clients")
        reader.expect_end()
    except DecodeError as exc:
        raise ProtocolError(str(exc)) from exc
    return name, message


def kind(frame: bytes) -> int | None:
    """The message type of a client frame, without decoding it (None: unreadable)."""
    reader = Reader(frame)
    try:
        reader.read_var_string()
        return reader.read_var_uint()
    except DecodeError:
        return None


def _read_auth(reader: Reader) -> Auth:
    sub = reader.read_var_uint()
    if sub != AUTH_TOKEN:
        raise ProtocolError(f"auth message {sub} is not accepted from clients")
    token = reader.read_var_string()
    version = reader.read_var_string() if reader.remaining() else None
    return Auth(token, version)


def prefix(name: str) -> bytes:
    return write_var_string(name)


def authenticated(name: str, scope: str) -> bytes:
    return prefix(name) + bytes((AUTH, AUTH_AUTHENTICATED)) + write_var_string(scope)


def permission_denied(name: str, reason: str) -> bytes:
    return prefix(name) + bytes((AUTH, AUTH_PERMISSION_DENIED)) + write_var_string(reason)


def sync_status(name_prefix: bytes, applied: bool) -> bytes:
    return name_prefix + bytes((SYNC_STATUS,)) + write_var_uint(1 if applied else 0)


def stateless(name_prefix: bytes, payload: str) -> bytes:
    return name_prefix + bytes((STATELESS,)) + write_var_string(payload)


def close(name: str, reason: str) -> bytes:
    return prefix(name) + bytes((CLOSE,)) + write_var_string(reason)
