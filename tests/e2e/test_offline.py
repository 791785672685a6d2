"""A network drop: what is typed offline is kept, shown as such, and sent on return."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import join, new_charter, open_editor, type_at_end


def test_edits_made_offline_are_kept_and_sent_when_the_network_returns(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Coproduction", [("Évaluer ensemble", "")])])
    key = charter.article(0, 0)["id"]
    olga = join(browser, live_server, charter.invite("editor"), "Olga")
    paul = join(browser, live_server, charter.invite("editor"), "Paul")
    o, p = open_editor(olga, charter, key), open_editor(paul, charter, key)
    type_at_end(o, "En ligne.")
    expect(o.locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(p.locator(".ql-editor")).to_have_text("En ligne.")

    olga.context.set_offline(True)
    state = o.locator(".save-state")
    expect(state).to_have_attribute("data-state", "offline-kept")
    expect(state).to_have_text("Hors ligne — vos modifications sont gardées et seront envoyées")
    expect(o.locator(".conn")).to_have_attribute("data-state", "offline")
    type_at_end(o, " Écrit hors ligne.")
    expect(o.locator(".ql-editor")).to_have_text("En ligne. Écrit hors ligne.")
    expect(state).to_have_attribute("data-state", "offline-kept")
    p.locator(".ql-editor").click()
    p.keyboard.press("Control+Home")
    p.keyboard.type("Paul : ")  # meanwhile, someone else writes too
    expect(p.locator(".save-state")).to_have_attribute("data-state", "saved")
    assert "hors ligne" not in p.locator(".ql-editor").inner_text()

    olga.context.set_offline(False)
    expect(state).to_have_attribute("data-state", "saved", timeout=15_000)
    expected = "Paul : En ligne. Écrit hors ligne."
    expect(o.locator(".ql-editor")).to_have_text(expected)
    expect(p.locator(".ql-editor")).to_have_text(expected)
    assert charter.wait_text(key, lambda t: "hors ligne" in t) == expected
    for person in (olga, paul):
        assert person.errors == []
        person.context.close()
