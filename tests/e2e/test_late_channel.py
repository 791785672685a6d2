"""A page loads what it shows over HTTP, then its live channel subscribes to the charter's
events. Whatever happens between the two (the facilitator puts an article on the projector,
adds one to the outline) must still reach the page: the late channel is held back here, in
the browser, until after the change, and the page must show it once the channel is ready.
The other way round, an answer older than an event must not undo what the event showed: a
projected article, a new comment or amendment, a ballot, a vote closed. Each answer is held
in the browser (answered by the server at once, handed to the page later)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import (
    APIResponse,
    Browser,
    Page,
    Request,
    Route,
    WebSocketRoute,
    expect,
)

from tests.e2e.live import LiveServer
from tests.e2e.test_heatmap import ANSWER, OPEN, comment_on
from tests.e2e.test_heatmap import TEXT as HEAT_TEXT
from tests.e2e.workshop import PHONE, Charter, Person, join, new_charter, open_editor


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
    charter, key, awa, wall = answer_held(browser, live_server, "/projector", "")
    expect(wall.page.locator(".projector-body .waiting")).to_be_visible()

    charter.api("PUT", "/projector", {"article": key})  # its event reaches the wall
    expect(wall.page.locator(".projector-title")).to_have_text("Rendre compte")
    wall.arrive()
    assert wall.page.locator(".projector-body .waiting").count() == 0
    assert wall.page.locator(".projector-title").inner_text() == "Rendre compte"
    awa.context.close()


def test_an_older_list_of_discussions_does_not_hide_a_new_comment(
    browser: Browser, live_server: LiveServer
) -> None:
    """The same on the discussions page, with a comment posted in between."""
    charter, key, awa, held = answer_held(browser, live_server, "/comments", "/threads")

    charter.api("POST", f"/articles/{key}/threads", {"body": "Publions les comptes."})
    until(held.page, lambda: held.requests >= 3)  # the comment's event: the page asks again
    comment = held.page.get_by_text("Publions les comptes.")
    expect(comment).to_be_visible()
    held.arrive()
    assert comment.is_visible()
    awa.context.close()


def test_an_older_discussion_of_an_article_does_not_hide_a_new_thread(
    browser: Browser, live_server: LiveServer
) -> None:
    """The same in the editor's discussion panel, with a thread started in between."""
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    held = open_held(awa, charter, f"/articles/{key}", f"/articles/{key}/threads")

    charter.api("POST", f"/articles/{key}/threads", {"body": "Publions les comptes."})
    thread = held.page.locator(".thread").filter(has_text="Publions les comptes.")
    expect(thread).to_be_visible()
    held.arrive()
    assert thread.is_visible()
    awa.context.close()


def test_an_older_count_of_discussions_on_the_charter_page_does_not_hide_a_new_one(
    browser: Browser, live_server: LiveServer
) -> None:
    """The charter page's count of discussions under each article, with a thread started
    while it was asked for."""
    charter, key, awa, held = answer_held(browser, live_server, "", "/threads")

    charter.api("POST", f"/articles/{key}/threads", {"body": "Publions les comptes."})
    count = held.page.locator(f".article[data-key='{key}'] .article-discussion")
    expect(count).to_contain_text("1 fil")
    held.arrive()
    assert count.is_visible() and "1 fil" in count.inner_text()
    awa.context.close()


def test_an_older_list_of_amendments_does_not_hide_a_new_one(
    browser: Browser, live_server: LiveServer
) -> None:
    """The same on the amendments page, with an amendment proposed in between."""
    charter, key, awa, held = answer_held(browser, live_server, "/amendments", "/amendments")

    body = {"title": "Chaque mois", "rationale": "Plus souvent.", "open": True}
    charter.api("POST", f"/articles/{key}/amendments", body)
    until(held.page, lambda: held.requests >= 3)  # the amendment's event: the page asks again
    title = held.page.get_by_role("link", name="Chaque mois")
    expect(title).to_be_visible()
    held.arrive()
    assert title.is_visible()
    awa.context.close()


def test_an_older_count_of_amendments_in_the_editor_does_not_hide_a_new_one(
    browser: Browser, live_server: LiveServer
) -> None:
    """The editor's "amendments of this article" link, with an amendment proposed while its
    count was asked for."""
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    key = charter.article(0, 0)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    held = open_held(awa, charter, f"/articles/{key}", f"/amendments?article={key}")

    body = {"title": "Chaque mois", "rationale": "Plus souvent.", "open": True}
    charter.api("POST", f"/articles/{key}/amendments", body)
    count = held.page.locator(".amend-row a")
    expect(count).to_have_text("1 amendement sur cet article (1 ouvert)")
    held.arrive()
    assert count.inner_text() == "1 amendement sur cet article (1 ouvert)"
    awa.context.close()


def test_an_older_list_of_sub_groups_does_not_hide_a_new_one(
    browser: Browser, live_server: LiveServer
) -> None:
    """The sub-groups of an article, on its amendments page, with a group made in between."""
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    held = open_held(fanny, charter, f"/amendments?article={key}", f"/articles/{key}/subgroups")

    body = {"name": "Vélo", "colour": "blue", "members": []}
    charter.api("POST", f"/articles/{key}/subgroups", body)
    group = held.page.locator(".group-item").filter(has_text="Vélo")
    expect(group).to_be_visible()
    held.arrive()
    assert group.is_visible()
    fanny.context.close()


def test_an_older_answer_does_not_hide_the_bundles_of_two_amendments(
    browser: Browser, live_server: LiveServer
) -> None:
    """The bundles panel shows from two open amendments; the second is proposed while the
    panel's list is asked for."""
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    key = charter.article(0, 0)["id"]
    body = {"title": "Chaque mois", "rationale": "Plus souvent.", "open": True}
    charter.api("POST", f"/articles/{key}/amendments", body)
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    held = open_held(fanny, charter, f"/amendments?article={key}", f"/articles/{key}/bundles")

    body = {"title": "Chaque semaine", "rationale": "Encore plus.", "open": True}
    charter.api("POST", f"/articles/{key}/amendments", body)
    choice = held.page.locator(".bundle-panel .bundle-choice")
    expect(choice).to_contain_text("Chaque semaine")
    held.arrive()
    assert choice.is_visible() and "Chaque semaine" in choice.inner_text()
    fanny.context.close()


def test_an_older_answer_does_not_reopen_a_rejected_amendment(
    browser: Browser, live_server: LiveServer
) -> None:
    """The amendment's page: a load answered before the facilitator rejects it arrives after
    the load that shows it rejected."""
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    key = charter.article(0, 0)["id"]
    body = {"title": "Chaque mois", "rationale": "Plus souvent.", "open": True}
    number = charter.api("POST", f"/articles/{key}/amendments", body)["id"]
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    held = open_held(awa, charter, f"/amendments/{number}", f"/amendments/{number}")

    charter.api("POST", f"/amendments/{number}/reject", {"reason": "Hors sujet."})
    status = held.page.locator(".status-line")
    expect(status).to_contain_text("Rejeté")
    held.arrive()
    assert "Rejeté" in status.inner_text()
    awa.context.close()


def test_the_heatmap_on_the_projector_keeps_the_latest_of_its_loads(
    browser: Browser, live_server: LiveServer
) -> None:
    """Two stances in quick succession: the projector's load for the first is answered at
    once but arrives after its load for the second; the wall must keep both."""
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", HEAT_TEXT)])])
    key = charter.article(0, 0)["id"]
    view = {"mode": "live", "heatmap": "all"}
    charter.api("PUT", "/projector", {"article": key, "view": view})
    awa = join(browser, live_server, charter.invite("commenter"), "Awa", badge="citizen")
    page = open_editor(awa, charter, key)
    held = open_held(awa, charter, "/projector", f"/articles/{key}/stances", kept=False)
    items = held.page.locator(".projector-heat-list li")
    expect(held.page.locator(".projector-heat")).to_contain_text("Carte des avis")

    comment_on(page, OPEN, "Pas pour tout.", "against")
    until(held.page, lambda: bool(held.kept))
    comment_on(page, ANSWER, "Trop lent.", "against")
    expect(items).to_have_count(2)
    held.arrive()
    assert items.count() == 2
    awa.context.close()


def test_the_vote_on_the_projector_keeps_a_ballot_its_first_answer_missed(
    browser: Browser, live_server: LiveServer
) -> None:
    """The projector shows a vote: its first load is answered before a ballot comes in and
    reaches it after that ballot's event; the count must stay at one."""
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    subject = {"kind": "article", "article": charter.article(0, 0)["id"]}
    vote = charter.api("POST", "/votes", {"subject": subject, "duration_seconds": 600})
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    held = open_held(awa, charter, "/projector", f"/votes/{vote['id']}", which=1, kept=False)
    expect(held.page.locator(".projector-body .waiting")).to_be_visible()
    charter.api(
        "PUT", "/projector", {"article": None, "view": {"mode": "vote", "vote": vote["id"]}}
    )
    until(held.page, lambda: bool(held.kept))

    charter.api("PUT", f"/votes/{vote['id']}/ballot", {"choice": "agree"})
    agree = held.page.locator(".vote-screen .vote-count[data-choice='agree'] .vote-number")
    expect(agree).to_have_text("1")
    held.arrive()
    assert agree.inner_text() == "1"
    awa.context.close()


def test_a_phone_does_not_reopen_a_vote_closed_while_it_was_loading(
    browser: Browser, live_server: LiveServer
) -> None:
    """A phone's vote panel loads the charter's votes twice as it opens (its role known,
    its channel ready); one answer, from before the facilitator closes the vote, arrives
    after the event that closes it: the panel must not offer the choices again."""
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    subject = {"kind": "article", "article": charter.article(0, 0)["id"]}
    vote = charter.api("POST", "/votes", {"subject": subject, "duration_seconds": 600})
    awa = join(browser, live_server, charter.invite("editor"), "Awa", viewport=PHONE)
    held = open_held(awa, charter, "", "/votes")
    panel = held.page.locator(".vote-panel")
    expect(panel.locator(".vote-choice").first).to_be_visible()

    charter.api("POST", f"/votes/{vote['id']}/close", {})
    expect(panel).to_have_class(re.compile(r"\bclosed\b"))
    held.arrive()
    assert "closed" in (panel.get_attribute("class") or "").split()
    assert panel.locator(".vote-choice").count() == 0
    awa.context.close()


@dataclass
class HeldAnswer:
    """A page whose second request to one address (its load once the channel is ready), or
    ``which`` one, is answered at once, but whose answer reaches the page only on
    ``arrive()``."""

    page: Page
    which: int = 2  # which request's answer is held
    requests: int = 0
    kept: list[tuple[Route, APIResponse]] = field(default_factory=list)
    in_flight: set[Request] = field(default_factory=set)  # every request of the page

    def __post_init__(self) -> None:
        self.page.on("request", lambda r: self.in_flight.add(r))
        self.page.on("requestfinished", lambda r: self.in_flight.discard(r))
        self.page.on("requestfailed", lambda r: self.in_flight.discard(r))

    def route(self, route: Route) -> None:
        self.requests += 1
        if self.requests == self.which:
            self.kept.append((route, route.fetch()))
        else:
            route.continue_()

    def arrive(self) -> None:
        route, answer = self.kept.pop()
        route.fulfill(response=answer)
        # Nothing changes when the page ignores it: let it handle the answer, and what it
        # asks for next to show it (nothing left in flight), before looking.
        until(self.page, lambda: route.request not in self.in_flight)
        for _ in range(2):
            until(self.page, lambda: not self.in_flight)
            self.page.evaluate(
                "() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100)))"
            )


def answer_held(
    browser: Browser, live_server: LiveServer, path: str, api: str
) -> tuple[Charter, str, Person, HeldAnswer]:
    """A charter of one article, Awa on its page ``path`` with the second answer of ``api``
    held: returns the charter, the article's key, Awa and the held answer."""
    charter = new_charter(live_server, [("Transparence", [("Rendre compte", "Un texte.")])])
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    return charter, charter.article(0, 0)["id"], awa, open_held(awa, charter, path, api)


def open_held(
    person: Person, charter: Charter, path: str, api: str, *, which: int = 2, kept: bool = True
) -> HeldAnswer:
    """``person`` opens the charter's page ``path`` in a new tab, the ``which``-th answer to
    the charter's ``api`` held; returns once it is held, unless ``kept`` is false."""
    held = HeldAnswer(person.context.new_page(), which=which)
    address = f"/api/charters/{charter.slug}{api}"
    held.page.route(lambda url: url.endswith(address), held.route)
    held.page.goto(f"/charters/{charter.slug}{path}")
    if kept:
        until(held.page, lambda: bool(held.kept))
    return held


def until(page: Page, condition: Callable[[], bool], timeout: float = 10) -> None:
    """Let the page's events (routes included) run until ``condition`` holds."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page never got there")
