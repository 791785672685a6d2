"""The p99 chart (matplotlib, optional: the `bench` extra)."""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

from scenarios import FANOUT, SERVERS, Json
from stats import measured, medof


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
