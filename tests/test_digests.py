"""Digests and instant notices over the real server, on both databases, against a scripted
sequence of edits, comments, amendments and votes: the word diff since the participant's
own last visit (and, the next time, since the last digest), amendments proposed and
decided with their votes, replies and @mentions, what is asked of them, grouped by article
and newest first, in French and English; one digest per period however many instances
compute it; a signed unsubscribe link that works logged out; a notice for a reply."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from persistence.tables import outbox
from server.domain import mail
from server.domain.demo import DEMO_SLUG
from server.domain.digest_mail import render, unsubscribe_url
from server.domain.digest_sending import send_digests
from server.domain.digests import compose, gather, period_key
from server.settings import Settings
from tests.smtp import text_of
from tests.support import (
    ADMIN_TOKEN,
    PyClient,
    RunningServer,
    make_token,
    running_server,
    until_server_has,
)
from tests.test_amendments import api, new_article, propose, replace
from tests.test_mail import mail_settings, smtp_server, until

API = f"/api/charters/{DEMO_SLUG}"
N = "\u00a0"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """An SMTP server that is never there: e-mails stay in the outbox, where we read them."""
    return Settings(
        database_url=database_url,
        seed_demo=True,
        admin_token=ADMIN_TOKEN,
        smtp_url="smtp://127.0.0.1:9",
        mail_from="charte@example.org",
    )


def participant(token: str) -> int:
    return int(token.split(".", 1)[0])


async def with_address(server: RunningServer, token: str, address: str) -> None:
    accounts = server.services.stores.accounts
    await accounts.set_pending(participant(token), address)
    assert await accounts.verify(participant(token), address, datetime.now(UTC))


async def mails(server: RunningServer) -> dict[str, tuple[int, str, str, str | None]]:
    """The outbox by key: (participant, subject, text, html)."""
    async with server.services.engine.connect() as conn:
        rows = await conn.execute(
            select(
                outbox.c.key,
                outbox.c.participant_id,
                outbox.c.subject,
                outbox.c.text_body,
                outbox.c.html_body,
            )
        )
        return {r.key: (r.participant_id, r.subject, r.text_body, r.html_body) for r in rows}


async def edit(
    server: RunningServer, token: str, article: dict[str, str], old: str, new: str
) -> None:
    async with PyClient(server.ws_url, article["document"], token) as live:
        await live.wait_text(lambda t: old in t)
        replace(live, old, new)
        await until_server_has(server.base_url, article["document"], lambda t: new in t)
    await server.services.store.flush()


async def post(http: httpx.AsyncClient, path: str, body: dict[str, object]) -> dict[str, object]:
    done = await http.post(f"{API}{path}", json=body)
    assert done.status_code in (200, 201), done.text
    found: dict[str, object] = done.json()
    return found


async def test_a_digest_tells_what_changed_since_the_last_visit_then_since_itself(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    awa_token = await make_token(server, "commenter", "Awa")
    bruno_token = await make_token(server, "commenter", "Bruno")
    chloe_token = await make_token(server, "commenter", "Chloé")
    awa = participant(awa_token)
    await with_address(server, awa_token, "awa@example.org")
    svc = server.services
    async with (
        api(server, facilitator) as boss,
        api(server, awa_token) as her,
        api(server, bruno_token) as bruno,
        api(server, chloe_token) as chloe,
    ):
        first, second = await new_article(boss), await new_article(boss)
        await boss.patch(f"{API}/articles/{second['id']}", json={"title": "Deuxième"})
        own = await post(her, f"/articles/{first['id']}/threads", {"body": "Et les quartiers ?"})
        await her.put(
            f"{API}/me/follows", json={"kind": "article", "id": second["id"], "follow": True}
        )
        await her.put(
            f"{API}/me/mail-preferences", json={"frequency": "daily", "instant_replies": False}
        )
        await edit(server, editor, first, "ses données", "toutes ses données")  # before her visit
        assert (await her.put(f"{API}/articles/{first['id']}/visit")).status_code == 200
        assert (await her.put(f"{API}/articles/{second['id']}/visit")).status_code == 200
        start = datetime.now(UTC)
        base = server.base_url
        await edit(server, editor, first, "sous un mois", "sous quinze jours")  # after it
        reply = await post(bruno, f"/threads/{own['id']}/comments", {"body": "D’accord avec toi"})
        fresh = await propose(boss, first, "Plus vite")
        rejected = await propose(boss, first, "Rejeté")
        await bruno.put(f"{API}/amendments/{rejected['id']}/vote", json={"choice": "for"})
        await post(boss, f"/amendments/{rejected['id']}/reject", {"reason": "Hors sujet"})
        vote = await post(
            boss,
            "/votes",
            {"subject": {"kind": "article", "article": first["id"]}, "duration_seconds": 3600},
        )
        await asyncio.sleep(1.1)  # times are kept to the second (SQLite)
        mention = await post(chloe, f"/articles/{second['id']}/threads", {"body": "@Awa regarde"})

        await asyncio.sleep(1.1)  # the digest comes in a later second than the events
        charter = await svc.repo.get_charter(DEMO_SLUG)
        # In English, for a charter written in English.
        data = await gather(svc, charter)
        digest = compose(data, awa, start - timedelta(days=1))
        english = dataclasses.replace(digest, charter=dataclasses.replace(charter, language="en"))
        _, text_en, _ = render(english, base, unsubscribe_url(svc, awa))
        assert "The text changed: 2 word(s) added, 2 removed." in text_en
        assert "- Chloé mentioned you: “@Awa regarde” " in text_en
        assert "Amendment “Rejeté” rejected (for: 1, against: 0, abstain: 0)" in text_en
        assert "## What is asked of you" in text_en and "The vote on “Essai” ends " in text_en

        now = datetime.now(UTC)
        assert await send_digests(svc, charter, now) == 1
        period = period_key("daily", now)
        to, subject, text, html = (await mails(server))[f"digest:{awa}:{period}"]
        assert to == awa and subject == f"{charter.title}{N}: ce qui a changé"
        base = server.base_url
        # The text: only what changed after her visit.
        assert "[-un mois.-]{+quinze jours.+}" in text and "toutes" not in text
        assert "<del>un mois.</del><ins>quinze jours.</ins>" in (html or "")
        assert f"Le texte a changé{N}: 2 mot(s) ajouté(s), 2 retiré(s)." in text
        # Grouped by article, newest first: the mention on the second came last.
        assert text.index("## Deuxième") < text.index("## Essai")
        assert f"- Chloé vous a mentionné·e{N}: «{N}@Awa regarde{N}» " in text
        assert f"{base}/charters/{DEMO_SLUG}/articles/{second['id']}#thread-{mention['id']}" in text
        assert f"- Bruno a répondu{N}: «{N}D’accord avec toi{N}» " in text
        assert f"{base}/charters/{DEMO_SLUG}/articles/{first['id']}#thread-{own['id']}" in text
        assert f"Nouvel amendement «{N}Plus vite{N}» (pour{N}: 0" in text
        votes = f"pour{N}: 1, contre{N}: 0, abstention{N}: 0"
        assert f"Amendement «{N}Rejeté{N}» rejeté ({votes})" in text
        assert text.index("Rejeté") < text.index("Plus vite")  # newest first
        assert f"{base}/charters/{DEMO_SLUG}/amendments/{fresh['id']}" in text
        # What is asked of her: the vote with its end, the amendment she has not voted on.
        asked = text[text.index("## Ce qu’on attend de vous") :]
        assert f"Le vote sur «{N}Essai{N}» se termine " in asked and " UTC." in asked
        assert f"Vous n’avez pas encore voté sur l’amendement «{N}Plus vite{N}»" in asked
        assert "Rejeté" not in asked
        assert text.count("D’accord avec toi") == 1 and text.count("@Awa") == 1  # once each
        assert f"{base}/mail/unsubscribe/" in text and "/mail/unsubscribe/" in (html or "")
        assert reply["id"] and vote["id"]

        # The same period again: nothing more. The next day: only what came since.
        assert await send_digests(svc, charter, now) == 0
        await edit(server, editor, first, "Chaque habitant", "Chaque habitante")
        later = now + timedelta(days=1)
        assert await send_digests(svc, charter, later) == 1
        _, _, text2, _ = (await mails(server))[f"digest:{awa}:{period_key('daily', later)}"]
        assert "[-habitant-]{+habitante+}" in text2
        assert "{+quinze" not in text2 and "D’accord" not in text2 and "@Awa" not in text2
        assert "Plus vite" in text2  # still asked of her


async def test_one_digest_per_period_and_empty_ones_are_not_sent(
    server: RunningServer, facilitator: str, editor: str
) -> None:
    dan_token = await make_token(server, "commenter", "Dan")
    eve_token = await make_token(server, "commenter", "Ève")
    svc = server.services
    async with (
        api(server, facilitator) as boss,
        api(server, dan_token) as dan,
        api(server, eve_token) as eve,
    ):
        article = await new_article(boss)
        for http, token in ((dan, dan_token), (eve, eve_token)):
            await with_address(server, token, f"{participant(token)}@example.org")
            await http.put(
                f"{API}/me/mail-preferences", json={"frequency": "weekly", "instant_replies": False}
            )
        await dan.put(
            f"{API}/me/follows", json={"kind": "article", "id": article["id"], "follow": True}
        )
        await dan.put(f"{API}/articles/{article['id']}/visit")
        await edit(server, editor, article, "ses données", "ses données ouvertes")
        charter = await svc.repo.get_charter(DEMO_SLUG)
        now = datetime.now(UTC)
        # Two instances computing the same period at once: one digest is queued.
        done = await asyncio.gather(*(send_digests(svc, charter, now) for _ in range(2)))
        assert sorted(done) == [0, 1]
        week = period_key("weekly", now)
        found = await mails(server)
        assert f"digest:{participant(dan_token)}:{week}" in found
        assert not any(k.startswith(f"digest:{participant(eve_token)}:") for k in found)  # empty
        # The outbox itself refuses a key twice.
        again = {
            "charter_id": charter.id,
            "participant_id": participant(dan_token),
            "key": f"digest:{participant(dan_token)}:{week}",
            "subject": "x",
            "text": "x",
        }
        assert await mail.enqueue(svc, **again) is False  # type: ignore[arg-type]
        assert len([k for k in await mails(server) if k.startswith("digest:")]) == 1


async def test_two_instances_at_the_same_period_boundary_send_one_digest(pg: str) -> None:
    """Two servers on one PostgreSQL both compute the week's digests at once: the reader
    gets one e-mail, with the change in it, and nothing more on later rounds."""
    async with (
        smtp_server() as smtp,
        running_server(mail_settings(pg, smtp.url)) as a,
        running_server(mail_settings(pg, smtp.url).with_overrides(seed_demo=False)) as b,
    ):
        reader = await make_token(a, "commenter", "Lectrice")
        await with_address(a, reader, "lectrice@example.org")
        editor = await make_token(a, "editor", "Rédacteur")
        async with api(a, reader) as her, api(a, await make_token(a, "facilitator", "F")) as boss:
            article = await new_article(boss)
            await her.put(
                f"{API}/me/mail-preferences", json={"frequency": "weekly", "instant_replies": False}
            )
            await her.put(
                f"{API}/me/follows", json={"kind": "article", "id": article["id"], "follow": True}
            )
            await her.put(f"{API}/articles/{article['id']}/visit")
        await edit(a, editor, article, "ses données", "ses données publiques")
        await b.services.store.flush()
        now = datetime.now(UTC)
        charters = [await x.services.repo.get_charter(DEMO_SLUG) for x in (a, b)]
        done = await asyncio.gather(
            *(send_digests(x.services, c, now) for x, c in zip((a, b), charters, strict=True))
        )
        assert sorted(done) == [0, 1]
        await until(lambda: len(smtp.messages) >= 1, what="the digest")
        for x, c in zip((a, b), charters, strict=True):  # a later round finds nothing new
            assert await send_digests(x.services, c, now + timedelta(minutes=1)) == 0
        for x in (a, b):  # one more round of each sender: nothing is due, nothing goes twice
            assert await mail.send_due(x.services) == 0
        assert [str(m["To"]) for m in smtp.messages] == ["lectrice@example.org"]
        assert "publiques" in text_of(smtp.messages[0])


async def test_the_unsubscribe_link_works_logged_out_and_a_forged_one_does_not(
    server: RunningServer,
) -> None:
    token = await make_token(server, "commenter", "Fanny")
    async with api(server, token) as her:
        await her.put(
            f"{API}/me/mail-preferences", json={"frequency": "daily", "instant_replies": True}
        )
    link = unsubscribe_url(server.services, participant(token))
    assert link.startswith(server.base_url + "/mail/unsubscribe/")
    path = link[len(server.base_url) :]
    async with httpx.AsyncClient(base_url=server.base_url) as anyone:  # no cookie, no token
        page = await anyone.get(path, headers={"accept-language": "fr"})
        assert page.status_code == 200 and "Fanny ne recevra plus" in page.text
        assert '<form method="post">' in page.text
        for forged in (
            path[:-2] + ("AA" if not path.endswith("AA") else "BB"),
            "/mail/unsubscribe/1.x",
        ):
            refused = await anyone.post(forged)
            assert refused.status_code == 404 and "pas valable" in refused.text
        async with api(server, token) as her:
            assert (await her.get(f"{API}/me/follows")).json()["preferences"][
                "frequency"
            ] == "daily"
        done = await anyone.post(path)
        assert done.status_code == 200 and 'id="unsubscribed"' in done.text
    async with api(server, token) as her:
        prefs = (await her.get(f"{API}/me/follows")).json()["preferences"]
        assert prefs["frequency"] == "none" and prefs["instant_replies"] is False


async def test_a_reply_or_a_mention_is_mailed_at_once_to_who_asked_never_to_its_author(
    server: RunningServer, facilitator: str
) -> None:
    gael = await make_token(server, "commenter", "Gaël")
    hana = await make_token(server, "commenter", "Hana")
    ines = await make_token(server, "commenter", "Inès")  # no instant notices
    for token in (gael, hana, ines):
        await with_address(server, token, f"{participant(token)}@example.org")
    async with (
        api(server, facilitator) as boss,
        api(server, gael) as g,
        api(server, hana) as h,
        api(server, ines) as i,
    ):
        article = await new_article(boss)
        for http in (g, h):
            await http.put(
                f"{API}/me/mail-preferences", json={"frequency": "none", "instant_replies": True}
            )
        thread = await post(g, f"/articles/{article['id']}/threads", {"body": "Premier"})
        await post(i, f"/threads/{thread['id']}/comments", {"body": "Moi aussi"})
        own = await post(g, f"/threads/{thread['id']}/comments", {"body": "Merci"})
        other = await post(i, f"/articles/{article['id']}/threads", {"body": "Qu’en dit @Hana ?"})
        found = await mails(server)
        replies = {k for k in found if k.startswith("reply:")}
        first_reply = (await i.get(f"{API}/threads/{thread['id']}")).json()["comments"][1]["id"]
        assert replies == {
            f"reply:{first_reply}:{participant(gael)}",
            f"reply:{other['comments'][0]['id']}:{participant(hana)}",  # type: ignore[index]
        }
        assert own["id"] not in {int(k.split(":")[1]) for k in replies}  # not to its author
        _, subject, text, _ = found[f"reply:{first_reply}:{participant(gael)}"]
        assert (
            subject == f"Inès vous a répondu dans «{N}{(await boss.get(API)).json()['title']}{N}»"
        )
        assert f"#thread-{thread['id']}" in text and "/mail/unsubscribe/" in text


def test_periods_start_at_six_utc_daily_and_on_monday_weekly() -> None:
    at = datetime(2026, 12, 10, 5, 59, tzinfo=UTC)  # a Thursday, before 06:00
    assert period_key("daily", at) == "2026-12-09"
    assert period_key("daily", at + timedelta(minutes=1)) == "2026-12-10"
    assert period_key("weekly", at) == "2026-W50"  # the week of Monday 7 December
    monday = datetime(2026, 12, 14, 6, 0, tzinfo=UTC)
    assert period_key("weekly", monday - timedelta(seconds=1)) == "2026-W50"
    assert period_key("weekly", monday) == "2026-W51"
