"""Diagnostic probes for the server under test; loaded only by ``bench/run.py --probe …``.

``run.py`` puts this folder on the server's PYTHONPATH, so Python imports this module at
start-up; each probe below acts only when its environment variable is set and only in a
``serve`` process. They measure or try something *without editing the server's code*; none
of them is part of the server, and figures taken with one must be labelled as such.

- ``CHARTER_PROBE_NODELAY=1``: set TCP_NODELAY on every accepted connection, which asyncio
  skips when the listening socket was created without ``IPPROTO_TCP`` (the server's
  ``socket.socket(AF_INET)``); i.e. what the server does once it creates its socket with
  ``socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)``.
- ``CHARTER_PROBE_GC_FREEZE=SECONDS``: call ``gc.freeze()`` that long after start, so that
  full collections no longer walk everything allocated at start-up.
- ``CHARTER_PROBE_GC_LOG=PATH``: append every garbage collection of generation 1 and 2 (and
  any longer than 2 ms): wall time, generation, duration, CPU time of the thread (equal to
  the duration: the collector's own work, not a wait), objects collected, and the
  generations' counters when it started. With ``CHARTER_PROBE_GC_CENSUS=SECONDS`` as well
  (``--server-env``), every collection of the youngest generation from that long after start
  is preceded by a census of it: how many objects, their references, their kinds. Slow.
- ``CHARTER_PROBE_SLOW_MS=N`` with ``CHARTER_PROBE_SLOW_LOG=PATH``: whenever the event loop
  has not ticked for N ms, append the main thread's stack as a watcher thread sees it then
  (a 1 ms heartbeat on the loop, so it works with uvloop, whose callbacks asyncio's hooks
  never see). Costs a little CPU.
- ``CHARTER_PROBE_CPROFILE=PATH``: profile the server's main thread (the event loop) with
  cProfile from ``CHARTER_PROBE_CPROFILE_START`` seconds after start (12: past the set-up
  and warm-up of a fan-out run) for ``CHARTER_PROBE_CPROFILE_SECONDS`` (10), and write the
  stats to PATH (``python -m pstats PATH``). Scheduled on the loop as uvicorn starts, so it
  works with uvloop. Slows the server down: for call counts and proportions only.
- ``CHARTER_PROBE_SENDS=PATH``: append one line per received or sent websocket frame that
  carries a load-generator marker (``r|s MARKER perf_counter``): the server's own view of
  each fan-out.
- ``CHARTER_PROBE_SYNC_OFF=1``: SQLite's ``synchronous=OFF`` on every connection the server
  opens: commits no longer wait for the disk (no ``fdatasync``), so a power cut could lose
  what was acknowledged. What durability's flushes cost.
- ``CHARTER_PROBE_NO_STORE=1``: the store's writer writes nothing: each batch counts as
  committed at once, without its trip to the database, and is acknowledged. What the server
  costs when it keeps nothing, as the y-websocket server keeps nothing.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from typing import Any

_SERVING = "serve" in sys.argv


def _nodelay() -> None:
    import asyncio.base_events as base_events
    import socket

    def set_nodelay(sock: socket.socket) -> None:
        if sock.family in {socket.AF_INET, socket.AF_INET6} and sock.type == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    base_events._set_nodelay = set_nodelay  # type: ignore[attr-defined]


def _gc_freeze(after: float) -> None:
    import threading

    threading.Timer(after, gc.freeze).start()


def _gc_log(path: str, census_after: float | None) -> None:
    from collections import Counter

    out = open(path, "a", buffering=1)
    began = time.monotonic()
    started = [0.0, 0.0]
    counts: list[tuple[int, int, int]] = [(0, 0, 0)]

    def census() -> None:
        young = gc.get_objects(0)
        refs = sum(len(gc.get_referents(o)) for o in young)
        kinds = Counter(type(o).__qualname__ for o in young).most_common(16)
        out.write(f"   young: {len(young)} objects, {refs} references, {kinds}\n")

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            counts[0] = gc.get_count()
            if (
                census_after is not None
                and info["generation"] == 0
                and time.monotonic() - began > census_after
            ):
                census()
            started[1] = time.thread_time()
            started[0] = time.perf_counter()
            return
        ms = (time.perf_counter() - started[0]) * 1000
        cpu = (time.thread_time() - started[1]) * 1000
        if info["generation"] >= 1 or ms > 2:
            out.write(
                f"{time.time():.3f} gen={info['generation']} ms={ms:.2f} cpu={cpu:.2f} "
                f"collected={info['collected']} counts={counts[0]}\n"
            )

    gc.callbacks.append(callback)


def _on_loop_start(hook: Any) -> None:
    """Run ``hook(loop)`` in the event loop's thread as uvicorn starts (any loop, uvloop too:
    its callbacks never go through asyncio's ``Handle._run`` or ``_run_once``)."""
    import asyncio

    import uvicorn.server

    startup = uvicorn.server.Server.startup

    async def probed_startup(self: Any, sockets: Any = None) -> None:
        hook(asyncio.get_running_loop())
        await startup(self, sockets)

    uvicorn.server.Server.startup = probed_startup  # type: ignore[method-assign]


def _stalls(limit_ms: float, path: str) -> None:
    import threading
    import traceback

    out = open(path, "a", buffering=1)
    main = threading.get_ident()
    beat = [time.perf_counter()]

    def heartbeat(loop: Any) -> None:
        beat[0] = time.perf_counter()
        loop.call_later(0.001, heartbeat, loop)

    def watch() -> None:
        reported = 0.0
        while True:
            time.sleep(limit_ms / 4000)
            late = (time.perf_counter() - beat[0]) * 1000
            if late > limit_ms and beat[0] != reported:
                reported = beat[0]
                frame = sys._current_frames().get(main)
                stack = traceback.extract_stack(frame)[-14:] if frame else []
                where = " > ".join(f"{f.name}:{f.lineno}" for f in stack) or "?"
                out.write(f"{time.time():.3f} {late:.1f}ms+ {where}\n")

    def start(loop: Any) -> None:
        heartbeat(loop)
        threading.Thread(target=watch, daemon=True).start()

    _on_loop_start(start)


def _sends(path: str) -> None:
    import starlette.websockets as sw

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    clock = time.perf_counter

    def marker(data: bytes) -> bytes | None:
        i = data.find(b"[m")
        return data[i : data.find(b"]", i) + 1] if i >= 0 else None

    send_bytes = sw.WebSocket.send_bytes
    receive = sw.WebSocket.receive

    async def probed_send(self: Any, data: bytes) -> None:
        m = marker(data)
        if m:
            os.write(fd, b"s %s %.6f\n" % (m, clock()))
        await send_bytes(self, data)

    async def probed_receive(self: Any) -> Any:
        event = await receive(self)
        data = event.get("bytes")
        if data and data[:2] == b"\x00\x02":
            m = marker(data)
            if m:
                os.write(fd, b"r %s %.6f\n" % (m, clock()))
        return event

    from server.live import wire

    direct_write = wire.Wire.write

    def probed_write(self: Any, payload: bytes) -> None:
        m = marker(payload)
        if m:
            os.write(fd, b"s %s %.6f\n" % (m, clock()))
        direct_write(self, payload)

    wire.Wire.write = probed_write  # type: ignore[method-assign]
    sw.WebSocket.send_bytes = probed_send  # type: ignore[method-assign]
    sw.WebSocket.receive = probed_receive  # type: ignore[method-assign]


def _sync_off() -> None:
    def patch(loop: Any) -> None:
        # Before the app's lifespan opens the database: its engines take the pragmas then.
        from persistence import engine
        from server import app

        pragmas = engine._sqlite_pragmas

        def without_sync(dbapi_connection: Any, record: Any) -> None:
            pragmas(dbapi_connection, record)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

        async def unchecked(_engine: Any) -> None:
            return None  # the server refuses to start on a database that does not sync

        engine._sqlite_pragmas = without_sync
        app.check_durability = unchecked

    _on_loop_start(patch)


def _no_store() -> None:
    def patch(loop: Any) -> None:
        from persistence import docs

        async def write_nothing(self: Any, *args: Any) -> None:
            return None

        docs.DocStore._write = write_nothing

    _on_loop_start(patch)


def _cprofile(path: str, start: float, seconds: float) -> None:
    import cProfile

    profile = cProfile.Profile()
    began = time.monotonic()

    def stop() -> None:
        profile.disable()
        profile.dump_stats(path)

    def schedule(loop: Any) -> None:
        # cProfile follows the thread that enables it: enable it in the loop's own thread.
        delay = max(0.0, start - (time.monotonic() - began))
        loop.call_later(delay, profile.enable)
        loop.call_later(delay + seconds, stop)

    _on_loop_start(schedule)


if _SERVING:
    env = os.environ
    if env.get("CHARTER_PROBE_CPROFILE"):
        _cprofile(
            env["CHARTER_PROBE_CPROFILE"],
            float(env.get("CHARTER_PROBE_CPROFILE_START", 12)),
            float(env.get("CHARTER_PROBE_CPROFILE_SECONDS", 10)),
        )
    if env.get("CHARTER_PROBE_NODELAY"):
        _nodelay()
    if env.get("CHARTER_PROBE_GC_FREEZE"):
        _gc_freeze(float(env["CHARTER_PROBE_GC_FREEZE"]))
    if env.get("CHARTER_PROBE_GC_LOG"):
        census = env.get("CHARTER_PROBE_GC_CENSUS")
        _gc_log(env["CHARTER_PROBE_GC_LOG"], float(census) if census else None)
    if env.get("CHARTER_PROBE_SLOW_MS") and env.get("CHARTER_PROBE_SLOW_LOG"):
        _stalls(float(env["CHARTER_PROBE_SLOW_MS"]), env["CHARTER_PROBE_SLOW_LOG"])
    if env.get("CHARTER_PROBE_SENDS"):
        _sends(env["CHARTER_PROBE_SENDS"])
    if env.get("CHARTER_PROBE_SYNC_OFF"):
        _sync_off()
    if env.get("CHARTER_PROBE_NO_STORE"):
        _no_store()
