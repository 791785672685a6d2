"""Amendments over the real server: forks edited live, merged into a text that changed
meanwhile, conflicts, votes, the life cycle and the "amendments only" phase."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from server.domain.demo import DEMO_SLUG
from server.live.keys import RoomKey
from server.settings import Settings
from tests.databases import scalar
from tests.hpdriver import HocuspocusClient
from tests.support import (
    PyClient,
    RunningServer,
    make_token,
    running_server,
    until_server_has,
    wait_for,
)

API = f"/api/charters/{DEMO_SLUG}"
TEXT = (
    "La ville publie ses données. "
    "Chaque habitant peut proposer une idée. "
    "Les élus répondent sous un mois."
)


@asynccontextmanager
async def api(server: RunningServer, token: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        yield http


async def new_article(http: httpx.AsyncClient, text: str = TEXT) -> dict[str, Any]:
    """An article with a known text, added by the facilitator behind ``http``."""
    charter = (await http.get(API)).json()
    section = charter["sections"][0]["id"]
    made = await http.post(
        f"{API}/sections/{section}/articles", json={"title": "Essai", "markdown": text}
    )
    assert made.status_code == 201, made.text
    article: dict[str, Any] = made.json()
    return article


def replace(client: PyClient, old: str, new: str) -> None:
    """A client's edit: delete ``old`` and type ``new`` in its place (pycrdt indices are bytes)."""
    value = client.value()
    index = value.index(old)
    start = len(value[:index].encode())
    with client.doc.transaction():
        del client.text[start : start + len(old.encode())]
        if new:
            client.text.insert(start, new)


async def propose(
    http: httpx.AsyncClient, article: dict[str, Any], title: str = "Plus vite"
) -> dict[str, Any]:
    made = await http.post(
        f"{API}/articles/{article['id']}/amendments",
        json={"title": title, "rationale": "Un mois, c’est trop long pour les habitants."},
    )
    assert made.status_code == 201, made.text
    found: dict[str, Any] = made.json()
    return found


async def edit_fork(
    server: RunningServer, token: str, amendment: dict[str, Any], old: str, new: str
) -> None:
    async with PyClient(server.ws_url, amendment["document"], token) as fork:
        await fork.wait_text(lambda t: old in t)
        replace(fork, old, new)
        await _until_fork_has(server, amendment, new)


async def _until_fork_has(server: RunningServer, amendment: dict[str, Any], new: str) -> None:
    room_doc = None
    for _ in range(500):
        room = server.services.registry.get_loaded(
            RoomKey.document(await scalar_document(server, amendment["id"]))
        )
        room_doc = room.doc.text() if room else None
        if room_doc is not None and new in room_doc:
            await server.services.store.flush()
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the fork never read {new!r}: {room_doc!r}")


async def scalar_document(server: RunningServer, amendment_id: int) -> int:
    record = await server.services.amendments.get(
        (await server.services.repo.get_charter(DEMO_SLUG)).id, amendment_id
    )
    return record.document_id


async def test_an_amendment_lands_in_an_article_edited_since_and_editors_see_it_live(
    server: RunningServer, facilitator: str, editor: str, database_url: str
) -> None:
    citizen = await make_token(server, "commenter", "Citoyenne")
    async with api(server, facilitator) as boss, api(server, citizen) as her:
        article = await new_article(boss)
        amendment = await propose(her, article)
        assert amendment["status"] == "open" and amendment["author"] == "Citoyenne"
        await edit_fork(server, citizen, amendment, "sous un mois", "sous quinze jours")

        async with PyClient(server.ws_url, article["document"], editor) as live:
            await live.wait_text(lambda t: "ses données" in t)
            replace(live, "ses données", "toutes ses données ouvertes")  # edited meanwhile
            await until_server_has(server.base_url, article["document"], lambda t: "ouvertes" in t)

            review = (await her.get(f"{API}/amendments/{amendment['id']}")).json()["review"]
            assert review["conflicts"] == {"live": [], "amendments": []}
            assert {"kind": "insert", "text": " quinze jours"} in review["change"] or any(
                h["kind"] == "insert" and "quinze" in h["text"] for h in review["change"]
            )

            accepted = await boss.post(f"{API}/amendments/{amendment['id']}/accept", json={})
            assert accepted.status_code == 200, accepted.text
            decided = accepted.json()
            assert decided["status"] == "accepted"
            final = (
                "La ville publie toutes ses données ouvertes. "
                "Chaque habitant peut proposer une idée. "
                "Les élus répondent sous quinze jours."
            )
            # the connected editor sees it without reconnecting
            await live.wait_text(lambda t: t.strip() == final)
        assert (
            await until_server_has(server.base_url, article["document"], lambda t: "quinze" in t)
        ).strip() == final

        # a version just before and just after, and the merged update kept for audit
        before = (await boss.get(f"{API}/versions/{decided['version_before']}")).json()
        after = (await boss.get(f"{API}/versions/{decided['version_after']}")).json()
        text_of = lambda v: next(a["text"] for a in v["articles"] if a["id"] == article["id"])  # noqa: E731
        assert "sous un mois" in text_of(before) and "ouvertes" in text_of(before)
        assert text_of(after).strip() == final
        title = amendment["title"]
        assert (before["label"], after["label"]) == (
            f"Avant l’amendement «\u00a0{title}\u00a0»",
            f"Après l’amendement «\u00a0{title}\u00a0»",
        )
        merged = await scalar(
            database_url,
            f"SELECT length(merged_update) FROM amendments WHERE id = {amendment['id']}",
        )
        assert merged and merged > 0
        assert [h["status"] for h in decided["history"]] == ["open", "accepted"]


async def test_two_amendments_from_the_same_base_are_both_kept(
    server: RunningServer, facilitator: str
) -> None:
    """Accepting the second must not undo the first (the Decidim failure)."""
    one = await make_token(server, "commenter", "Un")
    two = await make_token(server, "editor", "Deux")
    async with api(server, facilitator) as boss, api(server, one) as a, api(server, two) as b:
        article = await new_article(boss)
        first = await propose(a, article, "Pétitions")
        second = await propose(b, article, "Parité")
        await edit_fork(server, one, first, "une idée", "une idée ou une pétition")
        await edit_fork(server, two, second, "Les élus", "Les élues et les élus")
        for amendment in (first, second):
            done = await boss.post(f"{API}/amendments/{amendment['id']}/accept", json={})
            assert done.status_code == 200, done.text
        text = await until_server_has(server.base_url, article["document"], lambda t: "élues" in t)
        assert "une idée ou une pétition" in text
        assert "Les élues et les élus répondent" in text


async def test_rewriting_a_sentence_deleted_live_is_reported_before_accept(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    citizen = await make_token(server, "commenter", "Citoyen")
    async with api(server, facilitator) as boss, api(server, citizen) as him:
        article = await new_article(boss)
        amendment = await propose(him, article, "Voter")
        other = await propose(him, article, "Autre idée")
        await edit_fork(server, citizen, amendment, "peut proposer une idée", "peut voter")
        await edit_fork(server, citizen, other, "une idée", "une initiative")
        async with PyClient(server.ws_url, article["document"], editor) as live:
            await live.wait_text(lambda t: "Chaque habitant" in t)
            replace(live, "Chaque habitant peut proposer une idée. ", "")
            await until_server_has(
                server.base_url, article["document"], lambda t: "Chaque" not in t
            )
        review = (await boss.get(f"{API}/amendments/{amendment['id']}")).json()["review"]
        live_conflicts = review["conflicts"]["live"]
        assert len(live_conflicts) == 1
        assert "proposer une idée" in live_conflicts[0]["base"]
        assert "voter" in live_conflicts[0]["amendment"]
        assert live_conflicts[0]["other"] == ""
        # the other open amendment rewrites the same words: reported too, with its id
        clashes = review["conflicts"]["amendments"]
        assert [c["id"] for c in clashes] == [other["id"]]


async def test_votes_one_per_participant_changeable_while_open_refused_when_closed(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    voter = await make_token(server, "commenter", "Votante")
    reader = await make_token(server, "reader", "Lecteur")
    async with (
        api(server, facilitator) as boss,
        api(server, voter) as her,
        api(server, editor) as ed,
        api(server, reader) as him,
    ):
        article = await new_article(boss)
        amendment = await propose(ed, article)
        url = f"{API}/amendments/{amendment['id']}/vote"
        assert (await her.put(url, json={"choice": "for"})).json()["votes"] == {
            "for": 1,
            "against": 0,
            "abstain": 0,
        }
        changed = (await her.put(url, json={"choice": "against"})).json()
        assert changed["votes"] == {"for": 0, "against": 1, "abstain": 0}
        assert changed["voters"] == [{"name": "Votante", "choice": "against", "badge": None}]
        both = (await ed.put(url, json={"choice": "abstain"})).json()
        assert both["votes"] == {"for": 0, "against": 1, "abstain": 1}

        refused = await him.put(url, json={"choice": "for"})
        assert refused.status_code == 403
        bad = await her.put(url, json={"choice": "peut-être"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "choice"

        no_reason = await boss.post(f"{API}/amendments/{amendment['id']}/reject", json={})
        assert no_reason.status_code == 422 and no_reason.json()["error"]["field"] == "reason"
        rejected = await boss.post(
            f"{API}/amendments/{amendment['id']}/reject", json={"reason": "Hors sujet"}
        )
        assert rejected.json()["status"] == "rejected"
        assert rejected.json()["history"][-1]["reason"] == "Hors sujet"
        closed = await her.put(url, json={"choice": "for"})
        assert closed.status_code == 409
        after = (await her.get(f"{API}/amendments/{amendment['id']}")).json()
        assert after["votes"] == {"for": 0, "against": 1, "abstain": 1}  # nothing changed
        # still readable, and cannot be accepted any more
        again = await boss.post(f"{API}/amendments/{amendment['id']}/accept", json={})
        assert again.status_code == 409


async def test_the_fork_is_written_by_its_authors_only_and_closes_when_decided(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    author = await make_token(server, "commenter", "Autrice")
    async with api(server, facilitator) as boss, api(server, author) as her:
        article = await new_article(boss)
        amendment = await propose(her, article)
        document_id = await scalar_document(server, amendment["id"])
        # an editor who is not an author: the write is refused, the fork unchanged
        async with PyClient(server.ws_url, amendment["document"], editor) as stranger:
            await stranger.wait_text(lambda t: "ses données" in t)
            replace(stranger, "ses données", "PAS MOI")
            await asyncio.wait_for(stranger.closed.wait(), 10)  # the refusal itself
            assert stranger.close_code == 4403
        await edit_fork(server, author, amendment, "sous un mois", "sous huit jours")
        room = server.services.registry.get_loaded(RoomKey.document(document_id))
        assert room is not None and "PAS MOI" not in room.doc.text()
        # a co-author invited by the author may write
        async with api(server, editor) as ed:
            editor_id = (await ed.get(f"{API}/me")).json()["participant_id"]
        invited = await her.post(
            f"{API}/amendments/{amendment['id']}/authors", json={"participant_id": editor_id}
        )
        assert invited.status_code == 200, invited.text
        await edit_fork(server, editor, amendment, "publie", "publie chaque mois")
        # withdrawn: nobody writes any more, and it stays readable
        gone = await her.post(f"{API}/amendments/{amendment['id']}/withdraw", json={})
        assert gone.json()["status"] == "withdrawn"
        async with PyClient(server.ws_url, amendment["document"], author) as late:
            await late.wait_text(lambda t: "huit jours" in t)
            replace(late, "huit jours", "trois jours")
            await asyncio.wait_for(late.closed.wait(), 10)  # the refusal itself
            assert late.close_code == 4403
        room = server.services.registry.get_loaded(RoomKey.document(document_id))
        assert room is not None and "trois jours" not in room.doc.text()
        listed = (await boss.get(f"{API}/amendments", params={"status": "withdrawn"})).json()
        assert [a["id"] for a in listed["amendments"]] == [amendment["id"]]


async def test_amendments_only_phase_refuses_editors_but_not_facilitators(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    async with api(server, facilitator) as boss, api(server, editor) as ed:
        article = await new_article(boss)
        async with PyClient(server.ws_url, article["document"], editor) as writer:
            await writer.wait_text(lambda t: "ses données" in t)
            set_phase = await boss.put(f"{API}/phase", json={"phase": "amendments"})
            assert set_phase.status_code == 200
            shown = (await ed.get(f"{API}")).json()
            assert shown["phase"] == "amendments"
            assert all(a["phase"] == "amendments" for s in shown["sections"] for a in s["articles"])
            replace(writer, "ses données", "REFUSÉ")  # already connected: refused now
            async with PyClient(server.ws_url, article["document"], facilitator) as boss_live:
                await boss_live.wait_text(lambda t: "ses données" in t)
                replace(boss_live, "Les élus", "Les élus du conseil")
                await until_server_has(
                    server.base_url, article["document"], lambda t: "du conseil" in t
                )
        text = await until_server_has(server.base_url, article["document"], lambda t: True)
        assert "REFUSÉ" not in text and "du conseil" in text
        # the editor proposes an amendment instead
        assert (await propose(ed, article))["status"] == "open"
        # an article can be opened again on its own while the charter stays closed
        opened = await boss.put(f"{API}/articles/{article['id']}/phase", json={"phase": "open"})
        assert opened.status_code == 200
        shown = (await ed.get(f"{API}")).json()
        phases = {a["id"]: a["phase"] for s in shown["sections"] for a in s["articles"]}
        assert phases.pop(article["id"]) == "open"
        assert set(phases.values()) == {"amendments"}
        async with PyClient(server.ws_url, article["document"], editor) as writer:
            await writer.wait_text(lambda t: "du conseil" in t)
            replace(writer, "publie", "publie librement")
            await until_server_has(server.base_url, article["document"], lambda t: "librement" in t)
        bad = await boss.put(f"{API}/phase", json={"phase": "fermé"})
        assert bad.status_code == 422


async def test_bad_input_changes_nothing(
    server: RunningServer, facilitator: str, database_url: str
) -> None:
    reader = await make_token(server, "reader", "Lecteur")
    async with api(server, facilitator) as boss, api(server, reader) as him:
        article = await new_article(boss)
        url = f"{API}/articles/{article['id']}/amendments"
        assert (await him.post(url, json={"title": "T", "rationale": "R"})).status_code == 403
        missing = await boss.post(url, json={"title": "T"})
        assert missing.status_code == 422 and missing.json()["error"]["field"] == "rationale"
        empty = await boss.post(url, json={"title": "  ", "rationale": "R"})
        assert empty.status_code == 422 and empty.json()["error"]["field"] == "title"
        long = await boss.post(url, json={"title": "x" * 201, "rationale": "R"})
        assert long.status_code == 422
        unknown = await boss.get(f"{API}/amendments/999999")
        assert unknown.status_code == 404
        assert (await boss.get(f"{API}/amendments/abc")).status_code == 404
        earlier = await propose(boss, article)
        # the article is deleted: no new amendment to it, and an open one cannot land
        deleted = await boss.delete(f"{API}/articles/{article['id']}")
        assert deleted.status_code in (200, 204), deleted.text
        gone = await boss.post(url, json={"title": "T", "rationale": "R"})
        assert gone.status_code == 404
        refused = await boss.post(f"{API}/amendments/{earlier['id']}/accept", json={})
        assert refused.status_code == 409 and "deleted" in refused.json()["error"]["message"]
        assert await scalar(database_url, "SELECT count(*) FROM amendments") == 1
        assert await scalar(database_url, "SELECT status FROM amendments") == "open"
        assert await scalar(database_url, "SELECT count(*) FROM versions") == 0
        # still readable, with its article marked deleted
        kept = (await boss.get(f"{API}/amendments/{earlier['id']}")).json()
        assert kept["article"]["deleted"] is True


async def test_amendments_only_phase_over_collab_with_the_hocuspocus_provider(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    """The same rule over /collab: the editor is told "readonly" and an edit is refused
    (SyncStatus false, nothing stored); a facilitator's edit goes through."""
    async with api(server, facilitator) as boss:
        article = await new_article(boss)
        assert (await boss.put(f"{API}/phase", json={"phase": "amendments"})).status_code == 200
    doc = article["document"]
    async with (
        HocuspocusClient(server.ws_url, [{"name": doc, "token": editor}]) as ed,
        HocuspocusClient(server.ws_url, [{"name": doc, "token": facilitator}]) as fac,
    ):
        assert (await ed.wait(lambda e: e["event"] == "authenticated"))["scope"] == "readonly"
        assert (await fac.wait(lambda e: e["event"] == "authenticated"))["scope"] == "read-write"
        await ed.wait(lambda e: e["event"] == "synced")
        await fac.wait(lambda e: e["event"] == "synced")
        since = ed.mark()
        await ed.send({"cmd": "insert", "doc": doc, "index": 0, "text": "[refusé] "})
        # (an earlier acknowledgement of the provider's own sync step 2 may come first)
        refused = await ed.wait(
            lambda e: e["event"] == "syncStatus" and e["applied"] is False, since=since
        )
        assert refused["doc"] == doc
        await fac.send({"cmd": "insert", "doc": doc, "index": 0, "text": "[accepté] "})
        text = await until_server_has(server.base_url, doc, lambda t: "[accepté]" in t)
        assert "[refusé]" not in text


async def test_accepting_with_nobody_connected_leaves_no_room_loaded(settings: Settings) -> None:
    """The server's own edit unloads the room it opened, once idle: an accepted amendment
    used to leave the article's room loaded for ever when nobody was connected."""
    async with running_server(settings.with_overrides(idle_unload_seconds=0.2)) as server:
        facilitator = await make_token(server, "facilitator", "Animatrice")
        citizen = await make_token(server, "commenter", "Citoyenne")
        async with api(server, facilitator) as boss, api(server, citizen) as her:
            article = await new_article(boss)
            amendment = await propose(her, article)
            await edit_fork(server, citizen, amendment, "sous un mois", "sous quinze jours")
            await wait_for(lambda: not server.services.registry.loaded(), what="fork unloaded")
            accepted = await boss.post(f"{API}/amendments/{amendment['id']}/accept", json={})
            assert accepted.status_code == 200, accepted.text
        await wait_for(lambda: not server.services.registry.loaded(), what="article unloaded")
        text = await until_server_has(server.base_url, article["document"], lambda t: "quinze" in t)
        assert "sous quinze jours" in text


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"choose": "amendment"}, "sous une semaine."),
        ({"choose": "live"}, "sous un trimestre."),
        ({"choose": "text", "text": "deux fois par an"}, "sous deux fois par an."),
    ],
    ids=["amendment", "live", "text"],
)
async def test_accepting_a_conflicting_amendment_never_glues_two_texts(
    server: RunningServer, facilitator: str, editor: str, choice: dict[str, str], expected: str
) -> None:
    """The amendment made « un mois » « une semaine » while the live text made it « un
    trimestre »: accepting merged both, glued. Now the facilitator chooses the words for
    each conflict; without a choice the accept is refused."""
    citizen = await make_token(server, "commenter", "Citoyenne")
    async with api(server, facilitator) as boss, api(server, citizen) as her:
        article = await new_article(boss)
        amendment = await propose(her, article, "Plus souvent")
        await edit_fork(server, citizen, amendment, "sous un mois", "sous une semaine")
        async with PyClient(server.ws_url, article["document"], editor) as live:
            await live.wait_text(lambda t: "sous un mois" in t)
            replace(live, "sous un mois", "sous un trimestre")
            replace(live, "La ville", "La Ville")  # elsewhere: kept whatever is chosen
            await until_server_has(server.base_url, article["document"], lambda t: "Ville" in t)
        review = (await boss.get(f"{API}/amendments/{amendment['id']}")).json()["review"]
        [conflict] = review["conflicts"]["live"]
        assert (conflict["base"], conflict["amendment"], conflict["other"]) == (
            "un mois",
            "une semaine",
            "un trimestre",
        )
        url = f"{API}/amendments/{amendment['id']}/accept"
        refused = await boss.post(url, json={})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == "resolutions"
        accepted = await boss.post(url, json={"resolutions": [choice]})
        assert accepted.status_code == 200, accepted.text
        text = await until_server_has(
            server.base_url, article["document"], lambda t: t.rstrip().endswith(expected)
        )
    assert text.rstrip() == (
        "La Ville publie ses données. Chaque habitant peut proposer une idée. "
        f"Les élus répondent {expected}"
    )
