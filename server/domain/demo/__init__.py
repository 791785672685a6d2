"""The demo charter: the three axes of the Nantes open-governance workshop, in French."""

from __future__ import annotations

from pathlib import Path

from crdt.markdown import parse_charter
from persistence.repo import CharterRecord, Repo
from server.domain.charters import create_from_source

DEMO_SLUG = "gouvernance-ouverte"
DEMO_FILE = Path(__file__).parent / "charte-nantes.md"


async def seed_demo(repo: Repo) -> CharterRecord:
    """Written once, as CRDT updates, when the charter is created; never re-seeded."""
    source = parse_charter(DEMO_FILE.read_text(encoding="utf-8"))
    return await create_from_source(
        repo, DEMO_SLUG, source.title or "Charte", source.language or "fr", source
    )
