"""Everyone knows what they can do: a commenter is told they can comment and propose
amendments, and how; a reader gets a welcome too, without "saved automatically"; a
blocked person's page shows the refusal alone, not "● Connected" beside it."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.workshop import join, new_charter, open_editor


def test_commenters_and_readers_are_told_what_they_can_do(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Budget", "Le budget engagé.")])])
    key = charter.article(0, 0)["id"]

    camille = join(browser, live_server, charter.invite("commenter"), "Camille")
    note = camille.page.locator(".role-note")
    expect(note).to_contain_text("Bienvenue, Camille")
    expect(note).to_contain_text("proposer des amendements")
    expect(note).to_contain_text("Commenter la sélection")
    page = open_editor(camille, charter, key)
    expect(page.locator(".save-state")).to_have_text("Commentaires et amendements")
    expect(page.locator(".notice")).to_contain_text("sélectionnez un passage")
    expect(page.locator("#editor-help")).not_to_contain_text("enregistré automatiquement")
    assert serious_violations(page) == []

    lou = join(browser, live_server, charter.invite("reader"), "Lou")
    expect(lou.page.locator(".role-note")).to_contain_text("Bienvenue, Lou")
    expect(lou.page.locator(".role-note")).to_contain_text("sans le modifier")
    page = open_editor(lou, charter, key)
    expect(page.locator(".save-state")).to_have_text("Lecture seule")
    expect(page.locator("#editor-help")).to_have_text(
        "Le texte change en direct quand les autres écrivent."
    )
    for person in (camille, lou):
        person.context.close()


def test_a_blocked_person_sees_the_refusal_alone(browser: Browser, live_server: LiveServer) -> None:
    charter = new_charter(live_server, [("Transparence", [("Budget", "Le budget engagé.")])])
    key = charter.article(0, 0)["id"]
    zoe = join(browser, live_server, charter.invite("editor"), "Zoé")
    page = open_editor(zoe, charter, key)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    me = page.evaluate(
        "async (slug) => (await fetch(`/api/charters/${slug}/me`)).json()", charter.slug
    )
    charter.api("PATCH", f"/participants/{me['participant_id']}", {"blocked": True})
    expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()
    expect(page.locator(".conn")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("Connecté")
    zoe.context.close()
