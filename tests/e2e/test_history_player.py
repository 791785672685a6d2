"""The drafting history played back in the editor: a slider over the article's steps, the
saved versions to jump to, play and pause, who wrote each step; and the same history as a
page without JavaScript. Axe clean on both."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.workshop import join, new_charter, open_editor, type_at_end

TEXT = "Les comptes rendus sont publiés."


def test_the_writing_played_back_step_by_step_with_the_versions_marked(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Comptes rendus", TEXT)])])
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    a = open_editor(awa, charter, key)
    type_at_end(a, " Sous un mois.")
    expect(a.locator(".save-state")).to_have_attribute("data-state", "saved")
    imagine = charter.api("POST", "/versions", {"label": "Après l’atelier Imaginer"})
    type_at_end(a, " En ligne.")
    expect(a.locator(".save-state")).to_have_attribute("data-state", "saved")

    player = a.locator(".history-player")
    player.locator("summary").click()
    text = player.locator(".history-text")
    expect(text).to_contain_text("En ligne.")
    slider = player.get_by_label("Étape")
    steps = int(slider.get_attribute("max") or 0)
    assert steps >= 2
    expect(slider).to_have_value(str(steps))
    expect(player.locator(".history-where")).to_contain_text(f"Étape {steps} sur {steps}")

    # The version's step: its text, without what came after.
    player.get_by_role("button", name="Après l’atelier Imaginer").click()
    expect(text).to_contain_text("Sous un mois.")
    expect(text).not_to_contain_text("En ligne.")
    expect(player.locator(".history-where")).to_contain_text("Écrite par Awa.")

    # From the first step, played to the end.
    slider.fill("1")
    expect(slider).to_have_value("1")
    play = player.get_by_role("button", name="Rejouer")
    play.click()
    expect(player.get_by_role("button", name="Pause")).to_have_attribute("aria-pressed", "true")
    expect(slider).to_have_value(str(steps), timeout=steps * 2000 + 5000)
    expect(player.get_by_role("button", name="Rejouer")).to_have_attribute("aria-pressed", "false")
    expect(text).to_contain_text("En ligne.")
    assert serious_violations(a) == []

    # The same history without JavaScript, from the link.
    player.get_by_role("link", name="La même histoire en page simple").click()
    expect(a.locator("h1")).to_have_text(
        re.compile("Comment «\u00a0Comptes rendus\u00a0» s’est écrit")
    )
    a.get_by_role("link", name="Après l’atelier Imaginer").click()
    expect(a.locator(".history-text")).to_contain_text("Sous un mois.")
    expect(a.locator(".history-text")).not_to_contain_text("En ligne.")
    assert serious_violations(a) == []
    # The whole charter since that version, step by step.
    a.goto(f"/charters/{charter.slug}/history?from={imagine['id']}&to=live")
    expect(a.locator("ins")).to_contain_text("En ligne.")
    assert serious_violations(a) == []
    # The reading view, sentence by sentence, each leading to where it comes from.
    a.goto(f"/charters/{charter.slug}/read")
    a.get_by_role("link", name="Voir d’où vient chaque phrase").click()
    assert serious_violations(a) == []
    a.get_by_role("link", name="En ligne.").click()
    expect(a.locator("h1")).to_have_text("D’où vient ce passage")
    expect(a.locator("main")).to_contain_text("Écrit par\u00a0: Awa.")
    assert serious_violations(a) == []
    assert awa.errors == []
    awa.context.close()


def test_a_facilitator_reverts_a_vandal_from_the_history_and_the_log_says_so(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Comptes rendus", TEXT)])])
    key = charter.article(0, 0)["id"]
    charter.api("POST", "/versions", {"label": "Fin de l’atelier"})
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    victor = join(browser, live_server, charter.invite("editor"), "Victor")
    v = open_editor(victor, charter, key)
    type_at_end(v, " N’importe quoi.")
    expect(v.locator(".save-state")).to_have_attribute("data-state", "saved")

    f = open_editor(fanny, charter, key)
    expect(f.locator(".ql-editor")).to_contain_text("N’importe quoi.")
    player = f.locator(".history-player")
    player.locator("summary").click()
    player.get_by_role("button", name="Fin de l’atelier").click()
    expect(player.locator(".history-text")).not_to_contain_text("N’importe")
    box = player.locator(".revert-box")
    box.get_by_label("Personne").select_option(label="Victor")
    box.get_by_role("button", name="Voir ce qui changerait").click()
    expect(box.locator(".revert-preview")).to_contain_text("2 mot(s) retiré(s)")
    expect(box.locator(".revert-preview del")).to_contain_text("N’importe quoi.")
    assert serious_violations(f) == []
    box.get_by_label("Motif (public)").fill("Vandalisme")
    box.get_by_role("button", name="Annuler ces modifications").click()
    expect(box.locator(".revert-preview")).to_contain_text("Modifications annulées.")
    expect(v.locator(".ql-editor")).not_to_contain_text("N’importe")
    expect(f.locator(".ql-editor")).to_have_text(TEXT)

    # The public moderation log says who, since when, by whom and why.
    f.goto(f"/charters/{charter.slug}/comments")
    expect(f.locator(".moderation-log")).to_contain_text("Modifications de Victor")
    expect(f.locator(".moderation-log")).to_contain_text("annulées par Fanny")
    expect(f.locator(".moderation-log")).to_contain_text("Vandalisme")
    for person in (fanny, victor):
        assert person.errors == []
        person.context.close()
