"""Per-connection rate limits (token buckets). Never per IP address: a workshop puts
fifty people behind one router."""

from __future__ import annotations

import time
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
