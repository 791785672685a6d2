"""Versions of a whole charter, and comparing any two (or one with the live text)."""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from server.domain import autoversion
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.databases import scalar, writes_blocked
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    make_token,
    running_server,
    until_server_has,
)

API = f"/api/charters/{DEMO_SLUG}"


def by_id(comparison: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in comparison["articles"]}


async def test_a_version_is_unaffected_by_later_edits_and_compares_word_by_word(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        charter = (await http.get(API)).json()
        article = charter["sections"][0]["articles"][0]
        saved = await http.post(
            f"{API}/versions", json={"label": "Après l’atelier Construire — 27/11"}
        )
        assert saved.status_code == 201
        version = saved.json()
        before = (await http.get(f"{API}/versions/{version['id']}")).json()

        async with PyClient(server.ws_url, article["document"], editor) as client:
            client.text.insert(0, "Désormais, ")
            await until_server_has(
                server.base_url, article["document"], lambda t: t.startswith("Désormais, ")
            )
        after = (await http.get(f"{API}/versions/{version['id']}")).json()
        assert after == before  # immutable

        compared = (await http.get(f"{API}/compare", params={"from": version["id"]})).json()
        changed = by_id(compared)[article["id"]]
        assert changed["status"] == ["changed"]
        assert {"kind": "insert", "text": "Désormais,"} in changed["diff"]
        assert compared["words_added"] == 1 and compared["words_removed"] == 0
        others = [a for key, a in by_id(compared).items() if key != article["id"]]
        assert all(a["status"] == ["unchanged"] for a in others)
        listed = (await http.get(f"{API}/versions")).json()["versions"]
        assert [v["label"] for v in listed] == ["Après l’atelier Construire — 27/11"]


async def test_compare_across_added_removed_moved_and_renamed_articles(
    server: RunningServer, facilitator: str, database_url: str
) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        charter = (await http.get(API)).json()
        first, second, third = charter["sections"]
        v1 = (await http.post(f"{API}/versions", json={"label": "v1"})).json()["id"]
        states = await scalar(database_url, "SELECT COUNT(*) FROM doc_states")
        v_same = (await http.post(f"{API}/versions", json={"label": "même texte"})).json()["id"]
        assert (
            await scalar(database_url, "SELECT COUNT(*) FROM doc_states") == states
        )  # stored once

        removed, moved, renamed = (
            first["articles"][0],
            first["articles"][1],
            second["articles"][0],
        )
        await http.delete(f"{API}/articles/{removed['id']}")
        await http.patch(f"{API}/articles/{moved['id']}", json={"section_id": third["id"]})
        await http.patch(f"{API}/articles/{renamed['id']}", json={"title": "Associer en amont"})
        added = (
            await http.post(
                f"{API}/sections/{second['id']}/articles",
                json={"title": "Nouveau", "markdown": "Un article neuf."},
            )
        ).json()
        v2 = (await http.post(f"{API}/versions", json={"label": "v2"})).json()["id"]

        compared = (await http.get(f"{API}/compare", params={"from": v1, "to": v2})).json()
        status = {key: a["status"] for key, a in by_id(compared).items()}
        assert status[removed["id"]] == ["removed"]
        assert status[moved["id"]] == ["moved"]
        assert status[renamed["id"]] == ["renamed"]
        assert status[added["id"]] == ["added"]
        assert by_id(compared)[renamed["id"]]["previous"]["title"] == renamed["title"]
        unchanged = (await http.get(f"{API}/compare", params={"from": v1, "to": v_same})).json()
        assert all(a["status"] == ["unchanged"] for a in unchanged["articles"])


async def test_versions_refuse_bad_input(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        as_facilitator = {"authorization": f"Bearer {facilitator}"}
        empty = await http.post(f"{API}/versions", json={"label": "  "}, headers=as_facilitator)
        assert empty.status_code == 422 and empty.json()["error"]["field"] == "label"
        long = await http.post(f"{API}/versions", json={"label": "x" * 201}, headers=as_facilitator)
        assert long.status_code == 422
        by_editor = await http.post(
            f"{API}/versions", json={"label": "v"}, headers={"authorization": f"Bearer {editor}"}
        )
        assert by_editor.status_code == 403
        v = (await http.post(f"{API}/versions", json={"label": "v"}, headers=as_facilitator)).json()
        missing = await http.get(f"{API}/versions/999999", headers=as_facilitator)
        assert missing.status_code == 404
        itself = await http.get(
            f"{API}/compare", params={"from": v["id"], "to": v["id"]}, headers=as_facilitator
        )
        assert itself.status_code == 422
        unknown = await http.get(f"{API}/compare", params={"from": "nope"}, headers=as_facilitator)
        assert unknown.status_code == 404


async def test_automatic_versions_only_when_something_changed(database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        seed_demo=True,
        admin_token=ADMIN_TOKEN,
        auto_version_minutes=0.005,  # every 0.3 s
    )
    async with running_server(settings) as server:
        headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:

            async def versions() -> list[dict[str, Any]]:
                listed: list[dict[str, Any]] = (await http.get(f"{API}/versions")).json()[
                    "versions"
                ]
                return listed

            deadline = anyio.current_time() + 15
            while not await versions():  # the schedule saves the first one
                assert anyio.current_time() < deadline, "no automatic version was saved"
                await anyio.sleep(0.05)
            first = (await versions())[0]
            assert first["kind"] == "auto" and first["label"].startswith("Version automatique")
            assert first["created_by"] is None

            # The hook itself: nothing changed since the last version, so nothing is saved...
            services = server.services
            charter = await services.repo.get_charter(DEMO_SLUG)
            assert not await autoversion.changed_since_last_version(services, charter)
            token = await make_token(server, "editor", "Éditrice")
            document = (await http.get(API)).json()["sections"][0]["articles"][0]["document"]
            async with PyClient(server.ws_url, document, token) as client:
                client.text.insert(0, "Ajout. ")
                await until_server_has(server.base_url, document, lambda t: t.startswith("Ajout"))
            # ... until something changes: then the schedule saves one more.
            while len(await versions()) < 2:
                assert anyio.current_time() < deadline + 15, "the change got no version"
                await anyio.sleep(0.05)
            latest = (await versions())[-1]
            assert latest["kind"] == "auto"
            compared = (
                await http.get(f"{API}/compare", params={"from": first["id"], "to": latest["id"]})
            ).json()
            assert compared["words_added"] == 1
            assert not await autoversion.changed_since_last_version(services, charter)


async def test_a_version_saved_before_an_edit_is_committed_still_counts_its_author(
    server: RunningServer, facilitator: str
) -> None:
    """A version holds the live text, which may contain an edit the store has not committed
    yet (a busy disk, a slow CI machine). Saving waits for that commit, so the edit's author
    is counted in the version that contains the edit, not in the next one."""
    xavier = await make_token(server, "editor", "Xavier")
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        name = (await http.get(API)).json()["sections"][0]["articles"][0]["document"]
        a = (await http.post(f"{API}/versions", json={"label": "A"})).json()
        b: dict[str, Any] = {}

        async def save_b() -> None:
            b.update((await http.post(f"{API}/versions", json={"label": "B"})).json())

        async with anyio.create_task_group() as tasks:
            async with writes_blocked(server.settings.database_url):
                async with PyClient(server.ws_url, name, xavier) as client:
                    client.text.insert(0, "Xavier. ")
                    await until_server_has(
                        server.base_url, name, lambda t: t.startswith("Xavier. ")
                    )
                tasks.start_soon(save_b)
                await anyio.sleep(0.3)  # B is asked for while the edit waits for the disk
        a_to_b = (await http.get(f"{API}/compare", params={"from": a["id"], "to": b["id"]})).json()
        assert [p["name"] for p in a_to_b["participants"]] == ["Xavier"]
        since_b = (await http.get(f"{API}/compare", params={"from": b["id"]})).json()
        assert since_b["participants"] == []


async def test_who_took_part_between_two_versions_never_changes_afterwards(
    server: RunningServer, facilitator: str
) -> None:
    """Counted to the minute, an edit made just after version B (in the same minute) and a
    restore right after it showed up in the A→B comparison later on. Bounded by the
    versions' positions in the update log, A→B is fixed once B is saved."""
    xavier = await make_token(server, "editor", "Xavier")
    yasmine = await make_token(server, "editor", "Yasmine")
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article = (await http.get(API)).json()["sections"][0]["articles"][0]
        name = article["document"]
        a = (await http.post(f"{API}/versions", json={"label": "A"})).json()
        async with PyClient(server.ws_url, name, xavier) as client:
            client.text.insert(0, "Xavier. ")
            await until_server_has(server.base_url, name, lambda t: t.startswith("Xavier. "))
        b = (await http.post(f"{API}/versions", json={"label": "B"})).json()
        a_to_b = (await http.get(f"{API}/compare", params={"from": a["id"], "to": b["id"]})).json()
        assert [p["name"] for p in a_to_b["participants"]] == ["Xavier"]

        # Seconds later, within the same minute: Yasmine writes, the facilitator restores A.
        async with PyClient(server.ws_url, name, yasmine) as client:
            client.text.insert(0, "Yasmine. ")
            await until_server_has(server.base_url, name, lambda t: t.startswith("Yasmine. "))
        restored = await http.post(
            f"{API}/articles/{article['id']}/restore", json={"version": a["id"]}
        )
        assert restored.status_code == 200, restored.text
        await server.services.store.flush()

        again = (await http.get(f"{API}/compare", params={"from": a["id"], "to": b["id"]})).json()
        assert again["participants"] == a_to_b["participants"]
        assert by_id(again)[article["id"]]["participants"] == ["Xavier"]
        # Since B, up to the live text: Yasmine (and whoever the restore is written as).
        since = (await http.get(f"{API}/compare", params={"from": b["id"]})).json()
        assert "Yasmine" in [p["name"] for p in since["participants"]]
        assert "Xavier" not in [p["name"] for p in since["participants"]]
        # Backwards (B→A) reads the same interval.
        back = (await http.get(f"{API}/compare", params={"from": b["id"], "to": a["id"]})).json()
        assert back["participants"] == a_to_b["participants"]
