"""Live sync over /ws/{document} between real pycrdt clients."""

from __future__ import annotations

import asyncio

import websockets

from crdt import protocol
from server.domain.demo import DEMO_SLUG
from tests.support import PyClient, RunningServer, first_document


async def test_two_clients_converge_and_late_joiner_gets_everything(
    server: RunningServer, editor: str
) -> None:
    name = await first_document(server.base_url, DEMO_SLUG)
    async with (
        PyClient(server.ws_url, name, editor) as alice,
        PyClient(server.ws_url, name, editor) as bob,
    ):
        assert alice.value() == bob.value() != ""
        alice.text.insert(0, "Alice écrit 😀. ")
        bob.append(" Bob répond.")
        await alice.wait_text(lambda t: "Bob répond." in t and "Alice écrit 😀." in t)
        await bob.wait_text(lambda t: "Bob répond." in t and "Alice écrit 😀." in t)
        assert alice.value() == bob.value()
        async with PyClient(server.ws_url, name, editor) as carol:
            assert carol.value() == alice.value()


async def test_sender_gets_no_echo_of_its_update(server: RunningServer, editor: str) -> None:
    name = await first_document(server.base_url, DEMO_SLUG)
    async with PyClient(server.ws_url, name, editor) as watcher:
        async with websockets.connect(f"{server.ws_url}/ws/{name}?token={editor}") as raw:
            first = protocol.decode(await raw.recv())
            assert isinstance(first, protocol.SyncStep1)
            await raw.send(protocol.sync_step1(b"\x00"))
            step2 = protocol.decode(await raw.recv())
            assert isinstance(step2, protocol.SyncStep2)
            # An update built by a separate pycrdt doc on top of the server's state.
            from pycrdt import Doc, Text

            doc = Doc()
            doc.apply_update(step2.update)
            before = doc.get_state()
            doc.get("body", type=Text).insert(0, "MARK ")
            await raw.send(protocol.sync_update(doc.get_update(before)))
            await watcher.wait_text(lambda t: t.startswith("MARK "))
            # The sender must receive nothing but awareness/keepalive traffic.
            try:
                while True:
                    frame = await asyncio.wait_for(raw.recv(), 0.5)
                    message = protocol.decode(frame)
                    assert not isinstance(message, protocol.SyncUpdate), "update echoed to sender"
            except TimeoutError:
                pass


async def test_unknown_document_closes_with_4404(server: RunningServer, editor: str) -> None:
    async with websockets.connect(
        f"{server.ws_url}/ws/charters/nope/articles/abc?token={editor}"
    ) as raw:
        try:
            await raw.recv()
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4404
        else:
            raise AssertionError("expected the server to close the socket")
