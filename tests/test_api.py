"""The JSON API: charters, sections, articles and their text."""

from __future__ import annotations

import httpx

from crdt.markdown import parse_charter
from server.domain.demo import DEMO_SLUG
from tests.support import ADMIN_TOKEN, PyClient, RunningServer


def as_(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_charter_lists_sections_and_articles_in_order(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=as_(ADMIN_TOKEN)) as http:
        listed = (await http.get("/api/charters")).json()["charters"]
        assert [c["slug"] for c in listed] == [DEMO_SLUG]
        charter = (await http.get(f"/api/charters/{DEMO_SLUG}")).json()
    assert [s["title"] for s in charter["sections"]] == [
        "Transparence",
        "Participation",
        "Coproduction",
    ]
    for section in charter["sections"]:
        assert [a["position"] for a in section["articles"]] == list(range(len(section["articles"])))
        for article in section["articles"]:
            assert article["document"] == f"charters/{DEMO_SLUG}/articles/{article['id']}"


async def test_create_charter_section_and_article_then_edit_it_live(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=as_(ADMIN_TOKEN)) as http:
        created = await http.post(
            "/api/charters", json={"slug": "quartier-nord", "title": "Charte du quartier Nord"}
        )
        assert created.status_code == 201 and created.json()["language"] == "fr"
        link = created.json()["facilitator_invite"]["link"]
        joined = await http.post(
            link.removeprefix(server.base_url), json={"name": "Animatrice"}, headers={}
        )
        assert joined.status_code == 201 and joined.json()["role"] == "facilitator"
        http.headers.update(as_(joined.json()["token"]))
        section = await http.post("/api/charters/quartier-nord/sections", json={"title": "Écoute"})
        assert section.status_code == 201
        article = await http.post(
            f"/api/charters/quartier-nord/sections/{section.json()['id']}/articles",
            json={"title": "Réunions ouvertes", "markdown": "Chaque **mois**, une réunion 😀."},
        )
        assert article.status_code == 201
        key, document = article.json()["id"], article.json()["document"]
        got = (await http.get(f"/api/charters/quartier-nord/articles/{key}")).json()
        assert got["text"] == "Chaque mois, une réunion 😀.\n"
        assert got["markdown"] == "Chaque **mois**, une réunion 😀.\n"
        async with PyClient(server.ws_url, document, joined.json()["token"]) as client:
            client.append("Ajout en direct.")
            await client.wait_text(lambda t: t.endswith("Ajout en direct."))
            plain = ""
            for _ in range(200):
                response = await http.get(
                    f"/api/charters/quartier-nord/articles/{key}", params={"format": "text"}
                )
                plain = response.text
                if plain.endswith("Ajout en direct."):
                    break
            assert plain == client.value()
        markdown = await http.get(
            f"/api/charters/quartier-nord/articles/{key}", params={"format": "md"}
        )
        assert markdown.headers["content-type"].startswith("text/markdown")


async def test_errors_are_json_with_a_code_and_the_field(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=as_(ADMIN_TOKEN)) as http:
        bad_slug = await http.post("/api/charters", json={"slug": "Pas Bon!", "title": "x"})
        assert bad_slug.status_code == 422
        assert bad_slug.json()["error"] == {
            "code": "invalid",
            "message": "slug must be lowercase letters, digits and dashes",
            "field": "slug",
        }
        no_title = await http.post("/api/charters", json={"slug": "ok"})
        assert no_title.status_code == 422 and no_title.json()["error"]["field"] == "title"
        not_json = await http.post("/api/charters", content=b"{nope")
        assert not_json.status_code == 422 and not_json.json()["error"]["code"] == "invalid"
        duplicate = await http.post("/api/charters", json={"slug": DEMO_SLUG, "title": "x"})
        assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "conflict"
        missing = await http.get("/api/charters/nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        no_article = await http.get(f"/api/charters/{DEMO_SLUG}/articles/zzzz")
        assert no_article.status_code == 404
        no_section = await http.post(
            f"/api/charters/{DEMO_SLUG}/sections/999999/articles", json={"title": "x"}
        )
        assert no_section.status_code == 404
        bad_format = await http.get(f"/api/charters/{DEMO_SLUG}/export", params={"format": "pdf"})
        assert bad_format.status_code == 422 and bad_format.json()["error"]["field"] == "format"


async def test_export_markdown_reads_back_as_the_same_charter(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=as_(ADMIN_TOKEN)) as http:
        exported = (await http.get(f"/api/charters/{DEMO_SLUG}/export")).text
        charter = (await http.get(f"/api/charters/{DEMO_SLUG}")).json()
    source = parse_charter(exported)
    assert source.title == charter["title"]
    assert [s.title for s in source.sections] == [s["title"] for s in charter["sections"]]
    assert [[a.title for a in s.articles] for s in source.sections] == [
        [a["title"] for a in s["articles"]] for s in charter["sections"]
    ]


async def test_reading_page_escapes_and_renders(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=as_(ADMIN_TOKEN)) as http:
        await http.post("/api/charters", json={"slug": "xss", "title": "<script>alert(1)</script>"})
        page = await http.get("/charters/xss/read")
        demo = await http.get(f"/charters/{DEMO_SLUG}/read")
        missing = await http.get("/charters/absent/read")
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert demo.status_code == 200 and "<strong>formats ouverts</strong>" in demo.text
    assert missing.status_code == 404


async def test_server_rendered_pages_forbid_scripts(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, headers=as_(ADMIN_TOKEN)) as http:
        for path in ("/", f"/charters/{DEMO_SLUG}/read", "/join/1.nope"):
            response = await http.get(path)
            policy = response.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "script-src" not in policy
            assert "<script" not in response.text


async def test_an_app_shell_speaks_the_visitors_language(server: RunningServer) -> None:
    """The editor's shell (before its script runs, or without it) in French and English."""
    async with httpx.AsyncClient(base_url=server.base_url, headers=as_(ADMIN_TOKEN)) as http:
        charter = (await http.get(f"/api/charters/{DEMO_SLUG}")).json()
        path = "/" + charter["sections"][0]["articles"][0]["document"]
        fr = await http.get(path, headers={"accept-language": "fr-FR"})
        en = await http.get(path, headers={"accept-language": "en-GB,en;q=0.9"})
    assert fr.status_code == en.status_code == 200
    assert "Chargement…" in fr.text and "Lire la charte sans JavaScript" in fr.text
    assert "Loading…" in en.text and "Read the charter without JavaScript" in en.text
