"""A participant on a phone (360×740) gives an e-mail address when joining, confirms it
with the link the SMTP server received, changes it, downloads their data and deletes their
account, on pages axe finds nothing serious on. A server of its own, with a real SMTP
server (aiosmtpd) on its event loop."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from server.settings import Settings
from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.workshop import PHONE, WATCH_SCRIPT, new_charter
from tests.smtp import MailServer, verify_link
from tests.support import ADMIN_TOKEN, running_server


@pytest.fixture(scope="module")
def mailing(
    tmp_path_factory: pytest.TempPathFactory, _built: None
) -> Iterator[tuple[LiveServer, MailServer]]:
    database = tmp_path_factory.mktemp("e2e-mail") / "charter.db"
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="e2e-mail-server", daemon=True)
    thread.start()
    smtp = asyncio.run_coroutine_threadsafe(MailServer().start(), loop).result(10)
    settings = Settings(
        database_url=f"sqlite:///{database}",
        admin_token=ADMIN_TOKEN,
        smtp_url=smtp.url,
        mail_from="Charte <charte@example.org>",
    )
    context = running_server(settings)
    running = asyncio.run_coroutine_threadsafe(context.__aenter__(), loop).result(60)
    try:
        yield LiveServer(running, loop), smtp
    finally:
        asyncio.run_coroutine_threadsafe(context.__aexit__(None, None, None), loop).result(60)
        asyncio.run_coroutine_threadsafe(smtp.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def link_to(smtp: MailServer, address: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while not smtp.recorder.to(address):
        assert time.monotonic() < deadline, f"no mail to {address}"
        time.sleep(0.1)
    return verify_link(smtp.recorder.to(address)[-1])


def check(page: Page) -> None:
    assert serious_violations(page) == []
    no_sideways_scroll(page)


def test_a_participant_manages_their_account_on_a_phone(
    browser: Browser, mailing: tuple[LiveServer, MailServer], artifacts: Path
) -> None:
    live, smtp = mailing
    charter = new_charter(live, [("Transparence", [("Budget", "Le budget engagé.")])])
    context = browser.new_context(base_url=live.base_url, locale="fr-FR", viewport=PHONE)
    context.add_init_script(WATCH_SCRIPT)
    page = context.new_page()

    # Joining with an address: a link to confirm it arrives.
    page.goto(charter.invite("editor"))
    page.get_by_label("Votre nom").fill("Nadia")
    page.get_by_label("Adresse e-mail (facultative)").fill("nadia@example.org")
    assert serious_violations(page) == []
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/charters/*")
    page.get_by_role("link", name="Mon compte").click()
    expect(page.locator("#email-pending")).to_contain_text("nadia@example.org")
    check(page)

    page.goto(link_to(smtp, "nadia@example.org"))
    expect(page.locator("#verified")).to_contain_text("nadia@example.org")
    check(page)
    page.get_by_role("link", name="Mon compte").click()
    expect(page.locator("#email-current")).to_contain_text("nadia@example.org")

    # A new address: the confirmed one stays in use until its own link is opened.
    page.get_by_label("Nouvelle adresse").fill("nadia@nouveau.example.org")
    page.get_by_role("button", name="Envoyer le lien de confirmation").click()
    expect(page.locator("#account-notice")).to_be_visible()
    expect(page.locator("#email-current")).to_contain_text("nadia@example.org")
    expect(page.locator("#email-pending")).to_contain_text("nadia@nouveau.example.org")
    check(page)
    page.goto(link_to(smtp, "nadia@nouveau.example.org"))
    page.get_by_role("link", name="Mon compte").click()
    expect(page.locator("#email-current")).to_contain_text("nadia@nouveau.example.org")
    expect(page.locator("#email-pending")).to_have_count(0)

    # My data, as a file.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données").click()
    data = json.loads(Path(download.value.path()).read_text("utf-8"))
    assert data["participant"]["name"] == "Nadia"
    assert data["email"]["address"] == "nadia@nouveau.example.org"
    page.screenshot(path=str(artifacts / "account-phone.png"), full_page=True)

    # Deleting the account, by keyboard: the box must be ticked first.
    page.get_by_label("J’ai compris", exact=False).focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    expect(page.get_by_role("heading", name="Compte supprimé")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Participant·e")
    check(page)
    response = page.goto(f"/charters/{charter.slug}/account")
    assert response is not None and response.status == 403
    context.close()
