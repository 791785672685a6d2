"""``access.decide`` over the rules of ownership: changing what one wrote, choosing an
amendment's co-authors, resolving a thread. Every principal against every such action, on
something they own and something they do not (the matrices of test_permissions_http.py
and test_permissions_ws.py go through the routes; this table is the rule itself)."""

from __future__ import annotations

import pytest

from server.access import Action, Principal, Role, Scope, administrator, decide

CHARTER = 1
ME = 7

PRINCIPALS = {
    "admin": administrator(),
    "facilitator": Principal(ME, "F", Role.FACILITATOR, CHARTER),
    "editor": Principal(ME, "E", Role.EDITOR, CHARTER),
    "commenter": Principal(ME, "C", Role.COMMENTER, CHARTER),
    "reader": Principal(ME, "R", Role.READER, CHARTER),
    "blocked": Principal(ME, "B", Role.EDITOR, CHARTER, blocked=True),
    "elsewhere": Principal(ME, "X", Role.FACILITATOR, CHARTER + 1),
    "public": Principal(None, "", Role.READER, CHARTER, via="public"),
    "nobody": None,
}
ORDER = tuple(PRINCIPALS)


def row(*allowed: str) -> dict[str, bool]:
    return {who: who in allowed for who in ORDER}


# (action, kind, owned) -> who may
TABLE = {
    # one's own comment: edit or delete it (commenting rights, and authorship)
    (Action.CHANGE_OWN, "comment", True): row("admin", "facilitator", "editor", "commenter"),
    (Action.CHANGE_OWN, "comment", False): row("admin"),
    # one's own amendment: open it for support or withdraw it (still a participant)
    (Action.CHANGE_OWN, "amendment", True): row(
        "admin", "facilitator", "editor", "commenter", "reader"
    ),
    (Action.CHANGE_OWN, "amendment", False): row("admin"),
    # co-authors: the amendment's authors and the facilitators
    (Action.CHOOSE_COAUTHORS, "amendment", True): row(
        "admin", "facilitator", "editor", "commenter", "reader"
    ),
    (Action.CHOOSE_COAUTHORS, "amendment", False): row("admin", "facilitator"),
    # a thread's status: whoever may write the text, or its author who may comment
    (Action.RESOLVE, "thread", True): row("admin", "facilitator", "editor", "commenter"),
    (Action.RESOLVE, "thread", False): row("admin", "facilitator", "editor"),
}


@pytest.mark.parametrize("cell", list(TABLE), ids=lambda c: f"{c[0].value}-{c[1]}-{c[2]}")
def test_ownership_rules(cell: tuple[Action, str, bool]) -> None:
    action, kind, owned = cell
    scope = Scope(kind=kind, authors=frozenset({ME} if owned else {ME + 1}))
    got = {who: decide(p, action, CHARTER, scope).allowed for who, p in PRINCIPALS.items()}
    assert got == TABLE[cell]


def test_a_refusal_says_why() -> None:
    someone_else = Scope(kind="comment", authors=frozenset({ME + 1}))
    refused = decide(PRINCIPALS["editor"], Action.CHANGE_OWN, CHARTER, someone_else)
    assert not refused.allowed and refused.reason == "only its author may change it"
    blocked = decide(PRINCIPALS["blocked"], Action.CHANGE_OWN, CHARTER, someone_else)
    assert blocked.reason == "this participant has been blocked by a facilitator"


def test_ownership_needs_a_scope() -> None:
    with pytest.raises(ValueError):
        decide(PRINCIPALS["editor"], Action.CHANGE_OWN, CHARTER)


def test_only_the_administrator_administers() -> None:
    got = {who: decide(p, Action.ADMINISTER).allowed for who, p in PRINCIPALS.items()}
    assert got == row("admin")
