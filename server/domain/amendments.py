"""Amendments: propose a fork of an article, review it against the live text, decide.

Accepting applies the fork's own changes (``fork.update_since(base)``) to the live article
through ``Room.apply``, like any other edit: connected editors see it at once, and whatever
was edited live since the base stays. A version of the charter is saved just before and
just after, and the merged update is kept for audit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from crdt.amendments import Conflict, accepted_update, conflicts, fork_of, own_changes, preview
from crdt.article import ArticleDoc
from crdt.authors import clients_of
from crdt.diff import diff_words
from persistence.amendments import EDITABLE, AmendmentRecord, NewAmendment
from persistence.repo import ArticleRecord, CharterRecord
from server.access import Action, Principal, Scope, decide
from server.domain.versions import auto_version
from server.errors import ConflictError, Forbidden, Invalid
from server.i18n import content_language, translate
from server.live.rooms import ServerEdit
from server.names import amendment_document, article_document
from server.services import Services

log = logging.getLogger("charter.amendments")


def _who(principal: Principal) -> tuple[int | None, str]:
    return principal.participant_id, principal.name


async def propose(
    services: Services,
    charter: CharterRecord,
    article: ArticleRecord,
    principal: Principal,
    title: str,
    rationale: str,
    *,
    open_now: bool,
) -> AmendmentRecord:
    """Fork the article as it stands now (the live room's doc if loaded)."""
    live = await services.article_doc(article.document_id)
    fork = fork_of(live)
    who_id, who_name = _who(principal)
    record = await services.amendments.create(
        NewAmendment(
            charter.id,
            article.id,
            fork.state,
            fork.base_state_vector,
            title,
            rationale,
            "open" if open_now else "draft",
            who_id,
            who_name,
        )
    )
    services.publish(charter.id, event("proposed", record))
    return record


def event(kind: str, record: AmendmentRecord) -> dict[str, Any]:
    """What the charter channel carries: enough for a list to refresh one line."""
    return {
        "type": "amendment",
        "event": kind,
        "amendment": {
            "id": record.id,
            "article": record.article_key,
            "title": record.title,
            "status": record.status,
            "votes": record.tally(),
        },
    }


async def texts(services: Services, record: AmendmentRecord) -> tuple[str, ArticleDoc, ArticleDoc]:
    """(base text, the fork as it stands, the live article as it stands)."""
    base = ArticleDoc.from_updates([await services.amendments.base_state(record.base_state_hash)])
    fork = await services.article_doc(record.document_id)
    live = await services.article_doc(record.article_document_id)
    return base.text(), fork, live


async def review(services: Services, record: AmendmentRecord) -> dict[str, Any]:
    """The amendment's own change, what the live article would become if accepted now,
    and the conflicts — with the live text since the base, and with other open
    amendments of the same article."""
    base, fork, live = await texts(services, record)
    fork_text, live_text = fork.text(), live.text()
    changes = own_changes(fork, record.base_state_vector)
    merged = preview(live.full_update(), changes).text()
    found: dict[str, Any] = {
        "change": [h.to_json() for h in diff_words(base, fork_text).hunks],
        "preview": [h.to_json() for h in diff_words(live_text, merged).hunks],
        "live_changed_since_base": base != live_text,
        "conflicts": {
            "live": [c.to_json() for c in conflicts(base, fork_text, live_text)],
            "amendments": [],
        },
    }
    others = await services.amendments.find(
        record.charter_id, article_id=record.article_id, status="open"
    )
    for other in others:
        if other.id == record.id:
            continue
        other_fork = await services.article_doc(other.document_id)
        theirs = preview(
            live.full_update(), own_changes(other_fork, other.base_state_vector)
        ).text()
        clashes = conflicts(live_text, merged, theirs)
        if clashes:
            found["conflicts"]["amendments"].append(
                {
                    "id": other.id,
                    "title": other.title,
                    "conflicts": [c.to_json() for c in clashes],
                }
            )
    return found


def _may_author(record: AmendmentRecord, principal: Principal) -> bool:
    scope = Scope(kind="amendment", authors=frozenset(record.authors))
    return decide(principal, Action.CHANGE_OWN, record.charter_id, scope).allowed


async def open_for_support(
    services: Services, record: AmendmentRecord, principal: Principal
) -> AmendmentRecord:
    if not _may_author(record, principal):
        raise Forbidden("only the amendment's authors may open it")
    await _move(services, record, ("draft",), "open", principal, None)
    return await changed(services, record, "opened")


async def withdraw(
    services: Services, record: AmendmentRecord, principal: Principal, reason: str | None
) -> AmendmentRecord:
    if not _may_author(record, principal):
        raise Forbidden("only the amendment's authors may withdraw it")
    await _move(services, record, EDITABLE, "withdrawn", principal, reason)
    return await changed(services, record, "withdrawn")


async def reject(
    services: Services, record: AmendmentRecord, principal: Principal, reason: str
) -> AmendmentRecord:
    await _move(services, record, ("open",), "rejected", principal, reason)
    return await changed(services, record, "rejected")


@dataclass(frozen=True)
class Resolution:
    """What to keep where the amendment and the live text changed the same words."""

    choose: str  # "amendment" | "live" | "both" (as the merge has them) | "text"
    text: str = ""  # the words written by the facilitator, for "text"

    def words(self, conflict: Conflict) -> str | None:
        if self.choose == "both":
            return None
        if self.choose == "amendment":
            return conflict.ours
        if self.choose == "live":
            return conflict.theirs
        return self.text


async def accept(
    services: Services,
    charter: CharterRecord,
    record: AmendmentRecord,
    principal: Principal,
    reason: str | None,
    resolutions: list[Resolution] | None = None,
) -> AmendmentRecord:
    """Merge the amendment into the live article. Where it and the live text (changed since
    the base) touch the same words, ``resolutions`` say, conflict by conflict, which words
    stay: without them such an amendment is not accepted (the merge would keep both)."""
    if record.status != "open":
        raise ConflictError(f"this amendment is {record.status}: only an open one is accepted")
    if record.article_deleted:
        raise ConflictError("the article of this amendment was deleted")
    base, fork, live = await texts(services, record)
    fork_text = fork.text()
    found = conflicts(base, fork_text, live.text())
    given = resolutions or []
    if len(given) != len(found):
        raise Invalid(
            f"this amendment and the live text change the same words in {len(found)} "
            f"place(s): choose the words to keep for each ({len(given)} given)",
            field="resolutions",
        )
    chosen = {(c.base, c.ours): r.words(c) for c, r in zip(found, given, strict=True)}

    def choose(now: list[Conflict]) -> list[str | None]:
        # The live text may have moved on since the choices were made: a conflict is known
        # by its words; one that appeared meanwhile keeps the amendment's words.
        return [chosen.get((c.base, c.ours), c.ours) for c in now]

    changes = own_changes(fork, record.base_state_vector)
    before = await auto_version(services, charter, _label(charter, "before", record), principal)
    # Claim the amendment first: a second "accept" finds it closed and changes nothing.
    moved = await services.amendments.change_status(
        record.id,
        ("open",),
        "accepted",
        principal.participant_id,
        principal.name,
        reason,
        merged_update=changes,
        version_before_id=before,
    )
    if not moved:
        raise ConflictError("this amendment was decided meanwhile")
    await services.refresh_scope(record.document_id)
    name = article_document(charter.slug, record.article_key)
    # Its words keep their authors (whoever typed them in the amendment), by way of it.
    await services.stores.authors.adopt(record.document_id, record.article_document_id, record.id)
    merged = await services.registry.server_edit(
        record.article_document_id,
        name,
        lambda live: accepted_update(live, changes, base, fork_text, choose),
        ServerEdit("amendment accepted", record.author_id),
    )
    if merged is not None:  # the words chosen where it met the live text: the amendment's
        await services.stores.authors.through_amendment(
            record.article_document_id, clients_of(merged), record.id
        )
    after = await auto_version(services, charter, _label(charter, "after", record), principal)
    await services.amendments.set_version_after(record.id, after)
    return await changed(services, record, "accepted")


def _label(charter: CharterRecord, when: str, record: AmendmentRecord) -> str:
    title = record.title if len(record.title) <= 150 else record.title[:149] + "…"
    return translate(content_language(charter.language), f"version_{when}_amendment", title=title)


async def _move(
    services: Services,
    record: AmendmentRecord,
    allowed: tuple[str, ...],
    to: str,
    principal: Principal,
    reason: str | None,
) -> None:
    if record.status not in allowed:
        raise ConflictError(f"this amendment is {record.status}: it cannot become {to}")
    moved = await services.amendments.change_status(
        record.id, allowed, to, principal.participant_id, principal.name, reason
    )
    if not moved:
        raise ConflictError("this amendment was decided meanwhile")
    await services.refresh_scope(record.document_id)


async def changed(services: Services, record: AmendmentRecord, kind: str) -> AmendmentRecord:
    fresh = await services.amendments.get(record.charter_id, record.id)
    services.publish(record.charter_id, event(kind, fresh))
    return fresh


async def vote(
    services: Services, record: AmendmentRecord, principal: Principal, choice: str | None
) -> AmendmentRecord:
    if principal.participant_id is None:
        raise Forbidden("only participants vote")
    if record.status != "open":
        raise ConflictError(f"this amendment is {record.status}: votes are closed")
    if not await services.amendments.vote(record.id, principal.participant_id, choice):
        raise ConflictError("this amendment was decided meanwhile: votes are closed")
    return await changed(services, record, "voted")


def document_name(charter: CharterRecord, record: AmendmentRecord) -> str:
    return amendment_document(charter.slug, record.id)


def discussion_scope(record: AmendmentRecord) -> Scope:
    """What the amendment says about commenting on it (``access.decide``)."""
    return Scope(
        kind="amendment",
        authors=frozenset(record.authors),
        closed=None if record.editable else record.status,
        draft=record.status == "draft",
    )
