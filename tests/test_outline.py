"""Facilitators shape the charter live; everyone on the charter's channel hears of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from crdt.article import ArticleDoc
from server.domain.demo import DEMO_SLUG
from server.names import charter_channel
from tests.hpdriver import HocuspocusClient
from tests.support import PyClient, RunningServer


@asynccontextmanager
async def facilitator_and_listener(
    server: RunningServer, facilitator: str, listener: str
) -> AsyncIterator[tuple[httpx.AsyncClient, HocuspocusClient]]:
    """A facilitator's HTTP client, and a browser's provider on the charter's channel."""
    channel = charter_channel(DEMO_SLUG)
    headers = {"authorization": f"Bearer {facilitator}"}
    async with (
        httpx.AsyncClient(base_url=server.base_url, headers=headers) as http,
        HocuspocusClient(server.ws_url, [{"name": channel, "token": listener}]) as watcher,
    ):
        yield http, watcher


def outline(charter: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(s["title"], [a["title"] for a in s["articles"]]) for s in charter["sections"]]


async def test_facilitator_shapes_the_charter_and_everyone_hears_it(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    channel = charter_channel(DEMO_SLUG)
    api = f"/api/charters/{DEMO_SLUG}"
    async with facilitator_and_listener(server, facilitator, editor) as (http, watcher):
        assert (await watcher.wait(lambda e: e["event"] == "authenticated"))["scope"] == "readonly"
        charter = (await http.get(api)).json()
        assert charter["channel"] == channel and charter["projector"] is None
        first, second, third = charter["sections"]

        since = watcher.mark()
        renamed = await http.patch(
            f"{api}/sections/{first['id']}", json={"title": "Transparence !"}
        )
        assert (
            renamed.status_code == 200
            and renamed.json()["sections"][0]["title"] == "Transparence !"
        )
        event = await watcher.wait(lambda e: e["event"] == "stateless", since=since)
        pushed = json.loads(event["payload"])
        assert pushed["type"] == "outline" and outline(pushed["charter"]) == outline(renamed.json())

        order = [third["id"], first["id"], second["id"]]
        reordered = (await http.put(f"{api}/sections/order", json={"order": order})).json()
        assert [s["id"] for s in reordered["sections"]] == order

        keys = [a["id"] for a in first["articles"]]
        flipped = await http.put(f"{api}/sections/{first['id']}/order", json={"order": keys[::-1]})
        section = next(s for s in flipped.json()["sections"] if s["id"] == first["id"])
        assert [a["id"] for a in section["articles"]] == keys[::-1]

        moved = await http.patch(
            f"{api}/articles/{keys[0]}", json={"section_id": second["id"], "title": "Déplacé"}
        )
        target = next(s for s in moved.json()["sections"] if s["id"] == second["id"])
        assert target["articles"][-1]["id"] == keys[0]
        assert target["articles"][-1]["title"] == "Déplacé"

        since = watcher.mark()
        shown = await http.put(f"{api}/projector", json={"article": keys[1]})
        assert shown.status_code == 200
        event = await watcher.wait(
            lambda e: e["event"] == "stateless" and json.loads(e["payload"])["type"] == "projector",
            since=since,
        )
        assert json.loads(event["payload"]) == {
            "type": "projector",
            "article": keys[1],
            "view": {"mode": "live", "amendment": None, "passage": None, "authors": None},
        }
        assert (await http.get(api)).json()["projector"] == keys[1]


async def test_the_projector_heard_on_the_channel_is_the_one_stored(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    """An article added while the projector moves: the outline event, read before the
    projector moved and pushed after its event, used to carry the old projector and put it
    back on every page (3 times in 30 on SQLite). The projector's state now travels only in
    its own event."""
    api = f"/api/charters/{DEMO_SLUG}"
    async with facilitator_and_listener(server, facilitator, editor) as (http, watcher):
        await watcher.wait(lambda e: e["event"] == "authenticated")
        charter = (await http.get(api)).json()
        section = charter["sections"][0]["id"]
        keys = [a["id"] for s in charter["sections"] for a in s["articles"]]
        wrong = []
        for n in range(30):
            since = watcher.mark()
            added, shown = await asyncio.gather(
                http.post(f"{api}/sections/{section}/articles", json={"title": f"Article {n}"}),
                http.put(f"{api}/projector", json={"article": keys[n % len(keys)]}),
            )
            assert added.status_code == 201 and shown.status_code == 200
            await watcher.wait(lambda e: pushed(e, "outline"), since=since)
            await watcher.wait(lambda e: pushed(e, "projector"), since=since)
            heard = None  # as a page has it once both events are in
            for event in watcher.events[since:]:
                if pushed(event, "projector"):
                    heard = json.loads(event["payload"])["article"]
                elif pushed(event, "outline") and "projector" in (
                    pushed_charter := json.loads(event["payload"])["charter"]
                ):
                    heard = pushed_charter["projector"]
            stored = (await http.get(api)).json()["projector"]
            if heard != stored:
                wrong.append((n, heard, stored))
        assert wrong == []


def pushed(event: dict[str, Any], kind: str) -> bool:
    return event["event"] == "stateless" and json.loads(event["payload"])["type"] == kind


async def test_deleting_an_article_closes_its_editors_and_keeps_its_text(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    api = f"/api/charters/{DEMO_SLUG}"
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        charter = (await http.get(api)).json()
        article = charter["sections"][0]["articles"][0]
        document = article["document"]
        record = await server.services.repo.find_article(DEMO_SLUG, article["id"])
        async with PyClient(server.ws_url, document, editor) as client:
            text = client.value()
            deleted = await http.delete(f"{api}/articles/{article['id']}")
            assert deleted.status_code == 200
            assert all(
                a["id"] != article["id"] for s in deleted.json()["sections"] for a in s["articles"]
            )
            await client.closed.wait()
            assert client.close_code == 4404
        assert (await http.get(f"{api}/articles/{article['id']}")).status_code == 404
        # The text is kept with its history (for versions), not destroyed.
        kept = ArticleDoc.from_updates(await server.services.store.load(record.document_id))
        assert kept.text() == text != ""


async def test_outline_changes_need_a_facilitator_and_valid_orders(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    api = f"/api/charters/{DEMO_SLUG}"
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        charter = (await http.get(api, headers={"authorization": f"Bearer {editor}"})).json()
        section = charter["sections"][0]
        as_editor = {"authorization": f"Bearer {editor}"}
        as_facilitator = {"authorization": f"Bearer {facilitator}"}
        refused = await http.patch(
            f"{api}/sections/{section['id']}", json={"title": "x"}, headers=as_editor
        )
        assert refused.status_code == 403
        partial = await http.put(
            f"{api}/sections/order", json={"order": [section["id"]]}, headers=as_facilitator
        )
        assert partial.status_code == 422 and partial.json()["error"]["field"] == "order"
        unknown = await http.put(
            f"{api}/projector", json={"article": "nope"}, headers=as_facilitator
        )
        assert unknown.status_code == 422
        missing = await http.delete(f"{api}/sections/999999", headers=as_facilitator)
        assert missing.status_code == 404
        after = (await http.get(api, headers=as_editor)).json()
        assert outline(after) == outline(charter)
