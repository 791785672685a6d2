"""The projector follows the writing: on a long article, what people type at the end comes
into view, and a mark says that the article goes on above or below the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import join, new_charter, open_editor, type_at_end

LONG = "\n\n".join(
    f"Paragraphe {n} : la Ville rend compte de ses engagements devant les habitants."
    for n in range(1, 31)
)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["720p", "1080p"])
def test_the_projector_keeps_the_typing_in_view(
    browser: Browser, live_server: LiveServer, size: tuple[int, int]
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", LONG)])])
    key = charter.article(0, 0)["id"]
    charter.api("PUT", "/projector", {"article": key})
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    wall = awa.context.new_page()
    wall.set_viewport_size({"width": size[0], "height": size[1]})
    wall.goto(f"/charters/{charter.slug}/projector")
    expect(wall.locator(".projector-title")).to_have_text("Rendre compte")
    expect(wall.get_by_text("Paragraphe 1 :")).to_be_in_viewport()
    expect(wall.locator(".projector-more.below")).to_be_visible()
    expect(wall.locator(".projector-more.above")).to_be_hidden()

    page = open_editor(awa, charter, key)
    type_at_end(page, " Dernière phrase tapée en atelier.")
    expect(wall.get_by_text("Dernière phrase tapée en atelier.")).to_be_in_viewport()
    expect(wall.locator(".projector-more.above")).to_be_visible()
    expect(wall.locator(".projector-more.below")).to_be_hidden()
    awa.context.close()
