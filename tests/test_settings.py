"""Settings: flag > environment > default, and every setting is documented."""

from __future__ import annotations

import argparse
import os
from dataclasses import fields

import pytest

from server import settings as settings_mod
from server.settings import Settings, env_name, flag_name
from tests.support import ROOT


def test_flag_beats_environment_beats_default() -> None:
    parser = argparse.ArgumentParser()
    settings_mod.add_arguments(parser)
    env = {"CHARTER_PORT": "9000", "CHARTER_HOST": "0.0.0.0", "CHARTER_SEED_DEMO": "yes"}
    loaded = settings_mod.load(parser.parse_args(["--port", "9100"]), env)
    assert loaded.port == 9100 and loaded.host == "0.0.0.0" and loaded.seed_demo is True
    assert settings_mod.load(parser.parse_args([]), {}) == Settings()
    with pytest.raises(SystemExit, match="CHARTER_PORT"):
        settings_mod.load(None, {"CHARTER_PORT": "eighty"})


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for f in fields(Settings):
        assert env_name(f.name) in readme, f"{env_name(f.name)} is missing from README.md"
        assert flag_name(f.name) in readme, f"{flag_name(f.name)} is missing from README.md"


def test_gc_thresholds_are_three_numbers_or_python() -> None:
    from server.ops import collector

    assert collector.parse(Settings().gc_thresholds) == (20000, 1, 100)
    assert collector.parse(" 700, 10 ,10") == (700, 10, 10)
    assert collector.parse("Python") is None
    for bad in ("", "1,2", "a,b,c", "0,1,1", "5,-1,1", "1,2,3,4"):
        with pytest.raises(ValueError, match="three whole numbers"):
            collector.parse(bad)


def test_configure_sets_the_thresholds_and_python_leaves_them() -> None:
    import gc

    from server.ops import collector

    before = gc.get_threshold()
    try:
        collector.configure((12345, 2, 50))
        assert gc.get_threshold() == (12345, 2, 50)
        collector.configure(None)
        assert gc.get_threshold() == (12345, 2, 50)
    finally:
        gc.set_threshold(*before)


def refused_serve(name: str, value: str) -> str:
    """What ``charter serve`` prints when it refuses to start with ``name=value``."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--port", "0", "--database-url", "sqlite://"],
        cwd=ROOT,
        env={**os.environ, name: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    return done.stderr


def test_serve_refuses_bad_gc_thresholds_with_the_setting_named() -> None:
    said = refused_serve("CHARTER_GC_THRESHOLDS", "lots")
    assert "CHARTER_GC_THRESHOLDS" in said and "three whole numbers" in said


def test_the_switch_interval_is_set_in_milliseconds_and_must_be_positive() -> None:
    import sys

    from server.ops import collector

    before = sys.getswitchinterval()
    try:
        collector.set_switch_interval(Settings().switch_interval_ms)
        assert sys.getswitchinterval() == pytest.approx(0.0005)
        for bad in (0.0, -1.0, float("nan")):
            with pytest.raises(ValueError, match="above 0"):
                collector.set_switch_interval(bad)
    finally:
        sys.setswitchinterval(before)


def test_serve_refuses_a_switch_interval_of_zero_with_the_setting_named() -> None:
    said = refused_serve("CHARTER_SWITCH_INTERVAL_MS", "0")
    assert "CHARTER_SWITCH_INTERVAL_MS" in said and "above 0" in said
