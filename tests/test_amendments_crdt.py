"""Amendments as forks (crdt/amendments.py): merging into a text that changed meanwhile, and
conflicts computed on words. Pure: real pycrdt documents, no server."""

from __future__ import annotations

from crdt.amendments import accepted_update, changes, conflicts, fork_of, own_changes, preview
from crdt.article import ArticleDoc, update_from_ops
from crdt.versions import forward_edit

BASE = (
    "La ville publie ses données. "
    "Chaque habitant peut proposer une idée. "
    "Les élus répondent sous un mois."
)


def article(text: str) -> ArticleDoc:
    return ArticleDoc.from_updates([update_from_ops([(text, None)])])


def rewrite(doc: ArticleDoc, old: str, new: str) -> None:
    """A client's edit: the smallest change that turns ``old`` into ``new`` in ``doc``."""
    text = doc.text()
    assert old in text, (old, text)
    update = forward_edit(
        ArticleDoc.from_updates([doc.full_update()]), [(text.replace(old, new), None)]
    )
    assert update is not None
    doc.apply(update)


def propose(live: ArticleDoc) -> tuple[ArticleDoc, bytes]:
    fork = fork_of(live)
    return ArticleDoc.from_updates([fork.state]), fork.base_state_vector


def test_an_amendment_lands_in_an_article_edited_since_its_base() -> None:
    live = article(BASE)
    fork, base = propose(live)
    rewrite(fork, "sous un mois", "sous quinze jours")
    rewrite(live, "ses données", "toutes ses données ouvertes")  # edited live meanwhile
    assert conflicts(BASE, fork.text(), live.text()) == []
    live.apply(own_changes(fork, base))
    assert live.text() == (
        "La ville publie toutes ses données ouvertes. "
        "Chaque habitant peut proposer une idée. "
        "Les élus répondent sous quinze jours."
    )


def test_two_amendments_from_the_same_base_are_both_kept() -> None:
    """The Decidim failure: accepting the second must not undo the first."""
    live = article(BASE)
    first, base1 = propose(live)
    second, base2 = propose(live)
    rewrite(first, "une idée", "une idée ou une pétition")
    rewrite(second, "Les élus", "Les élues et les élus")
    live.apply(own_changes(first, base1))
    live.apply(own_changes(second, base2))
    assert "une idée ou une pétition" in live.text()
    assert "Les élues et les élus répondent" in live.text()


def test_preview_leaves_the_live_article_untouched() -> None:
    live = article(BASE)
    fork, base = propose(live)
    rewrite(fork, "publie", "ouvre")
    before = live.full_update()
    shown = preview(live.full_update(), own_changes(fork, base))
    assert shown.text().startswith("La ville ouvre ses données.")
    assert live.full_update() == before and live.text() == BASE


def test_rewriting_a_sentence_deleted_live_is_a_conflict() -> None:
    live = article(BASE)
    fork, _ = propose(live)
    rewrite(fork, "Chaque habitant peut proposer une idée.", "Chaque habitante peut voter.")
    rewrite(live, "Chaque habitant peut proposer une idée. ", "")
    found = conflicts(BASE, fork.text(), live.text())
    assert len(found) == 1
    assert "habitant" in found[0].base and "proposer" in found[0].base
    assert found[0].ours.endswith("Chaque habitante peut voter")
    assert found[0].theirs == ""


def test_changes_to_different_words_do_not_conflict_even_when_adjacent() -> None:
    ours = "La ville publie ses données ouvertes. Chaque habitant peut proposer une idée."
    theirs = "La commune publie ses données. Chaque habitant peut proposer une idée."
    base = "La ville publie ses données. Chaque habitant peut proposer une idée."
    assert conflicts(base, ours, theirs) == []
    # the same word changed on both sides is one
    assert (
        len(
            conflicts(
                base, ours, "La ville publie ses chiffres. Chaque habitant peut proposer une idée."
            )
        )
        == 1
    )


def test_insertions_at_the_same_place_conflict() -> None:
    base = "Le conseil se réunit."
    found = conflicts(base, "Le conseil municipal se réunit.", "Le conseil citoyen se réunit.")
    assert [(c.base, c.ours, c.theirs) for c in found] == [("", "municipal", "citoyen")]


def test_accents_and_emoji_survive_the_merge() -> None:
    base = "Élue ou élu 🙂 : même voix. Café citoyen à l’hôtel de ville."
    live = article(base)
    fork, sv = propose(live)
    rewrite(fork, "même voix", "même voix, même temps de parole")
    rewrite(live, "Café citoyen", "Café citoyen 🎉 mensuel")
    assert conflicts(base, fork.text(), live.text()) == []
    live.apply(own_changes(fork, sv))
    assert live.text() == (
        "Élue ou élu 🙂 : même voix, même temps de parole. "
        "Café citoyen 🎉 mensuel à l’hôtel de ville."
    )


def test_several_changes_on_one_deleted_passage_make_one_conflict() -> None:
    base = "a b c d e f"
    assert [
        (c.start, c.end, c.base, c.ours, c.theirs) for c in conflicts(base, "a B c D e f", "a f")
    ] == [(1, 5, "b c d e", "B c D e", "")]


def test_changes_are_word_ranges_of_the_base() -> None:
    found = changes("un deux trois quatre", "un 2 trois quatre cinq")
    assert [(c.start, c.end, c.before, c.after) for c in found] == [
        (1, 2, "deux", "2"),
        (4, 4, "", "cinq"),
    ]


def test_accepted_update_replaces_only_the_conflicting_words() -> None:
    """The merge alone glued both rewrites of « mois »; the chosen words replace that spot
    only, and a paragraph break and a capital added live elsewhere stay."""

    def replace(doc: ArticleDoc, old: str, new: str) -> None:
        text = doc.text()
        at, size = len(text[: text.index(old)].encode()), len(old.encode())
        doc.edit(lambda body: (body.__delitem__(slice(at, at + size)), body.insert(at, new)))

    live = ArticleDoc(client_id=1)
    live.edit(lambda body: body.insert(0, "La ville publie ses données chaque mois.\nSuite.\n"))
    fork = fork_of(live)
    amended = ArticleDoc(client_id=2)
    amended.apply(fork.state)
    replace(amended, "mois", "semaine")
    replace(live, "mois", "trimestre")
    replace(live, "Suite", "\nSuite")
    replace(live, "ville", "Ville")
    base = ArticleDoc.from_updates([fork.state]).text()
    changes = own_changes(amended, fork.base_state_vector)
    assert "trimestresemaine" in preview(live.full_update(), changes).text()
    for pick, words in (("ours", "semaine"), ("theirs", "trimestre"), ("mine", "saison")):
        update = accepted_update(
            live,
            changes,
            base,
            amended.text(),
            lambda found, pick=pick: [  # type: ignore[misc]
                c.ours if pick == "ours" else c.theirs if pick == "theirs" else "saison"
                for c in found
            ],
        )
        result = ArticleDoc.from_updates([live.full_update()])
        result.apply(update)
        assert result.text() == f"La Ville publie ses données chaque {words}.\n\nSuite.\n"
