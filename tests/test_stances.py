"""Stances on passages, on SQLite and PostgreSQL: a comment says for, against or mixed
(or nothing), returned with it and changed by editing it; the heat-map's answer counts one
stance per person and thread (their latest comment with one), per badge of its author,
only for open threads on a passage of the article; who may read it; bad stances refused."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from sqlalchemy import delete

from crdt.relpos import RelPos
from persistence.tables import participants
from server.domain.demo import DEMO_SLUG
from tests.support import PyClient, RunningServer, make_token, until_server_has
from tests.test_authors import badge
from tests.test_comments import api, new_article, start

API = f"/api/charters/{DEMO_SLUG}"
ADDED = "Premier passage à débattre. Second passage 😀 ici."
ZERO = {"for": 0, "against": 0, "mixed": 0}


def counts(for_: int = 0, against: int = 0, mixed: int = 0) -> dict[str, int]:
    return {"for": for_, "against": against, "mixed": mixed}


def anchor_of(client: PyClient, words: str) -> dict[str, str]:
    """The anchor a browser makes for ``words`` of ``ADDED``, typed by ``client``: Yjs
    clocks count UTF-16 units."""
    before = len(ADDED[: ADDED.index(words)].encode("utf-16-le")) // 2
    length = len(words.encode("utf-16-le")) // 2
    me = client.doc.client_id
    ends = (RelPos(me, before, 0).encode(), RelPos(me, before + length - 1, -1).encode())
    encoded = {k: base64.b64encode(v).decode() for k, v in zip(("start", "end"), ends, strict=True)}
    return {**encoded, "quote": words}


async def stances(server: RunningServer, token: str, key: str) -> dict[str, Any]:
    async with api(server, token) as http:
        response = await http.get(f"{API}/articles/{key}/stances")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def reply(
    server: RunningServer, token: str, thread: int, body: str, stance: str | None
) -> dict[str, Any]:
    async with api(server, token) as http:
        made = await http.post(
            f"{API}/threads/{thread}/comments", json={"body": body, "stance": stance}
        )
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


async def test_stances_are_stored_edited_and_counted_once_per_person_by_badge(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    key = article["id"]
    people = {n: await make_token(server, "commenter", n) for n in ("Awa", "Bruno", "Chloé")}
    await badge(server, people["Awa"], "citizen")
    await badge(server, people["Bruno"], "elected")
    await badge(server, facilitator, "organiser")
    async with PyClient(server.ws_url, article["document"], editor) as writer:
        writer.append(ADDED)
        await until_server_has(server.base_url, article["document"], lambda t: ADDED in t)
        first, second = anchor_of(writer, "passage à débattre"), anchor_of(writer, "passage 😀 ici")
    # Awa is for the second passage, then opens a thread on the first one.
    made = await start(server, people["Awa"], key, "Oui !", second, stance="for")
    later = made.json()["id"]
    made = await start(server, people["Awa"], key, "D’accord.", first, stance="for")
    assert made.status_code == 201, made.text
    thread = made.json()
    assert thread["comments"][0]["stance"] == "for"
    # Bruno changes his mind within the thread: his latest stance counts, once.
    await reply(server, people["Bruno"], thread["id"], "Non.", "against")
    last = await reply(server, people["Bruno"], thread["id"], "Pourquoi ?", "mixed")
    assert [c["stance"] for c in last["comments"]] == ["for", "against", "mixed"]
    # Chloé says nothing of where she stands; the facilitator's "against" is deleted.
    await reply(server, people["Chloé"], thread["id"], "Je lis.", None)
    gone = await reply(server, facilitator, thread["id"], "Contre.", "against")
    # The whole article and resolved threads are not on the map.
    await start(server, people["Awa"], key, "Tout l’article", None, stance="against")
    async with api(server, people["Awa"]) as awa, api(server, facilitator) as host:
        edited = await awa.patch(
            f"{API}/comments/{thread['comments'][0]['id']}",
            json={"body": "Finalement non.", "stance": "against"},
        )
        assert edited.status_code == 200, edited.text
        mine = edited.json()["comments"][0]
        assert mine["stance"] == "against" and mine["revisions"][0]["stance"] == "for"
        # An edit without a stance keeps it.
        kept = await awa.patch(
            f"{API}/comments/{thread['comments'][0]['id']}", json={"body": "Non, vraiment."}
        )
        assert kept.json()["comments"][0]["stance"] == "against"
        removed = await host.delete(f"{API}/comments/{gone['comments'][-1]['id']}")
        assert removed.status_code == 200
    found = await stances(server, people["Chloé"], key)
    assert found["stances"] == ["for", "against", "mixed"]
    assert found["badges"] == ["citizen", "elected", "organiser"]
    assert [t["id"] for t in found["threads"]] == [thread["id"], later]  # the text's order
    on_first = found["threads"][0]
    assert on_first["quote"] == "passage à débattre"
    assert (
        on_first["anchor"]["start"] == first["start"] and on_first["anchor"]["end"] == first["end"]
    )
    assert on_first["anchor"]["state"] == "attached"
    assert on_first["counts"] == {
        "citizen": counts(against=1),
        "elected": counts(mixed=1),
        "organiser": counts(),
        "none": counts(),
    }
    assert on_first["total"] == counts(against=1, mixed=1)
    assert found["threads"][1]["total"] == counts(for_=1)
    assert found["threads"][1]["anchor"]["length"] == len("passage 😀 ici".encode("utf-16-le")) // 2
    # Resolved: off the map; reopened: back.
    async with api(server, facilitator) as host:
        path = f"{API}/threads/{later}/status"
        assert (await host.put(path, json={"status": "resolved"})).status_code == 200
        assert [t["id"] for t in (await stances(server, editor, key))["threads"]] == [thread["id"]]
        assert (await host.put(path, json={"status": "open"})).status_code == 200
    assert len((await stances(server, editor, key))["threads"]) == 2


async def test_who_may_read_the_stances_and_bad_stances_are_refused(
    server: RunningServer, facilitator: str
) -> None:
    article = await new_article(server, facilitator)
    key = article["id"]
    reader = await make_token(server, "reader", "Rémi")
    commenter = await make_token(server, "commenter", "Camille")
    assert (await stances(server, reader, key))["threads"] == []
    async with api(server, reader) as http:
        missing = await http.get(f"{API}/articles/nulle-part/stances")
        assert missing.status_code == 404 and "nulle-part" in missing.json()["error"]["message"]
        refused = await http.post(
            f"{API}/articles/{key}/threads", json={"body": "Moi aussi", "stance": "for"}
        )
        assert refused.status_code == 403
    async with httpx.AsyncClient(base_url=server.base_url) as nobody:  # no token
        assert (await nobody.get(f"{API}/articles/{key}/stances")).status_code == 401
    opened = (await start(server, commenter, key, "Sur tout.", None, stance="mixed")).json()
    wrong: list[Any] = ["agree", "question", "pour", "", 1, ["for"], {"for": True}]
    async with api(server, commenter) as http:
        for value in wrong:
            answers = [
                await http.post(
                    f"{API}/articles/{key}/threads", json={"body": "x", "stance": value}
                ),
                await http.post(
                    f"{API}/threads/{opened['id']}/comments", json={"body": "x", "stance": value}
                ),
                await http.patch(
                    f"{API}/comments/{opened['comments'][0]['id']}",
                    json={"body": "y", "stance": value},
                ),
            ]
            for answer in answers:
                assert answer.status_code == 422, (value, answer.text)
                assert answer.json()["error"] == {
                    "code": "invalid",
                    "message": "stance must be for, against, mixed or null",
                    "field": "stance",
                }
        # Nothing was stored: the thread is as it was.
        again = (await http.get(f"{API}/threads/{opened['id']}")).json()
    assert [(c["body"], c["stance"]) for c in again["comments"]] == [("Sur tout.", "mixed")]


async def test_the_projector_shows_the_heatmap_for_everyone_or_a_badge(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    key = article["id"]
    async with api(server, facilitator) as host, api(server, editor) as writer:
        shown = await host.put(
            f"{API}/projector", json={"article": key, "view": {"heatmap": "elected"}}
        )
        assert shown.status_code == 200, shown.text
        assert shown.json()["view"]["heatmap"] == "elected"
        assert (await writer.get(API)).json()["projector_view"]["heatmap"] == "elected"
        # Another view of the text has no heat-map; the plain live text says nothing of it.
        since = await host.put(
            f"{API}/projector", json={"article": key, "view": {"mode": "since", "heatmap": "all"}}
        )
        assert "heatmap" not in since.json()["view"]
        plain = await host.put(f"{API}/projector", json={"article": key})
        assert "heatmap" not in plain.json()["view"]
        message = "view.heatmap must be null or one of all, citizen, elected, organiser"
        for value in ("everyone", ["all"], 3):
            bad = await host.put(
                f"{API}/projector", json={"article": key, "view": {"heatmap": value}}
            )
            assert bad.status_code == 422
            assert bad.json()["error"]["message"] == message
        both = await host.put(
            f"{API}/projector",
            json={"article": key, "view": {"heatmap": "all", "authors": "badge"}},
        )
        assert both.status_code == 422 and both.json()["error"]["field"] == "view.heatmap"
        assert (
            await writer.put(f"{API}/projector", json={"article": key, "view": {"heatmap": "all"}})
        ).status_code == 403


async def test_a_participant_who_is_gone_still_counts_once_without_a_badge(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    key = article["id"]
    awa = await make_token(server, "commenter", "Awa")
    await badge(server, awa, "citizen")
    async with PyClient(server.ws_url, article["document"], editor) as writer:
        writer.append(ADDED)
        await until_server_has(server.base_url, article["document"], lambda t: ADDED in t)
        passage = anchor_of(writer, "passage à débattre")
    made = (await start(server, awa, key, "Non.", passage, stance="against")).json()
    await reply(server, awa, made["id"], "Toujours non.", "against")
    found = (await stances(server, editor, key))["threads"][0]
    assert found["counts"]["citizen"] == counts(against=1)
    async with server.services.stores.engine.begin() as conn:
        await conn.execute(delete(participants).where(participants.c.id == int(awa.split(".")[0])))
    found = (await stances(server, editor, key))["threads"][0]
    assert found["counts"]["citizen"] == counts() and found["counts"]["none"] == counts(against=1)
