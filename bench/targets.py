"""What counts as success: the issues' targets, checked on this invocation's results, and
whether every run ran and was ok (the exit status)."""

from __future__ import annotations

from scenarios import OURS, STORM_CLIENTS, TARGET_P99_MS, Json
from stats import measured, medof


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


def all_ok(report: Json, expected_runs: int) -> bool:
    runs = [r for by in report["fanout"].values() for rs in by.values() for r in rs]
    runs += [r for rs in report["ceiling"].values() for r in rs]
    runs += [r for rs in report.get("capacity", {}).values() for r in rs]
    runs += [r for rs in report.get("soak", {}).values() for r in rs]
    runs += [
        r for rs in report["history"].get("runs", {}).values() for r in rs if r.get("historyIntact")
    ]
    return len(runs) == expected_runs and all(r.get("ok") for r in runs)
