"""Bundles of amendments in the browser: on the amendments page of an article, the sets
that go together and the alternatives; a selection with a live preview; a facilitator
accepts a set as one step, choosing the words where two amendments overlap; an open editor
in another browser receives the merged text without a reload; axe and a phone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.test_amendments_ui import FORK, done, open_amendment, propose
from tests.e2e.workshop import PHONE, Charter, join, new_charter, open_editor, type_at_end

TEXT = "Les données publiques sont ouvertes."


def write_at_start(page: Page, text: str) -> None:
    page.locator(".ql-editor").click()
    page.keyboard.press("Control+Home")
    page.keyboard.type(text)


def fork(page: Page, charter: Charter, number: int, text: str, *, start: bool = False) -> None:
    open_amendment(page, charter, number)
    if start:
        write_at_start(page, text)
    else:
        type_at_end(page, text)
    expect(page.locator(FORK)).to_have_attribute("data-state", "saved")
    expect(page.locator(".diff ins").first).to_contain_text(text.strip())


def test_a_facilitator_accepts_a_set_as_one_step(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    eli = join(browser, live_server, charter.invite("editor"), "Eli", viewport=PHONE)
    licence = propose(charter, key, "Licence")
    delay = propose(charter, key, "Délai")
    soon = propose(charter, key, "Désormais")
    f = fanny.page
    fork(f, charter, licence, " Sous licence ouverte.")
    fork(f, charter, delay, " Sans délai.")  # the same place as the licence: an alternative
    fork(f, charter, soon, "Désormais, ", start=True)

    e = open_editor(eli, charter, key)
    e.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # Eli (an editor, on a phone) sees the sets and alternatives, and previews one.
    b = eli.context.new_page()
    b.goto(f"/charters/{charter.slug}/amendments?article={key}")
    panel = b.locator(".bundle-panel")
    expect(panel.locator(".bundle-sets li")).to_have_count(2)
    expect(panel.locator(".bundle-sets li").first).to_contain_text("«\u00a0Licence\u00a0»")
    expect(panel.locator(".alternative")).to_have_text(
        "«\u00a0Licence\u00a0» ou «\u00a0Délai\u00a0»\u00a0: tous deux changent un même endroit."
    )
    panel.get_by_role(
        "button", name="Choisir cet ensemble\u00a0: «\u00a0Licence\u00a0», «\u00a0Désormais\u00a0»"
    ).click()
    expect(panel.locator(".bundle-preview .no-conflict")).to_be_visible()
    expect(panel.locator(".bundle-preview ins")).to_have_count(2)
    expect(panel.get_by_role("button", name="Accepter en une fois")).to_be_hidden()
    assert serious_violations(b) == []
    no_sideways_scroll(b)
    b.screenshot(path=str(artifacts / "bundles-phone.png"), full_page=True)

    # Fanny picks all three: one overlap, said in words; she keeps both sentences.
    f.goto(f"/charters/{charter.slug}/amendments?article={key}")
    panel = f.locator(".bundle-panel")
    for title in ("Licence", "Délai", "Désormais"):
        panel.locator(".bundle-choice").get_by_label(title).check()
    expect(panel.locator(".bundle-preview .conflict")).to_have_count(1)
    expect(panel.locator(".bundle-preview .conflicts")).to_contain_text("Sans délai.")
    assert serious_violations(f) == []
    # She first puts the set to the room's vote (server/api/votes.py).
    panel.get_by_role("button", name="Mettre cet ensemble au vote").click()
    expect(panel.locator(".bundle-note")).to_have_text("Le vote sur cet ensemble est ouvert.")
    [vote] = charter.api("GET", "/votes")["votes"]
    assert vote["subject"]["kind"] == "bundle"
    assert sorted(vote["subject"]["amendments"]) == sorted([licence, delay, soon])
    panel.get_by_role("button", name="Accepter en une fois").click()
    dialog = f.get_by_role("dialog")
    dialog.get_by_role("button", name="Accepter en une fois").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Choisissez pour chaque conflit les mots qui restent."
    )
    dialog.get_by_label("Ceux de «\u00a0Délai\u00a0»\u00a0: «\u00a0Sans délai.\u00a0»").check()
    assert serious_violations(f) == []
    dialog.get_by_role("button", name="Accepter en une fois").click()
    expect(dialog).to_be_hidden()
    merged = charter.wait_text(key, lambda t: "Sans délai." in t)
    assert merged.split() == "Désormais, Les données publiques sont ouvertes. Sans délai.".split()
    statuses = {a["id"]: a["status"] for a in charter.api("GET", "/amendments")["amendments"]}
    assert statuses == {licence: "accepted", delay: "accepted", soon: "accepted"}
    labels = [v["label"] for v in charter.api("GET", "/versions")["versions"]]
    ones = ", ".join(f"#{n}" for n in (licence, delay, soon))
    assert [x for x in labels if "en une fois" in x] == [
        f"Avant les amendements {ones} (en une fois)",
        f"Après les amendements {ones} (en une fois)",
    ]

    # Eli's open editor receives the merged text without reloading.
    expect(e.locator(".ql-editor")).to_contain_text("Désormais, Les données")
    expect(e.locator(".ql-editor")).to_contain_text("Sans délai.")
    assert "Sous licence" not in e.locator(".ql-editor").inner_text()
    assert e.evaluate("window.__sameDocument") is True
    # The page of the amendments follows: every amendment accepted, no set left.
    expect(b.locator(".amendment-item .status-accepted")).to_have_count(3)
    done(fanny, eli)
