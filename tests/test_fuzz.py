"""Property tests of the frame and update decoders, and a fuzz of the live endpoint.

The pure tests check that decoding arbitrary bytes yields a message or ``ProtocolError`` and
nothing else. The live fuzz sends generated bad frames over real sockets, each on a fresh
connection, to one article while normal clients keep editing it and a second article.
"""

from __future__ import annotations

import json
import random
import time
import tracemalloc
from dataclasses import dataclass

import anyio
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, Text

from crdt import protocol
from crdt.awareness import MAX_ENTRIES, Entry, decode_entries, encode_entries
from crdt.lib0 import MAX_VARUINT_BYTES, DecodeError, Reader, write_var_bytes, write_var_uint
from crdt.protocol import ProtocolError, check_update, decode
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.support import PyClient, documents, make_token, running_server, settle
from tests.test_bad_input import clients_of, close_code_after, nested_any, step2_reply, stored_doc

BOMB = b"\xff\xff\xff\x7a"  # a varUint of about 250 million: a length that allocates nothing
MAX_AWARENESS = Settings().max_awareness_bytes


def refused(frame: bytes) -> bool:
    try:
        decode(frame)
    except ProtocolError:
        return True
    return False


def update_refused(update: bytes) -> bool:
    try:
        check_update(update)
    except ProtocolError:
        return True
    return False


# -- pure: lib0 and the frame decoder --


@given(st.integers(0, 2**70 - 1))
def test_var_uint_round_trips(value: int) -> None:
    encoded = write_var_uint(value)
    reader = Reader(encoded)
    assert reader.read_var_uint() == value
    assert reader.remaining() == 0


@given(st.integers(128, 2**63))
def test_a_truncated_var_uint_is_refused(value: int) -> None:
    for cut in range(len(write_var_uint(value))):
        try:
            Reader(write_var_uint(value)[:cut]).read_var_uint()
        except DecodeError:
            continue
        raise AssertionError("a truncated varUint was read")


@given(st.integers(MAX_VARUINT_BYTES, 200))
def test_an_overlong_var_uint_is_refused(continuations: int) -> None:
    frame = b"\x00\x02" + b"\x80" * continuations + b"\x00"
    try:
        decode(frame)
    except ProtocolError as exc:
        assert "too long" in str(exc)
    else:
        raise AssertionError("an overlong varUint was read")


@given(st.binary(max_size=300))
def test_decode_returns_a_message_or_raises_protocol_error(frame: bytes) -> None:
    try:
        message = decode(frame)
    except ProtocolError:
        return
    assert isinstance(
        message,
        protocol.SyncStep1
        | protocol.SyncStep2
        | protocol.SyncUpdate
        | protocol.AwarenessUpdate
        | protocol.AuthMessage
        | protocol.QueryAwareness,
    )


@given(
    st.sampled_from([b"\x00\x00", b"\x00\x01", b"\x00\x02", b"\x01", b"\x02\x00", b"\x03"]),
    st.binary(max_size=64),
)
def test_decode_of_well_started_frames_never_raises_anything_else(head: bytes, tail: bytes) -> None:
    try:
        decode(head + tail)
    except ProtocolError:
        pass


@given(st.binary(max_size=200), st.text(max_size=50))
def test_encoders_round_trip(payload: bytes, reason: str) -> None:
    assert decode(protocol.sync_step1(payload)) == protocol.SyncStep1(payload)
    assert decode(protocol.sync_step2(payload)) == protocol.SyncStep2(payload)
    assert decode(protocol.sync_update(payload)) == protocol.SyncUpdate(payload)
    assert decode(protocol.awareness(payload)) == protocol.AwarenessUpdate(payload)
    assert decode(protocol.permission_denied(reason)) == protocol.AuthMessage(reason)
    assert decode(b"\x03") == protocol.QueryAwareness()


@given(st.integers(4, 2**63), st.binary(max_size=20))
def test_unknown_message_types_are_refused(kind: int, rest: bytes) -> None:
    assert refused(write_var_uint(kind) + rest)


@given(st.integers(3, 2**63), st.binary(max_size=20))
def test_unknown_sync_types_are_refused(kind: int, payload: bytes) -> None:
    assert refused(b"\x00" + write_var_uint(kind) + write_var_bytes(payload))


@given(st.integers(1, 2**63), st.binary(max_size=20))
def test_unknown_auth_types_are_refused(kind: int, rest: bytes) -> None:
    assert refused(b"\x02" + write_var_uint(kind) + rest)


@given(st.binary(max_size=20))
def test_trailing_bytes_are_refused(junk: bytes) -> None:
    assume(junk)
    assert refused(protocol.sync_step1(b"\x00") + junk)
    assert refused(b"\x03" + junk)


def test_length_prefix_bombs_are_refused_without_allocating() -> None:
    frames = [
        b"\x00\x00" + BOMB,
        b"\x00\x01" + BOMB + b"\x00",
        b"\x00\x02" + BOMB + b"\x00\x00",
        b"\x01" + BOMB,
        b"\x02\x00" + BOMB + b"abc",
        b"\x00\x02" + b"\xff" * 9 + b"\x7f",  # 2**70 - 1
    ]
    tracemalloc.start()
    try:
        for frame in frames:
            assert refused(frame), frame
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100_000
    for payload in (BOMB, b"\x01" + BOMB, b"\x01\x01" + BOMB):
        assert update_refused(payload)
        try:
            decode_entries(payload, MAX_AWARENESS)
        except ProtocolError:
            continue
        raise AssertionError(f"awareness payload {payload!r} was accepted")


# -- pure: awareness payloads --

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
states = st.none() | st.dictionaries(st.text(max_size=8), json_values, max_size=4)


@given(st.binary(max_size=200))
def test_awareness_payloads_decode_to_entries_or_raise_protocol_error(payload: bytes) -> None:
    try:
        entries = decode_entries(payload, MAX_AWARENESS)
    except ProtocolError:
        return
    assert all(isinstance(e, Entry) for e in entries)


@given(
    st.lists(
        st.tuples(st.integers(0, 2**53 - 1), st.integers(0, 2**32), states),
        max_size=MAX_ENTRIES,
    )
)
def test_awareness_entries_round_trip(raw: list[tuple[int, int, object]]) -> None:
    entries = [Entry(c, k, json.dumps(s, separators=(",", ":"))) for c, k, s in raw]
    assert decode_entries(encode_entries(entries), MAX_AWARENESS) == entries


@given(st.integers(MAX_ENTRIES + 1, 100_000))
def test_awareness_with_too_many_entries_is_refused(count: int) -> None:
    entries = [Entry(i, 1, "{}") for i in range(min(count, MAX_ENTRIES + 1))]
    payload = write_var_uint(count) + encode_entries(entries)[len(write_var_uint(len(entries))) :]
    try:
        decode_entries(payload, MAX_AWARENESS)
    except ProtocolError as exc:
        assert "entries" in str(exc)
    else:
        raise AssertionError("too many awareness entries were accepted")


@given(
    st.one_of(
        st.integers(),
        st.booleans(),
        st.text(max_size=10),
        st.lists(st.integers(), max_size=3),
        st.text(max_size=20).filter(lambda t: not _is_json(t)),
        st.integers(1100, 2000).map(lambda n: "[" * n + "]" * n),
        st.integers(MAX_AWARENESS, MAX_AWARENESS + 100).map(lambda n: '{"a":"' + "x" * n + '"}'),
    )
)
def test_awareness_states_that_are_not_json_objects_are_refused(state: object) -> None:
    text = state if isinstance(state, str) else json.dumps(state)
    try:
        decode_entries(encode_entries([Entry(7, 1, text)]), MAX_AWARENESS)
    except ProtocolError:
        return
    raise AssertionError(f"awareness state {text[:40]!r} was accepted")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


# -- pure: Yjs v1 updates --

texts = st.text(alphabet=st.sampled_from("aé😀 \n"), min_size=1, max_size=6)
edits = st.lists(
    st.tuples(st.sampled_from(["insert", "delete", "format", "embed", "map", "array"]), texts),
    min_size=1,
    max_size=12,
)


def edited_doc(steps: list[tuple[str, str]]) -> tuple[Doc, list[bytes]]:
    """A pycrdt doc after ``steps``, and the update each step produced."""
    doc: Doc = Doc(skip_gc=True, client_id=4201)  # fixed: Hypothesis replays draws
    body = doc.get("body", type=Text)
    meta = doc.get("meta", type=Map)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for i, (kind, value) in enumerate(steps):
        text = str(body)
        size = len(body)  # pycrdt indices are UTF-8 bytes: only ever at a character boundary

        def at(chars: int, text: str = text) -> int:
            return len(text[:chars].encode())

        if kind == "insert" or size == 0:
            body.insert(at(i % (len(text) + 1)), value, {"bold": True} if i % 3 else None)
        elif kind == "delete":
            del body[0 : at(len(value))]
        elif kind == "format":
            body.format(0, size, {"italic": True} if i % 2 else {"header": 2})
        elif kind == "embed":
            body.insert_embed(0, {"image": value})
        elif kind == "map":
            meta[value] = {"n": i, "list": [value, None, True, 1.5]}
        else:
            meta[f"a{i}"] = Array([value, [i, [value]]])
    return doc, updates


@given(edits)
def test_every_update_pycrdt_makes_passes_the_check(steps: list[tuple[str, str]]) -> None:
    doc, updates = edited_doc(steps)
    for update in [*updates, doc.get_update()]:
        check_update(update)


@given(edits, st.binary(min_size=1, max_size=8))
def test_an_update_with_trailing_bytes_is_refused(
    steps: list[tuple[str, str]], junk: bytes
) -> None:
    doc, _ = edited_doc(steps)
    assert update_refused(doc.get_update() + junk)


@given(st.binary(max_size=300))
def test_check_update_accepts_or_raises_protocol_error(update: bytes) -> None:
    try:
        check_update(update)
    except ProtocolError:
        pass


@given(st.integers(protocol.MAX_ANY_DEPTH + 1, 50_000))
def test_deeply_nested_values_are_refused(depth: int) -> None:
    assert update_refused(nested_any(depth))


# -- the live endpoint --

LIMIT = 16 * 1024  # a small max_message_bytes keeps the fuzz fast
REFUSES = Doc()  # pycrdt's answer to a state vector does not depend on the document


def sv_refused(state_vector: bytes) -> bool:
    try:
        REFUSES.get_update(state_vector)
    except ValueError:
        return True
    return False


@dataclass(frozen=True)
class Probe:
    kind: str
    frame: bytes | str
    expect: int | None  # the close code, or None: answered with a step 2 and left open


# Without "map": pycrdt encodes a map's entries in hash order, and Hypothesis needs the
# same bytes each time it replays a draw.
stable_edits = st.lists(
    st.tuples(st.sampled_from(["insert", "delete", "format", "embed", "array"]), texts),
    min_size=1,
    max_size=12,
)
real_updates = stable_edits.map(lambda steps: edited_doc(steps)[0].get_update())


@st.composite
def broken_updates(draw: st.DrawFn) -> bytes:
    """A real update with a few bytes flipped, inserted, cut or replaced by a bomb, such that
    ``check_update`` refuses it (whatever the document it is sent to)."""
    data = bytearray(draw(real_updates))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        change = draw(st.sampled_from(["flip", "insert", "delete", "cut", "bomb"]))
        if change == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif change == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif change == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        elif change == "cut":
            del data[at:]
        else:
            data[at:at] = BOMB
    assume(update_refused(bytes(data)))
    return bytes(data)


def _awareness_refused(payload: bytes) -> bool:
    try:
        decode_entries(payload, MAX_AWARENESS)
    except ProtocolError:
        return True
    return False


def _state_vector(entries: list[tuple[int, int]]) -> bytes:
    out = write_var_uint(len(entries))
    for client, clock in entries:
        out += write_var_uint(client) + write_var_uint(clock)
    return out


def big_state_vector(seed: int, count: int) -> bytes:
    """``count`` random (client, clock) entries: up to about 1,100 within the limit."""
    rng = random.Random(seed)
    return _state_vector([(rng.getrandbits(53), rng.getrandbits(32)) for _ in range(count)])


def _sv_probe(sv: bytes) -> Probe:
    return Probe("state vector", protocol.sync_step1(sv), 4400 if sv_refused(sv) else None)


sync_payload_kinds = st.sampled_from([protocol.sync_update, protocol.sync_step2])
probes = st.one_of(
    st.binary(max_size=64).filter(refused).map(lambda b: Probe("random bytes", b, 4400)),
    st.text(max_size=32).map(lambda t: Probe("text frame", t, 4400)),
    st.just(Probe("empty frame", b"", 4400)),
    st.builds(
        lambda k, rest: Probe("unknown type", write_var_uint(k) + rest, 4400),
        st.integers(4, 2**63),
        st.binary(max_size=16),
    ),
    st.builds(
        lambda k, p: Probe(
            "unknown sync type", b"\x00" + write_var_uint(k) + write_var_bytes(p), 4400
        ),
        st.integers(3, 2**63),
        st.binary(max_size=16),
    ),
    st.builds(
        lambda f, cut: Probe("truncated", f[: cut % len(f)], 4400),
        real_updates.map(protocol.sync_update),
        st.integers(0, 2**16),
    ),
    st.builds(
        lambda n: Probe("overlong varint", b"\x00\x02" + b"\x80" * n + b"\x00", 4400),
        st.integers(MAX_VARUINT_BYTES, 40),
    ),
    st.sampled_from([b"\x00\x00", b"\x00\x02", b"\x01", b"\x00\x01"]).map(
        lambda head: Probe("length bomb", head + BOMB, 4400)
    ),
    st.builds(
        lambda enc, u: Probe("broken update", enc(u), 4400), sync_payload_kinds, broken_updates()
    ),
    st.builds(
        lambda enc, u: Probe("random update", enc(u), 4400),
        sync_payload_kinds,
        st.binary(max_size=64).filter(update_refused),
    ),
    st.builds(
        lambda enc, d: Probe("nested value", enc(nested_any(d)), 4400),
        sync_payload_kinds,
        st.integers(protocol.MAX_ANY_DEPTH + 1, LIMIT // 2 - 20),
    ),
    st.binary(max_size=32)
    .filter(sv_refused)
    .map(lambda sv: Probe("bad state vector", protocol.sync_step1(sv), 4400)),
    st.builds(big_state_vector, st.integers(0, 2**32), st.integers(1, LIMIT // 14)).map(_sv_probe),
    st.binary(max_size=64)
    .filter(_awareness_refused)
    .map(lambda p: Probe("garbage awareness", protocol.awareness(p), 4400)),
    st.builds(
        lambda cid, state: Probe(
            "awareness state not an object",
            protocol.awareness(encode_entries([Entry(cid, 1, json.dumps(state))])),
            4400,
        ),
        st.integers(0, 2**53 - 1),
        json_values.filter(lambda v: v is not None and not isinstance(v, dict)),
    ),
    st.builds(
        lambda n: Probe(
            "awareness count", protocol.awareness(write_var_uint(n) + b"\x01\x01"), 4400
        ),
        st.integers(MAX_ENTRIES + 1, 10**6),
    ),
    st.builds(
        lambda seed, extra: Probe("too big", random.Random(seed).randbytes(LIMIT + extra), 1009),
        st.integers(0, 2**32),
        st.integers(1, 64),
    ),
)


def generate(count: int) -> list[Probe]:
    """Draw ``count`` probes with Hypothesis (generation only: the socket part is async)."""
    drawn: list[Probe] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(probes)
    def draw(probe: Probe) -> None:
        drawn.append(probe)

    draw()
    return drawn


async def test_live_fuzz_closes_each_bad_connection_and_harms_no_room(settings: Settings) -> None:
    started = time.monotonic()
    fuzz = generate(300)
    kinds = {p.kind for p in fuzz}
    assert {"text frame", "broken update", "too big", "garbage awareness"} <= kinds, kinds
    async with running_server(settings.with_overrides(max_message_bytes=LIMIT)) as server:
        editor = await make_token(server, "editor", "Éditrice")
        attacker = await make_token(server, "editor", "Attaquant")
        name_a, name_b = (await documents(server.base_url, DEMO_SLUG))[:2]
        url_a = f"{server.ws_url}/ws/{name_a}?token={attacker}"
        initial_a = clients_of((await stored_doc(server, name_a)).state_vector())
        initial_b = clients_of((await stored_doc(server, name_b)).state_vector())
        async with (
            PyClient(server.ws_url, name_a, editor) as alice,
            PyClient(server.ws_url, name_b, editor) as bob,
        ):
            typed = 0

            async def keep_typing() -> None:
                nonlocal typed
                while True:
                    alice.append(f"[a{typed}]")
                    bob.append(f"[b{typed}]")
                    typed += 1
                    await anyio.sleep(0.02)

            async with anyio.create_task_group() as tg:
                tg.start_soon(keep_typing)
                for probe in fuzz:
                    if probe.expect is None:
                        await step2_reply(url_a, bytes(probe.frame))
                    else:
                        code = await close_code_after(url_a, probe.frame)
                        assert code == probe.expect, f"{probe.kind} {probe.frame[:60]!r}: {code}"
                tg.cancel_scope.cancel()
            assert typed > 10
            assert not alice.closed.is_set() and not bob.closed.is_set()

            # Everyone converges, and the store holds exactly what the good clients wrote.
            async with (
                PyClient(server.ws_url, name_a, editor) as carol,
                PyClient(server.ws_url, name_b, editor) as dave,
            ):
                await carol.wait_text(lambda t: t == alice.value())
                await dave.wait_text(lambda t: t == bob.value())
            for client, initial in ((alice, initial_a), (bob, initial_b)):
                await settle(server, client)
                stored = await stored_doc(server, client.document)
                assert stored.text() == client.value()
                assert clients_of(stored.state_vector()) == initial | {client.doc.client_id}
                marks = "a" if client is alice else "b"
                assert all(client.value().count(f"[{marks}{i}]") == 1 for i in range(typed))
    assert time.monotonic() - started < 30
