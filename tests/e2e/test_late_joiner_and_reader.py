"""Someone who arrives late sees everything at once; a reader follows but cannot type."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import join, new_charter, open_editor, type_at_end


def test_a_late_joiner_sees_everything_and_a_reader_cannot_type(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(
        live_server,
        [
            (
                "Participation",
                [("Associer les habitants", ""), ("Rendre compte", "Un compte rendu.")],
            )
        ],
    )
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    a = open_editor(awa, charter, key)
    type_at_end(a, "Premier jet de l’article.")
    expect(a.locator(".save-state")).to_have_attribute("data-state", "saved")

    # Carla arrives late, on the charter page: the live text, who is here and where.
    carla = join(browser, live_server, charter.invite("editor"), "Carla")
    c = carla.page
    first = c.locator(f".article[data-key='{key}']")
    expect(first.locator(".body")).to_have_text("Premier jet de l’article.")
    expect(c.locator(".article").nth(1).locator(".body")).to_have_text("Un compte rendu.")
    expect(c.locator(".people-count")).to_have_text("2 personnes présentes")
    expect(c.locator(".people-list")).to_contain_text("Awa")
    expect(first.locator(".here")).to_contain_text("Awa")
    # ... and in the editor, the text and Awa's cursor.
    open_editor(carla, charter, key)
    expect(c.locator(".ql-editor")).to_have_text("Premier jet de l’article.")
    expect(c.locator(".ql-cursor-name")).to_have_text("Awa")

    # Dan is a reader: he follows the text live but the editor does not take his typing.
    dan = join(browser, live_server, charter.invite("reader"), "Dan")
    d = dan.page
    expect(d.locator(f".article[data-key='{key}'] .article-actions a")).to_contain_text(
        "Suivre cet article"
    )
    open_editor(dan, charter, key)
    editor = d.locator(".ql-editor")
    expect(editor).to_have_text("Premier jet de l’article.")
    expect(editor).to_have_attribute("contenteditable", "false")
    expect(d.locator(".toolbar")).to_be_hidden()
    expect(d.locator(".notice")).to_contain_text("pas le modifier")
    editor.click()
    d.keyboard.type("Dan était là")
    type_at_end(a, " Suite.")  # he still sees the others write
    expect(editor).to_have_text("Premier jet de l’article. Suite.")
    expect(a.locator(".save-state")).to_have_attribute("data-state", "saved")
    assert charter.text(key) == "Premier jet de l’article. Suite."
    assert "Dan" not in a.locator(".ql-editor").inner_text()

    for person in (awa, carla, dan):
        assert person.errors == [] and person.csp_violations() == []
        person.context.close()
