"""What the room's votes leave behind, read out: the open-data export's list and the
versions' timeline (each version with the votes it was saved for)."""

from __future__ import annotations

from typing import Any

from persistence.repo import CharterRecord
from persistence.versions import VersionRecord
from server.domain.votes import listed, vote_json
from server.services import Services


async def open_data(
    services: Services, charter: CharterRecord, version: VersionRecord | None
) -> list[dict[str, Any]]:
    """The votes as open data, oldest first (of a version: those opened by then); names
    only for public votes."""
    found = await listed(services, charter)
    return [
        vote_json(v)
        for v in reversed(found)
        if version is None or (v.version_before_id or 0) <= version.id
    ]


async def by_version(services: Services, charter_id: int) -> dict[int, list[dict[str, Any]]]:
    """The votes each version was saved for (at opening, or at closing when the text
    changed meanwhile): the versions' timeline shows them."""
    found: dict[int, list[dict[str, Any]]] = {}
    for v in await services.stores.votes.find(charter_id):
        for version_id in (v.version_before_id, v.version_after_id):
            if version_id is not None:
                found.setdefault(version_id, []).append(vote_json(v))
    return found
