"""The backplane: what one instance tells the other instances serving the same database.

Rooms and services call it; every method is a plain, non-blocking ``def``. One instance
(``CHARTER_REDIS_URL`` empty) has no peers: ``LocalBackplane`` does nothing. Several
instances share a pub/sub channel: ``RedisBackplane`` (``redis_backplane.py``) carries the
messages that ``PeerSync`` (``peer_sync.py``) writes and reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from server.live.keys import RoomKey

OnCommit = Callable[[], None]


class Backplane(Protocol):
    """What rooms and services call; every method is a plain, non-blocking ``def``."""

    def publish_update(
        self, document_id: int, delta: bytes, participant_id: int | None
    ) -> OnCommit | None:
        """Send a change made here; returns what to run once it is committed, if anything."""
        ...

    def publish_awareness(self, key: RoomKey, payload: bytes) -> None: ...

    def publish_event(self, charter_id: int, payload: str) -> None: ...

    def listen(self, handler: Callable[[int, str], None]) -> None:
        """Call ``handler(charter_id, payload)`` for every charter event from a peer,
        whether or not the charter's channel is open here."""
        ...

    def ask(self, key: RoomKey, state_vector: bytes) -> None:
        """A room was loaded here: peers, send what they hold beyond this state vector."""
        ...

    def adopt(self, document_id: int) -> None:
        """Store the peers' changes to this document not yet known to be stored."""
        ...

    async def run(self) -> None:
        """Until cancelled: keep the link to the peers (nothing to do for one instance)."""
        ...

    def ready(self) -> bool:
        """Whether the link to the peers is up (readiness: ``/readyz``)."""
        ...

    def lag(self) -> float | None:
        """Seconds a message takes to cross to the peers (the last heartbeat's round trip
        through the link), None when unknown or when there is no link."""
        ...


class LocalBackplane:
    """A single instance: nobody to tell."""

    def publish_update(
        self, document_id: int, delta: bytes, participant_id: int | None
    ) -> OnCommit | None:
        return None

    def publish_awareness(self, key: RoomKey, payload: bytes) -> None:
        pass

    def publish_event(self, charter_id: int, payload: str) -> None:
        pass

    def listen(self, handler: Callable[[int, str], None]) -> None:
        pass

    def ask(self, key: RoomKey, state_vector: bytes) -> None:
        pass

    def adopt(self, document_id: int) -> None:
        pass

    async def run(self) -> None:
        pass

    def ready(self) -> bool:
        return True

    def lag(self) -> float | None:
        return None
