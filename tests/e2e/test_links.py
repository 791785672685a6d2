"""Links in the editor: the server closes a connection that sends a link it refuses, so
the editor never sends one. A pasted link to anything but http, https or mailto keeps its
text and loses its link; the link form refuses such an address."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import SYNCED, connected, join, new_charter, open_editor

PASTED = (
    '<p>Voir <a href="javascript:alert(document.cookie)">le piège</a>, '
    '<a href="tel:+33240000000">le téléphone</a>, '
    '<a href="https://example.org/&quot;&gt;&lt;script&gt;x">la citation</a> et '
    '<a href="https://www.nantes.fr/gouvernance">le site</a>.</p>'
)


def paste_html(page: Page, html: str) -> None:
    """A paste event as the browser fires it, carrying HTML (as copied from a web page)."""
    page.locator(".ql-editor").click()
    page.keyboard.press("Control+End")
    page.evaluate(
        """(html) => {
          const data = new DataTransfer()
          data.setData('text/html', html)
          data.setData('text/plain', html.replace(/<[^>]*>/g, ''))
          const event = new ClipboardEvent(
            'paste', { clipboardData: data, bubbles: true, cancelable: true })
          document.querySelector('.ql-editor').dispatchEvent(event)
        }""",
        html,
    )


def test_pasted_unsafe_links_keep_their_text_and_lose_their_link(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Données", "Premier paragraphe.")])])
    key = charter.article(0, 0)["id"]
    eve = join(browser, live_server, charter.invite("editor"), "Ève")
    page = open_editor(eve, charter, key)
    paste_html(page, PASTED)
    charter.wait_text(key, lambda t: "le site." in t)
    expect(page.locator(".save-state")).to_have_attribute("data-state", SYNCED)
    connected(page)
    with charter.http() as http:
        markdown = http.get(f"/api/charters/{charter.slug}/articles/{key}?format=md").text
    assert "[le site](https://www.nantes.fr/gouvernance)" in markdown
    for text in ("le piège", "le téléphone", "la citation"):
        assert text in markdown and f"[{text}]" not in markdown
    links = page.locator(".ql-editor a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://www.nantes.fr/gouvernance")
    assert eve.errors == []
    eve.context.close()


def test_the_link_form_refuses_an_address_the_server_would_refuse(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("Participation", [("Ateliers", "Les ateliers.")])])
    key = charter.article(0, 0)["id"]
    eve = join(browser, live_server, charter.invite("editor"), "Ève")
    page = open_editor(eve, charter, key)
    page.locator(".ql-editor").click()
    page.keyboard.press("Control+a")
    page.locator(".tool-link").click()
    address = page.get_by_label("Adresse du lien")
    for refused in ("javascript:alert(1)", 'https://example.org/"onclick="x', "ftp://x.org"):
        address.fill(refused)
        address.press("Enter")
        expect(address).to_have_attribute("aria-invalid", "true")
    address.fill("https://www.nantes.fr/")
    address.press("Enter")
    charter.wait_text(key, lambda t: "Les ateliers." in t)
    expect(page.locator(".ql-editor a")).to_have_attribute("href", "https://www.nantes.fr/")
    connected(page)
    eve.context.close()
