"""The one permission check: principal x action x charter -> allowed, or the reason not.

The JSON API, both websocket endpoints and the CLI ask ``decide`` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    FACILITATOR = "facilitator"
    EDITOR = "editor"
    COMMENTER = "commenter"
    READER = "reader"


class Action(StrEnum):
    READ = "read"  # load and watch documents, read the charter and its presence
    WRITE = "write"  # change an article's text
    COMMENT = "comment"  # comment on passages, propose amendments and vote on them
    MANAGE = "manage"  # shape the charter, invite people, change roles
    ADMINISTER = "administer"  # create charters: the server's administrator only
    # Rules of ownership, asked with the Scope of the thing (its authors):
    CHANGE_OWN = "change_own"  # edit or delete one's comment; open or withdraw one's amendment
    CHOOSE_COAUTHORS = "choose_coauthors"  # an amendment's co-authors
    RESOLVE = "resolve"  # resolve or reopen a comment thread


_OWNERSHIP = frozenset({Action.CHANGE_OWN, Action.CHOOSE_COAUTHORS, Action.RESOLVE})


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.FACILITATOR: frozenset(Action) - {Action.ADMINISTER},
    Role.EDITOR: frozenset({Action.READ, Action.WRITE, Action.COMMENT}),
    Role.COMMENTER: frozenset({Action.READ, Action.COMMENT}),
    Role.READER: frozenset({Action.READ}),
}

BADGES = ("citizen", "elected", "organiser")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is on the other end of a connection or request, for one charter."""

    participant_id: int | None
    name: str
    role: Role
    charter_id: int | None = None  # None only for the server administrator
    badge: str | None = None
    color: str = "#595959"
    via: str = "token"  # token | cookie | public | admin
    blocked: bool = False

    def presence(self) -> dict[str, Any]:
        """The ``user`` field others see in awareness: from our records, never the client."""
        user: dict[str, Any] = {"name": self.name, "color": self.color, "role": self.role.value}
        if self.badge:
            user["badge"] = self.badge
        if self.participant_id is None:
            user["anonymous"] = True
        return user


@dataclass(frozen=True, slots=True)
class Scope:
    """What a document itself says about writing it (changes while people are connected:
    a room keeps its current scope and asks ``decide`` on every write)."""

    kind: str = "article"  # article | amendment | comment | thread
    amendments_only: bool = False  # an article between workshops: editors propose instead
    # who owns it: an amendment's author and co-authors; a comment's author; a thread's
    # author (and, on an amendment's text, the amendment's authors)
    authors: frozenset[int] = frozenset()
    closed: str | None = None  # an amendment's status once its text no longer changes
    draft: bool = False  # an amendment not open yet: its authors discuss it among themselves


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""


def decide(
    principal: Principal | None,
    action: Action,
    charter_id: int | None = None,
    scope: Scope | None = None,
) -> Decision:
    if action in _OWNERSHIP:
        if scope is None:
            raise ValueError(f"{action.value} is decided on something: pass its Scope")
        return _ownership(principal, action, charter_id, scope)
    if scope is not None and action is Action.WRITE:
        return _write(principal, charter_id, scope)
    if scope is not None and scope.kind == "amendment" and action is Action.COMMENT:
        return _discuss(principal, charter_id, scope)
    if principal is None:
        return Decision(False, "an invitation or a token is needed")
    if principal.blocked:
        return Decision(False, "this participant has been blocked by a facilitator")
    if _admin(principal):
        return Decision(True)
    if charter_id is not None and principal.charter_id != charter_id:
        return Decision(False, "not a participant of this charter")
    if action in _ALLOWED[principal.role]:
        return Decision(True)
    return Decision(False, f"the {principal.role.value} role may not {action.value}")


def _write(principal: Principal | None, charter_id: int | None, scope: Scope) -> Decision:
    """Writing one document: the role, then what the document says."""
    if scope.kind == "amendment":
        if scope.closed is not None:
            return Decision(False, f"this amendment is {scope.closed}: its text no longer changes")
        basic = decide(principal, Action.COMMENT, charter_id)  # proposing is commenting
        if not basic.allowed or principal is None or _author_or_facilitator(principal, scope):
            return basic
        return Decision(False, "only the amendment's authors may change its text")
    basic = decide(principal, Action.WRITE, charter_id)
    if not basic.allowed or principal is None:
        return basic
    if scope.amendments_only and principal.role is not Role.FACILITATOR and not _admin(principal):
        return Decision(False, "this article takes amendments only: propose an amendment")
    return basic


def _discuss(principal: Principal | None, charter_id: int | None, scope: Scope) -> Decision:
    """Commenting on an amendment: the role, then its status (and a draft's authors)."""
    if scope.closed is not None:
        return Decision(False, f"this amendment is {scope.closed}: its discussion is closed")
    basic = decide(principal, Action.COMMENT, charter_id)
    if not basic.allowed or principal is None or not scope.draft:
        return basic
    if _author_or_facilitator(principal, scope):
        return basic
    return Decision(False, "this amendment is a draft: only its authors discuss it until it opens")


def _ownership(
    principal: Principal | None, action: Action, charter_id: int | None, scope: Scope
) -> Decision:
    """Changing what one wrote. A comment needs the right to comment; an amendment stays its
    authors' while they are participants; a thread's status is also anyone's who may write
    the text; co-authors are also chosen by facilitators."""
    if action is Action.RESOLVE:
        if decide(principal, Action.WRITE, charter_id).allowed:
            return Decision(True)
        basic = decide(principal, Action.COMMENT, charter_id)
    elif scope.kind == "amendment":
        basic = decide(principal, Action.READ, charter_id)
    else:
        basic = decide(principal, Action.COMMENT, charter_id)
    if not basic.allowed or principal is None or _admin(principal):
        return basic
    if principal.participant_id is not None and principal.participant_id in scope.authors:
        return basic
    if action is Action.CHOOSE_COAUTHORS and principal.role is Role.FACILITATOR:
        return basic
    if scope.kind == "amendment":
        return Decision(False, "only the amendment's authors may do this")
    return Decision(False, "only its author may change it")


def _author_or_facilitator(principal: Principal, scope: Scope) -> bool:
    return (
        principal.role is Role.FACILITATOR
        or _admin(principal)
        or principal.participant_id in scope.authors
    )


def _admin(principal: Principal) -> bool:
    """The server's administrator: allowed everything, on every charter."""
    return principal.via == "admin"


def administrator() -> Principal:
    """The server's administrator (CLI, or the admin token): may create charters."""
    return Principal(participant_id=None, name="admin", role=Role.FACILITATOR, via="admin")


def local_reader() -> Principal:
    """Placeholder principal of a connection refused before it was identified."""
    return Principal(participant_id=None, name="", role=Role.READER, via="public")
