"""A page loads what it shows over HTTP, then its live channel subscribes to the charter's
events. Whatever happens between the two (the facilitator puts an article on the projector,
adds one to the outline) must still reach the page: the late channel is held back here, in
the browser, until after the change, and the page must show it once the channel is ready.
The other way round, an answer older than an event must not undo what the event showed."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import APIResponse, Browser, Page, Route, WebSocketRoute, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import Person, join, new_charter


def hold_channel(page: Page) -> Callable[[], None]:
    """Hold everything the page sends on /collab (its authentication first) until the
    returned function is called; the server's side is untouched."""
    held: list[str | bytes] = []
    routes: list[WebSocketRoute] = []
    released = False

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        routes.append(ws)

        def from_page(message: str | bytes) -> None:
            if released:
                server.send(message)
            else:
                held.append(message)

        ws.on_message(from_page)
        routes.append(server)

    page.route_web_socket("**/collab", route)

    def release() -> None:
        nonlocal released
        released = True
        assert len(routes) == 2, "the page did not open its live connection"
        for message in held:
            routes[1].send(message)
        held.clear()

    return release


def late_page(person: Person, path: str, loaded: str) -> tuple[Page, Callable[[], None]]:
    page = person.context.new_page()
    release = hold_channel(page)
    page.goto(path)
    expect(page.locator(loaded).first).to_be_visible()  # the page's first load is done
    return page, release


def test_the_projector_shows_what_was_projected_before_its_channel_was_ready(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    wall, release = late_page(
        awa, f"/charters/{charter.slug}/projector", ".projector-body .waiting"
    )

    charter.api("PUT", "/projector", {"article": key})  # sent before the wall listens
    release()
    expect(wall.locator(".projector-title")).to_have_text("Rendre compte")
    expect(wall.locator(".projector-body")).to_contain_text("Un texte.")
    awa.context.close()


def test_the_charter_page_shows_an_article_added_before_its_channel_was_ready(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    page, release = late_page(awa, f"/charters/{charter.slug}", "text=Rendre compte")

    section = charter.refresh()["sections"][0]["id"]
    charter.api("POST", f"/sections/{section}/articles", {"title": "Publier les données"})
    release()
    expect(page.get_by_text("Publier les données", exact=True)).to_be_visible()
    awa.context.close()


def test_an_answer_older_than_an_event_does_not_undo_it(
    browser: Browser, live_server: LiveServer
) -> None:
    """The page's second load (once its channel is ready) is answered before the facilitator
    projects an article but reaches the page after the event that says so: the page must
    not go back to "waiting" on that older answer."""
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    wall = awa.context.new_page()
    answers: list[int] = []
    held: list[tuple[Route, APIResponse]] = []

    def route(route: Route) -> None:
        answers.append(len(answers) + 1)
        if len(answers) == 2:  # the load once the channel is ready: answered now, kept
            held.append((route, route.fetch()))
        else:
            route.continue_()

    wall.route(f"**/api/charters/{charter.slug}", route)
    wall.goto(f"/charters/{charter.slug}/projector")
    expect(wall.locator(".projector-body .waiting")).to_be_visible()
    until(wall, lambda: bool(held))

    charter.api("PUT", "/projector", {"article": key})  # its event reaches the wall
    expect(wall.locator(".projector-title")).to_have_text("Rendre compte")
    stale, answer = held.pop()
    stale.fulfill(response=answer)  # the older answer arrives after the event
    until(wall, lambda: len(answers) >= 3 or wall.locator(".projector-body .waiting").count() > 0)
    expect(wall.locator(".projector-body .waiting")).to_have_count(0)
    expect(wall.locator(".projector-title")).to_have_text("Rendre compte")
    awa.context.close()


def until(page: Page, condition: Callable[[], bool], timeout: float = 10) -> None:
    """Let the page's events (routes included) run until ``condition`` holds."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page never got there")
