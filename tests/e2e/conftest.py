"""Browser tests: Python Playwright driving Debian's Chromium (no browser download).

- Chromium comes from Debian (`/usr/bin/chromium`, or `CHARTER_CHROMIUM`); pytest-playwright's
  fixtures are pointed at it through `browser_type_launch_args`.
- The app must be built (`make web`, which `make test` runs).
- When either is missing the tests are skipped with the reason, except on CI (`CI=true`)
  where they fail: CI installs Chromium itself (.ci/run). The tests of the page shells
  over plain HTTP need only the build.
- One real server (uvicorn on port 0, SQLite in a temporary directory) serves the whole e2e
  session. It runs in its own thread and event loop, because the Playwright sync API drives
  the browser from the test thread. Each test creates its own charter, so tests do not
  depend on each other.
- The e2e tests run after the rest of the suite (their browser lives until the session ends).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.settings import Settings
from tests.e2e.live import LiveServer
from tests.support import ADMIN_TOKEN, ROOT, running_server

CHROMIUM = os.environ.get("CHARTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
MANIFEST = ROOT / "web" / "dist" / "manifest.json"
ARTIFACTS = ROOT / "test-artifacts"
E2E_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser tests (Playwright + Debian Chromium)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last, each marked ``e2e`` (``-m "not e2e"`` leaves them out)."""
    e2e = [item for item in items if E2E_DIR in Path(str(item.path)).parents]
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    others = [item for item in items if item not in e2e]
    items[:] = others + e2e


def missing_chromium() -> str | None:
    chromium = CHROMIUM if os.path.isabs(CHROMIUM) else shutil.which(CHROMIUM)
    if not chromium or not os.access(chromium, os.X_OK):
        return (
            f"Chromium not found at {CHROMIUM}: install Debian's with `apt-get install "
            "--no-install-recommends chromium fonts-liberation` (or set CHARTER_CHROMIUM)"
        )
    return None


def missing_build() -> str | None:
    return None if MANIFEST.is_file() else "the web app is not built: run `make web`"


def _require(problem: str | None) -> None:
    if problem is None:
        return
    if ON_CI:
        pytest.fail(f"{problem}; CI needs it for the browser tests", pytrace=False)
    pytest.skip(f"browser tests skipped: {problem}")


@pytest.fixture(scope="session")
def _built() -> None:
    _require(missing_build())


@pytest.fixture(scope="session")
def _chromium() -> None:
    _require(missing_chromium())


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], _chromium: None
) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, _built: None) -> Iterator[LiveServer]:
    database = tmp_path_factory.mktemp("e2e") / "charter.db"
    settings = Settings(database_url=f"sqlite:///{database}", admin_token=ADMIN_TOKEN)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="e2e-server", daemon=True)
    thread.start()
    context = running_server(settings)
    running = asyncio.run_coroutine_threadsafe(context.__aenter__(), loop).result(60)
    try:
        yield LiveServer(running, loop)
    finally:
        asyncio.run_coroutine_threadsafe(context.__aexit__(None, None, None), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots land here (gitignored), for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
