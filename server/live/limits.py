"""Rate limits: per connection (token buckets) and per participant (sliding windows).
Never per IP address: a workshop puts fifty people behind one router."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

C = TypeVar("C", bound=Hashable)


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float  # bucket size
    tokens: float = field(init=False)
    stamp: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.stamp = time.monotonic()

    def take(self, amount: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < amount:
            return False
        self.tokens -= amount
        return True


@dataclass
class ConnectionLimits:
    messages: TokenBucket
    bytes: TokenBucket

    @classmethod
    def per_second(cls, messages: float, bytes_per_second: float) -> ConnectionLimits:
        # Bursts of four seconds' worth: a paste or a reconnect's sync step 2 fits.
        return cls(
            TokenBucket(messages, messages * 4), TokenBucket(bytes_per_second, bytes_per_second * 4)
        )

    def admit(self, frame_bytes: int) -> str | None:
        """None if the frame may pass, else the reason for closing."""
        if not self.messages.take():
            return "too many messages per second"
        if not self.bytes.take(frame_bytes):
            return "too many bytes per second"
        return None


class SlidingWindow:
    """At most ``limit`` events per key in any ``window`` seconds (``limit`` 0: no limit).
    Keeps the times of each key's recent events, so ``limit`` stamps per active key; keys
    with nothing recent are dropped once per window."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[Hashable, deque[float]] = {}
        self._swept = time.monotonic()

    def admit(self, key: Hashable) -> float | None:
        """None if one more event of ``key`` fits (it is then counted), else the seconds
        until one will."""
        if self.limit <= 0:
            return None
        now = time.monotonic()
        self._sweep(now)
        stamps = self._events.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) >= self.limit:
            return stamps[0] + self.window - now
        stamps.append(now)
        return None

    def _sweep(self, now: float) -> None:
        if now - self._swept < self.window:
            return
        self._swept = now
        for key in [k for k, s in self._events.items() if not s or s[-1] <= now - self.window]:
            del self._events[key]


class ConnectionSlots(Generic[C]):
    """Open sockets, counted per participant (tabs, devices) and, for anonymous readers of
    a public charter, per charter and in all on this instance. Never per address."""

    def __init__(self, per_participant: int, anonymous_per_charter: int, anonymous_total: int):
        self._per_participant = per_participant
        self._anonymous_per_charter = anonymous_per_charter
        self._anonymous_total = anonymous_total
        self._participants: dict[int, set[C]] = {}
        self._anonymous: dict[int, set[C]] = {}
        self._anonymous_count = 0

    def take_participant(self, participant_id: int, conn: C) -> str | None:
        """Count ``conn`` for the participant (once); the reason if it is one too many."""
        conns = self._participants.setdefault(participant_id, set())
        if conn not in conns:
            if len(conns) >= self._per_participant:
                return "too many connections"
            conns.add(conn)
        return None

    def take_anonymous(self, charter_id: int, conn: C) -> str | None:
        conns = self._anonymous.setdefault(charter_id, set())
        if conn not in conns:
            if len(conns) >= self._anonymous_per_charter:
                return "too many anonymous readers of this charter: try again later"
            if self._anonymous_count >= self._anonymous_total:
                return "too many anonymous readers: try again later"
            conns.add(conn)
            self._anonymous_count += 1
        return None

    def release_participant(self, participant_id: int, conn: C) -> None:
        _discard(self._participants, participant_id, conn)

    def release_anonymous(self, charter_id: int, conn: C) -> None:
        if _discard(self._anonymous, charter_id, conn):
            self._anonymous_count -= 1

    def of_participant(self, participant_id: int) -> set[C]:
        return set(self._participants.get(participant_id, ()))

    def anonymous(self, charter_id: int | None = None) -> int:
        if charter_id is None:
            return self._anonymous_count
        return len(self._anonymous.get(charter_id, ()))


def _discard(groups: dict[int, set[C]], key: int, conn: C) -> bool:
    conns = groups.get(key)
    if conns is None or conn not in conns:
        return False
    conns.discard(conn)
    if not conns:
        del groups[key]
    return True
