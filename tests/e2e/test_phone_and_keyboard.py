"""An article on a 360x740 phone with twenty people in it, and by the keyboard alone: the
text comes first, a tap on its first line lands in it, commenting is within a thumb's
reach, and the text is a few Tab presses away."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.workshop import PHONE, Charter, join, new_charter, open_editor
from tests.support import make_token
from tests.wire_client import Wire, presence

TEXT = (
    "Chaque habitant peut consulter les données de la ville.\n\n"
    "Les réunions publiques sont annoncées deux semaines à l’avance.\n\n"
    "Les comptes rendus sont publiés dans le mois."
)


async def _present(charter: Charter, document: str, names: list[str]) -> list[Wire]:
    """People in the article, each on a socket of their own, saying where they are."""
    running = charter.live.running
    wires = []
    for number, name in enumerate(names, start=1):
        token = await make_token(running, "editor", name, slug=charter.slug)
        wire = await Wire.open(running.ws_url, "yws", document, token)
        await wire.admitted(token)
        await wire.send(presence(900_000 + number, {"user": {"name": name}}))
        wires.append(wire)
    return wires


async def _leave(wires: list[Wire]) -> None:
    for wire in wires:
        await wire.close()


def _first_line_box(page: Page) -> dict[str, float]:
    box = page.locator("#editor .ql-editor > *").first.bounding_box()
    assert box is not None
    return box


def _lands_in_text(page: Page, x: float, y: float) -> bool:
    return bool(
        page.evaluate(
            "([x, y]) => Boolean(document.elementFromPoint(x, y)?.closest('.ql-editor'))", [x, y]
        )
    )


def test_on_a_phone_with_twenty_people_the_text_comes_first(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    article = charter.article(0, 0)
    names = [f"Personne {number:02d}" for number in range(1, 20)]
    wires = live_server.call(_present(charter, article["document"], names))
    try:
        awa = join(browser, live_server, charter.invite("editor"), "Awa", viewport=PHONE)
        page = open_editor(awa, charter, article["id"])
        # Nineteen others: a count, which opens on the names.
        here = page.locator(".here")
        expect(here).to_contain_text("19")
        summary = here.locator("summary")
        expect(summary).to_be_visible()
        expect(here.get_by_text("Personne 07")).to_be_hidden()

        # The first line is on the first screen, and a tap on it lands in the text.
        box = _first_line_box(page)
        assert box["y"] + box["height"] <= PHONE["height"], f"the text starts at {box['y']}px"
        x, y = box["x"] + 20, box["y"] + box["height"] / 2
        assert _lands_in_text(page, x, y)
        page.mouse.click(x, y)
        expect(page.locator("#editor .ql-editor")).to_be_focused()
        page.screenshot(path=str(artifacts / "phone-article-first-screen.png"))

        # Typing lower down: the sticky toolbar never covers the line with the caret.
        page.keyboard.press("Control+End")
        for _ in range(12):
            page.keyboard.press("Enter")
        page.keyboard.type("Une ligne de plus")
        caret = page.evaluate(
            "() => { const r = getSelection().getRangeAt(0).getBoundingClientRect();"
            " return [r.left + 1, r.top + r.height / 2] }"
        )
        toolbar = page.locator(".toolbar").bounding_box()
        assert toolbar is not None
        assert caret[1] > toolbar["y"] + toolbar["height"], "the toolbar covers the caret"

        # A passage selected: commenting it is on the screen, within a thumb's reach.
        page.keyboard.press("Control+Home")
        page.keyboard.press("Shift+End")
        comment = page.locator(".comment-float")
        expect(comment).to_have_text("Commenter la sélection")
        expect(comment).to_be_in_viewport()
        button = comment.bounding_box()
        assert button is not None and button["y"] >= PHONE["height"] / 2, button

        summary.click()
        expect(here.get_by_text("Personne 07")).to_be_visible()
        no_sideways_scroll(page)
        assert serious_violations(page) == []
        page.screenshot(path=str(artifacts / "phone-article-people.png"))
        awa.context.close()
    finally:
        live_server.call(_leave(wires))
