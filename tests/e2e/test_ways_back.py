"""Pages a facilitator meets around the live charter say what they are and lead back to it:
a used or unknown invitation says so (not "Page not found"), the first version is called the
first version, and the reading view, the versions and the comparisons link back to the live
charter page."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import join, new_charter, open_editor


def test_a_used_or_unknown_invitation_says_what_it_is(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données", "Publier.")])])
    link = charter.api("POST", "/invites", {"role": "editor", "max_uses": 1})["link"]
    join(browser, live_server, link, "Awa").context.close()
    for locale, used, unknown in (
        ("fr-FR", "Cette invitation a déjà servi", "Lien d’invitation non valable"),
        ("en-GB", "This invitation has been used", "Invitation link not valid"),
    ):
        context = browser.new_context(base_url=live_server.base_url, locale=locale)
        page = context.new_page()
        page.goto(link)
        expect(page).to_have_title(used)
        expect(page.get_by_role("heading", level=1)).to_have_text(used)
        page.goto(link.rsplit("/", 1)[0] + "/1.nope")
        expect(page).to_have_title(unknown)
        expect(page.get_by_role("heading", level=1)).to_have_text(unknown)
        context.close()


def test_the_first_version_and_every_page_around_the_charter_lead_back_to_it(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données", "Publier les données.")])])
    first = charter.api("POST", "/versions", {"label": "Après l’atelier Imaginer"})
    person = join(browser, live_server, charter.invite("reader"), "Rémi")
    page = person.page
    home = f"{live_server.base_url}/charters/{charter.slug}"
    page.goto(f"/charters/{charter.slug}/versions")
    expect(page.locator(".versions li").first).to_contain_text("Première version : 3 mot(s).")
    expect(page.locator("body")).not_to_contain_text("Depuis le début")
    for path in (
        "/read",
        "/versions",
        f"/compare?from={first['id']}&to=live",
        f"/compare?from={first['id']}&to=nope",
    ):
        page.goto(f"/charters/{charter.slug}{path}")
        page.get_by_role("link", name="← Retour à la charte en direct").click()
        expect(page).to_have_url(home)
    person.context.close()


def test_a_deleted_article_offers_no_amendment(browser: Browser, live_server: LiveServer) -> None:
    charter = new_charter(
        live_server, [("Transparence", [("Données", "Publier."), ("Budget", "Expliquer.")])]
    )
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    page = open_editor(awa, charter, key)
    propose = page.locator(".amend-row").get_by_role("button", name="Proposer un amendement")
    expect(propose).to_be_visible()
    charter.api("DELETE", f"/articles/{key}")
    expect(page.locator(".notice")).to_contain_text("supprimé")
    expect(page.get_by_role("button", name="Proposer un amendement")).to_have_count(0)
    awa.context.close()
