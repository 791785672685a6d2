"""Document names: ``charters/{slug}/articles/{key}``, ``charters/{slug}/amendments/{id}``
and the channel ``charters/{slug}``. URL-safe by construction.

Each document has exactly one name, the one these functions build: the parsers accept
nothing else (no leading or doubled slashes, no leading zeros), so that one socket cannot
join one room several times under aliases."""

from __future__ import annotations

import re

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
KEY = re.compile(r"^[a-z0-9]{1,32}\Z")
AMENDMENT_ID = re.compile(r"^[1-9][0-9]{0,17}\Z")


def article_document(slug: str, key: str) -> str:
    return f"charters/{slug}/articles/{key}"


def amendment_document(slug: str, amendment_id: int) -> str:
    """An amendment's fork: edited live like an article, by its authors."""
    return f"charters/{slug}/amendments/{amendment_id}"


def parse_amendment(name: str) -> tuple[str, int] | None:
    """Return (slug, amendment id), or None if the name is not an amendment's document."""
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "charters" or parts[2] != "amendments":
        return None
    slug, raw = parts[1], parts[3]
    if not SLUG.match(slug) or not AMENDMENT_ID.match(raw):
        return None
    return slug, int(raw)


def charter_channel(slug: str) -> str:
    """The charter-wide channel: presence of everyone, and events pushed by the server."""
    return f"charters/{slug}"


def parse_channel(name: str) -> str | None:
    parts = name.split("/")
    if len(parts) == 2 and parts[0] == "charters" and SLUG.match(parts[1]):
        return parts[1]
    return None


def parse_document(name: str) -> tuple[str, str] | None:
    """Return (slug, article key), or None if the name is not an article document."""
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "charters" or parts[2] != "articles":
        return None
    slug, key = parts[1], parts[3]
    if not SLUG.match(slug) or not KEY.match(key):
        return None
    return slug, key


def is_document_name(name: str) -> bool:
    """Whether ``name`` is written as this server writes document names."""
    parsers = (parse_channel, parse_amendment, parse_document)
    return any(parse(name) is not None for parse in parsers)
