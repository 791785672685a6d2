"""The servers under test, a fresh process per run: our server (one process, or N
instances sharing PostgreSQL and Redis) with its environment and probes, the peers from
their install folder, and the null relay."""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scenarios import BENCH, PEERS, Json

CHARTER = "bench"
# Plain words; never "[m", the generator's marker prefix.
SEED_TEXT = (
    "Les habitants du quartier se réunissent chaque mois pour relire la charte, proposer des "
    "amendements et voter sur les articles en suspens. Chaque proposition est publiée en ligne "
    "au moins une semaine avant la réunion afin que tout le monde puisse la lire et la commenter."
)


class Process:
    """A server subprocess whose first stdout line contains "(port N)"."""

    def __init__(
        self, command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.command = command
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.log_path = log
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.cpus: str | None = None  # pinned to these cores (``taskset -c``), or not

    def start(self, timeout: float = 30.0) -> None:
        self.log = open(self.log_path, "a")
        pin = ["taskset", "-c", self.cpus] if self.cpus else []
        self.proc = subprocess.Popen(
            [*pin, *self.command],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        stdout = self.proc.stdout
        assert stdout is not None
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(stdout.readline()))
        reader.start()
        reader.join(timeout)
        match = re.search(r"\(port (\d+)\)", first[0] if first else "")
        if not match:
            self.stop()
            raise RuntimeError(f"{self.command[0]} did not start; see {self.log_path}")
        self.port = int(match.group(1))
        threading.Thread(target=self._drain, args=(stdout,), daemon=True).start()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        pass

    def _drain(self, stdout: Any) -> None:
        for line in stdout:
            self.log.write(line)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def pids(self) -> list[int]:
        return [self.pid]

    @property
    def ws_templates(self) -> list[str]:
        """One URL template per instance; clients are dealt round-robin over them."""
        return [self.ws_template]

    @property
    def ws_template(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/{{room}}"

    def setup(self, rooms: int, clients: int, round_: int = 0) -> tuple[list[str], list[str]]:
        """Create ``rooms`` documents; return their names and tokens for ``clients`` clients
        (no tokens: the server needs none). ``round_`` > 0: another set of fresh documents
        on the same server (the soak's rounds)."""
        raise NotImplementedError

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM, then wait. True when the process shut down cleanly."""
        if self.proc is None:
            return False
        code: int | None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        self.log.close()
        self.proc = None
        return self.clean(code)

    def clean(self, code: int | None) -> bool:
        return code == 0


class CharterServer(Process):
    """``python -m server serve`` on its own SQLite file, with an administrator token;
    measured on ``/ws/{document}`` (endpoint "ws") or on ``/collab`` (endpoint "collab")."""

    def __init__(
        self,
        db: Path,
        log: Path,
        python: str,
        cwd: Path,
        env: dict[str, str] | None = None,
        endpoint: str = "ws",
        database_url: str = "",
        admin: str = "",
    ) -> None:
        self.endpoint = endpoint
        self.admin = admin or secrets.token_urlsafe(24)
        url = database_url or f"sqlite:///{db}"
        super().__init__(
            [python, "-m", "server", "serve", "--port", "0", "--database-url", url],
            cwd,
            log,
            {"CHARTER_ADMIN_TOKEN": self.admin, **(env or {})},
        )
        self.tokens: list[str] = []

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._request("GET", "/healthz")
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def clean(self, code: int | None) -> bool:
        # uvicorn re-raises the signal after its graceful shutdown (the store is flushed
        # in the lifespan's exit), so a clean exit is 0 or -SIGTERM plus the log line.
        finished = "Application shutdown complete" in self.log_path.read_text()
        return code in (0, -signal.SIGTERM) and finished

    @property
    def ws_template(self) -> str:
        if self.endpoint == "collab":  # the token travels in the Auth message
            return f"ws://127.0.0.1:{self.port}/collab"
        query = "?token={token}" if self.tokens else ""
        return f"ws://127.0.0.1:{self.port}/ws/{{room}}{query}"

    def _request(self, method: str, path: str, body: Any = None, bearer: str = "") -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        if bearer:
            headers["authorization"] = f"Bearer {bearer}"
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method, headers=headers
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def _join(self, link: str, name: str) -> str:
        """Accept an invitation as a script does; return the participant's bearer token."""
        path = urllib.parse.urlparse(link).path
        return str(self._request("POST", path, {"name": name})["token"])

    def setup(self, rooms: int, clients: int, round_: int = 0) -> tuple[list[str], list[str]]:
        """A charter with ``rooms`` articles and one editor participant per client (the
        server allows a participant only a few sockets, like a person with a few tabs)."""
        slug = CHARTER if round_ == 0 else f"{CHARTER}-{round_ + 1}"
        body = {"slug": slug, "title": "Banc d'essai"}
        charter = self._request("POST", "/api/charters", body, bearer=self.admin)
        invite = charter.get("facilitator_invite")
        facilitator = self._join(invite["link"], "Animation") if invite else self.admin
        base = f"/api/charters/{slug}"
        section = self._request("POST", f"{base}/sections", {"title": "Charge"}, facilitator)
        names = [
            self._request(
                "POST",
                f"{base}/sections/{section['id']}/articles",
                {"title": f"Article {i + 1}", "markdown": SEED_TEXT},
                facilitator,
            )["document"]
            for i in range(rooms)
        ]
        if invite:  # a server with people and roles
            invite_body: Json = {"role": "editor", "label": "bench", "max_uses": clients}
            editors = self._request("POST", f"{base}/invites", invite_body, facilitator)
            link = editors["link"]
            with ThreadPoolExecutor(8) as pool:  # a few at once: the rooms of a capacity step
                self.tokens = list(
                    pool.map(lambda i: self._join(link, f"Client {i + 1}"), range(clients))
                )
        return names, self.tokens


def psql(url: str, sql: str) -> None:
    subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True, capture_output=True
    )


class CharterCluster(CharterServer):
    """``--instances N``: N ``charter serve`` processes sharing one new PostgreSQL database
    (on ``--postgres``) and, with N > 1, one Redis (``CHARTER_REDIS_URL``, a channel prefix
    of our own). The first instance creates the charter and the participants; clients are
    dealt over the instances in turn, so that typists and readers of a room sit on
    different instances. CPU and memory are the sum over the instances."""

    def __init__(
        self, n: int, workdir: Path, args: argparse.Namespace, env: dict[str, str], endpoint: str
    ) -> None:
        self.database = f"charter_bench_{secrets.token_hex(6)}"
        base = urllib.parse.urlparse(args.postgres)
        self.admin_url = args.postgres
        url = base._replace(path=f"/{self.database}").geturl()
        if n > 1:
            env = env | {
                "CHARTER_REDIS_URL": args.redis,
                "CHARTER_REDIS_PREFIX": f"bench-{secrets.token_hex(4)}",
            }
        admin = secrets.token_urlsafe(24)
        self.members = [
            CharterServer(
                workdir / "unused.db",
                workdir / f"server{i}.log",
                args.python,
                args.server_dir,
                env,
                endpoint,
                database_url=url,
                admin=admin,
            )
            for i in range(n)
        ]
        first = self.members[0]
        super().__init__(
            workdir / "unused.db",
            first.log_path,
            args.python,
            args.server_dir,
            env,
            endpoint,
            database_url=url,
            admin=admin,
        )

    def start(self, timeout: float = 30.0) -> None:
        psql(self.admin_url, f'CREATE DATABASE "{self.database}"')
        for member in self.members:  # the first migrates the schema, the others find it
            member.start(timeout)
        self.port = self.members[0].port

    def stop(self, timeout: float = 30.0) -> bool:
        clean = all([member.stop(timeout) for member in self.members])
        try:
            psql(self.admin_url, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except subprocess.CalledProcessError as exc:
            print(f"  could not drop {self.database}: {exc.stderr}", flush=True)
        return clean

    @property
    def pid(self) -> int:
        return self.members[0].pid

    @property
    def pids(self) -> list[int]:
        return [m.pid for m in self.members]

    @property
    def ws_templates(self) -> list[str]:
        for member in self.members:
            member.tokens = self.tokens
        return [m.ws_template for m in self.members]


class NullServer(Process):
    """bench/nullserver.mjs: relays frames, holds nothing; measures the harness's floor."""

    def __init__(self, log: Path) -> None:
        super().__init__(["node", str(BENCH / "nullserver.mjs"), "--port", "0"], BENCH, log)

    def setup(self, rooms: int, clients: int, round_: int = 0) -> tuple[list[str], list[str]]:
        prefix = "room" if round_ == 0 else f"r{round_ + 1}-room"
        return [f"{prefix}-{i + 1}" for i in range(rooms)], []


class PeerServer(Process):
    """A reference server from bench/peers/, run from the peers' install folder: no
    authentication, documents in memory, any room name."""

    def __init__(self, name: str, peers: Path, log: Path) -> None:
        self.name = name
        if name == "pycrdt-websocket":
            command = [
                str(peers / "pycrdt" / "bin" / "python"),
                str(BENCH / "peers" / "pycrdt_server.py"),
            ]
            cwd = peers
        else:
            script = {"y-websocket": "yws-server.mjs", "hocuspocus": "hocuspocus-server.mjs"}[name]
            command = ["node", str(peers / "node" / script)]
            cwd = peers / "node"
        super().__init__([*command, "--port", "0"], cwd, log)

    @property
    def ws_template(self) -> str:
        if self.name == "hocuspocus":  # one socket for any document: the name is in every message
            return f"ws://127.0.0.1:{self.port}"
        return f"ws://127.0.0.1:{self.port}/{{room}}"

    def setup(self, rooms: int, clients: int, round_: int = 0) -> tuple[list[str], list[str]]:
        prefix = "bench-room" if round_ == 0 else f"bench-r{round_ + 1}-room"
        return [f"{prefix}-{i + 1}" for i in range(rooms)], []

    def clean(self, code: int | None) -> bool:
        return code in (0, -signal.SIGTERM)


PROBES = ("nodelay", "gc-freeze", "gc-log", "slow", "sends", "cprofile", "sync-off", "no-store")


def server_env(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    """--server-env pairs, plus the variables of the --probe diagnostics (bench/probes)."""
    env = dict(item.split("=", 1) for item in args.server_env)
    if args.probe:
        env["PYTHONPATH"] = str(BENCH / "probes")
    for probe in args.probe:
        if probe == "nodelay":
            env["CHARTER_PROBE_NODELAY"] = "1"
        elif probe == "gc-freeze":
            env["CHARTER_PROBE_GC_FREEZE"] = "3"
        elif probe == "gc-log":
            env["CHARTER_PROBE_GC_LOG"] = str(workdir / "gc.log")
        elif probe == "slow":
            env["CHARTER_PROBE_SLOW_MS"] = "5"
            env["CHARTER_PROBE_SLOW_LOG"] = str(workdir / "slow-callbacks.log")
        elif probe == "sends":
            env["CHARTER_PROBE_SENDS"] = str(workdir / "sends.log")
        elif probe == "cprofile":
            env["CHARTER_PROBE_CPROFILE"] = str(workdir / "server.pstats")
        elif probe == "sync-off":
            env["CHARTER_PROBE_SYNC_OFF"] = "1"
        elif probe == "no-store":
            env["CHARTER_PROBE_NO_STORE"] = "1"
    return env


def make_server(
    name: str, args: argparse.Namespace, workdir: Path, extra_env: dict[str, str] | None = None
) -> Process:
    server = _server(name, args, workdir, extra_env)
    server.cpus = getattr(args, "server_cpus", None)
    return server


def _server(
    name: str, args: argparse.Namespace, workdir: Path, extra_env: dict[str, str] | None
) -> Process:
    log = workdir / "server.log"
    if name == "null":
        return NullServer(log)
    if name in PEERS:
        return PeerServer(name, args.peers_dir, log)
    env = server_env(args, workdir) | (extra_env or {})
    endpoint = "collab" if name == "ours-collab" else "ws"
    if args.instances > 1 or args.database == "postgresql":
        return CharterCluster(args.instances, workdir, args, env, endpoint)
    return CharterServer(workdir / "bench.db", log, args.python, args.server_dir, env, endpoint)
