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
MAX_REMEMBERED = 10_000  # removed client ids whose clocks a room keeps


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
        self._removed_at: dict[int, int] = {}  # client id -> the clock of its removal
        self._shifts: dict[int, int] = {}  # client id -> added to the clocks it sends

    def from_owner(self, entries: list[Entry]) -> list[Entry]:
        """The entries a client sent about itself, with clocks the others will accept.

        A client that comes back after its removal (a reconnection: a cut connection, a
        changed role or name) still counts from its old clock, and everyone saw it removed
        one tick later: y-protocols ignores a state whose clock is not above the removal's,
        so the person would stay missing from presence until their clock caught up (up to
        30 s). From then on its clocks are shifted past the removal; the client adopts the
        shifted clock from its own echo, so the shift only grows on the next return."""
        shifted = []
        for entry in entries:
            shift = self._shifts.get(entry.client_id, 0)
            removed_at = self._removed_at.get(entry.client_id)
            if entry.client_id not in self._states and removed_at is not None:
                if entry.clock + shift <= removed_at:
                    shift = removed_at + 1 - entry.clock
                    _remember(self._shifts, entry.client_id, shift)
            shifted.append(Entry(entry.client_id, entry.clock + shift, entry.state))
        return shifted

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
                _remember(self._removed_at, entry.client_id, entry.clock)
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
                _remember(self._removed_at, client_id, known.clock + 1)
        return removed

    def all_entries(self) -> list[Entry]:
        return list(self._states.values())


def _remember(clocks: dict[int, int], client_id: int, clock: int) -> None:
    """Keep a clock for a client id; the oldest one goes first past MAX_REMEMBERED."""
    clocks.pop(client_id, None)
    if len(clocks) >= MAX_REMEMBERED:
        del clocks[next(iter(clocks))]
    clocks[client_id] = clock


def stamp_user(entry: Entry, user: dict[str, object]) -> Entry:
    """The same entry with its ``user`` field replaced (presence identity from the server)."""
    state = json.loads(entry.state)
    state["user"] = user
    return Entry(entry.client_id, entry.clock, json.dumps(state, separators=(",", ":")))
