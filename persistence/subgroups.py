"""Sub-groups and bundles as records.

A sub-group is a row beside its amendment (its draft, a fork of the article): the
amendment's authors are the group's members. A bundle is claimed in one transaction: every
amendment of it moves from open to accepted, or none does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.repo import NotFound
from persistence.tables import amendment_authors, amendment_events, amendments, subgroups

GROUP_STATUSES = ("open", "merged", "closed")


@dataclass(frozen=True)
class SubgroupRecord:
    id: int
    charter_id: int
    article_id: int
    amendment_id: int
    name: str
    letter: str
    colour: str
    status: str
    created_at: datetime


class _Lost(Exception):
    """One amendment of a bundle was decided meanwhile: the whole claim rolls back."""


class Subgroups:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(
        self, charter_id: int, article_id: int, amendment_id: int, name: str, colour: str
    ) -> SubgroupRecord:
        async with self.engine.begin() as conn:
            taken = (
                await conn.execute(
                    select(subgroups.c.letter).where(subgroups.c.article_id == article_id)
                )
            ).scalars()
            letter = _next_letter(set(taken))
            made = (
                await conn.execute(
                    insert(subgroups)
                    .values(
                        charter_id=charter_id,
                        article_id=article_id,
                        amendment_id=amendment_id,
                        name=name,
                        letter=letter,
                        colour=colour,
                        status="open",
                    )
                    .returning(subgroups.c.id)
                )
            ).scalar_one()
        return await self.get(charter_id, made)

    async def get(self, charter_id: int, group_id: int) -> SubgroupRecord:
        found = await self._select(
            (subgroups.c.charter_id == charter_id) & (subgroups.c.id == group_id)
        )
        if not found:
            raise NotFound(f"no sub-group {group_id}")
        return found[0]

    async def find(
        self, charter_id: int, *, article_id: int | None = None, status: str | None = None
    ) -> list[SubgroupRecord]:
        where = subgroups.c.charter_id == charter_id
        if article_id is not None:
            where &= subgroups.c.article_id == article_id
        if status is not None:
            where &= subgroups.c.status == status
        return await self._select(where)

    async def of_amendments(self, amendment_ids: Iterable[int]) -> dict[int, SubgroupRecord]:
        """The sub-group of each amendment that is a group's draft, by amendment id."""
        found = await self._select(subgroups.c.amendment_id.in_(list(amendment_ids)))
        return {g.amendment_id: g for g in found}

    async def _select(self, where: object) -> list[SubgroupRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(subgroups).where(where).order_by(subgroups.c.id))  # type: ignore[arg-type]
            return [
                SubgroupRecord(
                    r.id,
                    r.charter_id,
                    r.article_id,
                    r.amendment_id,
                    r.name,
                    r.letter,
                    r.colour,
                    r.status,
                    r.created_at,
                )
                for r in rows
            ]

    async def change(self, group_id: int, **values: str) -> None:
        """Name, colour or status; a new name is its draft's title too."""
        async with self.engine.begin() as conn:
            await conn.execute(update(subgroups).where(subgroups.c.id == group_id).values(**values))
            if "name" in values:
                draft = select(subgroups.c.amendment_id).where(subgroups.c.id == group_id)
                await conn.execute(
                    update(amendments)
                    .where(amendments.c.id == draft.scalar_subquery())
                    .values(title=values["name"], author_name=values["name"])
                )

    async def set_members(self, amendment_id: int, members: Iterable[int]) -> None:
        """The draft's authors become exactly ``members``."""
        rows = [{"amendment_id": amendment_id, "participant_id": p} for p in sorted(set(members))]
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(amendment_authors).where(amendment_authors.c.amendment_id == amendment_id)
            )
            if rows:
                await conn.execute(insert(amendment_authors), rows)

    async def claim_bundle(
        self,
        amendment_ids: Sequence[int],
        changes: dict[int, bytes],
        version_before_id: int,
        who: tuple[int | None, str],
        reason: str | None,
    ) -> bool:
        """Every amendment from open to accepted with its own changes and the version before,
        in one transaction; False (and nothing changed) if one of them was not open."""
        try:
            async with self.engine.begin() as conn:
                for amendment_id in amendment_ids:
                    done = await conn.execute(
                        update(amendments)
                        .where(amendments.c.id == amendment_id, amendments.c.status == "open")
                        .values(
                            status="accepted",
                            merged_update=changes[amendment_id],
                            version_before_id=version_before_id,
                        )
                    )
                    if done.rowcount != 1:
                        raise _Lost
                    await conn.execute(
                        insert(amendment_events).values(
                            amendment_id=amendment_id,
                            status="accepted",
                            participant_id=who[0],
                            participant_name=who[1],
                            reason=reason,
                        )
                    )
        except _Lost:
            return False
        return True

    async def set_version_after(self, amendment_ids: Sequence[int], version_id: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(amendments)
                .where(amendments.c.id.in_(list(amendment_ids)))
                .values(version_after_id=version_id)
            )


def _next_letter(taken: set[str]) -> str:
    for n in range(1, 27 * 27):
        letter = _letters(n)
        if letter not in taken:
            return letter
    raise ValueError("too many sub-groups")


def _letters(n: int) -> str:
    """1 → A, 26 → Z, 27 → AA."""
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out
