"""The registry of loaded rooms: each document loaded once (single flight, one future per
load), idle rooms unloaded once their updates are stored, a room whose pycrdt panicked
rebuilt, and the one way for the server to edit a document itself (``server_edit``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
from anyio.abc import TaskGroup

from crdt.article import ArticleDoc
from persistence.docs import DocStore
from server.live import closecodes
from server.live.backplane import Backplane, LocalBackplane
from server.live.counts import LiveCounts
from server.live.keys import RoomKey
from server.live.rooms import Room, ServerEdit, SizeLimits

log = logging.getLogger("charter.room")

# How long the server waits for the commit of its own edit (a restore, an accepted
# amendment) before giving up.
COMMIT_TIMEOUT = 30.0


class RoomLoadError(RuntimeError):
    """A document could not be loaded (its error is the cause); a later load may succeed."""


@dataclass
class _Load:
    """One load of a document, and what its waiters learn when it ends."""

    done: anyio.Event = field(default_factory=anyio.Event)
    room: Room | None = None
    error: BaseException | None = None


class RoomRegistry:
    """Loads each document once (single flight), unloads idle rooms once stored."""

    def __init__(
        self,
        store: DocStore,
        task_group: TaskGroup,
        *,
        idle_unload_seconds: float,
        max_awareness_bytes: int,
        limits: SizeLimits | None = None,
        backplane: Backplane | None = None,
    ) -> None:
        self.counts = LiveCounts()  # for /metrics
        self._store = store
        self._backplane: Backplane = backplane or LocalBackplane()
        self._tg = task_group
        self._idle = idle_unload_seconds
        self._max_awareness = max_awareness_bytes
        self._limits = limits or SizeLimits()
        self._rooms: dict[RoomKey, Room] = {}
        self._loading: dict[RoomKey, _Load] = {}

    def loaded(self) -> list[Room]:
        return list(self._rooms.values())

    def get_loaded(self, key: RoomKey) -> Room | None:
        return self._rooms.get(key)

    async def get(self, key: RoomKey, name: str) -> Room:
        while True:
            room = self._rooms.get(key)
            if room is not None:
                return room
            load = self._loading.get(key)
            if load is None:
                return await self._load(key, name)
            await load.done.wait()
            if load.room is None:  # that load failed: its waiters learn why, nobody later
                raise RoomLoadError(f"document={name} could not be loaded") from load.error

    async def _load(self, key: RoomKey, name: str) -> Room:
        load = self._loading[key] = _Load()
        started = time.monotonic()
        try:
            await self._store.flush()  # a room being rebuilt: its last updates first
            # A charter channel holds no text and is never stored.
            updates = await self._store.load(key.id) if key.holds_text else []
            doc = ArticleDoc.from_updates(updates)
            room = Room(
                name,
                key,
                doc,
                self._store,
                self._max_awareness,
                self._limits,
                self._backplane,
                self.counts,
            )
            room.on_empty = self._schedule_unload
            room.on_broken = self.discard
            self._rooms[key] = load.room = room
            # Other instances may hold changes not stored yet: ask for them.
            self._backplane.ask(key, doc.state_vector())
            log.info("loaded %r updates=%d", room, len(updates))
            self.counts.loads += 1
            self.counts.load_seconds += time.monotonic() - started
            return room
        except BaseException as exc:
            load.error = exc
            log.error("load failed document=%s error=%r", name, exc)
            raise
        finally:
            if self._loading.get(key) is load:
                del self._loading[key]
            load.done.set()

    async def server_edit(
        self,
        document_id: int,
        name: str,
        make_update: Callable[[ArticleDoc], bytes | None],
        edit: ServerEdit,
    ) -> bytes | None:
        """The server's own change to a document, through the one door: load its room if
        needed, compute the update from the live doc and apply it with no await between,
        wait for the commit, and unload the room once idle if it was opened only for this.
        Returns the change made (None if there was nothing to change)."""
        room = await self.get(RoomKey.document(document_id), name)
        try:
            update = make_update(room.doc)
            if update is None:
                return None
            committed = anyio.Event()
            delta = room.apply(update, origin=edit, on_commit=committed.set)
            if delta is not None:
                log.info("%r server edit reason=%s", room, edit.reason)
            with anyio.fail_after(COMMIT_TIMEOUT):
                await committed.wait()
            return delta
        finally:
            if not room.members:
                room.on_empty(room)

    def discard(self, room: Room, reason: str) -> None:
        """Drop a room whose document can no longer be trusted; members reconnect."""
        if self._rooms.get(room.key) is room:
            del self._rooms[room.key]
        log.error("%r discarded: %s", room, reason)
        room.close_all(closecodes.INTERNAL_ERROR, "document reloaded, please reconnect")

    def _schedule_unload(self, room: Room) -> None:
        self._tg.start_soon(self._unload_when_idle, room)

    async def _unload_when_idle(self, room: Room) -> None:
        await anyio.sleep(self._idle)
        if room.members or self._rooms.get(room.key) is not room:
            return
        if room.key.holds_text:
            self._backplane.adopt(room.document_id)  # what peers hold unstored, kept by us
        await self._store.flush()
        if not room.members and self._rooms.get(room.key) is room:
            del self._rooms[room.key]
            log.info("unloaded %r", room)

    def close_all(self, code: int, reason: str) -> None:
        for room in self._rooms.values():
            room.close_all(code, reason)
