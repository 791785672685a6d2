"""Reverting one participant's edits on an article since a step of its drafting history
(vandalism in a public phase): previewed as a word diff, applied as one forward edit
through the room, recorded in the public moderation log, and itself undone by restoring
the version saved just before it (crdt/moderation.py computes the text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio

from crdt.article import ArticleDoc
from crdt.diff import diff_words
from crdt.history import deletions_of, state_at
from crdt.moderation import reverted_text
from crdt.versions import text_edit
from persistence.moderation import RevertRecord
from persistence.people import ParticipantRecord
from persistence.repo import ArticleRecord, CharterRecord, NotFound
from server.access import Principal
from server.domain.provenance import authorship_of, history
from server.domain.restore import restore_label
from server.domain.versions import auto_version
from server.errors import ConflictError, Invalid
from server.live.rooms import ServerEdit
from server.names import article_document
from server.services import Services

MAX_REASON = 500


@dataclass
class Plan:
    """What reverting would do: the text now, the text after, and the word diff."""

    participant: ParticipantRecord
    since: int  # the step's position in the update log
    since_at: datetime
    before: str
    after: str
    hunks: list[dict[str, Any]]
    removed: int  # words that go (theirs, typed since)
    restored: int  # words that come back (deleted by them since)
    past_state: bytes  # the article at the step: what the revert is computed against
    theirs: set[int]  # their Yjs clients
    deleted: dict[int, list[tuple[int, int]]]  # what they deleted since: {client: ranges}


async def plan(
    services: Services,
    charter: CharterRecord,
    article: ArticleRecord,
    participant_id: int,
    since: int,
) -> Plan:
    try:
        person = await services.people.get_participant(participant_id)
    except NotFound:
        person = None
    if person is None or person.charter_id != charter.id:
        raise Invalid("participant must be a participant of this charter", field="participant")
    past = await history(services, charter, article)
    step = next((s for s in past.steps if s[0] == since), None)
    if step is None:
        raise Invalid(
            "since must be the position of a step of the article's history", field="since"
        )
    live = await services.article_doc(article.document_id)
    live_state = live.full_update()
    before = live.text()
    authorship = await authorship_of(services, article.document_id)
    theirs = {c for c, origin in authorship.clients.items() if origin.participant_id == person.id}
    # What they deleted since, and since their last revert on this article (given back).
    floor = max(
        [since]
        + [
            r.at_position
            for r in await services.stores.moderation.reverts(charter.id)
            if r.article_key == article.key and r.participant_id == person.id
        ]
    )
    deleted: dict[int, list[tuple[int, int]]] = {}
    for position, _, _, _, deletions in past.steps:
        if position > floor:
            for client, ranges in deletions_of(deletions, person.id).items():
                deleted.setdefault(client, []).extend(ranges)

    def compute() -> tuple[bytes, str]:
        past_state = state_at(live_state, step[2]).full_update()
        return past_state, reverted_text(live_state, past_state, theirs, deleted)

    past_state, after = await anyio.to_thread.run_sync(compute)
    diff = diff_words(before, after)
    hunks = [{"kind": h.kind, "text": h.text} for h in diff.hunks]
    return Plan(
        person,
        since,
        step[1],
        before,
        after,
        hunks,
        diff.words_removed,
        diff.words_added,
        past_state,
        theirs,
        deleted,
    )


async def revert(
    services: Services,
    charter: CharterRecord,
    article: ArticleRecord,
    participant_id: int,
    since: int,
    reason: str,
    who: Principal,
) -> tuple[RevertRecord, Plan]:
    """Apply the plan as one forward edit, after saving the text as a version (restoring
    it undoes the revert), and record it in the moderation log."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid(f"reason must say why, in at most {MAX_REASON} characters", field="reason")
    found = await plan(services, charter, article, participant_id, since)
    if found.after == found.before:
        raise ConflictError("nothing to revert: this participant changed nothing since then")
    label = restore_label(charter.language, "revert", found.participant.name, article.title)
    version = await auto_version(services, charter, label, who)
    await services.registry.server_edit(
        article.document_id,
        article_document(charter.slug, article.key),
        # Computed again on the live text of this moment: what others typed since the
        # preview stays.
        lambda live: text_edit(
            ArticleDoc.from_updates([live.full_update()]),
            reverted_text(live.full_update(), found.past_state, found.theirs, found.deleted),
        ),
        ServerEdit("revert", who.participant_id),
    )
    at_position = await services.stores.versions.log_position()  # the revert is committed
    number = await services.stores.moderation.record_revert(
        charter_id=charter.id,
        article_key=article.key,
        article_title=article.title,
        participant_id=found.participant.id,
        participant_name=found.participant.name,
        since_position=since,
        since_at=found.since_at,
        by_name=who.name,
        reason=reason,
        version_before_id=version,
        at_position=at_position,
        words_removed=found.removed,
        words_restored=found.restored,
    )
    record = next(r for r in await services.stores.moderation.reverts(charter.id) if r.id == number)
    return record, found


def revert_json(record: RevertRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "article": {"id": record.article_key, "title": record.article_title},
        "participant": record.participant_name,
        "since": record.since_position,
        "since_at": record.since_at.isoformat(),
        "by": record.by_name,
        "reason": record.reason,
        "at": record.created_at.isoformat(),
        "version_before": record.version_before_id,
        "words_removed": record.words_removed,
        "words_restored": record.words_restored,
    }
