"""User text is text: a name made of markup is shown as typed and never runs."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.live import LiveServer
from tests.e2e.workshop import join, new_charter, open_editor, type_at_end

NAME = "<script>window.__pwned=1</script><b>Ève</b>"


def test_a_name_containing_script_is_shown_as_text(
    browser: Browser, live_server: LiveServer
) -> None:
    charter = new_charter(live_server, [("<i>Section</i>", [("<img src=x>Article", "")])])
    key = charter.article(0, 0)["id"]
    fanny = join(browser, live_server, charter.invite("facilitator"), "Fanny")
    eve = join(browser, live_server, charter.invite("editor"), NAME)
    f = fanny.page
    expect(f.locator(".people-list")).to_contain_text(NAME)
    expect(f.locator(".section-title")).to_have_text("<i>Section</i>")
    expect(f.locator(".article-title")).to_have_text("<img src=x>Article")
    f.locator(".participants").get_by_role("button", name="Actualiser").click()
    expect(f.locator(".participants")).to_contain_text(NAME)

    open_editor(fanny, charter, key)
    e = open_editor(eve, charter, key)
    type_at_end(e, "Bonjour")
    expect(f.locator(".ql-cursor-name")).to_have_text(NAME)
    expect(f.locator(".here")).to_contain_text(NAME)
    for page in (f, e):
        assert page.evaluate("window.__pwned") is None
        assert page.locator("main script, main b, main img, main i").count() == 0
    for person in (fanny, eve):
        assert person.errors == [] and person.csp_violations() == []
        person.context.close()
