"""What an invocation measures: the scenarios and their parameters, the servers under test
and the protocol each speaks, the targets; the rough duration of an invocation; and the paths
and the JSON type the other modules of bench/ share."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

Json = dict[str, Any]

FANOUT = {
    # name: rooms, clients per room, typists per room, edits/s per typist
    "1x10": {"rooms": 1, "clients": 10, "typists": 5, "rate": 10},
    "1x50": {"rooms": 1, "clients": 50, "typists": 5, "rate": 10},
    "1x200": {"rooms": 1, "clients": 200, "typists": 5, "rate": 10},
    "20x10": {"rooms": 20, "clients": 10, "typists": 2, "rate": 10},
}
CEILING = "ceiling"  # 1 x 50, 5 typists, total edits/s raised step by step
CEILING_SPEC = {"rooms": 1, "clients": 50, "typists": 5, "rate": 10}
CEILING_STEPS = [100, 200, 300, 500, 700, 1000, 1500, 2000, 2500, 3000, 4000, 6000]
CEILING_MAX_P99_MS = 100.0
# Workshops one core holds: rooms of 10 (2 typists at 1 edit/s, everyone's presence), the
# number of rooms raised until p99 > 50 ms or a loss (bench/capacity.py).
CAPACITY = "capacity"
CAPACITY_SPEC = {"clients": 10, "typists": 2, "rate": 1}
CAPACITY_ROOMS = [10, 20, 40, 80, 160, 240, 320, 400, 500, 700, 1000]
CAPACITY_MAX_P99_MS = 50.0
SOAK = "soak"  # 20x10 for --soak-minutes, memory sampled (bench/soak.py); never by default
JOIN = "join20k"
STORM = "storm200"
STORM_CLIENTS = 200
SCENARIOS = [*FANOUT, CEILING, CAPACITY, JOIN, STORM]
KNOWN = [*SCENARIOS, SOAK]
TARGET_P99_MS = 20.0  # issue 2: 1x50, 5 typists at 10 edits/s
TARGET_JOIN_MS = 20.0

OURS = ("ours-ws", "ours-collab")
PEERS = ("y-websocket", "hocuspocus", "pycrdt-websocket")
SERVERS = (*OURS, *PEERS, "null")
PROTOCOL = {
    "ours-ws": "y-websocket",
    "ours-collab": "hocuspocus",
    "y-websocket": "y-websocket",
    "hocuspocus": "hocuspocus",
    "pycrdt-websocket": "y-websocket",
    "null": "y-websocket",
}


def estimate_seconds(args: argparse.Namespace) -> float:
    """A rough duration of the whole invocation (server start-up and set-up included)."""
    fan = [s for s in args.scenarios if s in FANOUT]
    per_fan = 6 + args.warmup + args.duration + 1.5
    total = len(fan) * len(args.servers) * args.repeats * per_fan
    if "1x200" in fan:  # 200 participants to create, 200 sockets to open
        total += len([s for s in args.servers if s in OURS]) * args.repeats * 8
    if CEILING in args.scenarios:
        step = args.ceiling_warmup + args.ceiling_duration + 1.5
        typical_steps = 8
        total += len(args.servers) * args.repeats * (8 + typical_steps * step)
    if CAPACITY in args.scenarios:  # a fresh server per step; set-up grows with the rooms
        step = 8 + args.capacity_warmup + args.capacity_duration + args.drain / 2
        typical = args.capacity_rooms[:6]
        clients = sum(typical) * CAPACITY_SPEC["clients"]
        total += len(args.servers) * args.repeats * len(typical) * step
        total += len([s for s in args.servers if s in OURS]) * args.repeats * clients * 0.01
    if SOAK in args.scenarios:
        total += len(args.servers) * args.repeats * (10 + args.soak_minutes * 60)
    if JOIN in args.scenarios or STORM in args.scenarios:
        history = [s for s in args.servers if s != "null"]
        per_ours = 25 + 2 * args.join_samples * 0.1
        per_peer = 10 + args.inserts / 1000 + 2 * args.join_samples * 0.1
        total += sum(per_ours if s in OURS else per_peer for s in history) * args.repeats
        if any(s in OURS for s in history):
            total += 15 + args.inserts / 2000
    return float(total)
