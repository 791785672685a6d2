"""One run of each kind, on a fresh server: a fan-out run (or a ceiling search) with its
reruns when disturbed, the history build and the joins on our server, the history runs of
the peers; and the generator (bench/loadgen.mjs) they all drive."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sampling import cpu_seconds, machine_ticks, peak_mb, status_mb, wait_quiet
from scenarios import BENCH, CEILING_MAX_P99_MS, PROTOCOL, STORM, Json
from servers import CharterServer, make_server, server_env

# Our server's per-connection rate limits are lifted where a client must send faster than a
# person types (the ceiling's typists, the history writer); the peers have no such limits.
UNLIMITED = {
    "CHARTER_MAX_MESSAGES_PER_SECOND": "1000000",
    "CHARTER_MAX_BYTES_PER_SECOND": "1000000000",
}


# ---------------------------------------------------------------- the generator


def generator_heap_mb() -> int:
    """The generator's heap limit: half the machine's memory. It keeps every marker it sent
    and every one each client saw (to count losses, duplicates and reorderings), which past
    100 minutes of the soak outgrows node's default of about 4 GB."""
    with open("/proc/meminfo") as meminfo:
        total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    return max(4096, total_kb // 1024 // 2)


def run_generator(
    mode: str,
    config: Json,
    workdir: Path,
    on_event: Callable[[Json, int], None],
    timeout: float,
    cpus: str | None = None,
) -> Json:
    cfg_path = workdir / f"{mode}-config.json"
    cfg_path.write_text(json.dumps(config))
    with open(workdir / "loadgen.log", "a") as err:
        proc = subprocess.Popen(
            [
                *(["taskset", "-c", cpus] if cpus else []),
                "node",
                f"--max-old-space-size={generator_heap_mb()}",
                str(BENCH / "loadgen.mjs"),
                mode,
                "--config",
                str(cfg_path),
            ],
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


def fanout_run(
    name: str,
    spec: Json,
    args: argparse.Namespace,
    workdir: Path,
    watch: Callable[[list[int]], Callable[[], None]] | None = None,
    rounds: int = 1,
    after_round: Callable[[int], None] | None = None,
) -> Json:
    """One fan-out run (or one ceiling search, when ``spec`` has steps) on a fresh server.
    ``watch(pids)`` starts watching the server during the run and returns how to stop.
    ``rounds`` > 1 (the soak): the generator runs that many times on the same server, each
    time on fresh documents, and ``after_round(i)`` is called after round i; the result is
    the last round's, with every round's delivery and latency in ``rounds``."""
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
        if getattr(args, "steady_text", 0):
            config["steadyText"] = args.steady_text
        if ceiling:
            config["steps"] = spec["steps"]
            config["maxP99"] = CEILING_MAX_P99_MS
            per_step = args.ceiling_warmup + args.ceiling_duration + args.drain + 1
            timeout = per_step * len(spec["steps"]) + 120
        else:
            timeout = args.warmup + args.duration + args.drain + 120
        cpus = getattr(args, "generator_cpus", None)
        stop_watching = watch(server.pids) if watch else None
        done: list[Json] = []
        try:
            for i in range(rounds):
                if i:
                    config["rooms"], config["tokens"] = server.setup(
                        spec["rooms"], spec["rooms"] * spec["clients"], i
                    )
                result = run_generator("fanout", config, workdir, on_event, timeout, cpus)
                done.append(result)
                if after_round:
                    after_round(i)
                if not result.get("ok", True):
                    break
        finally:
            if stop_watching:
                stop_watching()
        if rounds > 1:
            result["rounds"] = [
                {k: r.get(k) for k in ("ok", "delivery", "latencyMs", "error")} for r in done
            ]
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
