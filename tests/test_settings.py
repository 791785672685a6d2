"""Settings: flag > environment > default, and every setting is documented."""

from __future__ import annotations

import argparse
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
