"""The Redis pub/sub backplane (``CHARTER_REDIS_URL``): one channel per deployment.

Two connections: a subscriber that hands every message to ``PeerSync.receive``, and a
publisher that sends ``PeerSync``'s queue in pipelined batches. Redis down never stops
an instance from serving its own clients: each side logs once, retries with back-off,
and once both are back the instance re-exchanges state vectors for every loaded room.
A heartbeat that this instance also receives tells a silent, half-open link from a
quiet one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from persistence.docs import DocStore
from server.live.backplane import OnCommit
from server.live.keys import RoomKey
from server.live.peer_sync import HELLO_SECONDS, PeerSync

if TYPE_CHECKING:
    from server.live.registry import RoomRegistry

log = logging.getLogger("charter.backplane")

MAX_BACKOFF_SECONDS = 5.0
SILENCE_SECONDS = 4 * HELLO_SECONDS  # not even our own heartbeat came back: reconnect


class RedisBackplane:
    def __init__(self, url: str, prefix: str, store: DocStore) -> None:
        self._url = url
        self.channel = f"{prefix}:backplane"
        self.sync = PeerSync(store)
        self._last_received = time.monotonic()
        self.connected = False  # the subscriber is subscribed

    def bind(self, registry: RoomRegistry) -> None:
        self.sync.bind(registry)

    def ready(self) -> bool:
        """Subscribed to the peers' channel: edits and events from them arrive."""
        return self.connected

    def lag(self) -> float | None:
        return self.sync.lag_seconds if self.connected else None

    # -- the Backplane protocol: queue, never block --

    def publish_update(
        self, document_id: int, delta: bytes, participant_id: int | None
    ) -> OnCommit | None:
        return self.sync.publish_update(document_id, delta, participant_id)

    def publish_awareness(self, key: RoomKey, payload: bytes) -> None:
        self.sync.publish_awareness(key, payload)

    def publish_event(self, charter_id: int, payload: str) -> None:
        self.sync.publish_event(charter_id, payload)

    def listen(self, handler: Callable[[int, str], None]) -> None:
        self.sync.listen(handler)

    def ask(self, key: RoomKey, state_vector: bytes) -> None:
        self.sync.ask(key, state_vector)

    def adopt(self, document_id: int) -> None:
        self.sync.adopt(document_id)

    # -- the link --

    def _client(self) -> aioredis.Redis:
        # No hidden retries: a failure must surface here so that we resync afterwards.
        return aioredis.Redis.from_url(
            self._url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=3, socket_timeout=10
        )

    async def run(self) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._subscribe_forever)
            tg.start_soon(self._publish_forever)
            tg.start_soon(self._tick_forever)

    async def _subscribe_forever(self) -> None:
        delay = 0.1
        while True:
            client = self._client()
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._last_received = time.monotonic()
                    if not self.connected:
                        log.info("backplane subscribed channel=%s", self.channel)
                    self.connected = True
                    self.sync.resync()  # whatever we missed while away
                    delay = 0.1
                    await self._listen(pubsub)
            except (RedisError, OSError) as exc:
                if self.connected:
                    log.error("backplane subscriber lost: %s; retrying", exc)
                else:
                    log.warning("backplane unreachable: %s; retry in %.1fs", exc, delay)
                self.connected = False
                await anyio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
            finally:
                await client.aclose()

    async def _listen(self, pubsub: aioredis.client.PubSub) -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None and message["type"] == "message":
                self._last_received = time.monotonic()
                self.sync.receive(message["data"])
            elif time.monotonic() - self._last_received > SILENCE_SECONDS:
                raise ConnectionError("no message, not even our own heartbeat")

    async def _publish_forever(self) -> None:
        client = self._client()
        delay, failing = 0.1, False
        try:
            while True:
                batch = await self.sync.outgoing()
                try:
                    async with client.pipeline(transaction=False) as pipe:
                        for data in batch:
                            pipe.publish(self.channel, data)
                        await pipe.execute()
                except (RedisError, OSError) as exc:
                    # Dropped: the resync after recovery sends what these carried.
                    if not failing:
                        log.error("backplane publish failed: %s; retrying", exc)
                    failing = True
                    await anyio.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                    self.sync.hello()  # something to retry with
                    continue
                if failing or self.sync.overflowed:
                    log.info("backplane publishing again")
                    failing, self.sync.overflowed, delay = False, False, 0.1
                    self.sync.resync()
        finally:
            await client.aclose()

    async def _tick_forever(self) -> None:
        while True:
            self.sync.hello()
            self.sync.tick()
            await anyio.sleep(HELLO_SECONDS)
