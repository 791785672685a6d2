"""The participants' guide, "the first five minutes": walked for real on a 360x740 phone in
French and in English (join, the charter, writing beside someone else, commenting on a
passage), each step photographed for the guide; then the guide itself, reached from the
join page and from the charter page's welcome, in the reader's language, every picture
shown, axe clean, no sideways scroll.

The pictures land in test-artifacts/guide/; ``make guide-images`` copies them to
server/pages/screenshots/, which the app serves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from server.pages.guide import SCREENSHOTS
from tests.e2e.live import LiveServer
from tests.e2e.test_accessibility import no_sideways_scroll, serious_violations
from tests.e2e.test_comments_ui import select
from tests.e2e.workshop import (
    PHONE,
    SYNCED,
    WATCH_SCRIPT,
    join,
    new_charter,
    open_editor,
)

STEPS = ("join", "charter", "write", "comment")
WORDS: dict[str, dict[str, Any]] = {
    "fr": {
        "sections": [
            (
                "Transparence",
                [
                    ("Données ouvertes", "Les données de la ville sont publiées en ligne."),
                    ("Budget", "Le budget est présenté chaque année."),
                ],
            )
        ],
        "charter": "Charte de la gouvernance ouverte",
        "name": "Votre nom",
        "join": "Rejoindre",
        "guide": re.compile(r"Première fois.*Les cinq premières minutes"),
        "title": "Les cinq premières minutes",
        "typed": " Elles sont à jour chaque mois.",
        "end": "publiées en ligne.",
        "passage": "publiées en ligne",
        "comment": "Comment on les trouve ?",
        "saved": "Enregistré",
        "post": "Publier",
        "body": "Votre commentaire",
        "other_language": "English",
    },
    "en": {
        "sections": [
            (
                "Transparency",
                [
                    ("Open data", "The city's data is published online."),
                    ("Budget", "The budget is presented every year."),
                ],
            )
        ],
        "charter": "Open governance charter",
        "name": "Your name",
        "join": "Join",
        "guide": re.compile(r"First time\? The first five minutes"),
        "title": "The first five minutes",
        "typed": " It is updated every month.",
        "end": "published online.",
        "passage": "published online",
        "comment": "Where do we find it?",
        "saved": "Saved",
        "post": "Post",
        "body": "Your comment",
        "other_language": "Français",
    },
}
LOCALES = {"fr": "fr-FR", "en": "en-GB"}


def shot(page: Page, folder: Path, step: str, lang: str) -> None:
    page.screenshot(path=str(folder / f"{step}.{lang}.png"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_first_five_minutes_walked_on_a_phone_and_shown_in_the_guide(
    browser: Browser, live_server: LiveServer, artifacts: Path, lang: str
) -> None:
    words = WORDS[lang]
    folder = artifacts / "guide"
    folder.mkdir(exist_ok=True)
    charter = new_charter(live_server, words["sections"], words["charter"], language=lang)
    key = charter.article(0, 0)["id"]
    # Someone else is already writing, on a laptop.
    bruno = join(browser, live_server, charter.invite("editor"), "Bruno", locale=LOCALES[lang])
    b = open_editor(bruno, charter, key)

    context = browser.new_context(
        base_url=live_server.base_url, locale=LOCALES[lang], viewport=PHONE
    )
    context.add_init_script(WATCH_SCRIPT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # 1. Join: the link, a name; the guide is one link away.
    link = charter.invite("editor")
    page.goto(link)
    expect(page.get_by_role("link", name=words["guide"])).to_be_visible()
    page.get_by_label(words["name"]).fill("Awa")
    shot(page, folder, "join", lang)
    page.get_by_role("button", name=words["join"]).click()
    page.wait_for_url("**/charters/*")

    # 2. The charter: a welcome that says what one may do (and links the guide), articles.
    welcome = page.locator(".role-note")
    expect(welcome).to_contain_text("Awa")
    expect(welcome.get_by_role("link", name=words["guide"])).to_be_visible()
    expect(page.get_by_role("link", name=words["sections"][0][1][0][0])).to_be_visible()
    shot(page, folder, "charter", lang)

    # 3. Write, beside Bruno: his cursor and name, "Saved" once the server has it.
    page.get_by_role("link", name=words["sections"][0][1][0][0]).click()
    expect(page.locator(".save-state")).to_have_attribute("data-state", SYNCED)
    page.locator("#editor .ql-editor").click()
    select(page, words["end"])
    page.keyboard.press("ArrowRight")  # at the end of the sentence
    page.keyboard.type(words["typed"])
    expect(page.locator("#editor .ql-editor")).to_contain_text(words["end"] + words["typed"])
    expect(page.locator(".save-state")).to_have_text(words["saved"])
    b.locator(".ql-editor").click()
    b.keyboard.press("Control+Home")
    b.keyboard.type("— ")
    expect(page.locator(".ql-cursor-name", has_text="Bruno")).to_be_visible()
    expect(page.locator(".save-state")).to_have_text(words["saved"])
    shot(page, folder, "write", lang)

    # 4. Comment on a passage: select, "comment", write, post.
    select(page, words["passage"])
    page.locator(".comment-float").click()
    page.get_by_label(words["body"]).fill(words["comment"])
    page.get_by_label(words["body"]).scroll_into_view_if_needed()
    shot(page, folder, "comment", lang)
    page.get_by_role("button", name=words["post"], exact=True).click()
    expect(b.locator(".thread").filter(has_text=words["comment"])).to_be_visible()

    # The guide, from the charter page's welcome: the reader's language, every picture.
    page.goto(charter.editor_path(key).rsplit("/articles/", 1)[0])
    page.locator(".role-note").get_by_role("link", name=words["guide"]).click()
    expect(page.locator("h1")).to_have_text(words["title"])
    assert page.locator("html").get_attribute("lang") == lang
    pictures = page.locator("main img")
    expect(pictures).to_have_count(len(STEPS))
    sources = pictures.evaluate_all("l => l.map(i => i.getAttribute('src'))")
    assert sources == [f"/guide/img/{step}.{lang}.png" for step in STEPS]
    for picture in pictures.all():
        picture.scroll_into_view_if_needed()
        expect(picture).not_to_have_attribute("alt", re.compile(r"^\s*$"))
        assert picture.evaluate("i => i.complete && i.naturalWidth") == PHONE["width"]
    no_sideways_scroll(page)
    assert serious_violations(page) == []
    expect(page.get_by_role("link", name=words["other_language"])).to_be_visible()
    assert errors == [] and bruno.errors == []
    context.close()
    bruno.context.close()


def test_the_guide_shows_the_pictures_the_walk_takes() -> None:
    """Every step photographed has its picture in the app, in both languages: a step added to
    the walk without ``make guide-images`` fails here."""
    served = sorted(p.name for p in SCREENSHOTS.glob("*.png"))
    assert served == sorted(f"{step}.{lang}.png" for step in STEPS for lang in ("en", "fr"))
