"""Workarounds that read a library's internals hold only for the version they were checked
against: that version is pinned exactly, installed, and the internals are still there. An
upgrade fails here first, so that someone checks the workaround again."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.live.wire import UVICORN_CHECKED
from tests.support import ROOT

WEB = ROOT / "web"


def test_uvicorn_is_pinned_to_the_version_the_wire_was_checked_with() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert f"uvicorn=={UVICORN_CHECKED}" in project["project"]["dependencies"]
    assert uvicorn.__version__ == UVICORN_CHECKED
    # http_protocol.py overrides these hooks of uvicorn's h11 protocol
    for hook in ("connection_made", "data_received", "on_response_complete", "connection_lost"):
        assert callable(getattr(H11Protocol, hook, None)), hook


def provider_checked() -> str:
    source = (WEB / "src" / "lib" / "provider-internals.js").read_text("utf-8")
    found = re.search(r"PROVIDER_CHECKED = '([^']+)'", source)
    assert found
    return found[1]


def test_the_provider_is_pinned_to_the_version_its_workaround_was_checked_with() -> None:
    checked = provider_checked()
    package = json.loads((WEB / "package.json").read_text("utf-8"))
    assert package["dependencies"]["@hocuspocus/provider"] == checked
    lock = json.loads((WEB / "package-lock.json").read_text("utf-8"))
    assert lock["packages"]["node_modules/@hocuspocus/provider"]["version"] == checked


def test_the_installed_provider_still_has_the_queue_we_empty() -> None:
    node = shutil.which("node")
    installed = WEB / "node_modules" / "@hocuspocus" / "provider" / "package.json"
    if node is None or not installed.exists():
        pytest.fail("node and web/node_modules are needed: run `make web`")
    assert json.loads(installed.read_text("utf-8"))["version"] == provider_checked()
    script = (
        "import { HocuspocusProviderWebsocket } from '@hocuspocus/provider';"
        "const s = new HocuspocusProviderWebsocket({ url: 'ws://127.0.0.1:9/collab',"
        " autoConnect: false, WebSocketPolyfill: class {} });"
        "console.log(JSON.stringify(Array.isArray(s.messageQueue))); process.exit(0)"
    )
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=30,  # the provider starts timers: the script exits itself
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) is True
