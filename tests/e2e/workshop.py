"""Setting up a workshop for the browser tests: a fresh charter made over the JSON API,
and participants who join the way people do, through a real invitation link opened in
their own browser context."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.live import LiveServer
from tests.support import ADMIN_TOKEN, make_token

_numbers = itertools.count(1)
PHONE = {"width": 360, "height": 740}
SYNCED = re.compile(r"^(saved|reading)$")

# Every page records its uncaught errors and Content-Security-Policy violations here.
WATCH_SCRIPT = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@dataclass
class Charter:
    live: LiveServer
    slug: str
    token: str  # a facilitator's bearer token (a script, not a browser)
    data: dict[str, Any] = field(default_factory=dict)

    def http(self, token: str | None = None) -> httpx.Client:
        headers = {"authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.live.base_url, headers=headers, timeout=10)

    def api(self, method: str, path: str, json: Any = None) -> Any:
        with self.http() as http:
            response = http.request(method, f"/api/charters/{self.slug}{path}", json=json)
        response.raise_for_status()
        return response.json()

    def refresh(self) -> dict[str, Any]:
        self.data = self.api("GET", "")
        return self.data

    def article(self, section: int, index: int) -> dict[str, Any]:
        return dict(self.data["sections"][section]["articles"][index])

    def invite(self, role: str) -> str:
        return str(self.api("POST", "/invites", {"role": role, "label": f"e2e {role}"})["link"])

    def text(self, key: str) -> str:
        with self.http() as http:
            response = http.get(f"/api/charters/{self.slug}/articles/{key}?format=text")
        response.raise_for_status()
        return response.text

    def wait_text(self, key: str, predicate: Callable[[str], bool], timeout: float = 10) -> str:
        """The server's text of an article, once ``predicate`` holds (polled)."""
        deadline = time.monotonic() + timeout
        text = self.text(key)
        while not predicate(text):
            assert time.monotonic() < deadline, f"the server's text never matched: {text!r}"
            time.sleep(0.05)
            text = self.text(key)
        return text

    def editor_path(self, key: str) -> str:
        return f"/charters/{self.slug}/articles/{key}"


def new_charter(
    live: LiveServer,
    sections: list[tuple[str, list[tuple[str, str]]]],
    title: str = "",
    language: str = "fr",
) -> Charter:
    """A charter of its own for one test: sections of (article title, Markdown), its text
    in ``language``."""
    slug = f"atelier-{next(_numbers)}-{int(time.time() * 1000) % 100000}"
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=live.base_url, headers=headers, timeout=10) as http:
        body = {"slug": slug, "title": title or f"Charte de l’atelier {slug}", "language": language}
        http.post("/api/charters", json=body).raise_for_status()
    token = live.call(make_token(live.running, "facilitator", "Script", slug=slug))
    charter = Charter(live, slug, token)
    for section_title, articles in sections:
        section = charter.api("POST", "/sections", {"title": section_title})
        for article_title, markdown in articles:
            body = {"title": article_title, **({"markdown": markdown} if markdown else {})}
            charter.api("POST", f"/sections/{section['id']}/articles", body)
    charter.refresh()
    return charter


@dataclass
class Person:
    name: str
    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)  # uncaught exceptions in the page

    def csp_violations(self) -> list[str]:
        return list(self.page.evaluate("window.__cspViolations || []"))


def join(
    browser: Browser,
    live: LiveServer,
    link: str,
    name: str,
    *,
    badge: str = "",
    locale: str = "fr-FR",
    viewport: dict[str, int] | None = None,
) -> Person:
    """A person opens an invitation link in their own browser, types a name, joins."""
    context = browser.new_context(
        base_url=live.base_url, locale=locale, viewport=viewport or {"width": 1280, "height": 800}
    )
    context.add_init_script(WATCH_SCRIPT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(link)
    page.get_by_label("Votre nom" if locale.startswith("fr") else "Your name").fill(name)
    if badge:
        page.locator("select#badge").select_option(badge)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/charters/*")
    return Person(name, context, page, errors)


def connected(page: Page) -> None:
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")


def open_editor(person: Person, charter: Charter, key: str) -> Page:
    """Open an article and wait until its text has arrived (the editor takes no typing
    before that: text typed into an empty editor would land before the article's)."""
    person.page.goto(charter.editor_path(key))
    expect(person.page.locator(".save-state")).to_have_attribute("data-state", SYNCED)
    return person.page


def type_at_end(page: Page, text: str) -> None:
    """Put the caret at the end of the article and type like a person."""
    editor = page.locator(".ql-editor")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def editor_text(page: Page) -> str:
    """The editor's text without the remote cursors' name flags."""
    return str(page.evaluate("() => document.querySelector('.ql-editor').innerText"))


def words(text: str) -> list[str]:
    return text.split()
