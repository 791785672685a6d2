"""How ``charter serve`` sets Python's cyclic garbage collector up.

A live server holds thousands of sockets, and each one waits for its next frame through a
chain of objects (coroutines, a future, the frame parser) made when its last frame arrived
and dropped when the next one does: a second for a typist, 15 s for a reader who only
renews presence. With Python's default thresholds (700, 10, 10) those objects live long
enough to be promoted to the oldest generation, so full collections come every few tens of
seconds and walk the whole heap: at 700 rooms of 10 on one core, collections of 300–540 ms,
and collections of the youngest generation of 10–35 ms (docs/benchmarks.md, "Capacity").

So the server (``CHARTER_GC_THRESHOLDS``, default 20000,1,100) collects young objects every
20,000 allocations instead of 700, promotes survivors at the second collection (two
generations in effect), runs a full collection only after 100 of those, and freezes what
exists once the application has started (modules, tables, settings), which no collection
walks again. Measured at 700 rooms: full collections of 26–40 ms instead of 300–540 ms,
others under 17 ms, p99 of delivery 12 ms instead of 25–51 ms. Reference counting still
frees at once everything that is not in a cycle; only cyclic garbage waits a little longer.

Every collection's pause is kept in ``PAUSES``, which ``/metrics`` shows as
``charter_gc_pause_seconds`` by generation (server/ops/metrics.py).

The interpreter's lock, likewise (``CHARTER_SWITCH_INTERVAL_MS``, default 0.5): a thread
running Python (a compaction folding an article and computing its history, in a worker
thread) keeps the lock for Python's switch interval, 5 ms, while the event loop waits for
it, and a fold takes many such turns: the loop stalled for 5–11 ms at a time, dozens of
times a second while articles were compacted. With 0.5 ms, at 20 rooms of 10 with the
compactions inside the measured window, the p99 of delivery went from 3.6–3.8 ms to
1.6–2.3 ms, for the same CPU (docs/benchmarks.md).
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

from prometheus_client import Histogram

DEFAULT = "20000,1,100"


def parse(raw: str) -> tuple[int, int, int] | None:
    """``"A,B,C"`` as ``gc.set_threshold`` takes it; ``"python"``: Python's own (None)."""
    if raw.strip().lower() == "python":
        return None
    parts = [p.strip() for p in raw.split(",")]
    try:
        numbers = tuple(int(p) for p in parts)
    except ValueError:
        numbers = ()
    if len(numbers) != 3 or numbers[0] < 1 or min(numbers) < 0:
        raise ValueError(
            f"{raw!r}: three whole numbers such as {DEFAULT} (the first at least 1), or python"
        )
    return numbers[0], numbers[1], numbers[2]


# Process-wide (the collector is), registered in each app's metrics registry.
PAUSES = Histogram(
    "charter_gc_pause_seconds",
    "Pauses of Python's garbage collector, by generation (2: a full collection); "
    "charter serve only.",
    ["generation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=None,
)
_started = [0.0]


def _timed(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        PAUSES.labels(str(info["generation"])).observe(time.perf_counter() - _started[0])


def configure(thresholds: tuple[int, int, int] | None) -> None:
    """Apply the thresholds (None: leave Python's) and time every collection from now on."""
    if thresholds is not None:
        gc.set_threshold(*thresholds)
    if _timed not in gc.callbacks:
        gc.callbacks.append(_timed)


def set_switch_interval(milliseconds: float) -> None:
    """How long a thread may keep the interpreter's lock while another waits for it."""
    if not milliseconds > 0:
        raise ValueError(f"{milliseconds!r}: a number of milliseconds above 0, such as 0.5")
    sys.setswitchinterval(milliseconds / 1000)


def freeze_startup() -> None:
    """Collect once, then move every object alive now out of reach of later collections."""
    gc.collect()
    gc.freeze()
