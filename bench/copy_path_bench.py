"""What one copy of a broadcast costs in our Python, without the socket: the path a room
takes for every member (``Room._broadcast`` → ``YjsConnection.send`` → ``Connection.offer``
→ ``Wire.try_write`` → the transport's ``write``), for a room of ``--members`` sockets.

The sockets are stand-ins for uvicorn's websocket protocol, with the attributes
server/live/wire.py reads, and a transport whose ``write`` keeps nothing: what is left is
the interpreter's share of each copy, which the fan-out benchmark's CPU per delivered copy
includes along with the kernel's send and the per-edit work. Objects stay warm in the
processor's caches here, so this is a floor.

Run: .venv/bin/python bench/copy_path_bench.py [--members 200] [--broadcasts 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.protocol import State

from server.live.connection import Connection
from server.live.wire import Wire
from server.live.ws_yjs import YjsConnection


class Transport:
    def write(self, data: bytes) -> None:
        pass


def member(conn_id: int) -> YjsConnection:
    """A connection whose socket takes direct writes, as an open, idle socket does."""
    writable = asyncio.Event()
    writable.set()
    protocol = types.SimpleNamespace(
        handshake_complete=True,
        conn=types.SimpleNamespace(extensions=[], state=State.OPEN),
        writable=writable,
        close_sent=False,
        disconnected=False,
        transport=Transport(),
    )
    websocket = types.SimpleNamespace(scope={"extensions": {}})
    conn = YjsConnection(
        websocket,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        conn_id,
        outbox_frames=16,
        keepalive_seconds=30,
    )
    conn._wire = Wire(protocol)  # type: ignore[arg-type]
    return conn


async def measure(members: int, broadcasts: int) -> float:
    room: list[Connection] = [member(i) for i in range(members)]
    message = b"\x00\x02" + bytes(40)  # a sync update of a typical keystroke's size
    started = time.perf_counter()
    for _ in range(broadcasts):
        frame = bytes(bytearray(message))  # a new object per broadcast, as in a room
        for conn in room:
            conn.send(frame, {})
    return (time.perf_counter() - started) / (broadcasts * members)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--broadcasts", type=int, default=2000)
    args = parser.parse_args()
    best = min(asyncio.run(measure(args.members, args.broadcasts)) for _ in range(5))
    print(f"{best * 1e6:.2f} µs per copy ({args.members} members, best of 5)")


if __name__ == "__main__":
    main()
