"""Following over the real server, on both databases: what a participant wrote in,
commented on or voted on is followed without asking; the charter, a section, an article or
an amendment can be followed, and a default muted; mail preferences; only participants
follow anything."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from server.domain.demo import DEMO_SLUG
from tests.support import ADMIN_TOKEN, PyClient, RunningServer, make_token, until_server_has
from tests.test_amendments import api, new_article, propose, replace

API = f"/api/charters/{DEMO_SLUG}"


async def follows(http: httpx.AsyncClient) -> dict[str, Any]:
    found = await http.get(f"{API}/me/follows")
    assert found.status_code == 200, found.text
    result: dict[str, Any] = found.json()
    return result


def why(found: dict[str, Any]) -> dict[str, str]:
    return {a["id"]: a["why"] for a in found["articles"]}


async def test_writing_commenting_and_voting_follow_by_default(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    voter = await make_token(server, "commenter", "Awa")
    commenter = await make_token(server, "commenter", "Bruno")
    async with (
        api(server, facilitator) as boss,
        api(server, editor) as ed,
        api(server, voter) as awa,
        api(server, commenter) as bruno,
    ):
        written, discussed, amended, voted = [await new_article(boss) for _ in range(4)]
        assert why(await follows(ed)) == {} and why(await follows(awa)) == {}

        async with PyClient(server.ws_url, written["document"], editor) as live:
            await live.wait_text(lambda t: "sous un mois" in t)
            replace(live, "sous un mois", "sous quinze jours")
            await until_server_has(server.base_url, written["document"], lambda t: "quinze" in t)
        started = await bruno.post(
            f"{API}/articles/{discussed['id']}/threads", json={"body": "Oui"}
        )
        assert started.status_code == 201, started.text
        amendment = await propose(boss, amended)
        cast = await awa.put(f"{API}/amendments/{amendment['id']}/vote", json={"choice": "for"})
        assert cast.status_code == 200, cast.text
        body = {"subject": {"kind": "article", "article": voted["id"]}, "scale": "simple"}
        vote = (await boss.post(f"{API}/votes", json=body)).json()
        ballot = await awa.put(f"{API}/votes/{vote['id']}/ballot", json={"choice": "for"})
        assert ballot.status_code == 200, ballot.text

        found: dict[str, str] = {}
        for _ in range(100):  # the authors of an edit are stored with it, shortly after
            found = why(await follows(ed))
            if found:
                break
            await asyncio.sleep(0.1)
        assert found == {written["id"]: "default"}
        assert why(await follows(bruno)) == {discussed["id"]: "default"}
        mine = await follows(awa)
        assert why(mine) == {amended["id"]: "default", voted["id"]: "default"}
        assert mine["amendments"] == [{"id": amendment["id"], "why": "default"}]
        assert (await follows(boss))["amendments"] == [{"id": amendment["id"], "why": "default"}]


async def test_explicit_follows_mutes_and_wider_follows(
    server: RunningServer, facilitator: str
) -> None:
    citizen = await make_token(server, "commenter", "Chloé")
    async with api(server, facilitator) as boss, api(server, citizen) as her:
        first, second = await new_article(boss), await new_article(boss)
        charter = (await boss.get(API)).json()
        section = charter["sections"][0]["id"]
        every = [a["id"] for s in charter["sections"] for a in s["articles"]]

        async def put(**body: Any) -> dict[str, Any]:
            done = await her.put(f"{API}/me/follows", json=body)
            assert done.status_code == 200, done.text
            result: dict[str, Any] = done.json()
            return result

        after = await put(kind="article", id=first["id"], follow=True)
        assert why(after) == {first["id"]: "explicit"}
        after = await put(kind="charter", follow=True)
        assert after["charter"] is True
        assert why(after) == {k: "explicit" if k == first["id"] else "charter" for k in every}
        after = await put(kind="article", id=second["id"], follow=False)  # muted
        assert second["id"] not in why(after)
        assert {"kind": "article", "id": second["id"]} in after["muted"]
        after = await put(kind="charter", follow=False)
        assert why(after) == {first["id"]: "explicit"} and after["charter"] is False
        after = await put(kind="section", id=section, follow=True)
        assert why(after)[first["id"]] == "explicit" and second["id"] not in why(after)
        after = await put(kind="article", id=second["id"], follow=True)
        assert why(after)[second["id"]] == "explicit" and after["muted"] == []

        # A default muted, then followed again.
        thread = await her.post(f"{API}/articles/{first['id']}/threads", json={"body": "Bien"})
        assert thread.status_code == 201
        await put(kind="article", id=first["id"], follow=False)
        assert first["id"] not in why(await follows(her))
        await put(kind="article", id=first["id"], follow=True)
        assert why(await follows(her))[first["id"]] == "explicit"

        bad = [
            ({"kind": "planet", "follow": True}, 422),
            ({"kind": "article", "id": "nope", "follow": True}, 404),
            ({"kind": "amendment", "id": 10**9, "follow": True}, 404),
            ({"kind": "article", "id": first["id"], "follow": "yes"}, 422),
        ]
        for body, status in bad:
            assert (await her.put(f"{API}/me/follows", json=body)).status_code == status, body


async def test_mail_preferences_and_who_may_follow(server: RunningServer) -> None:
    reader = await make_token(server, "reader", "Dan")
    async with api(server, reader) as him:
        assert (await follows(him))["preferences"] == {
            "frequency": "none",
            "instant_replies": False,
            "last_digest_at": None,
        }
        url = f"{API}/me/mail-preferences"
        done = await him.put(url, json={"frequency": "weekly", "instant_replies": True})
        assert done.status_code == 200, done.text
        assert done.json()["frequency"] == "weekly"
        assert (await follows(him))["preferences"]["instant_replies"] is True
        for body in ({"frequency": "hourly", "instant_replies": True}, {"frequency": "daily"}):
            assert (await him.put(url, json=body)).status_code == 422
        assert (await follows(him))["preferences"]["frequency"] == "weekly"
    async with httpx.AsyncClient(base_url=server.base_url) as nobody:
        assert (await nobody.get(f"{API}/me/follows")).status_code == 401
        assert (await nobody.put(f"{API}/me/mail-preferences", json={})).status_code == 401
    async with api(server, ADMIN_TOKEN) as admin:  # the administrator is no participant
        assert (await admin.get(f"{API}/me/follows")).status_code == 403


async def test_since_the_last_visit_of_an_article_and_of_the_whole_charter(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    reader = await make_token(server, "reader", "Eva")
    async with api(server, facilitator) as boss, api(server, reader) as her:
        first, second = await new_article(boss), await new_article(boss)
        one = f"{API}/articles/{first['id']}"
        assert (await her.get(f"{one}/since")).json() == {"article": first["id"], "changed": False}
        assert (await her.put(f"{API}/me/visit")).status_code == 200  # the charter's page
        async with PyClient(server.ws_url, first["document"], editor) as live:
            await live.wait_text(lambda t: "sous un mois" in t)
            replace(live, "sous un mois", "sous quinze jours")
            await until_server_has(server.base_url, first["document"], lambda t: "quinze" in t)
        await server.services.store.flush()
        found = (await her.get(f"{one}/since")).json()
        assert found["changed"] is True and found["who"] == ["Éditrice"]
        assert (found["added"], found["removed"]) == (2, 2)
        changed = [h for h in found["diff"] if h["kind"] != "equal"]
        assert changed == [
            {"kind": "delete", "text": "un mois."},
            {"kind": "insert", "text": "quinze jours."},
        ]
        everything = (await her.get(f"{API}/me/since")).json()["articles"]
        assert [a["article"] for a in everything] == [first["id"]]  # not the unchanged one
        assert second["id"] != first["id"]
        assert (await her.put(f"{one}/visit")).status_code == 200
        assert (await her.get(f"{one}/since")).json()["changed"] is False
        assert (await her.get(f"{API}/me/since")).json()["articles"] == []
