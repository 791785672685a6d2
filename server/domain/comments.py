"""Comment threads: start one on a passage (or the whole article, or an amendment's text),
reply, resolve and reopen, edit or delete one's own comment, hide one as a facilitator;
unread markers. Where each passage is now: ``anchors.py``.

A thread on an amendment keeps the amended article as its article; its passage is in the
amendment's fork, and new comments follow the amendment's status (closed: none; a draft:
its authors only).

Every change is pushed on the charter's channel as ``{"type": "comment", "event": …,
"thread": id, "article": key, "amendment": id | null}``; viewers fetch what they may see.
Who may do what is asked of ``access.decide``; "the thread's author" and "one's own comment"
are checked here, as for amendments. New comments are limited per participant and minute
(``admit``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from persistence.amendments import AmendmentRecord
from persistence.comments import STANCES, Author, CommentRecord, Comments, NewThread, ThreadRecord
from persistence.docs import TRANSIENT
from persistence.repo import ArticleRecord, CharterRecord, NotFound
from server.access import Action, Principal, Scope, decide
from server.domain import digest_sending
from server.domain.amendments import discussion_scope
from server.domain.anchors import MAX_QUOTE, Anchor, Resolvers, place_of, positions, resolver_for
from server.errors import ConflictError, Forbidden, Invalid, RateLimited
from server.services import Services

log = logging.getLogger("charter.comments")


def store(services: Services) -> Comments:
    return services.stores.comments


def author(who: Principal) -> Author:
    return Author(who.participant_id, who.name)


# -- changes --


def admit(services: Services, charter_id: int, who: Principal) -> None:
    """At most ``max_comments_per_minute`` new threads and replies per participant in any
    minute, else 429 with Retry-After; facilitators are exempt (they answer many people at
    once). Edits, resolving and hiding are not counted. Counted in this instance's memory:
    on several instances each one counts its own, so a participant whose requests are
    spread over N instances may post up to N times the limit."""
    if who.participant_id is None or decide(who, Action.MANAGE, charter_id).allowed:
        return
    window = services.comment_window
    wait = window.admit(who.participant_id)
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(
            f"at most {window.limit} new comments per minute: try again in {seconds} s",
            retry_after=seconds,
        )


@dataclass(frozen=True)
class Target:
    """What a new thread is about: an article, or an amendment of it (its fork's text)."""

    article: ArticleRecord
    amendment: AmendmentRecord | None = None

    @property
    def document_id(self) -> int:
        return self.amendment.document_id if self.amendment else self.article.document_id

    @property
    def amendment_id(self) -> int | None:
        return self.amendment.id if self.amendment else None


def may_discuss(who: Principal, charter_id: int, scope: Scope | None) -> bool:
    return decide(who, Action.COMMENT, charter_id, scope).allowed


def check_discuss(who: Principal, charter_id: int, amendment: AmendmentRecord | None) -> None:
    """New comments on an amendment: a closed one takes none (409), a draft only its
    authors' (403)."""
    if amendment is None:
        return
    if amendment.article_deleted:
        raise ConflictError("the article of this amendment was deleted: its discussion is closed")
    scope = discussion_scope(amendment)
    decision = decide(who, Action.COMMENT, charter_id, scope)
    if decision.allowed:
        return
    if scope.closed is not None:
        raise ConflictError(decision.reason)
    raise Forbidden(decision.reason)


async def amendment_of(services: Services, thread: ThreadRecord) -> AmendmentRecord | None:
    if thread.amendment_id is None:
        return None
    try:
        return await services.amendments.get(thread.charter_id, thread.amendment_id)
    except NotFound:  # deleted with its threads (ON DELETE CASCADE): not expected
        raise ConflictError("the amendment of this thread is gone") from None


async def start_thread(
    services: Services,
    resolvers: Resolvers,
    charter: CharterRecord,
    target: Target,
    who: Principal,
    body: str,
    stance: str | None,
    anchor: Anchor | None,
) -> int:
    check_discuss(who, charter.id, target.amendment)
    quote, stored = "", None
    if anchor is not None:
        start, end = positions(anchor)
        place = place_of(await resolver_for(services, resolvers, target.document_id), start, end)
        if place.state == "detached":
            where = "the amendment's text" if target.amendment else "the article"
            raise Invalid(f"anchor: the passage is no longer in {where}", field="anchor")
        # The server's own reading of the passage when it can make it; else the client's.
        quote = (place.text if place.state == "attached" else anchor.quote)[:MAX_QUOTE]
        stored = (anchor.start, anchor.end)
    admit(services, charter.id, who)
    thread_id = await store(services).create_thread(
        NewThread(
            charter.id,
            target.article.id,
            stored,
            quote,
            who.participant_id,
            who.name,
            body,
            stance,
            target.amendment_id,
        )
    )
    services.publish(
        charter.id, event("created", target.article.key, thread_id, None, target.amendment_id)
    )
    await notices(services, charter.id, thread_id, None)
    return thread_id


async def reply(
    services: Services, thread: ThreadRecord, who: Principal, body: str, stance: str | None
) -> int:
    if thread.hidden:
        raise ConflictError("this thread was hidden by a facilitator: it takes no replies")
    if thread.article_deleted:
        raise ConflictError("the article of this thread was deleted: it takes no replies")
    check_discuss(who, thread.charter_id, await amendment_of(services, thread))
    admit(services, thread.charter_id, who)
    comment_id = await store(services).add_comment(thread.id, author(who), body, stance)
    services.publish(thread.charter_id, _event("replied", thread, comment_id))
    await notices(services, thread.charter_id, thread.id, comment_id)
    return comment_id


async def notices(
    services: Services, charter_id: int, thread_id: int, comment_id: int | None
) -> None:
    """E-mail the replied-to and the mentioned who asked for it (digest_sending.py); the
    comment is posted whatever happens to the mail."""
    try:
        await digest_sending.notify_comment(services, charter_id, thread_id, comment_id)
    except (*TRANSIENT, TimeoutError) as exc:
        log.error("queueing reply notices failed thread=%d error=%s", thread_id, exc)


def may_set_status(who: Principal, thread: ThreadRecord, scope: Scope | None = None) -> bool:
    """Editors and up, or the thread's author (who may comment); on an amendment's text,
    its authors too (``scope``: the amendment's)."""
    authors = {thread.author_id} if thread.author_id is not None else set()
    if scope is not None:
        authors |= scope.authors
    owned = Scope(kind="thread", authors=frozenset(authors))
    return decide(who, Action.RESOLVE, thread.charter_id, owned).allowed


async def set_status(services: Services, thread: ThreadRecord, who: Principal, status: str) -> None:
    amendment = await amendment_of(services, thread)
    scope = discussion_scope(amendment) if amendment is not None else None
    if not may_set_status(who, thread, scope):
        raise Forbidden(
            "only editors, facilitators, the thread's author"
            + (" and the amendment's authors" if scope else "")
            + " resolve or reopen it"
        )
    if not await store(services).set_status(thread.id, status, who.name):
        raise ConflictError(f"this thread is already {status}")
    kind = "resolved" if status == "resolved" else "reopened"
    services.publish(thread.charter_id, _event(kind, thread))


def may_change(who: Principal, comment: CommentRecord, charter_id: int) -> bool:
    """Editing and deleting: one's own comment only (the administrator may do anything)."""
    authors = frozenset({comment.author_id} if comment.author_id is not None else ())
    return decide(
        who, Action.CHANGE_OWN, charter_id, Scope(kind="comment", authors=authors)
    ).allowed


async def edit(
    services: Services,
    thread: ThreadRecord,
    comment: CommentRecord,
    who: Principal,
    body: str,
    stance: str | None,
) -> None:
    if not may_change(who, comment, thread.charter_id):
        raise Forbidden("only its author may edit a comment")
    if comment.body == body and comment.stance == stance:
        raise ConflictError("nothing to change: the comment already says this")
    if not await store(services).edit(comment.id, body, stance):
        raise ConflictError("this comment was deleted or hidden: it can no longer be edited")
    services.publish(thread.charter_id, _event("edited", thread, comment.id))


async def delete(
    services: Services, thread: ThreadRecord, comment: CommentRecord, who: Principal
) -> None:
    if not may_change(who, comment, thread.charter_id):
        raise Forbidden("only its author may delete a comment")
    if not await store(services).delete(comment.id):
        raise ConflictError("this comment is already deleted")
    services.publish(thread.charter_id, _event("deleted", thread, comment.id))


async def hide(
    services: Services, thread: ThreadRecord, comment: CommentRecord, who: Principal, reason: str
) -> None:
    """A facilitator hides a comment; the moderation log keeps who, when and why."""
    if not decide(who, Action.MANAGE, thread.charter_id).allowed:
        raise Forbidden("only facilitators hide comments")
    if not await store(services).hide(comment.id, who.name, reason):
        raise ConflictError("this comment is already hidden")
    services.publish(thread.charter_id, _event("hidden", thread, comment.id))


def _own(who: Principal, author_id: int | None) -> bool:
    return who.participant_id is not None and who.participant_id == author_id


def event(
    kind: str,
    article: str,
    thread_id: int,
    comment_id: int | None = None,
    amendment_id: int | None = None,
) -> dict[str, Any]:
    """What the charter channel carries: ids only; each viewer fetches what it may see."""
    return {
        "type": "comment",
        "event": kind,
        "article": article,
        "amendment": amendment_id,
        "thread": thread_id,
        "comment": comment_id,
    }


def _event(kind: str, thread: ThreadRecord, comment_id: int | None = None) -> dict[str, Any]:
    return event(kind, thread.article_key, thread.id, comment_id, thread.amendment_id)


def check_stance(value: Any) -> str | None:
    if value is None or value in STANCES:
        return value  # type: ignore[no-any-return]
    raise Invalid("stance must be for, against, mixed or null", field="stance")
