"""What ``charter check`` reads: every document's stored pieces and every stored state,
as bytes (checking that they decode is the CRDT side's business)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.tables import (
    amendments,
    doc_checkpoints,
    doc_states,
    doc_updates,
    documents,
    version_articles,
)


@dataclass(frozen=True)
class StoredDocument:
    id: int
    kind: str  # article | amendment
    checkpoint: bytes | None
    updates: list[bytes]  # the rows not folded yet, in log order

    @property
    def bytes(self) -> int:
        return len(self.checkpoint or b"") + sum(len(u) for u in self.updates)


async def stored_documents(engine: AsyncEngine) -> AsyncIterator[StoredDocument]:
    """Every document, one at a time (a large charter never sits in memory at once)."""
    async with engine.connect() as conn:
        listed = (
            await conn.execute(select(documents.c.id, documents.c.kind).order_by(documents.c.id))
        ).all()
    for row in listed:
        async with engine.connect() as conn:
            async with conn.begin():  # the checkpoint and the rows of one moment
                checkpoint = (
                    await conn.execute(
                        select(doc_checkpoints.c.state).where(
                            doc_checkpoints.c.document_id == row.id
                        )
                    )
                ).scalar()
                updates = (
                    await conn.execute(
                        select(doc_updates.c.update)
                        .where(doc_updates.c.document_id == row.id)
                        .order_by(doc_updates.c.seq)
                    )
                ).scalars()
                yield StoredDocument(int(row.id), str(row.kind), checkpoint, list(updates))


async def stored_states(engine: AsyncEngine) -> AsyncIterator[tuple[str, bytes, bool]]:
    """Every saved state (versions' articles, amendments' bases): its hash, its bytes and
    whether the bytes still have that hash."""
    async with engine.connect() as conn:
        hashes = (
            (await conn.execute(select(doc_states.c.hash).order_by(doc_states.c.hash)))
            .scalars()
            .all()
        )
    for digest in hashes:
        async with engine.connect() as conn:
            state = bytes(
                (
                    await conn.execute(
                        select(doc_states.c.state).where(doc_states.c.hash == digest)
                    )
                ).scalar_one()
            )
        yield digest, state, hashlib.sha256(state).hexdigest() == digest


async def drop_orphan_states(engine: AsyncEngine) -> int:
    """Delete saved states no version and no amendment names any more (left by a deleted
    charter): derivable garbage, never history. Returns how many went."""
    used = select(version_articles.c.state_hash).union(select(amendments.c.base_state_hash))
    async with engine.begin() as conn:
        gone = await conn.execute(delete(doc_states).where(doc_states.c.hash.not_in(used)))
        return int(gone.rowcount or 0)
