"""Versions from the browser: the facilitator saves a named version from the charter page,
everyone is told at once, and a restore says what will change and how to undo it before
bringing the text back for everyone connected."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import editor_text, join, new_charter, open_editor, type_at_end

LABEL = "Après l’atelier Construire"


def test_save_a_version_then_restore_it_from_the_charter_page(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données", "Publier les données.")])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    f, e = fanny.page, eli.page
    panel = f.locator(".versions-panel")
    expect(panel.locator(".version-list")).to_contain_text("Aucune version")

    # Saved from the charter page: in the panel at once, and said to everyone.
    panel.get_by_label("Nom de la version").fill(LABEL)
    panel.get_by_role("button", name="Enregistrer cette version").click()
    expect(panel.locator(".version-label").first).to_have_text(LABEL)
    expect(e.locator(".version-note")).to_contain_text(f"Version enregistrée : « {LABEL} »")
    expect(e.get_by_role("link", name="Versions", exact=True)).to_be_visible()
    saved = charter.api("GET", "/versions")["versions"][-1]
    compare = panel.get_by_role("link", name=f"Comparer au texte en direct : {LABEL}")
    expect(compare).to_have_attribute(
        "href", f"/charters/{charter.slug}/compare?from={saved['id']}&to=live"
    )

    # Eli writes on; the facilitator restores the version, after reading what it will do.
    page = open_editor(eli, charter, key)
    type_at_end(page, " Chaque mois.")
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")
    panel.get_by_role("button", name=f"Restaurer… : {LABEL}").click()
    dialog = f.locator("dialog.restore-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(f"Restaurer « {LABEL} »")
    expect(dialog.locator(".restore-summary")).to_contain_text("1 article change.")
    expect(dialog.locator(".restore-summary")).to_contain_text("partent")
    expect(dialog.locator(".restore-changes")).to_have_text("Données")
    expect(dialog).to_contain_text("restaurer celle-là annulera la restauration")
    choice = dialog.get_by_label("Ce qui revient à cette version")
    choice.select_option(key)  # one article only: here the same change
    expect(dialog.locator(".restore-changes")).to_have_text("Données")
    choice.select_option("charter")
    f.screenshot(path=str(artifacts / "versions-restore-dialog.png"))
    dialog.get_by_role("button", name="Restaurer", exact=True).click()
    expect(dialog).to_be_hidden()

    # Everyone connected sees the text come back; the text before is a version of its own.
    expect(page.locator(".ql-editor")).to_have_text("Publier les données.")
    assert "Chaque mois" not in editor_text(page)
    expect(panel.locator(".version-label").first).to_contain_text("Avant restauration")
    f.screenshot(path=str(artifacts / "versions-panel.png"))

    # Restoring it again changes nothing, and the dialog says so.
    panel.get_by_role("button", name=f"Restaurer… : {LABEL}").click()
    expect(dialog.locator(".restore-summary")).to_contain_text("rien ne changera")
    expect(dialog.get_by_role("button", name="Restaurer", exact=True)).to_be_disabled()
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()

    # In English, for the English guide: the same dialog, its own words.
    type_at_end(page, " Every month.")
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")
    frank = join(browser, live_server, charter.invite("facilitator"), "Frank", locale="en-GB")
    english = frank.page.locator(".versions-panel")
    english.get_by_role("button", name=f"Restore… : {LABEL}").first.click()
    dialog = frank.page.locator("dialog.restore-dialog")
    expect(dialog.get_by_role("heading")).to_have_text(f"Restore “{LABEL}”")
    expect(dialog.locator(".restore-changes")).to_have_text("Données")
    frank.page.screenshot(path=str(artifacts / "versions-restore-dialog.en.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    for person in (fanny, eli, frank):
        person.context.close()


def test_who_took_part_between_two_versions_is_theirs_alone_with_badges(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données", "Publier les données.")])])
    key = charter.article(0, 0)["id"]
    first = charter.api("POST", "/versions", {"label": "A"})
    xavier = join(browser, live_server, charter.invite("editor"), "Xavier", badge="citizen")
    page = open_editor(xavier, charter, key)
    type_at_end(page, " Chaque mois.")
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")
    second = charter.api("POST", "/versions", {"label": "B"})
    # Right after B, in the same minute: an elected official writes, then A is restored.
    yasmine = join(browser, live_server, charter.invite("editor"), "Yasmine", badge="elected")
    other = open_editor(yasmine, charter, key)
    type_at_end(other, " Sans délai.")
    expect(other.locator(".save-state")).to_have_attribute("data-state", "saved")
    charter.api("POST", f"/articles/{key}/restore", {"version": first["id"]})

    page.goto(f"/charters/{charter.slug}/compare?from={first['id']}&to={second['id']}")
    people = page.locator("main ul").first
    expect(people).to_contain_text("Xavier (Citoyen·ne)")
    expect(page.locator("main")).not_to_contain_text("Yasmine")
    page.goto(f"/charters/{charter.slug}/compare?from={second['id']}&to=live")
    expect(page.locator("main")).to_contain_text("Yasmine (Élu·e)")

    # In English: English badges and English punctuation ("Participants: …").
    ana = join(browser, live_server, charter.invite("reader"), "Ana", locale="en-GB")
    ana.page.goto(f"/charters/{charter.slug}/compare?from={second['id']}&to=live")
    main = ana.page.locator("main")
    expect(main).to_contain_text("Yasmine (Elected official)")
    text = main.inner_text()
    assert ": Données" in text and " :" not in text.replace("https:", "")
    for person in (xavier, yasmine, ana):
        person.context.close()
