"""Restore is a forward edit: text and formatting come back, history is kept."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections import Counter

import httpx

from crdt.article import ArticleDoc, update_from_ops
from crdt.markdown import body_from_markdown
from crdt.versions import restore_update
from server.domain.demo import DEMO_SLUG
from tests.support import PyClient, RunningServer, make_token, server_text, settle, wait_for

API = f"/api/charters/{DEMO_SLUG}"
MARK = re.compile(r"\[c\d+-\d+\]")
SENTINEL = "[avant la restauration]"


def article(markdown: str) -> ArticleDoc:
    return ArticleDoc.from_updates([update_from_ops(body_from_markdown(markdown))])


def test_restore_brings_back_text_and_formatting_as_a_new_edit() -> None:
    live = article("Les **élus** décident 😀 seuls.\n- un\n- deux")
    version = live.full_update()
    live.edit(lambda body: body.insert(0, "Préambule ajouté. "))
    live.edit(lambda body: body.format(0, 9, {"italic": True}))
    live.edit(lambda body: body.__delitem__(slice(len(str(body).encode()) - 5, None)))
    assert live.text() != ArticleDoc.from_updates([version]).text()

    update = restore_update(live.full_update(), version)
    assert update is not None
    peer = ArticleDoc.from_updates([live.full_update()])  # another replica of today's text
    live.apply(update)
    peer.apply(update)
    old = ArticleDoc.from_updates([version])
    assert live.text() == peer.text() == old.text()
    assert live.ops() == old.ops()
    # The edit is forward: applying the old state again changes nothing more.
    assert live.apply(version) is None


def test_restoring_the_current_text_changes_nothing() -> None:
    live = article("Rien ne change, même les accents : é, à, ç 🎉.")
    assert restore_update(live.full_update(), live.full_update()) is None


def test_restore_is_undone_by_restoring_again() -> None:
    live = article("Version A du texte.")
    a = live.full_update()
    live.edit(lambda body: body.insert(0, "Ajout B. "))
    b = live.full_update()
    first = restore_update(b, a)
    assert first is not None
    live.apply(first)
    assert live.text() == "Version A du texte.\n"
    second = restore_update(live.full_update(), b)
    assert second is not None
    live.apply(second)
    assert live.text() == "Ajout B. Version A du texte.\n"


# -- over the API, with real clients connected --


async def test_restore_an_article_while_two_clients_are_connected(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        charter = (await http.get(API)).json()
        article = charter["sections"][0]["articles"][0]
        document = article["document"]
        v1 = (await http.post(f"{API}/versions", json={"label": "Atelier 1"})).json()
        original = await server_text(server.base_url, document)

        async with (
            PyClient(server.ws_url, document, editor) as first,
            PyClient(server.ws_url, document, editor) as second,
        ):
            first.text.insert(0, "Ajout de l’atelier 2 : ")
            await second.wait_text(lambda t: t.startswith("Ajout de l’atelier 2"))
            edited = await settle(server, first)

            restored = await http.post(
                f"{API}/articles/{article['id']}/restore", json={"version": v1["id"]}
            )
            assert restored.status_code == 200, restored.text
            outcome = restored.json()
            assert [r["id"] for r in outcome["restored"]] == [article["id"]]
            assert outcome["saved_before"]["kind"] == "auto"
            assert outcome["saved_before"]["label"].startswith("Avant restauration")
            # Both connected editors see the old text, live.
            await first.wait_text(lambda t: t == original)
            await second.wait_text(lambda t: t == original)

            # The text before the restore is reachable from the automatic version...
            before = (await http.get(f"{API}/versions/{outcome['saved_before']['id']}")).json()
            assert next(a for a in before["articles"] if a["id"] == article["id"])["text"] == edited
            # ... and restoring it undoes the restore, for everyone.
            undone = await http.post(
                f"{API}/articles/{article['id']}/restore",
                json={"version": outcome["saved_before"]["id"]},
            )
            assert undone.status_code == 200, undone.text
            await first.wait_text(lambda t: t == edited)
            await second.wait_text(lambda t: t == edited)
        assert await server_text(server.base_url, document) == edited


async def test_restore_while_fifty_clients_type(server: RunningServer, facilitator: str) -> None:
    """A version is restored while 50 clients type . Everyone converges on
    the version's text plus the edits made meanwhile: nothing doubled, and no edit a client
    made once it had the restored text is lost."""
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article = (await http.get(API)).json()["sections"][0]["articles"][0]
        document = article["document"]
        v1 = (await http.post(f"{API}/versions", json={"label": "Atelier 1"})).json()
        original = await server_text(server.base_url, document)
        tokens = [await make_token(server, "editor", f"P{i}") for i in range(50)]
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(PyClient(server.ws_url, document, token))
                for token in tokens
            ]
            clients[0].append(SENTINEL)  # in the text since v1: the restore removes it
            for client in clients:
                await client.wait_text(lambda t: SENTINEL in t)
            # typed[i]: markers client i made; after[i]: its first once it had the restore
            typed, after = [0] * len(clients), [-1] * len(clients)
            stop = asyncio.Event()

            async def type_(i: int, client: PyClient) -> None:
                rng = random.Random(i)
                while not stop.is_set():
                    if after[i] < 0 and SENTINEL not in client.value():
                        after[i] = typed[i]
                    client.append(f"[c{i}-{typed[i]}]")
                    typed[i] += 1
                    await asyncio.sleep(rng.uniform(0.2, 0.6))

            typists = [asyncio.ensure_future(type_(i, c)) for i, c in enumerate(clients)]
            # everyone has typed before the restore, and again once they have it
            await wait_for(lambda: min(typed) >= 3, 30, "typing before the restore")
            restored = await http.post(
                f"{API}/articles/{article['id']}/restore", json={"version": v1["id"]}
            )
            assert restored.status_code == 200, restored.text
            await wait_for(
                lambda: all(0 <= a <= t - 3 for a, t in zip(after, typed, strict=True)),
                30,
                "typing after the restore",
            )
            stop.set()
            await asyncio.gather(*typists)
            await wait_for(lambda: len({c.value() for c in clients}) == 1, 30, "convergence")
        final = clients[0].value()
    assert await server_text(server.base_url, document) == final
    assert all(a >= 0 for a in after), "a client never received the restore"
    counts = Counter(MARK.findall(final))
    assert max(counts.values()) == 1  # nothing doubled
    assert MARK.sub("", final) == original  # the version's text, once, and nothing else
    for i, first in enumerate(after):
        later = {f"[c{i}-{n}]" for n in range(first, typed[i])}
        assert later <= set(counts), f"client {i} lost edits made after the restore"
    assert sum(typed) - len(counts) > 0  # the restore did remove edits made before it


async def test_restore_the_whole_charter_says_what_it_could_not_restore(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        charter = (await http.get(API)).json()
        first, second = charter["sections"][0]["articles"][:2]
        renamed = charter["sections"][1]["articles"][0]
        v1 = (await http.post(f"{API}/versions", json={"label": "v1"})).json()["id"]
        texts = {
            a["id"]: await server_text(server.base_url, a["document"]) for a in (first, renamed)
        }
        async with PyClient(server.ws_url, first["document"], editor) as client:
            client.text.insert(0, "Changé. ")
            await settle(server, client)
            await http.patch(f"{API}/articles/{renamed['id']}", json={"title": "Autre titre"})
            await http.delete(f"{API}/articles/{second['id']}")

            restored = await http.post(f"{API}/versions/{v1}/restore")
            assert restored.status_code == 200, restored.text
            outcome = restored.json()
            await client.wait_text(lambda t: t == texts[first["id"]])
        assert {r["id"] for r in outcome["restored"]} == {first["id"], renamed["id"]}
        assert outcome["not_restored"] == [
            {"id": second["id"], "title": second["title"], "reason": "deleted since the version"}
        ]
        before = "Avant restauration de la version «\u00a0v1\u00a0»"
        assert outcome["saved_before"]["label"] == before
        fresh = (await http.get(API)).json()
        titles = {a["id"]: a["title"] for s in fresh["sections"] for a in s["articles"]}
        assert titles[renamed["id"]] == renamed["title"]
        assert await server_text(server.base_url, renamed["document"]) == texts[renamed["id"]]
        # Nothing left to restore: no new version is saved.
        count = len((await http.get(f"{API}/versions")).json()["versions"])
        again = (await http.post(f"{API}/versions/{v1}/restore")).json()
        assert again["restored"] == [] and again["saved_before"] is None
        assert len((await http.get(f"{API}/versions")).json()["versions"]) == count


async def test_restore_refuses_bad_input(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    as_facilitator = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=as_facilitator) as http:
        charter = (await http.get(API)).json()
        key = charter["sections"][0]["articles"][0]["id"]
        v = (await http.post(f"{API}/versions", json={"label": "v"})).json()["id"]
        by_editor = await http.post(
            f"{API}/articles/{key}/restore",
            json={"version": v},
            headers={"authorization": f"Bearer {editor}"},
        )
        assert by_editor.status_code == 403
        missing = await http.post(f"{API}/articles/{key}/restore", json={})
        assert missing.status_code == 422 and missing.json()["error"]["field"] == "version"
        unknown = await http.post(f"{API}/articles/{key}/restore", json={"version": 999999})
        assert unknown.status_code == 404 and "999999" in unknown.json()["error"]["message"]
        whole = await http.post(f"{API}/versions/nope/restore")
        assert whole.status_code == 404
        await http.delete(f"{API}/articles/{key}")
        deleted = await http.post(f"{API}/articles/{key}/restore", json={"version": v})
        assert deleted.status_code == 409 and "deleted" in deleted.json()["error"]["message"]
