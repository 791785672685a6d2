"""The heat-map of stances in the browser: participants with badges comment passages of an
accented text with emoji, each with a stance; the editor's "Carte des avis" shades exactly
those passages (highlights over the text, a kind per underline), lists the most contested
first, filters by badge, follows another browser's new stance without a reload, takes
turns with "who wrote what", and passes axe; a phone sets a stance; the projector shows
the heat-map in large type at 1920×1080 when the facilitator asks."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.test_comments_ui import select, thread
from tests.e2e.test_who_wrote import highlights
from tests.e2e.workshop import PHONE, Person, join, new_charter, open_editor

TEXT = (
    "Le café ☕ de la Ville ouvre ses données 😀 à tous. "
    "Les élu·es 🎉 répondent aux questions sous un mois. "
    "Chaque habitant·e peut réagir en ligne."
)
OPEN = "données 😀 à tous"
ANSWER = "répondent aux questions sous un mois"
REACT = "peut réagir en ligne"
LIVE = 2000  # ms


def comment_on(page: Page, passage: str, body: str, stance: str) -> None:
    """Select a passage, comment on it with a stance (the value: for, against, mixed)."""
    select(page, passage)
    page.locator(".comment-float").click()
    page.get_by_label("Votre commentaire").fill(body)
    page.locator("#comment-stance").select_option(stance)
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(thread(page, body)).to_be_visible()


def answer(page: Page, opening: str, body: str, stance: str) -> None:
    item = thread(page, opening)
    item.get_by_role("button", name="Répondre").click()
    item.get_by_label("Votre réponse").fill(body)
    item.get_by_label("Position (facultatif)").select_option(stance)
    item.get_by_role("button", name="Publier la réponse").click()
    expect(item.locator(".comment-text").last).to_have_text(body)


def shaded(page: Page) -> dict[str, str]:
    """The heat-map's highlights: name -> the text they cover."""
    return {k: v for k, v in highlights(page).items() if k.startswith("heat-")}


def contested(page: Page) -> list[str]:
    return [b.inner_text() for b in page.locator(".heat-contested li button").all()]


def q(passage: str) -> str:
    return f"«\u00a0{passage}\u00a0»"


def test_the_heatmap_shades_the_passages_lists_the_contested_and_follows_live(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("commenter"), "Awa", badge="citizen")
    bruno = join(browser, live_server, charter.invite("commenter"), "Bruno", badge="elected")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    a = open_editor(awa, charter, key)
    b = open_editor(bruno, charter, key)
    comment_on(a, OPEN, "Enfin !", "for")
    comment_on(a, ANSWER, "Trop long.", "against")
    comment_on(b, REACT, "Ça dépend.", "mixed")
    expect(thread(b, "Trop long.")).to_be_visible()
    answer(b, "Trop long.", "Intenable pour nous.", "against")
    answer(b, "Enfin !", "Pas tous.", "against")

    e = open_editor(eli, charter, key)
    panel = e.locator(".heatmap-panel")
    panel.locator("summary").click()
    e.get_by_label("Colorer le texte selon les avis").check()
    # Everyone: the answer's passage has two "against", the opening one is split, the
    # "mixed" one shades nothing; in that order in the list.
    expect(panel.locator(".heat-contested li")).to_have_count(3)
    assert shaded(e) == {"heat-against-2": ANSWER, "heat-split-2": OPEN}
    assert contested(e) == [q(ANSWER), q(OPEN), q(REACT)]
    first = panel.locator(".heat-contested li").first
    expect(first.locator(".heat-counts")).to_have_text("0 pour · 2 contre · 0 mitigé(s)")
    expect(panel.locator(".heat-legend")).to_contain_text("Plutôt contre (souligné ondulé)")
    e.screenshot(path=str(artifacts / "heatmap-editor.png"), full_page=True)
    assert serious_violations(e) == []

    # By badge: the citizens' stances, then the elected officials'.
    panel.get_by_label("Citoyen·nes").check()
    expect(panel.locator(".heat-contested li")).to_have_count(1)
    assert shaded(e) == {"heat-for-1": OPEN, "heat-against-1": ANSWER}
    assert contested(e) == [q(ANSWER)]
    panel.get_by_label("Élu·es").check()
    expect(panel.locator(".heat-contested li")).to_have_count(3)
    assert shaded(e) == {"heat-against-1": f"{OPEN}|{ANSWER}"}
    assert contested(e) == [q(OPEN), q(ANSWER), q(REACT)]  # a tie: the text's order
    panel.get_by_label("Tout le monde").check()

    # Another browser posts a stance: the map follows without a reload.
    e.evaluate("window.__sameDocument = true")
    answer(a, "Ça dépend.", "Je ne vois pas comment.", "against")
    expect(panel.locator(".heat-contested li").nth(2)).to_contain_text(
        "0 pour · 1 contre · 1 mitigé(s)", timeout=LIVE
    )
    e.wait_for_function(
        "() => [...(CSS.highlights.get('heat-against-1') || [])]"
        f".some(r => r.toString() === {REACT!r})"
    )
    assert e.evaluate("window.__sameDocument") is True

    # A contested passage's button shows the passage and brings its thread into focus.
    first.get_by_role("button").click()
    assert e.evaluate("document.getSelection().toString()") == ANSWER
    expect(thread(e, "Trop long.")).to_be_focused()

    # One colouring of the text at a time.
    authors = e.locator(".authors-panel")
    authors.locator("summary").click()
    e.get_by_label("Par personne").check()
    expect(e.get_by_label("Colorer le texte selon les avis")).not_to_be_checked()
    assert shaded(e) == {}
    e.get_by_label("Colorer le texte selon les avis").check()
    expect(e.get_by_label("Aucune", exact=True)).to_be_checked()
    assert not any(name.startswith("who-") for name in highlights(e))
    assert shaded(e)
    for person in (awa, bruno, eli):
        assert person.errors == [] and person.csp_violations() == []
        person.context.close()


def test_a_phone_sets_a_stance_and_edits_it(browser: Browser, live_server: LiveServer) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    cora: Person = join(
        browser, live_server, charter.invite("commenter"), "Cora", badge="citizen", viewport=PHONE
    )
    page = open_editor(cora, charter, key)
    comment_on(page, OPEN, "Oui, tout.", "for")
    mine = thread(page, "Oui, tout.")
    expect(mine.locator(".stance")).to_have_text("Pour")
    mine.get_by_role("button", name="Modifier").click()
    mine.locator(".edit-form").get_by_label("Position (facultatif)").select_option("mixed")
    mine.get_by_role("button", name="Enregistrer").click()
    expect(mine.locator(".stance")).to_have_text("Mitigé")
    no_sideways_scroll(page)
    found = charter.api("GET", f"/articles/{key}/stances")
    assert [t["total"] for t in found["threads"]] == [{"for": 0, "against": 0, "mixed": 1}]
    assert cora.errors == []
    cora.context.close()


def test_the_projector_shows_the_heatmap_when_the_facilitator_asks(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    charter.api("PUT", "/projector", {"article": key})
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", badge="organiser")
    awa = join(browser, live_server, charter.invite("commenter"), "Awa", badge="citizen")
    a = open_editor(awa, charter, key)
    f = fanny.context.new_page()
    f.goto(charter.editor_path(key))
    expect(f.locator(".save-state")).to_have_attribute("data-state", "saved")
    comment_on(a, OPEN, "Pas pour tout.", "against")
    comment_on(f, ANSWER, "Bien vu.", "for")
    wall = fanny.context.new_page()
    wall.set_viewport_size({"width": 1920, "height": 1080})
    wall.goto(f"/charters/{charter.slug}/projector")
    expect(wall.locator(".projector-body")).to_contain_text("sous un mois")
    expect(wall.locator(".projector-heat")).to_be_hidden()

    heat = fanny.page.get_by_role("group", name="Carte des avis sur le texte")
    heat.get_by_label("Tout le monde").check()
    board = wall.locator(".projector-heat")
    expect(board).to_contain_text("Carte des avis — Avis de\u00a0: Tout le monde")
    expect(board.locator(".projector-heat-list li")).to_have_count(1)
    expect(board.locator(".projector-heat-list li")).to_contain_text(q(OPEN))
    wall.wait_for_function("() => CSS.highlights.has('heat-for-1')")
    assert shaded(wall) == {"heat-against-1": OPEN, "heat-for-1": ANSWER}
    size = wall.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.projector-heat')).fontSize)"
    )
    assert size >= 30, f"the heat-map's legend is only {size}px on a 1920 px screen"
    no_sideways_scroll(wall)

    # A new stance reaches the wall without a reload: the answer is now the most contested.
    answer(a, "Bien vu.", "Trop lent.", "against")
    expect(board.locator(".projector-heat-list li")).to_have_count(2, timeout=LIVE)
    expect(board.locator(".projector-heat-list li").first).to_contain_text(q(ANSWER))
    wall.wait_for_function("() => CSS.highlights.has('heat-split-2')")
    assert shaded(wall) == {"heat-against-1": OPEN, "heat-split-2": ANSWER}
    wall.screenshot(path=str(artifacts / "projector-heatmap.png"))
    assert serious_violations(wall) == []

    # The citizens' stances only; then colours by authors, which put the heat-map away.
    heat.get_by_label("Citoyen·nes").check()
    expect(board).to_contain_text("Avis de\u00a0: Citoyen·nes")
    wall.wait_for_function("() => !CSS.highlights.has('heat-split-2')")
    assert shaded(wall) == {"heat-against-1": f"{OPEN}|{ANSWER}"}
    colours = fanny.page.get_by_role("group", name="Couleurs selon qui a écrit")
    colours.get_by_label("Par qualité").check()
    expect(board).to_be_hidden()
    expect(heat.get_by_label("Aucune")).to_be_checked()
    wall.wait_for_function("() => [...CSS.highlights.keys()].some(n => n.startsWith('who-'))")
    assert shaded(wall) == {}
    for person in (fanny, awa):
        assert person.errors == [] and person.csp_violations() == []
        person.context.close()
