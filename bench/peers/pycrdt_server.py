"""pycrdt-websocket's own ASGI server under uvicorn, as its documentation runs it.

``WebsocketServer`` with its defaults (rooms created on first join, no YStore: documents live
in memory, a room is deleted when its last client leaves) and an exception handler that logs
and carries on (see ``keep_serving``), behind ``ASGIServer``; the room is
the request path. run.py starts it with the peers' own virtualenv (bench/.peers/pycrdt):

    python pycrdt_server.py --port 0     prints "... (port N)" once listening

uvicorn is run with its defaults except the log level; the load generator never offers
permessage-deflate, so uvicorn's default of accepting it changes nothing here.
"""

import argparse
import asyncio
import logging
import socket

import uvicorn
from pycrdt.websocket import ASGIServer, WebsocketServer


def keep_serving(exception: Exception, log: logging.Logger) -> bool:
    """pycrdt-websocket's documented ``exception_handler``: log and carry on. Without one, a
    client that disconnects while its room sends to it (uvicorn's ClientDisconnected) ends
    the room's task group and, through it, the WebsocketServer: the whole process exits
    (seen under this harness's storm). A deployment would set this, so the benchmark does."""
    log.warning("exception in a room (ignored): %r", exception)
    return True


async def main(port: int) -> None:
    websocket_server = WebsocketServer(exception_handler=keep_serving)
    app = ASGIServer(websocket_server)
    # IPPROTO_TCP explicitly, as asyncio's own create_server(host, port) does: asyncio sets
    # TCP_NODELAY on accepted connections only when the listening socket says IPPROTO_TCP,
    # and without it Nagle's algorithm delays small frames by tens of milliseconds (this is
    # what `uvicorn app --port N` gets; we only bind the socket ourselves to print the port)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    actual = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning")
    server = uvicorn.Server(config)
    async with websocket_server:
        print(f"pycrdt-websocket on ws://127.0.0.1:{actual}  (port {actual})", flush=True)
        await server.serve(sockets=[sock])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(main(parser.parse_args().port))
