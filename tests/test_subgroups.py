"""Sub-groups over the real server, on both databases: a facilitator makes coloured groups
of participants for an article, each with a draft (a fork) that only its members write
live; the projector's board shows the drafts side by side; merging puts every draft into
the live article as one step (an overlap refused without a choice), marks the groups merged
and shows whose words are whose."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from server.live.keys import RoomKey
from tests.databases import scalar
from tests.support import PyClient, RunningServer, make_token, until_server_has
from tests.test_amendments import (
    API,
    api,
    edit_fork,
    new_article,
    replace,
    scalar_document,
)

TEXT = (
    "La ville publie ses données. "
    "Chaque habitant peut proposer une idée. "
    "Les élus répondent sous un mois."
)


async def me(server: RunningServer, token: str) -> int:
    async with api(server, token) as http:
        found: int = (await http.get(f"{API}/me")).json()["participant_id"]
    return found


async def groups_of(
    boss: httpx.AsyncClient, article: dict[str, Any], *members: list[int]
) -> list[dict[str, Any]]:
    made = []
    for (name, colour), ids in zip(
        (("Mobilité", "blue"), ("Écologie 🌱", "orange")), members, strict=False
    ):
        done = await boss.post(
            f"{API}/articles/{article['id']}/subgroups",
            json={"name": name, "colour": colour, "members": ids},
        )
        assert done.status_code == 201, done.text
        made.append(done.json())
    return made


async def test_groups_are_made_of_participants_and_only_members_write_their_draft(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    ana, bob = [await make_token(server, "commenter", n) for n in ("Ana", "Bob")]
    ana_id, bob_id = await me(server, ana), await me(server, bob)
    async with api(server, facilitator) as boss:
        article = await new_article(boss, TEXT)
        url = f"{API}/articles/{article['id']}/subgroups"
        a, b = await groups_of(boss, article, [ana_id], [bob_id])
        assert (a["letter"], a["colour"], a["hex"]) == ("A", "blue", "#0b5cad")
        assert (b["letter"], b["name"]) == ("B", "Écologie 🌱")
        assert [m["name"] for m in a["members"]] == ["Ana"]
        # refused: an editor, a colour outside the palette, someone of no charter
        async with api(server, editor) as ed:
            assert (await ed.post(url, json={"name": "X", "colour": "blue"})).status_code == 403
            listed = (await ed.get(url)).json()
        assert [g["letter"] for g in listed["groups"]] == ["A", "B"]
        assert len(listed["palette"]) == 6
        bad = await boss.post(url, json={"name": "X", "colour": "pink", "members": []})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "colour"
        bad = await boss.post(url, json={"name": "X", "colour": "red", "members": [999999]})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "members"

        # Ana writes group A's draft live; Bob, of group B, may not
        await edit_fork(
            server,
            ana,
            {"id": a["amendment"], "document": a["document"]},
            "un mois",
            "quinze jours",
        )
        async with PyClient(server.ws_url, a["document"], bob) as stranger:
            await stranger.wait_text(lambda t: "quinze jours" in t)
            replace(stranger, "ses données", "PAS NOUS")
            await asyncio.wait_for(stranger.closed.wait(), 10)
            assert stranger.close_code == 4403
        # Bob joins group A: now he may; Ana leaves it: now she may not
        moved = await boss.patch(
            f"{API}/subgroups/{a['id']}", json={"members": [bob_id], "name": "Mobilités"}
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["name"] == "Mobilités"
        renamed = (await boss.get(f"{API}/amendments/{a['amendment']}")).json()
        assert (renamed["title"], renamed["group"]["name"]) == ("Mobilités", "Mobilités")
        draft = {"id": a["amendment"], "document": a["document"]}
        await edit_fork(server, bob, draft, "ses données", "ses données ouvertes")
        async with PyClient(server.ws_url, a["document"], ana) as left:
            await left.wait_text(lambda t: "ouvertes" in t)
            replace(left, "quinze jours", "huit jours")
            await asyncio.wait_for(left.closed.wait(), 10)
            assert left.close_code == 4403
        room = server.services.registry.get_loaded(
            RoomKey.document(await scalar_document(server, a["amendment"]))
        )
        assert room is not None and "PAS NOUS" not in room.doc.text()
        assert "huit" not in room.doc.text()

        # a group's draft is not supported, withdrawn or decided on its own
        draft_url = f"{API}/amendments/{a['amendment']}"
        async with api(server, bob) as him:
            assert (await him.put(f"{draft_url}/vote", json={"choice": "for"})).status_code == 409
            assert (await him.post(f"{draft_url}/withdraw", json={})).status_code == 409
        assert (await boss.post(f"{draft_url}/accept", json={})).status_code == 409
        shown = (await boss.get(draft_url)).json()
        assert shown["status"] == "open" and shown["group"]["letter"] == "A"
        listed_all = (await boss.get(f"{API}/amendments", params={"article": article["id"]})).json()
        assert [x["group"]["letter"] for x in listed_all["amendments"]] == ["A", "B"]
        # closing B withdraws its draft; a closed group no longer changes
        closed = await boss.post(f"{API}/subgroups/{b['id']}/close", json={})
        assert closed.json()["status"] == "closed"
        again = await boss.patch(f"{API}/subgroups/{b['id']}", json={"name": "Encore"})
        assert again.status_code == 409
        async with api(server, editor) as ed:
            assert (await ed.post(f"{API}/subgroups/{a['id']}/close", json={})).status_code == 403


async def test_the_drafts_side_by_side_then_merged_as_one_step(
    server: RunningServer, facilitator: str, editor: str, database_url: str
) -> None:
    ana, bob = [await make_token(server, "commenter", n) for n in ("Ana", "Bob")]
    async with api(server, facilitator) as boss:
        article = await new_article(boss, TEXT)
        a, b = await groups_of(boss, article, [await me(server, ana)], [await me(server, bob)])
        draft = lambda g: {"id": g["amendment"], "document": g["document"]}  # noqa: E731
        await edit_fork(server, ana, draft(a), "un mois", "quinze jours")
        await edit_fork(server, ana, draft(a), "une idée", "une initiative")
        await edit_fork(server, bob, draft(b), "ses données", "ses données ouvertes 🌱")
        await edit_fork(server, bob, draft(b), "une idée", "un projet")

        base = f"{API}/articles/{article['id']}/subgroups"
        seen = (await boss.get(f"{base}/board")).json()
        assert seen["stage"] == "drafting"
        assert [g["letter"] for g in seen["groups"]] == ["A", "B"]
        added = lambda g: " ".join(h["text"] for h in g["hunks"] if h["kind"] == "insert")  # noqa: E731
        assert "quinze" in added(seen["groups"][0]) and "ouvertes 🌱" in added(seen["groups"][1])
        [overlap] = seen["overlaps"]
        assert overlap["base"] == "une idée"
        assert [(v["letter"], v["text"]) for v in overlap["versions"]] == [
            ("A", "une initiative"),
            ("B", "un projet"),
        ]

        versions = await scalar(database_url, "SELECT count(*) FROM versions")
        async with PyClient(server.ws_url, article["document"], editor) as live:
            await live.wait_text(lambda t: "Chaque" in t)
            replace(live, "Les élus", "Les élues et les élus")  # edited live meanwhile
            replace(live, "un mois", "deux mois")  # the words group A rewrote, live
            await until_server_has(server.base_url, article["document"], lambda t: "deux" in t)
            seen = (await boss.get(f"{base}/board")).json()
            assert [(v["letter"], v["text"]) for v in seen["overlaps"][1]["versions"]] == [
                ("A", "quinze jours"),
                (None, "deux mois"),
            ]
            refused = await boss.post(f"{base}/merge", json={})
            assert refused.status_code == 409
            assert await scalar(database_url, "SELECT count(*) FROM versions") == versions
            async with api(server, editor) as ed:
                assert (await ed.post(f"{base}/merge", json={})).status_code == 403
            chosen = [
                {"choose": "text", "text": "une initiative ou un projet"},
                {"choose": "amendment", "amendment": a["amendment"]},
            ]
            done = await boss.post(f"{base}/merge", json={"resolutions": chosen})
            assert done.status_code == 200, done.text
            final = (
                "La ville publie ses données ouvertes 🌱. "
                "Chaque habitant peut proposer une initiative ou un projet. "
                "Les élues et les élus répondent sous quinze jours."
            )
            await live.wait_text(lambda t: t.strip() == final)
        assert [g["status"] for g in done.json()["groups"]] == ["merged", "merged"]
        assert await scalar(database_url, "SELECT count(*) FROM versions") == versions + 2
        statuses = await scalar(
            database_url,
            "SELECT count(*) FROM amendments"
            " WHERE status = 'accepted' AND version_after_id IS NOT NULL",
        )
        assert statuses == 2
        # the merged text, each group's words marked with its letter
        shown = (await boss.get(f"{base}/board")).json()
        assert shown["stage"] == "merged"
        marked = {s["text"].strip(): s["group"] for s in shown["segments"] if s["group"]}
        assert marked.get("ouvertes 🌱") == "B"
        assert marked.get("quinze jours") == "A"
        assert "".join(s["text"] for s in shown["segments"]).strip() == final
        # a second merge changes nothing
        assert (await boss.post(f"{base}/merge", json={"resolutions": chosen})).status_code == 409
        assert await scalar(database_url, "SELECT count(*) FROM versions") == versions + 2
