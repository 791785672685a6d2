"""What several instances tell each other, whatever carries it: the message format and
``PeerSync``, which decides what to send and what a message means. The transport is
``RedisBackplane`` (``server/live/redis_backplane.py``); the interface rooms see is
``server/live/backplane.py``.

What crosses, and what it means (docs/deploy.md, "Several instances"):

- **update**: a change an instance applied through ``Room.apply``. The receiver applies it
  through the same door with ``remote=True``: fanned out to its members, *not stored* —
  the originating instance stores it. Each update carries the sender's sequence number; the
  sender publishes **stored** with the highest number it has committed.
- **adoption**: a receiver keeps the changes it applied from a peer until the peer says they
  are stored. If that does not come within ``ADOPT_AFTER_SECONDS`` (the peer died, the
  database or Redis failed), or a local client's write must be acknowledged while such
  changes are held, or the room unloads, the receiver stores them itself. A duplicate row
  is harmless (updates are idempotent); a lost one is not.
- **sync**: a state vector. An instance sends one for a room it has just loaded, and for
  every loaded room after its link to the others came back; a peer with the room loaded
  answers with the update the sender lacks (and, asked to, with its own state vector).
- **awareness**: presence entries, already stamped by the member's instance.
- **event**: a charter-channel event (``Services.publish``).
- **hello**: a heartbeat; an instance silent for ``PEER_TIMEOUT_SECONDS`` is gone and its
  presence entries are removed.

An instance ignores its own messages (instance id); duplicates change nothing.
"""

from __future__ import annotations

import logging
import struct
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio

from crdt.article import CrdtError
from crdt.awareness import Entry, decode_entries, encode_entries
from crdt.protocol import ProtocolError
from persistence.docs import DocStore
from server.live.backplane import OnCommit
from server.live.keys import RoomKey

if TYPE_CHECKING:
    from server.live.registry import RoomRegistry
    from server.live.rooms import Room

log = logging.getLogger("charter.backplane")

ADOPT_AFTER_SECONDS = 10.0
HELLO_SECONDS = 2.0
_SENT = struct.Struct("!d")  # a heartbeat's sending time, time.monotonic() of its sender
PEER_TIMEOUT_SECONDS = 15.0
EMPTY_UPDATE = b"\x00\x00"
MAX_OUTGOING = 10_000  # messages waiting for the transport; past that, drop and resync

UPDATE, AWARENESS, EVENT, SYNC, STORED, HELLO = b"U", b"A", b"E", b"S", b"C", b"H"
_HEADER = struct.Struct(">c16sq")  # kind, instance id, RoomKey.wire() (negative: a channel)
_SEQ = struct.Struct(">Qq")  # sequence number, participant id (-1: none)


@dataclass(frozen=True, slots=True)
class Message:
    kind: bytes
    instance: bytes
    document_id: int
    body: bytes

    def encode(self) -> bytes:
        return _HEADER.pack(self.kind, self.instance, self.document_id) + self.body

    @classmethod
    def decode(cls, data: bytes) -> Message:
        kind, instance, document_id = _HEADER.unpack_from(data)
        return cls(kind, instance, document_id, data[_HEADER.size :])


@dataclass(slots=True)
class _Held:
    """A change applied from a peer and not yet known to be stored by it."""

    seq: int
    document_id: int
    delta: bytes
    participant_id: int | None
    received: float


@dataclass(slots=True)
class _Peer:
    last_seen: float
    held: deque[_Held] = field(default_factory=deque)
    presence: set[tuple[RoomKey, int]] = field(default_factory=set)  # (room, client id)


class PeerSync:
    """The transport-independent half of a backplane: sequence numbers, held changes,
    answers to state vectors, and the bounded queue of messages the transport sends."""

    def __init__(self, store: DocStore) -> None:
        self.instance = uuid.uuid4().bytes
        self._store = store
        self._registry: RoomRegistry | None = None
        self._seq = 0
        self._stored = self._stored_sent = 0  # highest sequence number committed / announced
        self._peers: dict[bytes, _Peer] = {}
        self._out: deque[bytes] = deque()
        self._ready = anyio.Event()
        self.overflowed = False  # messages were dropped: the peers need a resync
        self._listeners: list[Callable[[int, str], None]] = []
        # Our own heartbeat's trip through Redis and back: the backplane's lag (metrics).
        self.lag_seconds: float | None = None

    def bind(self, registry: RoomRegistry) -> None:
        self._registry = registry

    def listen(self, handler: Callable[[int, str], None]) -> None:
        self._listeners.append(handler)

    def _message(self, kind: bytes, document_id: int, body: bytes = b"") -> None:
        if len(self._out) >= MAX_OUTGOING:
            self._out.clear()
            if not self.overflowed:
                log.error("backplane queue overflow: messages dropped, peers will resync")
            self.overflowed = True
        self._out.append(Message(kind, self.instance, document_id, body).encode())
        self._ready.set()

    def _committed(self, seq: int) -> None:
        self._stored = max(self._stored, seq)
        self._ready.set()

    async def outgoing(self) -> list[bytes]:
        """Wait for messages to send; the "stored" notice goes after the updates it covers."""
        await self._ready.wait()
        self._ready = anyio.Event()
        batch = list(self._out)
        self._out.clear()
        if self._stored > self._stored_sent:
            batch.append(Message(STORED, self.instance, 0, _SEQ.pack(self._stored, -1)).encode())
            self._stored_sent = self._stored
        return batch

    # -- outgoing --

    def publish_update(
        self, document_id: int, delta: bytes, participant_id: int | None
    ) -> OnCommit | None:
        self._seq += 1
        seq = self._seq
        body = _SEQ.pack(seq, -1 if participant_id is None else participant_id) + delta
        self._message(UPDATE, document_id, body)
        return lambda: self._committed(seq)

    def publish_awareness(self, key: RoomKey, payload: bytes) -> None:
        self._message(AWARENESS, key.wire(), payload)

    def publish_event(self, charter_id: int, payload: str) -> None:
        self._message(EVENT, RoomKey.channel(charter_id).wire(), payload.encode("utf-8"))

    def ask(self, key: RoomKey, state_vector: bytes, reply: bool = False) -> None:
        self._message(SYNC, key.wire(), (b"\x01" if reply else b"\x00") + state_vector)

    def resync(self) -> None:
        """The link came back: exchange state vectors for every loaded room, both ways."""
        rooms = self._registry.loaded() if self._registry is not None else []
        for room in rooms:
            self.ask(room.key, room.doc.state_vector(), reply=True)
        log.info("backplane resync rooms=%d", len(rooms))

    def hello(self) -> None:
        # It carries its sending time, which only this process reads back (peers ignore it).
        self._message(HELLO, 0, _SENT.pack(time.monotonic()))

    # -- held changes --

    def adopt(self, document_id: int) -> None:
        for peer in self._peers.values():
            if any(h.document_id == document_id for h in peer.held):
                kept = deque(h for h in peer.held if h.document_id != document_id)
                for h in peer.held:
                    if h.document_id == document_id:
                        self._store.append(h.document_id, h.delta, h.participant_id)
                        log.info("adopted a peer's change document=%d seq=%d", document_id, h.seq)
                peer.held = kept

    def tick(self) -> None:
        """Adopt what peers did not confirm in time; forget peers that went silent."""
        now = time.monotonic()
        for instance, peer in list(self._peers.items()):
            while peer.held and now - peer.held[0].received > ADOPT_AFTER_SECONDS:
                h = peer.held.popleft()
                self._store.append(h.document_id, h.delta, h.participant_id)
                log.warning(
                    "adopted an unconfirmed change document=%d seq=%d", h.document_id, h.seq
                )
            if now - peer.last_seen > PEER_TIMEOUT_SECONDS:
                self._forget(instance, peer)

    def _forget(self, instance: bytes, peer: _Peer) -> None:
        for h in peer.held:
            self._store.append(h.document_id, h.delta, h.participant_id)
        by_room: dict[RoomKey, set[int]] = {}
        for key, client_id in peer.presence:
            by_room.setdefault(key, set()).add(client_id)
        for key, client_ids in by_room.items():
            room = self._room(key)
            if room is not None:
                room.remove_presence(client_ids)
        del self._peers[instance]
        log.warning("peer gone instance=%s held=%d", instance.hex()[:8], len(peer.held))

    # -- incoming --

    def _room(self, key: RoomKey) -> Room | None:
        return self._registry.get_loaded(key) if self._registry is not None else None

    def receive(self, data: bytes) -> None:
        try:
            message = Message.decode(data)
        except struct.error:
            log.error("backplane: undecodable message bytes=%d", len(data))
            return
        if message.instance == self.instance:  # our own
            if message.kind == HELLO and len(message.body) == _SENT.size:
                (sent,) = _SENT.unpack(message.body)
                self.lag_seconds = time.monotonic() - sent
            return
        peer = self._peers.get(message.instance)
        if peer is None:
            peer = self._peers[message.instance] = _Peer(time.monotonic())
            log.info("peer seen instance=%s", message.instance.hex()[:8])
        peer.last_seen = time.monotonic()
        try:
            self._dispatch(peer, message)
        except (CrdtError, ProtocolError, UnicodeDecodeError, struct.error) as exc:
            log.error(
                "backplane: refused %r document=%d: %s", message.kind, message.document_id, exc
            )

    def _dispatch(self, peer: _Peer, message: Message) -> None:
        kind, body = message.kind, message.body
        if kind == STORED:
            seq, _ = _SEQ.unpack_from(body)
            while peer.held and peer.held[0].seq <= seq:
                peer.held.popleft()
            return
        if kind == HELLO:
            return
        key = RoomKey.from_wire(message.document_id)
        if kind == EVENT:
            for handler in self._listeners:
                handler(key.id, body.decode("utf-8"))
        room = self._room(key)
        if room is None:
            return  # not loaded here: the store (or an answer to our ask) will have it
        if kind == UPDATE:
            seq, participant = _SEQ.unpack_from(body)
            self._apply(
                peer, room, seq, body[_SEQ.size :], None if participant < 0 else participant
            )
        elif kind == AWARENESS:
            entries = decode_entries(body, 1 << 20)
            peer.presence.update((room.key, e.client_id) for e in entries if not e.removed)
            peer.presence.difference_update((room.key, e.client_id) for e in entries if e.removed)
            room.apply_remote_presence(entries)
        elif kind == EVENT:
            room.broadcast_stateless(body.decode("utf-8"))
        elif kind == SYNC:
            self._answer(room, body[1:], reply=body[:1] == b"\x01")

    def _apply(
        self, peer: _Peer, room: Room, seq: int, update: bytes, participant: int | None
    ) -> None:
        def applied(delta: bytes) -> None:  # now, or once what the update leans on has come
            peer.held.append(_Held(seq, room.document_id, delta, participant, time.monotonic()))

        room.apply(update, origin=None, remote=True, on_applied=applied)  # a panic rebuilds it

    def _answer(self, room: Room, state_vector: bytes, *, reply: bool) -> None:
        """Send what the asker lacks; it counts as stored once everything queued here is."""
        update = room.update_since(state_vector)
        if update != EMPTY_UPDATE and room.key.holds_text:
            self._seq += 1
            seq = self._seq
            self._message(UPDATE, room.document_id, _SEQ.pack(seq, -1) + update)
            # "Stored" once everything queued here so far is committed.
            self._store.append(room.document_id, None, None, lambda: self._committed(seq))
        entries: list[Entry] = room.awareness.all_entries()
        if entries:
            self._message(AWARENESS, room.key.wire(), encode_entries(entries))
        if reply:
            self.ask(room.key, room.doc.state_vector(), reply=False)
