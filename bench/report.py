"""What is printed: a line per run as it ends, then the Markdown tables (also written next
to the JSON)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from capacity import capacity_table, workshops
from scenarios import CAPACITY_MAX_P99_MS, CEILING_MAX_P99_MS, FANOUT, OURS, PEERS, PROTOCOL, Json
from soak import rounds_table, soak_table
from stats import measured, med, medof, spread, values_of
from targets import targets


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
    if report.get("capacity"):
        out += [
            "",
            f"## Capacity: rooms of 10 (2 typists × 1 edit/s, everyone's presence) on one core, "
            f"raised through {', '.join(str(x) for x in args.capacity_rooms)} rooms "
            f"({args.capacity_warmup:g} s warm-up + {args.capacity_duration:g} s measured per "
            f"step, a fresh server each) until p99 > {CAPACITY_MAX_P99_MS:g} ms or an edit is lost",
            "",
            *capacity_table(report["capacity"]),
            "",
            *operator_line(report["capacity"]),
        ]
    if report.get("soak"):
        out += [
            "",
            f"## Soak: 20 rooms × 10 clients typing for {args.soak_minutes:g} min, the server's "
            "memory sampled every 30 s",
            "",
            *soak_table(report["soak"]),
        ]
        if args.soak_rounds > 1:
            out += [
                "",
                f"### Leak check: {args.soak_rounds} rounds of {args.soak_minutes:g} min on "
                f"fresh articles, {args.soak_pause:g} s after each with every client gone",
                "",
                *rounds_table(report["soak"]),
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


def operator_line(by_server: dict[str, list[Json]]) -> list[str]:
    """The answer an operator wants, for each of our endpoints."""
    lines = []
    for name in OURS:
        n = workshops(by_server, name)
        if n is not None:
            lines.append(
                f"- {name}: one core holds {n} workshop(s) of 50 participants typing as in a "
                "workshop (five rooms of ten)."
            )
    return lines
