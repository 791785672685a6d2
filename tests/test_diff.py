"""Word-level diff on known French text pairs."""

from __future__ import annotations

import pytest

from crdt.diff import diff_words, tokens


def marked(old: str, new: str) -> str:
    """[-removed-] and {+added+} markup, easy to read in a table."""
    out = []
    for hunk in diff_words(old, new).hunks:
        text = hunk.text
        out.append(
            text
            if hunk.kind == "equal"
            else f"[-{text.strip()}-]"
            if hunk.kind == "delete"
            else f"{{+{text.strip()}+}}"
        )
    return " ".join(part.strip() for part in out)


@pytest.mark.parametrize(
    ("old", "new", "expected", "added", "removed"),
    [
        (
            "La Ville publie ses données.",
            "La Ville publie toutes ses données.",
            "La Ville publie {+toutes+} ses données.",
            1,
            0,
        ),
        (
            "Les élus décident seuls.",
            "Les élus et les citoyens décident ensemble.",
            "Les élus {+et les citoyens+} décident [-seuls-] {+ensemble+} .",
            4,
            1,
        ),
        # Accents are letters: « a » and « à » differ, and nothing else does.
        (
            "Il a participé a l’atelier.",
            "Il a participé à l’atelier.",
            "Il a participé [-a-] {+à+} l’atelier.",
            1,
            1,
        ),
        # Punctuation is its own token: a comma changed is not a word changed.
        (
            "Transparence, participation et coproduction.",
            "Transparence ; participation et coproduction !",
            "Transparence [-,-] {+;+} participation et coproduction [-.-] {+!+}",
            0,
            0,
        ),
        # Whitespace and line breaks are noise.
        (
            "Chaque année,   un atelier\npublic.",
            "Chaque année, un atelier public.",
            "Chaque année, un atelier public.",
            0,
            0,
        ),
        # Apostrophes and hyphens stay inside their word.
        (
            "C’est peut-être l’essentiel.",
            "C’est sans doute l’essentiel.",
            "C’est [-peut-être-] {+sans doute+} l’essentiel.",
            2,
            1,
        ),
        ("", "Préambule.", "{+Préambule.+}", 1, 0),
        ("Préambule.", "", "[-Préambule.-]", 0, 1),
    ],
)
def test_known_french_pairs(old: str, new: str, expected: str, added: int, removed: int) -> None:
    result = diff_words(old, new)
    assert marked(old, new) == expected
    assert (result.words_added, result.words_removed) == (added, removed)


def test_composed_and_decomposed_accents_are_the_same_word() -> None:
    composed, decomposed = "élu", "e\u0301lu"
    assert not diff_words(composed, decomposed).changed


def test_equal_hunks_rebuild_the_new_text_spacing() -> None:
    new = "La charte  est évaluée chaque année."
    result = diff_words("La charte est revue chaque année.", new)
    rebuilt = "".join(h.text for h in result.hunks if h.kind != "delete")
    assert [t.text for t in tokens(rebuilt)] == [t.text for t in tokens(new)]
