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


def test_a_name_already_in_use_gets_a_gentle_hint_not_a_refusal(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Budget", "Le budget engagé.")])])
    first = join(browser, live_server, charter.invite("editor"), "Alice Martin")
    context = browser.new_context(base_url=live_server.base_url, locale="fr-FR")
    page = context.new_page()
    page.goto(charter.invite("editor"))
    page.get_by_label("Votre nom").fill("alice martin")
    page.locator("select#badge").select_option("citizen")
    page.locator("form button[type=submit]").click()
    hint = page.locator("#name-taken")
    expect(hint).to_contain_text("alice martin est déjà là — ajoutez une initiale")
    expect(page.get_by_label("Votre nom")).to_have_value("alice martin")
    expect(page.locator("select#badge")).to_have_value("citizen")  # nothing typed is lost
    assert serious_violations(page) == []
    # With an initial, it joins; the same name again would have joined too.
    page.get_by_label("Votre nom").fill("Alice M.")
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/charters/*")
    again = browser.new_context(base_url=live_server.base_url, locale="fr-FR")
    other = again.new_page()
    other.goto(charter.invite("editor"))
    other.get_by_label("Votre nom").fill("Alice Martin")
    other.locator("form button[type=submit]").click()
    expect(other.locator("#name-taken")).to_be_visible()
    other.locator("form button[type=submit]").click()  # keeps the name
    other.wait_for_url("**/charters/*")
    names = [p["name"] for p in charter.api("GET", "/participants")["participants"]]
    assert sorted(n for n in names if n.startswith("Alice")) == [
        "Alice M.",
        "Alice Martin",
        "Alice Martin",
    ]
    for ctx in (first.context, context, again):
        ctx.close()
