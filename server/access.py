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
    COMMENT = "comment"  # comment on passages (comments arrive in a later release)
    MANAGE = "manage"  # shape the charter, invite people, change roles
    ADMINISTER = "administer"  # create charters: the server's administrator only


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
class Decision:
    allowed: bool
    reason: str = ""


def decide(principal: Principal | None, action: Action, charter_id: int | None = None) -> Decision:
    if principal is None:
        return Decision(False, "an invitation or a token is needed")
    if principal.blocked:
        return Decision(False, "this participant has been blocked by a facilitator")
    if principal.via == "admin":
        return Decision(True)
    if charter_id is not None and principal.charter_id != charter_id:
        return Decision(False, "not a participant of this charter")
    if action in _ALLOWED[principal.role]:
        return Decision(True)
    return Decision(False, f"the {principal.role.value} role may not {action.value}")


def administrator() -> Principal:
    """The server's administrator (CLI, or the admin token): may create charters."""
    return Principal(participant_id=None, name="admin", role=Role.FACILITATOR, via="admin")


def local_reader() -> Principal:
    """Placeholder principal of a connection refused before it was identified."""
    return Principal(participant_id=None, name="", role=Role.READER, via="public")
