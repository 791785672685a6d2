"""Two people write one article together, live: text, named cursors, "saved", the server."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import (
    connected,
    editor_text,
    join,
    new_charter,
    open_editor,
    type_at_end,
    words,
)


def test_two_participants_coedit_and_see_each_others_named_cursor(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(
        live_server,
        [("Transparence", [("Des données ouvertes", "La Ville publie ses données.")])],
    )
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa", badge="citizen")
    bruno = join(browser, live_server, charter.invite("editor"), "Bruno", badge="elected")
    connected(awa.page)
    a = open_editor(awa, charter, key)
    b = open_editor(bruno, charter, key)
    expect(a.locator(".ql-editor")).to_contain_text("La Ville publie ses données.")

    type_at_end(a, " Awa écrit ici.")
    expect(b.locator(".ql-editor")).to_contain_text("Awa écrit ici.")
    type_at_end(b, " Et Bruno répond.")
    expect(a.locator(".ql-editor")).to_contain_text("Et Bruno répond.")

    # Each sees the other's cursor, named and coloured by the server's records.
    expect(a.locator(".ql-cursor .ql-cursor-name")).to_have_text("Bruno")
    expect(b.locator(".ql-cursor .ql-cursor-name")).to_have_text("Awa")
    expect(a.locator(".here")).to_contain_text("Bruno")

    # "Saved" only once the server committed; the stored text is what both see.
    expect(a.locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(b.locator(".save-state")).to_have_attribute("data-state", "saved")
    # (Ctrl+End lands on the empty line after the imported paragraph: a new paragraph.)
    expected = "La Ville publie ses données.\n Awa écrit ici. Et Bruno répond."
    assert charter.wait_text(key, lambda t: "Bruno" in t) == expected
    assert words(editor_text(a)) == words(editor_text(b)) == words(expected)

    a.screenshot(path=str(artifacts / "editor-two-cursors.png"), full_page=True)

    # Rich text from the toolbar reaches the other editor and the server.
    bold = a.get_by_role("button", name="Gras")
    a.keyboard.type(" ")
    bold.click()
    expect(bold).to_have_attribute("aria-pressed", "true")
    a.keyboard.type("Important")
    expect(b.locator(".ql-editor strong")).to_have_text("Important")
    expect(a.locator(".save-state")).to_have_attribute("data-state", "saved")
    with charter.http() as http:
        markdown = http.get(f"/api/charters/{charter.slug}/articles/{key}?format=md").text
    assert "**Important**" in markdown
    for person in (awa, bruno):
        assert person.errors == [] and person.csp_violations() == []
        person.context.close()
