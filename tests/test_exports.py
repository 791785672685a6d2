"""Exports of any version or of the live text (Markdown, HTML, JSON), the Atom feed of
versions, the charter's open-data licence, and the discussion in open data when the charter
allows it (hidden and deleted comments keep their place, never their text)."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import anyio
import httpx

from crdt.markdown import parse_charter
from crdt.relpos import RelPos
from server.domain.demo import DEMO_SLUG
from tests.support import ROOT, PyClient, RunningServer, make_token, settle

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
        assert opened["discussion"] == {"threads": [], "amendments": []}
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


# -- the discussion in open data ---------------------------------------------------------


@asynccontextmanager
async def api(server: RunningServer, token: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        yield http


def utc(at: str) -> str:
    """A time as the export writes it: UTC with its offset (SQLite gives naive UTC)."""
    parsed = datetime.fromisoformat(at)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()
    return found


SECRETS = ("Propos déplacés", "Propos encore pires", "Je retire ce que j’ai dit")


async def test_open_data_carries_the_discussion_only_when_the_charter_allows_it(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    camille = await make_token(server, "commenter", "Camille")
    dora = await make_token(server, "commenter", "Dora")
    reader = await make_token(server, "reader", "Rémi")
    async with (
        api(server, facilitator) as boss,
        api(server, editor) as ed,
        api(server, camille) as cam,
        api(server, dora) as dor,
        api(server, reader) as rem,
    ):
        charter = ok(await boss.get(API))
        article = ok(
            await boss.post(
                f"{API}/sections/{charter['sections'][0]['id']}/articles",
                json={"title": "Données", "markdown": "La ville publie ses données."},
            ),
            201,
        )
        key = article["id"]
        # A passage typed by a real client, so that its relative positions are known.
        async with PyClient(server.ws_url, article["document"], editor) as client:
            await client.wait_text(lambda t: "publie" in t)
            client.text.insert(0, "Ouvrir tout. ")
            await settle(server, client)
            me = client.doc.client_id
        start, end = RelPos(me, 0, 0).encode(), RelPos(me, 5, -1).encode()
        anchor = {"start": b64(start), "end": b64(end), "quote": "Ouvrir"}

        # A thread: its opening, an edited reply, a reply edited then hidden, a deleted one.
        opened = ok(
            await cam.post(
                f"{API}/articles/{key}/threads",
                json={"body": "Même les budgets ?", "stance": "for", "anchor": anchor},
            ),
            201,
        )
        assert opened["anchor"]["state"] == "attached"
        path = f"{API}/threads/{opened['id']}"
        replies = []
        for who, text, stance in (
            (dor, "Pas d’accord.", "against"),
            (dor, "Propos déplacés", None),
            (cam, "Je retire ce que j’ai dit", None),
        ):
            made = ok(
                await who.post(f"{path}/comments", json={"body": text, "stance": stance}), 201
            )
            replies.append(made["comments"][-1]["id"])
        edited, hidden, deleted = replies
        body = {"body": "Plutôt mitigé.", "stance": "mixed"}
        ok(await dor.patch(f"{API}/comments/{edited}", json=body))
        ok(await dor.patch(f"{API}/comments/{hidden}", json={"body": "Propos encore pires"}))
        ok(await boss.post(f"{API}/comments/{hidden}/hide", json={"reason": "Hors charte"}))
        ok(await cam.delete(f"{API}/comments/{deleted}"))
        thread = ok(await cam.put(f"{path}/status", json={"status": "resolved"}))

        # An amendment with a co-author and votes, rejected with a reason; and a draft.
        made = ok(
            await ed.post(
                f"{API}/articles/{key}/amendments",
                json={"title": "Plus vite", "rationale": "Un mois, c’est trop long."},
            ),
            201,
        )
        cam_id = ok(await cam.get(f"{API}/me"))["participant_id"]
        url = f"{API}/amendments/{made['id']}"
        ok(await ed.post(f"{url}/authors", json={"participant_id": cam_id}))
        for who, choice in ((cam, "for"), (dor, "against"), (ed, "abstain")):
            ok(await who.put(f"{url}/vote", json={"choice": choice}))
        amendment = ok(await boss.post(f"{url}/reject", json={"reason": "Hors sujet"}))
        draft = {"title": "Brouillon", "rationale": "Pas encore prêt.", "open": False}
        ok(await dor.post(f"{API}/articles/{key}/amendments", json=draft), 201)

        # The setting is off (the default): no discussion at all.
        off = ok(await boss.get(f"{API}/export", params={"format": "json"}))
        assert "discussion" not in off and "discussion_as_of" not in off

        settings = {"open_data_discussion": True}
        assert ok(await boss.patch(f"{API}/settings", json=settings))["open_data_discussion"]
        version = ok(await boss.post(f"{API}/versions", json={"label": "Après l’atelier"}), 201)
        before = datetime.now(UTC)
        exported = await rem.get(
            f"{API}/export", params={"format": "json", "version": version["id"]}
        )
        on = ok(exported)
        # A version's export carries today's discussion, and says as of when.
        assert on["version"]["id"] == version["id"]
        assert before <= datetime.fromisoformat(on["discussion_as_of"]) <= datetime.now(UTC)

    comments = thread["comments"]
    assert on["discussion"]["threads"] == [
        {
            "id": opened["id"],
            "article": key,
            "amendment": None,
            "status": "resolved",
            "quote": "Ouvrir",
            "created_at": utc(thread["created_at"]),
            "comments": [
                {
                    "id": c["id"],
                    "author": author,
                    "body": text,
                    "stance": stance,
                    "created_at": utc(c["created_at"]),
                    "edited": was_edited,
                    "deleted": c["id"] == deleted,
                    "hidden": {
                        "by": "Animateur",
                        "at": utc(c["hidden"]["at"]),
                        "reason": "Hors charte",
                    }
                    if c["id"] == hidden
                    else None,
                }
                for c, (author, text, stance, was_edited) in zip(
                    comments,
                    [
                        ("Camille", "Même les budgets ?", "for", False),
                        ("Dora", "Plutôt mitigé.", "mixed", True),
                        ("Dora", None, None, True),
                        ("Camille", None, None, False),
                    ],
                    strict=True,
                )
            ],
        }
    ]
    history = amendment["history"]
    assert [(h["status"], h["by"], h["reason"]) for h in history] == [
        ("open", "Éditrice", None),
        ("rejected", "Animateur", "Hors sujet"),
    ]
    assert on["discussion"]["amendments"] == [
        {
            "id": made["id"],
            "article": key,
            "title": "Plus vite",
            "rationale": "Un mois, c’est trop long.",
            "status": "rejected",
            "author": "Éditrice",
            "authors": ["Éditrice", "Camille"],
            "created_at": utc(amendment["created_at"]),
            "closed_at": utc(history[-1]["at"]),
            "history": [{**h, "at": utc(h["at"])} for h in history],
            "votes": {"for": 1, "against": 1, "abstain": 1},
            # The API's order (by time of vote), without badges.
            "voters": [{"name": v["name"], "choice": v["choice"]} for v in amendment["voters"]],
        }
    ]
    assert sorted(v["name"] for v in amendment["voters"]) == ["Camille", "Dora", "Éditrice"]
    assert {v["name"]: v["choice"] for v in amendment["voters"]} == {
        "Camille": "for",
        "Dora": "against",
        "Éditrice": "abstain",
    }
    # Whoever exports, a hidden or deleted comment's text (or an earlier one) never leaks.
    assert not [s for s in SECRETS if s in exported.text]
    async with api(server, facilitator) as boss:
        live = await boss.get(f"{API}/export", params={"format": "json"})
        page = await boss.get(f"{API}/export", params={"format": "html"})
        md = await boss.get(f"{API}/export", params={"format": "md"})
    assert ok(live)["discussion"] == on["discussion"] and ok(live)["version"] == "live"
    for response in (live, page, md):
        assert not [s for s in SECRETS if s in response.text]
