"""The `charter` command, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from server.demo import DEMO_FILE
from tests.support import ROOT


def charter(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_init_from_markdown_then_export_round_trips(tmp_path: Path, database_url: str) -> None:
    url = database_url
    created = charter(
        "init",
        "--title",
        "Charte d’essai",
        "--slug",
        "essai",
        "--from-markdown",
        str(DEMO_FILE),
        "--database-url",
        url,
        "--json",
    )
    assert created.returncode == 0, created.stderr
    data = json.loads(created.stdout)
    assert data["slug"] == "essai" and data["link"].endswith("/charters/essai")
    assert [s["title"] for s in data["sections"]] == [
        "Transparence",
        "Participation",
        "Coproduction",
    ]

    exported = charter("export", "essai", "--format", "md", "--database-url", url)
    assert exported.returncode == 0, exported.stderr
    body = lambda text: text.split("---\n", 2)[2].strip()  # noqa: E731
    assert body(exported.stdout) == body(DEMO_FILE.read_text(encoding="utf-8"))

    # The export is itself a valid charter file: import it again, export again, same text.
    again = tmp_path / "again.md"
    again.write_text(exported.stdout, encoding="utf-8")
    assert (
        charter(
            "init",
            "--title",
            "Copie",
            "--slug",
            "copie",
            "--from-markdown",
            str(again),
            "--database-url",
            url,
        ).returncode
        == 0
    )
    copy = charter("export", "copie", "--database-url", url)
    assert body(copy.stdout) == body(exported.stdout)


def test_init_refuses_bad_input_with_a_message(tmp_path: Path, database_url: str) -> None:
    url = database_url
    bad_slug = charter("init", "--title", "x", "--slug", "Pas bon", "--database-url", url)
    assert bad_slug.returncode == 1 and "--slug" in bad_slug.stderr
    broken = tmp_path / "broken.md"
    broken.write_text("## Article sans section\n", encoding="utf-8")
    bad_file = charter(
        "init", "--title", "x", "--slug", "x", "--from-markdown", str(broken), "--database-url", url
    )
    assert bad_file.returncode == 1 and "before any '# Section'" in bad_file.stderr
    assert charter("init", "--title", "x", "--slug", "x", "--database-url", url).returncode == 0
    twice = charter("init", "--title", "x", "--slug", "x", "--database-url", url)
    assert twice.returncode == 1 and "already exists" in twice.stderr
    missing = charter("export", "absent", "--database-url", url)
    assert missing.returncode == 1 and "no charter" in missing.stderr


def test_export_json_has_the_live_text(database_url: str) -> None:
    url = database_url
    charter(
        "init",
        "--title",
        "T",
        "--slug",
        "t",
        "--from-markdown",
        str(DEMO_FILE),
        "--database-url",
        url,
    )
    exported = charter("export", "t", "--format", "json", "--database-url", url)
    data = json.loads(exported.stdout)
    first = data["sections"][0]["articles"][0]
    assert first["text"].startswith("La Ville publie ses données publiques")
