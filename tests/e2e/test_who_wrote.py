"""Who wrote what, in the editor: two people with badges type at once; the text coloured by
person and by badge (highlights over the words each typed, with a legend and the share of
words), "where does this passage come from?" said in words (for screen readers too), a
newcomer's words coloured without a reload, axe clean, on a laptop and on a phone."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.test_comments_ui import select
from tests.e2e.workshop import PHONE, join, new_charter, open_editor, type_at_end

TEXT = "Les données de la ville sont publiées."
HIGHLIGHTS = """() => Object.fromEntries([...CSS.highlights.keys()].map(name =>
  [name, [...CSS.highlights.get(name)].map(r => r.toString()).join('|')]))"""


def highlights(page: Page) -> dict[str, str]:
    found: dict[str, str] = page.evaluate(HIGHLIGHTS)
    return found


def shade_of(page: Page, name: str) -> str:
    """The highlight of a person, read from the legend's sample beside their name."""
    sample = page.locator(".authors-legend li", has_text=name).locator(".who-sample")
    classes = sample.get_attribute("class") or ""
    return next(c for c in classes.split() if c.startswith("who-") and c != "who-sample")


def test_the_text_coloured_by_person_and_by_badge_and_said_in_words(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa", badge="citizen")
    bruno = join(browser, live_server, charter.invite("editor"), "Bruno", badge="elected")
    a = open_editor(awa, charter, key)
    b = open_editor(bruno, charter, key)
    type_at_end(a, " Chaque mois.")
    type_at_end(b, " Sous licence ouverte.")
    for page in (a, b):
        expect(page.locator(".ql-editor")).to_contain_text("Chaque mois.")
        expect(page.locator(".ql-editor")).to_contain_text("Sous licence ouverte.")
        expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")

    panel = a.locator(".authors-panel")
    panel.locator("summary").click()
    a.get_by_label("Par personne").check()
    expect(panel.locator(".authors-legend")).to_contain_text("Awa")
    expect(panel.locator(".authors-legend")).to_contain_text("Bruno")
    expect(panel.locator(".authors-share")).to_contain_text("citoyen·nes")
    awa_shade, bruno_shade = shade_of(a, "Awa"), shade_of(a, "Bruno")
    assert awa_shade != bruno_shade
    drawn = highlights(a)
    assert "Chaque mois." in drawn[awa_shade].replace("|", "")
    assert "Sous licence ouverte." in drawn[bruno_shade].replace("|", "")
    assert "Sous licence" not in drawn[awa_shade]
    # The article's first text came from an import: nobody's.
    assert "Les données" in drawn["who-unknown"]
    a.screenshot(path=str(artifacts / "who-wrote-by-person.png"))

    a.get_by_label("Par qualité").check()
    expect(panel.locator(".authors-legend")).to_contain_text("Élu·e")
    drawn = highlights(a)
    assert "Chaque mois." in drawn["who-citizen"].replace("|", "")
    assert "Sous licence ouverte." in drawn["who-elected"].replace("|", "")
    assert not any(name.startswith("who-p") for name in drawn)

    # In words, for a passage (and for the sentence at the caret).
    # Where a passage comes from, in words: who, since when, amendments, discussions.
    charter.api("POST", "/versions", {"label": "Après l’atelier Imaginer"})
    why = a.get_by_role("button", name=re.compile("D’où vient ce passage"))
    said = panel.locator(".authors-said")
    select(a, "Sous licence ouverte.")
    why.click()
    expect(said).to_contain_text("Écrit par Bruno (élu·e).")
    expect(said).to_contain_text("Présent depuis la version «\u00a0Après l’atelier Imaginer\u00a0»")
    expect(said).to_contain_text("Pas de discussion sur ce passage.")
    a.screenshot(path=str(artifacts / "who-wrote-why.png"), full_page=True)
    select(a, "données")
    a.keyboard.press("ArrowLeft")  # only the caret, in the first sentence
    why.click()
    expect(said.locator("q")).to_have_text(TEXT)
    expect(said).to_contain_text("Écrit par auteur·rice inconnu·e.")

    # Someone new types: their words are coloured too, without a reload.
    cora = join(browser, live_server, charter.invite("editor"), "Cora", badge="organiser")
    c = open_editor(cora, charter, key)
    type_at_end(c, " Revu par Cora.")
    expect(a.locator(".ql-editor")).to_contain_text("Revu par Cora.")
    a.wait_for_function(
        "() => [...(CSS.highlights.get('who-organiser') || [])]"
        ".some(r => r.toString().includes('Cora'))"
    )
    assert serious_violations(a) == []
    for person in (awa, bruno, cora):
        assert person.errors == []
        person.context.close()


def test_on_a_phone_the_panel_stays_out_of_the_way(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    awa = join(
        browser, live_server, charter.invite("editor"), "Awa", badge="citizen", viewport=PHONE
    )
    page = open_editor(awa, charter, key)
    first = page.locator("#editor .ql-editor > *").first.bounding_box()
    assert first is not None and first["y"] + first["height"] <= PHONE["height"]
    page.locator(".authors-panel summary").click()
    page.get_by_label("Par qualité").check()
    expect(page.locator(".authors-share")).to_be_visible()
    no_sideways_scroll(page)
    assert serious_violations(page) == []
    assert awa.errors == []
    awa.context.close()


def test_the_projector_colours_the_live_text_as_the_facilitator_chooses(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    charter.api("PUT", "/projector", {"article": key})
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", badge="organiser")
    awa = join(browser, live_server, charter.invite("editor"), "Awa", badge="citizen")
    a = open_editor(awa, charter, key)
    type_at_end(a, " Chaque mois.")
    expect(a.locator(".save-state")).to_have_attribute("data-state", "saved")
    wall = fanny.context.new_page()
    wall.set_viewport_size({"width": 1920, "height": 1080})
    wall.goto(f"/charters/{charter.slug}/projector")
    expect(wall.locator(".projector-body")).to_contain_text("Chaque mois.")
    assert highlights(wall) == {}

    colours = fanny.page.get_by_role("group", name="Couleurs selon qui a écrit")
    colours.get_by_label("Par qualité").check()
    expect(wall.locator(".projector-authors")).to_contain_text("Citoyen·ne")
    wall.wait_for_function("() => CSS.highlights.has('who-citizen')")
    assert "Chaque mois." in highlights(wall)["who-citizen"].replace("|", "")
    # Typing goes on: the new words are coloured as they arrive.
    type_at_end(a, " Sans délai.")
    wall.wait_for_function(
        "() => [...CSS.highlights.get('who-citizen')].some(r => r.toString().includes('délai'))"
    )
    wall.screenshot(path=str(artifacts / "projector-authors.png"))
    assert serious_violations(wall) == []

    colours.get_by_label("Par personne").check()
    expect(wall.locator(".projector-authors")).to_contain_text("Awa")
    wall.wait_for_function("() => [...CSS.highlights.keys()].some(n => /^who-p/.test(n))")
    colours.get_by_label("Aucune").check()
    expect(wall.locator(".projector-authors")).to_be_hidden()
    wall.wait_for_function("() => CSS.highlights.size === 0")
    for person in (fanny, awa):
        assert person.errors == []
        person.context.close()


def test_the_projector_says_where_a_selected_passage_comes_from(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    charter.api("PUT", "/projector", {"article": key})
    charter.api("POST", "/versions", {"label": "Après l’atelier Raconter"})
    awa = join(browser, live_server, charter.invite("editor"), "Awa", badge="citizen")
    a = open_editor(awa, charter, key)
    type_at_end(a, " Chaque mois.")
    expect(a.locator(".save-state")).to_have_attribute("data-state", "saved")
    wall = awa.context.new_page()
    wall.set_viewport_size({"width": 1280, "height": 720})
    wall.goto(f"/charters/{charter.slug}/projector")
    expect(wall.locator(".projector-body")).to_contain_text("Chaque mois.")
    button = wall.get_by_role("button", name=re.compile("D’où vient ce passage"))
    expect(button).to_be_hidden()
    wall.evaluate(
        """() => {
          const root = document.querySelector('.projector-body')
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf('Chaque mois.')
            if (at < 0) continue
            const range = document.createRange()
            range.setStart(node, at)
            range.setEnd(node, at + 'Chaque mois.'.length)
            getSelection().removeAllRanges()
            getSelection().addRange(range)
          }
        }"""
    )
    expect(button).to_be_visible()
    button.click()
    answer = wall.locator(".projector-why")
    expect(answer).to_contain_text("Écrit par Awa (citoyen·ne).")
    expect(answer).to_contain_text("Écrit depuis la dernière version enregistrée.")
    assert serious_violations(wall) == []
    answer.get_by_role("button", name="Fermer").click()
    expect(answer).to_be_hidden()
    assert awa.errors == []
    awa.context.close()
