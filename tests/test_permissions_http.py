"""Who may do what over HTTP: a generated matrix, every route of the app (read from its
routes, so a new route without cells fails) x nine kinds of principal -> the status, and
whether the database changed. Listings show only what each principal may read; ids of
another charter are not found through one's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.routing import Route, WebSocketRoute

from server.access import Role
from server.app import create_app
from server.domain.demo import DEMO_SLUG
from server.settings import Settings
from tests.matrix_world import (
    OPEN_SLUG,
    PRINCIPAL_ROLE,
    PRINCIPALS,
    World,
)
from tests.support import (
    ROOT,
    make_token,
)
from tests.wire_client import (
    WS_ENDPOINTS,
    Wire,
    participant_id,
    snapshot,
)

# ---------------------------------------------------------------------------------------
# HTTP: every route x every principal -> status; refused writes change nothing.
# ---------------------------------------------------------------------------------------


def cells(*statuses: int) -> dict[str, int]:
    assert len(statuses) == len(PRINCIPALS)
    return dict(zip(PRINCIPALS, statuses, strict=True))


#                 admin fac  edit comm read nobody public other blocked
READ = cells(200, 200, 200, 200, 200, 401, 200, 403, 403)
ANYONE = cells(200, 200, 200, 200, 200, 200, 200, 200, 200)
# The HTML reading view answers a private charter with a 403 page, never a 401.
READ_PAGE = cells(200, 200, 200, 200, 200, 403, 200, 403, 403)


# The browser app's page shells (server/pages/shells.py). Without a build of the app (``make web``)
# they answer 503 "not built" to everyone, before looking at the charter.
WEB_BUILT = (ROOT / "web" / "dist" / "manifest.json").is_file()
WEB_PAGE = READ_PAGE if WEB_BUILT else cells(*[503] * len(PRINCIPALS))


def manage(ok: int) -> dict[str, int]:
    return cells(ok, ok, 403, 403, 403, 401, 403, 403, 403)


def comment(ok: int) -> dict[str, int]:
    return cells(ok, ok, ok, ok, 403, 401, 403, 403, 403)


def OWN(ok: int) -> dict[str, int]:  # a participant's own account
    return cells(403, ok, ok, ok, ok, 401, 403, 403, 403)


def OWN_PAGE(ok: int) -> dict[str, int]:  # pages answer 403, never 401
    return cells(403, ok, ok, ok, ok, 403, 403, 403, 403)


# What only an amendment's author may do; the cells' amendments are the administrator's.
AUTHOR = cells(200, 403, 403, 403, 403, 401, 403, 403, 403)


# docs/api.md: "POST /api/charters — administrator" (a facilitator shapes only their charter)
ADMIN_ONLY = cells(201, 403, 403, 403, 403, 401, 401, 403, 403)


Values = dict[str, Any]  # the path parameters of one cell, and the charter they belong to


@dataclass(frozen=True)
class Cell:
    statuses: dict[str, int]
    body: Callable[[str, Values], Any] | None = None  # (principal, values) -> JSON body
    query: Callable[[Values], dict[str, Any]] | None = None


HTTP_MATRIX: dict[tuple[str, str], Cell] = {
    ("GET", "/"): Cell(ANYONE),
    ("GET", "/charters/{slug}"): Cell(READ_PAGE),
    ("GET", "/charters/{slug}/read"): Cell(READ_PAGE),
    ("GET", "/charters/{slug}/articles/{key}"): Cell(WEB_PAGE),
    ("GET", "/charters/{slug}/projector"): Cell(WEB_PAGE),
    ("GET", "/charters/{slug}/amendments"): Cell(WEB_PAGE),
    ("GET", "/charters/{slug}/amendments/{amendment_id}"): Cell(WEB_PAGE),
    ("GET", "/charters/{slug}/comments"): Cell(WEB_PAGE),
    ("GET", "/api/charters"): Cell(ANYONE),
    ("POST", "/api/charters"): Cell(
        ADMIN_ONLY, lambda who, _: {"slug": f"nouvelle-{who}", "title": f"Nouvelle ({who})"}
    ),
    ("GET", "/api/charters/{slug}"): Cell(READ),
    ("GET", "/api/charters/{slug}/export"): Cell(READ),
    ("POST", "/api/charters/{slug}/sections"): Cell(
        manage(201), lambda who, _: {"title": f"Section de {who}"}
    ),
    ("POST", "/api/charters/{slug}/sections/{section_id}/articles"): Cell(
        manage(201), lambda who, _: {"title": f"Article de {who}", "markdown": "Texte."}
    ),
    ("GET", "/api/charters/{slug}/articles/{key}"): Cell(READ),
    # Shaping the charter (server/api/outline.py): each cell works on a fresh section.
    ("PATCH", "/api/charters/{slug}/sections/{section_id}"): Cell(
        manage(200), lambda who, _: {"title": f"Renommée par {who}"}
    ),
    ("DELETE", "/api/charters/{slug}/sections/{section_id}"): Cell(manage(200)),
    ("PUT", "/api/charters/{slug}/sections/order"): Cell(
        manage(200), lambda _, v: {"order": [s["id"] for s in v["charter"]["sections"]][::-1]}
    ),
    ("PUT", "/api/charters/{slug}/sections/{section_id}/order"): Cell(
        manage(200), lambda _, v: {"order": v["keys"][::-1]}
    ),
    ("PATCH", "/api/charters/{slug}/articles/{key}"): Cell(
        manage(200), lambda who, _: {"title": f"Titre de {who}"}
    ),
    ("DELETE", "/api/charters/{slug}/articles/{key}"): Cell(manage(200)),
    ("PUT", "/api/charters/{slug}/projector"): Cell(
        manage(200),
        lambda _, v: {"article": None if v["charter"]["projector"] == v["key"] else v["key"]},
    ),
    ("GET", "/api/charters/{slug}/articles/{key}/changes"): Cell(READ),
    # Who wrote what (server/api/provenance.py).
    ("GET", "/api/charters/{slug}/authors"): Cell(READ),
    ("GET", "/api/charters/{slug}/articles/{key}/authors"): Cell(READ),
    ("GET", "/api/charters/{slug}/articles/{key}/why"): Cell(READ),
    ("GET", "/api/charters/{slug}/articles/{key}/history"): Cell(READ),
    ("GET", "/api/charters/{slug}/articles/{key}/history/{position}"): Cell(READ),
    # Reverting one participant's edits (server/api/provenance.py): facilitators.
    ("GET", "/api/charters/{slug}/articles/{key}/revert"): Cell(
        manage(200), query=lambda v: {"participant": v["participant_id"], "since": v["position"]}
    ),
    # The cell's participant has written nothing since: allowed, and nothing to revert (409).
    ("POST", "/api/charters/{slug}/articles/{key}/revert"): Cell(
        manage(409),
        lambda who, v: {
            "participant": v["participant_id"],
            "since": v["position"],
            "reason": "Test",
        },
    ),
    # Versions of the whole charter, and comparisons (server/api/versions.py).
    ("GET", "/api/charters/{slug}/versions"): Cell(READ),
    ("POST", "/api/charters/{slug}/versions"): Cell(
        manage(201), lambda who, _: {"label": f"Version de {who}"}
    ),
    ("GET", "/api/charters/{slug}/versions/{version_id}"): Cell(READ),
    ("GET", "/api/charters/{slug}/compare"): Cell(
        READ, query=lambda v: {"from": v["version_id"], "to": "live"}
    ),
    # Restores: each cell's version is saved, then its article renamed, so there is a change.
    ("POST", "/api/charters/{slug}/versions/{version_id}/restore"): Cell(manage(200)),
    ("POST", "/api/charters/{slug}/articles/{key}/restore"): Cell(
        manage(200), lambda _, v: {"version": v["version_id"]}
    ),
    # Pages of versions (server/pages/versions.py) and the Atom feed.
    ("GET", "/charters/{slug}/versions"): Cell(READ_PAGE),
    ("GET", "/charters/{slug}/versions.atom"): Cell(READ_PAGE),
    ("GET", "/charters/{slug}/compare"): Cell(
        READ_PAGE, query=lambda v: {"from": v["version_id"], "to": "live"}
    ),
    ("GET", "/charters/{slug}/compare/{key}"): Cell(
        READ_PAGE, query=lambda v: {"from": v["version_id"], "to": "live"}
    ),
    ("GET", "/charters/{slug}/history"): Cell(
        READ_PAGE, query=lambda v: {"from": v["version_id"], "to": "live"}
    ),
    ("GET", "/charters/{slug}/articles/{key}/history"): Cell(READ_PAGE),
    ("GET", "/charters/{slug}/articles/{key}/why"): Cell(READ_PAGE),
    # Amendments (server/api/amendments.py); each cell's amendment is proposed by the admin.
    ("GET", "/api/charters/{slug}/amendments"): Cell(READ),
    ("POST", "/api/charters/{slug}/articles/{key}/amendments"): Cell(
        comment(201), lambda who, _: {"title": f"Amendement de {who}", "rationale": "Parce que."}
    ),
    ("GET", "/api/charters/{slug}/amendments/{amendment_id}"): Cell(READ),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/open"): Cell(AUTHOR),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/withdraw"): Cell(AUTHOR),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/accept"): Cell(manage(200)),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/reject"): Cell(
        manage(200), lambda who, _: {"reason": f"Refusé par {who}"}
    ),
    # The administrator is no participant: no vote.
    ("PUT", "/api/charters/{slug}/amendments/{amendment_id}/vote"): Cell(
        cells(403, 200, 200, 200, 403, 401, 403, 403, 403), lambda *_: {"choice": "for"}
    ),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/authors"): Cell(
        manage(200), lambda _, v: {"participant_id": v["participant_id"]}
    ),
    # Who may be invited as a co-author: its authors (the admin) and facilitators ask.
    ("GET", "/api/charters/{slug}/amendments/{amendment_id}/candidates"): Cell(manage(200)),
    # The discussion of an (open) amendment.
    ("GET", "/api/charters/{slug}/amendments/{amendment_id}/threads"): Cell(READ),
    ("POST", "/api/charters/{slug}/amendments/{amendment_id}/threads"): Cell(
        comment(201), lambda who, _: {"body": f"Fil d’amendement de {who}"}
    ),
    # The admin closes the charter (or article) to direct edits, the facilitator reopens it.
    ("PUT", "/api/charters/{slug}/phase"): Cell(
        manage(200), lambda who, _: {"phase": "amendments" if who == "admin" else "open"}
    ),
    ("PUT", "/api/charters/{slug}/articles/{key}/phase"): Cell(
        manage(200), lambda who, _: {"phase": "amendments" if who == "admin" else None}
    ),
    # Bundles of amendments (server/api/bundles.py): each cell's amendment is the admin's.
    ("GET", "/api/charters/{slug}/articles/{key}/bundles"): Cell(READ),
    ("GET", "/api/charters/{slug}/articles/{key}/bundles/preview"): Cell(
        READ, query=lambda v: {"amendments": str(v["amendment_id"])}
    ),
    ("POST", "/api/charters/{slug}/articles/{key}/bundles/accept"): Cell(
        manage(200), lambda _, v: {"amendments": [v["amendment_id"]]}
    ),
    # Sub-groups (server/api/subgroups.py): each cell's group is made by the admin.
    ("GET", "/api/charters/{slug}/articles/{key}/subgroups"): Cell(READ),
    ("POST", "/api/charters/{slug}/articles/{key}/subgroups"): Cell(
        manage(201), lambda who, _: {"name": f"Groupe de {who}", "colour": "green", "members": []}
    ),
    ("GET", "/api/charters/{slug}/articles/{key}/subgroups/board"): Cell(READ),
    ("POST", "/api/charters/{slug}/articles/{key}/subgroups/merge"): Cell(manage(200)),
    ("PATCH", "/api/charters/{slug}/subgroups/{group_id}"): Cell(
        manage(200), lambda who, _: {"name": f"Renommé par {who}"}
    ),
    ("POST", "/api/charters/{slug}/subgroups/{group_id}/close"): Cell(manage(200)),
    # Live votes of the room (server/api/votes.py); each cell's vote is opened by the admin
    # (one open vote per charter: fill() closes the one before). The admin is no participant.
    ("GET", "/api/charters/{slug}/votes"): Cell(READ),
    ("POST", "/api/charters/{slug}/votes"): Cell(
        manage(201), lambda *_: {"subject": {"kind": "charter"}, "scale": "simple"}
    ),
    ("GET", "/api/charters/{slug}/votes/{vote_id}"): Cell(READ),
    ("PUT", "/api/charters/{slug}/votes/{vote_id}/ballot"): Cell(
        cells(403, 200, 200, 200, 403, 401, 403, 403, 403), lambda *_: {"choice": "for"}
    ),
    ("POST", "/api/charters/{slug}/votes/{vote_id}/close"): Cell(manage(200)),
    # Comment threads (server/api/comments.py); each cell's thread is started by the admin.
    ("GET", "/api/charters/{slug}/threads"): Cell(READ),
    ("GET", "/api/charters/{slug}/threads/{thread_id}"): Cell(READ),
    ("GET", "/api/charters/{slug}/articles/{key}/threads"): Cell(READ),
    ("GET", "/api/charters/{slug}/moderation"): Cell(READ),
    # Where participants stand on the passages, for the heat-map (server/api/stances.py).
    ("GET", "/api/charters/{slug}/articles/{key}/stances"): Cell(READ),
    ("POST", "/api/charters/{slug}/articles/{key}/threads"): Cell(
        comment(201), lambda who, _: {"body": f"Fil de {who}"}
    ),
    ("POST", "/api/charters/{slug}/threads/{thread_id}/comments"): Cell(
        comment(201), lambda who, _: {"body": f"Réponse de {who}"}
    ),
    # Editors and up, or the thread's author (here the admin).
    ("PUT", "/api/charters/{slug}/threads/{thread_id}/status"): Cell(
        cells(200, 200, 200, 403, 403, 401, 403, 403, 403), lambda *_: {"status": "resolved"}
    ),
    ("PATCH", "/api/charters/{slug}/comments/{comment_id}"): Cell(
        AUTHOR, lambda who, _: {"body": f"Corrigé par {who}"}
    ),
    ("DELETE", "/api/charters/{slug}/comments/{comment_id}"): Cell(AUTHOR),
    ("POST", "/api/charters/{slug}/comments/{comment_id}/hide"): Cell(
        manage(200), lambda who, _: {"reason": f"Masqué par {who}"}
    ),
    # Unread markers belong to participants: the administrator and anonymous readers have none.
    ("PUT", "/api/charters/{slug}/articles/{key}/seen"): Cell(
        cells(403, 200, 200, 200, 200, 401, 403, 403, 403), lambda *_: {"through": 10**9}
    ),
    ("GET", "/api/charters/{slug}/me"): Cell(READ),
    # What a participant follows, their mail preferences, their last look at a text
    # (server/api/follows.py): participants' own, like unread markers.
    ("GET", "/api/charters/{slug}/me/follows"): Cell(OWN(200)),
    ("PUT", "/api/charters/{slug}/me/follows"): Cell(
        OWN(200), lambda *_: {"kind": "charter", "follow": True}
    ),
    ("PUT", "/api/charters/{slug}/me/mail-preferences"): Cell(
        OWN(200), lambda *_: {"frequency": "daily", "instant_replies": True}
    ),
    ("GET", "/api/charters/{slug}/me/since"): Cell(OWN(200)),
    ("PUT", "/api/charters/{slug}/me/visit"): Cell(OWN(200)),
    ("GET", "/api/charters/{slug}/articles/{key}/since"): Cell(OWN(200)),
    ("PUT", "/api/charters/{slug}/articles/{key}/visit"): Cell(OWN(200)),
    # One's own account (server/api/account.py): participants only, never the administrator
    # or an anonymous reader. This server sends no e-mail: an address is refused (409); there
    # is none to remove (404); deleting needs {"confirm": true} (422 without).
    ("GET", "/api/charters/{slug}/me/email"): Cell(OWN(200)),
    ("PUT", "/api/charters/{slug}/me/email"): Cell(
        OWN(409), lambda who, _: {"email": f"{who}@example.org"}
    ),
    ("DELETE", "/api/charters/{slug}/me/email"): Cell(OWN(404)),
    ("GET", "/api/charters/{slug}/me/export"): Cell(OWN(200)),
    ("DELETE", "/api/charters/{slug}/me"): Cell(OWN(422)),
    ("GET", "/charters/{slug}/account"): Cell(OWN_PAGE(200)),
    ("POST", "/charters/{slug}/account"): Cell(OWN_PAGE(422)),
    # Flips public_read: a private charter would open, the public one would close.
    ("GET", "/api/charters/{slug}/settings"): Cell(manage(200)),
    ("PATCH", "/api/charters/{slug}/settings"): Cell(
        manage(200), lambda who, _: {"public_read": who != "public"}
    ),
    ("GET", "/api/charters/{slug}/invites"): Cell(manage(200)),
    ("POST", "/api/charters/{slug}/invites"): Cell(
        manage(201), lambda who, _: {"role": "facilitator", "label": f"par {who}"}
    ),
    ("DELETE", "/api/charters/{slug}/invites/{invite_id}"): Cell(manage(200)),
    ("GET", "/api/charters/{slug}/participants"): Cell(manage(200)),
    ("PATCH", "/api/charters/{slug}/participants/{participant_id}"): Cell(
        manage(200), lambda who, _: {"role": "facilitator"}
    ),
}

# Routes with no principal to check, and where each is tested instead.
UNGUARDED_ROUTES = {
    ("GET", "/healthz"): "a health probe with no charter data",
    ("GET", "/readyz"): "a readiness probe with no charter data",
    ("GET", "/metrics"): "operators' figures, behind their own token (tests/test_operations.py)",
    ("GET", "/mail/verify/{token}"): "the signed link is the credential: test_mail",
    ("GET", "/join/{token}"): "the invitation link is the credential: test_identity",
    ("POST", "/join/{token}"): "the invitation link is the credential: test_identity",
    ("GET", "/lang/{lang}"): "sets the interface language cookie: test_identity",
    ("GET", "/static/{path:path}"): "the browser app's build files, the same for everyone",
    ("GET", "/favicon.ico"): "the browser app's icon",
    ("GET", "/guide"): "the participants' guide, the same for everyone: test_participant_guide",
    ("GET", "/guide/img/{name}"): "the guide's screenshots: test_participant_guide",
    ("GET", "/mail/unsubscribe/{token}"): "the signed link is the credential: test_digests",
    ("POST", "/mail/unsubscribe/{token}"): "the signed link is the credential: test_digests",
}


def app_routes() -> tuple[set[tuple[str, str]], set[str]]:
    app = create_app(Settings(database_url="sqlite:///unused.db"))
    http: set[tuple[str, str]] = set()
    sockets: set[str] = set()
    for route in app.routes:
        if isinstance(route, Route):
            http |= {(method, route.path) for method in (route.methods or set()) - {"HEAD"}}
        elif isinstance(route, WebSocketRoute):
            sockets.add(route.path)
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return http, sockets


def test_every_route_and_endpoint_has_cells() -> None:
    http, sockets = app_routes()
    missing = http - set(HTTP_MATRIX) - set(UNGUARDED_ROUTES)
    assert not missing, f"routes without permission cells: {sorted(missing)}"
    assert not (set(HTTP_MATRIX) | set(UNGUARDED_ROUTES)) - http, "cells of removed routes"
    assert sockets == set(WS_ENDPOINTS.values()), "a websocket endpoint without cells"
    for route, cell in HTTP_MATRIX.items():
        assert set(cell.statuses) == set(PRINCIPALS), route
    # Every role is someone in the matrix (a new role needs its column).
    assert set(Role) <= {r for r in PRINCIPAL_ROLE.values() if r is not None}


async def fill(world: World, method: str, template: str, who: str) -> Values:
    """The route's path for ``who``'s charter. What a cell may change (a section and its
    articles, an invite, a participant) is created fresh for it."""
    target = world.target(who)
    values: Values = {"slug": target.slug, "section_id": target.section_id, "key": target.key}
    api = f"/api/charters/{target.slug}"
    if method in ("PATCH", "PUT", "DELETE") and "{section_id}" in template:
        section = await world.admin("POST", f"{api}/sections", {"title": f"Pour {who}"})
        values["section_id"] = section.json()["id"]
    if (method in ("PATCH", "DELETE") and "{key}" in template) or template.endswith("}/order"):
        values["keys"] = []
        for title in ("Un", "Deux")[: 2 if template.endswith("/order") else 1]:
            made = await world.admin(
                "POST", f"{api}/sections/{values['section_id']}/articles", {"title": title}
            )
            values["keys"].append(made.json()["id"])
        values["key"] = values["keys"][0]
    if (
        "{version_id}" in template
        or "/compare" in template
        or template.endswith(("/restore", "/charters/{slug}/history"))
    ):
        version = await world.admin("POST", f"{api}/versions", {"label": f"Pour {who}"})
        values["version_id"] = version.json()["id"]
    if template.endswith("/restore"):  # something to restore: the article's title
        await world.admin("PATCH", f"{api}/articles/{target.key}", {"title": f"Renommé ({who})"})
    if "{invite_id}" in template:
        invite = await world.admin(
            "POST", f"/api/charters/{target.slug}/invites", {"role": "editor"}
        )
        values["invite_id"] = invite.json()["id"]
    if "{participant_id}" in template or template.endswith(("/authors", "/revert")):
        token = await make_token(world.server, "commenter", f"Cible de {who}", target.slug)
        values["participant_id"] = participant_id(token)
    if "{thread_id}" in template or "{comment_id}" in template:
        started = await world.admin(
            "POST", f"{api}/articles/{target.key}/threads", {"body": f"Pour {who}"}
        )
        values["thread_id"] = started.json()["id"]
        values["comment_id"] = started.json()["comments"][0]["id"]
    if "{position}" in template or template.endswith("/revert"):  # the article's latest step
        past = await world.admin("GET", f"{api}/articles/{target.key}/history")
        values["position"] = past.json()["steps"][-1]["position"]
    if "/votes" in template:  # one open vote per charter: each cell opens its own
        for vote in (await world.admin("GET", f"{api}/votes")).json()["votes"]:
            if vote["status"] == "open":
                await world.admin("POST", f"{api}/votes/{vote['id']}/close")
    if "{vote_id}" in template:
        body = {"subject": {"kind": "charter"}, "scale": "simple"}
        values["vote_id"] = (await world.admin("POST", f"{api}/votes", body)).json()["id"]
    if "{group_id}" in template or template.endswith("/subgroups/merge"):
        group = await world.admin(
            "POST",
            f"{api}/articles/{target.key}/subgroups",
            {"name": f"Pour {who}", "colour": "blue", "members": []},
        )
        values["group_id"] = group.json()["id"]
    if "{amendment_id}" in template or "/bundles" in template:
        proposed = await world.admin(
            "POST",
            f"{api}/articles/{target.key}/amendments",
            {"title": f"Pour {who}", "rationale": "Essai.", "open": not template.endswith("/open")},
        )
        values["amendment_id"] = proposed.json()["id"]
    return values


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("route", list(HTTP_MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
async def test_http_permission_matrix(world: World, route: tuple[str, str]) -> None:
    method, template = route
    cell = HTTP_MATRIX[route]
    wrong: list[str] = []
    fresh: dict[str, Values] = {}  # per charter, until a cell changes something
    for who in PRINCIPALS:
        slug = world.target(who).slug
        if slug not in fresh:
            fresh[slug] = await fill(world, method, template, who)
        values = fresh[slug]
        if template.endswith(("/sections/order", "/projector")):  # the body depends on it
            values["charter"] = (await world.admin("GET", f"/api/charters/{slug}")).json()
        path = template.format(**values)
        before = await world.snapshot()
        body = cell.body(who, values) if cell.body else None
        query = cell.query(values) if cell.query else None
        response = await world.call(who, method, path, body, params=query)
        changed = await world.snapshot() != before
        if changed:
            fresh.pop(slug)
        expected = cell.statuses[who]
        if response.status_code != expected:
            wrong.append(f"{who}: {method} {path} -> {response.status_code}, expected {expected}")
        if method != "GET" and response.status_code < 300 and not changed:
            wrong.append(f"{who}: {method} {path} answered {response.status_code}, changed nothing")
        if (method == "GET" or response.status_code >= 300) and changed:
            wrong.append(f"{who}: {method} {path} -> {response.status_code}, but the DB changed")
        if path.startswith("/api/") and response.status_code in (401, 403):
            code = response.json()["error"]["code"]
            if code != {401: "unauthorized", 403: "forbidden"}[response.status_code]:
                wrong.append(f"{who}: {method} {path} error code {code!r}")
        if template.endswith("/settings"):  # put both charters back as they were
            await world.admin(
                "PATCH", f"/api/charters/{DEMO_SLUG}/settings", {"public_read": False}
            )
            await world.admin("PATCH", f"/api/charters/{OPEN_SLUG}/settings", {"public_read": True})
    assert not wrong, "permission matrix mismatches:\n" + "\n".join(wrong)


@pytest.mark.asyncio(loop_scope="module")
async def test_listings_show_only_what_each_principal_may_read(world: World) -> None:
    charters = (await snapshot(world.server))["charters"]
    public = {slug for slug, _, public_read in charters if public_read}
    everything = {slug for slug, _, _ in charters}
    expected = {
        "admin": everything,
        "facilitator": public | {DEMO_SLUG},
        "reader": public | {DEMO_SLUG},
        "nobody": public,
        "other": public | {OPEN_SLUG},
    }
    for who, slugs in expected.items():
        listed = (await world.call(who, "GET", "/api/charters")).json()["charters"]
        assert {c["slug"] for c in listed} == slugs, who
    home = await world.call("nobody", "GET", "/")
    assert f'/charters/{OPEN_SLUG}"' in home.text and f"/charters/{DEMO_SLUG}" not in home.text


@pytest.mark.asyncio(loop_scope="module")
async def test_ids_of_another_charter_are_not_found_through_ones_own(world: World) -> None:
    """The facilitator of the public charter names the private charter's objects through
    the slug of the charter they manage: 404 every time, and nothing changes."""
    demo = world.demo
    invite = (
        await world.admin("POST", f"/api/charters/{DEMO_SLUG}/invites", {"role": "editor"})
    ).json()
    victim = participant_id(await make_token(world.server, "editor", "Victime"))
    version = (
        await world.admin("POST", f"/api/charters/{DEMO_SLUG}/versions", {"label": "V"})
    ).json()
    amendment = (
        await world.admin(
            "POST",
            f"/api/charters/{DEMO_SLUG}/articles/{demo.key}/amendments",
            {"title": "Privé", "rationale": "Privé."},
        )
    ).json()
    thread = (
        await world.admin(
            "POST", f"/api/charters/{DEMO_SLUG}/articles/{demo.key}/threads", {"body": "Privé"}
        )
    ).json()
    comment_id = thread["comments"][0]["id"]
    own = f"/api/charters/{OPEN_SLUG}"
    attempts = [
        ("POST", f"{own}/sections/{demo.section_id}/articles", {"title": "Intrus"}),
        ("PATCH", f"{own}/sections/{demo.section_id}", {"title": "Intrus"}),
        ("DELETE", f"{own}/sections/{demo.section_id}", None),
        ("PUT", f"{own}/sections/{demo.section_id}/order", {"order": [demo.key]}),
        ("GET", f"{own}/articles/{demo.key}", None),
        ("PATCH", f"{own}/articles/{demo.key}", {"title": "Intrus"}),
        ("DELETE", f"{own}/articles/{demo.key}", None),
        ("DELETE", f"{own}/invites/{invite['id']}", None),
        ("PATCH", f"{own}/participants/{victim}", {"role": "reader"}),
        ("PATCH", f"{own}/participants/{victim}", {"blocked": True}),
        ("GET", f"{own}/versions/{version['id']}", None),
        ("GET", f"{own}/compare?from={version['id']}&to=live", None),
        ("GET", f"{own}/amendments/{amendment['id']}", None),
        ("POST", f"{own}/amendments/{amendment['id']}/accept", {}),
        ("POST", f"{own}/amendments/{amendment['id']}/reject", {"reason": "Intrus"}),
        ("PUT", f"{own}/amendments/{amendment['id']}/vote", {"choice": "for"}),
        ("POST", f"{own}/articles/{demo.key}/amendments", {"title": "I", "rationale": "I"}),
        ("PUT", f"{own}/articles/{demo.key}/phase", {"phase": "amendments"}),
        ("GET", f"{own}/threads/{thread['id']}", None),
        ("POST", f"{own}/threads/{thread['id']}/comments", {"body": "Intrus"}),
        ("PUT", f"{own}/threads/{thread['id']}/status", {"status": "resolved"}),
        ("PATCH", f"{own}/comments/{comment_id}", {"body": "Intrus"}),
        ("DELETE", f"{own}/comments/{comment_id}", None),
        ("POST", f"{own}/comments/{comment_id}/hide", {"reason": "Intrus"}),
        ("GET", f"{own}/articles/{demo.key}/threads", None),
        ("GET", f"{own}/articles/{demo.key}/stances", None),
        ("POST", f"{own}/articles/{demo.key}/threads", {"body": "Intrus"}),
        ("PUT", f"{own}/articles/{demo.key}/seen", {"through": comment_id}),
        ("GET", f"{own}/articles/{demo.key}/since", None),
        ("PUT", f"{own}/articles/{demo.key}/visit", None),
        ("PUT", f"{own}/me/follows", {"kind": "article", "id": demo.key, "follow": True}),
        ("PUT", f"{own}/me/follows", {"kind": "amendment", "id": amendment["id"], "follow": True}),
    ]
    votes = f"/api/charters/{DEMO_SLUG}/votes"
    for vote in (await world.admin("GET", votes)).json()["votes"]:
        if vote["status"] == "open":
            await world.admin("POST", f"{votes}/{vote['id']}/close")
    vote = (await world.admin("POST", votes, {"subject": {"kind": "charter"}})).json()
    attempts += [
        ("GET", f"{own}/votes/{vote['id']}", None),
        ("PUT", f"{own}/votes/{vote['id']}/ballot", {"choice": "agree"}),
        ("POST", f"{own}/votes/{vote['id']}/close", None),
    ]
    before = await world.snapshot()
    for method, path, body in attempts:
        response = await world.call("other", method, path, body)
        assert response.status_code == 404, (method, path, response.text)
    assert await world.snapshot() == before
    # The private charter's document under the public charter's name does not exist either.
    wire = await Wire.open(
        world.server.ws_url,
        "yws",
        f"charters/{OPEN_SLUG}/articles/{demo.key}",
        world.tokens["other"],
    )
    assert await wire.wait_closed() == 4404
