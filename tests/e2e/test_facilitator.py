"""The facilitator shapes the charter live: everyone sees it without reloading."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import Charter, join, new_charter, open_editor


def titles(page: Page, section: int) -> list[str]:
    return page.locator(".section").nth(section).locator(".article-title").all_inner_texts()


def organise_article(page: Page, charter: Charter, key: str) -> None:
    page.locator(f".article[data-key='{key}'] details.tools > summary").click()


def test_the_facilitator_reorders_renames_and_projects_live(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(
        live_server,
        [
            ("Transparence", [("Données ouvertes", "Publier."), ("Décisions expliquées", "")]),
            ("Participation", [("Associer en amont", "Consulter avant.")]),
        ],
    )
    first, second = charter.article(0, 0)["id"], charter.article(0, 1)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", badge="organiser")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    f, e = fanny.page, eli.page
    expect(e.locator(".section")).to_have_count(2)
    e.evaluate("window.__sameDocument = true")  # gone if the page reloads
    projector = eli.context.new_page()
    projector.goto(f"/charters/{charter.slug}/projector")
    expect(projector.locator(".projector-title")).to_have_text(charter.data["title"])

    # Reorder: "Données ouvertes" moves down, for everyone.
    organise_article(f, charter, first)
    f.locator(f".article[data-key='{first}']").get_by_role("button", name="Descendre").click()
    expected = ["Décisions expliquées", "Données ouvertes"]
    expect(e.locator(".section").nth(0).locator(".article-title")).to_have_text(expected)
    assert titles(f, 0) == expected
    # The button keeps the focus: the facilitator can press it again.
    expect(
        f.locator(f".article[data-key='{first}']").get_by_role("button", name="Descendre")
    ).to_be_focused()

    # Rename a section.
    f.locator(".section").nth(1).locator(":scope > .tools-slot summary").click()
    title = f.locator(".section").nth(1).get_by_label("Titre de la section")
    title.fill("Participation citoyenne")
    f.locator(".section").nth(1).get_by_role("button", name="Renommer").click()
    expect(e.locator(".section-title").nth(1)).to_have_text("Participation citoyenne")

    # Add an article: it appears for the others too.
    add = f.locator(".section").nth(1).get_by_label("Titre d’un nouvel article")
    add.fill("Budget participatif")
    f.locator(".section").nth(1).get_by_role("button", name="Ajouter l’article").click()
    expect(e.locator(".section").nth(1).locator(".article-title")).to_have_text(
        ["Associer en amont", "Budget participatif"]
    )

    # Put an article on the projector: the projector view follows.
    organise_article(f, charter, second)
    f.locator(f".article[data-key='{second}']").get_by_role("button", name="Projeter").click()
    expect(projector.locator(".projector-title")).to_have_text("Décisions expliquées")
    expect(e.locator(f".article[data-key='{second}'] .on-projector")).to_be_visible()
    f.locator(f".article[data-key='{first}']").get_by_role("button", name="Projeter").click()
    expect(projector.locator(".projector-title")).to_have_text("Données ouvertes")
    expect(projector.locator(".projector-body")).to_have_text("Publier.")

    assert e.evaluate("window.__sameDocument") is True
    f.screenshot(path=str(artifacts / "charter-facilitator.png"), full_page=True)
    e.screenshot(path=str(artifacts / "charter-page.png"), full_page=True)

    # An invitation with its QR code, to show in the room.
    f.get_by_text("Créer une invitation", exact=True).click()
    f.get_by_label("Rôle des personnes invitées").select_option("reader")
    f.get_by_role("button", name="Créer l’invitation").click()
    dialog = f.locator("dialog.qr-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("img")).to_have_attribute(
        "aria-label", "QR code du lien d’invitation (Lecteur·rice)"
    )
    assert "/join/" in dialog.locator(".qr-link").inner_text()
    dialog.get_by_role("button", name="Fermer").click()

    # Change a role: Eli becomes a reader, and his page says so without a reload.
    participants = f.locator(".participants")
    participants.get_by_role("button", name="Actualiser").click()
    f.once("dialog", lambda dialog: dialog.accept())  # "Eli deviendra lecteur·rice…"
    participants.get_by_label("Rôle — Eli").select_option("reader")
    expect(e.locator(".role-note")).to_contain_text("sans le modifier")
    expect(e.locator(f".article[data-key='{second}'] .article-actions a")).to_contain_text("Suivre")
    assert e.evaluate("window.__sameDocument") is True

    # Delete an article someone has open: their editor says so, the outline drops it.
    budget = charter.refresh()["sections"][1]["articles"][1]["id"]
    reading = eli.context.new_page()
    reading.goto(charter.editor_path(budget))
    expect(reading.locator(".save-state")).to_have_attribute("data-state", "reading")
    f.once("dialog", lambda dialog: dialog.accept())
    organise_article(f, charter, budget)
    f.locator(f".article[data-key='{budget}']").get_by_role("button", name="Supprimer").click()
    expect(reading.locator(".notice")).to_contain_text("supprimé")
    expect(e.locator(".section").nth(1).locator(".article-title")).to_have_text(
        ["Associer en amont"]
    )

    # Once the script steps down, Fanny is the only facilitator: she cannot step down too,
    # and the page says why.
    script = next(
        p for p in charter.api("GET", "/participants")["participants"] if p["name"] == "Script"
    )
    charter.api("PATCH", f"/participants/{script['id']}", {"role": "editor"})
    participants.get_by_role("button", name="Actualiser").click()
    f.once("dialog", lambda dialog: dialog.accept())
    participants.get_by_label("Rôle — Fanny").select_option("editor")
    expect(f.locator("p.error[role='alert']")).to_have_text(
        "Impossible\u00a0: la charte doit garder au moins une personne qui l’anime."
    )
    expect(participants.get_by_label("Rôle — Fanny")).to_have_value("facilitator")

    for person in (fanny, eli):
        assert person.errors == [] and person.csp_violations() == []
        person.context.close()


def test_a_blank_title_says_a_title_is_needed(browser: Browser, live_server: LiveServer) -> None:
    """A title of spaces only was refused with "it did not work" instead of saying why."""
    charter = new_charter(live_server, [("Transparence", [("Données", "Publier.")])])
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    field = fanny.page.get_by_label("Titre d’une nouvelle section")
    field.fill("   ")
    field.press("Enter")
    expect(
        fanny.page.get_by_text("Un titre fait de 1 à 200 caractères est nécessaire.")
    ).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    fanny.context.close()


def test_demoting_someone_asks_first(browser: Browser, live_server: LiveServer) -> None:
    """Taking rights away cuts the person's connections at once: the panel asks before, and
    a "no" leaves the role as it was."""
    charter = new_charter(live_server, [("Transparence", [("Données", "Publier.")])])
    join(browser, live_server, charter.invite("editor"), "Eli").context.close()
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    f = fanny.page
    eli = f.locator(".participant", has_text="Eli")
    role = eli.get_by_label("Rôle")
    expect(role).to_have_value("editor")
    asked: list[str] = []

    def answer(dialog: Dialog, yes: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if yes else dialog.dismiss()

    f.once("dialog", lambda d: answer(d, False))
    role.select_option("reader")
    expect(role).to_have_value("editor")
    assert asked and asked[0].startswith("Eli deviendra lecteur·rice.")

    def eli_role() -> str:
        people = charter.api("GET", "/participants")["participants"]
        return str(next(p["role"] for p in people if p["name"] == "Eli"))

    assert eli_role() == "editor"
    f.once("dialog", lambda d: answer(d, True))
    role.select_option("reader")
    # Saved once the panel says so (the select shows the choice before the request ends).
    expect(f.get_by_text("Rôle de Eli modifié.")).to_be_attached()
    expect(f.locator(".participant", has_text="Eli").get_by_label("Rôle")).to_have_value("reader")
    assert eli_role() == "reader"
    fanny.context.close()


def test_a_title_being_typed_and_a_section_being_chosen_survive_an_update(
    browser: Browser, live_server: LiveServer
) -> None:
    """Two facilitators shape the outline at once: while Fanny types a new title (and has
    tabbed on to the button) or has picked the section to move an article to, Gilles's
    changes redraw the outline. What Fanny typed and picked stays, and is what applies."""
    charter = new_charter(
        live_server,
        [("Transparence", [("Données ouvertes", "Publier.")]), ("Participation", [])],
    )
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    f = fanny.page
    organise_article(f, charter, key)
    article = f.locator(f".article[data-key='{key}']")
    title = article.get_by_label("Titre de l’article")
    title.fill("Données ouvertes par défaut")
    title.press("Tab")  # on to "Renommer"
    article.get_by_label("Déplacer vers la section").select_option("Participation")
    article.get_by_label("Déplacer vers la section").blur()
    charter.api(
        "POST", f"/sections/{charter.data['sections'][0]['id']}/articles", {"title": "Budget"}
    )
    expect(f.locator(".article-title")).to_have_count(2)
    expect(title).to_have_value("Données ouvertes par défaut")
    article.get_by_role("button", name="Renommer").click()
    expect(f.locator(f".article[data-key='{key}'] .article-title")).to_have_text(
        "Données ouvertes par défaut"
    )
    article.get_by_role("button", name="Déplacer", exact=True).click()
    expect(f.locator(".section").nth(1).locator(".article-title")).to_have_text(
        ["Données ouvertes par défaut"]
    )
    # Once applied, the fields follow the outline again.
    charter.api("PATCH", f"/articles/{key}", {"title": "Données publiques"})
    expect(
        f.locator(f".article[data-key='{key}']").get_by_label("Titre de l’article")
    ).to_have_value("Données publiques")


def test_the_editor_still_knows_its_article_is_on_screen_after_a_rename(
    browser: Browser, live_server: LiveServer
) -> None:
    """The outline's events carry no projector state (it has its own events): the
    facilitator's editor keeps "Retirer de l’écran" when its article is renamed."""
    charter = new_charter(live_server, [("Transparence", [("Données", "Publier.")])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    page = open_editor(fanny, charter, key)
    page.get_by_role("button", name="Projeter").click()
    expect(page.get_by_role("button", name="Retirer de l’écran")).to_be_visible()

    charter.api("PATCH", f"/articles/{key}", {"title": "Données ouvertes"})
    expect(page.get_by_role("heading", level=1)).to_have_text("Données ouvertes")
    assert page.get_by_role("button", name="Retirer de l’écran").is_visible()
