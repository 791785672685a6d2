"""Amendments in the browser: proposed from the editor, written in the fork, supported,
accepted by a facilitator in another browser; an open editor receives the accepted change
without a reload; the "amendments only" phase locks editors' editors live; the two pages
pass axe-core and fit a phone; a title made of markup stays text; co-authors chosen by
name; the amendment's discussion (comment threads on the fork's text) reaches a second
browser without a reload, and stays readable once the amendment is withdrawn."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import AXE, no_sideways_scroll, serious_violations
from tests.e2e.test_comments_ui import LIVE, select
from tests.e2e.workshop import (
    PHONE,
    SYNCED,
    Charter,
    Person,
    join,
    new_charter,
    open_editor,
    type_at_end,
)

TEXT = "Les données publiques sont ouvertes."
FORK = ".fork .save-state"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']})
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))
}"""


def amendment_path(charter: Charter, number: int) -> str:
    return f"/charters/{charter.slug}/amendments/{number}"


def propose(charter: Charter, key: str, title: str, rationale: str = "Parce que.") -> int:
    body = {"title": title, "rationale": rationale, "open": True}
    return int(charter.api("POST", f"/articles/{key}/amendments", body)["id"])


def open_amendment(page: Page, charter: Charter, number: int) -> Page:
    """Open an amendment and wait until its text has arrived in the fork's editor."""
    page.goto(amendment_path(charter, number))
    expect(page.locator(FORK)).to_have_attribute("data-state", SYNCED)
    return page


def violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text("utf-8"))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return found


def done(*people: Person) -> None:
    for person in people:
        assert person.errors == [] and person.csp_violations() == []
        person.context.close()


def test_an_open_editor_sees_the_accepted_change_without_reload(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    e = open_editor(eli, charter, key)
    e.evaluate("window.__sameDocument = true")  # gone if the page reloads

    number = propose(charter, key, "Par défaut")
    # The editor's amendments line follows the charter's events.
    expect(e.locator(".article-amendments a")).to_have_text(
        "1 amendement sur cet article (1 ouvert)"
    )
    f = open_amendment(fanny.page, charter, number)
    type_at_end(f, " Par défaut.")
    expect(f.locator(FORK)).to_have_attribute("data-state", "saved")
    expect(f.locator(".diff ins").first).to_contain_text("Par défaut.")
    # Meanwhile the live article changes elsewhere: both changes must land.
    type_at_end(e, " Sans délai.")
    expect(e.locator(".save-state")).to_have_attribute("data-state", "saved")

    # Both added a sentence at the end: the facilitator keeps both.
    charter.api("POST", f"/amendments/{number}/accept", {"resolutions": [{"choose": "both"}]})
    expect(e.locator(".ql-editor")).to_contain_text("Par défaut.")
    expect(e.locator(".ql-editor")).to_contain_text("Sans délai.")
    assert e.evaluate("window.__sameDocument") is True
    text = charter.wait_text(key, lambda t: "Par défaut." in t and "Sans délai." in t)
    assert text.startswith(TEXT)
    done(fanny, eli)


def test_propose_write_vote_and_accept_across_browsers(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    cora = join(browser, live_server, charter.invite("commenter"), "Cora")

    # Eli proposes from the article's editor; the form asks for what is missing.
    e = open_editor(eli, charter, key)
    e.get_by_role("button", name="Proposer un amendement").first.click()
    dialog = e.get_by_role("dialog")
    expect(dialog).to_be_visible()
    title = dialog.get_by_label("Titre de l’amendement")
    expect(title).to_be_focused()
    dialog.get_by_role("button", name="Créer l’amendement").click()
    expect(dialog.get_by_role("alert")).to_have_text("Un titre est nécessaire.")
    expect(title).to_have_attribute("aria-invalid", "true")
    title.fill("Publier sous licence ouverte")
    dialog.get_by_label("Exposé des motifs").fill("Pour que chacun puisse réutiliser les données.")
    dialog.get_by_role("button", name="Créer l’amendement").click()
    e.wait_for_url(re.compile(r".*/amendments/\d+$"))
    url = e.url
    expect(e.locator("h1")).to_have_text("Publier sous licence ouverte")
    expect(e.locator(".status-line .status")).to_have_text("Ouvert aux soutiens")
    expect(e.locator(".rationale")).to_have_text("Pour que chacun puisse réutiliser les données.")

    # Eli writes the amendment in the same editor; the review follows.
    expect(e.locator(FORK)).to_have_attribute("data-state", "saved")
    type_at_end(e, " Sous licence ouverte.")
    expect(e.locator(FORK)).to_have_attribute("data-state", "saved")
    expect(e.locator(".diff ins").first).to_contain_text("Sous licence ouverte.")
    assert "Sous licence" not in charter.text(key)  # the article itself has not changed

    # Cora (a commenter) reads it but may not write it; she votes, then changes her mind.
    c = open_amendment(cora.page, charter, int(url.rsplit("/", 1)[1]))
    expect(c.locator(FORK)).to_have_attribute("data-state", "reading")
    expect(c.locator(".ql-editor")).to_have_attribute("contenteditable", "false")
    c.get_by_role("button", name="Pour", exact=True).click()
    expect(c.get_by_role("button", name="Pour", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(e.locator(".vote-counts")).to_have_text("1 pour · 0 contre · 0 abstention")
    c.get_by_role("button", name="Contre", exact=True).click()
    expect(c.locator(".my-vote")).to_contain_text("Votre vote\u00a0: Contre")
    expect(c.get_by_role("button", name="Pour", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(e.locator(".vote-counts")).to_have_text("0 pour · 1 contre · 0 abstention")
    expect(e.locator(".voters")).to_contain_text("Cora")
    e.screenshot(path=str(artifacts / "amendment-author.png"), full_page=True)

    # Fanny accepts it in her own browser, with a reason, through the dialog.
    f = fanny.page
    f.goto(url)
    f.get_by_role("button", name="Accepter").click()
    dialog = f.get_by_role("dialog")
    dialog.get_by_label("Motif (facultatif)").fill("Consensus en atelier.")
    dialog.get_by_role("button", name="Accepter").click()
    expect(dialog).to_be_hidden()
    expect(f.locator(".status-line .status")).to_have_text("Accepté")
    # Everyone's page follows: closed for writing and for votes, with its history.
    expect(e.locator(".status-line .status")).to_have_text("Accepté")
    expect(e.locator(".ql-editor")).to_have_attribute("contenteditable", "false")
    expect(e.locator(".history")).to_contain_text("Consensus en atelier.")
    expect(e.locator("main")).to_contain_text("Ce changement est entré dans l’article.")
    expect(e.locator(".history")).to_contain_text("Fanny")
    expect(c.locator(".votes [role=group]")).to_be_hidden()
    expect(c.locator(".votes")).to_contain_text("Les votes sont clos.")
    text = charter.wait_text(key, lambda t: "Sous licence ouverte." in t)
    assert text.startswith(TEXT) and text.count("Sous licence ouverte.") == 1

    # The list shows it with its status and support, and filters by status.
    c.goto(f"/charters/{charter.slug}/amendments")
    item = c.locator(".amendment-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Accepté")
    expect(item).to_contain_text("0 pour · 1 contre")
    expect(item).to_contain_text("Eli")
    c.get_by_label("État").select_option("open")
    expect(c.locator(".amendment-item")).to_have_count(0)
    expect(c.locator(".amend-count")).to_have_text("0 amendement")
    assert "status=open" in c.url
    done(fanny, eli, cora)


def test_the_amendments_phase_locks_an_open_editor_live(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    e = open_editor(eli, charter, key)
    e.evaluate("window.__sameDocument = true")
    expect(e.locator(".ql-editor")).to_have_attribute("contenteditable", "true")
    expect(e.locator(".phase-banner")).to_be_hidden()

    # The facilitator switches the whole charter from the charter page.
    f = fanny.page
    f.get_by_label("Écriture dans la charte").select_option("amendments")
    f.locator(".phase-panel").get_by_role("button", name="Appliquer").click()
    banner = e.locator(".phase-banner")
    expect(banner).to_contain_text("Entre les ateliers, cet article prend des amendements")
    expect(e.locator(".ql-editor")).to_have_attribute("contenteditable", "false")
    expect(e.locator(".save-state")).to_have_attribute("data-state", "reading")
    expect(banner.get_by_role("button", name="Proposer un amendement")).to_be_visible()
    expect(e.locator(".toolbar")).to_be_hidden()
    e.screenshot(path=str(artifacts / "editor-amendments-phase.png"))
    expect(f.locator(".phase-now")).to_have_text("En ce moment\u00a0: Amendements seulement.")
    f.locator(".phase-panel").screenshot(path=str(artifacts / "charter-phase-panel.png"))

    # A facilitator still writes, and reopens this one article from its editor.
    fe = open_editor(fanny, charter, key)
    expect(fe.locator(".phase-banner")).to_contain_text("vous pouvez toujours l’écrire")
    expect(fe.locator(".ql-editor")).to_have_attribute("contenteditable", "true")
    fe.get_by_label("Écriture dans cet article").select_option("open")
    fe.locator(".phase-form").get_by_role("button", name="Appliquer").click()
    expect(banner).to_be_hidden()
    expect(e.locator(".ql-editor")).to_have_attribute("contenteditable", "true")
    type_at_end(e, " Rouvert.")
    expect(e.locator(".save-state")).to_have_attribute("data-state", "saved")
    charter.wait_text(key, lambda t: "Rouvert." in t)
    assert e.evaluate("window.__sameDocument") is True
    done(fanny, eli)


def test_a_phase_chosen_but_not_yet_applied_survives_a_page_update(
    browser: Browser, live_server: LiveServer
) -> None:
    """A facilitator picks a phase, and before they press "Apply" the page updates (here:
    someone renames the article). Their choice stays; "Apply" applies it, not the value
    the update would have put back."""
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    f = fanny.page
    panel = f.locator(".phase-panel")
    f.get_by_label("Écriture dans la charte").select_option("amendments")
    f.get_by_label("Écriture dans la charte").blur()
    charter.api("PATCH", f"/articles/{key}", {"title": "Données ouvertes par défaut"})
    expect(f.get_by_role("link", name="Données ouvertes par défaut")).to_be_visible()
    panel.get_by_role("button", name="Appliquer").click()
    expect(f.locator(".phase-now")).to_have_text("En ce moment\u00a0: Amendements seulement.")
    assert charter.refresh()["phase"] == "amendments"

    e = open_editor(fanny, charter, key)
    choice = e.get_by_label("Écriture dans cet article")
    choice.select_option("open")
    choice.blur()
    charter.api("PATCH", f"/articles/{key}", {"title": "Données ouvertes à tous"})
    expect(e.locator("#article-title")).to_have_text("Données ouvertes à tous")
    e.locator(".phase-form").get_by_role("button", name="Appliquer").click()
    expect(e.locator(".phase-banner")).to_be_hidden()
    assert charter.refresh()["sections"][0]["articles"][0]["phase"] == "open"
    done(fanny)


def test_amendment_pages_pass_axe_and_fit_a_phone(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    first = propose(charter, key, "Par défaut")
    second = propose(charter, key, "Sur demande")
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny", viewport=PHONE)
    awa = join(browser, live_server, charter.invite("editor"), "Awa")
    # Both amendments append at the same place: each one's review flags the other.
    f = open_amendment(fanny.page, charter, first)
    type_at_end(f, " Par défaut.")
    expect(f.locator(FORK)).to_have_attribute("data-state", "saved")
    f.goto(amendment_path(charter, second))
    expect(f.locator(FORK)).to_have_attribute("data-state", "saved")
    type_at_end(f, " Sur demande.")
    expect(f.locator(FORK)).to_have_attribute("data-state", "saved")
    a = open_amendment(awa.page, charter, first)
    a.get_by_role("button", name="Pour", exact=True).click()
    expect(a.locator(".vote-counts")).to_have_text("1 pour · 0 contre · 0 abstention")
    conflicts = a.locator(".conflicts.has-conflicts")
    expect(conflicts).to_contain_text("1 conflit à examiner")
    expect(conflicts.get_by_role("link", name="Sur demande")).to_be_visible()
    assert violations(a) == []

    f.goto(amendment_path(charter, first))
    expect(f.locator(FORK)).to_have_attribute("data-state", "saved")
    expect(f.locator(".conflicts.has-conflicts")).to_be_visible()
    assert violations(f) == []
    no_sideways_scroll(f)
    f.screenshot(path=str(artifacts / "amendment-phone.png"), full_page=True)
    # The facilitator's dialog too.
    f.get_by_role("button", name="Rejeter").click()
    dialog = f.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Rejeter").click()
    expect(dialog.get_by_role("alert")).to_have_text("Indiquez le motif du rejet.")
    assert violations(f) == []
    f.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(f.get_by_role("button", name="Rejeter")).to_be_focused()

    for page in (a, f):
        page.goto(f"/charters/{charter.slug}/amendments")
        expect(page.locator(".amendment-item")).to_have_count(2)
        assert violations(page) == []
    no_sideways_scroll(f)
    f.screenshot(path=str(artifacts / "amendments-phone.png"), full_page=True)
    # The propose form from the list, on a phone.
    f.get_by_role("button", name="Proposer un amendement").click()
    expect(f.get_by_role("dialog")).to_be_visible()
    assert violations(f) == []
    no_sideways_scroll(f)

    # In English too.
    a.goto(f"/lang/en?next=/charters/{charter.slug}/amendments/{first}")
    expect(a.locator(".votes h2")).to_have_text("Support")
    expect(a.locator(".vote-counts")).to_have_text("1 for · 0 against · 0 abstaining")
    assert violations(a) == []
    done(fanny, awa)


def test_an_amendment_title_made_of_markup_is_text(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    title = "<img src=x onerror=alert(1)>"
    rationale = "<script>window.__pwned=1</script><b>gras</b>"
    number = propose(charter, key, title, rationale)
    eve = join(browser, live_server, charter.invite("editor"), "Ève")
    p = eve.page
    alerts: list[str] = []
    p.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    open_amendment(p, charter, number)
    expect(p.locator("h1")).to_have_text(title)
    expect(p.locator(".rationale")).to_have_text(rationale)
    p.goto(f"/charters/{charter.slug}/amendments")
    expect(p.locator(".amendment-title")).to_have_text(title)
    # A live event carrying the title is announced as text too.
    propose(charter, key, title + " 2")
    expect(p.locator(".amendment-item")).to_have_count(2)
    for path in (amendment_path(charter, number), f"/charters/{charter.slug}/amendments"):
        p.goto(path)
        expect(p.locator("main h1")).to_be_visible()
        assert p.evaluate("window.__pwned") is None
        assert p.locator("main img, main script, main b").count() == 0
    assert p.title() == f"Amendements — {charter.data['title']}"
    assert alerts == []
    done(eve)


def test_a_draft_from_the_list_gets_a_co_author_then_opens_and_is_withdrawn(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(
        live_server,
        [("Transparence", [("Données ouvertes", TEXT), ("Décisions expliquées", "")])],
    )
    key = charter.article(0, 0)["id"]
    other = charter.article(0, 1)["id"]
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    cora = join(browser, live_server, charter.invite("commenter"), "Cora")

    # Eli proposes a draft from the list, choosing the article there.
    e = eli.page
    e.goto(f"/charters/{charter.slug}/amendments")
    expect(e.locator(".amendment-list")).to_contain_text("Aucun amendement pour l’instant.")
    e.get_by_role("button", name="Proposer un amendement").click()
    dialog = e.get_by_role("dialog")
    dialog.get_by_label("Titre de l’amendement").fill("Des données datées")
    dialog.get_by_label("Exposé des motifs").fill("On doit savoir de quand elles datent.")
    dialog.get_by_role("button", name="Créer l’amendement").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choisissez l’article à amender.")
    dialog.get_by_label("Article à amender").select_option(key)
    dialog.get_by_label("Ouvrir tout de suite aux soutiens").uncheck()
    dialog.get_by_role("button", name="Créer l’amendement").click()
    e.wait_for_url(re.compile(r".*/amendments/\d+$"))
    number = int(e.url.rsplit("/", 1)[1])
    expect(e.locator(".status-line .status")).to_have_text("Brouillon")
    expect(e.locator(".votes")).to_contain_text("les votes ouvriront")
    expect(e.locator(".votes [role=group]")).to_be_hidden()
    expect(e.locator(FORK)).to_have_attribute("data-state", "saved")

    # Cora may not write it yet; the page tells her to ask its authors.
    c = open_amendment(cora.page, charter, number)
    expect(c.locator(".ql-editor")).to_have_attribute("contenteditable", "false")
    expect(c.locator(".amend-part .hint").last).to_contain_text("demandez-leur de vous inviter")

    # Eli picks her by name (not himself, no reader): her open page becomes writable, live.
    picker = e.get_by_role("combobox", name="Participant·e")
    expect(picker.locator("option")).to_have_text(
        ["— Choisissez une personne —", "Cora — Commentateur·rice", "Script — Animateur·rice"]
    )
    e.get_by_role("button", name="Inviter").click()
    expect(e.locator(".coauthor [role=alert]")).to_have_text("Choisissez une personne.")
    expect(picker).to_be_focused()
    picker.select_option(label="Cora — Commentateur·rice")
    e.get_by_role("button", name="Inviter").click()
    expect(e.locator(".status-line")).to_contain_text("avec Cora")
    expect(c.locator(".status-line")).to_contain_text("avec vous")
    expect(c.locator(".ql-editor")).to_have_attribute("contenteditable", "true")
    # Everyone sees the co-author's name, on the list too.
    expect(picker.locator("option")).to_have_count(2)
    type_at_end(c, " Avec leur date.")
    expect(c.locator(FORK)).to_have_attribute("data-state", "saved")
    expect(e.locator(".ql-editor")).to_contain_text("Avec leur date.")

    # Eli opens it for support, then withdraws it with a reason.
    e.get_by_role("button", name="Ouvrir aux soutiens").click()
    expect(e.locator(".status-line .status")).to_have_text("Ouvert aux soutiens")
    expect(c.get_by_role("button", name="Pour", exact=True)).to_be_visible()
    e.get_by_role("button", name="Retirer l’amendement").click()
    dialog = e.get_by_role("dialog")
    dialog.get_by_label("Motif (facultatif)").fill("Un autre amendement le fait mieux.")
    dialog.get_by_role("button", name="Retirer l’amendement").click()
    expect(c.locator(".status-line .status")).to_have_text("Retiré")
    expect(c.locator(".history li")).to_have_count(3)
    expect(c.locator(".history")).to_contain_text("Un autre amendement le fait mieux.")
    expect(c.locator(".ql-editor")).to_have_attribute("contenteditable", "false")
    assert "Avec leur date." not in charter.text(key)

    # The list, filtered by article from the address the editor links to.
    c.goto(f"/charters/{charter.slug}/amendments?article={other}")
    expect(c.get_by_role("combobox", name="Article", exact=True)).to_have_value(other)
    expect(c.locator(".amendment-item")).to_have_count(0)
    c.get_by_role("combobox", name="Article", exact=True).select_option(key)
    expect(c.locator(".amendment-item")).to_have_count(1)
    expect(c.locator(".amendment-item")).to_contain_text("Retiré")
    expect(c.locator(".amendment-item")).to_contain_text("avec Cora")
    done(eli, cora)


def test_a_second_browser_sees_an_amendment_comment_without_reload(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    number = propose(charter, key, "Par défaut")
    cora = join(browser, live_server, charter.invite("commenter"), "Cora")
    eli = join(browser, live_server, charter.invite("editor"), "Eli", viewport=PHONE)
    c = open_amendment(cora.page, charter, number)
    e = open_amendment(eli.page, charter, number)
    e.evaluate("window.__sameDocument = true")  # gone if the page reloads
    expect(e.locator(".comments-panel .empty")).to_have_text(
        "Pas encore de commentaire sur cet amendement."
    )

    # Cora (who may not write the fork) selects a passage of it and comments on it.
    select(c, "publiques")
    c.locator(".comment-float").click()
    expect(c.get_by_label("Passage commenté")).to_have_value("publiques")
    c.get_by_label("Votre commentaire").fill("Toutes les données ?")
    c.get_by_role("button", name="Publier", exact=True).click()
    mine = c.locator(".thread").filter(has_text="Toutes les données ?")
    expect(mine.locator("blockquote")).to_have_text("publiques")

    # Eli, on a phone, sees it at once with its passage highlighted in the fork; he replies.
    theirs = e.locator(".thread").filter(has_text="Toutes les données ?")
    expect(theirs.locator(".comment-text")).to_have_text("Toutes les données ?", timeout=LIVE)
    expect(e.locator("#fork-editor .comment-mark").first).to_be_attached()
    theirs.get_by_role("button", name="Répondre").click()
    e.get_by_label("Votre réponse").fill("Celles qui ne sont pas personnelles.")
    e.get_by_role("button", name="Publier la réponse").click()
    expect(mine.locator(".comment-text").nth(1)).to_have_text(
        "Celles qui ne sont pas personnelles.", timeout=LIVE
    )
    assert e.evaluate("window.__sameDocument") is True
    assert serious_violations(e) == []
    no_sideways_scroll(e)
    e.screenshot(path=str(artifacts / "amendment-discussion-phone.png"), full_page=True)

    # Not in the article's own discussion; in the charter-wide list, with its amendment.
    e.goto(f"/charters/{charter.slug}/articles/{key}")
    expect(e.locator(".comments-panel .empty")).to_have_text(
        "Pas encore de commentaire sur cet article."
    )
    e.goto(f"/charters/{charter.slug}/comments")
    item = e.locator(".discussion-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Amendement\u00a0: Par défaut")
    e.get_by_label("Texte discuté").select_option("articles")
    expect(e.locator(".discussion-item")).to_have_count(0)
    e.get_by_label("Texte discuté").select_option("amendments")
    expect(e.locator(".discussion-item")).to_have_count(1)
    assert "kind=amendments" in e.url

    # Withdrawn: Cora's page says the discussion is closed; the threads stay readable.
    charter.api("POST", f"/amendments/{number}/withdraw", {})
    expect(c.locator(".comments-closed")).to_have_text(
        "Cet amendement est clos\u00a0: sa discussion reste lisible mais ne prend plus de"
        " commentaires."
    )
    expect(mine.get_by_role("button", name="Répondre")).to_have_count(0)
    expect(c.get_by_role("button", name="Commenter la sélection")).to_be_hidden()
    expect(mine.locator(".comment-text")).to_have_count(2)
    assert serious_violations(c) == []
    done(cora, eli)


def test_accepting_over_a_conflict_asks_which_words_stay(
    browser: Browser, live_server: LiveServer, artifacts: Path
) -> None:
    """The amendment and the live text both added a sentence at the end: the review says so
    in words (no word numbers), and the accept asks which words stay; the merge never
    keeps both glued."""
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    number = propose(charter, key, "Chaque mois")
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    eli = join(browser, live_server, charter.invite("editor"), "Eli")
    f = open_amendment(fanny.page, charter, number)
    type_at_end(f, " Chaque mois.")
    expect(f.locator(FORK)).to_have_attribute("data-state", "saved")
    e = open_editor(eli, charter, key)
    type_at_end(e, " Chaque semaine.")
    expect(e.locator(".save-state")).to_have_attribute("data-state", "saved")

    f.reload()
    conflicts = f.locator(".conflicts.has-conflicts")
    expect(conflicts).to_contain_text(
        "L’amendement ajoute « Chaque mois. » ; depuis, le texte dit « Chaque semaine. »."
    )
    expect(conflicts).not_to_contain_text("Mots ")
    f.get_by_role("button", name="Accepter").click()
    dialog = f.get_by_role("dialog")
    expect(dialog.locator("legend")).to_contain_text("L’amendement ajoute « Chaque mois. »")
    dialog.get_by_role("button", name="Accepter").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Choisissez pour chaque conflit les mots qui restent."
    )
    dialog.get_by_label("D’autres mots").check()
    dialog.get_by_label("Les mots à mettre à la place").fill("Chaque trimestre.")
    assert violations(f) == []
    f.screenshot(path=str(artifacts / "amendment-accept-conflict.png"))
    dialog.get_by_role("button", name="Accepter").click()
    expect(dialog).to_be_hidden()
    final = "Les données publiques sont ouvertes. Chaque trimestre."
    charter.wait_text(key, lambda t: " ".join(t.split()) == final)
    expect(e.locator(".ql-editor")).to_contain_text("Chaque trimestre.")
    expect(e.locator(".ql-editor")).not_to_contain_text("Chaque semaine")
    expect(e.locator(".ql-editor")).not_to_contain_text("Chaque mois")
    done(fanny, eli)


TOOLBAR = """() => [...document.querySelectorAll('.toolbar button.tool')].map(b => ({
  name: b.className, label: b.textContent, title: b.title,
  keys: b.getAttribute('aria-keyshortcuts'), icon: b.querySelector('.tool-icon').outerHTML,
  tabindex: b.getAttribute('tabindex'),
}))"""


def test_the_amendment_editor_has_the_article_editors_toolbar(
    browser: Browser, live_server: LiveServer
) -> None:
    """The amendment's text had seven letter buttons of its own (no link, no "clear", other
    symbols, in the Tab order); it is now the article editor's toolbar, keys included."""
    charter = new_charter(live_server, [("Transparence", [("Données ouvertes", TEXT)])])
    key = charter.article(0, 0)["id"]
    # A facilitator, who may write every open amendment.
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    e = open_editor(fanny, charter, key)
    article_tools = e.evaluate(TOOLBAR)
    assert len(article_tools) == 9

    number = propose(charter, key, "Un lien vers le portail")
    open_amendment(e, charter, number)
    expect(e.locator(FORK)).to_have_attribute("data-state", "saved")
    assert e.evaluate(TOOLBAR) == article_tools

    # The same keys: Alt+F10 from the text to the bar, the arrows along it, Escape back.
    text = e.locator("#fork-editor .ql-editor")
    text.click()
    e.keyboard.press("Control+End")
    e.keyboard.type(" Voir le portail")
    for _ in range(len("portail")):
        e.keyboard.press("Shift+ArrowLeft")
    e.keyboard.press("Alt+F10")
    expect(e.locator(".fork .tool-bold")).to_be_focused()
    e.keyboard.press("Enter")
    expect(text.locator("strong")).to_have_text("portail")
    expect(text).to_be_focused()  # formatted, back in the text with the words selected
    e.keyboard.press("Alt+F10")
    e.keyboard.press("End")
    expect(e.locator(".fork .tool-clean")).to_be_focused()
    e.keyboard.press("ArrowLeft")
    expect(e.locator(".fork .tool-link")).to_be_focused()
    e.keyboard.press("Enter")
    address = e.get_by_label("Adresse du lien")
    expect(address).to_be_focused()
    address.fill("javascript:alert(1)")
    address.press("Enter")
    expect(e.locator(".fork .error")).to_have_text(re.compile(r"\S"))
    address.fill("https://data.nantesmetropole.fr")
    address.press("Enter")
    expect(text.locator("a")).to_have_attribute("href", "https://data.nantesmetropole.fr")
    expect(text.locator("a")).to_have_text("portail")
    expect(e.locator(".fork .error")).to_have_text("")
    expect(e.locator(FORK)).to_have_attribute("data-state", "saved")
    done(fanny)
