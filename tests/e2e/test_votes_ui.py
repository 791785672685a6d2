"""The room's live vote in real browsers: the facilitator opens it from the charter page
and puts its result on the projector (1920×1080); participants vote on their phones
(360×740) with big radio-like buttons and change their vote; the projector counts live,
by badge; "close and open the next article's vote"; the result said when it closes; axe
on the ballot panel and on the projector's view."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.workshop import PHONE, connected, join, new_charter

WALL = {"width": 1920, "height": 1080}


def count(page: Page, choice: str) -> str:
    return f".vote-counts .vote-count[data-choice='{choice}'] .vote-number"


def test_phones_vote_and_the_projector_counts_live(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(
        live_server,
        [
            (
                "Transparence",
                [
                    ("Données ouvertes", "La Ville publie ses données."),
                    ("Rendre compte", "Les élus rendent compte chaque année."),
                ],
            )
        ],
    )
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", badge="organiser")
    awa = join(
        browser, live_server, charter.invite("commenter"), "Awa", badge="citizen", viewport=PHONE
    )
    bruno = join(
        browser, live_server, charter.invite("editor"), "Bruno", badge="elected", viewport=PHONE
    )
    rita = join(browser, live_server, charter.invite("reader"), "Rita", viewport=PHONE)
    for person in (fanny, awa, bruno, rita):
        connected(person.page)
    wall = fanny.context.new_page()
    wall.set_viewport_size(WALL)
    wall.goto(f"/charters/{charter.slug}/projector")
    expect(wall.locator(".projector-body .waiting")).to_be_visible()

    tools = fanny.page.locator(".votes-tools")
    tools.get_by_label("Sur quoi").select_option(charter.article(0, 0)["id"])
    tools.get_by_label("Question (facultative)").fill("Gardons-nous cet article ?")
    tools.get_by_role("button", name="Ouvrir le vote").click()
    expect(tools.locator(".vote-status")).to_contain_text(
        "Vote ouvert : Article « Données ouvertes »"
    )
    tools.get_by_role("button", name="Afficher le résultat au vidéoprojecteur").click()
    screen = wall.locator(".vote-screen")
    expect(screen).to_be_visible()
    expect(screen.locator("h1")).to_have_text("Article « Données ouvertes »")
    expect(wall.locator(".projector-body")).to_be_hidden()

    # On the phones: the panel with its big buttons; the reader follows without buttons.
    phone = awa.page.locator(".vote-panel")
    expect(phone).to_be_visible()
    expect(phone.locator(".vote-question")).to_have_text("Gardons-nous cet article ?")
    expect(rita.page.locator(".vote-panel")).to_contain_text("sans voter")
    expect(rita.page.locator(".vote-panel .vote-choice")).to_have_count(0)
    agree = phone.get_by_role("button", name="D’accord")
    expect(agree).to_have_attribute("aria-pressed", "false")
    agree.click()
    expect(agree).to_have_attribute("aria-pressed", "true")
    expect(phone.locator(".vote-mine")).to_contain_text("Votre vote : D’accord")
    bruno.page.locator(".vote-panel").get_by_role("button", name="Objection").click()
    expect(wall.locator(count(wall, "agree"))).to_have_text("1")
    expect(wall.locator(count(wall, "objection"))).to_have_text("1")
    expect(screen.locator(".vote-badges tr[data-badge='elected'] td").nth(2)).to_have_text("1")
    expect(screen.locator(".vote-badges tr[data-badge='citizen'] td").nth(0)).to_have_text("1")

    # Bruno changes his mind: still one ballot each, counted again live.
    living = bruno.page.locator(".vote-panel").get_by_role("button", name="Je peux vivre avec")
    living.click()
    expect(living).to_have_attribute("aria-pressed", "true")
    expect(bruno.page.get_by_role("button", name="Objection")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(wall.locator(count(wall, "objection"))).to_have_text("0")
    expect(wall.locator(count(wall, "live_with"))).to_have_text("1")
    expect(screen.locator(".vote-meta")).to_contain_text("2 bulletins")
    no_sideways_scroll(awa.page)
    awa.page.screenshot(path=str(artifacts / "vote-phone.png"))
    wall.screenshot(path=str(artifacts / "vote-projector.png"))
    assert serious_violations(awa.page) == []
    assert serious_violations(wall) == []

    # "Close and open the next article's vote": the phones follow to the next article.
    tools.get_by_role("button", name="Clore et ouvrir le vote sur l’article suivant").click()
    expect(phone.locator(".vote-title")).to_contain_text("Rendre compte")
    expect(phone.get_by_role("button", name="D’accord")).to_have_attribute("aria-pressed", "false")
    votes = charter.api("GET", "/votes")["votes"]
    assert [v["status"] for v in votes] == ["open", "closed"]
    assert votes[1]["counts"] == {"agree": 1, "live_with": 1, "objection": 0}
    assert votes[0]["question"] == "Gardons-nous cet article ?" and votes[0]["scale"] == "consent"

    # Closing: the result on the phones, said in the live region, kept on the projector.
    phone.get_by_role("button", name="D’accord").click()
    tools.get_by_role("button", name="Afficher le résultat au vidéoprojecteur").click()
    expect(screen.locator("h1")).to_have_text("Article « Rendre compte »")
    tools.get_by_role("button", name="Clore le vote").click()
    expect(phone.locator(".vote-title")).to_contain_text("Résultat du vote")
    expect(phone.locator(".vote-choice")).to_have_count(0)
    said = awa.page.get_by_role("status").filter(has_text="Vote terminé : Article")
    expect(said).to_contain_text("Rendre compte")
    expect(screen.locator(".vote-screen-state")).to_have_text("Résultat du vote")
    expect(wall.locator(count(wall, "agree"))).to_have_text("1")
    assert serious_violations(awa.page) == []
    for person in (fanny, awa, bruno, rita):
        assert person.errors == [] and person.csp_violations() == []
