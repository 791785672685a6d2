"""Interop with real Yjs clients: yjs + y-websocket from npm, run by Node, against our server.

Each JS client is ``tests/interop/yws_client.mjs`` in its own Node process, started with
``asyncio.create_subprocess_exec`` so that the server and the Python client, which share
this event loop, keep running while the JS clients work. JS clients pass their token the
way a browser does: y-websocket's ``params`` option, i.e. ``?token=`` on the socket URL.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycrdt import Doc, Text

from server.domain.demo import DEMO_SLUG
from tests.support import (
    ADMIN_TOKEN,
    ROOT,
    PyClient,
    RunningServer,
    first_document,
    make_token,
    server_text,
    wait_for,
)

INTEROP = ROOT / "tests" / "interop"
SCRIPT = INTEROP / "yws_client.mjs"
NODE = shutil.which("node")
TIMEOUT = 20.0  # seconds, for one JS client from start to exit

if NODE is None or not (INTEROP / "node_modules" / "y-websocket").is_dir():
    pytest.fail(
        "the Yjs interop tests need Node and tests/interop/node_modules: run `make js-deps`",
        pytrace=False,
    )


class JsClient:
    """One ``yws_client.mjs`` process: JSON config in, JSON lines out."""

    def __init__(
        self,
        server: RunningServer,
        document: str,
        tmp_path: Path,
        token: str | None,
        **config: Any,
    ) -> None:
        self.label: str = config.setdefault("label", "js")
        self.config = {
            "url": f"{server.ws_url}/ws",
            "document": document,
            "params": {"token": token} if token else {},
            "timeoutMs": int(TIMEOUT * 1000),
            **config,
        }
        self.stderr_path = tmp_path / f"{self.label}.stderr"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> JsClient:
        with self.stderr_path.open("wb") as stderr:
            self.proc = await asyncio.create_subprocess_exec(
                str(NODE),
                str(SCRIPT),
                json.dumps(self.config),
                cwd=INTEROP,
                stdin=asyncio.subprocess.PIPE if self.config.get("waitForGo") else None,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        return self

    def _diagnostics(self) -> str:
        return f"{self.label} stderr: {self.stderr_path.read_text(errors='replace')[-2000:]!r}"

    async def event(self) -> dict[str, Any]:
        """The next JSON line the client prints."""
        assert self.proc is not None and self.proc.stdout is not None
        # Longer than the script's own timeout, so that the script reports first.
        timeout = self.config["timeoutMs"] / 1000 + 5
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            raise AssertionError(f"{self.label} printed nothing in {timeout}s") from None
        assert line, f"{self.label} exited without output; {self._diagnostics()}"
        event: dict[str, Any] = json.loads(line)
        assert event["label"] == self.label
        return event

    def go(self) -> None:
        """Write "go" straight into the pipe (no await: nothing else runs meanwhile)."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")

    async def result(self, kind: str) -> dict[str, Any]:
        """Wait for the final line, check it is ``kind``, then for a clean exit."""
        event = await self.event()
        assert event["event"] == kind, f"{event}; {self._diagnostics()}"
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), 10)
        assert code == 0, f"{self.label} exited {code}; {self._diagnostics()}"
        return event

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


async def test_two_js_clients_and_a_python_client_edit_concurrently(
    server: RunningServer, tmp_path: Path
) -> None:
    name = await first_document(server.base_url, DEMO_SLUG)
    seed = await server_text(server.base_url, name)
    assert "réutilisables" in seed
    a_text, b_text, py_text = (
        "Élus et citoyens 😀 ",
        " Participation — ça marche 🎉",
        "coproduction: naïve café 👩‍👩‍👧 ",
    )
    everything = [a_text, b_text, py_text]
    js_a = JsClient(
        server, name, tmp_path, await make_token(server, "editor", "Anaïs (JS)"),
        label="js-a", waitForGo=True, expect=everything, insert={"text": a_text, "at": "start"},
    )  # fmt: skip
    # Right after an accented word: JS counts UTF-16 units, pycrdt UTF-8 bytes.
    js_b = JsClient(
        server, name, tmp_path, await make_token(server, "editor", "Benoît (JS)"),
        label="js-b", waitForGo=True, expect=everything,
        insert={"text": b_text, "at": {"after": "réutilisables"}},
    )  # fmt: skip
    clients = [js_a, js_b]
    py_token = await make_token(server, "editor", "Chloé (Python)")
    try:
        async with PyClient(server.ws_url, name, py_token) as py:
            for client in clients:
                await client.start()
            for client in clients:
                synced = await client.event()
                assert synced["event"] == "synced", f"{synced}; {client._diagnostics()}"
                assert synced["text"] == seed
            assert py.value() == seed
            # Concurrent edits: each JS client makes its edit offline on the seed, then
            # reconnects; the Python client's insert is made on the seed too, in a side copy,
            # and reaches the server only once both JS clients have made theirs.
            side = Doc()
            side.apply_update(py.doc.get_update())
            base = side.get_state()
            side.get("body", type=Text).insert(0, py_text)  # where js-a inserts too
            js_a.go()
            js_b.go()
            for client in clients:
                edited = await client.event()
                assert edited["event"] == "edited", f"{edited}; {client._diagnostics()}"
            py.doc.apply_update(side.get_update(base))

            results = [await client.result("done") for client in clients]
            final = await py.wait_text(lambda t: all(s in t for s in everything), TIMEOUT)
    finally:
        for client in clients:
            await client.kill()

    for result in results:
        assert result["before"] == seed, f"{result['label']} saw another edit before its own"
        assert result["text"] == final
    assert len({result["clientID"] for result in results}) == 2
    assert await server_text(server.base_url, name) == final
    # Nothing lost or duplicated: the seed plus the three inserts, each exactly once.
    assert len(final) == len(seed) + sum(len(s) for s in everything)
    assert all(final.count(s) == 1 for s in everything)
    assert final.split("réutilisables", 1)[1].startswith(b_text)


@pytest.mark.parametrize(
    ("case", "code", "reason"),
    [
        ("unknown document", 4404, "unknown document"),
        ("no token", 4401, "an invitation or a token is needed"),
        ("reader writes", 4403, "the reader role may not write"),
    ],
)
async def test_js_client_stops_reconnecting_after_a_44xx_close(
    server: RunningServer, tmp_path: Path, case: str, code: int, reason: str
) -> None:
    """y-websocket 3.1 treats 4400-4499 as permanent: one connection, a ``closed`` event,
    and no reconnect (with the backoff at 100 ms, the script watches for a further second)."""
    article = name = await first_document(server.base_url, DEMO_SLUG)
    seed = await server_text(server.base_url, article)
    edit: dict[str, Any] = {}
    if case == "unknown document":
        name, token = "charters/nope/articles/abc", await make_token(server, "editor")
    elif case == "no token":
        token = None
    else:
        token = await make_token(server, "reader", "Lectrice")
        edit = {"insert": {"text": "Lecture seule ✍️ ", "at": "start"}}
    client = JsClient(
        server, name, tmp_path, token, label="js-closed", expectClose=True, timeoutMs=5000, **edit
    )
    try:
        await client.start()
        closed = await client.result("closed")
    finally:
        await client.kill()
    assert (closed["code"], closed["reason"]) == (code, reason)
    assert closed["closeCodes"] == [code]
    assert closed["connects"] == 1
    assert closed["reconnectsAfterClose"] == 0
    assert closed["shouldConnect"] is False
    assert closed["synced"] is bool(edit)  # a reader may read: it synced, then wrote
    if edit:
        assert closed["text"] == "Lecture seule ✍️ " + seed
    assert await server_text(server.base_url, article) == seed  # the refused write left no trace


def _attributes_of(diff: list[tuple[str, Any]], text: str) -> Any:
    """The attributes of the run that holds ``text``; fails if ``text`` spans runs."""
    runs = [attrs for run, attrs in diff if text in run]
    assert runs, f"{text!r} is not inside one run of {diff}"
    return runs[0]


def _js_delta(delta: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any] | None]]:
    """A Yjs ``toDelta()`` in the shape of pycrdt's ``Text.diff()``."""
    return [(op["insert"], op.get("attributes")) for op in delta]


async def test_js_formatting_reaches_python_and_the_server(
    server: RunningServer, tmp_path: Path, editor: str
) -> None:
    name = await first_document(server.base_url, DEMO_SLUG)
    seed = await server_text(server.base_url, name)
    assert "**formats ouverts**" not in seed  # plain text: the bold lives in attributes
    marker = "Vote 😀 citoyen — naïf 👩‍👩‍👧 "
    async with PyClient(server.ws_url, name, await make_token(server, "editor", "Py")) as py:
        assert ("formats ouverts", {"bold": True}) in py.text.diff()
        client = JsClient(
            server, name, tmp_path, editor, label="js-format", expect=[marker],
            insert={"text": marker, "at": "start"},
            format=[
                # After an emoji, so UTF-16 and UTF-8 offsets differ.
                {"find": "citoyen", "attributes": {"bold": True}},
                {"find": "réutilisables", "attributes": {"bold": True, "italic": True}},
                {"find": "formats ouverts", "attributes": {"bold": None}},
            ],
        )  # fmt: skip
        try:
            await client.start()
            done = await client.result("done")
        finally:
            await client.kill()

        expected = _js_delta(done["delta"])
        await wait_for(lambda: py.text.diff() == expected, TIMEOUT, "the JS formatting in Python")
        diff = py.text.diff()
        assert diff[:2] == [("Vote 😀 ", None), ("citoyen", {"bold": True})]
        assert diff[2][0].startswith(" — naïf 👩‍👩‍👧 La Ville") and diff[2][1] is None
        assert ("réutilisables", {"bold": True, "italic": True}) in diff
        assert _attributes_of(diff, "formats ouverts") is None
        assert py.value() == done["text"] == marker + seed
    assert await server_text(server.base_url, name) == marker + seed
    _, slug, _, key = name.split("/")
    async with httpx.AsyncClient(
        base_url=server.base_url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as http:
        response = await http.get(f"/api/charters/{slug}/articles/{key}", params={"format": "md"})
    markdown = response.raise_for_status().text
    assert markdown.startswith("Vote 😀 **citoyen** — naïf 👩‍👩‍👧 La Ville")
    assert "***réutilisables***" in markdown
    assert "**formats ouverts**" not in markdown and "formats ouverts" in markdown
