"""Comment threads over the real server, on SQLite and PostgreSQL: anchors made by real
Yjs clients (Node) keep pointing at the same words while others edit around and inside them
(accented text and emoji), a deleted passage leaves its thread detached with its quote,
thread life (resolve, reopen, edit, delete, hide, the moderation log), live events on the
charter's channel, unread markers, and bad input."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from crdt.article import ArticleDoc
from crdt.relpos import AnchorError, RelPos, Resolver, ascii_twin, decode, write_var_int
from persistence.tables import participants
from server.domain.demo import DEMO_SLUG
from server.live.keys import RoomKey
from server.names import charter_channel
from server.settings import Settings
from tests.hpdriver import HocuspocusClient
from tests.support import (
    ROOT,
    PyClient,
    RunningServer,
    make_token,
    running_server,
    until_server_has,
)

API = f"/api/charters/{DEMO_SLUG}"
PEER = ROOT / "tests" / "interop" / "anchor_peer.mjs"
TEXT = (
    "Le café ☕ de la Ville ouvre ses données 😀 à tous, même aux élèves. "
    "Chaque habitant·e peut réagir 🎉 en ligne."
)
PASSAGE = "données 😀 à tous"


@asynccontextmanager
async def api(server: RunningServer, token: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        yield http


async def new_article(server: RunningServer, facilitator: str, text: str = TEXT) -> dict[str, Any]:
    async with api(server, facilitator) as http:
        charter = (await http.get(API)).json()
        made = await http.post(
            f"{API}/sections/{charter['sections'][0]['id']}/articles",
            json={"title": "Données ouvertes", "markdown": text},
        )
    assert made.status_code == 201, made.text
    article: dict[str, Any] = made.json()
    return article


class YjsPeer:
    """``anchor_peer.mjs``: a real Yjs client (y-websocket) in its own Node process."""

    _ids = itertools.count(1)

    def __init__(self, server: RunningServer, document: str, token: str, label: str) -> None:
        self.config = {
            "url": f"{server.ws_url}/ws",
            "document": document,
            "token": token,
            "label": label,
        }
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> YjsPeer:
        self.proc = await asyncio.create_subprocess_exec(
            "node",
            str(PEER),
            json.dumps(self.config),
            cwd=PEER.parent,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.ensure_future(self._read())
        await self.wait(lambda e: e["event"] == "synced")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc.returncode is None:
            await self.ask({"cmd": "exit"})
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                self.proc.kill()
        self._reader.cancel()

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for line in self.proc.stdout:
            async with self._changed:
                self.events.append(json.loads(line))
                self._changed.notify_all()

    async def wait(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                await self._changed.wait()

    async def ask(self, command: dict[str, Any]) -> dict[str, Any]:
        number = next(self._ids)
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({**command, "id": number}) + "\n").encode())
        await self.proc.stdin.drain()
        answer = await self.wait(lambda e: e["event"] == "answer" and e.get("id") == number)
        assert "error" not in answer, answer["error"]
        return answer

    async def text_when(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
        async with asyncio.timeout(timeout):
            while True:
                text = str((await self.ask({"cmd": "text"}))["text"])
                if predicate(text):
                    return text
                await asyncio.sleep(0.02)


def pyreplace(client: PyClient, old: str, new: str) -> None:
    """A pycrdt client's edit (its indices are UTF-8 bytes): ``old`` becomes ``new``."""
    value = client.value()
    start = len(value[: value.index(old)].encode())
    with client.doc.transaction():
        del client.text[start : start + len(old.encode())]
        if new:
            client.text.insert(start, new)


async def thread_of(server: RunningServer, token: str, thread_id: int) -> dict[str, Any]:
    async with api(server, token) as http:
        response = await http.get(f"{API}/threads/{thread_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def start(
    server: RunningServer, token: str, key: str, body: str, anchor: Any = None, **extra: Any
) -> httpx.Response:
    async with api(server, token) as http:
        return await http.post(
            f"{API}/articles/{key}/threads", json={"body": body, "anchor": anchor, **extra}
        )


# -- anchors with real Yjs clients --------------------------------------------------------


async def test_a_passage_keeps_its_words_while_others_edit_before_inside_and_after(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    doc = article["document"]
    commenter = await make_token(server, "commenter", "Camille")
    other = await make_token(server, "editor", "Ousmane")
    async with (
        YjsPeer(server, doc, commenter, "camille") as camille,
        YjsPeer(server, doc, other, "ousmane") as ousmane,
        PyClient(server.ws_url, doc, editor) as python,
    ):
        anchor = await camille.ask({"cmd": "anchor", "find": PASSAGE})
        made = await start(server, commenter, article["id"], "Même la nuit ?", anchor)
        assert made.status_code == 201, made.text
        thread = made.json()
        assert thread["anchor"]["quote"] == PASSAGE and thread["anchor"]["state"] == "attached"
        steps: list[tuple[str, Any, str]] = [
            ("js", {"cmd": "insert", "text": "Désormais ✨, ", "index": 0}, PASSAGE),
            ("py", ("Le café ☕", "L’café ☕☕"), PASSAGE),
            ("js", {"cmd": "insert", "text": " publiques 🇫🇷", "after": "données"}, None),
            ("py", ("😀 à", "😀😀 à"), None),
            ("js", {"cmd": "delete", "find": "à "}, None),
            ("js", {"cmd": "insert", "text": " (même la nuit 🌙)", "after": "tous"}, None),
            ("py", ("même aux élèves", "aux écoliers"), None),
            ("js", {"cmd": "delete", "find": "Chaque habitant·e"}, None),
        ]
        expected = "données publiques 🇫🇷 😀😀 tous"
        for who, edit, passage in steps:
            if who == "js":
                await ousmane.ask(edit)
            else:
                pyreplace(python, *edit)
            wanted = await ousmane.text_when(lambda t: True) if who == "js" else python.value()
            await until_server_has(server.base_url, doc, lambda t, w=wanted: t == w)
            await camille.text_when(lambda t, w=wanted: t == w)
            now = await thread_of(server, commenter, thread["id"])
            seen = await camille.ask({"cmd": "resolve", **now["anchor"]})
            # The server resolves exactly as Yjs does (UTF-16 units), on every step.
            assert (now["anchor"]["index"], now["anchor"]["length"]) == (
                seen["index"],
                seen["length"],
            ), (edit, now["anchor"], seen)
            assert now["anchor"]["text"] == seen["text"]
            if passage is not None:
                assert now["anchor"]["text"] == passage
        assert now["anchor"]["text"] == expected
        assert now["anchor"]["state"] == "attached" and now["anchor"]["quote"] == PASSAGE
        assert "(même la nuit 🌙)" not in now["anchor"]["text"]  # typed just after: outside

        # The passage goes: the thread stays, detached, with the words it was about.
        await ousmane.ask({"cmd": "delete", "find": expected})
        wanted = await ousmane.text_when(lambda t: expected not in t)
        await until_server_has(server.base_url, doc, lambda t: t == wanted)
        gone = await thread_of(server, commenter, thread["id"])
        assert gone["detached"] is True and gone["anchor"]["state"] == "detached"
        assert gone["anchor"]["quote"] == PASSAGE and gone["anchor"]["text"] == ""
        assert (await camille.ask({"cmd": "resolve", **gone["anchor"]}))["detached"] is True
        assert [c["body"] for c in gone["comments"]] == ["Même la nuit ?"]
        async with api(server, commenter) as http:
            listed = (await http.get(f"{API}/threads", params={"article": article["id"]})).json()
        assert [(t["id"], t["detached"]) for t in listed["threads"]] == [(thread["id"], True)]


async def test_the_server_resolves_like_yjs_at_every_position_of_non_ascii_text(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    """Every index of a text made of several clients' items, accented letters, emoji and
    a flag, both associations: positions made by Yjs, resolved by the server and by Yjs
    after more edits, agree (pycrdt's own resolution does not, docs/protocols.md §4.2)."""
    article = await new_article(server, facilitator, "Ça ira 😀 é")
    doc = article["document"]
    async with (
        YjsPeer(server, doc, editor, "a") as a,
        YjsPeer(server, doc, editor, "b") as b,
    ):
        await a.ask({"cmd": "insert", "text": "ünïcødé 🇫🇷🎉 ", "after": "Ça "})
        wanted = (await a.ask({"cmd": "text"}))["text"]
        await b.text_when(lambda t: t == wanted)
        length = len(wanted.encode("utf-16-le")) // 2
        made = [
            await a.ask({"cmd": "anchor_at", "index": index, "end": end})
            for index in range(length + 1)
            for end in (index, min(index + 3, length))
        ]
        await b.ask({"cmd": "delete", "find": "😀 "})
        await b.ask({"cmd": "insert", "text": "🇪🇺 ", "index": 2})
        await b.ask({"cmd": "delete", "find": "ïc"})
        await b.ask({"cmd": "format", "find": "ødé 🇫🇷", "attributes": {"bold": True}})
        wanted = (await b.ask({"cmd": "text"}))["text"]
        await a.text_when(lambda t: t == wanted)
        await until_server_has(server.base_url, doc, lambda t: t == wanted)
        found = await server.services.repo.find_article(DEMO_SLUG, article["id"])
        room = server.services.registry.get_loaded(RoomKey.document(found.document_id))
        assert room is not None
        resolver = Resolver(room.doc)
        naive = 0
        for raw in made:
            start, end = (
                decode(base64.b64decode(raw["start"])),
                decode(base64.b64decode(raw["end"])),
            )
            seen = await a.ask({"cmd": "resolve", "start": raw["start"], "end": raw["end"]})
            span = resolver.span(start, end)
            assert span is not None
            assert (span.start, max(span.end - span.start, 0)) == (seen["index"], seen["length"])
            # (a range may cut an emoji in two: Yjs then gives half a surrogate pair)
            halves = seen["text"].encode("utf-16-le", "surrogatepass")
            assert resolver.text(span) == halves.decode("utf-16-le", errors="replace")
            naive += _pycrdt_alone_differs(room.doc, raw["start"], seen["index"])
        assert naive > 0, "pycrdt alone resolved every position right: the twin is not needed?"
        # Positions on every item id there is: formatting marks, deleted letters, all.
        every = (await a.ask({"cmd": "every_id"}))["positions"]
        assert len(every) > 2 * len(wanted)
        for found in every:
            assert resolver.index(decode(base64.b64decode(found["position"]))) == found["index"]


def _pycrdt_alone_differs(article: ArticleDoc, start: str, index: int) -> int:
    """1 when pycrdt's own StickyIndex gives a different index (in UTF-16) than Yjs."""
    from pycrdt import StickyIndex

    try:
        raw = StickyIndex.decode(base64.b64decode(start), article.body).get_index()
    except BaseException as exc:  # pycrdt panics (a BaseException) on some of them
        if type(exc).__module__ != "pyo3_runtime" and not isinstance(exc, ValueError):
            raise
        return 1
    text = article.text().encode("utf-8")[:raw].decode("utf-8", errors="ignore")
    return int(len(text.encode("utf-16-le")) // 2 != index)


def test_relative_position_bytes_are_checked() -> None:
    item = b"\x00" + bytes((0xE9, 0x07, 0x01)) + write_var_int(0)  # client 1001, clock 1
    assert decode(item) == RelPos(1001, 1, 0)
    assert decode(b"\x00\xe9\x07\x01") == RelPos(1001, 1, 0)  # old encodings: no assoc
    assert decode(b"\x01\x04body" + write_var_int(-1)) == RelPos(None, 0, -1)
    assert decode(RelPos(7, 300, -1).encode()) == RelPos(7, 300, -1)
    assert write_var_int(-1) == b"\x41" and write_var_int(100) == b"\xa4\x01"
    for bad, why in [
        (b"", "wrong length"),
        (b"\x01\x05other\x00", "'other'"),
        (b"\x02\x01\x01\x00", "nested type"),
        (b"\x05\x00", "unknown kind"),
        (b"\x00\xe9", "truncated"),
        (b"\x00\x01\x01\x00\x00", "trailing"),
        (b"\x01\x04bo", "past the end"),
        (b"\x00" * 65, "wrong length"),
    ]:
        with pytest.raises(AnchorError, match=why):
            decode(bad)


def test_the_twin_keeps_every_item_and_only_changes_letters() -> None:
    article = ArticleDoc()
    article.edit(lambda body: body.insert(0, "é😀 ok"))
    twin = ascii_twin(article.full_update())
    copy = ArticleDoc.from_updates([twin])
    assert copy.text() == "xxxxxx"  # é = 1 unit, 😀 = 2, then " ok"
    assert copy.state_vector() == article.state_vector()


# -- thread life --------------------------------------------------------------------------


async def test_thread_life_resolve_reopen_edit_delete_hide_and_the_moderation_log(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    key = article["id"]
    camille = await make_token(server, "commenter", "Camille")
    dora = await make_token(server, "commenter", "Dora")
    opened = (await start(server, camille, key, "Sur tout l’article.", stance="for")).json()
    assert opened["anchor"] is None and opened["status"] == "open"
    assert opened["comments"][0]["stance"] == "for" and opened["comments"][0]["mine"] is True
    path = f"{API}/threads/{opened['id']}"
    async with (
        api(server, camille) as author,
        api(server, dora) as someone,
        api(server, editor) as writer,
        api(server, facilitator) as moderator,
    ):
        replied = await someone.post(
            f"{path}/comments", json={"body": "Je ne suis pas d’accord.", "stance": "against"}
        )
        assert replied.status_code == 201, replied.text
        reply_id = replied.json()["comments"][1]["id"]
        # Resolve and reopen: the thread's author, or an editor and up; not another commenter.
        refused = await someone.put(f"{path}/status", json={"status": "resolved"})
        assert refused.status_code == 403 and "author" in refused.json()["error"]["message"]
        done = await author.put(f"{path}/status", json={"status": "resolved"})
        assert done.status_code == 200 and done.json()["status"] == "resolved"
        assert done.json()["status_by"] == "Camille"
        again = await author.put(f"{path}/status", json={"status": "resolved"})
        assert again.status_code == 409
        reopened = await writer.put(f"{path}/status", json={"status": "open"})
        assert reopened.json()["status"] == "open" and reopened.json()["status_by"] == "Éditrice"
        # Edit one's own comment: marked edited, the previous text kept.
        edit = f"{API}/comments/{reply_id}"
        assert (await author.patch(edit, json={"body": "Réécrit"})).status_code == 403
        edited = await someone.patch(edit, json={"body": "Plutôt mitigé.", "stance": "mixed"})
        assert edited.status_code == 200, edited.text
        mine = edited.json()["comments"][1]
        assert (mine["body"], mine["stance"]) == ("Plutôt mitigé.", "mixed")
        assert mine["edited_at"] is not None
        assert mine["revisions"] == [
            {
                "body": "Je ne suis pas d’accord.",
                "stance": "against",
                "at": mine["revisions"][0]["at"],
            }
        ]
        # Delete one's own comment: soft, the thread and the other comments stay.
        assert (await moderator.delete(edit)).status_code == 403
        deleted = await someone.delete(edit)
        assert deleted.status_code == 200
        gone = deleted.json()["comments"][1]
        assert gone["deleted"] is True and gone["body"] is None and gone["revisions"] == []
        assert (await someone.delete(edit)).status_code == 409
        # A facilitator hides the opening comment, with a reason: no more replies.
        first = f"{API}/comments/{opened['comments'][0]['id']}"
        assert (
            await writer.post(f"{first}/hide", json={"reason": "Hors sujet"})
        ).status_code == 403
        assert (await moderator.post(f"{first}/hide", json={})).status_code == 422
        hidden = await moderator.post(f"{first}/hide", json={"reason": "Propos injurieux"})
        assert hidden.status_code == 200, hidden.text
        shown = hidden.json()
        assert shown["hidden"] is True and shown["comments"][0]["body"] is None
        assert shown["comments"][0]["hidden"]["reason"] == "Propos injurieux"
        late = await someone.post(f"{path}/comments", json={"body": "Trop tard ?"})
        assert late.status_code == 409 and "hidden" in late.json()["error"]["message"]
        assert (await author.patch(first, json={"body": "Autre chose"})).status_code == 409
        # The moderation log is public to every reader of the charter.
        reader = await make_token(server, "reader", "Rémi")
        async with api(server, reader) as watcher:
            log = (await watcher.get(f"{API}/moderation")).json()["hidden"]
            seen = (await watcher.get(path)).json()
        assert [(h["comment"], h["author"], h["by"], h["reason"]) for h in log] == [
            (opened["comments"][0]["id"], "Camille", "Animateur", "Propos injurieux")
        ]
        assert seen["comments"][0]["body"] is None and seen["may_reply"] is False
        # Missing things are named.
        missing = await someone.post(f"{API}/threads/999999/comments", json={"body": "Allô ?"})
        assert missing.status_code == 404 and "999999" in missing.json()["error"]["message"]
        assert (
            await someone.patch(f"{API}/comments/999999", json={"body": "x"})
        ).status_code == 404


async def test_readers_may_not_comment_and_markup_is_kept_as_typed(
    server: RunningServer, facilitator: str
) -> None:
    article = await new_article(server, facilitator)
    reader = await make_token(server, "reader", "Rémi")
    refused = await start(server, reader, article["id"], "Je voudrais dire…")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "the reader role may not comment"
    markup = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    commenter = await make_token(server, "commenter", markup)
    made = await start(server, commenter, article["id"], markup)
    assert made.status_code == 201
    thread = await thread_of(server, reader, made.json()["id"])
    assert thread["comments"][0]["body"] == markup and thread["author"] == markup
    async with api(server, reader) as http:
        threads = (await http.get(f"{API}/articles/{article['id']}/threads")).json()["threads"]
        assert [t["id"] for t in threads] == [thread["id"]]
        assert threads[0]["may_reply"] is False and threads[0]["may_set_status"] is False


async def test_bad_input_is_refused_with_a_message_naming_the_problem(
    database_url: str, tmp_path: Any
) -> None:
    settings = Settings(database_url=database_url, seed_demo=True, max_comment_chars=40)
    async with running_server(settings) as server:
        facilitator = await make_token(server, "facilitator", "Animateur")
        article = await new_article(server, facilitator)
        key = article["id"]
        commenter = await make_token(server, "commenter", "Camille")
        b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
        good = RelPos(None, 0, -1).encode()
        cases: list[tuple[dict[str, Any], str, str]] = [
            ({"body": ""}, "body", "must not be empty"),
            ({"body": "   "}, "body", "must not be empty"),
            ({}, "body", "body is required"),
            ({"body": "x" * 41}, "body", "longer than 40 characters"),
            ({"body": 12}, "body", "must be a string"),
            ({"body": "ok", "stance": "peut-être"}, "stance", "for, against, mixed"),
            ({"body": "ok", "anchor": "ici"}, "anchor", "must be an object"),
            ({"body": "ok", "anchor": {"start": b64(good), "quote": "q"}}, "anchor", "anchor.end"),
            (
                {"body": "ok", "anchor": {"start": "%%%", "end": b64(good), "quote": "q"}},
                "anchor",
                "not base64",
            ),
            (
                {
                    "body": "ok",
                    "anchor": {"start": b64(b"\x07\x00"), "end": b64(good), "quote": "q"},
                },
                "anchor",
                "not a relative position",
            ),
            (
                {
                    "body": "ok",
                    "anchor": {"start": b64(b"\x01\x05title\x00"), "end": b64(good), "quote": "q"},
                },
                "anchor",
                "not in the article's text",
            ),
            ({"body": "ok", "anchor": {"start": b64(good), "end": b64(good)}}, "anchor", "quote"),
        ]
        async with api(server, commenter) as http:
            for body, field, message in cases:
                response = await http.post(f"{API}/articles/{key}/threads", json=body)
                assert response.status_code == 422, (body, response.text)
                error = response.json()["error"]
                assert error["field"] == field and message in error["message"], (body, error)
            assert (
                await http.post(f"{API}/articles/{key}/threads", content=b"[")
            ).status_code == 422
            nowhere = await http.post(f"{API}/articles/zzzz/threads", json={"body": "ok"})
            assert nowhere.status_code == 404 and "zzzz" in nowhere.json()["error"]["message"]
            made = await http.post(f"{API}/articles/{key}/threads", json={"body": "x" * 40})
            assert made.status_code == 201
            path = f"{API}/threads/{made.json()['id']}"
            long = await http.post(f"{path}/comments", json={"body": "y" * 41})
            assert long.status_code == 422 and long.json()["error"]["field"] == "body"
            status = await http.put(f"{path}/status", json={"status": "closed"})
            assert status.status_code == 422 and status.json()["error"]["field"] == "status"
            listed = await http.get(f"{API}/threads", params={"status": "closed"})
            assert listed.status_code == 422


async def test_a_participant_posting_too_fast_is_refused_others_and_facilitators_are_not(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, seed_demo=True, max_comments_per_minute=3)
    async with running_server(settings) as server:
        facilitator = await make_token(server, "facilitator", "Animateur")
        key = (await new_article(server, facilitator))["id"]
        camille = await make_token(server, "commenter", "Camille")
        first = await start(server, camille, key, "Un")
        assert first.status_code == 201, first.text
        path = f"{API}/threads/{first.json()['id']}"
        async with api(server, camille) as http:
            assert (await http.post(f"{path}/comments", json={"body": "Deux"})).status_code == 201
            assert (await start(server, camille, key, "Trois")).status_code == 201
            # The fourth new comment within the minute, a thread or a reply, is refused.
            for refused in (
                await start(server, camille, key, "Quatre"),
                await http.post(f"{path}/comments", json={"body": "Quatre"}),
            ):
                assert refused.status_code == 429, refused.text
                error = refused.json()["error"]
                assert error["code"] == "rate_limited"
                assert "at most 3 new comments per minute" in error["message"]
                assert 55 <= int(refused.headers["retry-after"]) <= 60
            # Editing and resolving are not new comments.
            comment_id = first.json()["comments"][0]["id"]
            edited = await http.patch(f"{API}/comments/{comment_id}", json={"body": "Un !"})
            assert edited.status_code == 200, edited.text
            resolved = await http.put(f"{path}/status", json={"status": "resolved"})
            assert resolved.status_code == 200, resolved.text
        thread = await thread_of(server, facilitator, first.json()["id"])
        assert [c["body"] for c in thread["comments"]] == ["Un !", "Deux"]
        # Another participant has a count of their own; a facilitator has none.
        dominique = await make_token(server, "commenter", "Dominique")
        for body in ("A", "B", "C"):
            assert (await start(server, dominique, key, body)).status_code == 201
        for body in ("1", "2", "3", "4", "5"):
            assert (await start(server, facilitator, key, body)).status_code == 201


async def test_a_passage_the_server_has_not_received_yet_is_placed_when_it_arrives(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    """The comment can arrive (over HTTP) before the text it quotes (over the socket)."""
    article = await new_article(server, facilitator)
    client = PyClient(server.ws_url, article["document"], editor)
    client.append("NOUVEAU")  # not connected yet: not sent
    me = client.doc.client_id
    ends = [RelPos(me, 0, 0).encode(), RelPos(me, 6, -1).encode()]
    anchor = {k: base64.b64encode(v).decode() for k, v in zip(("start", "end"), ends, strict=True)}
    made = await start(server, editor, article["id"], "Tôt", {**anchor, "quote": "NOUVEAU"})
    assert made.status_code == 201, made.text
    assert made.json()["anchor"]["state"] == "unknown"
    assert made.json()["anchor"]["quote"] == "NOUVEAU" and made.json()["detached"] is False
    async with client:
        await until_server_has(server.base_url, article["document"], lambda t: "NOUVEAU" in t)
        now = await thread_of(server, editor, made.json()["id"])
    assert now["anchor"]["state"] == "attached" and now["anchor"]["text"] == "NOUVEAU"


async def test_an_articles_threads_come_in_document_order(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    async with YjsPeer(server, article["document"], editor, "e") as peer:
        later = await peer.ask({"cmd": "anchor", "find": "en ligne"})
        earlier = await peer.ask({"cmd": "anchor", "find": "café ☕"})
        middle = await peer.ask({"cmd": "anchor", "find": "à tous"})
        made = [
            (await start(server, editor, article["id"], body, anchor)).json()["id"]
            for body, anchor in (("3", later), ("1", earlier), ("0", None), ("2", middle))
        ]
        async with api(server, editor) as http:
            found = (await http.get(f"{API}/articles/{article['id']}/threads")).json()
        order = [t["comments"][0]["body"] for t in found["threads"]]
        assert order == ["0", "1", "2", "3"] and len(made) == 4
        # Someone moves words to the end: the thread on them stays where they were, detached;
        # a thread on the words retyped at the end comes last.
        await peer.ask({"cmd": "delete", "find": "Le café ☕ de la Ville"})
        await peer.ask({"cmd": "insert", "text": " Le café ☕ de la Ville."})
        wanted = (await peer.ask({"cmd": "text"}))["text"]
        await until_server_has(server.base_url, article["document"], lambda t: t == wanted)
        again = await peer.ask({"cmd": "anchor", "find": "café ☕"})
        assert (await start(server, editor, article["id"], "4", again)).status_code == 201
        async with api(server, editor) as http:
            found = (await http.get(f"{API}/articles/{article['id']}/threads")).json()
        assert [t["comments"][0]["body"] for t in found["threads"]] == ["0", "1", "2", "3", "4"]
        assert [t["detached"] for t in found["threads"]] == [False, True, False, False, False]


async def test_a_deleted_passage_cannot_start_a_thread(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    async with YjsPeer(server, article["document"], editor, "e") as peer:
        anchor = await peer.ask({"cmd": "anchor", "find": "même aux élèves"})
        await peer.ask({"cmd": "delete", "find": "même aux élèves"})
        wanted = (await peer.ask({"cmd": "text"}))["text"]
        await until_server_has(server.base_url, article["document"], lambda t: t == wanted)
        refused = await start(server, editor, article["id"], "Trop tard", anchor)
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "invalid",
        "message": "anchor: the passage is no longer in the article",
        "field": "anchor",
    }


# -- live ----------------------------------------------------------------------------------


async def test_every_viewer_of_the_charter_hears_of_a_comment_within_a_second(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    reader = await make_token(server, "reader", "Rémi")
    channel = charter_channel(DEMO_SLUG)
    async with HocuspocusClient(server.ws_url, [{"name": channel, "token": reader}]) as watcher:
        await watcher.wait(lambda e: e["event"] == "synced" and e["doc"] == channel)

        async def heard(kind: str, since: int) -> dict[str, Any]:
            found = await watcher.wait(
                lambda e: (
                    e["event"] == "stateless"
                    and json.loads(e["payload"]).get("type") == "comment"
                    and json.loads(e["payload"])["event"] == kind
                ),
                timeout=1.0,
                since=since,
            )
            return dict(json.loads(found["payload"]))

        mark = watcher.mark()
        made = (await start(server, editor, article["id"], "Nouveau fil")).json()
        created = await heard("created", mark)
        assert created == {
            "type": "comment",
            "event": "created",
            "article": article["id"],
            "amendment": None,
            "thread": made["id"],
            "comment": None,
        }
        async with api(server, editor) as http, api(server, facilitator) as moderator:
            mark = watcher.mark()
            replied = await http.post(f"{API}/threads/{made['id']}/comments", json={"body": "Oui"})
            assert (await heard("replied", mark))["comment"] == replied.json()["comments"][1]["id"]
            mark = watcher.mark()
            await http.put(f"{API}/threads/{made['id']}/status", json={"status": "resolved"})
            assert (await heard("resolved", mark))["thread"] == made["id"]
            mark = watcher.mark()
            comment = made["comments"][0]["id"]
            await moderator.post(f"{API}/comments/{comment}/hide", json={"reason": "Doublon"})
            assert (await heard("hidden", mark))["comment"] == comment
        # The event carries no text: what a viewer sees comes from the API, as it may.
        assert all(
            "Nouveau fil" not in e["payload"] for e in watcher.events if e["event"] == "stateless"
        )


async def test_a_renamed_author_shows_under_the_new_name_and_viewers_hear_of_it(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    """Comments name their author as the author is named now (a rename corrects a name); the
    name they were written under stays for when the participant is gone."""
    article = await new_article(server, facilitator)
    made = (await start(server, editor, article["id"], "Premier fil")).json()
    async with api(server, editor) as http:
        author_id = (await http.get(f"{API}/me")).json()["participant_id"]
    channel = charter_channel(DEMO_SLUG)
    reader = await make_token(server, "reader", "Rémi")
    async with (
        HocuspocusClient(server.ws_url, [{"name": channel, "token": reader}]) as watcher,
        api(server, facilitator) as boss,
    ):
        await watcher.wait(lambda e: e["event"] == "synced" and e["doc"] == channel)
        mark = watcher.mark()
        renamed = await boss.patch(f"{API}/participants/{author_id}", json={"name": "Élise"})
        assert renamed.status_code == 200, renamed.text
        heard = await watcher.wait(
            lambda e: e["event"] == "stateless" and '"participant"' in e["payload"],
            timeout=1.0,
            since=mark,
        )
        assert json.loads(heard["payload"]) == {
            "type": "participant",
            "event": "renamed",
            "participant": author_id,
        }
        thread = (await boss.get(f"{API}/threads/{made['id']}")).json()
        assert thread["author"] == "Élise" and thread["comments"][0]["author"] == "Élise"
        assert thread["author_badge"] is None
    async with server.services.stores.engine.begin() as conn:
        await conn.execute(delete(participants).where(participants.c.id == author_id))
    async with api(server, facilitator) as boss:
        thread = (await boss.get(f"{API}/threads/{made['id']}")).json()
    assert thread["author"] == "Éditrice" and thread["comments"][0]["author"] == "Éditrice"
    assert thread["author_id"] is None


# -- unread markers ------------------------------------------------------------------------


async def test_a_participant_who_returns_sees_exactly_the_new_comments(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    article = await new_article(server, facilitator)
    key = article["id"]
    lea = await make_token(server, "commenter", "Léa")
    first = (await start(server, editor, key, "Avant la visite")).json()
    async with api(server, lea) as http:
        visit = (await http.get(f"{API}/articles/{key}/threads")).json()
        assert visit["seen_through"] == 0 and visit["threads"][0]["unread"] == 1
        # She reads the article, writes in it, then leaves.
        mine = (await start(server, lea, key, "Ma remarque")).json()
        marked = await http.put(f"{API}/articles/{key}/seen", json={"through": visit["latest"]})
        assert marked.json()["seen_through"] == first["comments"][0]["id"]
        # A marker never moves back, and never past the last comment.
        assert (await http.put(f"{API}/articles/{key}/seen", json={"through": 0})).json()[
            "seen_through"
        ] == first["comments"][0]["id"]
        assert (await http.put(f"{API}/articles/{key}/seen", json={"through": 10**9})).json()[
            "seen_through"
        ] == mine["comments"][0]["id"]
    # While she is away: a reply on each thread and a new thread.
    async with api(server, editor) as http, api(server, facilitator) as other:
        r1 = (await http.post(f"{API}/threads/{first['id']}/comments", json={"body": "R1"})).json()
        r2 = (await other.post(f"{API}/threads/{mine['id']}/comments", json={"body": "R2"})).json()
        fresh = (await start(server, facilitator, key, "Pendant l’absence")).json()
    new_ids = {
        r1["comments"][-1]["id"],
        r2["comments"][-1]["id"],
        fresh["comments"][0]["id"],
    }
    async with api(server, lea) as http:
        back = (await http.get(f"{API}/articles/{key}/threads")).json()
        unread = {c["id"] for t in back["threads"] for c in t["comments"] if c["unread"]}
        assert unread == new_ids
        assert {t["id"]: t["unread"] for t in back["threads"]} == {
            first["id"]: 1,
            mine["id"]: 1,
            fresh["id"]: 1,
        }
        listed = (await http.get(f"{API}/threads")).json()["threads"]
        assert sum(t["unread"] for t in listed if t["article"]["id"] == key) == 3
        await http.put(f"{API}/articles/{key}/seen", json={"through": back["latest"]})
        after = (await http.get(f"{API}/articles/{key}/threads")).json()
        assert all(t["unread"] == 0 for t in after["threads"])


async def test_the_charter_wide_list_filters_by_article_status_and_author(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    one = await new_article(server, facilitator)
    two = await new_article(server, facilitator, "Un autre texte.")
    camille = await make_token(server, "commenter", "Camille")
    a = (await start(server, camille, one["id"], "A")).json()
    b = (await start(server, editor, one["id"], "B")).json()
    c = (await start(server, camille, two["id"], "C")).json()
    async with api(server, editor) as http:
        await http.put(f"{API}/threads/{b['id']}/status", json={"status": "resolved"})

        async def ids(**params: Any) -> list[int]:
            response = await http.get(f"{API}/threads", params=params)
            assert response.status_code == 200, response.text
            return [t["id"] for t in response.json()["threads"]]

        assert await ids() == [a["id"], b["id"], c["id"]]
        assert await ids(status="open") == [a["id"], c["id"]]
        assert await ids(status="resolved") == [b["id"]]
        assert await ids(article=two["id"]) == [c["id"]]
        assert await ids(author=a["author_id"]) == [a["id"], c["id"]]
        assert await ids(author=a["author_id"], article=one["id"], status="open") == [a["id"]]
        assert (await http.get(f"{API}/threads", params={"author": "x"})).status_code == 422
        assert (await http.get(f"{API}/threads", params={"article": "zz"})).status_code == 404
