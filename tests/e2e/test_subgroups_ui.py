"""Sub-groups in the browser: a facilitator makes two coloured groups of participants; each
member finds "your group's draft" from the article's editor and writes in it, both groups at
once in two browsers; the projector (1920×1080) shows the drafts side by side; the
facilitator merges them, typing the words where both changed the same place; the live
editor receives the merged text and the projector marks each group's passages; axe on the
new views."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.test_amendments_ui import FORK, done
from tests.e2e.workshop import PHONE, join, new_charter, open_editor, type_at_end

TEXT = "Les rues sont à tout le monde."
PROJECTOR = {"width": 1920, "height": 1080}


def test_two_groups_draft_in_parallel_then_merge_on_the_projector(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Mobilité", [("Partager la rue", TEXT)])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    ana = join(browser, live_server, charter.invite("commenter"), "Ana")
    bob = join(browser, live_server, charter.invite("commenter"), "Bob", viewport=PHONE)

    # Fanny makes the two groups on the article's amendments page.
    f = fanny.page
    f.goto(f"/charters/{charter.slug}/amendments?article={key}")
    panel = f.locator(".group-panel")
    for name, member in (("Vélo", "Ana"), ("Arbres", "Bob")):
        panel.get_by_role("button", name="Créer un sous-groupe").click()
        dialog = f.get_by_role("dialog")
        dialog.get_by_label("Nom du sous-groupe").fill(name)
        dialog.get_by_label(member, exact=True).check()
        assert serious_violations(f) == []
        dialog.get_by_role("button", name="Créer le sous-groupe").click()
        expect(dialog).to_be_hidden()
    expect(panel.locator(".group-item")).to_have_count(2)
    expect(panel.locator(".group-item").first).to_contain_text("Brouillon du groupe A (Vélo)")
    expect(panel.locator(".group-item").nth(1)).to_contain_text("Membres\u00a0: Bob")
    assert serious_violations(f) == []

    # Each member finds the group's draft from the article's editor.
    pages = {}
    for person, letter, name in ((ana, "A", "Vélo"), (bob, "B", "Arbres")):
        page = open_editor(person, charter, key)
        link = page.get_by_role(
            "link", name=f"Le brouillon de votre groupe (groupe {letter} ({name}))"
        )
        link.click()
        expect(page.locator(FORK)).to_have_attribute("data-state", "saved")
        expect(page.locator(".status-line")).to_contain_text(f"brouillon du groupe {letter}")
        pages[letter] = page
    a, b = pages["A"], pages["B"]
    assert serious_violations(b) == []
    no_sideways_scroll(b)
    # Both write at once: the same place at the end (an overlap), and Bob at the start too.
    type_at_end(a, " Des pistes cyclables partout.")
    type_at_end(b, " Des arbres partout.")
    b.locator(".ql-editor").click()
    b.keyboard.press("Control+Home")
    b.keyboard.type("Demain, ")
    for page in (a, b):
        expect(page.locator(FORK)).to_have_attribute("data-state", "saved")
    assert "partout" not in charter.text(key)  # the article itself has not changed

    # The projector shows the drafts side by side, readable at 1920×1080.
    screen = fanny.context.new_page()
    screen.set_viewport_size(PROJECTOR)
    screen.goto(f"/charters/{charter.slug}/projector")
    panel.get_by_role("button", name="Montrer les brouillons au projecteur").click()
    columns = screen.locator(".group-column")
    expect(columns).to_have_count(2)
    expect(columns.first).to_contain_text("groupe A (Vélo)")
    expect(columns.first.locator("ins")).to_contain_text("Des pistes cyclables partout.")
    expect(columns.nth(1).locator("ins").first).to_contain_text("Demain,")
    one, two = columns.first.bounding_box(), columns.nth(1).bounding_box()
    assert one and two and abs(one["y"] - two["y"]) < 2 and two["x"] >= one["x"] + one["width"]
    assert two["x"] + two["width"] <= 1920
    size = screen.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.group-column')).fontSize)"
    )
    assert size >= 32, f"the drafts are only {size}px on the projector"
    expect(screen.locator(".groups-overlaps")).to_contain_text("A «\u00a0Des pistes")
    assert serious_violations(screen) == []
    screen.screenshot(path=str(artifacts / "subgroups-projector.png"))

    # Ana keeps the live article open; Fanny merges, typing the words at the overlap.
    live = ana.context.new_page()
    live.goto(charter.editor_path(key))
    live.evaluate("window.__sameDocument = true")
    panel.get_by_role("button", name="Fusionner les brouillons dans l’article").click()
    dialog = f.get_by_role("dialog")
    expect(dialog.get_by_text("Ceux du groupe A (Vélo)")).to_be_visible()
    dialog.get_by_label("D’autres mots\u00a0:").check()
    dialog.get_by_label("Les mots à mettre à la place").fill("Des pistes cyclables et des arbres.")
    assert serious_violations(f) == []
    dialog.get_by_role("button", name="Fusionner les brouillons dans l’article").click()
    expect(dialog).to_be_hidden()
    merged = charter.wait_text(key, lambda t: "arbres." in t)
    assert merged.split() == (
        "Demain, Les rues sont à tout le monde. Des pistes cyclables et des arbres.".split()
    )
    expect(live.locator(".ql-editor")).to_contain_text("Des pistes cyclables et des arbres.")
    expect(live.locator(".ql-editor")).to_contain_text("Demain, Les rues")
    assert live.evaluate("window.__sameDocument") is True

    # The projector now shows the merged text, Bob's passage marked B; the groups are merged.
    expect(screen.locator(".groups-merged")).to_be_visible()
    expect(screen.locator("mark.group-passage[data-letter='B']")).to_contain_text("Demain,")
    assert serious_violations(screen) == []
    screen.screenshot(path=str(artifacts / "subgroups-merged.png"))
    expect(panel.locator(".group-item[data-status='merged']")).to_have_count(2)
    versions = charter.api("GET", "/versions")["versions"]
    assert len(versions) == 2
    done(fanny, ana, bob)
