"""What a participant follows, their mail preferences, and "since your last visit":

``GET /api/charters/{slug}/me/follows``, ``PUT …/me/follows`` (one target on or off),
``PUT …/me/mail-preferences``, ``GET …/articles/{key}/since`` (the word diff since their
last visit) and ``PUT …/articles/{key}/visit`` (they have seen the text as it is now); the
same for every article at once: ``GET …/me/since``, ``PUT …/me/visit``.
Participants only: the administrator and anonymous readers follow nothing.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.follows import Preferences
from persistence.repo import CharterRecord
from server.access import Action
from server.api.comments import article_of
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object
from server.domain import follows as domain
from server.domain.digest_mail import diff_parts
from server.errors import Invalid

HUNKS = {"=": "equal", "-": "delete", "+": "insert"}  # as web/src/lib/diff-view.js reads them


async def _participant(request: Request) -> tuple[CharterRecord, int]:
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    return charter, domain.participant_of(who)


def preferences_json(prefs: Preferences) -> dict[str, Any]:
    at = prefs.last_digest_at
    return {
        "frequency": prefs.frequency,
        "instant_replies": prefs.instant_replies,
        "last_digest_at": at.isoformat() if at else None,
    }


async def follows_json(request: Request, charter: CharterRecord, participant_id: int) -> Response:
    svc = services(request)
    found = await domain.of_participant(svc, charter, participant_id)
    prefs = await domain.preferences(svc, charter, participant_id)
    return JSONResponse(
        {
            "charter": ("charter", charter.id) in found.explicit,
            "sections": [s.id for s in charter.sections if ("section", s.id) in found.explicit],
            "articles": [
                {"id": a.key, "title": a.title, "why": found.articles[a.id]}
                for _, a in charter.articles()
                if a.id in found.articles
            ],
            "muted": [
                {"kind": kind, "id": _ref(charter, kind, target)}
                for kind, target in sorted(found.muted)
            ],
            "amendments": [{"id": i, "why": w} for i, w in sorted(found.amendments.items())],
            "preferences": preferences_json(prefs),
        }
    )


def _ref(charter: CharterRecord, kind: str, target: int) -> object:
    if kind == "article":
        return next((a.key for _, a in charter.articles() if a.id == target), target)
    return target


async def my_follows(request: Request) -> Response:
    charter, participant_id = await _participant(request)
    return await follows_json(request, charter, participant_id)


async def set_follow(request: Request) -> Response:
    """``{"kind": "charter"|"section"|"article"|"amendment", "id": …, "follow": bool}``
    (an article by its key; the charter needs no id)."""
    charter, participant_id = await _participant(request)
    body = await json_object(request)
    on = body.get("follow")
    if not isinstance(on, bool):
        raise Invalid("follow: true or false", field="follow")
    kind = str(body.get("kind", ""))
    target = await domain.target_of(services(request), charter, kind, body.get("id"))
    await domain.set_follow(services(request), charter, participant_id, (kind, target), on)
    return await follows_json(request, charter, participant_id)


async def set_preferences(request: Request) -> Response:
    """``{"frequency": "none"|"daily"|"weekly", "instant_replies": bool}``."""
    charter, participant_id = await _participant(request)
    body = await json_object(request)
    await domain.set_preferences(
        services(request), participant_id, body.get("frequency"), body.get("instant_replies")
    )
    prefs = await domain.preferences(services(request), charter, participant_id)
    return JSONResponse(preferences_json(prefs))


def change_json(found: domain.TextChange) -> dict[str, Any]:
    return {
        "article": found.article.key,
        "title": found.article.title,
        "changed": True,
        "since": found.since.isoformat(),
        "added": found.added,
        "removed": found.removed,
        "who": found.who,
        "diff": [{"kind": HUNKS[k], "text": t} for k, t in diff_parts(found)],
    }


async def since_charter(request: Request) -> Response:
    """Every article whose text changed since this participant last saw it."""
    charter, participant_id = await _participant(request)
    found = await domain.since_all(services(request), charter, participant_id)
    return JSONResponse({"articles": [change_json(c) for c in found]})


async def visit_charter(request: Request) -> Response:
    """The participant has seen every article's text as it is now."""
    charter, participant_id = await _participant(request)
    await domain.visit_all(services(request), charter, participant_id)
    return JSONResponse({"visited": True})


async def since_visit(request: Request) -> Response:
    """The article's text change since this participant last saw it (``changed`` false:
    nothing changed, or they never saw it: ``since`` is then null)."""
    charter, participant_id = await _participant(request)
    article = await article_of(request, charter)
    found = await domain.since_visit(services(request), charter, article, participant_id)
    if found is None:
        return JSONResponse({"article": article.key, "changed": False})
    return JSONResponse(change_json(found))


async def visit(request: Request) -> Response:
    """The participant has seen the article's text as it is now."""
    charter, participant_id = await _participant(request)
    article = await article_of(request, charter)
    await domain.visit(services(request), article, participant_id)
    return JSONResponse({"article": article.key, "visited": True})


routes = [
    Route("/api/charters/{slug}/me/follows", my_follows, methods=["GET"]),
    Route("/api/charters/{slug}/me/follows", set_follow, methods=["PUT"]),
    Route("/api/charters/{slug}/me/mail-preferences", set_preferences, methods=["PUT"]),
    Route("/api/charters/{slug}/me/since", since_charter, methods=["GET"]),
    Route("/api/charters/{slug}/me/visit", visit_charter, methods=["PUT"]),
    Route("/api/charters/{slug}/articles/{key}/since", since_visit, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/visit", visit, methods=["PUT"]),
]
