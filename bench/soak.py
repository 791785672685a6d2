"""The soak: 20 rooms × 10 clients typing steadily (the 20x10 fan-out) for ``--soak-minutes``
(default 120) on one server, its memory sampled every 30 s. Each article keeps about 4,000
characters: past that, every edit deletes as much as it inserts. Memory must not grow: the RSS at
the end is compared with the RSS after 10 minutes (``--soak-minutes`` below 20 compares with
the RSS at half time). Not in the default scenarios: ``--scenarios soak``.

``--soak-rounds N`` (the leak check): N rounds of ``--soak-minutes`` each on the same server,
each on 20 fresh articles; after each round every client has left, and the server is given
``--soak-pause`` seconds (default 90: our rooms unload 30 s after their last client) before
its RSS is read. A document's history stays in memory while it is loaded, on any server, so
memory grows during a round; what a server keeps of documents nobody has open any more shows
as RSS that climbs from one round's end to the next.

Each sample also has the CPU the server and the load generator used since the previous one
(% of a core): from the first sample where the generator used 95 % or more, it is the limit,
and the latencies and losses measure it rather than the server (``generatorSaturatedAtS``)."""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sampling import cpu_seconds, status_mb
from scenarios import FANOUT, Json

EVERY_S = 30.0
STEADY_TEXT = 4000  # characters of each article past which every edit also deletes as many
SATURATED_PCT = 95.0  # the generator's CPU from which it, not the server, sets the pace


def soak_run(name: str, args: argparse.Namespace, workdir: Path, run: Callable[..., Json]) -> Json:
    """``run`` is runs.fanout_run (passed in, as for the capacity search)."""
    soak_args = argparse.Namespace(**vars(args))
    soak_args.duration = args.soak_minutes * 60
    # Typing that only inserts would grow every article by megabytes an hour, and memory with
    # it, on any server: the soak's articles keep a steady length instead (bench/loadgen.mjs).
    soak_args.steady_text = STEADY_TEXT
    samples: list[Sample] = []

    def watch(pids: list[int]) -> Callable[[], None]:
        stop = threading.Event()
        started = time.monotonic()

        def sample() -> None:
            before = (started, _cpu(pids), _cpu(_generators()))
            while not stop.wait(EVERY_S):
                try:
                    rss = sum(status_mb(pid, "VmRSS") for pid in pids)
                except (OSError, KeyError):
                    return
                now = (time.monotonic(), _cpu(pids), _cpu(_generators()))
                spent = now[0] - before[0]
                server, generator = (_pct(now[i], before[i], spent) for i in (1, 2))
                before = now
                samples.append((now[0] - started, rss, server, generator))

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        return lambda: (stop.set(), thread.join())[0]

    rounds = max(1, getattr(args, "soak_rounds", 1))
    ends: list[Json] = []
    pids: list[int] = []

    def watch_and_keep(found: list[int]) -> Callable[[], None]:
        pids[:] = found
        return watch(found)

    def after_round(i: int) -> None:
        at_end = _rss(pids)
        if rounds > 1:
            time.sleep(getattr(args, "soak_pause", 90.0))
        ends.append({"round": i + 1, "rssEndMb": at_end, "rssAfterPauseMb": _rss(pids)})

    result = run(name, FANOUT["20x10"], soak_args, workdir, watch_and_keep, rounds, after_round)
    result["soak"] = summary(samples, args.soak_minutes)
    if rounds > 1:
        result["soak"]["rounds"] = ends
        first, last = ends[0]["rssAfterPauseMb"], ends[-1]["rssAfterPauseMb"]
        if first and last:
            result["soak"]["roundsGrowthPct"] = 100 * (last - first) / first
    return result


Sample = tuple[float, float, float | None, float | None]  # s, RSS MB, server %, generator %


def _generators() -> list[int]:
    """The load generator of the current round: this process's child running loadgen.mjs."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            if int(stat[stat.rindex(")") + 2 :].split()[1]) != os.getpid():
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if b"loadgen.mjs" in f.read():
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def _cpu(pids: list[int]) -> tuple[tuple[int, ...], float] | None:
    """CPU seconds of ``pids`` (None when one is gone), with which processes they were."""
    try:
        return tuple(pids), sum(cpu_seconds(pid) for pid in pids)
    except OSError:
        return None


def _pct(
    now: tuple[tuple[int, ...], float] | None,
    before: tuple[tuple[int, ...], float] | None,
    spent: float,
) -> float | None:
    """% of a core between two readings of the same processes (None across a new round)."""
    if now is None or before is None or now[0] != before[0] or not now[0] or spent <= 0:
        return None
    return round(100 * (now[1] - before[1]) / spent, 1)


def _rss(pids: list[int]) -> float | None:
    try:
        return sum(status_mb(pid, "VmRSS") for pid in pids) if pids else None
    except (OSError, KeyError):
        return None


def summary(samples: list[Sample], minutes: float) -> Json:
    if not samples:
        return {"samples": []}
    mark = 600.0 if minutes >= 20 else minutes * 30.0
    early = next((rss for t, rss, *_ in samples if t >= mark), samples[0][1])
    end = samples[-1][1]
    busy = (t for t, _, _, gen in samples if gen is not None and gen >= SATURATED_PCT)
    saturated = next(busy, None)
    return {
        # seconds, RSS MB, server and generator CPU since the previous sample (% of a core)
        "samples": [[round(t), round(rss, 1), server, gen] for t, rss, server, gen in samples],
        "generatorSaturatedAtS": None if saturated is None else round(saturated),
        "referenceS": mark,
        "rssReferenceMb": early,
        "rssEndMb": end,
        "growthPct": 100 * (end - early) / early,
    }


def rounds_table(by_server: dict[str, list[Json]]) -> list[str]:
    """The leak check: the RSS at the end of each round and after the pause that follows."""
    lines = [
        "| server | round | RSS at its end | RSS after the pause | p99 ms | lost |",
        "|---|---|---|---|---|---|",
    ]
    for name, runs in by_server.items():
        for r in runs:
            per = r.get("rounds") or []
            for end in r.get("soak", {}).get("rounds", []):
                i = end["round"] - 1
                gen = per[i] if i < len(per) else {}
                lines.append(
                    f"| {name} | {end['round']} | {_mb(end['rssEndMb'])} "
                    f"| {_mb(end['rssAfterPauseMb'])} "
                    f"| {(gen.get('latencyMs') or {}).get('p99')} "
                    f"| {(gen.get('delivery') or {}).get('lost')} |"
                )
            growth = r.get("soak", {}).get("roundsGrowthPct")
            if growth is not None:
                lines.append(f"| {name} | first → last, after the pause | | {growth:+.1f} % | | |")
    return lines


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MB"


def soak_table(by_server: dict[str, list[Json]]) -> list[str]:
    lines = [
        "| server | minutes | RSS at the reference | RSS at the end | growth | p99 ms | lost "
        "| sockets closed | generator ≥ 95 % of a core from |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in by_server.items():
        for r in runs:
            s = r.get("soak", {})
            if "rssEndMb" not in s:
                lines.append(f"| {name} | run failed: {r.get('error')} | | | | | | | |")
                continue
            lines.append(
                f"| {name} | {s['samples'][-1][0] / 60:.0f} | {s['rssReferenceMb']:.0f} MB "
                f"(at {s['referenceS'] / 60:g} min) | {s['rssEndMb']:.0f} MB "
                f"| {s['growthPct']:+.1f} % | {r.get('latencyMs', {}).get('p99')} "
                f"| {r.get('delivery', {}).get('lost')} "
                f"| {r.get('disconnectCount', len(r.get('disconnects') or []))} "
                f"| {_minute(s.get('generatorSaturatedAtS'))} |"
            )
    return lines


def _minute(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds / 60:.1f} min"
