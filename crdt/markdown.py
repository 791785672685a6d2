"""Markdown <-> Quill-style runs, and the charter Markdown file format.

A charter file: optional front matter (``title:``, ``language:``) between ``---``
lines, ``# Section`` headings, ``## Article`` headings, then the article body.
Inside a body: paragraphs, ``###``..``#####`` headings (Quill header 1..3),
``-``/``1.`` lists, ``>`` quotes, ``**bold**``, ``*italic*`` and ``[links](url)``.
Pure Python; round-trips what it writes: exporting, importing and exporting again gives
the same file, whatever the text holds (Markdown syntax, line separators, hostile links),
and never changes the outline. Only "\n" ends a line; a link is written only if it is an
address an article may hold (``crdt.protocol.link_allowed``), else its text stays, unlinked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crdt.article import Attrs, Op
from crdt.protocol import link_allowed

# Inside markers, an escaped character (backslash and one more) and a whole link are taken
# whole, so neither an escaped "*" nor a "*" inside an address closes a marker.
_LINK = r"\[(?:\\.|[^\\\]])+\]\([^)\s]+\)"
_INLINE = re.compile(
    r"\\(?P<esc>[\\*_\[\]()#>`~.+-])"
    rf"|\*\*\*(?P<bolditalic>(?:\\.|{_LINK}|[^\\])+?)\*\*\*"
    rf"|\*\*(?P<bold>(?:\\.|{_LINK}|[^\\])+?)\*\*"
    rf"|\*(?P<italic>(?:\\.|{_LINK}|[^\\*])+?)\*"
    r"|\[(?P<label>(?:\\.|[^\\\]])+)\]\((?P<url>[^)\s]+)\)"
)
_SPECIAL = re.compile(r"([\\*_\[\]`~])")
_ORDERED = re.compile(r"^\d+\.\s+")


@dataclass
class ArticleSource:
    title: str
    body: list[Op] = field(default_factory=list)


@dataclass
class SectionSource:
    title: str
    articles: list[ArticleSource] = field(default_factory=list)


@dataclass
class CharterSource:
    title: str | None = None
    language: str | None = None
    sections: list[SectionSource] = field(default_factory=list)


class MarkdownError(ValueError):
    """The Markdown file cannot be read as a charter."""


def parse_inline(text: str, base: Attrs | None = None) -> list[Op]:
    ops: list[Op] = []
    pos = 0
    for match in _INLINE.finditer(text):
        if match.start() > pos:
            ops.append((text[pos : match.start()], base))
        if match["esc"] is not None:
            ops.append((match["esc"], base))
        elif match["bolditalic"] is not None:
            attrs = {**(base or {}), "bold": True, "italic": True}
            ops.extend(parse_inline(match["bolditalic"], attrs))
        elif match["bold"] is not None:
            ops.extend(parse_inline(match["bold"], {**(base or {}), "bold": True}))
        elif match["italic"] is not None:
            ops.extend(parse_inline(match["italic"], {**(base or {}), "italic": True}))
        elif link_allowed(match["url"]):
            ops.extend(parse_inline(match["label"], {**(base or {}), "link": match["url"]}))
        else:  # not an address an article may hold: its text, unlinked
            ops.extend(parse_inline(match["label"], base))
        pos = match.end()
    if pos < len(text):
        ops.append((text[pos:], base))
    return _merge(ops)


def _merge(ops: list[Op]) -> list[Op]:
    merged: list[Op] = []
    for text, attrs in ops:
        if merged and merged[-1][1] == attrs:
            merged[-1] = (merged[-1][0] + text, attrs)
        elif text:
            merged.append((text, attrs))
    return merged


def _line_format(line: str) -> tuple[str, Attrs | None]:
    heading = re.match(r"^(#{3,5})\s+(.*)$", line)
    if heading:
        return heading[2], {"header": len(heading[1]) - 2}
    if line.startswith(("- ", "* ")):
        return line[2:], {"list": "bullet"}
    if _ORDERED.match(line):
        return _ORDERED.sub("", line, count=1), {"list": "ordered"}
    if line.startswith("> "):
        return line[2:], {"blockquote": True}
    return line, None


def _lines(markdown: str) -> list[str]:
    """Lines end at "\n" only (and "\r\n"): other separators are text inside a line."""
    return [line.removesuffix("\r") for line in markdown.split("\n")]


def body_from_markdown(markdown: str) -> list[Op]:
    ops: list[Op] = []
    for raw in _lines(markdown):
        line = raw.rstrip()
        if not line.strip():
            continue
        content, block = _line_format(line.strip())
        ops.extend(parse_inline(content))
        ops.append(("\n", block))
    return _merge(ops)


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def _inline_markdown(text: str, attrs: Attrs | None) -> str:
    """One formatted run; spaces at its edges stay outside the markers (``** word**`` is not
    bold in Markdown)."""
    core = text.strip(" ")
    if not core or not attrs:
        return _escape(text)
    lead, trail = text[: len(text) - len(text.lstrip(" "))], text[len(text.rstrip(" ")) :]
    return lead + _wrap(_escape(core), attrs) + trail


def _inline_attrs(attrs: Attrs | None) -> Attrs | None:
    """What Markdown writes of a run's attributes: bold, italic, and a link an article may
    hold (runs that differ only in what is not written are written as one)."""
    kept = {k: v for k, v in (attrs or {}).items() if k in ("bold", "italic") and v}
    link = (attrs or {}).get("link")
    if isinstance(link, str) and link_allowed(link):
        kept["link"] = link
    return kept or None


def _wrap(out: str, attrs: Attrs) -> str:
    link = attrs.get("link")
    if isinstance(link, str) and link_allowed(link):
        out = f"[{out}]({link.replace('(', '%28').replace(')', '%29')})"
    if attrs.get("italic"):
        out = f"*{out}*"
    if attrs.get("bold"):
        out = f"**{out}**"
    return out


def _block_prefix(block: Attrs | None, number: int) -> str:
    block = block or {}
    if block.get("header"):
        return "#" * (int(block["header"]) + 2) + " "
    if block.get("list") == "bullet":
        return "- "
    if block.get("list") == "ordered":
        return f"{number}. "
    if block.get("blockquote"):
        return "> "
    return ""


def _protect_start(line: str) -> str:
    """Escape what would otherwise read as a block marker at the start of a line."""
    if re.match(r"^(#|-\s|\d+\.\s|>)", line):
        return "\\" + line if not line[0].isdigit() else line.replace(".", "\\.", 1)
    return line


def lines_of(ops: list[Op]) -> list[tuple[list[Op], Attrs | None]]:
    """Split runs into Quill lines: each line's inline runs and its block attributes."""
    lines: list[tuple[list[Op], Attrs | None]] = []
    current: list[Op] = []
    for text, attrs in ops:
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if part:
                current.append((part, attrs))
            if i < len(parts) - 1:
                lines.append((current, attrs))
                current = []
    if current:
        lines.append((current, None))
    return lines


def markdown_from_ops(ops: list[Op]) -> str:
    out: list[str] = []
    previous_list = None
    number = 0
    for runs, block in lines_of(ops):
        # Spaces at the edges of a line and empty lines do not survive Markdown: not written.
        written = _merge([(text, _inline_attrs(attrs)) for text, attrs in runs])
        body = "".join(_inline_markdown(t, a) for t, a in written).strip()
        if not body:
            continue
        kind = (block or {}).get("list")
        number = number + 1 if kind == "ordered" and previous_list == "ordered" else 1
        line = _block_prefix(block, number) + (_protect_start(body) if not block else body)
        if out and not (kind and kind == previous_list):
            out.append("")
        out.append(line)
        previous_list = kind
    return "\n".join(out) + ("\n" if out else "")


def one_line(text: str) -> str:
    """A title or a front-matter value on one line: any line separator becomes a space."""
    return " ".join(text.splitlines()).strip()


def charter_markdown(charter: CharterSource, front: list[str] | None = None) -> str:
    """The charter file: front matter (title, language and any ``front`` lines), then each
    section and article; ``parse_charter`` reads it back as the same outline and text."""
    head = [
        f"title: {one_line(charter.title or '')}",
        f"language: {one_line(charter.language or '')}",
    ]
    head.extend(one_line(line) for line in front or [])
    parts = ["---\n" + "\n".join(head) + "\n---\n"]
    for section in charter.sections:
        parts.append(f"# {one_line(section.title)}\n")
        for article in section.articles:
            parts.append(f"## {one_line(article.title)}\n")
            body = markdown_from_ops(article.body)
            if body:
                parts.append(body)
    return "\n".join(parts)


def parse_charter(markdown: str) -> CharterSource:
    charter = CharterSource()
    lines = _lines(markdown)
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), None)
        if end is None:
            raise MarkdownError("front matter is not closed by '---'")
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            if key.strip() == "title":
                charter.title = value.strip()
            elif key.strip() == "language":
                charter.language = value.strip()
        lines = lines[end + 1 :]
    body: list[str] = []

    def close_article() -> None:
        if charter.sections and charter.sections[-1].articles:
            charter.sections[-1].articles[-1].body = body_from_markdown("\n".join(body))
        body.clear()

    for number, line in enumerate(lines, 1):
        if line.startswith("# "):
            close_article()
            charter.sections.append(SectionSource(line[2:].strip()))
        elif line.startswith("## "):
            close_article()
            if not charter.sections:
                raise MarkdownError(f"line {number}: article before any '# Section' heading")
            charter.sections[-1].articles.append(ArticleSource(line[3:].strip()))
        elif line.strip() and not (charter.sections and charter.sections[-1].articles):
            raise MarkdownError(f"line {number}: text outside an article")
        else:
            body.append(line)
    close_article()
    if not charter.sections:
        raise MarkdownError("no '# Section' heading found")
    return charter
