"""Two people start typing at the same place within a fraction of a second, on slow
machines (Chromium's CPU throttling), with a third person watching: each keeps their own
run of characters, and every screen shows the same text. The same when one of them
composes words (a phone's keyboard, an input method, accents): that person's editor held
text it had not read yet when the other's change arrived, and the two interleaved
("engagé  e et et  l le les les  c co coûts"), with the screens disagreeing.

A CRDT keeps a person's words together only if each keystroke goes right after the same
person's previous one; an editor binding that computed a keystroke's place on a stale view
of the text would interleave the two sentences. The two keyboards type truly at the same
time: Playwright's asynchronous API drives both pages at once (in a thread of its own,
beside the synchronous fixtures)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.live import LiveServer
from tests.e2e.workshop import new_charter

TEXT = "La Ville publie le budget engagé."
SPOT = "le budget engagé"
WORDS = (" et les coûts", " et le planning")
CARET_AFTER = """(words) => {
  const editor = document.querySelector('.ql-editor')
  const walker = document.createTreeWalker(editor, NodeFilter.SHOW_TEXT)
  let node
  while ((node = walker.nextNode())) {
    const at = node.data.indexOf(words)
    if (at >= 0) {
      const range = document.createRange()
      range.setStart(node, at + words.length)
      range.collapse(true)
      document.getSelection().removeAllRanges()
      document.getSelection().addRange(range)
      return true
    }
  }
  return false
}"""


async def _editor(browser: Any, live: LiveServer, link: str, name: str, path: str) -> Page:
    context = await browser.new_context(base_url=live.base_url, locale="fr-FR")
    page = await context.new_page()
    await page.goto(link)
    await page.get_by_label("Votre nom").fill(name)
    await page.locator("form button[type=submit]").click()
    await page.wait_for_url("**/charters/*")
    await page.goto(path)
    await page.wait_for_selector('.save-state[data-state="saved"]')
    return page


async def _type_together(
    live: LiveServer, links: list[str], path: str, rate: int, delay: int, lag: float
) -> list[str]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        names = ("Awa", "Bob", "Cy")
        pages = [
            await _editor(browser, live, link, n, path)
            for link, n in zip(links, names, strict=True)
        ]
        for page in pages:
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        typists = pages[:2]
        for page in typists:
            await page.locator(".ql-editor").click()
            assert await page.evaluate(CARET_AFTER, SPOT)

        async def type_after(page: Page, words: str, wait: float) -> None:
            await asyncio.sleep(wait)
            await page.keyboard.type(words, delay=delay)

        await asyncio.gather(
            *(
                type_after(p, w, i * lag)
                for i, (p, w) in enumerate(zip(typists, WORDS, strict=True))
            )
        )
        for page in pages:
            await page.wait_for_selector('.save-state[data-state="saved"]', timeout=30000)
        shown = []
        for page in pages:
            await page.wait_for_function(
                "(n) => document.querySelector('.ql-editor').innerText.length >= n",
                arg=len(TEXT) + len(WORDS[0]) + len(WORDS[1]),
            )
            shown.append(
                await page.evaluate("() => document.querySelector('.ql-editor').innerText")
            )
        await browser.close()
        return shown


async def _compose_beside_typing(live: LiveServer, links: list[str], path: str) -> list[str]:
    """Awa composes each word as a phone's keyboard does (the word grows as marked text,
    then is committed) while Bob types at the same spot."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        awa = await _editor(browser, live, links[0], "Awa", path)
        bob = await _editor(browser, live, links[1], "Bob", path)
        for page in (awa, bob):
            await page.locator(".ql-editor").click()
            assert await page.evaluate(CARET_AFTER, SPOT)
        ime = await awa.context.new_cdp_session(awa)

        async def compose() -> None:
            for word in (" et", " les", " coûts"):
                for end in range(1, len(word) + 1):
                    marked = {"text": word[:end], "selectionStart": end, "selectionEnd": end}
                    await ime.send("Input.imeSetComposition", marked)
                    await asyncio.sleep(0.05)
                await ime.send("Input.insertText", {"text": word})
                await asyncio.sleep(0.05)

        await asyncio.gather(compose(), bob.keyboard.type(WORDS[1], delay=40))
        shown = []
        for page in (awa, bob):
            await page.wait_for_selector('.save-state[data-state="saved"]', timeout=30000)
            await page.wait_for_function(
                "(n) => document.querySelector('.ql-editor').innerText.length >= n",
                arg=len(TEXT) + len(WORDS[0]) + len(WORDS[1]),
            )
            text = await page.evaluate("() => document.querySelector('.ql-editor').innerText")
            shown.append(text)
        await browser.close()
        return shown


def _in_a_thread(work: Any) -> Any:
    """Run an asynchronous browser session beside the synchronous fixtures."""
    found: dict[str, Any] = {}

    def run() -> None:
        try:
            found["result"] = asyncio.run(work)
        except BaseException as error:  # raised again in the test's thread
            found["error"] = error

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=120)
    if "error" in found:
        raise found["error"]
    return found["result"]


def _assert_both_kept(stored_text: str, shown: list[str]) -> None:
    first, second = WORDS
    whole = {
        f"La Ville publie le budget engagé{first}{second}.",
        f"La Ville publie le budget engagé{second}{first}.",
    }
    stored = " ".join(stored_text.split())
    assert stored in whole, stored
    assert [" ".join(text.split()) for text in shown] == [stored] * len(shown)


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_a_word_being_composed_and_a_concurrent_edit_never_interleave(
    live_server: LiveServer, attempt: int
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Budget", TEXT)])])
    key = charter.article(0, 0)["id"]
    links = [charter.invite("editor") for _ in range(2)]
    shown = _in_a_thread(_compose_beside_typing(live_server, links, charter.editor_path(key)))
    _assert_both_kept(charter.text(key), shown)


@pytest.mark.parametrize(
    ("rate", "delay", "lag"),
    [(4, 30, 0.0), (8, 20, 0.05), (6, 60, 0.1)],
    ids=["4x-together", "8x-50ms-apart", "6x-100ms-apart"],
)
def test_two_people_typing_at_the_same_spot_keep_their_words(
    live_server: LiveServer, rate: int, delay: int, lag: float
) -> None:
    charter = new_charter(live_server, [("Transparence", [("Budget", TEXT)])])
    key = charter.article(0, 0)["id"]
    links = [charter.invite("editor") for _ in range(3)]
    shown = _in_a_thread(
        _type_together(live_server, links, charter.editor_path(key), rate, delay, lag)
    )
    _assert_both_kept(charter.text(key), shown)
