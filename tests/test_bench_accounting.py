"""The benchmark's own accounting: what the load generator reports as lost, duplicated or
reordered is what happened on the wire. The null relay breaks delivery on purpose
(``bench/nullserver.mjs --faults``) and says what it did; the generator must count exactly
that, with bookkeeping that does not keep every marker of the run."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
NODE = shutil.which("node")

if NODE is None or not (BENCH / "node_modules" / "yjs").is_dir():
    pytest.fail(
        "the benchmark's accounting tests need Node and bench/node_modules: run `make js-deps`",
        pytrace=False,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def fan_out_through_null_relay(
    faults: int | None, drain: float
) -> tuple[dict[str, Any], dict[str, int]]:
    """Two rooms of five clients, two typists each at 20 edits/s for 2.5 s; the generator's
    result and the relay's account of the faults it made. ``drain``: how long the generator
    waits for the last copies (it stops waiting once every copy owed has arrived)."""
    assert NODE is not None
    command = [NODE, str(BENCH / "nullserver.mjs"), "--port", "0"]
    if faults is not None:
        command += ["--faults", str(faults)]
    relay = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert relay.stdout is not None
        found = re.search(r"\(port (\d+)\)", relay.stdout.readline())
        assert found, "the null relay did not say its port"
        url = f"ws://127.0.0.1:{found.group(1)}/ws/{{room}}"
        load = {"rooms": "a,b", "clients": 5, "typists": 2, "rate": 20, "warmup": 0.5}
        load |= {"duration": 2, "drain": drain, "url-template": url}
        flags = [part for key, value in load.items() for part in (f"--{key}", str(value))]
        generator = subprocess.run(
            [NODE, str(BENCH / "loadgen.mjs"), "fanout", *flags],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        relay.send_signal(signal.SIGTERM)
        out, _ = relay.communicate(timeout=10)
    results = [e for e in json_lines(generator.stdout) if e.get("event") == "result"]
    assert results, generator.stderr
    told = [e["faults"] for e in json_lines(out) if "faults" in e]
    return results[0], (told[0] if told else {})


def test_a_clean_relay_is_reported_clean() -> None:
    result, _ = fan_out_through_null_relay(None, drain=20)
    d = result["delivery"]
    assert d["sent"] >= 150  # 4 typists × 20 edits/s × 2.5 s, give or take the timers
    assert d["expected"] == d["sent"] * 4  # every other client of the room, all open
    assert (d["delivered"], d["lost"], d["duplicated"], d["outOfOrder"]) == (d["expected"], 0, 0, 0)
    assert d["markersIncomplete"] == 0 and d["unknown"] == 0
    assert result["ok"] is True and result["converged"] is True
    assert result["bookkeeping"] == {"markersKept": 0, "gapsKept": 0}


def test_every_copy_lost_duplicated_or_reordered_is_counted_exactly() -> None:
    # Copies dropped never arrive: the generator waits the whole drain, long enough for the
    # others on a busy machine (nothing is in flight for long through a local relay).
    result, faults = fan_out_through_null_relay(7, drain=4)
    d = result["delivery"]
    assert faults["duplicated"] > 10 and faults["dropped"] > 10 and faults["swapped"] > 10
    assert d["duplicated"] == faults["duplicated"]
    assert d["outOfOrder"] == faults["swapped"]
    assert d["lost"] == faults["dropped"] + faults["heldAtEnd"]
    assert d["delivered"] == d["expected"] - d["lost"]
    assert 0 < d["markersIncomplete"] <= d["lost"]
    # what the generator still holds: the incomplete markers, and a gap per copy lost before
    # the last one received from its typist (those after it leave none)
    kept = result["bookkeeping"]
    assert kept["markersKept"] == d["markersIncomplete"]
    assert 0 < kept["gapsKept"] <= d["lost"]
    assert result["ok"] is False
