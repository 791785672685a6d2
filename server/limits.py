"""Rate limits: per connection (token buckets) and per participant (sliding windows).
Never per IP address: a workshop puts fifty people behind one router."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field


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
