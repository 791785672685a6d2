"""Exports of any version or of the live text (Markdown, HTML, JSON), the Atom feed of
versions, and the charter's open-data licence."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import anyio
import httpx

from crdt.markdown import parse_charter
from server.demo import DEMO_SLUG
from tests.support import ROOT, PyClient, RunningServer, settle

API = f"/api/charters/{DEMO_SLUG}"
ATOM = "{http://www.w3.org/2005/Atom}"


def body(markdown: str) -> str:
    """A charter file without its front matter."""
    return markdown.split("---\n", 2)[2].strip()


async def test_export_a_version_in_each_format_and_read_the_markdown_back(
    server: RunningServer, facilitator: str, editor: str, tmp_path: Path, database_url: str
) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        charter = (await http.get(API)).json()
        article = charter["sections"][0]["articles"][0]
        version = (await http.post(f"{API}/versions", json={"label": "Atelier « 1 »"})).json()
        at_version = (await http.get(f"{API}/export", params={"format": "md"})).text
        async with PyClient(server.ws_url, article["document"], editor) as client:
            client.text.insert(0, "Texte ajouté après la version. ")
            await settle(server, client)

        md = await http.get(f"{API}/export", params={"format": "md", "version": version["id"]})
        assert md.status_code == 200
        assert md.headers["content-type"] == "text/markdown; charset=utf-8"
        assert md.headers["content-disposition"] == (
            f'attachment; filename="{DEMO_SLUG}-v{version["id"]}.md"'
        )
        assert body(md.text) == body(at_version)  # the version, not today's text
        assert "Texte ajouté après" not in md.text
        assert "licence: CC-BY-SA-4.0" in md.text

        page = await http.get(f"{API}/export", params={"format": "html", "version": version["id"]})
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["content-disposition"].startswith("inline; filename=")
        assert "script-src" not in page.headers["content-security-policy"]
        assert '<html lang="fr">' in page.text and "<script" not in page.text
        assert "Atelier « 1 »" in page.text and "Texte ajouté après" not in page.text
        assert 'href="https://creativecommons.org/licenses/by-sa/4.0/" rel="license"' in page.text
        assert "@media print" in page.text

        data = await http.get(f"{API}/export", params={"format": "json", "version": version["id"]})
        assert data.headers["content-type"] == "application/json; charset=utf-8"
        assert data.headers["content-disposition"].endswith(f'-v{version["id"]}.json"')
        opened = data.json()
        assert opened["charter"]["licence"]["id"] == "CC-BY-SA-4.0"
        assert opened["version"]["id"] == version["id"]
        assert [v["id"] for v in opened["versions"]] == [version["id"]]
        assert [s["title"] for s in opened["sections"]] == [s["title"] for s in charter["sections"]]
        first = opened["sections"][0]["articles"][0]
        assert first["id"] == article["id"] and not first["text"].startswith("Texte ajouté")
        assert "discussion" not in opened  # open_data_discussion is off by default

        live = (await http.get(f"{API}/export", params={"format": "json"})).json()
        assert live["version"] == "live"
        assert live["sections"][0]["articles"][0]["text"].startswith("Texte ajouté après")

    # Round trip: the version's Markdown, imported into a new charter, reads back the same.
    source = tmp_path / "version.md"
    source.write_text(md.text, encoding="utf-8")
    command = [sys.executable, "-m", "server", "init", "--title", "Copie", "--slug", "copie"]
    created = await anyio.run_process(
        [*command, "--from-markdown", str(source), "--database-url", database_url],
        cwd=ROOT,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    admin = {"authorization": "Bearer test-admin-token"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=admin) as http:
        copy = (await http.get("/api/charters/copie/export", params={"format": "md"})).text
    assert body(copy) == body(md.text)
    assert parse_charter(copy).sections[0].articles[0].title == article["title"]


async def test_atom_feed_and_licence_setting(server: RunningServer, facilitator: str) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        settings = f"{API}/settings"
        bad = await http.patch(settings, json={"licence": "WTFPL"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "licence"
        assert "etalab-2.0" in bad.json()["error"]["message"]
        nothing = await http.patch(settings, json={})
        assert nothing.status_code == 422
        changed = await http.patch(
            settings, json={"licence": "etalab-2.0", "open_data_discussion": True}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["licence"] == "etalab-2.0"
        assert changed.json()["open_data_discussion"] is True
        assert changed.json()["public_read"] is False  # untouched

        await http.post(f"{API}/versions", json={"label": "Première"})
        await http.post(f"{API}/versions", json={"label": "Seconde & dernière"})
        feed = await http.get(f"/charters/{DEMO_SLUG}/versions.atom")
        assert feed.status_code == 200
        assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
        root = ET.fromstring(feed.content)
        assert root.tag == f"{ATOM}feed"
        assert "Licence Ouverte" in (root.findtext(f"{ATOM}rights") or "")
        entries = root.findall(f"{ATOM}entry")
        assert [e.findtext(f"{ATOM}title") for e in entries] == ["Seconde & dernière", "Première"]
        assert entries[0].find(f"{ATOM}author/{ATOM}name").text == "Animateur"  # type: ignore[union-attr]
        assert (entries[0].findtext(f"{ATOM}updated") or "").endswith("+00:00")  # RFC 3339
        related = [link.get("href") for link in entries[0].findall(f"{ATOM}link")]
        assert any("/compare?from=" in (href or "") for href in related)

        opened = (await http.get(f"{API}/export", params={"format": "json"})).json()
        assert opened["charter"]["licence"]["id"] == "etalab-2.0"
        assert opened["discussion"] == {"amendments": []}
        page = await http.get(f"/charters/{DEMO_SLUG}/read")
        assert "Licence Ouverte / Open Licence 2.0 (Etalab)" in page.text


async def test_exports_refuse_bad_input(server: RunningServer, facilitator: str) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        unknown = await http.get(f"{API}/export", params={"format": "pdf"})
        assert (
            unknown.status_code == 422 and "md, html or json" in unknown.json()["error"]["message"]
        )
        missing = await http.get(f"{API}/export", params={"format": "md", "version": "424242"})
        assert missing.status_code == 404 and "424242" in missing.json()["error"]["message"]
    async with httpx.AsyncClient(base_url=server.base_url) as anonymous:
        private = await anonymous.get(f"{API}/export", params={"format": "json"})
        assert private.status_code == 401
        feed = await anonymous.get(f"/charters/{DEMO_SLUG}/versions.atom")
        assert feed.status_code == 403 and "<feed" not in feed.text
    assert json.loads(private.text)["error"]["code"] == "unauthorized"
