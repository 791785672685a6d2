#!/usr/bin/env python3
"""Benchmark runner: our server and the reference Yjs servers, side by side, one generator.

    .venv/bin/python bench/run.py            # every scenario x every server, 3 repeats (~60 min)
    .venv/bin/python bench/run.py --quick    # smoke run: short windows, 1 repeat (~11 min)
    .venv/bin/python bench/run.py --scenarios 1x50 --servers ours-ws,y-websocket --repeats 5
    .venv/bin/python bench/run.py --servers null --scenarios 1x50,ceiling   # the harness's floor
    .venv/bin/python bench/run.py --scenarios capacity --servers ours-ws,y-websocket  # per core

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
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# The runner's modules sit next to it; `python bench/run.py` finds them, so does an import.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from capacity import capacity_search, print_capacity
from chart import chart
from environment import ensure_node_modules, ensure_peers, machine
from report import print_fanout, print_history, render
from runs import build_history, fanout_attempts, fanout_run, join_run, peer_history_run
from scenarios import (
    BENCH,
    CAPACITY,
    CAPACITY_ROOMS,
    CEILING,
    CEILING_SPEC,
    CEILING_STEPS,
    FANOUT,
    JOIN,
    KNOWN,
    OURS,
    PEERS,
    REPO,
    SCENARIOS,
    SERVERS,
    SOAK,
    STORM,
    STORM_CLIENTS,
    Json,
    estimate_seconds,
)
from servers import PROBES
from soak import soak_run
from targets import all_ok


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
    add(
        "--capacity-rooms",
        default=",".join(str(x) for x in CAPACITY_ROOMS),
        help="rooms of 10 of the capacity search's steps, each on a fresh server",
    )
    add(
        "--capacity-warmup", type=float, default=None, help="a capacity step's warm-up (3; quick 1)"
    )
    add(
        "--capacity-duration",
        type=float,
        default=None,
        help="measured window of a capacity step (10; quick 3)",
    )
    add(
        "--soak-minutes",
        type=float,
        default=120.0,
        help="length of the soak (--scenarios soak, never by default): 20x10 typing steadily",
    )
    add(
        "--soak-rounds",
        type=int,
        default=1,
        help="the leak check: this many soaks of --soak-minutes on the same server, each on "
        "fresh articles, the RSS read after each (default 1)",
    )
    add(
        "--soak-pause",
        type=float,
        default=90.0,
        help="seconds after each round, every client gone, before the RSS is read (90)",
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
    args.capacity_rooms = [int(x) for x in args.capacity_rooms.split(",") if x.strip()]
    if args.capacity_warmup is None:
        args.capacity_warmup = 1.0 if quick else 3.0
    if args.capacity_duration is None:
        args.capacity_duration = 3.0 if quick else 10.0
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
    unknown = [s for s in args.scenarios if s not in KNOWN]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {KNOWN}")
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
        "capacity": {},
        "soak": {},
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
    capacity_servers = [s for s in args.servers if s != "null"]
    expected_runs = 0
    ok = False
    try:
        for scenario in args.scenarios:
            if scenario not in FANOUT and scenario != CEILING:  # capacity: below
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
        if CAPACITY in args.scenarios:
            capacity = report["capacity"] = {name: [] for name in capacity_servers}
            for i in range(args.repeats):
                for name in capacity_servers:
                    workdir = tmp / f"capacity-{name}-{i}"
                    workdir.mkdir()
                    try:
                        result = capacity_search(
                            name,
                            args,
                            workdir,
                            lambda spec, a, d, name=name: fanout_attempts(name, spec, a, d),
                        )
                    except Exception as exc:  # one broken run must not lose the others
                        result = {"ok": False, "error": repr(exc), "server_name": name}
                    capacity[name].append(result)
                    expected_runs += 1
                    if result.get("steps") is not None:
                        print_capacity(name, i, args.repeats, result)
                    else:
                        print(f"capacity {name} run {i + 1}: {result.get('error')}", flush=True)
        if SOAK in args.scenarios:
            soak = report["soak"] = {name: [] for name in capacity_servers}
            for i in range(args.repeats):
                for name in capacity_servers:
                    workdir = tmp / f"soak-{name}-{i}"
                    workdir.mkdir()
                    try:
                        result = soak_run(name, args, workdir, fanout_run)
                    except Exception as exc:  # one broken run must not lose the others
                        result = {"ok": False, "error": repr(exc), "server_name": name}
                    soak[name].append(result)
                    expected_runs += 1
                    print(f"soak {name} run {i + 1}: {result.get('soak')}", flush=True)
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


if __name__ == "__main__":
    sys.exit(main())
