"""English pages use English punctuation ("Participants: …", “quotes”), French pages
French spacing (a no-break space before : ; ? ! and inside « »): both catalogues, the
browser's and the server's, and the server's templates, which add no punctuation of
their own around a catalogue's words."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from server.i18n import MESSAGES
from tests.support import ROOT

LOAD = """
globalThis.document = { documentElement: { lang: 'fr' } }
const m = await import(process.argv[1])
console.log(JSON.stringify(m.MESSAGES))
"""
URL_OR_PLACEHOLDER = re.compile(r"(?:https?|mailto):\S*|\{[^}]*\}")


def web_messages() -> dict[str, dict[str, str]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to read the browser's catalogue: install Node.js 20")
    done = subprocess.run(
        [node, "--input-type=module", "-e", LOAD, str(ROOT / "web/src/lib/i18n.js")],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, dict[str, str]] = json.loads(done.stdout)
    return found


def catalogues() -> list[tuple[str, dict[str, dict[str, str]]]]:
    return [("server/i18n.py", MESSAGES), ("web/src/lib/i18n.js", web_messages())]


def english_faults(text: str) -> list[str]:
    text = URL_OR_PLACEHOLDER.sub("x", text)
    faults = [m[0] for m in re.finditer(r"[ \u00a0\u202f][:;?!]", text)]
    return faults + [q for q in "«»" if q in text]


def french_faults(text: str) -> list[str]:
    text = URL_OR_PLACEHOLDER.sub("x", text)
    faults = [m[0] for m in re.finditer(r"(?:^|[^\u00a0\u202f])[:;?!]", text)]
    faults += [m[0] for m in re.finditer(r"«(?![\u00a0\u202f])|(?<![\u00a0\u202f])»", text)]
    return faults


def test_english_text_has_english_punctuation() -> None:
    for where, catalogue in catalogues():
        for key, text in catalogue["en"].items():
            assert not english_faults(text), f"{where} en.{key}: {text!r}"


def test_french_text_has_french_spacing() -> None:
    for where, catalogue in catalogues():
        for key, text in catalogue["fr"].items():
            assert not french_faults(text), f"{where} fr.{key}: {text!r}"


def test_templates_add_no_punctuation_of_their_own() -> None:
    """A colon after a catalogue's words comes from the catalogue (``t("colon")``)."""
    for path in (ROOT / "server" / "pages" / "templates").glob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert not re.search(r"\}\}\s*:|\s:\s", line), f"{path.name}:{number}: {line.strip()}"


def test_the_checks_themselves() -> None:
    assert english_faults("Participants : Awa") == [" :"]
    assert english_faults("Participants: Awa, see https://x.org/a?b") == []
    assert french_faults("Participants : Awa") == [" :"]
    assert french_faults("Participant·es\u00a0: Awa «\u00a0v1\u00a0»") == []
    assert len(french_faults("« v1 »")) == 2
