"""The drafting history of an article, kept through compaction: a step per minute of writing
and at every saved version, each with who wrote in it; the state at a version's step reads
exactly like the version, before and after the log is folded, and after a restart; on both
databases."""

from __future__ import annotations

import json
import runpy
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx

from crdt.article import ArticleDoc
from crdt.history import Row, state_at, steps
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.support import (
    ROOT,
    PyClient,
    RunningServer,
    make_token,
    running_server,
    until_server_has,
)

API = f"/api/charters/{DEMO_SLUG}"


def test_steps_follow_the_minutes_and_the_versions_and_restore_exactly() -> None:
    """Pure: a step per minute, one more where a version was saved between two rows, and
    each step's snapshot gives its text back from the final state (deleted words too)."""
    doc = ArticleDoc(client_id=5)
    start = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    edits = [
        (lambda t: t.insert(0, "Bonjour le monde"), 7, 0),
        (lambda t: t.insert(len(t), " entier"), 7, 20),
        (lambda t: t.__delitem__(slice(0, 8)), 8, 30),
        (lambda t: t.insert(0, "Salut "), 8, 65),
    ]
    rows = [
        Row(seq, doc.edit(change) or b"", who, start + timedelta(seconds=second))
        for seq, (change, who, second) in zip((10, 20, 30, 40), edits, strict=True)
    ]
    found = steps(None, rows, breaks=[25])  # a version read at position 25
    assert [(s.position, s.participants) for s in found] == [(20, (7,)), (30, (8,)), (40, (8,))]
    final = doc.full_update()
    assert [state_at(final, s.snapshot).text() for s in found] == [
        "Bonjour le monde entier",
        "le monde entier",
        "Salut le monde entier",
    ]


async def version_text(http: httpx.AsyncClient, version: int) -> str:
    data = (await http.get(f"{API}/export", params={"format": "json", "version": version})).json()
    text: str = data["sections"][0]["articles"][0]["text"]
    return text


async def texts_at_marks(http: httpx.AsyncClient, key: str) -> dict[int, str]:
    past = (await http.get(f"{API}/articles/{key}/history")).json()
    found = {}
    for mark in past["marks"]:
        assert mark["position"] is not None, mark
        step = await http.get(f"{API}/articles/{key}/history/{mark['position']}")
        assert step.status_code == 200, step.text
        found[mark["version"]["id"]] = step.json()["text"]
    return found


async def test_the_history_reads_like_each_version_through_compaction_and_restarts(
    settings: Settings,
) -> None:
    async with running_server(settings) as server:
        people = {n: await make_token(server, "editor", n) for n in ("Awa", "Bruno", "Chloé")}
        facilitator = await make_token(server, "facilitator", "Fanny")
        headers = {"authorization": f"Bearer {facilitator}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
            article: dict[str, Any] = (await http.get(API)).json()["sections"][0]["articles"][0]
            name, key = article["document"], article["id"]
            versions = []
            for who, words in (("Awa", " Un."), ("Bruno", " Deux."), ("Chloé", " Trois.")):
                async with PyClient(server.ws_url, name, people[who]) as client:
                    await client.synced.wait()
                    client.text.insert(len(client.text), words)
                    await until_server_has(server.base_url, name, lambda t, w=words: t.endswith(w))
                saved = await http.post(f"{API}/versions", json={"label": f"Après {who}"})
                versions.append(saved.json()["id"])
                if who == "Bruno":  # the first two are folded into a checkpoint
                    charter = await server.services.repo.get_charter(DEMO_SLUG)
                    document_id = charter.sections[0].articles[0].document_id
                    assert await server.services.store.compact(document_id) > 0
            expected = {v: await version_text(http, v) for v in versions}
            assert [
                expected[v].rstrip("\n").endswith(w)
                for v, w in zip(versions, (" Un.", " Deux.", " Trois."), strict=True)
            ] == [True, True, True]
            assert await texts_at_marks(http, key) == expected
            past = (await http.get(f"{API}/articles/{key}/history")).json()
            names = [p["name"] for step in past["steps"] for p in step["people"]]
            assert {"Awa", "Bruno", "Chloé"} <= set(names)
            missing = await http.get(f"{API}/articles/{key}/history/123456789")
            assert missing.status_code == 404

            # Without JavaScript: the page's slider is a form, each version a link to its step.
            page = await http.get(f"/charters/{DEMO_SLUG}/articles/{key}/history")
            assert page.status_code == 200 and 'type="range"' in page.text
            first = past["marks"][0]
            index = [s["position"] for s in past["steps"]].index(first["position"]) + 1
            assert f'href="?step={index}"' in page.text and "Après Awa" in page.text
            at_mark = await http.get(
                f"/charters/{DEMO_SLUG}/articles/{key}/history", params={"step": index}
            )
            assert " Un." in at_mark.text and " Deux." not in at_mark.text
            assert 'aria-current="step"' in at_mark.text
            odd = await http.get(
                f"/charters/{DEMO_SLUG}/articles/{key}/history", params={"step": "x"}
            )
            assert odd.status_code == 200 and " Trois." in odd.text  # the latest step
            gone = await http.get(f"/charters/{DEMO_SLUG}/articles/nope/history")
            assert gone.status_code == 404

            # The whole charter between the first version and now: Bruno's, then Chloé's.
            whole = f"/charters/{DEMO_SLUG}/history"
            between = {"from": versions[0], "to": "live"}
            first_step = await http.get(whole, params={**between, "step": 1})
            assert first_step.status_code == 200 and 'type="range"' in first_step.text
            assert "Deux.</ins>" in first_step.text.replace(
                '<span class="visually-hidden">]</span>', ""
            )
            assert "Bruno" in first_step.text
            latest = await http.get(whole, params=between)
            assert "Trois.</ins>" in latest.text.replace(
                '<span class="visually-hidden">]</span>', ""
            )
            to_second = await http.get(whole, params={"from": versions[0], "to": versions[1]})
            assert "Trois." not in to_second.text
            wrong = await http.get(whole, params={"from": "nope"})
            assert wrong.status_code in (404, 422)
    async with running_server(settings) as server:
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
            assert await texts_at_marks(http, key) == expected


async def test_a_deleted_sentence_is_still_in_the_history(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article: dict[str, Any] = (await http.get(API)).json()["sections"][0]["articles"][0]
        name, key = article["document"], article["id"]
        async with PyClient(server.ws_url, name, editor) as client:
            await client.synced.wait()
            client.text.insert(len(client.text), " Une phrase éphémère.")
            await until_server_has(server.base_url, name, lambda t: "éphémère" in t)
            saved = (await http.post(f"{API}/versions", json={"label": "Avec"})).json()
            text = client.value()
            start = len(text[: text.index(" Une phrase")].encode())
            del client.text[start : start + len(" Une phrase éphémère.".encode())]
            await until_server_has(server.base_url, name, lambda t: "éphémère" not in t)
        charter = await server.services.repo.get_charter(DEMO_SLUG)
        document_id = charter.sections[0].articles[0].document_id
        await server.services.store.flush()
        assert await server.services.store.compact(document_id) > 0
        marks = await texts_at_marks(http, key)
        assert "Une phrase éphémère." in marks[saved["id"]]


async def test_the_open_data_drafting_log_replays_to_the_text_with_pseudonyms(
    server: RunningServer, facilitator: str, tmp_path: Path
) -> None:
    awa = await make_token(server, "editor", "Awa")
    charter = await server.services.repo.get_charter(DEMO_SLUG)
    await server.services.people.update_participant(
        charter.id, int(awa.split(".")[0]), badge="citizen"
    )
    headers = {"authorization": f"Bearer {facilitator}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        article: dict[str, Any] = (await http.get(API)).json()["sections"][0]["articles"][0]
        name = article["document"]
        async with PyClient(server.ws_url, name, awa) as client:
            await client.synced.wait()
            client.text.insert(0, "Préambule 😀 : ")
            await until_server_has(server.base_url, name, lambda t: t.startswith("Préambule"))
            await http.post(f"{API}/versions", json={"label": "Un"})
            text = client.value()
            start = len(text[: text.index("😀")].encode())
            del client.text[start : start + len("😀".encode())]
            await until_server_has(server.base_url, name, lambda t: "😀" not in t)
        await server.services.store.flush()
        export = await http.get(f"{API}/export", params={"format": "json"})
    data = export.json()
    log = data["drafting_log"]
    assert log["format"] == "charter-drafting-log"
    assert log["authors_are"] == "pseudonyms"
    assert {"name": "P1", "badge": "citizen"} in log["authors"]
    assert "Awa" not in json.dumps(log, ensure_ascii=False)
    texts = {a["id"]: a["text"] for s in data["sections"] for a in s["articles"]}
    replayer = runpy.run_path(str(ROOT / "docs" / "replay_drafting_log.py"))
    for item in log["articles"]:
        replayed = ""
        for step in item["steps"]:
            replayed = replayer["replay"](replayed, step["changes"])
        assert replayed == texts[item["id"]], item["id"]
    mine = next(a for a in log["articles"] if a["id"] == article["id"])
    assert any(s["authors"] == ["P1"] and s["deleted_words"] == 0 for s in mine["steps"])
    saved = tmp_path / "charter.json"
    saved.write_text(export.text, encoding="utf-8")
    script = ROOT / "docs" / "replay_drafting_log.py"
    done = await anyio.run_process(
        [sys.executable, str(script), str(saved), "--steps"], check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    printed = done.stdout.decode("utf-8")
    assert "Préambule 😀" in printed and "P1 (citizen)" in printed

    # The charter's facilitators may choose to name the authors instead.
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        changed = await http.patch(f"{API}/settings", json={"open_data_names": True})
        assert changed.status_code == 200 and changed.json()["open_data_names"] is True
        named = (await http.get(f"{API}/export", params={"format": "json"})).json()
        bad = await http.patch(f"{API}/settings", json={"open_data_names": "oui"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "open_data_names"
    assert named["drafting_log"]["authors_are"] == "names"
    assert {"name": "Awa", "badge": "citizen"} in named["drafting_log"]["authors"]
