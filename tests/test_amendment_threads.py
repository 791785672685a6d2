"""The discussion of an amendment, over the real server on SQLite and PostgreSQL: threads on
passages of the amendment's fork made by a real Yjs client follow their words while the
authors rewrite it; they stay out of the article's own threads and come in the
charter-wide list with their amendment; who may comment (readers never, a draft's authors
only, nobody once it is closed, though the discussion stays readable); the live event
names the amendment. And co-authors: chosen by name from the participants who may
co-write, shown by name to every viewer."""

from __future__ import annotations

import json
from typing import Any

import httpx

from server.domain.demo import DEMO_SLUG
from server.names import charter_channel
from tests.hpdriver import HocuspocusClient
from tests.support import PyClient, RunningServer, make_token
from tests.test_amendments import _until_fork_has, propose, replace
from tests.test_comments import YjsPeer, api, new_article

API = f"/api/charters/{DEMO_SLUG}"
PASSAGE = "données 😀 à tous"


async def me(server: RunningServer, token: str) -> int:
    async with api(server, token) as http:
        return int((await http.get(f"{API}/me")).json()["participant_id"])


async def threads_of(http: httpx.AsyncClient, amendment_id: int) -> dict[str, Any]:
    found = await http.get(f"{API}/amendments/{amendment_id}/threads")
    assert found.status_code == 200, found.text
    listed: dict[str, Any] = found.json()
    return listed


async def test_a_thread_on_an_amendments_text_follows_its_words_and_stays_with_it(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    author = await make_token(server, "commenter", "Aïcha")
    camille = await make_token(server, "commenter", "Camille")
    async with api(server, author) as her, api(server, camille) as cam:
        amendment = await propose(her, article, "Des données pour tous")
        number, fork = amendment["id"], amendment["document"]
        async with (
            YjsPeer(server, fork, camille, "camille") as reader,
            PyClient(server.ws_url, fork, author) as writer,
        ):
            anchor = await reader.ask({"cmd": "anchor", "find": PASSAGE})
            made = await cam.post(
                f"{API}/amendments/{number}/threads",
                json={"body": "Même la nuit ?", "stance": "for", "anchor": anchor},
            )
            assert made.status_code == 201, made.text
            thread = made.json()
            assert thread["amendment"] == {
                "id": number,
                "title": "Des données pour tous",
                "status": "open",
            }
            assert thread["article"]["id"] == article["id"]
            assert thread["anchor"]["text"] == PASSAGE and thread["may_reply"] is True
            # The author rewrites the fork around and inside the passage.
            replace(writer, "Le café ☕", "Désormais ✨, le café ☕☕")
            replace(writer, "😀 à", "😀😀 à")
            await _until_fork_has(server, amendment, "😀😀 à")
            await reader.text_when(lambda t: "😀😀 à" in t)
            now = (await cam.get(f"{API}/threads/{thread['id']}")).json()
            seen = await reader.ask({"cmd": "resolve", **now["anchor"]})
            assert now["anchor"]["state"] == "attached"
            assert now["anchor"]["text"] == seen["text"] == "données 😀😀 à tous"
            assert (now["anchor"]["index"], now["anchor"]["length"]) == (
                seen["index"],
                seen["length"],
            )
        listed = await threads_of(cam, number)
        assert [t["id"] for t in listed["threads"]] == [thread["id"]]
        assert listed["may_comment"] is True and listed["article"] == article["id"]

        # The article's own discussion does not list it; the charter-wide list does.
        own = (await cam.get(f"{API}/articles/{article['id']}/threads")).json()
        assert own["threads"] == []
        on_article = await cam.post(
            f"{API}/articles/{article['id']}/threads", json={"body": "Sur l’article"}
        )
        everything = (await cam.get(f"{API}/threads")).json()["threads"]
        assert [(t["id"], t["amendment"] and t["amendment"]["id"]) for t in everything] == [
            (on_article.json()["id"], None),
            (thread["id"], number),
        ]
        only = (await cam.get(f"{API}/threads", params={"amendment": number})).json()
        assert [t["id"] for t in only["threads"]] == [thread["id"]]
        assert (await cam.get(f"{API}/threads", params={"amendment": "x"})).status_code == 422
        # Replies and resolving go through the usual routes.
        replied = await her.post(f"{API}/threads/{thread['id']}/comments", json={"body": "Oui"})
        assert replied.status_code == 201, replied.text
        assert replied.json()["amendment"]["id"] == number
        resolved = await her.put(
            f"{API}/threads/{thread['id']}/status", json={"status": "resolved"}
        )
        assert resolved.status_code == 200, resolved.text


async def test_who_may_discuss_an_amendment_and_when(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    author = await make_token(server, "commenter", "Autrice")
    reader = await make_token(server, "reader", "Rémi")
    async with (
        api(server, author) as her,
        api(server, reader) as him,
        api(server, editor) as ed,
        api(server, facilitator) as boss,
    ):
        draft = await her.post(
            f"{API}/articles/{article['id']}/amendments",
            json={"title": "Brouillon", "rationale": "À voir.", "open": False},
        )
        number = draft.json()["id"]
        url = f"{API}/amendments/{number}/threads"
        # A draft: its authors (and facilitators) discuss it, others read only.
        refused = await ed.post(url, json={"body": "Je peux ?"})
        assert refused.status_code == 403
        assert "draft" in refused.json()["error"]["message"]
        assert (await threads_of(ed, number))["may_comment"] is False
        assert (await her.post(url, json={"body": "Notes"})).status_code == 201
        assert (await boss.post(url, json={"body": "Vu"})).status_code == 201
        await her.post(f"{API}/amendments/{number}/open", json={})
        # Open: every commenter and up; a reader never.
        thread = (await ed.post(url, json={"body": "Pour"})).json()
        assert thread["may_reply"] is True
        no = await him.post(url, json={"body": "Moi aussi"})
        assert no.status_code == 403
        assert (
            await him.post(f"{API}/threads/{thread['id']}/comments", json={"body": "R"})
        ).status_code == 403
        assert (await threads_of(him, number))["may_comment"] is False
        # Withdrawn: no new thread, no reply (409, said why); still readable by all.
        await her.post(f"{API}/amendments/{number}/withdraw", json={})
        closed = await ed.post(url, json={"body": "Trop tard"})
        assert closed.status_code == 409
        assert closed.json()["error"]["message"] == (
            "this amendment is withdrawn: its discussion is closed"
        )
        late = await ed.post(f"{API}/threads/{thread['id']}/comments", json={"body": "Encore"})
        assert late.status_code == 409 and "withdrawn" in late.json()["error"]["message"]
        kept = await threads_of(him, number)
        assert len(kept["threads"]) == 3 and kept["may_comment"] is False
        assert all(t["may_reply"] is False for t in kept["threads"])
        assert [c["body"] for c in kept["threads"][2]["comments"]] == ["Pour"]
        one = (await him.get(f"{API}/threads/{thread['id']}")).json()
        assert one["amendment"]["status"] == "withdrawn"
        # Bad addresses.
        assert (await ed.get(f"{API}/amendments/999999/threads")).status_code == 404
        assert (
            await ed.post(f"{API}/amendments/abc/threads", json={"body": "x"})
        ).status_code == 404


async def test_the_charters_channel_names_the_amendment_of_a_comment(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    reader = await make_token(server, "reader", "Rémi")
    channel = charter_channel(DEMO_SLUG)
    async with (
        api(server, editor) as ed,
        HocuspocusClient(server.ws_url, [{"name": channel, "token": reader}]) as watcher,
    ):
        await watcher.wait(lambda e: e["event"] == "synced" and e["doc"] == channel)
        amendment = await propose(ed, article)
        mark = watcher.mark()
        made = (
            await ed.post(f"{API}/amendments/{amendment['id']}/threads", json={"body": "A"})
        ).json()
        found = await watcher.wait(
            lambda e: (
                e["event"] == "stateless" and json.loads(e["payload"]).get("type") == "comment"
            ),
            timeout=1.0,
            since=mark,
        )
        assert json.loads(found["payload"]) == {
            "type": "comment",
            "event": "created",
            "article": article["id"],
            "amendment": amendment["id"],
            "thread": made["id"],
            "comment": None,
        }


async def test_co_authors_are_chosen_by_name_and_shown_to_everyone(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    author = await make_token(server, "commenter", "Autrice")
    camille = await make_token(server, "commenter", "Camille")
    reader = await make_token(server, "reader", "Rémi")
    camille_id, reader_id, editor_id = (
        await me(server, camille),
        await me(server, reader),
        await me(server, editor),
    )
    async with api(server, author) as her, api(server, camille) as cam, api(server, reader) as him:
        amendment = await propose(her, article)
        url = f"{API}/amendments/{amendment['id']}"
        # The author sees who may co-write it, by name: not readers, not herself.
        found = await her.get(f"{url}/candidates")
        assert found.status_code == 200, found.text
        names = {p["name"]: p["id"] for p in found.json()["participants"]}
        assert names["Camille"] == camille_id and names["Éditrice"] == editor_id
        assert "Rémi" not in names and "Autrice" not in names
        # Someone who is not an author may not list them.
        assert (await cam.get(f"{url}/candidates")).status_code == 403
        assert (await him.get(f"{url}/candidates")).status_code == 403
        added = await her.post(f"{url}/authors", json={"participant_id": camille_id})
        assert added.status_code == 200, added.text
        # Every viewer sees the co-authors' names, a reader too.
        shown = (await him.get(url)).json()
        assert shown["co_author_names"] == [{"id": camille_id, "name": "Camille", "badge": None}]
        assert shown["co_authors"] == [camille_id]
        listed = (await him.get(f"{API}/amendments")).json()["amendments"]
        assert listed[0]["co_author_names"] == [
            {"id": camille_id, "name": "Camille", "badge": None}
        ]
        again = (await her.get(f"{url}/candidates")).json()["participants"]
        assert "Camille" not in {p["name"] for p in again}
        # A co-author may invite too; what cannot be done is said.
        twice = await cam.post(f"{url}/authors", json={"participant_id": camille_id})
        assert twice.status_code == 409 and "Camille" in twice.json()["error"]["message"]
        lead = await cam.post(f"{url}/authors", json={"participant_id": amendment["author_id"]})
        assert lead.status_code == 409
        no_reader = await her.post(f"{url}/authors", json={"participant_id": reader_id})
        assert no_reader.status_code == 422
        assert "reader" in no_reader.json()["error"]["message"]
        missing = await her.post(f"{url}/authors", json={"participant_id": 999999})
        assert missing.status_code == 422
        assert missing.json()["error"]["field"] == "participant_id"
        bad = await her.post(f"{url}/authors", json={"participant_id": "Camille"})
        assert bad.status_code == 422
        assert (
            await him.post(f"{url}/authors", json={"participant_id": editor_id})
        ).status_code == 403
        shown = (await him.get(url)).json()
        assert shown["co_author_names"] == [{"id": camille_id, "name": "Camille", "badge": None}]
