"""Who wrote what: every character keeps its author (the participant who first sent its Yjs
client) through concurrent typing, compaction and a restart, a restored version (written by
the server for a facilitator, the words keep their authors) and an accepted amendment (its
words keep whoever typed them, by way of the amendment); on both databases."""

from __future__ import annotations

import asyncio
from base64 import b64encode
from typing import Any

import httpx
from sqlalchemy import text

from crdt.article import ArticleDoc
from crdt.authors import Authorship, Origin, character_ids, runs, word_ids
from crdt.relpos import RelPos
from persistence.engine import make_engine, migrate
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    make_token,
    running_server,
    server_text,
    until_server_has,
)
from tests.test_amendments import edit_fork

API = f"/api/charters/{DEMO_SLUG}"


def participant(token: str) -> int:
    return int(token.split(".", 1)[0])


async def badge(server: RunningServer, token: str, value: str) -> None:
    charter = await server.services.repo.get_charter(DEMO_SLUG)
    await server.services.people.update_participant(charter.id, participant(token), badge=value)


def who_wrote(authors: dict[str, Any], text: str, words: str) -> set[str]:
    """The authors of the characters of ``words`` (found once in ``text``)."""
    names = {p["id"]: p["name"] for p in authors["people"]}
    start = len(text[: text.index(words)].encode("utf-16-le")) // 2
    end = start + len(words.encode("utf-16-le")) // 2
    return {
        names.get(r["participant"], "?")
        for r in authors["runs"]
        if r["start"] < end and r["end"] > start
    }


async def first_article(http: httpx.AsyncClient) -> dict[str, Any]:
    article: dict[str, Any] = (await http.get(API)).json()["sections"][0]["articles"][0]
    return article


def test_characters_and_words_keep_their_authors() -> None:
    """Pure: « très » typed by client 22 inside client 11's sentence, an emoji counted as
    two UTF-16 units; a word counts for whoever began it."""
    a, b = ArticleDoc(client_id=11), ArticleDoc(client_id=22)
    a.edit(lambda t: t.insert(0, "Données ouvertes 😀 pour tous."))
    b.apply(a.full_update())
    b.edit(lambda t: t.insert(len("Données ".encode()), "très "))
    a.apply(b.update_since(a.state_vector()))
    assert a.text() == "Données très ouvertes 😀 pour tous."
    authorship = Authorship(clients={11: Origin(1), 22: Origin(2)})
    found = runs(character_ids(a.full_update()), authorship)
    assert [(r.start, r.end, r.origin.participant_id) for r in found] == [
        (0, 8, 1),
        (8, 13, 2),
        (13, 35, 1),
    ]
    words = [authorship.origin(*i).participant_id for i in word_ids(a.full_update())]
    assert words == [1, 2, 1, 1, 1]  # Données très ouvertes (😀 is no word) pour tous


async def test_three_people_typing_at_once_each_keep_their_words(
    server: RunningServer, facilitator: str
) -> None:
    tokens = {
        "Awa": await make_token(server, "editor", "Awa"),
        "Bruno": await make_token(server, "editor", "Bruno"),
        "Chloé": await make_token(server, "editor", "Chloé"),
    }
    await badge(server, tokens["Awa"], "citizen")
    await badge(server, tokens["Bruno"], "elected")
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article = await first_article(http)
        name = article["document"]
        clients = [PyClient(server.ws_url, name, tokens[n]) for n in tokens]
        for client in clients:
            await client.connect()
        words = {
            "Awa": " Awa écrit ici.",
            "Bruno": " Bruno répond là.",
            "Chloé": " Chloé ajoute émoji😀.",
        }
        # Each types a word at a time at the end of the text, all three at once.
        for client in clients:
            await client.synced.wait()
        for step in range(3):
            for client, sentence in zip(clients, words.values(), strict=True):
                client.text.insert(len(client.text), " " + sentence.split(" ")[step + 1])
            await asyncio.sleep(0.05)
        text = await until_server_has(
            server.base_url, name, lambda t: all(w in t for w in ("ici.", "là.", "😀."))
        )
        for client in clients:
            await client.disconnect()
        await server.services.store.flush()
        authors = (await http.get(f"{API}/articles/{article['id']}/authors")).json()
        for who in tokens:
            for word in words[who].split():
                assert who_wrote(authors, text, word) == {who}, (who, word)
        summary = authors["summary"]
        assert summary["by_badge"]["citizen"] == 3  # Awa's three words
        assert summary["by_badge"]["elected"] == 3
        by_person = {p["name"]: p["words"] for p in summary["by_person"]}
        assert by_person["Awa"] == by_person["Bruno"] == by_person["Chloé"] == 3
        assert summary["by_way"]["amendment"] == 0
        charter = (await http.get(f"{API}/authors")).json()
        assert charter["summary"]["by_badge"]["citizen"] >= 3
        assert any(a["id"] == article["id"] for a in charter["articles"])


async def test_authors_survive_compaction_and_a_restart(settings: Settings) -> None:
    async with running_server(settings) as server:
        awa = await make_token(server, "editor", "Awa")
        facilitator = await make_token(server, "facilitator", "Fanny")
        headers = {"authorization": f"Bearer {facilitator}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
            article = await first_article(http)
            async with PyClient(server.ws_url, article["document"], awa) as client:
                client.text.insert(0, "Écrit par Awa. ")
                await until_server_has(
                    server.base_url, article["document"], lambda t: t.startswith("Écrit par")
                )
            await server.services.store.flush()
            document_id = (await server.services.repo.get_charter(DEMO_SLUG)).sections[0]
            document_id = document_id.articles[0].document_id
            assert await server.services.store.compact(document_id) > 0
            before = (await http.get(f"{API}/articles/{article['id']}/authors")).json()
    async with running_server(settings) as server:
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
            after = (await http.get(f"{API}/articles/{article['id']}/authors")).json()
    assert after["runs"] == before["runs"]
    assert after["runs"][0] == {
        "start": 0,
        "end": len("Écrit par Awa. "),
        "participant": participant(awa),
        "amendment": None,
    }
    assert after["summary"]["by_person"][0]["name"] == "Awa"


async def test_a_restored_version_keeps_the_words_authors(
    server: RunningServer, facilitator: str
) -> None:
    """The facilitator restores a version: the server writes the words back, on her behalf;
    they are still Awa's."""
    awa = await make_token(server, "editor", "Awa")
    bruno = await make_token(server, "editor", "Bruno")
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article = await first_article(http)
        name = article["document"]
        async with PyClient(server.ws_url, name, awa) as client:
            client.text.insert(0, "Les séances sont filmées. ")
            await until_server_has(server.base_url, name, lambda t: t.startswith("Les séances"))
        version = (await http.post(f"{API}/versions", json={"label": "Atelier 2"})).json()
        async with PyClient(server.ws_url, name, bruno) as client:
            await client.synced.wait()
            del client.text[0 : len("Les séances sont filmées. ".encode())]
            client.text.insert(0, "Rien. ")
            await until_server_has(server.base_url, name, lambda t: t.startswith("Rien. "))
        restored = await http.post(
            f"{API}/articles/{article['id']}/restore", json={"version": version["id"]}
        )
        assert restored.status_code == 200, restored.text
        text = await until_server_has(server.base_url, name, lambda t: t.startswith("Les séances"))
        await server.services.store.flush()
        authors = (await http.get(f"{API}/articles/{article['id']}/authors")).json()
    assert who_wrote(authors, text, "Les séances sont filmées.") == {"Awa"}
    assert "Bruno" not in {p["name"] for p in authors["summary"]["by_person"]}


async def test_an_accepted_amendments_words_keep_whoever_typed_them(
    server: RunningServer, facilitator: str
) -> None:
    """Chloé, a co-author, types in the amendment's text; once accepted, those words are
    hers, by way of the amendment."""
    dora = await make_token(server, "editor", "Dora")
    chloe = await make_token(server, "editor", "Chloé")
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        as_dora = {"authorization": f"Bearer {dora}"}
        article = await first_article(http)
        made = await http.post(
            f"{API}/articles/{article['id']}/amendments",
            json={"title": "Publier", "rationale": "Parce que.", "open": True},
            headers=as_dora,
        )
        assert made.status_code == 201, made.text
        amendment = made.json()
        invited = await http.post(
            f"{API}/amendments/{amendment['id']}/authors",
            json={"participant_id": participant(chloe)},
            headers=as_dora,
        )
        assert invited.status_code in (200, 201), invited.text
        # Chloé changes the last word of the article's first sentence into a longer ending.
        base = await server_text(server.base_url, article["document"])
        last = base.split(".")[0].split()[-1]
        await edit_fork(server, chloe, amendment, last, f"{last}, publiées chaque mois")
        accepted = await http.post(f"{API}/amendments/{amendment['id']}/accept", json={})
        assert accepted.status_code == 200, accepted.text
        text = await until_server_has(
            server.base_url, article["document"], lambda t: "chaque mois" in t
        )
        authors = (await http.get(f"{API}/articles/{article['id']}/authors")).json()
    assert who_wrote(authors, text, "publiées chaque mois") == {"Chloé"}
    assert authors["summary"]["by_way"]["amendment"] == 4  # her words, and the one retyped
    runs_of_chloe = [r for r in authors["runs"] if r["participant"] == participant(chloe)]
    assert runs_of_chloe and all(r["amendment"] == amendment["id"] for r in runs_of_chloe)


async def test_the_reading_view_and_the_open_data_say_who_wrote_the_words(
    server: RunningServer, facilitator: str
) -> None:
    awa = await make_token(server, "editor", "Awa")
    bruno = await make_token(server, "editor", "Bruno")
    await badge(server, awa, "citizen")
    await badge(server, bruno, "elected")
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article = await first_article(http)
        name = article["document"]
        async with PyClient(server.ws_url, name, awa) as client:
            await client.synced.wait()
            client.text.clear()
            client.text.insert(0, "Les élus rendent compte chaque année.")
            await until_server_has(server.base_url, name, lambda t: t.startswith("Les élus"))
        version = (await http.post(f"{API}/versions", json={"label": "Avant Bruno"})).json()
        async with PyClient(server.ws_url, name, bruno) as client:
            await client.synced.wait()
            client.text.insert(len(client.text), " Devant le conseil.")
            await until_server_has(server.base_url, name, lambda t: t.endswith("conseil."))
        await server.services.store.flush()

        page = await http.get(f"/charters/{DEMO_SLUG}/read", headers={"accept-language": "fr"})
        assert page.status_code == 200
        # 6 words by Awa, 3 by Bruno in this article.
        assert (
            "Mots écrits par des citoyen·nes\u00a0: 67\u00a0%, des élu·es\u00a0: 33\u00a0%"
            in page.text
        )
        live = (await http.get(f"{API}/export", params={"format": "json"})).json()
        mine = live["sections"][0]["articles"][0]["authors"]
        assert mine["by_badge"] == {"citizen": 6, "elected": 3, "organiser": 0, "none": 0}
        assert {p["name"] for p in mine["by_person"]} == {"Awa", "Bruno"}
        assert "id" not in mine["by_person"][0]  # open data: names and badges only
        assert live["authors"]["by_badge"]["citizen"] >= 6
        old = (
            await http.get(f"{API}/export", params={"format": "json", "version": version["id"]})
        ).json()
        then = old["sections"][0]["articles"][0]["authors"]
        assert then["by_badge"]["citizen"] == 6 and then["by_badge"]["elected"] == 0

        # The comparison page says it of the text compared to; the reading view links each
        # article to its place in the annex of origins.
        compared = await http.get(
            f"/charters/{DEMO_SLUG}/compare",
            params={"from": version["id"], "to": "live"},
            headers={"accept-language": "fr"},
        )
        assert "des élu·es\u00a0: 33\u00a0%" in compared.text
        key = article["id"]
        assert f"annex=origins#origins-{key}" in page.text
        annex = await http.get(f"{API}/export", params={"format": "html", "annex": "origins"})
        assert f'id="origins-{key}"' in annex.text


def units(text: str, words: str) -> tuple[int, int]:
    """Where ``words`` stand in ``text``, in UTF-16 units."""
    start = len(text[: text.index(words)].encode("utf-16-le")) // 2
    return start, start + len(words.encode("utf-16-le")) // 2


async def test_why_a_passage_is_there_its_authors_amendment_workshop_and_discussions(
    server: RunningServer, facilitator: str
) -> None:
    awa = await make_token(server, "editor", "Awa")
    dora = await make_token(server, "editor", "Dora")
    chloe = await make_token(server, "editor", "Chloé")
    bruno = await make_token(server, "commenter", "Bruno")
    await badge(server, chloe, "citizen")
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article = await first_article(http)
        name, key = article["document"], article["id"]
        async with PyClient(server.ws_url, name, awa) as client:
            await client.synced.wait()
            client.text.clear()
            client.text.insert(0, "Les séances du conseil sont filmées. Les votes sont publics.")
            await until_server_has(server.base_url, name, lambda t: t.startswith("Les séances"))
        await http.post(f"{API}/versions", json={"label": "Après l’atelier Imaginer"})

        # Chloé, Dora's co-author, writes the amendment; the facilitator accepts it.
        as_dora = {"authorization": f"Bearer {dora}"}
        amendment = (
            await http.post(
                f"{API}/articles/{key}/amendments",
                json={"title": "Publier les vidéos", "rationale": "Pour tous.", "open": True},
                headers=as_dora,
            )
        ).json()
        await http.post(
            f"{API}/amendments/{amendment['id']}/authors",
            json={"participant_id": participant(chloe)},
            headers=as_dora,
        )
        await edit_fork(server, chloe, amendment, "filmées.", "filmées et publiées.")
        accepted = await http.post(f"{API}/amendments/{amendment['id']}/accept", json={})
        assert accepted.status_code == 200, accepted.text
        text = await until_server_has(server.base_url, name, lambda t: "et publiées" in t)
        await http.post(f"{API}/versions", json={"label": "Après l’atelier Construire"})

        # Bruno opens a discussion on « publiées ».
        charter = await server.services.repo.get_charter(DEMO_SLUG)
        live = await server.services.article_doc(charter.sections[0].articles[0].document_id)
        ids = character_ids(live.full_update())
        start, end = units(text, "publiées")
        anchor = {
            "start": b64encode(RelPos(*ids[start], 0).encode()).decode(),
            "end": b64encode(RelPos(*ids[end - 1], -1).encode()).decode(),
            "quote": "publiées",
        }
        thread = await http.post(
            f"{API}/articles/{key}/threads",
            json={"body": "Sur quel site ?", "anchor": anchor},
            headers={"authorization": f"Bearer {bruno}"},
        )
        assert thread.status_code == 201, thread.text

        start, end = units(text, "et publiées")
        why = (
            await http.get(f"{API}/articles/{key}/why", params={"start": start, "end": end})
        ).json()
        assert why["passage"]["text"] == "et publiées"
        assert [p["name"] for p in why["people"]] == ["Chloé"]
        assert why["people"][0]["badge"] == "citizen"
        assert [a["title"] for a in why["amendments"]] == ["Publier les vidéos"]
        assert why["amendments"][0]["status"] == "accepted"
        assert why["amendments"][0]["rationale"] == "Pour tous."
        assert why["first_version"]["label"] == "Après l’atelier Construire"
        assert [(t["quote"], t["author"], t["comments"]) for t in why["threads"]] == [
            ("publiées", "Bruno", 1)
        ]

        # A caret in the second sentence: that sentence, Awa's since the first workshop.
        start, _ = units(text, "votes")
        why = (await http.get(f"{API}/articles/{key}/why", params={"start": start})).json()
        assert why["passage"]["text"] == "Les votes sont publics."
        assert [p["name"] for p in why["people"]] == ["Awa"]
        assert why["amendments"] == [] and why["threads"] == []
        assert why["first_version"]["label"] == "Après l’atelier Imaginer"

        bad = await http.get(f"{API}/articles/{key}/why", params={"start": "x"})
        assert bad.status_code == 422 and "start" in bad.text

        # Without JavaScript: the reading view's sentences lead to the same answer.
        french = {"accept-language": "fr"}
        reading = await http.get(f"/charters/{DEMO_SLUG}/read?origins=1", headers=french)
        start, end = units(text, "Les séances du conseil sont filmées et publiées. ")
        link = f"/charters/{DEMO_SLUG}/articles/{key}/why?start={start}&amp;end={end}"
        assert link in reading.text
        page = await http.get(link.replace("&amp;", "&"), headers=french)
        assert page.status_code == 200
        assert "Écrit par\u00a0: Awa, Chloé (citoyen·ne)." in page.text
        assert "Publier les vidéos" in page.text and "Sur quel site" not in page.text
        assert "Discussion sur «\u00a0publiées\u00a0», ouverte par Bruno" in page.text
        assert "Après l’atelier Construire" in page.text  # its last words came then

        # The annex of origins, with the charter: the same facts for every article.
        annex = await http.get(f"{API}/export", params={"format": "md", "annex": "origins"})
        assert annex.status_code == 200
        assert "-origins.md" in annex.headers["content-disposition"]
        assert f"## {article['title']}" in annex.text
        assert "Chloé (citoyen·ne)" in annex.text and "Awa" in annex.text
        assert (
            f"Amendement n°\u00a0{amendment['id']} «\u00a0Publier les vidéos\u00a0», proposé par "
            "Dora\u00a0: pour 0, contre 0, abstention 0. Motifs\u00a0: Pour tous." in annex.text
        )
        assert "Discussions\u00a0: 1 (résolues\u00a0: 0)." in annex.text
        data = (
            await http.get(f"{API}/export", params={"format": "json", "annex": "origins"})
        ).json()
        first = data["articles"][0]
        assert first["amendments"][0]["title"] == "Publier les vidéos"
        assert first["threads"] == 1
        page = await http.get(f"{API}/export", params={"format": "html", "annex": "origins"})
        assert page.status_code == 200 and "Publier les vidéos" in page.text
        wrong = await http.get(f"{API}/export", params={"annex": "everything"})
        assert wrong.status_code == 422 and "annex" in wrong.text


async def test_an_upgraded_database_gets_the_authors_its_log_still_holds(database_url: str) -> None:
    """A database from before authors were recorded: at start, the first sender of each
    Yjs client in the update log is recorded, once."""
    first, second = ArticleDoc(client_id=11), ArticleDoc(client_id=22)
    by_seven = first.edit(lambda t: t.insert(0, "Awa. "))
    second.apply(first.full_update())
    by_eight = second.edit(lambda t: t.insert(0, "Bruno. "))
    both = second.update_since(b"\x00")  # clients 11 and 22: 11 was sent by 7 first
    engine = make_engine(database_url)
    try:
        await migrate(engine)
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO charters (id, slug, title, language) VALUES (1, 'c', 'C', 'fr')")
            )
            await conn.execute(
                text("INSERT INTO documents (id, charter_id, kind) VALUES (5, 1, 'article')")
            )
            for update, sender in ((by_seven, 7), (by_eight, 8), (both, 8), (both, None)):
                await conn.execute(
                    text(
                        'INSERT INTO doc_updates (document_id, "update", participant_id) '
                        "VALUES (5, :update, :sender)"
                    ),
                    {"update": update, "sender": sender},
                )
    finally:
        await engine.dispose()
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN)
    for _ in range(2):  # the second start finds them recorded and adds nothing
        async with running_server(settings):
            pass
        engine = make_engine(database_url)
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT client_id, participant_id FROM doc_authors WHERE document_id = 5")
                )
                assert dict(rows.all()) == {11: 7, 22: 8}
        finally:
            await engine.dispose()


async def test_a_deletion_alone_is_seen_by_the_next_answer(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    """A deletion leaves the state vector as it was: what is kept for a state of the text
    must not be served for the next one."""
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article = await first_article(http)
        name = article["document"]
        async with PyClient(server.ws_url, name, editor) as client:
            await client.synced.wait()
            client.text.clear()
            client.text.insert(0, "Un deux trois quatre.")
            await until_server_has(server.base_url, name, lambda t: t == "Un deux trois quatre.")
            before = (await http.get(f"{API}/articles/{article['id']}/authors")).json()
            assert before["runs"][-1]["end"] == len("Un deux trois quatre.")
            assert before["summary"]["words"] == 4
            del client.text[0 : len(b"Un ")]
            await until_server_has(server.base_url, name, lambda t: t == "deux trois quatre.")
        after = (await http.get(f"{API}/articles/{article['id']}/authors")).json()
        assert after["runs"][-1]["end"] == len("deux trois quatre.")
        assert after["summary"]["words"] == 3
