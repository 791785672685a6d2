"""Queueing digests and instant notices in the outbox (server/domain/mail.py), under a key
that makes two instances queue each one once: ``digest:{participant}:{period}`` at each
period boundary (a loop in the app's task group), ``reply:{comment}:{participant}`` when a
comment replies to someone or @mentions them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from persistence.comments import ThreadRecord
from persistence.repo import CharterRecord, NotFound
from server.domain import mail, rounds
from server.domain.digest_mail import Say, comment_line, render, thread_url, unsubscribe_url
from server.domain.digests import (
    CommentLine,
    boundary,
    compose,
    gather,
    mentions,
    period_key,
    period_length,
)
from server.i18n import content_language, translate
from server.services import Services

log = logging.getLogger("charter.digests")


# -- sending: digests at each period boundary, notices when a comment is posted --


async def send_digests(services: Services, charter: CharterRecord, now: datetime) -> int:
    """Queue the digests of this charter that are due at ``now``; how many were queued. Each
    participant's period is claimed once (two instances: one of them queues it)."""
    follows = services.stores.follows
    wanted = {
        p: f for p, f in (await follows.preferences(charter.id)).items() if f.frequency != "none"
    }
    due = {p: f for p, f in wanted.items() if f.last_digest_period != period_key(f.frequency, now)}
    if not due:
        return 0
    data = await gather(services, charter)
    queued = 0
    for participant_id, prefs in due.items():
        if services.stopping.is_set():  # a period claimed is always queued: stop before
            break
        if participant_id not in data.people or data.people[participant_id].blocked:
            continue
        period = period_key(prefs.frequency, now)
        since = prefs.last_digest_at or boundary(prefs.frequency, now) - period_length(
            prefs.frequency
        )
        digest = compose(data, participant_id, since)
        if not await follows.claim_period(participant_id, period, now) or digest.empty:
            continue
        subject, text, html = render(
            digest, services.settings.base_url, unsubscribe_url(services, participant_id)
        )
        sent = await mail.enqueue(
            services,
            charter_id=charter.id,
            participant_id=participant_id,
            key=f"digest:{participant_id}:{period}",
            subject=subject,
            text=text,
            html=html,
            unsubscribe_url=unsubscribe_url(services, participant_id),
        )
        if sent:  # what they were told is what they saw: the next digest starts there
            queued += 1
            marks = [(participant_id, a, data.now_marks[a]) for a in digest.followed]
            await follows.put_marks(marks)
    return queued


async def every_period(services: Services, every: float = 60.0) -> None:
    """Runs in the app's task group: every minute, queue the digests that are due. A
    charter deleted meanwhile is left for the next round, like the database being away."""
    await rounds.every(services, every, _queue_due, log, "queueing digests", (NotFound,))


async def _queue_due(services: Services) -> None:
    for charter in await services.repo.list_charters():
        if services.stopping.is_set():
            return
        await send_digests(
            services, await services.repo.get_charter(charter.slug), datetime.now(UTC)
        )


async def notify_comment(
    services: Services, charter_id: int, thread_id: int, comment_id: int | None
) -> int:
    """Instant notices of a new comment: to those who wrote earlier in the thread, and those
    it @mentions, who asked for them; never to its author. How many were queued."""
    prefs = await services.stores.follows.preferences(charter_id)
    if not any(f.instant_replies for f in prefs.values()):
        return 0
    thread = await services.stores.comments.thread(charter_id, thread_id)
    comment = next(c for c in thread.comments if comment_id in (None, c.id))
    wanting = {p for p, f in prefs.items() if f.instant_replies and p != comment.author_id}
    earlier = {c.author_id for c in thread.comments if c.id < comment.id and c.author_id}
    people = {p.id: p for p in await services.people.list_participants(charter_id)}
    charter = next(c for c in await services.repo.list_charters() if c.id == charter_id)
    queued = 0
    for participant_id in sorted(wanting):
        person = people.get(participant_id)
        if person is None or person.blocked:
            continue
        mention = mentions(comment.body, person.name)
        if not mention and participant_id not in earlier:
            continue
        queued += await _notice(
            services, charter, thread, CommentLine(thread, comment, mention), participant_id
        )
    return queued


async def _notice(
    services: Services,
    charter: CharterRecord,
    thread: ThreadRecord,
    line: CommentLine,
    participant_id: int,
) -> int:
    lang = content_language(charter.language)
    say: Say = lambda key, **values: translate(lang, key, **values)  # noqa: E731
    subject = say(
        "mention_subject" if line.mention else "reply_subject",
        author=line.comment.author_name,
        charter=charter.title,
    )
    link = thread_url(services.settings.base_url, charter, thread)
    unsubscribe = unsubscribe_url(services, participant_id)
    text = f"{comment_line(say, line)}\n{link}\n\n{say('digest_unsubscribe', url=unsubscribe)}\n"
    queued = await mail.enqueue(
        services,
        charter_id=charter.id,
        participant_id=participant_id,
        key=f"reply:{line.comment.id}:{participant_id}",
        subject=subject,
        text=text,
        unsubscribe_url=unsubscribe,
    )
    return int(queued)
