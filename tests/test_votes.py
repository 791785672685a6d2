"""Live votes of the room over the real server, on both databases: opened by a facilitator
on an article, the charter or a bundle of amendments; one ballot per participant, changed
or withdrawn while open; secret votes name nobody in any answer or event; closed by hand
or at their end; recorded with the version of the text, and another if it changed; shown
in the article's "why", the versions' timeline and the open-data export."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from server.domain.demo import DEMO_SLUG
from server.names import charter_channel
from server.settings import Settings
from tests.databases import scalar
from tests.hpdriver import HocuspocusClient
from tests.redisdb import shared_redis
from tests.support import (
    PyClient,
    RunningServer,
    cli_token,
    make_token,
    running_server,
    until_server_has,
    wait_for,
)
from tests.test_amendments import api, new_article, propose
from tests.test_scaleout import Instances
from tests.wire_client import bearer

API = f"/api/charters/{DEMO_SLUG}"


def participant(token: str) -> int:
    return int(token.split(".", 1)[0])


async def badge(server: RunningServer, token: str, value: str) -> None:
    charter = await server.services.repo.get_charter(DEMO_SLUG)
    await server.services.people.update_participant(charter.id, participant(token), badge=value)


def vote_events(watcher: HocuspocusClient, since: int = 0) -> list[dict[str, Any]]:
    found = []
    for e in watcher.events[since:]:
        if e["event"] == "stateless":
            payload = json.loads(e["payload"])
            if payload.get("type") == "vote":
                found.append(payload)
    return found


async def next_vote_event(
    watcher: HocuspocusClient,
    kind: str,
    since: int,
    timeout: float = 10.0,
    counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The first vote event of ``kind`` from ``since`` on (with these counts, if given)."""

    def matches(e: dict[str, Any]) -> bool:
        if e["event"] != "stateless":
            return False
        payload = json.loads(e["payload"])
        if payload.get("type") != "vote" or payload["event"] != kind:
            return False
        return counts is None or payload["vote"]["counts"] == counts

    found: dict[str, Any] = json.loads(
        (await watcher.wait(matches, since=since, timeout=timeout))["payload"]
    )
    return found


async def open_vote(http: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    made = await http.post(f"{API}/votes", json=body)
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


async def test_a_public_consent_vote_counts_one_changeable_ballot_each(
    server: RunningServer, facilitator: str
) -> None:
    awa = await make_token(server, "commenter", "Awa")
    bruno = await make_token(server, "editor", "Bruno Élu")
    chloe = await make_token(server, "editor", "Chloé")
    await badge(server, awa, "citizen")
    await badge(server, bruno, "elected")
    async with (
        api(server, facilitator) as boss,
        api(server, awa) as her,
        api(server, bruno) as him,
        api(server, chloe) as third,
        HocuspocusClient(
            server.ws_url, [{"name": charter_channel(DEMO_SLUG), "token": awa}]
        ) as phone,
    ):
        await phone.wait(lambda e: e["event"] == "authenticated")
        article = await new_article(boss)
        since = phone.mark()
        vote = await open_vote(
            boss,
            subject={"kind": "article", "article": article["id"]},
            scale="consent",
            secret=False,
            question="Gardons-nous cet article\u202f?",
        )
        assert vote["status"] == "open" and vote["scale"] == "consent"
        assert vote["choices"] == ["agree", "live_with", "objection"]
        assert vote["subject"] == {"kind": "article", "article": article["id"], "title": "Essai"}
        assert vote["closes_at"] is None
        saved = (await boss.get(f"{API}/versions/{vote['version_before']}")).json()
        assert saved["label"] == "Avant le vote sur l’article «\u00a0Essai\u00a0»"
        assert saved["kind"] == "auto"
        opened = await next_vote_event(phone, "opened", since)
        assert opened["vote"]["id"] == vote["id"]

        url = f"{API}/votes/{vote['id']}"
        for http, choice in ((her, "agree"), (him, "objection"), (third, "live_with")):
            cast = await http.put(f"{url}/ballot", json={"choice": choice})
            assert cast.status_code == 200, cast.text
            assert cast.json()["mine"] == choice
        # Bruno changes his mind; Chloé withdraws: still one ballot each at most.
        since = phone.mark()
        assert (await him.put(f"{url}/ballot", json={"choice": "agree"})).status_code == 200
        now = {"agree": 2, "live_with": 1, "objection": 0}
        ballot = await next_vote_event(phone, "ballot", since, counts=now)
        assert "mine" not in ballot["vote"]
        withdrawn = await third.put(f"{url}/ballot", json={"choice": None})
        assert withdrawn.json()["mine"] is None
        seen = (await her.get(url)).json()
        assert seen["counts"] == {"agree": 2, "live_with": 0, "objection": 0}
        assert seen["ballots"] == 2 and seen["mine"] == "agree"
        assert seen["by_badge"] == {
            "citizen": {"agree": 1, "live_with": 0, "objection": 0},
            "elected": {"agree": 1, "live_with": 0, "objection": 0},
        }
        assert sorted((v["name"], v["choice"]) for v in seen["voters"]) == [
            ("Awa", "agree"),
            ("Bruno Élu", "agree"),
        ]

        since = phone.mark()
        closed = await boss.post(f"{url}/close")
        assert closed.status_code == 200, closed.text
        result = closed.json()
        assert result["status"] == "closed" and result["closed_at"] is not None
        assert result["text_changed"] is False and result["version_after"] is None
        assert (await next_vote_event(phone, "closed", since))["vote"]["counts"]["agree"] == 2
        late = await third.put(f"{url}/ballot", json={"choice": "agree"})
        assert late.status_code == 409 and "closed" in late.json()["error"]["message"]
        assert (await boss.post(f"{url}/close")).status_code == 409
        listed = (await her.get(f"{API}/votes")).json()["votes"]
        assert listed[0]["id"] == vote["id"]  # newest first
        # The version saved at opening is in the timeline, with the result.
        page = await her.get(f"/charters/{DEMO_SLUG}/versions")
        assert f'id="version-{vote["version_before"]}-vote-{vote["id"]}"' in page.text
        assert "Gardons-nous cet article" in page.text


async def test_a_secret_vote_names_nobody_anywhere(server: RunningServer, facilitator: str) -> None:
    awa = await make_token(server, "commenter", "Awa Secrète")
    bruno = await make_token(server, "editor", "Bruno Secret")
    await badge(server, awa, "citizen")
    async with (
        api(server, facilitator) as boss,
        api(server, awa) as her,
        api(server, bruno) as him,
        HocuspocusClient(
            server.ws_url, [{"name": charter_channel(DEMO_SLUG), "token": bruno}]
        ) as phone,
    ):
        await phone.wait(lambda e: e["event"] == "authenticated")
        vote = await open_vote(boss, subject={"kind": "charter"}, scale="simple", secret=True)
        url = f"{API}/votes/{vote['id']}"
        await her.put(f"{url}/ballot", json={"choice": "for"})
        await him.put(f"{url}/ballot", json={"choice": "against"})
        since = phone.mark()
        await boss.post(f"{url}/close")
        await next_vote_event(phone, "closed", since)
        answers = [
            (await him.get(url)).text,
            (await boss.get(f"{API}/votes")).text,
            (await him.get(f"{API}/export?format=json")).text,
            json.dumps(vote_events(phone)),
        ]
        for text in answers:
            assert "Awa Secrète" not in text and "Bruno Secret" not in text
        seen = (await him.get(url)).json()
        assert seen["voters"] is None and seen["mine"] == "against"
        assert seen["counts"] == {"for": 1, "against": 1, "abstain": 0}
        # One citizen and one person without a badge: a split by badge would name them.
        assert seen["by_badge"] is None
        exported = json.loads(answers[2])["votes"]
        assert [v["id"] for v in exported] == [vote["id"]]
        assert exported[0]["secret"] is True and exported[0]["voters"] is None
        assert exported[0]["counts"] == {"for": 1, "against": 1, "abstain": 0}


async def test_a_secret_vote_splits_by_badge_only_with_three_ballots_in_each(
    server: RunningServer, facilitator: str
) -> None:
    citizens = [await make_token(server, "commenter", f"Citoyenne {i}") for i in range(3)]
    elected = [await make_token(server, "commenter", f"Élu {i}") for i in range(3)]
    for token in citizens:
        await badge(server, token, "citizen")
    for token in elected:
        await badge(server, token, "elected")
    async with api(server, facilitator) as boss:
        vote = await open_vote(boss, subject={"kind": "charter"}, scale="simple", secret=True)
        url = f"{API}/votes/{vote['id']}"
        splits = []
        ballots = [*zip(citizens, ("for", "for", "against"), strict=True), (elected[0], "against")]
        for token, choice in ballots:
            async with api(server, token) as voter:
                await voter.put(f"{url}/ballot", json={"choice": choice})
            splits.append((await boss.get(url)).json()["by_badge"])
        three = {"citizen": {"for": 2, "against": 1, "abstain": 0}}
        # Then one elected official: his ballot would be known.
        assert splits == [None, None, three, None]
        for token in elected[1:]:
            async with api(server, token) as voter:
                await voter.put(f"{url}/ballot", json={"choice": "abstain"})
        seen = (await boss.get(url)).json()
        assert seen["by_badge"] == {
            "citizen": {"for": 2, "against": 1, "abstain": 0},
            "elected": {"for": 0, "against": 1, "abstain": 2},
        }
        public = await boss.post(f"{url}/close")
        assert public.json()["by_badge"] == seen["by_badge"]


async def test_a_vote_with_an_end_closes_itself(server: RunningServer, facilitator: str) -> None:
    awa = await make_token(server, "commenter", "Awa")
    async with (
        api(server, facilitator) as boss,
        api(server, awa) as her,
        HocuspocusClient(
            server.ws_url, [{"name": charter_channel(DEMO_SLUG), "token": awa}]
        ) as phone,
    ):
        await phone.wait(lambda e: e["event"] == "authenticated")
        since = phone.mark()
        vote = await open_vote(
            boss, subject={"kind": "charter"}, scale="simple", secret=False, duration_seconds=5
        )
        assert vote["closes_at"] is not None
        await her.put(f"{API}/votes/{vote['id']}/ballot", json={"choice": "abstain"})
        closed = await next_vote_event(phone, "closed", since, timeout=15)
        assert closed["vote"]["id"] == vote["id"]
        assert closed["vote"]["counts"] == {"for": 0, "against": 0, "abstain": 1}
        assert closed["vote"]["voters"] == [{"name": "Awa", "badge": None, "choice": "abstain"}]
        assert closed["vote"]["closed_at"] <= closed["vote"]["closes_at"]
        late = await her.put(f"{API}/votes/{vote['id']}/ballot", json={"choice": "for"})
        assert late.status_code == 409
        assert len([e for e in vote_events(phone, since) if e["event"] == "closed"]) == 1


async def test_the_text_changed_during_the_vote_is_recorded(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    async with api(server, facilitator) as boss:
        article = await new_article(boss)
        amendment = await propose(boss, article)
        vote = await open_vote(
            boss,
            subject={"kind": "bundle", "article": article["id"], "amendments": [amendment["id"]]},
            scale="consent",
            secret=True,
        )
        assert vote["subject"]["amendments"] == [amendment["id"]]
        async with PyClient(server.ws_url, article["document"], editor) as client:
            await client.synced.wait()
            client.text.insert(0, "Dès 2027, ")
            await until_server_has(server.base_url, article["document"], lambda t: "2027" in t)
        result = (await boss.post(f"{API}/votes/{vote['id']}/close")).json()
        assert result["text_changed"] is True
        assert result["version_after"] > result["version_before"]
        compare = await boss.get(
            f"{API}/compare",
            params={"from": result["version_before"], "to": result["version_after"]},
        )
        assert compare.status_code == 200 and compare.json()["words_added"] == 2
        page = await boss.get(f"/charters/{DEMO_SLUG}/versions")
        link = f"compare?from={result['version_before']}&amp;to={result['version_after']}"
        assert link in page.text
        # The article's "why" carries the vote on it (and only the votes on it or on all).
        why = (await boss.get(f"{API}/articles/{article['id']}/why?start=0&end=4")).json()
        assert [v["id"] for v in why["votes"]] == [vote["id"]]
        assert why["votes"][0]["text_changed"] is True
        other = (await boss.get(API)).json()["sections"][0]["articles"][0]["id"]
        elsewhere = (await boss.get(f"{API}/articles/{other}/why?start=0&end=4")).json()
        assert elsewhere["votes"] == []
        page = await boss.get(f"/charters/{DEMO_SLUG}/articles/{article['id']}/why?start=0&end=4")
        assert "Vote sur les amendements de l’article" in page.text and link in page.text


async def test_who_may_do_what_and_bad_input(server: RunningServer, facilitator: str) -> None:
    reader = await make_token(server, "reader", "Rita")
    awa = await make_token(server, "commenter", "Awa")
    async with (
        api(server, facilitator) as boss,
        api(server, reader) as rita,
        api(server, awa) as her,
        httpx.AsyncClient(base_url=server.base_url) as nobody,
    ):
        article = await new_article(boss)
        subject = {"kind": "article", "article": article["id"]}
        assert (await her.post(f"{API}/votes", json={"subject": subject})).status_code == 403
        bad = [
            ({"subject": {"kind": "poll"}}, "subject"),
            ({"subject": {"kind": "article", "article": "nope"}}, "subject"),
            ({"subject": {"kind": "bundle", "article": article["id"]}}, "subject"),
            (
                {"subject": {"kind": "bundle", "article": article["id"], "amendments": [999]}},
                "subject.amendments",
            ),
            ({"subject": subject, "scale": "majority"}, "scale"),
            ({"subject": subject, "secret": "yes"}, "secret"),
            ({"subject": subject, "duration_seconds": 1}, "duration_seconds"),
            ({"subject": subject, "duration_seconds": 10**6}, "duration_seconds"),
            ({"subject": subject, "question": "x" * 501}, "question"),
        ]
        for body, field in bad:
            refused = await boss.post(f"{API}/votes", json=body)
            assert refused.status_code == 422, body
            assert refused.json()["error"]["field"] == field, body
        # Two facilitators open at the same moment: one vote opens, the other hears why not.
        both = await asyncio.gather(
            boss.post(f"{API}/votes", json={"subject": subject, "scale": "simple"}),
            boss.post(f"{API}/votes", json={"subject": {"kind": "charter"}}),
        )
        assert sorted(r.status_code for r in both) == [201, 409], [r.text for r in both]
        vote = next(r.json() for r in both if r.status_code == 201)
        again = await boss.post(f"{API}/votes", json={"subject": {"kind": "charter"}})
        assert again.status_code == 409 and "already open" in again.json()["error"]["message"]
        url = f"{API}/votes/{vote['id']}"
        word = "agree" if vote["scale"] == "simple" else "for"  # a word of the other scale
        unknown = await her.put(f"{url}/ballot", json={"choice": word})
        assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "choice"
        assert (await her.put(f"{url}/ballot", json={})).status_code == 422
        assert (await rita.put(f"{url}/ballot", json={"choice": "for"})).status_code == 403
        assert (await nobody.put(f"{url}/ballot", json={"choice": "for"})).status_code == 401
        assert (await rita.post(f"{url}/close")).status_code == 403
        assert sum((await rita.get(url)).json()["counts"].values()) == 0
        assert (await her.get(f"{API}/votes/12345")).status_code == 404
        assert (await her.get(f"{API}/votes/abc")).status_code == 404
        await boss.post(f"{url}/close")
        closed = await her.put(f"{url}/ballot", json={"choice": vote["choices"][0]})
        assert closed.status_code == 409


async def test_the_projector_shows_a_vote(server: RunningServer, facilitator: str) -> None:
    async with api(server, facilitator) as boss:
        vote = await open_vote(boss, subject={"kind": "charter"}, scale="consent", secret=True)
        shown = await boss.put(
            f"{API}/projector", json={"article": None, "view": {"mode": "vote", "vote": vote["id"]}}
        )
        assert shown.status_code == 200, shown.text
        assert shown.json()["view"]["mode"] == "vote" and shown.json()["view"]["vote"] == vote["id"]
        charter = (await boss.get(API)).json()
        assert charter["projector_view"]["vote"] == vote["id"]
        wrong = await boss.put(
            f"{API}/projector", json={"article": None, "view": {"mode": "vote", "vote": 999}}
        )
        assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "view.vote"


async def test_a_vote_past_its_end_is_closed_after_a_restart(settings: Settings) -> None:
    """The server stops while a vote runs; started again after its end, the first read
    finds it closed (and a ballot is refused), its result kept."""
    async with running_server(settings) as server:
        boss = await make_token(server, "facilitator", "Animatrice")
        awa = await make_token(server, "commenter", "Awa")
        async with api(server, boss) as http, api(server, awa) as her:
            vote = await open_vote(http, subject={"kind": "charter"}, duration_seconds=5)
            cast = await her.put(f"{API}/votes/{vote['id']}/ballot", json={"choice": "agree"})
            assert cast.status_code == 200
    ends = time.time() + 5.2
    await wait_for(lambda: time.time() > ends, timeout=10, what="the vote's end")
    async with running_server(settings) as server, api(server, awa) as her:
        seen = (await her.get(f"{API}/votes/{vote['id']}")).json()
        assert seen["status"] == "closed" and seen["counts"]["agree"] == 1
        assert seen["mine"] == "agree"
        late = await her.put(f"{API}/votes/{vote['id']}/ballot", json={"choice": "objection"})
        assert late.status_code == 409


async def test_two_instances_close_a_vote_once_at_its_end(pg: str) -> None:
    """Two instances over PostgreSQL and Redis: a ballot cast on B counts on A's vote;
    both watch the end, one closes it, and each socket hears "closed" exactly once."""
    with Instances(pg, shared_redis()) as (a, b):
        boss = cli_token(pg, "facilitator", "Animatrice")
        awa = cli_token(pg, "commenter", "Awa")
        channel = charter_channel(DEMO_SLUG)
        async with (
            HocuspocusClient(a.ws_url, [{"name": channel, "token": awa}]) as on_a,
            HocuspocusClient(b.ws_url, [{"name": channel, "token": awa}]) as on_b,
            httpx.AsyncClient(base_url=a.base_url, headers=bearer(boss)) as via_a,
            httpx.AsyncClient(base_url=b.base_url, headers=bearer(awa)) as via_b,
        ):
            for watcher in (on_a, on_b):
                await watcher.wait(lambda e: e["event"] == "synced" and e["doc"] == channel)
            vote = await open_vote(via_a, subject={"kind": "charter"}, duration_seconds=5)
            cast = await via_b.put(f"{API}/votes/{vote['id']}/ballot", json={"choice": "agree"})
            assert cast.status_code == 200 and cast.json()["counts"]["agree"] == 1
            for watcher in (on_a, on_b):
                closed = await next_vote_event(watcher, "closed", 0, timeout=15)
                assert closed["vote"]["counts"] == {"agree": 1, "live_with": 0, "objection": 0}
            await asyncio.sleep(1.5)  # both instances' next rounds have passed: nothing more
            for watcher in (on_a, on_b):
                assert [e["event"] for e in vote_events(watcher)] == ["opened", "ballot", "closed"]
        assert await scalar(pg, "SELECT COUNT(*) FROM votes WHERE status = 'closed'") == 1
