"""The pages of versions, without JavaScript: timeline, whole-charter comparison, one
article side by side; and who took part between two versions."""

from __future__ import annotations

import httpx

from server.domain.demo import DEMO_SLUG
from tests.support import PyClient, RunningServer, settle

API = f"/api/charters/{DEMO_SLUG}"
PAGES = f"/charters/{DEMO_SLUG}"


async def _two_versions_with_an_edit(
    server: RunningServer, http: httpx.AsyncClient, editor: str
) -> tuple[dict[str, str], int, int]:
    """v1, then the editor rewrites a word of the first article, then v2."""
    article = (await http.get(API)).json()["sections"][0]["articles"][0]
    v1 = (await http.post(f"{API}/versions", json={"label": "Atelier 1"})).json()["id"]
    async with PyClient(server.ws_url, article["document"], editor) as client:
        client.text.insert(0, "Désormais, ")
        await settle(server, client)
    v2 = (await http.post(f"{API}/versions", json={"label": "Atelier 2"})).json()["id"]
    return article, v1, v2


async def test_timeline_and_comparison_pages_read_without_javascript(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article, v1, v2 = await _two_versions_with_an_edit(server, http, editor)

        timeline = await http.get(f"{PAGES}/versions")
        assert timeline.status_code == 200
        assert "script-src" not in timeline.headers["content-security-policy"]
        assert "<script" not in timeline.text
        assert "Atelier 2" in timeline.text and "enregistrée par Animateur" in timeline.text
        assert "1 mot(s) ajouté(s), 0 retiré(s), 1 article(s) modifié(s)" in timeline.text
        assert f"{PAGES}/compare?from={v1}&amp;to={v2}" in timeline.text
        assert 'name="viewport"' in timeline.text and "@media (max-width" in timeline.text

        compared = await http.get(f"{PAGES}/compare", params={"from": v1, "to": "live"})
        assert compared.status_code == 200
        page = compared.text
        assert '<ins><span class="visually-hidden">[ajout\u00a0: </span>Désormais,' in page
        assert '<span class="status">modifié</span>' in page
        assert "Éditrice — " in page  # who took part, overall
        assert f"{PAGES}/compare/{article['id']}?from={v1}&amp;to=live" in page

        english = await http.get(
            f"{PAGES}/compare",
            params={"from": v1, "to": v2},
            headers={"accept-language": "en"},
        )
        assert '<html lang="en">' in english.text and "[inserted: </span>" in english.text
        assert "1 word(s) added" in english.text

        side = await http.get(f"{PAGES}/compare/{article['id']}", params={"from": v2, "to": v1})
        assert side.status_code == 200
        before, after = side.text.split('id="after-title"')
        # From v2 back to v1: the old side marks what goes, the new side no longer has it.
        assert '<del><span class="visually-hidden">[suppression\u00a0: </span>Désormais,' in before
        assert "Désormais" not in after and "<ins>" not in after


async def test_pages_respect_read_permission_and_refuse_bad_input(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        _, v1, _ = await _two_versions_with_an_edit(server, http, editor)
        itself = await http.get(f"{PAGES}/compare", params={"from": v1, "to": v1})
        assert itself.status_code == 422 and "same version" in itself.text
        unknown = await http.get(f"{PAGES}/compare", params={"from": "999999"})
        assert unknown.status_code == 404 and "999999" in unknown.text
        no_from = await http.get(f"{PAGES}/compare")
        assert no_from.status_code == 422 and "from is required" in no_from.text
        no_article = await http.get(f"{PAGES}/compare/absent", params={"from": v1})
        assert no_article.status_code == 404
        async with httpx.AsyncClient(base_url=server.base_url) as anonymous:
            private = await anonymous.get(f"{PAGES}/versions")
            assert private.status_code == 403 and "Atelier" not in private.text
            assert (await anonymous.get("/charters/absent/versions")).status_code == 404
            await http.patch(f"{API}/settings", json={"public_read": True})
            public = await anonymous.get(f"{PAGES}/compare", params={"from": v1})
            assert public.status_code == 200 and "Désormais" in public.text


async def test_participants_between_two_versions_survive_compaction(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article, v1, v2 = await _two_versions_with_an_edit(server, http, editor)
        document_id = next(
            a.document_id
            for _, a in (await server.services.repo.get_charter(DEMO_SLUG)).articles()
            if a.key == article["id"]
        )
        assert await server.services.store.compact(document_id) > 0  # the log is folded

        compared = (await http.get(f"{API}/compare", params={"from": v1, "to": v2})).json()
        assert [p["name"] for p in compared["participants"]] == ["Éditrice"]
        assert compared["participants"][0]["edits"] >= 1
        by_key = {a["id"]: a for a in compared["articles"]}
        assert by_key[article["id"]]["participants"] == ["Éditrice"]
        assert all(a["participants"] == [] for k, a in by_key.items() if k != article["id"])
        live = (await http.get(f"{API}/compare", params={"from": v1, "to": "live"})).json()
        assert [p["name"] for p in live["participants"]] == ["Éditrice"]
