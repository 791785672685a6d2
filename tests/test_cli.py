"""The `charter` command, run as a real process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import anyio

from crdt.article import ArticleDoc, fold
from persistence.docs import DocStore
from persistence.engine import make_engine
from persistence.outline import Outline
from persistence.repo import Repo
from server.domain.demo import DEMO_FILE
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


async def _edit_first_article(url: str, slug: str, prefix: str, title: str) -> str:
    """Stand-in for a workshop between two CLI calls: one edit and one rename, written
    the way the server writes them (no server runs here, so no live room is bypassed)."""
    engine = make_engine(url)
    try:
        charter = await Repo(engine).get_charter(slug)
        article = charter.sections[0].articles[0]
        store = DocStore(engine, fold)
        doc = ArticleDoc.from_updates(await store.load(article.document_id))
        update = doc.edit(lambda body: body.insert(0, prefix))
        async with anyio.create_task_group() as tg:
            tg.start_soon(store.run)
            store.append(article.document_id, update, None)
            await store.flush()
            tg.cancel_scope.cancel()
        await Outline(engine).update_article(charter.id, article.key, title=title)
        return article.key
    finally:
        await engine.dispose()


def test_versions_diff_and_export_of_a_version(database_url: str) -> None:
    url = database_url
    made = charter(
        "init", "--title", "T", "--slug", "t", "--from-markdown", str(DEMO_FILE),
        "--database-url", url,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    first = charter("version", "create", "t", "--label", "Atelier 1", "--database-url", url)
    assert first.returncode == 0, first.stderr
    v1 = first.stdout.split("\t")[0]
    before = charter("export", "t", "--format", "md", "--database-url", url).stdout
    key = asyncio.run(_edit_first_article(url, "t", "Désormais, ", "Données ouvertes"))
    second = charter(
        "version", "create", "t", "--label", "Atelier 2", "--database-url", url, "--json"
    )
    v2 = json.loads(second.stdout)["id"]

    listed = charter("versions", "t", "--database-url", url)
    assert [line.split("\t")[-1] for line in listed.stdout.splitlines()] == [
        "Atelier 1",
        "Atelier 2",
    ]
    as_json = json.loads(charter("versions", "t", "--json", "--database-url", url).stdout)
    assert [v["kind"] for v in as_json["versions"]] == ["manual", "manual"]

    text = charter("diff", "t", v1, "live", "--database-url", url)
    assert text.returncode == 0, text.stderr
    assert "{+Désormais,+}" in text.stdout and "[renamed, changed]" in text.stdout
    data = json.loads(
        charter("diff", "t", v1, str(v2), "--format", "json", "--database-url", url).stdout
    )
    changed = next(a for a in data["articles"] if a["id"] == key)
    assert changed["status"] == ["renamed", "changed"] and data["words_added"] == 1
    page = charter("diff", "t", v1, "live", "--format", "html", "--database-url", url).stdout
    assert page.startswith("<!doctype html>") and "Désormais," in page and "<ins>" in page

    old = charter("export", "t", "--version", v1, "--format", "md", "--database-url", url)
    assert old.returncode == 0, old.stderr
    assert old.stdout.split("---\n", 2)[2] == before.split("---\n", 2)[2]
    html = charter("export", "t", "--version", v1, "--format", "html", "--database-url", url)
    assert '<html lang="fr">' in html.stdout and "Désormais" not in html.stdout
    opened = json.loads(
        charter(
            "export", "t", "--version", str(v2), "--format", "json", "--database-url", url
        ).stdout
    )
    assert opened["version"]["label"] == "Atelier 2"
    assert opened["sections"][0]["articles"][0]["text"].startswith("Désormais, ")


def test_version_commands_refuse_bad_input(database_url: str) -> None:
    url = database_url
    assert charter("init", "--title", "T", "--slug", "t", "--database-url", url).returncode == 0
    empty = charter("version", "create", "t", "--label", " ", "--database-url", url)
    assert empty.returncode == 1 and "--label: label must not be empty" in empty.stderr
    long = charter("version", "create", "t", "--label", "x" * 201, "--database-url", url)
    assert long.returncode == 1 and "longer than 200" in long.stderr
    v = charter("version", "create", "t", "--label", "v", "--database-url", url).stdout.split()[0]
    itself = charter("diff", "t", v, v, "--database-url", url)
    assert itself.returncode == 1 and "same version" in itself.stderr
    unknown = charter("diff", "t", "999", "live", "--database-url", url)
    assert unknown.returncode == 1 and "no version '999'" in unknown.stderr
    missing = charter("export", "t", "--version", "42", "--database-url", url)
    assert missing.returncode == 1 and "--version: no version '42'" in missing.stderr
    bad_format = charter("export", "t", "--format", "pdf", "--database-url", url)
    assert bad_format.returncode == 2 and "invalid choice: 'pdf'" in bad_format.stderr
    absent = charter("versions", "absent", "--database-url", url)
    assert absent.returncode == 1 and "no charter" in absent.stderr
