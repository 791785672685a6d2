#!/usr/bin/env python3
"""Benchmark runner: our server and the reference Yjs servers, side by side, one generator.

    .venv/bin/python bench/run.py            # every scenario x every server, 3 repeats (~60 min)
    .venv/bin/python bench/run.py --quick    # smoke run: short windows, 1 repeat (~11 min)
    .venv/bin/python bench/run.py --scenarios 1x50 --servers ours-ws,y-websocket --repeats 5
    .venv/bin/python bench/run.py --servers null --scenarios 1x50,ceiling   # the harness's floor

Servers (``--servers``, default all): ``ours-ws`` (our ``/ws/{document}``, y-websocket
protocol), ``ours-collab`` (our ``/collab``, Hocuspocus protocol, SyncStatus only after the
commit), the peers ``y-websocket`` (@y/websocket-server), ``hocuspocus`` (@hocuspocus/server),
``pycrdt-websocket`` (under uvicorn), and ``null`` (bench/nullserver.mjs: relays frames, no
CRDT; fan-out scenarios only). The peers are installed by this script from the npm registry
and PyPI, at pinned versions, into a temporary folder (``--peers-cache`` keeps them in
bench/.peers between invocations); nothing of them is committed.

Every run starts a fresh server process. Fan-out runs create the rooms (our server: articles
over the HTTP API, one participant token per client), run ``node bench/loadgen.mjs fanout``
and sample, at the start and the end of the measured window, the CPU seconds (utime + stime
from /proc/PID/stat) of the server, of the generator and of the whole machine (/proc/stat),
and the server's peak RSS (VmHWM). Scenarios are run round-robin (repeat 1 of every server,
then repeat 2 …) so that drift on a shared machine hits every server alike; ratios to each
peer come from the same invocation.

Standard library only (matplotlib, for the chart, is optional: ``pip install -e '.[bench]'``);
Linux only (/proc). bench/README.md explains every figure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1
CHARTER = "bench"
# Plain words; never "[m", the generator's marker prefix.
SEED_TEXT = (
    "Les habitants du quartier se réunissent chaque mois pour relire la charte, proposer des "
    "amendements et voter sur les articles en suspens. Chaque proposition est publiée en ligne "
    "au moins une semaine avant la réunion afin que tout le monde puisse la lire et la commenter."
)

FANOUT = {
    # name: rooms, clients per room, typists per room, edits/s per typist
    "1x10": {"rooms": 1, "clients": 10, "typists": 5, "rate": 10},
    "1x50": {"rooms": 1, "clients": 50, "typists": 5, "rate": 10},
    "1x200": {"rooms": 1, "clients": 200, "typists": 5, "rate": 10},
    "20x10": {"rooms": 20, "clients": 10, "typists": 2, "rate": 10},
}
CEILING = "ceiling"  # 1 x 50, 5 typists, total edits/s raised step by step
CEILING_SPEC = {"rooms": 1, "clients": 50, "typists": 5, "rate": 10}
CEILING_STEPS = [100, 200, 300, 500, 700, 1000, 1500, 2000, 2500, 3000, 4000, 6000]
CEILING_MAX_P99_MS = 100.0
JOIN = "join20k"
STORM = "storm200"
STORM_CLIENTS = 200
SCENARIOS = [*FANOUT, CEILING, JOIN, STORM]
TARGET_P99_MS = 20.0  # issue 2: 1x50, 5 typists at 10 edits/s
TARGET_JOIN_MS = 20.0

OURS = ("ours-ws", "ours-collab")
PEERS = ("y-websocket", "hocuspocus", "pycrdt-websocket")
SERVERS = (*OURS, *PEERS, "null")
PROTOCOL = {
    "ours-ws": "y-websocket",
    "ours-collab": "hocuspocus",
    "y-websocket": "y-websocket",
    "hocuspocus": "hocuspocus",
    "pycrdt-websocket": "y-websocket",
    "null": "y-websocket",
}
# Pinned peers, installed at bench time (never at server run time, never committed).
NODE_PEERS = {
    "@y/websocket-server": "0.1.1",
    "yjs": "13.6.33",
    "@hocuspocus/server": "4.7.0",
    "ws": "8.23.0",
}
PY_PEERS = ["pycrdt-websocket==0.16.5", "pycrdt==0.14.13", "uvicorn==0.54.0", "websockets==17.4"]
# Our server's per-connection rate limits are lifted where a client must send faster than a
# person types (the ceiling's typists, the history writer); the peers have no such limits.
UNLIMITED = {
    "CHARTER_MAX_MESSAGES_PER_SECOND": "1000000",
    "CHARTER_MAX_BYTES_PER_SECOND": "1000000000",
}

Json = dict[str, Any]


# ---------------------------------------------------------------- /proc


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def status_mb(pid: int, key: str) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(key)


def peak_mb(pids: list[int]) -> float:
    """Sum of VmHWM over live processes; NaN if one has exited (a crashed server)."""
    try:
        return sum(status_mb(pid, "VmHWM") for pid in pids)
    except (OSError, KeyError):
        return float("nan")


def machine_ticks() -> tuple[float, float, float, float]:
    """(busy, interrupts, total, steal) CPU seconds of the whole machine since boot.

    busy counts user, nice, system and steal time; interrupts (irq + softirq) are apart,
    since loopback networking runs partly there and belongs to the benchmark itself.
    """
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    busy = user + nice + system + steal
    total = busy + idle + iowait + irq + softirq
    return busy / CLK_TCK, (irq + softirq) / CLK_TCK, total / CLK_TCK, steal / CLK_TCK


def wait_quiet(threshold_pct: float, max_wait: float) -> float:
    """Wait until the machine is idle enough (other benchmarks, test suites); return busy %."""
    deadline = time.monotonic() + max_wait
    announced = False
    while True:
        b0, _, t0, _ = machine_ticks()
        time.sleep(1.0)
        b1, _, t1, _ = machine_ticks()
        busy = 100 * (b1 - b0) / max(t1 - t0, 1e-9)
        if busy <= threshold_pct or time.monotonic() > deadline:
            return busy
        if not announced:
            print(f"  machine busy ({busy:.0f} % of {NPROC} CPUs): waiting…", flush=True)
            announced = True


# ---------------------------------------------------------------- servers under test


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

    def start(self, timeout: float = 30.0) -> None:
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            self.command,
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

    def setup(self, rooms: int, clients: int) -> tuple[list[str], list[str]]:
        """Create ``rooms`` documents; return their names and tokens for ``clients`` clients
        (no tokens: the server needs none)."""
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

    def setup(self, rooms: int, clients: int) -> tuple[list[str], list[str]]:
        """A charter with ``rooms`` articles and one editor participant per client (the
        server allows a participant only a few sockets, like a person with a few tabs)."""
        body = {"slug": CHARTER, "title": "Banc d'essai"}
        charter = self._request("POST", "/api/charters", body, bearer=self.admin)
        invite = charter.get("facilitator_invite")
        facilitator = self._join(invite["link"], "Animation") if invite else self.admin
        base = f"/api/charters/{CHARTER}"
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
            self.tokens = [self._join(editors["link"], f"Client {i + 1}") for i in range(clients)]
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

    def setup(self, rooms: int, clients: int) -> tuple[list[str], list[str]]:
        return [f"room-{i + 1}" for i in range(rooms)], []


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

    def setup(self, rooms: int, clients: int) -> tuple[list[str], list[str]]:
        return [f"bench-room-{i + 1}" for i in range(rooms)], []

    def clean(self, code: int | None) -> bool:
        return code in (0, -signal.SIGTERM)


def ensure_peers(directory: Path, install: bool) -> Json:
    """Install the pinned peers into ``directory`` (node/ and pycrdt/) unless an install of
    exactly these pins is already there; return the versions actually installed."""
    stamp = directory / "pins.json"
    pins = {"node": NODE_PEERS, "python": PY_PEERS, "python_version": sys.version.split()[0]}
    node_dir, venv = directory / "node", directory / "pycrdt"
    fresh = not (stamp.exists() and json.loads(stamp.read_text()) == pins)
    if fresh:
        if not install:
            sys.exit(f"the peers are not installed in {directory} (drop --no-install)")
        print(f"installing the peers into {directory} (npm registry, PyPI)…", flush=True)
        shutil.rmtree(directory, ignore_errors=True)
        node_dir.mkdir(parents=True)
        package = {
            "name": "charter-bench-peers",
            "private": True,
            "type": "module",
            "dependencies": NODE_PEERS,
        }
        (node_dir / "package.json").write_text(json.dumps(package, indent=2))
        npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--no-save"]
        subprocess.run(npm, cwd=node_dir, check=True)
        # a plain interpreter (not our .venv's packages): the peers' own virtualenv
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, *PY_PEERS], check=True)
        stamp.write_text(json.dumps(pins))
    for script in ("yws-server.mjs", "hocuspocus-server.mjs"):  # ESM resolves from its folder
        shutil.copyfile(BENCH / "peers" / script, node_dir / script)
    versions: Json = {}
    for name in [*NODE_PEERS, "lib0", "y-protocols", "@hocuspocus/common", "crossws"]:
        manifest = node_dir / "node_modules" / name / "package.json"
        if manifest.exists():
            versions[name] = json.loads(manifest.read_text())["version"]
    code = (
        "from importlib.metadata import version as v; import json; "
        "print(json.dumps({n: v(n) for n in "
        "['pycrdt-websocket', 'pycrdt', 'pycrdt-store', 'uvicorn', 'websockets', 'anyio']}))"
    )
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    versions.update(json.loads(out.stdout))
    return versions


PROBES = ("nodelay", "gc-freeze", "gc-log", "slow", "sends", "cprofile")


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
    return env


def make_server(
    name: str, args: argparse.Namespace, workdir: Path, extra_env: dict[str, str] | None = None
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


# ---------------------------------------------------------------- the generator


def run_generator(
    mode: str,
    config: Json,
    workdir: Path,
    on_event: Callable[[Json, int], None],
    timeout: float,
) -> Json:
    cfg_path = workdir / f"{mode}-config.json"
    cfg_path.write_text(json.dumps(config))
    with open(workdir / "loadgen.log", "a") as err:
        proc = subprocess.Popen(
            ["node", str(BENCH / "loadgen.mjs"), mode, "--config", str(cfg_path)],
            cwd=BENCH,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        result: Json = {"ok": False, "error": f"no result (timeout or crash; see {err.name})"}
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                event = json.loads(line)
                on_event(event, proc.pid)
                if event.get("event") == "result":
                    result = event
            proc.wait()
        finally:
            watchdog.cancel()
    return result


# ---------------------------------------------------------------- scenarios


def fanout_run(name: str, spec: Json, args: argparse.Namespace, workdir: Path) -> Json:
    """One fan-out run (or one ceiling search, when ``spec`` has steps) on a fresh server."""
    background = wait_quiet(args.quiet_below, args.quiet_wait)
    ceiling = "steps" in spec
    server = make_server(name, args, workdir, UNLIMITED if ceiling else None)
    server.start()
    samples: dict[str, Json] = {}
    try:
        rooms, tokens = server.setup(spec["rooms"], spec["rooms"] * spec["clients"])

        def sample(tag: str, gen_pid: int) -> None:
            try:
                samples[tag] = {
                    "t": time.monotonic(),
                    "server": sum(cpu_seconds(pid) for pid in server.pids),
                    "gen": cpu_seconds(gen_pid),
                    "machine": machine_ticks(),
                    "server_rss": sum(status_mb(pid, "VmRSS") for pid in server.pids),
                    "gen_hwm": status_mb(gen_pid, "VmHWM"),
                }
            except (OSError, KeyError):  # a process is gone: the run is reported as failed
                pass

        def on_event(event: Json, gen_pid: int) -> None:
            if event.get("event") in ("measure_start", "measure_end"):
                tag = "start" if event["event"] == "measure_start" else "end"
                sample(f"{tag}{event.get('step', 0)}", gen_pid)
            elif event.get("event") == "step" and args.verbose:
                print(f"    step {event}", flush=True)

        config = {
            "protocol": PROTOCOL[name],
            "urlTemplate": server.ws_template,
            "urlTemplates": server.ws_templates,
            "rooms": rooms,
            "tokens": tokens,
            "clients": spec["clients"],
            "typists": spec["typists"],
            "rate": spec["rate"],
            "warmup": args.ceiling_warmup if ceiling else args.warmup,
            "duration": args.ceiling_duration if ceiling else args.duration,
            "drain": args.drain,
            "awareness": args.awareness,
            "seed": args.seed,
        }
        if ceiling:
            config["steps"] = spec["steps"]
            config["maxP99"] = CEILING_MAX_P99_MS
            per_step = args.ceiling_warmup + args.ceiling_duration + args.drain + 1
            timeout = per_step * len(spec["steps"]) + 120
        else:
            timeout = args.warmup + args.duration + args.drain + 120
        result = run_generator("fanout", config, workdir, on_event, timeout)
        peak = peak_mb(server.pids)
        if peak != peak:
            result["ok"] = False
            result["error"] = f"the server exited during the run (see {workdir})"
    finally:
        clean = server.stop()
    result["server_name"] = name
    result["backgroundBeforePct"] = background

    def window(step: int) -> Json | None:
        s0, s1 = samples.get(f"start{step}"), samples.get(f"end{step}")
        if not (s0 and s1):
            return None
        seconds = s1["t"] - s0["t"]
        server_cpu = s1["server"] - s0["server"]
        gen_cpu = s1["gen"] - s0["gen"]
        busy, irq, total, steal = (b - a for a, b in zip(s0["machine"], s1["machine"], strict=True))
        return {
            "seconds": seconds,
            "server_cpu": server_cpu,
            "gen_cpu": gen_cpu,
            "server_rss": s1["server_rss"],
            "gen_hwm": s1["gen_hwm"],
            "busyPct": 100 * (busy + irq) / total,
            "otherPct": 100 * (busy - server_cpu - gen_cpu) / total,
            "irqPct": 100 * irq / total,
            "stealPct": 100 * steal / total,
        }

    if ceiling and result.get("ceiling"):
        for i, step in enumerate(result["ceiling"]["steps"]):
            w = window(i)
            step["serverCpuPct"] = 100 * w["server_cpu"] / w["seconds"] if w else None
    w = window(int(result.get("step", 0)))
    if w and "delivery" in result:
        delivered = max(1, int(result["delivery"].get("deliveredMeasured", 0)))
        result["server"] = {
            "cpuS": w["server_cpu"],
            "cpuPct": 100 * w["server_cpu"] / w["seconds"],
            "cpuUsPerDelivered": 1e6 * w["server_cpu"] / delivered,
            "rssMb": w["server_rss"],
            "peakRssMb": peak,
            "cleanShutdown": clean,
        }
        result["generatorProc"] = {
            "cpuS": w["gen_cpu"],
            "cpuPct": 100 * w["gen_cpu"] / w["seconds"],
            "peakRssMb": w["gen_hwm"],
        }
        result["machine"] = {k: w[k] for k in ("busyPct", "otherPct", "irqPct", "stealPct")}
    return result


def fanout_attempts(name: str, spec: Json, args: argparse.Namespace, workdir: Path) -> Json:
    """A run during which other processes took more than --max-other % of the machine
    measured them as much as the server: it is run again (up to --attempts times)."""
    for attempt in range(1, args.attempts + 1):
        attempt_dir = workdir / f"attempt{attempt}"
        attempt_dir.mkdir(parents=True)
        result = fanout_run(name, spec, args, attempt_dir)
        other = result.get("machine", {}).get("otherPct", 0.0)
        result["attempt"] = attempt
        result["disturbed"] = other > args.max_other
        if not result["disturbed"] or attempt == args.attempts:
            return result
        print(f"  other processes took {other:.0f} % of the machine: run again", flush=True)
    raise AssertionError("unreachable")


def build_history(args: argparse.Namespace, workdir: Path) -> tuple[Path, Json]:
    """Write the history once through our server, stop it cleanly, keep the database."""
    db = workdir / "built.db"
    # The history is written as fast as the server takes it: lift the per-connection rate
    # limits for this server only (unknown settings are ignored by older servers).
    log = workdir / "build-server.log"
    env = server_env(args, workdir) | UNLIMITED
    server = CharterServer(db, log, args.python, args.server_dir, env)
    server.start()
    try:
        # the long history, and a small article to warm the process up in the join runs;
        # tokens: [0] the member who stays, [1] every fresh joiner, [2:] the storm's clients
        # (a participant may hold only a few sockets)
        storm = args.storm_clients if STORM in args.scenarios else 0
        (room, warm_room), tokens = server.setup(2, 2 + storm)
        config = {
            "urlTemplate": server.ws_template,
            "tokens": tokens,
            "room": room,
            "inserts": args.inserts,
            "deletes": args.deletes,
            "pattern": args.pattern,
            "seed": args.seed,
        }
        result = run_generator("build", config, workdir, lambda e, p: None, timeout=900)
    finally:
        clean = server.stop()
    result["room"] = room
    result["warmRoom"] = warm_room
    result["tokens"] = tokens  # participants live in the database: they work after restarts
    result["serverCleanShutdown"] = clean
    if not result.get("ok") or not clean:
        raise RuntimeError(f"history build failed: {result}")
    return db, result


def join_once(
    name: str,
    built: Path,
    build: Json,
    args: argparse.Namespace,
    workdir: Path,
    tag: str,
    extra: Json,
) -> Json:
    """Start our server on a pristine copy of the built database, run the join mode, stop."""
    db = workdir / f"{tag}.db"
    for suffix in ("", "-wal", "-shm"):  # every run sees exactly the same history
        src = Path(f"{built}{suffix}")
        if src.exists():
            shutil.copyfile(src, f"{db}{suffix}")
    log = workdir / f"{tag}-server.log"
    endpoint = "collab" if name == "ours-collab" else "ws"
    env = server_env(args, workdir)
    server = CharterServer(db, log, args.python, args.server_dir, env, endpoint)
    server.start()
    try:
        server.tokens = build["tokens"]
        config = {
            "protocol": PROTOCOL[name],
            "urlTemplate": server.ws_template,
            "room": build["room"],
            "tokens": build["tokens"][:2],
            **extra,
        }
        result = run_generator("join", config, workdir, lambda e, p: None, timeout=300)
        result["server"] = {"peakRssMb": peak_mb(server.pids)}
        if result["server"]["peakRssMb"] != result["server"]["peakRssMb"]:
            result["ok"] = False
            result["error"] = f"the server exited during the run (see {workdir})"
    finally:
        clean = server.stop()
    loaded = re.findall(r"loaded document=(\S+) updates=(\d+)", log.read_text())
    result["server"]["updatesLoaded"] = next(
        (int(n) for doc, n in loaded if doc == build["room"]), None
    )
    result["server"]["cleanShutdown"] = clean
    result["historyIntact"] = (result.get("cold") or {}).get("textLength") == build["textLength"]
    return result


def join_run(
    name: str, built: Path, build: Json, args: argparse.Namespace, workdir: Path, i: int
) -> Json:
    """Our server, two starts: the very first connection of a fresh process; then, in a
    process warmed up on another article, the document's first join, joins while it stays
    loaded, joins right after an edit, and (storm200) 200 fresh clients at once."""
    background = wait_quiet(args.quiet_below, args.quiet_wait)
    restart = join_once(name, built, build, args, workdir, f"restart{i}", {"coldOnly": True})
    extra: Json = {"warmRoom": build["warmRoom"], "samples": args.join_samples, "seed": args.seed}
    if STORM in args.scenarios:
        extra |= {"storm": args.storm_clients, "stormTokens": build["tokens"][2:]}
    result = join_once(name, built, build, args, workdir, f"join{i}", extra)
    result["restart"] = restart.get("cold", {})
    result["ok"] = bool(result.get("ok") and restart.get("ok"))
    result["historyIntact"] = bool(result["historyIntact"] and restart["historyIntact"])
    result["backgroundBeforePct"] = background
    result["server_name"] = name
    return result


def peer_history_run(name: str, args: argparse.Namespace, workdir: Path) -> Json:
    """A peer keeps documents only in memory: in one fresh process, write the history
    through the peer's own protocol (the writer stays connected), then the same fresh joins,
    joins after an edit and storm as for our server."""
    background = wait_quiet(args.quiet_below, args.quiet_wait)
    server = make_server(name, args, workdir)
    server.start()
    try:
        (room,), _ = server.setup(1, 0)
        config: Json = {
            "protocol": PROTOCOL[name],
            "urlTemplate": server.ws_template,
            "room": room,
            "build": True,
            "inserts": args.inserts,
            "deletes": args.deletes,
            "pattern": args.pattern,
            "samples": args.join_samples,
            "seed": args.seed,
        }
        if STORM in args.scenarios:
            config["storm"] = args.storm_clients
        result = run_generator("join", config, workdir, lambda e, p: None, timeout=900)
        result["server"] = {"peakRssMb": peak_mb(server.pids)}
        if result["server"]["peakRssMb"] != result["server"]["peakRssMb"]:
            result["ok"] = False
            result["error"] = f"the server exited during the run (see {workdir})"
    finally:
        clean = server.stop()
    result["server"]["cleanShutdown"] = clean
    built = result.get("build") or {}
    result["historyIntact"] = bool(built.get("ok"))
    result["backgroundBeforePct"] = background
    result["server_name"] = name
    return result


# ---------------------------------------------------------------- summaries


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def get(d: Json, path: str) -> Any:
    for key in path.split("."):
        d = d[key]
    return d


def values_of(runs: list[Json], path: str) -> list[float]:
    out = []
    for r in runs:
        try:
            v = get(r, path)
        except (KeyError, TypeError):
            continue
        if isinstance(v, int | float):
            out.append(float(v))
    return out


def spread(runs: list[Json], path: str, fmt: str = "{:.1f}") -> str:
    """Median of the runs, with (min–max) when there are several."""
    values = values_of(runs, path)
    if not values:
        return "–"
    if len(values) == 1:
        return fmt.format(values[0])
    low, mid, high = (fmt.format(v) for v in (min(values), med(values), max(values)))
    return f"{mid} ({low}–{high})"


def medof(runs: list[Json], path: str) -> float:
    return med(values_of(runs, path))


def measured(runs: list[Json]) -> list[Json]:
    return [r for r in runs if "server" in r and "latencyMs" in r]


def fanout_table(by_server: dict[str, list[Json]]) -> list[str]:
    lines = [
        "| server | edits/s | p50 ms | p95 ms | p99 ms | max ms | delivered / expected "
        "| lost · dup · reordered | ack p99 ms | server CPU | CPU µs per delivered "
        "| server peak RSS | generator CPU | generator loop delay p99 | other load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in by_server.items():
        ok = measured(runs)
        if not ok:
            error = runs[0].get("error") if runs else "no run"
            lines.append(f"| {name} | run failed: {error} |")
            continue
        keys = ("delivered", "expected", "lost", "duplicated", "outOfOrder", "ackMissing")
        total = {k: sum(int(r["delivery"].get(k, 0)) for r in ok) for k in keys}
        ack = spread(ok, "ackLatencyMs.p99") if PROTOCOL.get(name) == "hocuspocus" else "n/a"
        missing = f" · {total['ackMissing']} unacked" if total["ackMissing"] else ""
        lines.append(
            f"| {name} | {medof(ok, 'editsPerSecond'):.0f} "
            f"| {spread(ok, 'latencyMs.p50')} | {spread(ok, 'latencyMs.p95')} "
            f"| {spread(ok, 'latencyMs.p99')} | {spread(ok, 'latencyMs.max')} "
            f"| {total['delivered']:,} / {total['expected']:,} "
            f"| {total['lost']} · {total['duplicated']} · {total['outOfOrder']}{missing} "
            f"| {ack} "
            f"| {medof(ok, 'server.cpuPct'):.0f} % "
            f"| {spread(ok, 'server.cpuUsPerDelivered', '{:.0f}')} "
            f"| {medof(ok, 'server.peakRssMb'):.0f} MB "
            f"| {medof(ok, 'generatorProc.cpuPct'):.0f} % "
            f"| {spread(ok, 'generator.loopDelayMs.p99')} ms "
            f"| {medof(ok, 'machine.otherPct'):.0f} %"
            f"{' †' if any(r.get('disturbed') for r in ok) else ''} |"
        )
    return lines


def ratio(a: float, b: float) -> str:
    if not (a == a and b == b) or b == 0:  # NaN or nothing to divide by
        return "–"
    return f"{a / b:.2f}×"


def ratio_table(fanout: dict[str, dict[str, list[Json]]]) -> list[str]:
    peers = [p for p in PEERS if any(p in by for by in fanout.values())]
    ours = [o for o in OURS if any(o in by for by in fanout.values())]
    if not peers or not ours:
        return []
    head = " | ".join(f"p99 ÷ {p}" for p in peers)
    head2 = " | ".join(f"CPU/delivered ÷ {p}" for p in peers)
    lines = [
        f"| scenario | ours | {head} | {head2} |",
        "|---|---|" + "---|" * (2 * len(peers)),
    ]
    for scenario, by in fanout.items():
        for o in ours:
            mine = measured(by.get(o, []))
            if not mine:
                continue
            cells = [
                ratio(medof(mine, "latencyMs.p99"), medof(measured(by.get(p, [])), "latencyMs.p99"))
                for p in peers
            ]
            cells += [
                ratio(
                    medof(mine, "server.cpuUsPerDelivered"),
                    medof(measured(by.get(p, [])), "server.cpuUsPerDelivered"),
                )
                for p in peers
            ]
            lines.append(f"| {scenario} | {o} | {' | '.join(cells)} |")
    return lines


def ceiling_table(by_server: dict[str, list[Json]]) -> list[str]:
    lines = [
        "| server | ceiling edits/s | stopped by | p99 ms at the ceiling "
        "| server CPU at the ceiling | steps (target edits/s: p99 ms) of the median run |",
        "|---|---|---|---|---|---|",
    ]
    for name, runs in by_server.items():
        ok = [r for r in runs if r.get("ceiling")]
        if not ok:
            lines.append(f"| {name} | run failed: {runs[0].get('error') if runs else 'no run'} |")
            continue
        values = values_of(ok, "ceiling.editsPerSecond")
        middle = sorted(ok, key=lambda r: r["ceiling"].get("editsPerSecond") or 0)[len(ok) // 2]
        stops = sorted({str(r["ceiling"]["stoppedBy"]) for r in ok})
        bound = (
            " (≥: the generator or the last step was the limit)"
            if {"generator", "last step"} & set(stops)
            else ""
        )
        floor = medof(by_server.get("null", []), "ceiling.editsPerSecond")
        if name != "null" and values and floor == floor and med(values) >= 0.95 * floor:
            bound += " (at the null relay's: the generator is the limit)"
        steps = ", ".join(
            f"{s['target']:.0f}: {s['p99'] if s['p99'] is not None else '–'}"
            f"{'' if s['passed'] else ' ✗'}"
            for s in middle["ceiling"]["steps"]
        )
        lines.append(
            f"| {name} | {spread(ok, 'ceiling.editsPerSecond', '{:.0f}') if values else 'none'}"
            f"{bound} | {', '.join(stops)} | {spread(ok, 'latencyMs.p99')} "
            f"| {medof(ok, 'server.cpuPct'):.0f} % | {steps} |"
        )
    return lines


def history_table(history: Json) -> list[str]:
    build = history.get("build")
    lines = []
    if build:
        lines += [
            f"Our server's history: {build['inserts']:,} single-character inserts + "
            f"{build['deletes']:,} single-character deletions ({build['pattern']} positions), "
            f"each its own update through `/ws`, written in {build['buildMs'] / 1000:.1f} s; "
            f"final text {build['textLength']:,} characters, full state "
            f"{build['fullStateBytes']:,} bytes. The peers keep documents in memory only: the "
            "same history is written through their own protocol in the measured process, and "
            "the writer stays connected.",
            "",
        ]
    lines += [
        "| server | history written in | step 2 bytes | very first connection after a restart "
        "| first join of the document (server warm) | loaded, unchanged: p50 | … slowest "
        "| after an edit: p50 | … slowest | storm: all synced ms | storm: p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in history.get("runs", {}).items():
        ok = [r for r in runs if r.get("ok")]
        if not ok:
            error = runs[0].get("error") if runs else "no run"
            lines.append(f"| {name} | run failed: {error} |")
            continue
        built = (
            spread(ok, "build.buildMs", "{:.0f}") + " ms" if ok[0].get("build") else "(our store)"
        )
        size = ok[0]["warm"]["bytes"]
        lines.append(
            f"| {name} | {built} | {size:,} "
            f"| {spread(ok, 'restart.step1ToStep2Ms')} | {spread(ok, 'cold.step1ToStep2Ms')} "
            f"| {spread(ok, 'warm.step1ToStep2Ms.p50')} | {spread(ok, 'warm.step1ToStep2Ms.max')} "
            f"| {spread(ok, 'afterEdit.step1ToStep2Ms.p50')} "
            f"| {spread(ok, 'afterEdit.step1ToStep2Ms.max')} "
            f"| {spread(ok, 'storm.allSyncedMs', '{:.0f}')} "
            f"| {spread(ok, 'storm.syncedMs.p50', '{:.0f}')} |"
        )
    return lines


def verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def targets(report: Json) -> list[str]:
    """Issue 9's targets (same-run ratios to the y-websocket server) and issue 2's."""
    out = []
    fan = report["fanout"]
    ref = "y-websocket"

    def p(scenario: str, server: str, path: str) -> float:
        return medof(measured(fan.get(scenario, {}).get(server, [])), path)

    for o in OURS:
        for scenario in ("1x50", "1x200", "20x10"):
            mine, theirs = p(scenario, o, "latencyMs.p99"), p(scenario, ref, "latencyMs.p99")
            if mine == mine and theirs == theirs:
                out.append(
                    f"- {o} {scenario}: p99 {mine:.1f} ms vs {ref} {theirs:.1f} ms = "
                    f"{mine / theirs:.2f}× (target ≤ 1.5×): {verdict(mine <= 1.5 * theirs)}"
                )
        mine, theirs = (
            p("1x200", o, "server.cpuUsPerDelivered"),
            p("1x200", ref, "server.cpuUsPerDelivered"),
        )
        if mine == mine and theirs == theirs:
            out.append(
                f"- {o} 1x200: server CPU {mine:.0f} µs per delivered edit vs {ref} "
                f"{theirs:.0f} µs = {mine / theirs:.2f}× (target ≤ 1.5×): "
                f"{verdict(mine <= 1.5 * theirs)}"
            )
        ceil = report["ceiling"]
        mine = medof(ceil.get(o, []), "ceiling.editsPerSecond")
        theirs = medof(ceil.get(ref, []), "ceiling.editsPerSecond")
        if mine == mine and theirs == theirs:
            out.append(
                f"- {o} ceiling at 1x50: {mine:.0f} edits/s vs {ref} {theirs:.0f} = "
                f"{mine / theirs:.2f}× (target ≥ 0.7×): {verdict(mine >= 0.7 * theirs)}"
            )
        runs = [r for r in report["history"].get("runs", {}).get(o, []) if r.get("ok")]
        if runs:
            warm = medof(runs, "warm.step1ToStep2Ms.p50")
            out.append(
                f"- {o} join of the {report['args'].get('inserts', 20000):,}-insert article "
                f"(loaded): step 1 → step 2 {warm:.1f} ms "
                f"(target ≤ 5 ms): {verdict(warm <= 5)}"
            )
            storm = medof(runs, "storm.allSyncedMs")
            if storm == storm:
                out.append(
                    f"- {o} storm of {args_storm(report)} clients: all synced in {storm:.0f} ms "
                    f"(target ≤ 700 ms): {verdict(storm <= 700)}"
                )
    bad = []
    for scenario, by in fan.items():
        for server, runs in by.items():
            for r in runs:
                d = r.get("delivery", {})
                if d.get("lost") or d.get("duplicated") or d.get("outOfOrder") or not r.get("ok"):
                    bad.append(f"{scenario}/{server}")
    out.append(
        "- zero lost, duplicated or reordered edits in every fan-out run: "
        + (verdict(True) if not bad else f"**MISSED** in {', '.join(sorted(set(bad)))}")
    )
    mine = p("1x50", "ours-ws", "latencyMs.p99")
    if mine == mine:
        out.append(
            f"- (issue 2) ours-ws 1x50 p99 {mine:.1f} ms (target ≤ 20 ms): "
            f"{verdict(mine <= TARGET_P99_MS)}"
        )
    return out


def args_storm(report: Json) -> str:
    return str(report["args"].get("storm_clients", STORM_CLIENTS))


def chart(report: Json, path: Path) -> str | None:
    """p99 vs clients per room (1x10, 1x50, 1x200) for every server; None without matplotlib."""
    try:  # optional (the `bench` extra); typed as Any so that mypy needs no stubs for it
        matplotlib: Any = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        plt: Any = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        return None
    sizes = [(name, FANOUT[name]["clients"]) for name in ("1x10", "1x50", "1x200")]
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=120)
    plotted = False
    for server in SERVERS:
        xs, ys = [], []
        for scenario, clients in sizes:
            v = medof(measured(report["fanout"].get(scenario, {}).get(server, [])), "latencyMs.p99")
            if v == v:
                xs.append(clients)
                ys.append(v)
        if xs:
            style = "--" if server == "null" else "-"
            ax.plot(xs, ys, style, marker="o", label=server)
            plotted = True
    if not plotted:
        plt.close(fig)
        return None
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticker: Any = importlib.import_module("matplotlib.ticker")
    plain = ticker.FuncFormatter(lambda v, _pos: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xticks([c for _, c in sizes], [str(c) for _, c in sizes])
    ax.set_xlabel("clients in the room (5 typists × 10 edits/s)")
    ax.set_ylabel("fan-out latency p99 (ms, log)")
    m = report["machine"]
    ax.set_title(
        f"Fan-out p99 — median of {report['args']['repeats']} run(s), "
        f"{m['nproc']} cores, {time.strftime('%Y-%m-%d')}"
        + (f"\n{report['args']['note']}" if report["args"].get("note") else ""),
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return str(path)


def all_ok(report: Json, expected_runs: int) -> bool:
    runs = [r for by in report["fanout"].values() for rs in by.values() for r in rs]
    runs += [r for rs in report["ceiling"].values() for r in rs]
    runs += [
        r for rs in report["history"].get("runs", {}).values() for r in rs if r.get("historyIntact")
    ]
    return len(runs) == expected_runs and all(r.get("ok") for r in runs)


# ---------------------------------------------------------------- main


def ensure_node_modules(install: bool) -> None:
    stamp = BENCH / "node_modules" / ".package-lock.json"
    lock = BENCH / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    if not install:
        sys.exit("bench/node_modules is missing or stale: run `npm ci` in bench/")
    print("installing bench/node_modules (npm ci)…", flush=True)
    command = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(command, cwd=BENCH, check=True)


def machine(args: argparse.Namespace) -> Json:
    def out(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    def pkg(name: str) -> str:
        code = f"from importlib.metadata import version; print(version({name!r}))"
        return out([args.python, "-c", code])

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    git = ["git", "-C", str(args.server_dir)]
    dirty = out([*git, "status", "--porcelain", "--", "server", "crdt", "persistence"])
    return {
        "servers": args.servers,
        "server_dir": str(args.server_dir),
        "server_commit": out([*git, "rev-parse", "--short", "HEAD"]),
        "server_dirty": dirty not in ("", "?"),
        "nproc": NPROC,
        "cpu": cpu,
        "mem_total": out(["grep", "MemTotal", "/proc/meminfo"]).split(":")[-1].strip(),
        "kernel": platform.release(),
        "python": out([args.python, "-c", "import sys; print(sys.version.split()[0])"]),
        "pycrdt": pkg("pycrdt"),
        "uvicorn": pkg("uvicorn"),
        "uvloop": pkg("uvloop"),
        "websockets": pkg("websockets"),
        "node": out(["node", "--version"]),
        "yjs": json.loads((BENCH / "node_modules/yjs/package.json").read_text())["version"],
        "ws": json.loads((BENCH / "node_modules/ws/package.json").read_text())["version"],
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="smoke run: 1 repeat, short windows, small history")
    add(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma list of {SCENARIOS} (default: all)"
    )
    add(
        "--servers", default=",".join(SERVERS), help=f"comma list of {list(SERVERS)} (default: all)"
    )
    add("--target", choices=["charter", "null"], help=argparse.SUPPRESS)  # old name of --servers
    add(
        "--repeats",
        type=int,
        default=None,
        help="runs per scenario and server (default 3; quick 1)",
    )
    add(
        "--warmup", type=float, default=None, help="seconds of typing before measuring (3; quick 1)"
    )
    add("--duration", type=float, default=None, help="measured window in seconds (15; quick 3)")
    add("--drain", type=float, default=5.0, help="max seconds to wait for late updates")
    add("--ceiling-warmup", type=float, default=1.0, help="warm-up of each ceiling step (1 s)")
    add(
        "--ceiling-duration",
        type=float,
        default=None,
        help="window of each ceiling step (5; quick 2)",
    )
    add(
        "--ceiling-steps",
        default=",".join(str(x) for x in CEILING_STEPS),
        help="total edits/s of the ceiling's steps (1 room x 50 clients, 5 typists)",
    )
    add(
        "--awareness",
        choices=["none", "presence", "cursor"],
        default="presence",
        help="presence: every client announces itself and renews every 15 s, as y-websocket "
        "clients do (default); cursor: typists also send a cursor with every edit",
    )
    add("--inserts", type=int, default=None, help="cold-join history inserts (20000; quick 2000)")
    add("--deletes", type=int, default=None, help="cold-join history deletions (2000; quick 200)")
    add(
        "--pattern",
        choices=["random", "typing"],
        default="random",
        help="where history edits land: random positions (worst case) or typing runs",
    )
    add("--join-samples", type=int, default=None, help="fresh clients per join phase (10; quick 3)")
    add("--storm-clients", type=int, default=STORM_CLIENTS, help="clients of the storm (200)")
    add("--seed", type=int, default=1)
    add("--python", default=sys.executable, help="interpreter that runs our server")
    add(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for our server, e.g. CHARTER_COMPACT_EVERY=2000 (repeatable)",
    )
    add("--server-dir", type=Path, default=REPO, help="checkout whose server is benchmarked")
    add(
        "--probe",
        action="append",
        default=[],
        choices=PROBES,
        help="diagnostics injected into our server without editing it (bench/probes): "
        "nodelay and gc-freeze change its behaviour, the others only log into the run's "
        "directory (use with --keep); repeatable",
    )
    add(
        "--peers-cache",
        action="store_true",
        help="install the peers into bench/.peers and reuse them in later invocations "
        "(default: a temporary folder, deleted at the end)",
    )
    add("--peers-dir", type=Path, default=None, help="install or reuse the peers here")
    add(
        "--instances",
        type=int,
        default=1,
        help="our server as N processes sharing one PostgreSQL database and Redis, clients "
        "dealt over them (fan-out and ceiling only; > 1 implies --database postgresql)",
    )
    add("--database", choices=["sqlite", "postgresql"], default="sqlite", help="our server's store")
    add(
        "--postgres",
        default=os.environ.get(
            "CHARTER_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL where a database per run may be created and dropped",
    )
    add(
        "--redis",
        default=os.environ.get("CHARTER_BENCH_REDIS", "redis://127.0.0.1:6379/0"),
        help="the Redis the instances share (--instances > 1)",
    )
    add("--quiet-below", type=float, default=25.0, help="wait until machine busy %% ≤ this")
    add(
        "--quiet-wait", type=float, default=None, help="max seconds to wait for that (120; quick 5)"
    )
    add("--max-other", type=float, default=10.0, help="rerun when others took > this %% CPU")
    add("--attempts", type=int, default=None, help="tries per run when disturbed (3; quick 1)")
    add("--json", type=Path, help="raw results file (default bench/results/<time>.json)")
    add("--chart", type=Path, default=None, help="p99 chart PNG (default: see bench/README.md)")
    add("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    add("--no-install", action="store_true", help="never run npm or pip")
    add("--verbose", action="store_true", help="print every ceiling step")
    add("--note", default="", help="a label for the tables and the chart, e.g. 'shared machine'")
    args = parser.parse_args()
    quick = args.quick
    args.repeats = args.repeats or (1 if quick else 3)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 3.0)
    args.duration = args.duration if args.duration is not None else (3.0 if quick else 15.0)
    if args.ceiling_duration is None:
        args.ceiling_duration = 2.0 if quick else 5.0
    args.ceiling_steps = [float(x) for x in args.ceiling_steps.split(",") if x.strip()]
    args.inserts = args.inserts if args.inserts is not None else (2000 if quick else 20000)
    args.deletes = args.deletes if args.deletes is not None else (200 if quick else 2000)
    args.join_samples = args.join_samples or (3 if quick else 10)
    args.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (5 if quick else 120)
    args.attempts = args.attempts or (1 if quick else 3)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if args.json is None:
        args.json = BENCH / "results" / f"{stamp}.json"
        args.json.parent.mkdir(exist_ok=True)
    args.server_dir = args.server_dir.resolve()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {SCENARIOS}")
    if args.target:
        args.servers = "null" if args.target == "null" else "ours-ws"
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in args.servers if s not in SERVERS]
    if unknown:
        parser.error(f"unknown servers {unknown}; known: {list(SERVERS)}")
    if args.chart is None:
        full = all(s in args.scenarios for s in ("1x10", "1x50", "1x200")) and not quick
        chart_dir = (
            REPO / "docs" if full and len(args.servers) == len(SERVERS) else args.json.parent
        )
        args.chart = chart_dir / (
            "bench-p99.png" if chart_dir.name == "docs" else f"{stamp}-p99.png"
        )
    return args


def estimate_seconds(args: argparse.Namespace) -> float:
    """A rough duration of the whole invocation (server start-up and set-up included)."""
    fan = [s for s in args.scenarios if s in FANOUT]
    per_fan = 6 + args.warmup + args.duration + 1.5
    total = len(fan) * len(args.servers) * args.repeats * per_fan
    if "1x200" in fan:  # 200 participants to create, 200 sockets to open
        total += len([s for s in args.servers if s in OURS]) * args.repeats * 8
    if CEILING in args.scenarios:
        step = args.ceiling_warmup + args.ceiling_duration + 1.5
        typical_steps = 8
        total += len(args.servers) * args.repeats * (8 + typical_steps * step)
    if JOIN in args.scenarios or STORM in args.scenarios:
        history = [s for s in args.servers if s != "null"]
        per_ours = 25 + 2 * args.join_samples * 0.1
        per_peer = 10 + args.inserts / 1000 + 2 * args.join_samples * 0.1
        total += sum(per_ours if s in OURS else per_peer for s in history) * args.repeats
        if any(s in OURS for s in history):
            total += 15 + args.inserts / 2000
    return float(total)


def main() -> int:
    args = parse_args()
    ensure_node_modules(not args.no_install)
    tmp = Path(tempfile.mkdtemp(prefix="charter-bench-"))
    peers_tmp = False
    if args.peers_dir is None:
        args.peers_dir = BENCH / ".peers" if args.peers_cache else tmp / "peers"
        peers_tmp = not args.peers_cache
    peer_versions: Json = {}
    if any(s in PEERS for s in args.servers):
        peer_versions = ensure_peers(args.peers_dir.resolve(), not args.no_install)
        args.peers_dir = args.peers_dir.resolve()
    report: Json = {
        "machine": machine(args),
        "peers": peer_versions,
        "args": {
            k: v if isinstance(v, int | float | bool | list) else str(v)
            for k, v in vars(args).items()
        },
        "fanout": {},
        "ceiling": {},
        "history": {},
    }
    print(f"machine: {json.dumps(report['machine'])}", flush=True)
    if peer_versions:
        print(f"peers: {json.dumps(peer_versions)}", flush=True)
    estimate = estimate_seconds(args)
    print(f"estimated duration: about {estimate / 60:.0f} min", flush=True)
    started_all = time.monotonic()
    fan_servers = args.servers
    history_servers = [s for s in args.servers if s != "null"]
    expected_runs = 0
    ok = False
    try:
        for scenario in args.scenarios:
            if scenario not in FANOUT and scenario != CEILING:
                continue
            if scenario == CEILING:
                spec = {**CEILING_SPEC, "steps": args.ceiling_steps}
                by_server = report["ceiling"]
            else:
                spec = FANOUT[scenario]
                by_server = report["fanout"][scenario] = {}
            for name in fan_servers:
                by_server[name] = []
            for i in range(args.repeats):
                for name in fan_servers:
                    workdir = tmp / f"{scenario}-{name}-{i}"
                    workdir.mkdir()
                    started = time.monotonic()
                    try:
                        result = fanout_attempts(name, spec, args, workdir)
                    except Exception as exc:  # one broken run must not lose the others
                        result = {"ok": False, "error": repr(exc), "server_name": name}
                    by_server[name].append(result)
                    expected_runs += 1
                    print_fanout(scenario, name, i, args.repeats, result, started, workdir)
        if (JOIN in args.scenarios or STORM in args.scenarios) and history_servers:
            history = report["history"]
            history["runs"] = {name: [] for name in history_servers}
            built: Path | None = None
            if any(s in OURS for s in history_servers):
                workdir = tmp / "history"
                workdir.mkdir()
                print(
                    f"{JOIN}: writing {args.inserts} inserts + {args.deletes} deletions "
                    "through our server…",
                    flush=True,
                )
                built, history["build"] = build_history(args, workdir)
                b = history["build"]
                print(
                    f"{JOIN}: history written in {b['buildMs'] / 1000:.1f} s, "
                    f"{b['fullStateBytes']:,} bytes of state",
                    flush=True,
                )
            for i in range(args.repeats):
                for name in history_servers:
                    workdir = tmp / f"history-{name}-{i}"
                    workdir.mkdir()
                    try:
                        if name in OURS:
                            assert built is not None
                            result = join_run(name, built, history["build"], args, workdir, i)
                        else:
                            result = peer_history_run(name, args, workdir)
                    except Exception as exc:  # one broken run must not lose the others
                        result = {"ok": False, "error": repr(exc), "server_name": name}
                    history["runs"][name].append(result)
                    expected_runs += 1
                    print_history(name, i, args.repeats, result, workdir)
        ok = all_ok(report, expected_runs)
    finally:
        report["elapsedS"] = time.monotonic() - started_all
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        print(f"raw results: {args.json}")
        if args.keep or not ok:
            print(f"logs and databases kept in {tmp}")
            if peers_tmp:
                shutil.rmtree(tmp / "peers", ignore_errors=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    out = render(report, args)
    chart_path = chart(report, args.chart) if report["fanout"] else None
    if chart_path:
        out += ["", f"Chart: {chart_path}"]
    elif report["fanout"]:
        out += ["", "No chart: matplotlib is not installed (pip install -e '.[bench]')."]
    text = "\n".join(out)
    print(text)
    args.json.with_suffix(".md").write_text(text + "\n")
    print(f"\ntables: {args.json.with_suffix('.md')}; took {report['elapsedS'] / 60:.1f} min")
    return 0 if ok else 1


def print_fanout(
    scenario: str, name: str, i: int, repeats: int, result: Json, started: float, workdir: Path
) -> None:
    lat, d = result.get("latencyMs", {}), result.get("delivery", {})
    cpu = result.get("server", {}).get("cpuPct", float("nan"))
    us = result.get("server", {}).get("cpuUsPerDelivered", float("nan"))
    other = result.get("machine", {}).get("otherPct", float("nan"))
    extra = ""
    if result.get("ceiling"):
        c = result["ceiling"]
        extra = f" ceiling={c.get('editsPerSecond')} edits/s (stopped by {c.get('stoppedBy')})"
    print(
        f"{scenario} {name} run {i + 1}/{repeats}: ok={result.get('ok')}{extra} "
        f"p50={lat.get('p50')} p99={lat.get('p99')} max={lat.get('max')} ms "
        f"delivered={d.get('delivered')}/{d.get('expected')} "
        f"server_cpu={cpu:.0f}% ({us:.0f} µs/delivered) other_load={other:.0f}% "
        f"({time.monotonic() - started:.0f} s)",
        flush=True,
    )
    if not result.get("ok"):
        print(
            f"  error={result.get('error')} disconnects={result.get('disconnects')} "
            f"logs: {workdir}",
            flush=True,
        )


def print_history(name: str, i: int, repeats: int, result: Json, workdir: Path) -> None:
    cold = result.get("cold") or {}
    warm = (result.get("warm") or {}).get("step1ToStep2Ms", {}).get("p50")
    edit = (result.get("afterEdit") or {}).get("step1ToStep2Ms", {}).get("p50")
    storm = (result.get("storm") or {}).get("allSyncedMs")
    print(
        f"history {name} run {i + 1}/{repeats}: ok={result.get('ok')} "
        f"cold={cold.get('step1ToStep2Ms')} warm_p50={warm} after_edit_p50={edit} ms "
        f"storm_all_synced={storm} ms intact={result.get('historyIntact')}",
        flush=True,
    )
    if not result.get("ok"):
        print(f"  error={result.get('error')} logs: {workdir}", flush=True)


def render(report: Json, args: argparse.Namespace) -> list[str]:
    cond = (
        f"{args.repeats} run(s) per server, round-robin; median (min–max) over runs; "
        f"{args.warmup:g} s warm-up, {args.duration:g} s measured; awareness={args.awareness}"
        f"{'; probes=' + ','.join(args.probe) if args.probe else ''}"
    )
    if args.instances > 1 or args.database == "postgresql":
        cond += (
            f"; our server: {args.instances} instance(s) sharing PostgreSQL"
            f"{' and Redis' if args.instances > 1 else ''}"
        )
    out = [f"Command: {' '.join(['bench/run.py', *sys.argv[1:]])}", ""]
    if args.note:
        out += [f"Conditions: {args.note}", ""]
    for scenario, by in report["fanout"].items():
        spec = FANOUT[scenario]
        out += [
            "",
            f"## Fan-out {scenario}: {spec['rooms']} room(s) × {spec['clients']} clients, "
            f"{spec['typists']} typists per room × {spec['rate']} edits/s ({cond})",
            "",
            *fanout_table(by),
        ]
    if any(
        r.get("disturbed") for by in report["fanout"].values() for rs in by.values() for r in rs
    ):
        out += ["", "† at least one run was disturbed by other processes (see --max-other)."]
    ratios = ratio_table(report["fanout"])
    if ratios:
        out += [
            "",
            "## Ratios to each peer (same invocation; < 1 means ours is lower)",
            "",
            *ratios,
        ]
    if report["ceiling"]:
        steps = ", ".join(f"{x:g}" for x in args.ceiling_steps)
        out += [
            "",
            f"## Throughput ceiling: 1 room × 50 clients, 5 typists; total edits/s raised "
            f"through {steps} ({args.ceiling_warmup:g} s warm-up + {args.ceiling_duration:g} s "
            f"measured per step) until p99 > {CEILING_MAX_P99_MS:g} ms or an edit is lost",
            "",
            *ceiling_table(report["ceiling"]),
        ]
    if report["history"].get("runs"):
        out += [
            "",
            f"## Cold join of a long article and a storm of {args.storm_clients} clients "
            f"({args.repeats} run(s); step 1 → step 2 ms, median (min–max))",
            "",
            *history_table(report["history"]),
        ]
    out += [
        "",
        "## Targets (issue 9: ratios to the y-websocket server in this run)",
        "",
        *targets(report),
    ]
    return out


if __name__ == "__main__":
    sys.exit(main())
