"""What the projector shows of its article: the live text, its changes since the last named
version, an open amendment applied, a chosen passage. Kept with the charter, checked,
pushed to every open page; computed on demand and never written to the article."""

from __future__ import annotations

import json

from server.domain.demo import DEMO_SLUG
from server.domain.versions import save_version
from server.names import charter_channel
from tests.hpdriver import HocuspocusClient
from tests.support import PyClient, RunningServer, make_token, server_text, until_server_has
from tests.test_amendments import api, new_article, propose, replace

API = f"/api/charters/{DEMO_SLUG}"
LIVE = {"mode": "live", "amendment": None, "passage": None, "authors": None}


async def test_the_view_is_checked_kept_and_pushed_to_open_pages(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    citizen = await make_token(server, "commenter", "Citoyenne")
    async with (
        api(server, facilitator) as boss,
        api(server, editor) as ed,
        api(server, citizen) as her,
        HocuspocusClient(
            server.ws_url, [{"name": charter_channel(DEMO_SLUG), "token": editor}]
        ) as watcher,
    ):
        await watcher.wait(lambda e: e["event"] == "authenticated")
        article = await new_article(boss)
        other = await new_article(boss)
        amendment = await propose(her, article)

        since = watcher.mark()
        view = {"mode": "amendment", "amendment": amendment["id"]}
        shown = await boss.put(f"{API}/projector", json={"article": article["id"], "view": view})
        assert shown.status_code == 200, shown.text
        expected = {**LIVE, **view}
        assert shown.json() == {"article": article["id"], "view": expected}
        event = await watcher.wait(
            lambda e: e["event"] == "stateless" and json.loads(e["payload"])["type"] == "projector",
            since=since,
        )
        assert json.loads(event["payload"]) == {
            "type": "projector",
            "article": article["id"],
            "view": expected,
        }
        charter = (await ed.get(API)).json()
        assert charter["projector"] == article["id"] and charter["projector_view"] == expected

        passage = {"start": "AQLJ7K8FAg==", "end": "AQLJ7K8FCg=="}
        kept = await boss.put(
            f"{API}/projector",
            json={"article": article["id"], "view": {"mode": "live", "passage": passage}},
        )
        assert kept.json()["view"] == {**LIVE, "passage": passage}
        coloured = await boss.put(
            f"{API}/projector",
            json={"article": article["id"], "view": {"mode": "live", "authors": "badge"}},
        )
        assert coloured.json()["view"] == {**LIVE, "authors": "badge"}
        # Colours are the live text's: another view of the article shows none.
        other_view = {"mode": "since", "authors": "person"}
        since_view = await boss.put(
            f"{API}/projector", json={"article": article["id"], "view": other_view}
        )
        assert since_view.json()["view"] == {**LIVE, "mode": "since"}

        # Another article without a view: its live text again.
        plain = await boss.put(f"{API}/projector", json={"article": other["id"]})
        assert plain.json() == {"article": other["id"], "view": LIVE}
        assert (await ed.get(API)).json()["projector_view"] == LIVE

        refused = [
            ({"article": article["id"], "view": {"mode": "bogus"}}, "view.mode"),
            ({"article": article["id"], "view": "since"}, "view"),
            ({"article": article["id"], "view": {"mode": "amendment"}}, "view.amendment"),
            (  # an amendment of another article
                {"article": other["id"], "view": view},
                "view.amendment",
            ),
            ({"article": article["id"], "view": {**view, "amendment": 999999}}, "view.amendment"),
            (
                {"article": article["id"], "view": {"passage": {"start": "%%", "end": "AA=="}}},
                "view.passage",
            ),
            (
                {"article": article["id"], "view": {"passage": {"start": "A" * 400, "end": "A"}}},
                "view.passage",
            ),
            ({"article": article["id"], "view": {"authors": "everyone"}}, "view.authors"),
        ]
        for body, field in refused:
            answer = await boss.put(f"{API}/projector", json=body)
            assert answer.status_code == 422, (body, answer.text)
            assert answer.json()["error"]["field"] == field, (body, answer.text)
        assert (
            await ed.put(f"{API}/projector", json={"article": article["id"]})
        ).status_code == 403
        assert (await ed.get(API)).json()["projector"] == other["id"]

        # Once decided, the amendment is no longer one the projector can apply.
        rejected = await boss.post(
            f"{API}/amendments/{amendment['id']}/reject", json={"reason": "Hors sujet"}
        )
        assert rejected.is_success, rejected.text
        late = await boss.put(f"{API}/projector", json={"article": article["id"], "view": view})
        assert late.status_code == 422 and late.json()["error"]["field"] == "view.amendment"


async def test_changes_since_the_last_named_version_are_computed_never_written(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    async with api(server, facilitator) as boss, api(server, editor) as ed:
        article = await new_article(boss)
        first = (await ed.get(f"{API}/articles/{article['id']}/changes")).json()
        assert first["version"] is None  # nothing named yet: the whole text is new
        assert [h["kind"] for h in first["hunks"]] == ["insert"]

        saved = await boss.post(f"{API}/versions", json={"label": "Après l’atelier Raconter"})
        assert saved.status_code == 201
        async with PyClient(server.ws_url, article["document"], editor) as live:
            await live.wait_text(lambda t: "sous un mois" in t)
            replace(live, "sous un mois", "sous quinze jours")
            await until_server_has(server.base_url, article["document"], lambda t: "quinze" in t)
        # An automatic version since does not move the start of "what changed today".
        charter = await server.services.repo.get_charter(DEMO_SLUG)
        await save_version(
            server.services.stores.versions,
            charter,
            server.services.article_doc,
            "auto",
            None,
            kind="auto",
        )

        changes = (await ed.get(f"{API}/articles/{article['id']}/changes")).json()
        assert changes["version"]["label"] == "Après l’atelier Raconter"
        removed = " ".join(h["text"] for h in changes["hunks"] if h["kind"] == "delete")
        added = " ".join(h["text"] for h in changes["hunks"] if h["kind"] == "insert")
        assert "mois" in removed and "quinze jours" in added
        assert changes["words_added"] == 2 and changes["words_removed"] == 2  # un mois
        text = await server_text(server.base_url, article["document"])
        assert text.strip().endswith("Les élus répondent sous quinze jours.")

        missing = await ed.get(f"{API}/articles/nope/changes")
        assert missing.status_code == 404
