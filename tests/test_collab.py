"""/collab with the real @hocuspocus/provider 4.8 (Node): many documents on one socket."""

from __future__ import annotations

import json

from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.databases import stored_text, writes_blocked
from tests.hpdriver import HocuspocusClient
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    make_token,
    running_server,
    server_text,
    until_server_has,
)
from tests.support import documents as all_documents


async def documents(server: RunningServer) -> list[str]:
    return await all_documents(server.base_url, DEMO_SLUG)


def is_(kind: str, doc: str):  # type: ignore[no-untyped-def]
    return lambda e: e["event"] == kind and e["doc"] == doc


async def test_three_documents_on_one_socket_read_write_readonly_denied(
    server: RunningServer, editor: str
) -> None:
    """One socket: article x as an editor, article y as a reader, a third document denied."""
    reader = await make_token(server, "reader", "Lecteur")
    x, y = (await documents(server))[:2]
    unknown = f"charters/{DEMO_SLUG}/articles/zzzzzzzz"
    docs = [
        {"name": x, "token": editor},
        {"name": y, "token": reader},
        {"name": unknown, "token": editor},
    ]
    both = [{"name": x, "token": editor}, {"name": y, "token": editor}]
    async with (
        HocuspocusClient(server.ws_url, docs) as alice,
        HocuspocusClient(server.ws_url, both) as bob,
    ):
        scopes = {
            (client, doc): (await client.wait(is_("authenticated", doc)))["scope"]
            for client in (alice, bob)
            for doc in (x, y)
        }
        assert scopes == {
            (alice, x): "read-write",
            (alice, y): "readonly",
            (bob, x): "read-write",
            (bob, y): "read-write",
        }
        for client in (alice, bob):
            for doc in (x, y):
                await client.wait(is_("synced", doc))
        denied = await alice.wait(is_("denied", unknown))
        assert denied["reason"] == "unknown document"
        y_before = await server_text(server.base_url, y)

        await alice.send({"cmd": "insert", "doc": x, "index": 0, "text": "Élus 😀 "})
        await bob.send({"cmd": "insert", "doc": y, "index": 0, "text": "Citoyens 🎉 "})
        await bob.wait(lambda e: e["doc"] == x and e.get("text", "").startswith("Élus 😀 "))
        await alice.wait(lambda e: e["doc"] == y and e.get("text", "").startswith("Citoyens 🎉 "))
        assert alice.text(x) == bob.text(x) and alice.text(y) == bob.text(y)

        # Alice only reads y: her edit there is refused (SyncStatus 0) and reaches nobody.
        since = alice.mark()
        await alice.send({"cmd": "insert", "doc": y, "index": 0, "text": "[refusé] "})
        await alice.send(
            {"cmd": "stateless", "doc": x, "payload": json.dumps({"type": "ping", "id": 7})}
        )
        pong = await alice.wait(is_("stateless", x), since=since)
        assert json.loads(pong["payload"]) == {"type": "pong", "id": 7}
        assert "[refusé]" not in await server_text(server.base_url, y)
        assert "[refusé]" not in bob.text(y)
        assert (await server_text(server.base_url, y)).startswith("Citoyens 🎉 ")
        assert y_before in await server_text(server.base_url, y)


async def test_unsynced_changes_clear_only_after_the_commit(database_url: str) -> None:
    settings = Settings(database_url=database_url, seed_demo=True, admin_token=ADMIN_TOKEN)
    async with running_server(settings) as server:
        x = (await documents(server))[0]
        token = await make_token(server)
        async with HocuspocusClient(server.ws_url, [{"name": x, "token": token}]) as client:
            await client.wait(is_("synced", x))
            await client.wait(lambda e: e["event"] == "unsynced" and e["count"] == 0)
            since = client.mark()
            async with writes_blocked(database_url):  # commits must wait
                await client.send({"cmd": "insert", "doc": x, "index": 0, "text": "[acked] "})
                await until_server_has(server.base_url, x, lambda t: t.startswith("[acked] "))
                state = await client.state(x)
                assert state["hasUnsynced"], "acknowledged before the database commit"
                assert "[acked]" not in await stored_text(database_url)
            await client.wait(lambda e: e["event"] == "unsynced" and e["count"] == 0, since=since)
            assert (await client.state(x))["hasUnsynced"] is False
            # on disk the moment it was acked
            assert (await stored_text(database_url)).startswith("[acked] ")


async def test_collab_and_y_websocket_clients_share_a_document(
    server: RunningServer, editor: str
) -> None:
    x = (await documents(server))[0]
    async with (
        HocuspocusClient(server.ws_url, [{"name": x, "token": editor}]) as hp_client,
        PyClient(server.ws_url, x, editor) as py_client,
    ):
        await hp_client.wait(is_("synced", x))
        await hp_client.send({"cmd": "insert", "doc": x, "index": 0, "text": "[hp] "})
        py_client.append(" [py]")
        await py_client.wait_text(lambda t: t.startswith("[hp] ") and t.endswith(" [py]"))
        await hp_client.wait(lambda e: e["doc"] == x and e.get("text", "").endswith(" [py]"))
        assert hp_client.text(x) == py_client.value()
