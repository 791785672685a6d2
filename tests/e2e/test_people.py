"""People are shown as who they are: badges (citizen, elected official, organiser) beside
names on comments, replies, votes and amendment authors; a facilitator renames someone from
the participants panel and open pages follow without a reload; the panel finds, groups
and stays usable with sixty people, on a phone and with the keyboard."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_amendments_ui import amendment_path, open_amendment
from tests.e2e.workshop import Person, join, new_charter, open_editor

TEXT = "Les données publiques sont ouvertes."

CALL = """async ([method, path, body]) => {
  const init = {method, headers: {accept: 'application/json'}}
  if (body !== null) {
    init.headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  const response = await fetch(path, init)
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`)
  return response.json()
}"""


def call(person: Person, slug: str, method: str, path: str, body: Any = None) -> Any:
    """The JSON API as this person, with their browser's own cookie."""
    return person.page.evaluate(CALL, [method, f"/api/charters/{slug}{path}", body])


def done(*people: Person) -> None:
    for person in people:
        assert person.errors == [] and person.csp_violations() == []
        person.context.close()


def test_badges_show_beside_names_on_comments_votes_and_amendments(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key, slug = charter.article(0, 0)["id"], charter.slug
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", badge="organiser")
    awa = join(browser, live_server, charter.invite("commenter"), "Awa", badge="citizen")
    elu = join(browser, live_server, charter.invite("editor"), "Élie", badge="elected")
    awa_id = call(awa, slug, "GET", "/me")["participant_id"]

    # Awa comments, Élie replies; Élie proposes an amendment with Awa as co-author; Awa
    # supports it.
    thread = call(awa, slug, "POST", f"/articles/{key}/threads", {"body": "Et les archives ?"})
    call(elu, slug, "POST", f"/threads/{thread['id']}/comments", {"body": "Aussi, oui."})
    number = call(
        elu,
        slug,
        "POST",
        f"/articles/{key}/amendments",
        {"title": "Les archives aussi", "rationale": "Pour tout le monde.", "open": True},
    )["id"]
    call(elu, slug, "POST", f"/amendments/{number}/authors", {"participant_id": awa_id})
    call(awa, slug, "PUT", f"/amendments/{number}/vote", {"choice": "for"})

    # The article's discussion: the comment and the reply say who wrote them.
    f = open_editor(fanny, charter, key)
    comments = f.locator(".comments-panel .comment")
    expect(comments).to_have_count(2)
    expect(comments.nth(0).locator(".comment-meta .badge")).to_have_text("Citoyen·ne")
    expect(comments.nth(1).locator(".comment-meta .badge")).to_have_text("Élu·e")

    # The charter-wide list of discussions.
    f.goto(f"/charters/{slug}/comments")
    expect(f.locator(".discussion-item .meta .badge")).to_have_text("Citoyen·ne")

    # The amendment: its author, its co-author and its voters.
    open_amendment(f, charter, number)
    expect(f.locator(".status-line .badge")).to_have_text(["Élu·e", "Citoyen·ne"])
    expect(f.locator(".voters .badge")).to_have_text("Citoyen·ne")
    assert f.url.endswith(amendment_path(charter, number))

    # The list of amendments.
    f.goto(f"/charters/{slug}/amendments")
    expect(f.locator(".amendment-item .meta .badge")).to_have_text(["Élu·e", "Citoyen·ne"])

    # In English too.
    f.goto(f"/lang/en?next=/charters/{slug}/comments")
    expect(f.locator(".discussion-item .meta .badge")).to_have_text("Citizen")
    done(fanny, awa, elu)


def test_a_rename_reaches_open_pages_without_a_reload(
    browser: Browser, live_server: LiveServer
) -> None:
    """The facilitator corrects a name from the participants panel: the person's comments,
    their presence on the others' pages and their own page say the new name at once."""
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key, slug = charter.article(0, 0)["id"], charter.slug
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    awa = join(browser, live_server, charter.invite("commenter"), "Awa", badge="citizen")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    call(awa, slug, "POST", f"/articles/{key}/threads", {"body": "Et les archives ?"})
    e = open_editor(eli, charter, key)
    expect(e.locator(".comments-panel .comment-author")).to_have_text("Awa")
    board = eli.context.new_page()
    board.goto(f"/charters/{slug}")
    expect(board.locator(".people-list .person-name")).to_have_text(["Eli", "Awa", "Fanny"])
    a, f = awa.page, fanny.page
    expect(a.locator(".role-note")).to_contain_text("Awa")
    for page in (e, board, a):
        page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    person = f.locator(".participant", has_text="Awa")
    person.get_by_role("button", name="Renommer").click()
    name = person.get_by_label("Nouveau nom de Awa")
    expect(name).to_be_focused()
    expect(name).to_have_value("Awa")
    name.fill("Awa Diallo")
    name.press("Enter")
    renamed = f.locator(".participant", has_text="Awa Diallo")
    expect(renamed.get_by_role("button", name="Renommer")).to_be_focused()

    # Pages already open follow: the comment, the presence of the others and her own.
    expect(e.locator(".comments-panel .comment-author")).to_have_text("Awa Diallo")
    expect(board.locator(".people-list .person-name")).to_have_text(["Eli", "Awa Diallo", "Fanny"])
    expect(a.locator(".people-list .person-name")).to_have_text(["Awa Diallo", "Eli", "Fanny"])
    expect(a.locator(".role-note")).to_contain_text("Awa Diallo")
    expect(f.locator(".people-list .person-name")).to_have_text(["Fanny", "Awa Diallo", "Eli"])
    for page in (e, board, a):
        assert page.evaluate("window.__sameDocument") is True
    done(fanny, awa, eli)
