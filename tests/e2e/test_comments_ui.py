"""Discussions in the browser: a commenter comments on a selected passage; another browser
sees the comment, its highlight and its resolve without a reload; markup in a comment is
text; the passage is deleted and the thread says so, and takes it back when an undo or a
restored version brings the words back; a participant who leaves and returns
sees exactly the new comments; the charter-wide list filters and shows the moderation log;
the pages pass axe-core and fit a phone."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.workshop import PHONE, Person, join, new_charter, open_editor

TEXT = "Le café ☕ de la Ville ouvre ses données 😀 à tous, même aux élèves."
PASSAGE = "données 😀 à tous"
MARKUP = '<img src=x onerror="window.__pwned=1">Vraiment ?<b>gras</b>'
LIVE = 1000  # ms: a change reaches every viewer within a second

SELECT = """(passage) => {
  const root = document.querySelector('.ql-editor')
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(passage)
    if (at < 0) continue
    root.focus()
    const range = document.createRange()
    range.setStart(node, at)
    range.setEnd(node, at + passage.length)
    const selection = document.getSelection()
    selection.removeAllRanges()
    selection.addRange(range)
    return true
  }
  return false
}"""


def select(page: Page, passage: str) -> None:
    assert page.evaluate(SELECT, passage), f"{passage!r} is not in the editor"


def thread(page: Page, text: str):  # type: ignore[no-untyped-def]
    return page.locator(".thread").filter(has_text=text)


def done(*people: Person) -> None:
    for person in people:
        assert person.errors == [] and person.csp_violations() == []
        assert person.page.evaluate("window.__pwned") is None
        person.context.close()


def test_a_second_browser_sees_a_new_comment_and_a_resolve_without_reload(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    camille = join(browser, live_server, charter.invite("commenter"), "Camille")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    c = open_editor(camille, charter, key)
    e = open_editor(eli, charter, key)
    e.evaluate("window.__sameDocument = true")  # gone if the page reloads
    e.get_by_label("Montrer les fils résolus").check()
    expect(e.locator(".comments-panel .empty")).to_have_text(
        "Pas encore de commentaire sur cet article."
    )

    # Camille (read-only text) selects a passage and comments on it, with a stance.
    select(c, PASSAGE)
    c.locator(".comment-float").click()
    expect(c.get_by_label("Passage commenté")).to_have_value(PASSAGE)
    c.get_by_label("Votre commentaire").fill(MARKUP)
    c.get_by_label("Position (facultatif)").select_option("against")
    c.get_by_role("button", name="Publier", exact=True).click()
    mine = thread(c, "Vraiment ?")
    expect(mine.locator(".comment-text")).to_have_text(MARKUP)

    # Eli sees it at once: the text as typed, the quote, the passage highlighted.
    theirs = thread(e, "Vraiment ?")
    expect(theirs.locator(".comment-text")).to_have_text(MARKUP, timeout=LIVE)
    expect(theirs.locator("blockquote")).to_have_text(PASSAGE)
    expect(theirs.locator(".stance")).to_have_text("Contre")
    expect(e.locator(".comment-mark").first).to_be_attached()
    assert e.locator(".comments-panel img, .comments-panel b").count() == 0
    theirs.get_by_role("button", name="Voir le passage").click()
    assert e.evaluate("document.getSelection().toString()") == PASSAGE
    assert serious_violations(e) == []
    e.screenshot(path=str(artifacts / "comments-editor.png"), full_page=True)

    # Eli replies and resolves; Camille sees both without a reload.
    theirs.get_by_role("button", name="Répondre").click()
    e.get_by_label("Votre réponse").fill("Oui, même la nuit.")
    e.get_by_role("button", name="Publier la réponse").click()
    expect(mine.locator(".comment-text").nth(1)).to_have_text("Oui, même la nuit.", timeout=LIVE)
    c.get_by_label("Montrer les fils résolus").check()
    theirs.get_by_role("button", name="Marquer comme résolu").click()
    expect(mine).to_have_attribute("data-status", "resolved", timeout=LIVE)
    expect(mine.locator(".cmark-resolved")).to_have_text("Résolu")
    # Camille, the thread's author, may reopen it.
    mine.get_by_role("button", name="Rouvrir").click()
    expect(theirs).to_have_attribute("data-status", "open", timeout=LIVE)
    assert e.evaluate("window.__sameDocument") is True
    assert serious_violations(c) == []

    # Eli deletes the passage in the text: the thread stays, detached, with its quote.
    select(e, PASSAGE)
    e.keyboard.press("Delete")
    expect(mine).to_have_attribute("data-state", "detached", timeout=LIVE)
    expect(mine.locator(".cmark-detached")).to_have_text("Passage supprimé")
    expect(mine.locator("blockquote")).to_have_text(PASSAGE)
    expect(c.locator(".comment-mark")).to_have_count(0)
    done(camille, eli)


def test_a_passage_brought_back_by_undo_or_a_restore_takes_its_thread_back(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    camille = join(browser, live_server, charter.invite("commenter"), "Camille")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    c = open_editor(camille, charter, key)
    e = open_editor(eli, charter, key)
    select(c, PASSAGE)
    c.locator(".comment-float").click()
    c.get_by_label("Votre commentaire").fill("À préciser.")
    c.get_by_role("button", name="Publier", exact=True).click()
    mine, theirs = thread(c, "À préciser."), thread(e, "À préciser.")
    expect(theirs).to_have_attribute("data-state", "attached", timeout=LIVE)
    version = charter.api("POST", "/versions", {"label": "Avant la coupe"})

    # Eli removes the passage with Backspace, then undoes it with Ctrl+Z.
    select(e, PASSAGE)
    e.keyboard.press("Backspace")
    expect(mine).to_have_attribute("data-state", "detached", timeout=LIVE)
    e.keyboard.press("Control+z")
    expect(e.locator(".ql-editor")).to_contain_text(PASSAGE)
    for view in (mine, theirs):
        expect(view).to_have_attribute("data-state", "attached", timeout=LIVE)
    expect(c.locator(".comment-mark")).not_to_have_count(0)
    charter.wait_text(key, lambda t: PASSAGE in t)
    listed = charter.api("GET", f"/articles/{key}/threads")["threads"]
    assert [t["detached"] for t in listed] == [False]

    # Deleted again, then the article is restored to the version: the thread comes back.
    select(e, PASSAGE)
    e.keyboard.press("Delete")
    expect(mine).to_have_attribute("data-state", "detached", timeout=LIVE)
    charter.wait_text(key, lambda t: PASSAGE not in t)
    charter.api("POST", f"/articles/{key}/restore", {"version": version["id"]})
    for view in (mine, theirs):
        expect(view).to_have_attribute("data-state", "attached", timeout=LIVE)
    listed = charter.api("GET", f"/articles/{key}/threads")["threads"]
    assert [t["detached"] for t in listed] == [False]
    done(camille, eli)


def test_a_participant_who_returns_sees_exactly_the_new_comments(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    lea = join(browser, live_server, charter.invite("commenter"), "Léa")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    e = open_editor(eli, charter, key)
    # From the keyboard: select the line, Ctrl+Alt+M opens the form on that passage.
    e.locator(".ql-editor").click()
    e.keyboard.press("Control+Home")
    e.keyboard.press("Shift+End")
    e.keyboard.press("Control+Alt+m")
    expect(e.get_by_label("Passage commenté")).to_have_value(TEXT)
    expect(e.get_by_label("Votre commentaire")).to_be_focused()
    e.keyboard.press("Escape")
    expect(e.locator(".new-thread")).to_be_hidden()
    e.get_by_role("button", name="Commenter l’article entier").click()
    e.get_by_label("Votre commentaire").fill("Avant la visite de Léa")
    e.get_by_role("button", name="Publier", exact=True).click()
    expect(thread(e, "Avant la visite")).to_be_visible()

    page = open_editor(lea, charter, key)
    expect(thread(page, "Avant la visite").locator(".unread-mark")).to_have_text("nouveau")
    page.goto(f"/charters/{charter.slug}")  # she leaves (her visit is recorded)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")

    first = thread(e, "Avant la visite")
    first.get_by_role("button", name="Répondre").click()
    e.get_by_label("Votre réponse").fill("Réponse pendant l’absence")
    e.get_by_role("button", name="Publier la réponse").click()
    expect(first.locator(".comment")).to_have_count(2)
    # On the charter page, the article says so at once.
    marker = page.locator(f".article[data-key='{key}'] .article-discussion")
    expect(marker).to_contain_text("1 fil", timeout=LIVE)
    expect(marker.locator(".unread-mark")).to_have_text("1 nouveau commentaire")

    page = open_editor(lea, charter, key)
    expect(page.locator(".unread-summary")).to_have_text("1 nouveau commentaire")
    unread = page.locator(".comment.unread")
    expect(unread).to_have_count(1)
    expect(unread.locator(".comment-text")).to_have_text("Réponse pendant l’absence")
    done(lea, eli)


def test_the_charter_wide_list_filters_and_shows_the_moderation_log_on_a_phone(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(
        live_server,
        [("Transparence", [("Données ouvertes", TEXT), ("Budget", "Le budget est public.")])],
    )
    first, second = charter.article(0, 0)["id"], charter.article(0, 1)["id"]
    made = charter.api("POST", f"/articles/{first}/threads", {"body": "Sur les données"})
    charter.api("POST", f"/articles/{second}/threads", {"body": "Sur le budget", "stance": "for"})
    charter.api("POST", f"/comments/{made['comments'][0]['id']}/hide", {"reason": "Doublon"})
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", viewport=PHONE)
    f = fanny.page
    f.get_by_role("link", name="Discussions").click()
    expect(f.locator("h1")).to_have_text("Discussions")
    expect(f.locator(".discussion-item")).to_have_count(2)
    expect(f.locator(".moderation-log")).to_contain_text("masqué par Script")
    expect(f.locator(".moderation-log")).to_contain_text("Doublon")
    f.get_by_role("combobox", name="Article", exact=True).select_option(second)
    expect(f.locator(".discussion-item")).to_have_count(1)
    expect(f.locator(".discussion-item .comment-text")).to_have_text("Sur le budget")
    assert "article=" in f.url
    # Live: a new thread appears without a reload.
    charter.api("POST", f"/articles/{second}/threads", {"body": "Encore le budget"})
    expect(f.locator(".discussion-item")).to_have_count(2, timeout=LIVE)
    assert serious_violations(f) == []
    no_sideways_scroll(f)
    f.screenshot(path=str(artifacts / "comments-list-phone.png"), full_page=True)
    # The editor with its panel on a phone.
    f.locator(".discussion-item a").first.click()
    expect(f.locator(".comments-panel .thread")).to_have_count(2)
    expect(f.locator(".save-state")).to_have_attribute("data-state", "saved")
    assert serious_violations(f) == []
    no_sideways_scroll(f)
    done(fanny)
