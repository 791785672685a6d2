"""Invites, participants and server keys as records. Secrets arrive already hashed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.repo import NotFound
from persistence.tables import charters, invites, participants, server_keys


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone: they were written in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class InviteRecord:
    id: int
    charter_id: int
    role: str
    nonce: str
    label: str
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    revoked_at: datetime | None

    def unusable_reason(self, now: datetime) -> str | None:
        if self.revoked_at is not None:
            return "this invitation has been revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "this invitation has expired"
        if self.max_uses is not None and self.uses >= self.max_uses:
            return "this invitation has been used up"
        return None


@dataclass(frozen=True)
class ParticipantRecord:
    id: int
    charter_id: int
    name: str
    badge: str | None
    role: str
    secret_hash: str
    blocked: bool
    kind: str


def _invite(row: Any) -> InviteRecord:
    return InviteRecord(
        row.id,
        row.charter_id,
        row.role,
        row.nonce,
        row.label,
        _aware(row.expires_at),
        row.max_uses,
        row.uses,
        _aware(row.revoked_at),
    )


def participant_record(row: Any) -> ParticipantRecord:
    return ParticipantRecord(
        row.id,
        row.charter_id,
        row.name,
        row.badge,
        row.role,
        row.secret_hash,
        bool(row.blocked),
        row.kind,
    )


class People:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    # -- invites --

    async def create_invite(
        self,
        charter_id: int,
        role: str,
        nonce: str,
        *,
        label: str = "",
        expires_at: datetime | None = None,
        max_uses: int | None = None,
        created_by: int | None = None,
    ) -> InviteRecord:
        async with self.engine.begin() as conn:
            invite_id = (
                await conn.execute(
                    insert(invites)
                    .values(
                        charter_id=charter_id,
                        role=role,
                        nonce=nonce,
                        label=label,
                        expires_at=expires_at,
                        max_uses=max_uses,
                        created_by=created_by,
                    )
                    .returning(invites.c.id)
                )
            ).scalar_one()
        return await self.get_invite(invite_id)

    async def get_invite(self, invite_id: int) -> InviteRecord:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(invites).where(invites.c.id == invite_id))).first()
        if row is None:
            raise NotFound(f"no invite {invite_id}")
        return _invite(row)

    async def list_invites(self, charter_id: int) -> list[InviteRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(invites).where(invites.c.charter_id == charter_id).order_by(invites.c.id)
            )
            return [_invite(r) for r in rows]

    async def revoke_invite(self, charter_id: int, invite_id: int, now: datetime) -> InviteRecord:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(invites)
                .where(invites.c.id == invite_id, invites.c.charter_id == charter_id)
                .values(revoked_at=now)
            )
        if result.rowcount == 0:
            raise NotFound(f"no invite {invite_id}")
        return await self.get_invite(invite_id)

    async def redeem_invite(
        self, invite: InviteRecord, name: str, badge: str | None, secret_hash: str
    ) -> ParticipantRecord | None:
        """Use one place of the invite and create the participant, atomically.
        None if the invite was used up or revoked in the meantime (expiry is checked by
        the caller with ``unusable_reason``)."""
        async with self.engine.begin() as conn:
            taken = await conn.execute(
                update(invites)
                .where(
                    invites.c.id == invite.id,
                    invites.c.revoked_at.is_(None),
                    (invites.c.max_uses.is_(None)) | (invites.c.uses < invites.c.max_uses),
                )
                .values(uses=invites.c.uses + 1)
            )
            if taken.rowcount == 0:
                return None
            participant_id = (
                await conn.execute(
                    insert(participants)
                    .values(
                        charter_id=invite.charter_id,
                        name=name,
                        badge=badge,
                        role=invite.role,
                        secret_hash=secret_hash,
                        invite_id=invite.id,
                    )
                    .returning(participants.c.id)
                )
            ).scalar_one()
        return await self.get_participant(participant_id)

    # -- participants --

    async def create_participant(
        self,
        charter_id: int,
        name: str,
        role: str,
        secret_hash: str,
        *,
        kind: str = "person",
        badge: str | None = None,
    ) -> ParticipantRecord:
        async with self.engine.begin() as conn:
            participant_id = (
                await conn.execute(
                    insert(participants)
                    .values(
                        charter_id=charter_id,
                        name=name,
                        badge=badge,
                        role=role,
                        secret_hash=secret_hash,
                        kind=kind,
                    )
                    .returning(participants.c.id)
                )
            ).scalar_one()
        return await self.get_participant(participant_id)

    async def get_participant(self, participant_id: int) -> ParticipantRecord:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(participants).where(participants.c.id == participant_id))
            ).first()
        if row is None:
            raise NotFound(f"no participant {participant_id}")
        return participant_record(row)

    async def list_participants(self, charter_id: int) -> list[ParticipantRecord]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(participants)
                .where(participants.c.charter_id == charter_id)
                .order_by(participants.c.id)
            )
            return [participant_record(r) for r in rows]

    async def update_participant(
        self, charter_id: int, participant_id: int, **values: Any
    ) -> ParticipantRecord:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(participants)
                .where(participants.c.id == participant_id, participants.c.charter_id == charter_id)
                .values(**values)
            )
        if result.rowcount == 0:
            raise NotFound(f"no participant {participant_id}")
        return await self.get_participant(participant_id)

    # -- charters' openness and server keys --

    async def set_public_read(self, charter_id: int, public: bool) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(charters).where(charters.c.id == charter_id).values(public_read=public)
            )

    async def set_open_data(
        self,
        charter_id: int,
        *,
        licence: str | None = None,
        discussion: bool | None = None,
        names: bool | None = None,
    ) -> None:
        """The licence of the published text, whether open data carries the discussion, and
        whether its drafting log names the authors."""
        values: dict[str, object] = {}
        if names is not None:
            values["open_data_names"] = names
        if licence is not None:
            values["licence"] = licence
        if discussion is not None:
            values["open_data_discussion"] = discussion
        if values:
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(charters).where(charters.c.id == charter_id).values(values)
                )

    async def server_key(self, name: str, generate: str) -> str:
        """The stored value of ``name``; ``generate`` is stored if there is none yet."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(server_keys.c.value).where(server_keys.c.name == name))
            ).first()
        if row is not None:
            return str(row.value)
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(server_keys).values(name=name, value=generate))
        except IntegrityError:  # another instance stored one first: use theirs
            return await self.server_key(name, generate)
        return generate
