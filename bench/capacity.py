"""How many workshops one core holds: rooms of 10 clients (2 typists at 1 edit/s each,
everyone announcing presence, as in a workshop's sub-groups), the number of rooms raised
step by step until the p99 of delivery passes 50 ms or an edit is lost. Each step is a
fan-out run on a fresh server pinned to one core (the last one), the generator on the
others, so that every server gets the same single core whatever it could use."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scenarios import CAPACITY_MAX_P99_MS, CAPACITY_SPEC, Json
from stats import medof, spread, values_of


def cores() -> tuple[str | None, str | None]:
    """(the server's core, the generator's cores), or (None, None) on a one-core machine."""
    mine = sorted(os.sched_getaffinity(0))
    if len(mine) < 2:
        return None, None
    return str(mine[-1]), ",".join(str(c) for c in mine[:-1])


def capacity_search(name: str, args: argparse.Namespace, workdir: Path, run: object) -> Json:
    """``run`` is runs.fanout_attempts (passed in: runs imports servers, which this module
    must not need)."""
    server_cpu, generator_cpus = cores()
    step_args = argparse.Namespace(**vars(args))
    step_args.warmup, step_args.duration = args.capacity_warmup, args.capacity_duration
    step_args.server_cpus, step_args.generator_cpus = server_cpu, generator_cpus
    steps: list[Json] = []
    held, stopped = 0, "the last step"
    for rooms in args.capacity_rooms:
        step_dir = workdir / f"rooms{rooms}"
        step_dir.mkdir()
        result = run({**CAPACITY_SPEC, "rooms": rooms}, step_args, step_dir)  # type: ignore[operator]
        p99 = result.get("latencyMs", {}).get("p99")
        lost = result.get("delivery", {}).get("lost")
        steps.append(
            {
                "rooms": rooms,
                "ok": bool(result.get("ok")),
                "p50": result.get("latencyMs", {}).get("p50"),
                "p99": p99,
                "lost": lost,
                "serverCpuPct": result.get("server", {}).get("cpuPct"),
                "rssMb": result.get("server", {}).get("peakRssMb"),
                # the generator's own state: a busy generator measures itself, not the server
                "generatorCpuPct": result.get("generatorProc", {}).get("cpuPct"),
                "generatorLoopDelayP99": result.get("generator", {})
                .get("loopDelayMs", {})
                .get("p99"),
                "error": result.get("error"),
            }
        )
        if not result.get("ok") or p99 is None:
            stopped = f"a failed run at {rooms} rooms"
            break
        if lost:
            stopped = f"{lost} lost at {rooms} rooms"
            break
        if p99 > CAPACITY_MAX_P99_MS:
            stopped = f"p99 {p99:.0f} ms at {rooms} rooms"
            break
        held = rooms
    return {
        "ok": bool(steps),
        "server_name": name,
        "rooms": held,
        "clients": held * CAPACITY_SPEC["clients"],
        "stoppedBy": stopped,
        "serverCpu": server_cpu,
        "steps": steps,
    }


def print_capacity(name: str, i: int, repeats: int, result: Json) -> None:
    line = ", ".join(
        f"{s['rooms']}: {s['p99'] if s['p99'] is not None else 'failed'}" for s in result["steps"]
    )
    print(
        f"capacity {name} run {i + 1}/{repeats}: {result['rooms']} rooms held "
        f"(stopped by {result['stoppedBy']}); p99 ms per step: {line}",
        flush=True,
    )


def capacity_table(by_server: dict[str, list[Json]]) -> list[str]:
    lines = [
        "| server | rooms of 10 held | clients | stopped by | steps of the median run "
        "(rooms: p99 ms, server CPU, generator CPU) |",
        "|---|---|---|---|---|",
    ]
    for name, runs in by_server.items():
        ok = [r for r in runs if r.get("ok")]
        if not ok:
            lines.append(f"| {name} | run failed | | | |")
            continue
        middle = sorted(ok, key=lambda r: r["rooms"])[len(ok) // 2]
        steps = "; ".join(
            f"{s['rooms']}: {s['p99']:.1f} ms, {s['serverCpuPct']:.0f} %, "
            f"{s.get('generatorCpuPct') or float('nan'):.0f} %"
            if s["p99"] is not None and s["serverCpuPct"] is not None
            else f"{s['rooms']}: failed"
            for s in middle["steps"]
        )
        stops = sorted({str(r["stoppedBy"]) for r in ok})
        lines.append(
            f"| {name} | {spread(ok, 'rooms', '{:.0f}')} | {medof(ok, 'clients'):.0f} "
            f"| {', '.join(stops)} | {steps} |"
        )
    return lines


def workshops(by_server: dict[str, list[Json]], name: str) -> int | None:
    """Workshops of 50 participants (five rooms of ten) one core held, for ``name``."""
    held = values_of([r for r in by_server.get(name, []) if r.get("ok")], "rooms")
    if not held:
        return None
    return int(sorted(held)[len(held) // 2] * CAPACITY_SPEC["clients"] // 50)
