"""Versions as states, and restore as a forward edit.

Applying an old state to a newer doc changes nothing (CRDT updates only add). To bring an
article back to an earlier text, compute the edits that turn today's text into that text and
apply them as a new transaction — visible live, and itself undoable by restoring again.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from pycrdt import Text

from crdt.article import ArticleDoc, Attrs, Op


def _byte_offsets(text: str) -> list[int]:
    """offsets[i] = UTF-8 byte offset of code point i (pycrdt Text indices are bytes)."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + len(char.encode("utf-8")))
    return offsets


def _attribute_keys(*runs: list[Op]) -> set[str]:
    return {key for ops in runs for _, attrs in ops for key in (attrs or {})}


def _rewrite(body: Text, current: str, wanted: str) -> None:
    """Turn the text ``current`` of ``body`` into ``wanted`` by the fewest characters
    deleted and inserted (untouched characters keep their items and formatting)."""
    offsets = _byte_offsets(current)
    opcodes = SequenceMatcher(None, current, wanted, autojunk=False).get_opcodes()
    for op, i1, i2, j1, j2 in reversed(opcodes):  # from the end: earlier offsets hold
        if op in ("replace", "delete"):
            del body[offsets[i1] : offsets[i2]]
        if op in ("replace", "insert"):
            body.insert(offsets[i1], wanted[j1:j2])


def text_edit(doc: ArticleDoc, wanted: str) -> bytes | None:
    """The update that makes ``doc`` read ``wanted``, changing only the characters that
    differ (formatting kept where the text is kept). None when it already does."""
    current = doc.text()
    if current == wanted:
        return None
    return doc.edit(lambda body: _rewrite(body, current, wanted))


def forward_edit(base: ArticleDoc, target: list[Op]) -> bytes | None:
    """The update that makes ``base`` read exactly ``target`` (text and formatting).

    ``base`` should be a scratch copy of the live doc (same history): the returned update
    is then applied to the live doc through ``Room.apply``, like any other edit.
    None when there is nothing to change.
    """
    current = base.text()
    wanted = "".join(text for text, _ in target)
    keys = _attribute_keys(base.ops(), target)

    def change(body: Text) -> None:
        _rewrite(body, current, wanted)
        start = 0
        for text, attrs in target:  # then every run gets exactly its attributes
            end = start + len(text.encode("utf-8"))
            values: Attrs = {key: (attrs or {}).get(key) for key in keys}
            if values and end > start:
                body.format(start, end, values)
            start = end

    if current == wanted and base.ops() == [(t, a) for t, a in target if t]:
        return None
    return base.edit(change)


def restore_update(live_state: bytes, version_state: bytes) -> bytes | None:
    """The update that brings a live article (given as its full state) back to a version."""
    return restore_edit(live_state, version_state)[1]


def restore_edit(live_state: bytes, version_state: bytes) -> tuple[ArticleDoc, bytes | None]:
    """``restore_update``, with the scratch copy that wrote it (its client wrote the words
    brought back: crdt/authors.py gives them their authors again)."""
    scratch = ArticleDoc.from_updates([live_state])
    target = ArticleDoc.from_updates([version_state]).ops()
    return scratch, forward_edit(scratch, target)
