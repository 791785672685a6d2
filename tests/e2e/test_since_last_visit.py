""" "Since your last visit" and following, in a real browser: a citizen on a phone opens an
article, leaves; someone else edits it; when she comes back the panel shows the word diff
(words added and removed, who wrote), then the visit is recorded and it is gone on the next
load. She follows the article with the keyboard alone; axe finds nothing serious."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.workshop import PHONE, join, new_charter, open_editor, type_at_end

TEXT = "Les données de la ville sont publiées."


def test_a_phone_sees_what_changed_since_its_last_visit_and_follows_by_keyboard(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("commenter"), "Awa", viewport=PHONE)
    bruno = join(browser, live_server, charter.invite("editor"), "Bruno")
    phone = open_editor(awa, charter, key)
    panel = phone.locator(".since-panel")
    expect(phone.locator(".follow-toggle")).to_be_visible()
    expect(panel).to_be_hidden()  # a first visit: nothing to compare with
    phone.goto(f"/charters/{charter.slug}")  # she leaves

    page = open_editor(bruno, charter, key)
    type_at_end(page, " Chaque mois.")
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")

    phone = open_editor(awa, charter, key)
    expect(panel).to_be_visible()
    expect(panel.locator("h2")).to_have_text("Depuis votre dernière visite")
    expect(panel).to_contain_text("2 mot(s) ajouté(s), 0 retiré(s)")
    expect(panel).to_contain_text("Par Bruno.")
    expect(panel.locator("ins")).to_contain_text("Chaque mois.")
    no_sideways_scroll(phone)
    assert serious_violations(phone) == []
    phone.screenshot(path=str(artifacts / "since-last-visit-phone.png"))

    # Follow with the keyboard: Tab to the toggle, Enter.
    toggle = phone.locator(".follow-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")  # she has not written here
    for _ in range(60):
        phone.keyboard.press("Tab")
        if phone.evaluate("document.activeElement.classList.contains('follow-toggle')"):
            break
    else:
        raise AssertionError("the follow toggle is not reachable with Tab")
    phone.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_have_text("Suivi")
    phone.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    phone.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    mine = phone.evaluate(
        "(url) => fetch(url).then((r) => r.json())", f"/api/charters/{charter.slug}/me/follows"
    )
    assert mine["articles"] == [{"id": key, "title": "Données ouvertes", "why": "explicit"}]

    # The visit is recorded: on the next load, nothing new.
    with phone.expect_response(lambda r: r.url.endswith("/visit")):  # the panel has decided
        phone.reload()
    expect(panel).to_be_hidden()

    # On the charter's page: every article that changed, with a link to it; seen there, it
    # is not shown again on the article's page.
    type_at_end(page, " Et chaque année.")
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")
    phone.goto(f"/charters/{charter.slug}")
    expect(panel).to_be_visible()
    expect(panel.locator("h3 a")).to_have_text("Données ouvertes")
    expect(panel.locator("ins")).to_contain_text("Et chaque année.")
    no_sideways_scroll(phone)
    assert serious_violations(phone) == []
    phone.screenshot(path=str(artifacts / "since-last-visit-charter-phone.png"))
    with phone.expect_response(lambda r: r.url.endswith("/visit")):
        open_editor(awa, charter, key)
    expect(panel).to_be_hidden()
    assert not awa.errors and not bruno.errors
