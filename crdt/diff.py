"""Word-level diff of two texts, readable for French: pure, no I/O.

Texts are split into tokens — words (with their apostrophes and hyphens: « l’atelier »,
« peut-être »), numbers, and single punctuation marks — each remembering the space before it.
Tokens are compared after Unicode NFC normalisation, so « é » typed either way is the same,
and whitespace never counts as a change (a reflowed paragraph is unchanged).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Kind = Literal["equal", "insert", "delete"]

_TOKEN = re.compile(r"(\s*)(\w+(?:['’\-]\w+)*|[^\w\s])", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Token:
    space: str  # the whitespace before it, as typed (shown, never compared)
    text: str

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalnum() or self.text[:1] == "_"


@dataclass(frozen=True, slots=True)
class Hunk:
    kind: Kind
    text: str  # the tokens of the hunk with their original spacing

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


@dataclass(frozen=True, slots=True)
class Diff:
    hunks: list[Hunk]
    words_added: int
    words_removed: int

    @property
    def changed(self) -> bool:
        return any(h.kind != "equal" for h in self.hunks)


def tokens(text: str) -> list[Token]:
    text = unicodedata.normalize("NFC", text)
    return [Token(m[1], m[2]) for m in _TOKEN.finditer(text)]


def _join(parts: list[Token], first: bool) -> str:
    out = "".join(t.space + t.text for t in parts)
    return out.lstrip() if first else out


def diff_words(old: str, new: str) -> Diff:
    a, b = tokens(old), tokens(new)
    matcher = SequenceMatcher(None, [t.text for t in a], [t.text for t in b], autojunk=False)
    hunks: list[Hunk] = []
    added = removed = 0

    def push(kind: Kind, parts: list[Token]) -> None:
        if parts:
            hunks.append(Hunk(kind, _join(parts, not hunks)))

    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            push("equal", b[j1:j2])
            continue
        if op in ("delete", "replace"):
            push("delete", a[i1:i2])
            removed += sum(t.is_word for t in a[i1:i2])
        if op in ("insert", "replace"):
            push("insert", b[j1:j2])
            added += sum(t.is_word for t in b[j1:j2])
    return Diff(hunks, added, removed)
