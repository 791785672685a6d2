"""Awareness (presence) bookkeeping without pycrdt: decode, validate, keep, encode.

Layout (y-protocols awareness.js): varUint count, then per entry varUint clientID,
varUint clock, varString JSON state; the state ``null`` means "gone".
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from crdt.lib0 import DecodeError, Reader, write_var_string, write_var_uint
from crdt.protocol import ProtocolError

MAX_ENTRIES = 64


@dataclass(frozen=True, slots=True)
class Entry:
    client_id: int
    clock: int
    state: str  # JSON text; "null" removes the client

    @property
    def removed(self) -> bool:
        return self.state == "null"


def decode_entries(payload: bytes, max_state_bytes: int) -> list[Entry]:
    reader = Reader(payload)
    try:
        count = reader.read_var_uint()
        if count > MAX_ENTRIES:
            raise ProtocolError(f"awareness update with {count} entries")
        entries = []
        for _ in range(count):
            client_id = reader.read_var_uint()
            clock = reader.read_var_uint()
            raw = reader.read_var_bytes()
            if len(raw) > max_state_bytes:
                raise ProtocolError("awareness state too large")
            state = raw.decode("utf-8")
            _check_json(state)
            entries.append(Entry(client_id, clock, state))
        reader.expect_end()
    except (DecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"bad awareness update: {exc}") from exc
    return entries


def _check_json(state: str) -> None:
    try:
        value = json.loads(state)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("awareness state is not JSON") from exc
    if value is not None and not isinstance(value, dict):
        raise ProtocolError("awareness state must be an object or null")


def encode_entries(entries: list[Entry]) -> bytes:
    out = bytearray(write_var_uint(len(entries)))
    for entry in entries:
        out += write_var_uint(entry.client_id)
        out += write_var_uint(entry.clock)
        out += write_var_string(entry.state)
    return bytes(out)


class AwarenessStates:
    """The presence states of one room, keyed by client id, applying the clock rule."""

    def __init__(self) -> None:
        self._states: dict[int, Entry] = {}

    def __len__(self) -> int:
        return len(self._states)

    def apply(self, entries: list[Entry]) -> list[Entry]:
        """Apply the clock rule; return the entries that changed something."""
        accepted = []
        for entry in entries:
            known = self._states.get(entry.client_id)
            newer = known is None or entry.clock > known.clock
            same_clock_removal = known is not None and entry.removed and entry.clock == known.clock
            if not (newer or same_clock_removal):
                continue
            if entry.removed:
                if known is None:
                    continue
                self._states.pop(entry.client_id)
            else:
                self._states[entry.client_id] = entry
            accepted.append(entry)
        return accepted

    def remove(self, client_ids: set[int]) -> list[Entry]:
        """Forget these clients; return the removal entries to broadcast."""
        removed = []
        for client_id in client_ids:
            known = self._states.pop(client_id, None)
            if known is not None:
                removed.append(Entry(client_id, known.clock + 1, "null"))
        return removed

    def all_entries(self) -> list[Entry]:
        return list(self._states.values())


def stamp_user(entry: Entry, user: dict[str, object]) -> Entry:
    """The same entry with its ``user`` field replaced (presence identity from the server)."""
    state = json.loads(entry.state)
    state["user"] = user
    return Entry(entry.client_id, entry.clock, json.dumps(state, separators=(",", ":")))
