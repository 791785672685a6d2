"""A participant's own account: their e-mail address is never in what others see, "my
data" holds everything about them, and deleting the account keeps what they wrote under a
pseudonym while their token, cookie, address and queued e-mails are gone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx

from server.domain import mail
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.smtp import MailServer
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    first_document,
    make_token,
    running_server,
    settle,
)

API = f"/api/charters/{DEMO_SLUG}"
ADDRESS = "dana.secret@example.org"


@asynccontextmanager
async def mailing(database_url: str) -> AsyncIterator[tuple[RunningServer, MailServer]]:
    smtp = await MailServer().start()
    settings = Settings(
        database_url=database_url,
        seed_demo=True,
        admin_token=ADMIN_TOKEN,
        smtp_url=smtp.url,
        mail_from="charte@example.org",
    )
    try:
        async with running_server(settings) as server:
            yield server, smtp
    finally:
        await smtp.stop()


async def until_mail(smtp: MailServer, address: str) -> None:
    for _ in range(150):
        if smtp.recorder.to(address):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no mail to {address}")


def as_(server: RunningServer, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.base_url, headers={"authorization": f"Bearer {token}"})


async def dana(server: RunningServer) -> tuple[str, int]:
    """An editor whose address is verified, who commented, proposed and voted."""
    token = await make_token(server, "editor", "Dana Dupont")
    participant = int(token.split(".")[0])
    accounts = server.services.stores.accounts
    await accounts.set_pending(participant, ADDRESS)
    assert await accounts.verify(participant, ADDRESS, datetime.now(UTC))
    async with as_(server, token) as http:
        charter = (await http.get(API)).json()
        key = charter["sections"][0]["articles"][0]["id"]
        thread = await http.post(f"{API}/articles/{key}/threads", json={"body": "Mon avis."})
        assert thread.status_code == 201
        proposed = await http.post(
            f"{API}/articles/{key}/amendments",
            json={"title": "Ma proposition", "rationale": "Parce que.", "open": True},
        )
        assert proposed.status_code == 201, proposed.text
        amendment = proposed.json()["id"]
        voted = await http.put(f"{API}/amendments/{amendment}/vote", json={"choice": "for"})
        assert voted.status_code == 200, voted.text
    return token, participant


async def test_the_address_is_never_in_what_others_see(database_url: str) -> None:
    async with mailing(database_url) as (server, _):
        token, _ = await dana(server)
        facilitator = await make_token(server, "facilitator", "Fanny")
        async with as_(server, facilitator) as http:
            seen = [
                await http.get(f"{API}/participants"),
                await http.get(API),
                await http.get(f"{API}/export"),
                await http.get(f"{API}/threads"),
                await http.get(f"{API}/amendments"),
                await http.get(f"{API}/authors"),
                await http.get(f"/charters/{DEMO_SLUG}/read"),
            ]
            own = await http.get(f"{API}/me/email")
        assert all(r.status_code == 200 for r in seen), [r.status_code for r in seen]
        assert not [r.url for r in seen if "dana.secret" in r.text]
        assert "Dana Dupont" in seen[0].text  # the listing is there, without the address
        assert own.json()["email"] is None  # the facilitator's own, not Dana's
        async with as_(server, token) as http:
            assert (await http.get(f"{API}/me/email")).json()["email"] == ADDRESS


async def test_my_data_holds_everything_about_me(database_url: str) -> None:
    async with mailing(database_url) as (server, _):
        token, participant = await dana(server)
        async with as_(server, token) as http:
            response = await http.get(f"{API}/me/export")
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        data = response.json()
        assert data["participant"] == {
            "id": participant,
            "name": "Dana Dupont",
            "badge": None,
            "role": "editor",
            "kind": "script",
        }
        assert data["email"]["address"] == ADDRESS and data["email"]["verified_at"]
        assert [c["body"] for c in data["comments"]] == ["Mon avis."]
        assert [a["title"] for a in data["amendments"]] == ["Ma proposition"]
        assert [v["choice"] for v in data["amendment_votes"]] == ["for"]
        assert data["ballots"] == []
        assert all(f["participant_id"] == participant for f in data["follows"])  # following's
        assert data["charter"]["slug"] == DEMO_SLUG


async def test_deleting_the_account_pseudonymises_and_ends_the_session(
    database_url: str,
) -> None:
    async with mailing(database_url) as (server, _):
        token, participant = await dana(server)
        svc = server.services
        charter = await svc.repo.get_charter(DEMO_SLUG)
        queued = await mail.enqueue(
            svc, charter_id=charter.id, participant_id=participant, key="k", subject="s", text="t"
        )
        assert queued
        document = await first_document(server.base_url, DEMO_SLUG, token)
        async with PyClient(server.ws_url, document, token) as writer:
            writer.append(" Écrit par Dana.")
            await settle(server, writer)
            async with as_(server, token) as http:
                refused = await http.request("DELETE", f"{API}/me", json={})
                assert refused.status_code == 422
                deleted = await http.request("DELETE", f"{API}/me", json={"confirm": True})
                assert deleted.status_code == 200
                pseudonym = deleted.json()["pseudonym"]
                assert pseudonym == f"Participant·e {participant}"
                assert (await http.get(f"{API}/me")).status_code == 401  # the token is dead
            await writer.closed.wait()  # the open socket was closed too
        assert not await svc.stores.outbox.of_participant(participant)
        state = await svc.stores.accounts.email(participant)
        assert state.address is None and state.pending is None
        left = await svc.stores.accounts.export(participant)
        assert left["follows"] == [] and left["mail_preferences"] == []  # following's, gone
        admin = as_(server, ADMIN_TOKEN)
        async with admin as http:
            threads = (await http.get(f"{API}/threads")).json()
            amendments = (await http.get(f"{API}/amendments")).json()
            text = (await http.get(f"/charters/{DEMO_SLUG}/read")).text
            authors = (await http.get(f"{API}/authors")).text
        everything = str(threads) + str(amendments) + text + authors
        assert "Dana" not in everything.replace("Écrit par Dana", "")
        assert pseudonym in str(threads) and pseudonym in str(amendments)
        assert "Écrit par Dana." in text  # the text keeps its characters
        assert pseudonym in authors  # and who wrote them is the pseudonym


async def test_the_account_page_works_without_script(database_url: str) -> None:
    async with mailing(database_url) as (server, smtp):
        token = await make_token(server, "editor", "Élise")
        origin = {"origin": server.base_url}
        async with as_(server, token) as http:
            page = await http.get(f"/charters/{DEMO_SLUG}/account")
            assert page.status_code == 200 and "Mon compte" in page.text
            sent = await http.post(
                f"/charters/{DEMO_SLUG}/account",
                data={"action": "email", "email": "elise@example.org"},
                headers=origin,
            )
            assert sent.status_code == 303
            page = await http.get(sent.headers["location"])
            assert "elise@example.org" in page.text and 'id="account-notice"' in page.text
            await until_mail(smtp, "elise@example.org")
            bad = await http.post(
                f"/charters/{DEMO_SLUG}/account",
                data={"action": "email", "email": "pas une adresse"},
                headers=origin,
            )
            assert bad.status_code == 422 and 'role="alert"' in bad.text
            unconfirmed = await http.post(
                f"/charters/{DEMO_SLUG}/account", data={"action": "delete"}, headers=origin
            )
            assert unconfirmed.status_code == 422
            gone = await http.post(
                f"/charters/{DEMO_SLUG}/account",
                data={"action": "delete", "confirm": "yes"},
                headers=origin,
            )
            assert gone.status_code == 200 and re.search(r"Participant·e \d+", gone.text)
            assert (await http.get(f"/charters/{DEMO_SLUG}/account")).status_code == 403


async def test_joining_with_an_address_that_is_not_one_joins_nobody(database_url: str) -> None:
    async with mailing(database_url) as (server, smtp):
        async with as_(server, ADMIN_TOKEN) as http:
            invite = (await http.post(f"{API}/invites", json={"role": "editor"})).json()
        charter = await server.services.repo.get_charter(DEMO_SLUG)
        before = len(await server.services.people.list_participants(charter.id))
        async with httpx.AsyncClient() as http:
            refused = await http.post(invite["link"], json={"name": "Zoé", "email": "zoé@"})
            page = await http.post(
                invite["link"],
                data={"name": "Zoé", "email": "pas une adresse"},
                headers={"accept-language": "fr"},
            )
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "email"
        assert page.status_code == 422 and "ne semble pas valable" in page.text
        assert len(await server.services.people.list_participants(charter.id)) == before
        assert smtp.messages == []


async def test_confirmation_links_are_limited_per_hour(database_url: str) -> None:
    async with mailing(database_url) as (server, _):
        token = await make_token(server, "editor", "Hugo")
        async with as_(server, token) as http:
            for n in range(5):
                sent = await http.put(f"{API}/me/email", json={"email": f"h{n}@example.org"})
                assert sent.status_code == 200
            refused = await http.put(f"{API}/me/email", json={"email": "h9@example.org"})
            assert refused.status_code == 429 and refused.headers["retry-after"] == "3600"
            assert (await http.get(f"{API}/me/email")).json()["pending"] == "h4@example.org"
