"""A facilitator sets the charter's licence and publishes its discussion as open data from
the charter page, with the keyboard; other people do not see these settings."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.workshop import PHONE, join, new_charter

DISCUSSION = "Inclure la discussion (commentaires, amendements, votes, noms) dans les exports"


def test_a_facilitator_publishes_the_discussion_and_changes_the_licence(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", "Publier.")])])
    key = charter.article(0, 0)["id"]
    charter.api("POST", f"/articles/{key}/threads", {"body": "D’accord sur le principe."})
    before = charter.api("GET", "/export?format=json")
    assert "discussion" not in before
    assert before["charter"]["licence"]["id"] == "CC-BY-SA-4.0"

    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", viewport=PHONE)
    f = fanny.page
    box = f.locator("section.charter-settings")
    expect(box.get_by_role("heading", name="Réglages de la charte")).to_be_visible()
    licence = box.get_by_label("Licence du texte publié")
    discussion = box.get_by_role("checkbox", name=DISCUSSION)
    expect(discussion).to_be_enabled()
    expect(discussion).not_to_be_checked()
    expect(licence).to_have_value("CC-BY-SA-4.0")
    # This server sends no e-mail (no CHARTER_SMTP_URL): the settings say so.
    expect(box.locator("#charter-mail")).to_contain_text("n’envoie pas d’e-mails")
    # The warning is read with the checkbox.
    expect(discussion).to_have_accessible_description(
        "Attention\u00a0: les noms des participant·es deviennent alors publics, avec ce "
        "qu’ils et elles ont écrit et voté."
    )
    expect(box.get_by_role("link", name="Texte de la licence")).to_have_attribute(
        "href", "https://creativecommons.org/licenses/by-sa/4.0/"
    )
    assert serious_violations(f) == []
    no_sideways_scroll(f)

    # With the keyboard only: choose the licence, tick the box, save.
    licence.focus()
    licence.select_option("etalab-2.0")
    f.keyboard.press("Tab")  # to the licence's link
    f.keyboard.press("Tab")
    expect(discussion).to_be_focused()
    f.keyboard.press("Space")
    expect(discussion).to_be_checked()
    f.keyboard.press("Tab")  # the drafting log's names: pseudonyms unless ticked
    names = box.get_by_label("Le journal de rédaction des données ouvertes nomme les auteur·rices")
    expect(names).to_be_focused()
    expect(names).not_to_be_checked()
    f.keyboard.press("Tab")
    save = box.get_by_role("button", name="Enregistrer les réglages")
    expect(save).to_be_focused()
    f.keyboard.press("Enter")
    expect(f.locator("[role=status][aria-live=polite]")).to_have_text("Réglages enregistrés.")
    expect(box.get_by_text("Réglages enregistrés.")).to_be_visible()
    expect(save).to_be_focused()
    box.screenshot(path=str(artifacts / "charter-settings-phone.png"))

    after = charter.api("GET", "/export?format=json")
    assert after["charter"]["licence"]["id"] == "etalab-2.0"
    assert after["drafting_log"]["authors_are"] == "pseudonyms"
    assert [c["author"] for t in after["discussion"]["threads"] for c in t["comments"]] == [
        "Script"
    ]

    # Saved on the server: a reload shows the same settings.
    f.reload()
    expect(discussion).to_be_checked()
    expect(licence).to_have_value("etalab-2.0")

    # In English too.
    ada = join(
        browser, live_server, charter.invite("facilitator"), "Ada", locale="en-GB", viewport=PHONE
    )
    english = ada.page.locator("section.charter-settings")
    expect(english.get_by_role("heading", name="Charter settings")).to_be_visible()
    expect(
        english.get_by_role(
            "checkbox",
            name="Include the discussion (comments, amendments, votes, names) in open-data exports",
        )
    ).to_be_checked()
    expect(english.get_by_label("Licence of the published text")).to_have_value("etalab-2.0")
    assert serious_violations(ada.page) == []

    # An editor sees no settings, and may not read them over the API either.
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    expect(eli.page.locator(".role-note")).to_contain_text("Bienvenue, Eli")
    expect(eli.page.locator(".section")).to_have_count(1)
    expect(eli.page.locator(".charter-settings")).to_have_count(0)
    expect(eli.page.get_by_text("Réglages de la charte")).to_have_count(0)
    refused = eli.context.request.get(f"/api/charters/{charter.slug}/settings")
    assert refused.status == 403

    for person in (fanny, ada, eli):
        assert person.errors == [] and person.csp_violations() == []
        person.context.close()
