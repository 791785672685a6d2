"""The one permission check: principal x action -> allowed, or the reason it is not.

Roles grow into facilitator > editor > commenter > reader (next issue brings
invites and participants). Every endpoint asks ``decide`` and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    FACILITATOR = "facilitator"
    EDITOR = "editor"
    COMMENTER = "commenter"
    READER = "reader"


class Action(StrEnum):
    READ = "read"  # load and watch a document, read the charter
    WRITE = "write"  # change an article's text
    MANAGE = "manage"  # create and shape charters, sections, articles


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.FACILITATOR: frozenset(Action),
    Role.EDITOR: frozenset({Action.READ, Action.WRITE}),
    Role.COMMENTER: frozenset({Action.READ}),
    Role.READER: frozenset({Action.READ}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is on the other end of a connection or request."""

    participant_id: int | None
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""


def decide(principal: Principal, action: Action) -> Decision:
    if action in _ALLOWED[principal.role]:
        return Decision(True)
    return Decision(False, f"role {principal.role.value} may not {action.value}")


def local_facilitator() -> Principal:
    """Open access while identities do not exist yet: the server binds to loopback by default."""
    return Principal(participant_id=None, name="local", role=Role.FACILITATOR)
