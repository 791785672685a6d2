"""The outbox of e-mails: one row per message, enqueued once per ``key``, claimed by one
instance at a time (a lease: a row left ``sending`` by a crash is due again when it ends),
then marked sent, or retried later with back-off, or failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.tables import outbox

LEASE = timedelta(minutes=5)  # a claimed row is due again this long after (a crash)
MAX_ATTEMPTS = 10  # then ``failed``
FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(hours=1)


def backoff(attempts: int, first: timedelta = FIRST_DELAY) -> timedelta:
    """``first`` (1 min) after the first failure, then twice as long each time, at most an
    hour."""
    delay: timedelta = first * (2 ** min(max(0, attempts - 1), 20))
    return min(delay, LONGEST_DELAY)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class Mail:
    id: int
    charter_id: int
    participant_id: int | None
    to_address: str
    subject: str
    text: str
    html: str | None
    unsubscribe_url: str | None
    key: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


def _mail(row: Any) -> Mail:
    return Mail(
        row.id,
        row.charter_id,
        row.participant_id,
        row.to_address,
        row.subject,
        row.text_body,
        row.html_body,
        row.unsubscribe_url,
        row.key,
        row.status,
        row.attempts,
        _aware(row.next_attempt_at),
        row.last_error,
        _aware(row.sent_at),
    )


class Outbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def enqueue(
        self,
        *,
        charter_id: int,
        participant_id: int | None,
        to_address: str,
        key: str,
        subject: str,
        text: str,
        html: str | None = None,
        unsubscribe_url: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """False if a message with this key was enqueued already (by anyone)."""
        values = {
            "charter_id": charter_id,
            "participant_id": participant_id,
            "to_address": to_address,
            "subject": subject[:200],
            "text_body": text,
            "html_body": html,
            "unsubscribe_url": unsubscribe_url,
            "key": key[:200],
            "status": "pending",
            "next_attempt_at": now or datetime.now(UTC),
        }
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(outbox).values(values))
        except IntegrityError:
            return False
        return True

    async def claim(self, limit: int, now: datetime) -> list[Mail]:
        """Take up to ``limit`` due rows for this instance: pending ones whose time came, and
        ``sending`` ones whose lease ran out. One UPDATE … WHERE status is still what was
        read: two instances never take the same row (PostgreSQL skips the locked ones)."""
        due = or_(
            and_(outbox.c.status == "pending", outbox.c.next_attempt_at <= now),
            and_(outbox.c.status == "sending", outbox.c.claimed_until <= now),
        )
        pick = select(outbox.c.id).where(due).order_by(outbox.c.id).limit(limit)
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            ids = [r.id for r in await conn.execute(pick)]
            if not ids:
                return []
            rows = await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids), due)
                .values(status="sending", claimed_until=now + LEASE)
                .returning(*outbox.c)
            )
            return sorted((_mail(r) for r in rows), key=lambda m: m.id)

    async def sent(self, mail_id: int, now: datetime | None = None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == mail_id)
                .values(
                    status="sent",
                    sent_at=now or datetime.now(UTC),
                    attempts=outbox.c.attempts + 1,
                    claimed_until=None,
                    last_error=None,
                )
            )

    async def hand_back(self, ids: list[int]) -> None:
        """Claimed rows this instance will not send after all (it is stopping): due again
        at once, for any instance, instead of after their lease."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids), outbox.c.status == "sending")
                .values(status="pending", claimed_until=None, next_attempt_at=datetime.now(UTC))
            )

    async def retry_later(
        self, mail_id: int, error: str, now: datetime, first: timedelta = FIRST_DELAY
    ) -> Mail:
        """One more failed attempt: due again after the back-off, or ``failed`` for good."""
        async with self.engine.begin() as conn:
            attempts = (
                await conn.execute(select(outbox.c.attempts).where(outbox.c.id == mail_id))
            ).scalar_one() + 1
            status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == mail_id)
                .values(
                    status=status,
                    attempts=attempts,
                    next_attempt_at=now + backoff(attempts, first),
                    claimed_until=None,
                    last_error=error[:2000],
                )
            )
        return await self.get(mail_id)

    async def count_since(self, key_prefix: str, since: datetime) -> int:
        """Messages whose key starts with ``key_prefix`` enqueued since ``since``."""
        async with self.engine.connect() as conn:
            found = await conn.execute(
                select(func.count()).where(
                    outbox.c.key.startswith(key_prefix, autoescape=True),
                    outbox.c.created_at >= since,
                )
            )
            return int(found.scalar_one())

    async def get(self, mail_id: int) -> Mail:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(outbox).where(outbox.c.id == mail_id))).one()
        return _mail(row)

    async def of_participant(self, participant_id: int) -> list[Mail]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox).where(outbox.c.participant_id == participant_id).order_by("id")
            )
            return [_mail(r) for r in rows]

    async def listed(self, charter_id: int) -> list[Mail]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(outbox).where(outbox.c.charter_id == charter_id).order_by(outbox.c.id)
            )
            return [_mail(r) for r in rows]

    async def forget(self, participant_id: int) -> int:
        """Drop every message to them, sent or not (their account and address are gone)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(outbox).where(outbox.c.participant_id == participant_id)
            )
        return int(result.rowcount)
