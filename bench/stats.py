"""Medians over the repeated runs of a server, read from the results by dotted path."""

from __future__ import annotations

import statistics
from typing import Any

from scenarios import Json


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
