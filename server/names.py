"""Document names: ``charters/{slug}/articles/{key}``, ``charters/{slug}/amendments/{id}``
and the channel ``charters/{slug}``. URL-safe by construction."""

from __future__ import annotations

import re

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
KEY = re.compile(r"^[a-z0-9]{1,32}$")


def article_document(slug: str, key: str) -> str:
    return f"charters/{slug}/articles/{key}"


def amendment_document(slug: str, amendment_id: int) -> str:
    """An amendment's fork: edited live like an article, by its authors."""
    return f"charters/{slug}/amendments/{amendment_id}"


def parse_amendment(name: str) -> tuple[str, int] | None:
    """Return (slug, amendment id), or None if the name is not an amendment's document."""
    parts = name.strip("/").split("/")
    if len(parts) != 4 or parts[0] != "charters" or parts[2] != "amendments":
        return None
    slug, raw = parts[1], parts[3]
    if not SLUG.match(slug) or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return slug, int(raw)


def charter_channel(slug: str) -> str:
    """The charter-wide channel: presence of everyone, and events pushed by the server."""
    return f"charters/{slug}"


def parse_channel(name: str) -> str | None:
    parts = name.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "charters" and SLUG.match(parts[1]):
        return parts[1]
    return None


def parse_document(name: str) -> tuple[str, str] | None:
    """Return (slug, article key), or None if the name is not an article document."""
    parts = name.strip("/").split("/")
    if len(parts) != 4 or parts[0] != "charters" or parts[2] != "articles":
        return None
    slug, key = parts[1], parts[3]
    if not SLUG.match(slug) or not KEY.match(key):
        return None
    return slug, key
