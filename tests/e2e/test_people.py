"""People are shown as who they are: badges (citizen, elected official, organiser) beside
names on comments, replies, votes and amendment authors; a facilitator renames someone from
the participants panel and open pages follow without a reload; the panel finds, groups
and stays usable with sixty people, on a phone and with the keyboard."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Dialog, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.test_amendments_ui import amendment_path, open_amendment
from tests.e2e.workshop import PHONE, Person, join, new_charter, open_editor
from tests.support import make_token

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
    f.set_viewport_size(PHONE)
    assert serious_violations(f) == []
    no_sideways_scroll(f)

    # The charter-wide list of discussions.
    f.goto(f"/charters/{slug}/comments")
    expect(f.locator(".discussion-item .meta .badge")).to_have_text("Citoyen·ne")

    # The amendment: its author, its co-author and its voters.
    open_amendment(f, charter, number)
    expect(f.locator(".status-line .badge")).to_have_text(["Élu·e", "Citoyen·ne"])
    expect(f.locator(".voters .badge")).to_have_text("Citoyen·ne")
    assert serious_violations(f) == []
    no_sideways_scroll(f)
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
    person.get_by_label("Nouveau nom de Awa").press("Escape")  # giving up changes nothing
    expect(person.get_by_role("button", name="Renommer")).to_be_focused()
    f.keyboard.press("Enter")
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


def test_the_participants_panel_finds_and_groups_sixty_people_on_a_phone(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    """Sixty people: the panel groups them by role, a search box finds one by name (accents
    and case aside), blocking asks first, all with the keyboard, on a 360 px phone."""
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    roles = ["facilitator"] * 2 + ["editor"] * 29 + ["commenter"] * 20 + ["reader"] * 8
    for number, role in enumerate(roles, start=1):
        name = f"Personne {number:02d}"
        live_server.call(make_token(live_server.running, role, name, slug=charter.slug))
    live_server.call(make_token(live_server.running, "editor", "Zoé Martin", slug=charter.slug))
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", viewport=PHONE)
    f = fanny.page
    panel = f.locator(".participants")
    # 61 people and the script that made the charter; each role its group, in the order of
    # the rights they give.
    expect(panel.locator(".participant")).to_have_count(62)
    expect(panel.locator("h3")).to_have_text(
        [
            "Animateur·rice (4)",
            "Rédacteur·rice (30)",
            "Commentateur·rice (20)",
            "Lecteur·rice (8)",
        ]
    )
    expect(panel.locator(".participants-count")).to_have_text("62 personnes")

    # The keyboard only: to the search box, a name typed without its accent.
    search = panel.get_by_label("Chercher une personne par son nom")
    search.focus()
    f.keyboard.type("zoe")
    expect(panel.locator(".participant")).to_have_count(1)
    expect(panel.locator(".participant")).to_contain_text("Zoé Martin")
    expect(panel.locator("h3")).to_have_text(["Rédacteur·rice (1)"])
    expect(panel.locator(".participants-count")).to_have_text("1 personne sur 62")
    f.screenshot(path=str(artifacts / "participants-search-phone.png"), full_page=True)

    # Blocking asks first; "no" leaves her as she was. Tab: her role, Rename, Block.
    asked: list[str] = []

    def answer(dialog: Dialog, yes: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if yes else dialog.dismiss()

    for _ in range(3):
        f.keyboard.press("Tab")
    block = panel.get_by_role("button", name=re.compile("^Bloquer"))
    expect(block).to_be_focused()
    f.once("dialog", lambda d: answer(d, False))
    f.keyboard.press("Enter")
    expect(block).to_be_focused()
    assert asked == ["Bloquer Zoé Martin\u00a0? Cette personne ne pourra plus ni lire ni écrire."]
    people = charter.api("GET", "/participants")["participants"]
    assert not next(p for p in people if p["name"] == "Zoé Martin")["blocked"]
    f.once("dialog", lambda d: answer(d, True))
    f.keyboard.press("Enter")
    unblock = panel.get_by_role("button", name=re.compile("^Débloquer"))
    expect(unblock).to_be_focused()
    expect(panel.locator(".participant")).to_contain_text("bloqué·e")
    people = charter.api("GET", "/participants")["participants"]
    assert next(p for p in people if p["name"] == "Zoé Martin")["blocked"]

    # The search holds while the list follows who comes and goes.
    awa = join(browser, live_server, charter.invite("commenter"), "Awa")
    expect(panel.locator(".participants-count")).to_have_text("1 personne sur 63", timeout=10_000)
    expect(panel.locator(".participant")).to_have_count(1)
    expect(search).to_have_value("zoe")

    # Nobody by that name: the panel says so; emptied, the search shows everyone again.
    search.fill("xyz")
    expect(panel.locator(".participant")).to_have_count(0)
    expect(panel.locator(".participants-empty")).to_have_text(
        "Personne ne correspond à «\u00a0xyz\u00a0»."
    )
    search.fill("")
    expect(panel.locator(".participant")).to_have_count(63)
    assert serious_violations(f) == []
    no_sideways_scroll(f)

    # In English.
    f.goto(f"/lang/en?next=/charters/{charter.slug}")
    expect(panel.locator("h3")).to_have_text(
        ["Facilitator (4)", "Editor (30)", "Commenter (21)", "Reader (8)"]
    )
    panel.get_by_label("Find a person by name").fill("AWA")
    expect(panel.locator(".participant")).to_have_count(1)
    expect(panel.locator(".participants-count")).to_have_text("1 person of 63")
    done(fanny, awa)
