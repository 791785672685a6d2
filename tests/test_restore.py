"""Restore is a forward edit: text and formatting come back, history is kept."""

from __future__ import annotations

from crdt.article import ArticleDoc, update_from_ops
from crdt.markdown import body_from_markdown
from crdt.versions import restore_update


def article(markdown: str) -> ArticleDoc:
    return ArticleDoc.from_updates([update_from_ops(body_from_markdown(markdown))])


def test_restore_brings_back_text_and_formatting_as_a_new_edit() -> None:
    live = article("Les **élus** décident 😀 seuls.\n- un\n- deux")
    version = live.full_update()
    live.edit(lambda body: body.insert(0, "Préambule ajouté. "))
    live.edit(lambda body: body.format(0, 9, {"italic": True}))
    live.edit(lambda body: body.__delitem__(slice(len(str(body).encode()) - 5, None)))
    assert live.text() != ArticleDoc.from_updates([version]).text()

    update = restore_update(live.full_update(), version)
    assert update is not None
    peer = ArticleDoc.from_updates([live.full_update()])  # another replica of today's text
    live.apply(update)
    peer.apply(update)
    old = ArticleDoc.from_updates([version])
    assert live.text() == peer.text() == old.text()
    assert live.ops() == old.ops()
    # The edit is forward: applying the old state again changes nothing more.
    assert live.apply(version) is None


def test_restoring_the_current_text_changes_nothing() -> None:
    live = article("Rien ne change, même les accents : é, à, ç 🎉.")
    assert restore_update(live.full_update(), live.full_update()) is None


def test_restore_is_undone_by_restoring_again() -> None:
    live = article("Version A du texte.")
    a = live.full_update()
    live.edit(lambda body: body.insert(0, "Ajout B. "))
    b = live.full_update()
    first = restore_update(b, a)
    assert first is not None
    live.apply(first)
    assert live.text() == "Version A du texte.\n"
    second = restore_update(live.full_update(), b)
    assert second is not None
    live.apply(second)
    assert live.text() == "Ajout B. Version A du texte.\n"
