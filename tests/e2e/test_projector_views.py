"""The facilitator chooses how the projector shows its article: the changes since the last
named version ("what we changed today"), the text with an open amendment applied, or a
chosen passage kept in view. Each is live, and none is ever written to the article."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_amendments_ui import FORK, done, open_amendment, propose
from tests.e2e.workshop import join, new_charter, open_editor, type_at_end

TEXT = "Les élus répondent aux questions des habitants sous un mois."
LONG = "\n\n".join(
    f"Paragraphe {n} : la Ville rend compte de ses engagements devant les habitants."
    for n in range(1, 31)
)


def test_changes_since_the_workshop_began_and_an_amendment_applied(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", TEXT)])])
    key = charter.article(0, 0)["id"]
    charter.api("POST", "/versions", {"label": "Après l’atelier Raconter"})
    charter.api("PUT", "/projector", {"article": key})

    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    wall = fanny.context.new_page()
    wall.set_viewport_size({"width": 1280, "height": 720})
    wall.goto(f"/charters/{charter.slug}/projector")
    expect(wall.locator(".projector-body")).to_contain_text("sous un mois")
    expect(wall.locator(".projector-view")).to_be_hidden()

    e = open_editor(eli, charter, key)
    type_at_end(e, " Un bilan est publié chaque trimestre.")
    expect(e.locator(".save-state")).to_have_attribute("data-state", "saved")

    panel = fanny.page.get_by_role("group", name="Ce que l’écran montre de l’article")
    expect(panel.get_by_label("Le texte tel qu’il s’écrit")).to_be_checked()
    panel.get_by_label("Les changements depuis la dernière version nommée").check()
    expect(wall.locator(".projector-view")).to_contain_text(
        "Changements depuis la version « Après l’atelier Raconter »"
    )
    expect(wall.locator(".projector-body ins")).to_contain_text("trimestre")
    # Typing goes on: the changes on screen follow, without any reload.
    type_at_end(e, " Sans exception.")
    expect(wall.locator(".projector-body ins")).to_contain_text("Sans exception.")
    wall.screenshot(path=str(artifacts / "projector-changes.png"))
    # The same screen in English, for the English guide.
    ana = join(browser, live_server, charter.invite("reader"), "Ana", locale="en-GB")
    english = ana.context.new_page()
    english.set_viewport_size({"width": 1280, "height": 720})
    english.goto(f"/charters/{charter.slug}/projector")
    expect(english.locator(".projector-view")).to_contain_text(
        "Changes since the version “Après l’atelier Raconter”"
    )
    expect(english.locator(".projector-body ins")).to_contain_text("Sans exception.")
    english.screenshot(path=str(artifacts / "projector-changes.en.png"))
    ana.context.close()

    # An amendment is opened and written; the facilitator shows it applied.
    number = propose(charter, key, "Plus vite")
    expect(panel.get_by_label("Amendement à appliquer à l’écran")).to_have_value(str(number))
    assert serious_violations(fanny.page) == []
    assert serious_violations(wall) == []
    f = fanny.context.new_page()
    open_amendment(f, charter, number)
    type_at_end(f, " En moins de quinze jours pour les urgences.")
    expect(f.locator(FORK)).to_have_attribute("data-state", "saved")
    panel.get_by_label("Le texte avec un amendement appliqué (sans l’accepter) :").check()
    expect(wall.locator(".projector-view")).to_contain_text(
        "Avec l’amendement « Plus vite » appliqué — pas encore décidé"
    )
    expect(wall.locator(".projector-body ins")).to_contain_text("quinze jours")
    # The amendment's author goes on writing: the screen follows.
    type_at_end(f, " Réponse écrite.")
    expect(wall.locator(".projector-body ins").last).to_contain_text("Réponse écrite.")

    # Nothing of it was written to the article.
    text = charter.text(key)
    assert "quinze" not in text and "trimestre" in text
    panel.get_by_label("Le texte tel qu’il s’écrit").check()
    expect(wall.locator(".projector-view")).to_be_hidden()
    expect(wall.locator(".projector-body ins")).to_have_count(0)
    expect(wall.locator(".projector-body")).not_to_contain_text("quinze")
    done(fanny, eli)


def test_the_chosen_passage_stays_in_view_while_people_type_elsewhere(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", LONG)])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    wall = fanny.context.new_page()
    wall.set_viewport_size({"width": 1920, "height": 1080})
    wall.goto(f"/charters/{charter.slug}/projector")

    page = open_editor(fanny, charter, key)
    page.get_by_role("button", name="Projeter").click()
    expect(wall.locator(".projector-title")).to_have_text("Rendre compte")
    # Fanny selects the words of paragraph 12 and keeps them on screen.
    page.evaluate(
        """() => {
          const editor = document.querySelector('.ql-editor')
          const walker = document.createTreeWalker(editor, NodeFilter.SHOW_TEXT)
          let node
          while ((node = walker.nextNode())) {
            const at = node.data.indexOf('Paragraphe 12 :')
            if (at >= 0) {
              const range = document.createRange()
              range.setStart(node, at)
              range.setEnd(node, at + 'Paragraphe 12 : la Ville rend compte'.length)
              const selection = document.getSelection()
              selection.removeAllRanges()
              selection.addRange(range)
              return
            }
          }
        }"""
    )
    page.get_by_role("button", name="Garder la sélection à l’écran").click()
    marked = wall.locator("mark.passage")
    expect(marked).to_have_text("Paragraphe 12 : la Ville rend compte")
    expect(marked).to_be_in_viewport()
    assert serious_violations(wall) == [] and serious_violations(page) == []

    # Eli types at the end, far below, and before the passage: the passage stays on screen,
    # the same words.
    e = open_editor(eli, charter, key)
    type_at_end(e, " Une phrase tout en bas.")
    e.locator(".ql-editor").click()
    e.keyboard.press("Control+Home")
    e.keyboard.type("Préambule. ")
    expect(e.locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(wall.locator(".projector-body")).to_contain_text("Une phrase tout en bas.")
    expect(wall.locator(".projector-body")).to_contain_text("Préambule.")
    expect(marked).to_have_text("Paragraphe 12 : la Ville rend compte")
    expect(marked).to_be_in_viewport()
    expect(wall.locator(".projector-more.below")).to_be_visible()
    assert "Préambule. Paragraphe 1 :" in charter.text(key)

    # Back to following the writing: the mark goes, typing comes into view again.
    page.get_by_role("button", name="Suivre à nouveau l’écriture").click()
    expect(wall.locator("mark.passage")).to_have_count(0)
    type_at_end(e, " Et encore une.")
    expect(wall.get_by_text("Une phrase tout en bas. Et encore une.")).to_be_in_viewport()
    done(fanny, eli)
