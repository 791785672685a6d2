"""Rooms: one live article document in memory, its members and their presence.

``Room.apply`` is the one door for every change to a document. It is a plain
``def``: apply, fan out to the other members' outboxes, queue for the store. On
one event loop that is atomic without locks, and per-document order is the
order in which the loop runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from crdt import protocol
from crdt.article import ArticleDoc, CrdtPanic
from crdt.awareness import AwarenessStates, Entry, decode_entries, encode_entries, stamp_user
from crdt.protocol import (
    AuthMessage,
    AwarenessUpdate,
    Message,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
)
from persistence.docs import DocStore
from server.access import Action, Decision, Principal, Scope, decide
from server.live import closecodes
from server.live.backplane import Backplane, LocalBackplane
from server.live.counts import LiveCounts
from server.live.keys import RoomKey

log = logging.getLogger("charter.room")

EMPTY_STATE_VECTOR = b"\x00"
# How long the server's own edit (a restore, an accepted amendment) waits for its commit.
# Client ids whose presence is bound to a participant, kept per room while it is loaded.
MAX_PRESENCE_OWNERS = 10_000


@dataclass(frozen=True)
class SizeLimits:
    warn_bytes: int = 8 * 1024 * 1024
    max_bytes: int = 32 * 1024 * 1024


Frames = dict[bytes, bytes]  # one broadcast's frames, framed once per kind of member


class Member(Protocol):
    """One connection's presence in one room (a y-websocket socket, or one document
    of a multiplexed socket). It frames what the room sends as its protocol wants."""

    principal: Principal
    awareness_ids: set[int]
    step1_first: bool  # answers a client's sync step 1 with its own step 1 first

    def send(self, message: bytes, frames: Frames | None = None) -> None:
        """Send one y-websocket message; never raises. ``frames``: a broadcast's cache,
        so that members framed alike share one framed copy."""

    def send_stateless(self, payload: str, frames: Frames) -> None:
        """An application event, for members whose protocol carries them."""

    def acknowledge(self, applied: bool) -> None: ...

    def refuse_write(self, reason: str) -> None: ...

    def request_close(self, code: int, reason: str) -> None: ...


@dataclass(frozen=True)
class ServerEdit:
    """The origin of a change the server makes itself, on behalf of a participant: restoring
    a version, accepting an amendment. Its text keeps the authors it had."""

    reason: str
    participant_id: int | None = None


Origin = Member | ServerEdit | None  # None: a change from another instance (the backplane)


@dataclass(frozen=True, slots=True)
class _Landing:
    """Where an update's change goes once applied: who sent it, what to run once stored."""

    origin: Origin
    participant_id: int | None
    on_commit: Callable[[], None] | None
    remote: bool
    on_applied: Callable[[bytes], None] | None = None

    @property
    def member(self) -> Member | None:
        """The member who sent it, if a member did (not the server, not another instance)."""
        origin = self.origin
        return None if origin is None or isinstance(origin, ServerEdit) else origin


class Room:
    def __init__(
        self,
        name: str,
        key: RoomKey,
        doc: ArticleDoc,
        store: DocStore,
        max_awareness: int,
        limits: SizeLimits | None = None,
        backplane: Backplane | None = None,
        counts: LiveCounts | None = None,
    ) -> None:
        self.name = name
        self.key = key
        self.document_id = key.id  # stored and relayed under it (documents only)
        self.doc = doc
        self.members: list[Member] = []
        self.awareness = AwarenessStates()
        self.broken = False
        self.read_only = not key.holds_text  # a charter channel: presence and events
        # What the document says about writing it (phase, amendment authors); set by the
        # services when the room opens and whenever it changes.
        self.scope = Scope()
        self.scope_loaded = False
        self._store = store
        self._backplane: Backplane = backplane or LocalBackplane()
        self._max_awareness = max_awareness
        # client id -> who first spoke for it here: a participant, or an anonymous connection
        self._presence_owners: dict[int, object] = {}
        self._full_state: bytes | None = None  # cached answer to an empty state vector
        self._limits = limits or SizeLimits()
        self._counts = counts or LiveCounts()
        # Size of the stored history: the state at load plus every change since (cheap to keep).
        self.stored_bytes = len(doc.full_update())
        self.on_empty: Callable[[Room], None] = lambda room: None
        # pycrdt panicked: the doc in memory can no longer be trusted (the registry rebuilds it)
        self.on_broken: Callable[[Room, str], None] = lambda room, reason: None

    def __repr__(self) -> str:
        return f"document={self.name}"

    # -- membership --

    def join(self, member: Member, *, send_step1: bool) -> None:
        self.members.append(member)
        if send_step1:
            member.send(protocol.sync_step1(self.doc.state_vector()))
        if len(self.awareness):
            member.send(protocol.awareness(self._all_awareness()))

    def leave(self, member: Member) -> None:
        if member not in self.members:
            return
        self.members.remove(member)
        self.doc.forget(member)  # its updates still waiting: never acknowledged, sent again
        for client_id in member.awareness_ids:
            if self._presence_owners.get(client_id) is member:  # an anonymous connection's
                del self._presence_owners[client_id]
        removed = self.awareness.remove(member.awareness_ids)
        if removed:
            payload = encode_entries(removed)
            self._broadcast(protocol.awareness(payload), exclude=None)
            self._backplane.publish_awareness(self.key, payload)
        if not self.members:
            self.on_empty(self)

    # -- messages --

    def handle(self, member: Member, message: Message) -> None:
        """Act on one decoded message from ``member``. Raises ProtocolError / CrdtError;
        after a CrdtPanic the room is broken and rebuilt (``on_broken``)."""
        try:
            self._handle(member, message)
        except CrdtPanic as exc:
            self._break(exc)
            raise

    def _break(self, exc: CrdtPanic) -> None:
        if not self.broken:
            self.broken = True
            self.on_broken(self, str(exc))

    def _handle(self, member: Member, message: Message) -> None:
        if isinstance(message, SyncStep1):
            if member.step1_first:
                member.send(protocol.sync_step1(self.doc.state_vector()))
            member.send(protocol.sync_step2(self.update_since(message.state_vector)))
        elif isinstance(message, SyncStep2 | SyncUpdate):
            self._write(member, message.update)
        elif isinstance(message, AwarenessUpdate):
            self._awareness(member, message.payload)
        elif isinstance(message, QueryAwareness):
            member.send(protocol.awareness(self._all_awareness()))
        elif isinstance(message, AuthMessage):
            pass  # y-websocket's auth message is a client-side notice; nothing to do

    def _write(self, member: Member, update: bytes) -> None:
        decision = decide(member.principal, Action.WRITE, scope=self.scope)
        if self.read_only:
            decision = Decision(False, "the charter channel carries no text")
        elif decision.allowed and self.stored_bytes > self._limits.max_bytes:
            decision = Decision(False, "the article is too large: split it into several articles")
        if not decision.allowed:
            if self.doc.would_change(update):
                self._counts.refused_writes += 1
                member.refuse_write(decision.reason)
            else:
                member.acknowledge(True)  # nothing new: a no-op step 2 from a reader
            return
        self.apply(update, origin=member, on_commit=lambda: member.acknowledge(True))

    def apply(
        self,
        update: bytes,
        origin: Origin,
        on_commit: Callable[[], None] | None = None,
        *,
        remote: bool = False,
        on_applied: Callable[[bytes], None] | None = None,
    ) -> bytes | None:
        """The one door: apply, queue for the store, tell the other instances, fan out to
        everyone but ``origin``.

        ``remote``: the change comes from another instance (the backplane), which stores
        it; here it is only applied, fanned out and given to ``on_applied`` (kept, to be
        stored here should that instance fail to: server/live/peer_sync.py). Returns the
        change the update made (None when it was already known, or when it waits for what it
        leans on). Raises CrdtError for an update pycrdt refuses, RefusedContent for a
        member's update carrying what an article does not accept (an unsafe link); nothing is
        then stored or sent.

        An update that waits (crdt/article.py) is stored, relayed and acknowledged when it is
        applied at last, as its sender's, after the update that brought what it lacked.
        """
        if isinstance(origin, ServerEdit):
            participant_id, untrusted = origin.participant_id, False
        else:
            participant_id = origin.principal.participant_id if origin is not None else None
            untrusted = origin is not None
        landing = _Landing(origin, participant_id, on_commit, remote, on_applied)
        try:
            offered = self.doc.offer(
                update, untrusted=untrusted, sender=landing.member, waiter=landing
            )
        except CrdtPanic as exc:
            self._break(exc)
            raise
        if not offered.held:
            self._land(offered.delta, landing)
        for released in offered.released:
            waiting: _Landing = released.waiter  # type: ignore[assignment]
            if released.refused:
                if waiting.member is not None:
                    waiting.member.request_close(closecodes.BAD_FRAME, "update rejected")
                continue
            self._land(released.delta, waiting)
        return offered.delta

    def _land(self, delta: bytes | None, landing: _Landing) -> None:
        """What an applied update changed: queue it for the store (unless another instance
        stores it), tell the other instances, fan it out; or, if nothing, acknowledge it."""
        if delta is None:
            if not landing.remote:
                # Known already, maybe from a peer that has not stored it yet: an
                # acknowledgement must still mean "committed", so store what peers hold.
                self._backplane.adopt(self.document_id)
                self._store.append(self.document_id, None, None, landing.on_commit)
            return
        self._full_state = None
        before, self.stored_bytes = self.stored_bytes, self.stored_bytes + len(delta)
        if before <= self._limits.warn_bytes < self.stored_bytes:
            log.warning("%r stored state passed %d bytes", self, self._limits.warn_bytes)
        if not landing.remote:  # queued for the store before anyone sees it: never relayed unstored
            participant_id = landing.participant_id
            stored = self._backplane.publish_update(self.document_id, delta, participant_id)
            on_commit = _both(landing.on_commit, stored)
            self._store.append(self.document_id, delta, participant_id, on_commit)
            self._counts.edits += 1
        else:
            self._counts.peer_edits += 1
            if landing.on_applied is not None:
                landing.on_applied(delta)
        self._broadcast(protocol.sync_update(delta), exclude=landing.origin)

    def update_since(self, state_vector: bytes) -> bytes:
        if state_vector == EMPTY_STATE_VECTOR:
            if self._full_state is None:
                self._full_state = self.doc.full_update()
            return self._full_state
        return self.doc.update_since(state_vector)

    def _awareness(self, member: Member, payload: bytes) -> None:
        """Presence: one client id per member, and the ``user`` others see is stamped from
        the member's principal (our records), never taken from the client."""
        entries = decode_entries(payload, self._max_awareness)
        if not member.awareness_ids:
            first = next((e for e in entries if self._may_claim(member, e)), None)
            if first is None:
                return
            self._claim(member, first.client_id)
        mine = [
            e if e.removed else stamp_user(e, member.principal.presence())
            for e in entries
            if e.client_id in member.awareness_ids
        ]
        accepted = self.awareness.apply(self.awareness.from_owner(mine))
        if accepted:
            # Everyone, the sender included: clients count the echo as traffic (keepalive).
            payload = encode_entries(accepted)
            self._broadcast(protocol.awareness(payload), exclude=None)
            self._backplane.publish_awareness(self.key, payload)

    def _may_claim(self, member: Member, entry: Entry) -> bool:
        """A client id is free for ``member`` if no other member speaks for it now and no
        other participant spoke for it before in this room (presence cannot be taken over
        while its owner is away, e.g. reconnecting with the same id)."""
        if entry.removed or any(entry.client_id in m.awareness_ids for m in self.members):
            return False
        owner = self._presence_owners.get(entry.client_id)
        return owner is None or owner == _owner(member)

    def _claim(self, member: Member, client_id: int) -> None:
        member.awareness_ids.add(client_id)
        owners = self._presence_owners
        if client_id not in owners and len(owners) >= MAX_PRESENCE_OWNERS:
            del owners[next(iter(owners))]  # the oldest claim goes first
        owners[client_id] = _owner(member)

    def apply_remote_presence(self, entries: list[Entry]) -> None:
        """Presence from another instance, stamped there: keep it and relay it here."""
        accepted = self.awareness.apply(entries)
        if accepted:
            self._broadcast(protocol.awareness(encode_entries(accepted)), exclude=None)

    def remove_presence(self, client_ids: set[int]) -> None:
        """Forget the presence of clients of an instance that went away."""
        removed = self.awareness.remove(client_ids)
        if removed:
            self._broadcast(protocol.awareness(encode_entries(removed)), exclude=None)

    def _all_awareness(self) -> bytes:
        entries: list[Entry] = self.awareness.all_entries()
        return encode_entries(entries)

    def _broadcast(self, message: bytes, exclude: Origin) -> None:
        frames: Frames = {}
        self._counts.copies += len(self.members)
        for member in self.members:
            if member is not exclude:
                member.send(message, frames)

    def broadcast_stateless(self, payload: str) -> None:
        """An application event to every member whose protocol carries them."""
        frames: Frames = {}
        for member in self.members:
            member.send_stateless(payload, frames)

    def close_all(self, code: int, reason: str) -> None:
        for member in list(self.members):
            member.request_close(code, reason)


def _owner(member: Member) -> object:
    """A participant owns its client ids across connections; anyone else, per connection."""
    participant_id = member.principal.participant_id
    return ("participant", participant_id) if participant_id is not None else member


def _both(
    first: Callable[[], None] | None, second: Callable[[], None] | None
) -> Callable[[], None] | None:
    if first is None or second is None:
        return first or second

    def both() -> None:
        first()
        second()

    return both
