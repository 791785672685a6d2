"""Reverting one participant's edits since a step of the article's history (vandalism in a
public phase): previewed, applied as one forward edit, everyone else's edits kept, listed in
the public moderation log, undone by restoring the version saved just before; through
compaction (what they deleted is kept with the history's steps); on both databases."""

from __future__ import annotations

from typing import Any

import httpx

from crdt.article import ArticleDoc
from crdt.moderation import reverted_text
from crdt.protocol import walk_update
from server.domain.demo import DEMO_SLUG
from tests.support import PyClient, RunningServer, make_token, until_server_has

API = f"/api/charters/{DEMO_SLUG}"
TEXT = "Les séances sont filmées. Les votes sont publics."


def participant(token: str) -> int:
    return int(token.split(".", 1)[0])


def test_only_their_words_go_and_what_they_deleted_comes_back() -> None:
    """Pure: the vandal deleted a sentence and typed nonsense; another person typed after."""
    awa, vandal = ArticleDoc(client_id=1), ArticleDoc(client_id=2)
    awa.edit(lambda t: t.insert(0, "Les données 😀 sont publiées. Les votes sont publics."))
    vandal.apply(awa.full_update())
    past = awa.full_update()
    at = len("Les données 😀 ".encode())
    removal = vandal.edit(lambda t: t.__delitem__(slice(at, at + len("sont publiées. ".encode()))))
    assert removal is not None
    nonsense = vandal.edit(lambda t: t.insert(0, "NUL NUL "))
    assert nonsense is not None
    awa.apply(removal)
    awa.apply(nonsense)
    awa.edit(lambda t: t.insert(len(t), " Bravo."))
    assert awa.text() == "NUL NUL Les données 😀 Les votes sont publics. Bravo."
    deleted = walk_update(removal).deletions
    assert (
        reverted_text(awa.full_update(), past, {2}, deleted)
        == "Les données 😀 sont publiées. Les votes sont publics. Bravo."
    )
    # Someone else's deletion is not theirs to give back.
    assert reverted_text(awa.full_update(), past, {2}, {}) == (
        "Les données 😀 Les votes sont publics. Bravo."
    )


async def test_a_facilitator_reverts_a_vandal_and_can_undo_it(
    server: RunningServer, facilitator: str
) -> None:
    awa = await make_token(server, "editor", "Awa")
    vandal = await make_token(server, "editor", "Vandale")
    bruno = await make_token(server, "editor", "Bruno")
    reader = await make_token(server, "reader", "Rita")
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article: dict[str, Any] = (await http.get(API)).json()["sections"][0]["articles"][0]
        name, key = article["document"], article["id"]
        async with PyClient(server.ws_url, name, awa) as client:
            await client.synced.wait()
            client.text.clear()
            client.text.insert(0, TEXT)
            await until_server_has(server.base_url, name, lambda t: t == TEXT)
        await http.post(f"{API}/versions", json={"label": "Fin de l’atelier"})
        past = (await http.get(f"{API}/articles/{key}/history")).json()
        since = past["marks"][-1]["position"]

        async with PyClient(server.ws_url, name, vandal) as client:
            await client.synced.wait()
            start = len("Les séances sont filmées. ".encode())
            del client.text[start : start + len(b"Les votes sont publics.")]
            client.text.insert(0, "N’IMPORTE QUOI ")
            await until_server_has(server.base_url, name, lambda t: t.startswith("N’IMPORTE"))
        async with PyClient(server.ws_url, name, bruno) as client:
            await client.synced.wait()
            client.text.insert(len(client.text), " Bravo.")
            await until_server_has(server.base_url, name, lambda t: t.endswith("Bravo."))
        # The log is folded: what the vandal deleted is known from the history's steps.
        charter = await server.services.repo.get_charter(DEMO_SLUG)
        await server.services.store.flush()
        assert await server.services.store.compact(charter.sections[0].articles[0].document_id)

        query = {"participant": participant(vandal), "since": since}
        preview = (await http.get(f"{API}/articles/{key}/revert", params=query)).json()
        wanted = "Les séances sont filmées. Les votes sont publics. Bravo."
        assert preview["text"] == wanted
        assert preview["words_removed"] == 2 and preview["words_restored"] == 4
        assert preview["changes"] is True
        assert await until_server_has(server.base_url, name, lambda t: "N’IMPORTE" in t)

        done = await http.post(
            f"{API}/articles/{key}/revert", json={**query, "reason": "Vandalisme"}
        )
        assert done.status_code == 200, done.text
        assert await until_server_has(server.base_url, name, lambda t: t == wanted) == wanted
        record = done.json()
        assert record["participant"] == "Vandale" and record["reason"] == "Vandalisme"

        # Public: anyone who may read the charter sees it in the moderation log.
        as_reader = {"authorization": f"Bearer {reader}"}
        log = (await http.get(f"{API}/moderation", headers=as_reader)).json()
        assert [(r["participant"], r["by"], r["reason"]) for r in log["reverts"]] == [
            ("Vandale", "Animateur", "Vandalisme")
        ]
        # Nothing left to revert, and bad input says what is wrong.
        again = await http.post(f"{API}/articles/{key}/revert", json={**query, "reason": "Encore"})
        assert again.status_code == 409
        for body, field in (
            ({**query, "reason": ""}, "reason"),
            ({**query, "since": 1, "reason": "x"}, "since"),
            ({**query, "participant": 999999, "reason": "x"}, "participant"),
            ({"since": since, "reason": "x"}, "participant"),
        ):
            refused = await http.post(f"{API}/articles/{key}/revert", json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["error"]["field"] == field
        denied = await http.get(f"{API}/articles/{key}/revert", params=query, headers=as_reader)
        assert denied.status_code == 403

        # Itself reversible: restoring the version saved just before brings it back.
        restored = await http.post(
            f"{API}/articles/{key}/restore", json={"version": record["version_before"]}
        )
        assert restored.status_code == 200, restored.text
        back = await until_server_has(server.base_url, name, lambda t: "N’IMPORTE" in t)
        assert back.endswith("Bravo.")
