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


_SENTENCE_END = frozenset(".!?…")
# Inside diff_words, tokens are plain (space, text) tuples: ``re.findall`` builds them in C,
# several times faster than Token objects on a 30,000-word charter.
Raw = tuple[str, str]
Opcode = tuple[str, list[Raw], list[Raw]]  # (equal|delete|insert|replace, old, new)


def _raw(text: str) -> list[Raw]:
    found: list[Raw] = _TOKEN.findall(unicodedata.normalize("NFC", text))
    return found


def _words(parts: list[Raw]) -> int:
    return sum(text[:1].isalnum() or text[:1] == "_" for _, text in parts)


def _text(parts: list[Raw], first: bool) -> str:
    out = "".join(space + text for space, text in parts)
    return out.lstrip() if first else out


def _sentences(parts: list[Raw]) -> list[list[Raw]]:
    """Tokens cut after each sentence-ending mark (whitespace plays no part)."""
    found: list[list[Raw]] = []
    current: list[Raw] = []
    for token in parts:
        current.append(token)
        if token[1] in _SENTENCE_END:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def _word_opcodes(a: list[Raw], b: list[Raw]) -> list[Opcode]:
    matcher = SequenceMatcher(None, [t[1] for t in a], [t[1] for t in b], autojunk=False)
    return [(op, a[i1:i2], b[j1:j2]) for op, i1, i2, j1, j2 in matcher.get_opcodes()]


def _flat(sentences: list[list[Raw]]) -> list[Raw]:
    return [token for sentence in sentences for token in sentence]


def _opcodes(a: list[Raw], b: list[Raw]) -> list[Opcode]:
    """Word opcodes, computed sentence by sentence: sentences are matched first, then
    words only inside the sentences that differ. Word matching is quadratic in the worst
    case; on a long article this keeps it to a few short sentences."""
    sa, sb = _sentences(a), _sentences(b)
    keys_a = [tuple(t[1] for t in s) for s in sa]
    keys_b = [tuple(t[1] for t in s) for s in sb]
    found: list[Opcode] = []
    matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            found.append(("equal", _flat(sa[i1:i2]), _flat(sb[j1:j2])))
        elif op == "replace" and i2 - i1 == j2 - j1:  # as many sentences: pair them
            for old, new in zip(sa[i1:i2], sb[j1:j2], strict=True):
                found.extend(_word_opcodes(old, new))
        else:
            found.extend(_word_opcodes(_flat(sa[i1:i2]), _flat(sb[j1:j2])))
    return found


def diff_words(old: str, new: str) -> Diff:
    hunks: list[Hunk] = []
    added = removed = 0

    def push(kind: Kind, parts: list[Raw]) -> None:
        if not parts:
            return
        if hunks and hunks[-1].kind == kind:  # two sentences' hunks meet
            hunks[-1] = Hunk(kind, hunks[-1].text + _text(parts, False))
        else:
            hunks.append(Hunk(kind, _text(parts, not hunks)))

    for op, a, b in _opcodes(_raw(old), _raw(new)):
        if op == "equal":
            push("equal", b)
            continue
        if op in ("delete", "replace"):
            push("delete", a)
            removed += _words(a)
        if op in ("insert", "replace"):
            push("insert", b)
            added += _words(b)
    return Diff(hunks, added, removed)
