"""E-mail to participants over a real SMTP server (aiosmtpd, in-process, port 0): the
verification link of an address, the outbox sent once by two instances sharing one
PostgreSQL, an SMTP server down then up (retried with back-off, sent once, editing goes on),
and no SMTP configured (nothing queued, the settings say so)."""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from persistence.engine import make_engine
from persistence.mail import LEASE, MAX_ATTEMPTS, Outbox, backoff
from server.domain import mail
from server.domain.account import VERIFY_SALT, VERIFY_SECONDS
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.smtp import MailServer, text_of, verify_link
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    first_document,
    make_token,
    running_server,
    settle,
)

SECRET = "test-secret-key-for-mail"
ME = f"/api/charters/{DEMO_SLUG}/me/email"


def mail_settings(database_url: str, smtp_url: str, **more: object) -> Settings:
    return Settings(
        database_url=database_url,
        seed_demo=True,
        admin_token=ADMIN_TOKEN,
        secret_key=SECRET,
        smtp_url=smtp_url,
        mail_from="Charte <charte@example.org>",
        **more,  # type: ignore[arg-type]
    )


@asynccontextmanager
async def smtp_server() -> AsyncIterator[MailServer]:
    server = await MailServer().start()
    try:
        yield server
    finally:
        await server.stop()


async def until(check: Callable[[], object], timeout: float = 15.0, what: str = "") -> None:
    """Poll ``check`` (plain or async) until it is true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def join(server: RunningServer, name: str, address: str | None) -> str:
    """A participant joins through an invitation link, with an address or none."""
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        invite = await http.post(f"/api/charters/{DEMO_SLUG}/invites", json={"role": "editor"})
        link = invite.json()["link"]
    body = {"name": name, **({"email": address} if address else {})}
    async with httpx.AsyncClient() as http:
        joined = await http.post(link, json=body)
    assert joined.status_code == 201, joined.text
    return str(joined.json()["token"])


async def all_sent(server: RunningServer) -> bool:
    """Every e-mail of the demo charter is marked sent (its SMTP delivery is over)."""
    charter = await server.services.repo.get_charter(DEMO_SLUG)
    rows = await server.services.stores.outbox.listed(charter.id)
    return bool(rows) and all(r.status == "sent" for r in rows)


def client(server: RunningServer | str, token: str | None = None) -> httpx.AsyncClient:
    base = server if isinstance(server, str) else server.base_url
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=base, headers=headers)


async def test_an_address_given_on_joining_is_verified_by_the_link_it_receives(
    database_url: str,
) -> None:
    async with (
        smtp_server() as smtp,
        running_server(mail_settings(database_url, smtp.url)) as server,
    ):
        token = await join(server, "Alice", "alice@example.org")
        await until(lambda: smtp.recorder.to("alice@example.org"), what="the verification mail")
        message = smtp.recorder.to("alice@example.org")[0]
        assert message["From"] == "Charte <charte@example.org>"
        assert "Confirmez" in message["Subject"]
        async with client(server, token) as http:
            before = (await http.get(ME)).json()
            assert before["email"] is None and before["pending"] == "alice@example.org"
            page = await http.get(verify_link(message).replace(server.settings.base_url, ""))
            assert page.status_code == 200 and "alice@example.org" in page.text
            after = (await http.get(ME)).json()
        assert after["email"] == "alice@example.org" and after["verified_at"]
        assert after["pending"] is None and after["mail"] == {"configured": True}

        # A new address waits for its own link; the verified one stays in use meanwhile.
        async with client(server, token) as http:
            changed = (await http.put(ME, json={"email": "alice@new.example.org"})).json()
            assert changed["email"] == "alice@example.org"
            assert changed["pending"] == "alice@new.example.org"
            await until(lambda: smtp.recorder.to("alice@new.example.org"), what="second link")
            link = verify_link(smtp.recorder.to("alice@new.example.org")[0])
            assert (await http.get(link)).status_code == 200
            assert (await http.get(ME)).json()["email"] == "alice@new.example.org"
            # The first link, for the address since replaced, no longer verifies it.
            again = await http.get(verify_link(message))
            assert again.status_code == 400
            assert (await http.get(ME)).json()["email"] == "alice@new.example.org"


class PastSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - VERIFY_SECONDS - 60


async def test_an_expired_or_forged_link_is_refused(database_url: str) -> None:
    async with (
        smtp_server() as smtp,
        running_server(mail_settings(database_url, smtp.url)) as server,
    ):
        token = await join(server, "Bruno", "bruno@example.org")
        await until(lambda: smtp.recorder.to("bruno@example.org"), what="the verification mail")
        link = verify_link(smtp.recorder.to("bruno@example.org")[0])
        participant = int(token.split(".")[0])
        value = {"p": participant, "e": "bruno@example.org"}
        expired = URLSafeTimedSerializer(SECRET, salt=VERIFY_SALT, signer=PastSigner).dumps(value)
        forged = URLSafeTimedSerializer("another key", salt=VERIFY_SALT).dumps(value)
        async with client(server, token) as http:
            old = await http.get(f"/mail/verify/{expired}")
            assert old.status_code == 400 and "expiré" in old.text
            bad = await http.get(f"/mail/verify/{forged}")
            assert bad.status_code == 400 and "pas valable" in bad.text
            tampered = await http.get(link[:-3] + "abc")
            assert tampered.status_code == 400
            assert (await http.get(ME)).json()["email"] is None  # none of them verified it
            assert (await http.get(link)).status_code == 200  # the genuine one does


async def verified_participant(server: RunningServer, name: str, address: str) -> int:
    """A participant whose address is verified (through the stores, as the link does)."""
    token = await make_token(server, "editor", name)
    participant = int(token.split(".")[0])
    accounts = server.services.stores.accounts
    await accounts.set_pending(participant, address)
    assert await accounts.verify(participant, address, datetime.now(UTC))
    return participant


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_smtp_down_then_up_is_retried_and_sent_once_while_editing_goes_on(
    database_url: str,
) -> None:
    port = free_port()
    down = f"smtp://127.0.0.1:{port}"
    async with running_server(mail_settings(database_url, down, mail_retry_seconds=0.3)) as server:
        svc = server.services
        charter = await svc.repo.get_charter(DEMO_SLUG)
        participant = await verified_participant(server, "Chloé", "chloe@example.org")
        kwargs = {"charter_id": charter.id, "participant_id": participant}
        assert await mail.enqueue(
            svc,
            key="t:1",
            subject="Sujet",
            text="Corps",
            html="<p>Corps</p>",
            unsubscribe_url="http://example.org/mail/unsubscribe/x",
            **kwargs,
        )
        assert not await mail.enqueue(svc, key="t:1", subject="Sujet", text="Corps", **kwargs)

        async def failed_twice() -> bool:
            rows = await svc.stores.outbox.of_participant(participant)
            return bool(rows[0].attempts >= 2)

        await until(failed_twice, what="two failed attempts")
        row = (await svc.stores.outbox.of_participant(participant))[0]
        assert row.status == "pending" and row.last_error and row.sent_at is None

        # Editing goes on while mail cannot go out.
        editor = await make_token(server, "editor", "Rédactrice")
        document = await first_document(server.base_url, DEMO_SLUG, editor)
        async with PyClient(server.ws_url, document, editor) as writer:
            writer.append(" Écrit pendant la panne.")
            assert "Écrit pendant la panne." in await settle(server, writer)

        smtp = await MailServer(port).start()
        try:
            await until(lambda: smtp.recorder.to("chloe@example.org"), what="the mail, once up")
            await until(lambda: all_sent(server), what="the row marked sent")
            assert await mail.send_due(server.services) == 0  # another round: nothing twice
            assert len(smtp.messages) == 1 and text_of(smtp.messages[0]).strip() == "Corps"
            message = smtp.messages[0]
            html = message.get_body(preferencelist=("html",))
            assert html is not None and "<p>Corps</p>" in str(html.get_content())
            assert message["List-Unsubscribe"] == "<http://example.org/mail/unsubscribe/x>"
            assert message["From"] == "Charte <charte@example.org>"
        finally:
            await smtp.stop()
        row = (await svc.stores.outbox.of_participant(participant))[0]
        assert row.status == "sent" and row.sent_at is not None and row.attempts >= 3


async def test_two_instances_on_one_postgresql_send_each_message_once(pg: str) -> None:
    async with smtp_server() as smtp, running_server(mail_settings(pg, smtp.url)) as a:
        b_settings = mail_settings(pg, smtp.url).with_overrides(seed_demo=False)
        async with running_server(b_settings) as b:
            charter = await a.services.repo.get_charter(DEMO_SLUG)
            people = [await verified_participant(a, f"P{n}", f"p{n}@example.org") for n in range(6)]
            for n, participant in enumerate(people):
                for instance in (a, b):  # both instances enqueue the same digest
                    await mail.enqueue(
                        instance.services,
                        charter_id=charter.id,
                        participant_id=participant,
                        key=f"digest:{participant}:2026-12-05",
                        subject=f"Nouvelles {n}",
                        text=f"Corps {n}",
                    )
            rows = await a.services.stores.outbox.listed(charter.id)
            assert len(rows) == len(people)
            await until(lambda: len(smtp.messages) >= len(people), what="every message")
            await until(lambda: all_sent(a), what="every row marked sent")
            for instance in (a, b):  # one more round of each sender: nothing goes twice
                assert await mail.send_due(instance.services) == 0
            subjects = sorted(str(m["Subject"]) for m in smtp.messages)
            assert subjects == sorted(f"Nouvelles {n}" for n in range(len(people)))
            rows = await b.services.stores.outbox.listed(charter.id)
            assert {r.status for r in rows} == {"sent"}


async def test_without_smtp_nothing_is_queued_and_the_settings_say_so(database_url: str) -> None:
    settings = Settings(database_url=database_url, seed_demo=True, admin_token=ADMIN_TOKEN)
    async with running_server(settings) as server:
        svc = server.services
        charter = await svc.repo.get_charter(DEMO_SLUG)
        facilitator = await make_token(server, "facilitator", "Fanny")
        async with client(server, facilitator) as http:
            shown = (await http.get(f"/api/charters/{DEMO_SLUG}/settings")).json()
            assert shown["mail"] == {"configured": False}
            refused = await http.put(ME, json={"email": "fanny@example.org"})
            assert refused.status_code == 409
            assert (await http.get(ME)).json() == {
                "email": None,
                "verified_at": None,
                "pending": None,
                "mail": {"configured": False},
            }
        participant = int(facilitator.split(".")[0])
        assert not await mail.enqueue(
            svc, charter_id=charter.id, participant_id=participant, key="k", subject="s", text="t"
        )
        assert await svc.stores.outbox.listed(charter.id) == []
        assert await mail.send_due(svc) == 0
        token = await join(server, "Sans adresse", "ignored@example.org")
        assert (await svc.stores.accounts.email(int(token.split(".")[0]))).pending is None
        assert await svc.stores.outbox.listed(charter.id) == []


def test_smtp_urls_are_parsed() -> None:
    plain = mail.parse_smtp_url("smtp://user%40x:p%3Ass@mail.example.org:2525?starttls=true")
    assert plain == mail.Smtp("mail.example.org", 2525, False, True, "user@x", "p:ss")
    assert mail.parse_smtp_url("smtps://mail.example.org") == mail.Smtp(
        "mail.example.org", 465, True, False, None, None
    )
    assert mail.parse_smtp_url("") is None
    with pytest.raises(ValueError):
        mail.parse_smtp_url("http://mail.example.org")


async def test_a_claimed_row_is_due_again_after_its_lease_and_fails_after_ten_tries(
    database_url: str,
) -> None:
    settings = Settings(database_url=database_url, seed_demo=True, admin_token=ADMIN_TOKEN)
    async with running_server(settings) as server:  # no SMTP: no sender claims behind us
        outbox = server.services.stores.outbox
        charter = await server.services.repo.get_charter(DEMO_SLUG)
        now = datetime.now(UTC)
        queued = await outbox.enqueue(
            charter_id=charter.id,
            participant_id=None,
            to_address="x@example.org",
            key="lease",
            subject="s",
            text="t",
            now=now,
        )
        assert queued
        assert [m.key for m in await outbox.claim(10, now)] == ["lease"]
        assert await outbox.claim(10, now + timedelta(minutes=1)) == []  # being sent
        # The instance that claimed it crashed: once the lease is over, it is due again.
        (again,) = await outbox.claim(10, now + LEASE + timedelta(seconds=1))
        for attempt in range(1, MAX_ATTEMPTS + 1):
            row = await outbox.retry_later(again.id, "refused", now)
            assert row.attempts == attempt
            assert row.status == ("failed" if attempt == MAX_ATTEMPTS else "pending")
        assert await outbox.claim(10, now + timedelta(days=1)) == []  # failed for good
    assert [backoff(n) for n in (1, 2, 3, 7, 30)] == [
        timedelta(minutes=m) for m in (1, 2, 4, 60, 60)
    ]


async def test_a_stop_while_mail_goes_out_finishes_that_message_and_hands_back_the_rest(
    database_url: str,
) -> None:
    """A rolling restart while the sender is in the middle of a round, over a slow relay. The
    message being sent when the stop comes is finished and marked sent (cut off, its row would
    have stayed "being sent" and gone out a second time after its lease); the messages the
    round had claimed but not sent are due again at once, not five minutes later, and the next
    start sends them. Every message goes out once."""
    subjects = [f"Message {n}" for n in range(6)]
    smtp = await MailServer(delay=0.4).start()
    try:
        settings = mail_settings(database_url, smtp.url)
        async with running_server(settings) as server:
            charter = await server.services.repo.get_charter(DEMO_SLUG)
            participant = await verified_participant(server, "Chloé", "chloe@example.org")
            for n, subject in enumerate(subjects):
                assert await mail.enqueue(
                    server.services,
                    charter_id=charter.id,
                    participant_id=participant,
                    key=f"restart:{n}",
                    subject=subject,
                    text="Corps",
                )
            await until(lambda: smtp.recorder.receiving >= 2, what="a round under way")
        stopped_at = datetime.now(UTC)
        engine = make_engine(database_url)
        try:
            rows = await Outbox(engine).listed(charter.id)
        finally:
            await engine.dispose()
        went = [str(m["Subject"]) for m in smtp.messages]
        assert smtp.recorder.receiving == len(went) >= 2  # nothing left half-sent
        assert sorted(r.subject for r in rows if r.status == "sent") == sorted(went)
        waiting = [r for r in rows if r.status != "sent"]
        assert waiting, "the stop came before the round's end"
        assert {r.status for r in waiting} == {"pending"}
        assert all(r.next_attempt_at and r.next_attempt_at <= stopped_at for r in waiting)

        async with running_server(settings.with_overrides(seed_demo=False)) as again:
            await until(lambda: all_sent(again), what="the rest, after the restart")
        assert sorted(str(m["Subject"]) for m in smtp.messages) == subjects
    finally:
        await smtp.stop()
