"""The keyboard path to the text is short: a "skip to the text" link comes first, the
formatting bar is out of the Tab order (Alt+F10 reaches it from the text, the arrows move
along it, Escape comes back), and Tab from the top reaches the text in a few presses."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import join, new_charter, open_editor


def focused(page: Page) -> str:
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.classList.contains('ql-editor') ? 'text' : (e.textContent || '').trim() }"
        )
    )


def test_the_text_is_one_tab_away_and_the_toolbar_has_its_shortcut(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Budget", "Le budget engagé.")])])
    key = charter.article(0, 0)["id"]
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    page = open_editor(eli, charter, key)
    page.reload()
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")

    page.keyboard.press("Tab")
    assert focused(page) == "Aller au texte"
    page.keyboard.press("Enter")
    assert focused(page) == "text"

    # Without the link: Tab after Tab from the top of the page.
    page.reload()
    expect(page.locator(".save-state")).to_have_attribute("data-state", "saved")
    presses = 0
    while focused(page) != "text":
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 30, "the text is not reachable with Tab"
    assert presses <= 14, f"{presses} Tab presses to reach the text (was 21)"

    # The formatting bar: out of the Tab order, reached by Alt+F10, arrows, Escape.
    tools = page.locator(".toolbar button.tool")
    assert all(t == "-1" for t in tools.evaluate_all("l => l.map(b => b.getAttribute('tabindex'))"))
    page.keyboard.press("Alt+F10")
    assert focused(page).startswith("B") and "Gras" in focused(page)
    page.keyboard.press("ArrowRight")
    assert "Italique" in focused(page)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")  # bold on, at the caret
    page.keyboard.press("Escape")
    assert focused(page) == "text"
    expect(page.locator("#editor-help")).to_contain_text("Alt+F10")
    eli.context.close()
