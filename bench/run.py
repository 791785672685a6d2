#!/usr/bin/env python3
"""Benchmark runner: a fresh server per run, the Node load generator, /proc sampling, a table.

    .venv/bin/python bench/run.py            # every scenario, 3 repeats, medians (~10 min)
    .venv/bin/python bench/run.py --quick    # smoke run: short windows, 1 repeat (~1 min)
    .venv/bin/python bench/run.py --scenarios 1x50 --repeats 5 --json /tmp/b.json
    .venv/bin/python bench/run.py --target null --scenarios 1x50   # the harness's own floor

Each fan-out run starts ``python -m server serve`` on a new temporary SQLite database, creates
the rooms (articles) over the HTTP API, runs ``node bench/loadgen.mjs fanout`` and samples,
at the start and the end of the measured window, the CPU seconds (utime + stime from
/proc/PID/stat) of the server, of the generator and of the whole machine (/proc/stat), and
the server's peak RSS (VmHWM from /proc/PID/status) at the end.
The cold-join scenario writes a long history through the server once, then for each repeat
restarts the server on a pristine copy of that database and times fresh clients' sync.

Standard library only; Linux only (/proc). bench/README.md explains every figure.
"""

from __future__ import annotations

import argparse
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
    "1x10": {"rooms": 1, "clients": 10, "typists": 2, "rate": 10},
    "1x50": {"rooms": 1, "clients": 50, "typists": 5, "rate": 10},
    "20x10": {"rooms": 20, "clients": 10, "typists": 2, "rate": 10},
}
JOIN = "join20k"
TARGET_P99_MS = 20.0  # 1x50, 5 typists at 10 edits/s
TARGET_JOIN_MS = 20.0

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
    """``python -m server serve`` on its own SQLite file, with an administrator token."""

    def __init__(
        self, db: Path, log: Path, python: str, cwd: Path, env: dict[str, str] | None = None
    ) -> None:
        self.admin = secrets.token_urlsafe(24)
        url = f"sqlite:///{db}"
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
            body = {"role": "editor", "label": "bench", "max_uses": clients}
            editors = self._request("POST", f"{base}/invites", body, facilitator)
            self.tokens = [self._join(editors["link"], f"Client {i + 1}") for i in range(clients)]
        return names, self.tokens


class NullServer(Process):
    """bench/nullserver.mjs: relays frames, holds nothing; measures the harness's floor."""

    def __init__(self, log: Path) -> None:
        super().__init__(["node", str(BENCH / "nullserver.mjs"), "--port", "0"], BENCH, log)

    def setup(self, rooms: int, clients: int) -> tuple[list[str], list[str]]:
        return [f"room-{i + 1}" for i in range(rooms)], []


PROBES = ("nodelay", "gc-freeze", "gc-log", "slow", "sends")


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
    return env


def make_target(args: argparse.Namespace, db: Path, log: Path) -> Process:
    if args.target == "null":
        return NullServer(log)
    return CharterServer(db, log, args.python, args.server_dir, server_env(args, log.parent))


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


def fanout_run(spec: Json, args: argparse.Namespace, workdir: Path) -> Json:
    background = wait_quiet(args.quiet_below, args.quiet_wait)
    server = make_target(args, workdir / "bench.db", workdir / "server.log")
    server.start()
    samples: Json = {}
    try:
        rooms, tokens = server.setup(spec["rooms"], spec["rooms"] * spec["clients"])

        def sample(tag: str, gen_pid: int) -> None:
            samples[tag] = {
                "t": time.monotonic(),
                "server": cpu_seconds(server.pid),
                "gen": cpu_seconds(gen_pid),
                "machine": machine_ticks(),
            }

        def on_event(event: Json, gen_pid: int) -> None:
            if event.get("event") == "measure_start":
                sample("start", gen_pid)
            elif event.get("event") == "measure_end":
                sample("end", gen_pid)
                samples["server_rss"] = status_mb(server.pid, "VmRSS")
                samples["gen_hwm"] = status_mb(gen_pid, "VmHWM")

        config = {
            "urlTemplate": server.ws_template,
            "rooms": rooms,
            "tokens": tokens,
            "clients": spec["clients"],
            "typists": spec["typists"],
            "rate": spec["rate"],
            "warmup": args.warmup,
            "duration": args.duration,
            "drain": args.drain,
            "awareness": args.awareness,
            "seed": args.seed,
        }
        timeout = args.warmup + args.duration + args.drain + 120
        result = run_generator("fanout", config, workdir, on_event, timeout)
        peak = status_mb(server.pid, "VmHWM")
    finally:
        clean = server.stop()
    result["backgroundBeforePct"] = background
    if "end" in samples:
        s0, s1 = samples["start"], samples["end"]
        window = s1["t"] - s0["t"]
        server_cpu = s1["server"] - s0["server"]
        gen_cpu = s1["gen"] - s0["gen"]
        busy, irq, total, steal = (b - a for a, b in zip(s0["machine"], s1["machine"], strict=True))
        result["server"] = {
            "cpuS": server_cpu,
            "cpuPct": 100 * server_cpu / window,
            "rssMb": samples["server_rss"],
            "peakRssMb": peak,
            "cleanShutdown": clean,
        }
        result["generatorProc"] = {
            "cpuS": gen_cpu,
            "cpuPct": 100 * gen_cpu / window,
            "peakRssMb": samples["gen_hwm"],
        }
        result["machine"] = {
            "busyPct": 100 * (busy + irq) / total,  # of all CPUs
            "otherPct": 100 * (busy - server_cpu - gen_cpu) / total,
            "irqPct": 100 * irq / total,
            "stealPct": 100 * steal / total,
        }
    return result


def fanout_attempts(spec: Json, args: argparse.Namespace, workdir: Path) -> Json:
    """A run during which other processes took more than --max-other % of the machine
    measured them as much as the server: it is run again (up to --attempts times)."""
    for attempt in range(1, args.attempts + 1):
        attempt_dir = workdir / f"attempt{attempt}"
        attempt_dir.mkdir(parents=True)
        result = fanout_run(spec, args, attempt_dir)
        other = result.get("machine", {}).get("otherPct", 0.0)
        result["attempt"] = attempt
        result["disturbed"] = other > args.max_other
        if not result["disturbed"] or attempt == args.attempts:
            return result
        print(f"  other processes took {other:.0f} % of the machine: run again", flush=True)
    raise AssertionError("unreachable")


def build_history(args: argparse.Namespace, workdir: Path) -> tuple[Path, Json]:
    """Write the history once through a server, stop it cleanly, keep the database."""
    db = workdir / "built.db"
    # The history is written as fast as the server takes it: lift the per-connection rate
    # limits for this server only (unknown settings are ignored by older servers).
    unlimited = {
        "CHARTER_MAX_MESSAGES_PER_SECOND": "1000000",
        "CHARTER_MAX_BYTES_PER_SECOND": "1000000000",
    }
    log = workdir / "build-server.log"
    env = server_env(args, workdir) | unlimited
    server = CharterServer(db, log, args.python, args.server_dir, env)
    server.start()
    try:
        # the long history, and a small article to warm the process up in the join runs
        (room, warm_room), tokens = server.setup(2, 2)
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
    built: Path, build: Json, args: argparse.Namespace, workdir: Path, tag: str, extra: Json
) -> Json:
    """Start a server on a pristine copy of the built database, run the join mode, stop."""
    db = workdir / f"{tag}.db"
    for suffix in ("", "-wal", "-shm"):  # every run sees exactly the same history
        src = Path(f"{built}{suffix}")
        if src.exists():
            shutil.copyfile(src, f"{db}{suffix}")
    log = workdir / f"{tag}-server.log"
    server = CharterServer(db, log, args.python, args.server_dir, server_env(args, workdir))
    server.start()
    try:
        server.tokens = build["tokens"]
        config = {
            "urlTemplate": server.ws_template,
            "room": build["room"],
            "tokens": build["tokens"],
            **extra,
        }
        result = run_generator("join", config, workdir, lambda e, p: None, timeout=300)
        result["server"] = {"peakRssMb": status_mb(server.pid, "VmHWM")}
    finally:
        clean = server.stop()
    loaded = re.findall(r"loaded document=(\S+) updates=(\d+)", log.read_text())
    result["server"]["updatesLoaded"] = next(
        (int(n) for name, n in loaded if name == build["room"]), None
    )
    result["server"]["cleanShutdown"] = clean
    result["historyIntact"] = result.get("cold", {}).get("textLength") == build["textLength"]
    return result


def join_run(built: Path, build: Json, args: argparse.Namespace, workdir: Path, i: int) -> Json:
    """Two server starts: the very first connection of a fresh process; then, in a process
    warmed up on another article, the document's first join, joins while it stays loaded,
    and joins right after an edit."""
    background = wait_quiet(args.quiet_below, args.quiet_wait)
    restart = join_once(built, build, args, workdir, f"restart{i}", {"coldOnly": True})
    extra = {"warmRoom": build["warmRoom"], "samples": args.join_samples, "seed": args.seed}
    result = join_once(built, build, args, workdir, f"join{i}", extra)
    result["restart"] = restart.get("cold", {})
    result["ok"] = bool(result.get("ok") and restart.get("ok"))
    result["historyIntact"] = bool(result["historyIntact"] and restart["historyIntact"])
    result["backgroundBeforePct"] = background
    return result


# ---------------------------------------------------------------- summaries


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def get(d: Json, path: str) -> Any:
    for key in path.split("."):
        d = d[key]
    return d


def spread(runs: list[Json], path: str, fmt: str = "{:.1f}") -> str:
    """Median of the runs, with (min–max) when there are several."""
    values = [get(r, path) for r in runs]
    if len(values) == 1:
        return fmt.format(values[0])
    low, mid, high = (fmt.format(v) for v in (min(values), med(values), max(values)))
    return f"{mid} ({low}–{high})"


def fanout_table(results: dict[str, list[Json]]) -> list[str]:
    lines = [
        "| scenario | rooms × clients | typists × rate | edits/s | p50 ms | p95 ms | p99 ms "
        "| max ms | delivered / expected | lost · dup · reordered | server CPU | server peak RSS "
        "| generator CPU | generator loop delay p99 | other load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in results.items():
        ok = [r for r in runs if "server" in r]
        if not ok:
            lines.append(f"| {name} | run failed: {runs[0].get('error')} |")
            continue
        c = ok[0]["config"]
        total = {k: sum(r["delivery"][k] for r in ok) for k in ok[0]["delivery"]}
        lines.append(
            f"| {name} | {c['rooms']} × {c['clientsPerRoom']} "
            f"| {c['typistsPerRoom']} × {c['rate']}/s "
            f"| {med([r['editsPerSecond'] for r in ok]):.0f} "
            f"| {spread(ok, 'latencyMs.p50')} | {spread(ok, 'latencyMs.p95')} "
            f"| {spread(ok, 'latencyMs.p99')} | {spread(ok, 'latencyMs.max')} "
            f"| {total['delivered']:,} / {total['expected']:,} "
            f"| {total['lost']} · {total['duplicated']} · {total['outOfOrder']} "
            f"| {spread(ok, 'server.cpuS', '{:.2f}')} s "
            f"({med([r['server']['cpuPct'] for r in ok]):.0f} %) "
            f"| {med([r['server']['peakRssMb'] for r in ok]):.0f} MB "
            f"| {med([r['generatorProc']['cpuPct'] for r in ok]):.0f} % "
            f"| {spread(ok, 'generator.loopDelayMs.p99')} ms "
            f"| {med([r['machine']['otherPct'] for r in ok]):.0f} %"
            f"{' †' if any(r.get('disturbed') for r in ok) else ''} |"
        )
    if any(r.get("disturbed") for rs in results.values() for r in rs):
        lines += ["", "† at least one run was disturbed by other processes (see --max-other)."]
    return lines


def join_table(build: Json, runs: list[Json]) -> list[str]:
    ok = [r for r in runs if r.get("ok")]
    lines = [
        f"History: {build['inserts']:,} single-character inserts + {build['deletes']:,} "
        f"single-character deletions ({build['pattern']} positions), each its own update "
        f"through the server, written in {build['buildMs'] / 1000:.1f} s; final text "
        f"{build['textLength']:,} characters.",
        "",
        "| fresh client | step 2 bytes | step 1 → step 2 ms | of which: open → server's step 1 "
        "| of which: server's step 1 → step 2 | connect → step 2 ms | client apply ms |",
        "|---|---|---|---|---|---|---|",
    ]
    if not ok:
        return [*lines, f"| run failed: {runs[0].get('error') if runs else 'no run'} |"]

    def row(label: str, key: str, stat: str, with_bytes: bool = True) -> str:
        cells = [
            spread(ok, f"{key}.{metric}{stat}")
            for metric in (
                "step1ToStep2Ms",
                "openToServerStep1Ms",
                "serverStep1ToStep2Ms",
                "connectToStep2Ms",
            )
        ]
        size = f"{ok[0][key]['bytes']:,}" if with_bytes else ""
        apply = spread(ok, f"{key}.clientApplyMs{stat}") if with_bytes else ""
        return f"| {label} | {size} | {' | '.join(cells)} | {apply} |"

    lines.append(row("very first connection to a just-started server", "restart", ""))
    lines.append(row("first join of the document (server warm, loads it)", "cold", ""))
    phases = (
        ("warm", "document loaded and unchanged: p50 of the samples"),
        ("afterEdit", "one edit since the previous join: p50 of the samples"),
    )
    for key, label in phases:
        lines.append(row(label, key, ".p50"))
        lines.append(row("… same, slowest sample", key, ".max", with_bytes=False))
    s = ok[0]["server"]
    peak = med([r["server"]["peakRssMb"] for r in ok])
    intact = all(r["historyIntact"] for r in ok)
    lines += [
        "",
        f"The server loaded {s['updatesLoaded']} stored update(s) for the document (checkpoint "
        f"+ log rows); peak RSS {peak:.0f} MB; text intact after restart: {intact}.",
    ]
    return lines


def targets(report: Json) -> list[str]:
    out = []
    runs50 = [r for r in report["fanout"].get("1x50", []) if "latencyMs" in r]
    if runs50:
        p99 = med([r["latencyMs"]["p99"] for r in runs50])
        lost = sum(r["delivery"]["lost"] for r in runs50)
        verdict = "met" if p99 <= TARGET_P99_MS and lost == 0 else "MISSED"
        out.append(
            f"- 1x50, 5 typists × 10/s: p99 {p99:.1f} ms (target ≤ {TARGET_P99_MS:g} ms), "
            f"lost {lost} (target 0): {verdict}"
        )
    ok = [r for r in (report["join"] or {}).get("runs", []) if r.get("ok")]
    checks = (
        ("very first connection after a restart", "restart.step1ToStep2Ms"),
        ("first join of the document (server warm)", "cold.step1ToStep2Ms"),
        ("join, document loaded", "warm.step1ToStep2Ms.p50"),
        ("join after an edit", "afterEdit.step1ToStep2Ms.p50"),
    )
    for label, path in checks if ok else ():
        v = med([get(r, path) for r in ok])
        verdict = "met" if v < TARGET_JOIN_MS else "MISSED"
        out.append(
            f"- {label}: step 1 → step 2 in {v:.1f} ms (target < {TARGET_JOIN_MS:g} ms): {verdict}"
        )
    return out


def all_ok(report: Json, expected_runs: int) -> bool:
    runs = [r for rs in report["fanout"].values() for r in rs]
    if report["join"]:
        runs += [r for r in report["join"]["runs"] if r.get("historyIntact")]
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
        "target": args.target,
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
    add("--quick", action="store_true", help="smoke run: 1 repeat, 3 s windows, small history")
    add("--scenarios", default=",".join([*FANOUT, JOIN]), help="comma list (default: all)")
    add("--repeats", type=int, default=None, help="runs per scenario (default 3; quick 1)")
    add("--warmup", type=float, default=None, help="seconds of typing before measuring (3)")
    add("--duration", type=float, default=None, help="measured window in seconds (15)")
    add("--drain", type=float, default=5.0, help="max seconds to wait for late updates")
    add(
        "--awareness",
        choices=["none", "presence", "cursor"],
        default="presence",
        help="presence: every client announces itself and renews every 15 s, as y-websocket "
        "clients do (default); cursor: typists also send a cursor with every edit",
    )
    add("--inserts", type=int, default=None, help="cold-join history inserts (20000)")
    add("--deletes", type=int, default=None, help="cold-join history deletions (2000)")
    add(
        "--pattern",
        choices=["random", "typing"],
        default="random",
        help="where history edits land: random positions (worst case) or typing runs",
    )
    add("--join-samples", type=int, default=None, help="fresh clients per join phase (10)")
    add("--seed", type=int, default=1)
    add("--target", choices=["charter", "null"], default="charter", help="server under test")
    add("--python", default=sys.executable, help="interpreter that runs the server")
    add(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server, e.g. CHARTER_COMPACT_EVERY=2000 (repeatable)",
    )
    add("--server-dir", type=Path, default=REPO, help="checkout whose server is benchmarked")
    add(
        "--probe",
        action="append",
        default=[],
        choices=PROBES,
        help="diagnostics injected into the server without editing it (bench/probes): "
        "nodelay and gc-freeze change its behaviour, the others only log into the run's "
        "directory (use with --keep); repeatable",
    )
    add("--quiet-below", type=float, default=25.0, help="wait until machine busy %% ≤ this")
    add("--quiet-wait", type=float, default=None, help="max seconds to wait for that (120)")
    add("--max-other", type=float, default=10.0, help="rerun when others took > this %% CPU")
    add("--attempts", type=int, default=None, help="tries per run when disturbed (3; quick 1)")
    add("--json", type=Path, help="raw results file (default bench/results/<time>.json)")
    add("--keep", action="store_true", help="keep the temporary directory (logs, databases)")
    add("--no-install", action="store_true", help="never run npm ci")
    args = parser.parse_args()
    quick = args.quick
    args.repeats = args.repeats or (1 if quick else 3)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 3.0)
    args.duration = args.duration if args.duration is not None else (3.0 if quick else 15.0)
    args.inserts = args.inserts if args.inserts is not None else (2000 if quick else 20000)
    args.deletes = args.deletes if args.deletes is not None else (200 if quick else 2000)
    args.join_samples = args.join_samples or (3 if quick else 10)
    args.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (5 if quick else 120)
    args.attempts = args.attempts or (1 if quick else 3)
    if args.json is None:
        args.json = BENCH / "results" / time.strftime("%Y%m%d-%H%M%S.json")
        args.json.parent.mkdir(exist_ok=True)
    args.server_dir = args.server_dir.resolve()
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenarios if s not in FANOUT and s != JOIN]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {[*FANOUT, JOIN]}")
    if args.target == "null" and JOIN in args.scenarios:
        args.scenarios.remove(JOIN)  # the null server keeps no history
    return args


def main() -> int:
    args = parse_args()
    ensure_node_modules(not args.no_install)
    tmp = Path(tempfile.mkdtemp(prefix="charter-bench-"))
    report: Json = {
        "machine": machine(args),
        "args": {k: str(v) for k, v in vars(args).items()},
        "fanout": {},
        "join": None,
    }
    print(f"machine: {json.dumps(report['machine'])}", flush=True)
    expected_runs = len(args.scenarios) * args.repeats
    ok = False
    try:
        for name in args.scenarios:
            if name == JOIN:
                continue
            runs = report["fanout"][name] = []
            for i in range(args.repeats):
                workdir = tmp / f"{name}-{i}"
                workdir.mkdir()
                started = time.monotonic()
                result = fanout_attempts(FANOUT[name], args, workdir)
                runs.append(result)
                lat, d = result.get("latencyMs", {}), result.get("delivery", {})
                cpu = result.get("server", {}).get("cpuPct", float("nan"))
                other = result.get("machine", {}).get("otherPct", float("nan"))
                print(
                    f"{name} run {i + 1}/{args.repeats}: ok={result.get('ok')} "
                    f"p50={lat.get('p50')} p99={lat.get('p99')} max={lat.get('max')} ms "
                    f"delivered={d.get('delivered')}/{d.get('expected')} "
                    f"server_cpu={cpu:.0f}% other_load={other:.0f}% "
                    f"({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
                if not result.get("ok"):
                    print(f"  error={result.get('error')} logs: {workdir}", flush=True)
        if JOIN in args.scenarios:
            workdir = tmp / JOIN
            workdir.mkdir()
            print(f"{JOIN}: writing {args.inserts} inserts + {args.deletes} deletions…", flush=True)
            built, build = build_history(args, workdir)
            print(
                f"{JOIN}: history written in {build['buildMs'] / 1000:.1f} s, "
                f"{build['fullStateBytes']:,} bytes of state",
                flush=True,
            )
            runs = []
            report["join"] = {"build": build, "runs": runs}
            for i in range(args.repeats):
                result = join_run(built, build, args, workdir, i)
                runs.append(result)
                cold = result.get("cold", {})
                warm = result.get("warm", {}).get("step1ToStep2Ms", {}).get("p50")
                edit = result.get("afterEdit", {}).get("step1ToStep2Ms", {}).get("p50")
                print(
                    f"{JOIN} run {i + 1}/{args.repeats}: ok={result.get('ok')} "
                    f"cold={cold.get('step1ToStep2Ms')} warm_p50={warm} after_edit_p50={edit} ms "
                    f"bytes={cold.get('bytes')} intact={result.get('historyIntact')}",
                    flush=True,
                )
        ok = all_ok(report, expected_runs)
    finally:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
        print(f"raw results: {args.json}")
        if args.keep or not ok:
            print(f"logs and databases kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    out = [
        "",
        f"## Fan-out ({args.repeats} run(s) each; median (min–max) over runs; "
        f"{args.warmup:g} s warm-up, {args.duration:g} s measured; awareness={args.awareness}; "
        f"target={args.target}"
        f"{'; probes=' + ','.join(args.probe) if args.probe else ''})",
        "",
    ]
    if report["fanout"]:
        out += fanout_table(report["fanout"])
    if report["join"]:
        probes = f"; probes={','.join(args.probe)}" if args.probe else ""
        out += ["", f"## Cold join ({args.repeats} restart(s); median (min–max){probes})", ""]
        out += join_table(report["join"]["build"], report["join"]["runs"])
    out += ["", "## Targets", "", *targets(report)]
    print("\n".join(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
