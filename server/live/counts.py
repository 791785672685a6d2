"""What the live side counts for operators (``/metrics``): plain numbers bumped where things
happen — an int addition on the hot path, nothing more — and read when metrics are scraped.
One per application (a RoomRegistry's), so that servers run side by side in one process
count apart."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class LiveCounts:
    edits: int = 0  # changes applied here from a client of this instance or the server
    peer_edits: int = 0  # changes applied here from another instance
    copies: int = 0  # messages offered to members by broadcasts (fan-out)
    refused_writes: int = 0
    loads: int = 0  # documents loaded into rooms
    load_seconds: float = 0.0
    # Sockets open now, by endpoint (ws, collab); closed ones by close code ("peer": closed
    # by the other side, with no code of ours). Roles are the rooms' members' (scraped).
    connections: Counter[str] = field(default_factory=Counter)
    closes: Counter[str] = field(default_factory=Counter)
