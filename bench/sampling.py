"""/proc sampling: the CPU seconds of a process and of the whole machine, the memory of a
process, and the wait for a quiet machine before a run. Linux only."""

from __future__ import annotations

import os
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1


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


def peak_mb(pids: list[int]) -> float:
    """Sum of VmHWM over live processes; NaN if one has exited (a crashed server)."""
    try:
        return sum(status_mb(pid, "VmHWM") for pid in pids)
    except (OSError, KeyError):
        return float("nan")


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
