"""What the endpoints share for the lifetime of the app; built by ``create_app``'s lifespan."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from crdt.article import ArticleDoc
from persistence import lookups
from persistence.amendments import Amendments
from persistence.docs import DocStore
from persistence.engine import OneTrip
from persistence.people import People
from persistence.repo import CharterRecord, NotFound, Repo
from persistence.stores import Stores
from server.access import Principal, Scope
from server.identity import Identity
from server.live.backplane import Backplane, LocalBackplane
from server.live.keys import RoomKey
from server.live.limits import ConnectionSlots, SlidingWindow
from server.live.registry import RoomRegistry
from server.live.rooms import Room
from server.names import parse_amendment, parse_channel, parse_document
from server.settings import Settings


class Closable(Protocol):
    def request_close(self, code: int, reason: str) -> None: ...

    def __hash__(self) -> int: ...


@dataclass
class Services:
    settings: Settings
    stores: Stores
    identity: Identity
    registry: RoomRegistry
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    backplane: Backplane = field(default_factory=LocalBackplane)  # the other instances
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # Set when the app begins to stop: background rounds end at their next safe point
    # (server/domain/rounds.py).
    stopping: anyio.Event = field(default_factory=anyio.Event)
    # New comments per participant in the last minute (server/domain/comments.py ``admit``).
    comment_window: SlidingWindow = field(init=False)
    slots: ConnectionSlots[Closable] = field(init=False)

    def __post_init__(self) -> None:
        settings = self.settings
        self.comment_window = SlidingWindow(settings.max_comments_per_minute, 60.0)
        self.slots = ConnectionSlots(
            settings.max_connections_per_participant,
            settings.max_anonymous_connections,
            settings.max_anonymous_connections_total,
        )

    def next_connection_id(self) -> int:
        return next(self._ids)

    async def resolve_document(self, name: str) -> tuple[CharterRecord, RoomKey]:
        return await self.reads.run(lambda conn: self.find_document(conn, name))

    def find_document(self, conn: Connection, name: str) -> tuple[CharterRecord, RoomKey]:
        """The charter (without its outline) and the room behind a document name, in a
        ``OneTrip`` run; NotFound if there is none. A charter's channel is
        ``charters/{slug}``."""
        channel = parse_channel(name)
        if channel is not None:
            charter = lookups.charter(conn, channel)
            return charter, RoomKey.channel(charter.id)
        amendment = parse_amendment(name)
        parsed = parse_document(name)
        if amendment is not None:
            charter, document_id = lookups.amendment_document(conn, *amendment)
        elif parsed is not None:
            charter, document_id = lookups.article_document(conn, *parsed)
        else:
            raise NotFound(f"no document {name!r}")
        return charter, RoomKey.document(document_id)

    # Shortcuts to the stores used on every request.
    @property
    def engine(self) -> AsyncEngine:
        return self.stores.engine

    @property
    def repo(self) -> Repo:
        return self.stores.repo

    @property
    def people(self) -> People:
        return self.stores.people

    @property
    def store(self) -> DocStore:
        return self.stores.docs

    @property
    def reads(self) -> OneTrip:
        return self.stores.reads

    @property
    def amendments(self) -> Amendments:
        return self.stores.amendments

    async def open_room(self, key: RoomKey, name: str) -> Room:
        """The room, loaded if needed, with its document's current write scope."""
        room = await self.registry.get(key, name)
        if not room.scope_loaded and key.holds_text:
            room.scope = await self.document_scope(key.id)
            room.scope_loaded = True
        return room

    async def document_scope(self, document_id: int) -> Scope:
        """What the document says about writing it: an article's phase, or an amendment's
        authors and status."""
        phases = await self.amendments.phase_of_document(document_id)
        if phases is not None:
            charter_phase, article_phase = phases
            return Scope(amendments_only=(article_phase or charter_phase) == "amendments")
        record = await self.amendments.by_document(document_id)
        return Scope(
            kind="amendment",
            authors=frozenset(record.authors),
            closed=None if record.editable else record.status,
        )

    async def refresh_scope(self, document_id: int) -> None:
        """After a phase, an author or a status changed: loaded rooms decide with it now."""
        room = self.registry.get_loaded(RoomKey.document(document_id))
        if room is not None:
            room.scope = await self.document_scope(document_id)
            room.scope_loaded = True

    def watch_peers(self) -> None:
        """Phases and amendment statuses changed on another instance: the rooms loaded
        here decide with the new scope too."""
        self.backplane.listen(self._peer_event)

    def _peer_event(self, charter_id: int, payload: str) -> None:
        try:
            kind = json.loads(payload).get("type")
        except (ValueError, AttributeError):
            return
        if kind in ("phase", "amendment"):
            task = asyncio.get_running_loop().create_task(self._refresh_loaded_scopes())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _refresh_loaded_scopes(self) -> None:
        for room in self.registry.loaded():
            if room.key.holds_text and room.scope_loaded:
                try:
                    await self.refresh_scope(room.document_id)
                except NotFound:
                    continue

    async def article_doc(self, document_id: int) -> ArticleDoc:
        """The live doc if the room is loaded, else a read-only copy from the store."""
        room = self.registry.get_loaded(RoomKey.document(document_id))
        if room is not None:
            return room.doc
        return ArticleDoc.from_updates(await self.store.load(document_id))

    # -- live connections: caps, and role changes that take effect now --

    def connections_of(self, participant_id: int) -> int:
        return len(self.slots.of_participant(participant_id))

    def take_slot(self, principal: Principal, conn: Closable) -> str | None:
        """Count ``conn`` for whoever it speaks for (once per socket); the reason to refuse
        it if that is one socket too many. Plain code: checked and counted together."""
        if principal.participant_id is not None:
            return self.slots.take_participant(principal.participant_id, conn)
        if principal.via == "public" and principal.charter_id is not None:
            return self.slots.take_anonymous(principal.charter_id, conn)
        return None  # the administrator

    def release_slot(self, principal: Principal, conn: Closable) -> None:
        if principal.participant_id is not None:
            self.slots.release_participant(principal.participant_id, conn)
        elif principal.via == "public" and principal.charter_id is not None:
            self.slots.release_anonymous(principal.charter_id, conn)

    def publish(self, charter_id: int, event: dict[str, Any]) -> None:
        """Push an event to everyone connected to the charter's channel (over /collab),
        on every instance."""
        payload = json.dumps(event, ensure_ascii=False)
        room = self.registry.get_loaded(RoomKey.channel(charter_id))
        if room is not None:
            room.broadcast_stateless(payload)
        self.backplane.publish_event(charter_id, payload)

    def disconnect_public(self, charter_id: int, code: int, reason: str) -> int:
        """Close the connections of anonymous readers of a charter that stops being public."""
        closed = 0
        for room in self.registry.loaded():
            for member in list(room.members):
                who = member.principal
                if who.via == "public" and who.charter_id == charter_id:
                    member.request_close(code, reason)
                    closed += 1
        return closed

    def disconnect_participant(self, participant_id: int, code: int, reason: str) -> int:
        conns = self.slots.of_participant(participant_id)
        for conn in conns:
            conn.request_close(code, reason)
        return len(conns)
