"""Redis for the scale-out tests, like tests/databases.py for PostgreSQL.

``CHARTER_TEST_REDIS`` (default ``redis://127.0.0.1:6379/0``) names a Redis the suite may
publish on; every test uses its own channel prefix, so parallel runs never collide. On CI
(``CI=true``) Redis must be reachable: its tests fail instead of skipping. Elsewhere they skip
with a message. Fault tests start their own ``redis-server`` on a free port instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis

from tests.databases import ON_CI

REDIS = os.environ.get("CHARTER_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _unavailable(message: str) -> None:
    if ON_CI:
        pytest.fail(message + ": CI needs it", pytrace=False)
    pytest.skip(message + "; start Redis or set CHARTER_TEST_REDIS to run these tests")


def shared_redis() -> str:
    """The URL of the shared test Redis, or skip (fail on CI) when it is unreachable."""
    try:
        client = redis.Redis.from_url(REDIS, socket_connect_timeout=3)
        client.ping()
        client.close()
    except (redis.RedisError, OSError) as exc:
        _unavailable(f"Redis unreachable at {REDIS} ({type(exc).__name__}: {exc})")
    return REDIS


def unique_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A ``redis-server`` of our own on a free port, to stop and start during a test.
    Like the shared one, it keeps nothing on disk: a restart starts empty."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            _unavailable("redis-server is not installed")
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary is not None
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=1).ping()
                return
            except (redis.RedisError, OSError):
                assert self.proc.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
