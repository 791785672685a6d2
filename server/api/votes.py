"""Live votes of the room: open (facilitators), list, read, cast or withdraw a ballot
(participants who may comment), close (facilitators).

Every change is pushed on the charter's channel as ``{"type": "vote", "event": "opened" |
"ballot" | "closed", "vote": {...}}``; a secret vote's answers and events carry counts only.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.repo import CharterRecord
from persistence.votes import SCALES, VoteRecord
from server.access import Action
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, text_field
from server.domain import votes as domain
from server.errors import Invalid, NotFoundError


def _opening(body: dict[str, Any]) -> domain.Opening:
    scale = body.get("scale", "consent")
    if scale not in SCALES:
        raise Invalid(f"scale must be one of {', '.join(SCALES)}", field="scale")
    secret = body.get("secret", False)
    if not isinstance(secret, bool):
        raise Invalid("secret must be true or false", field="secret")
    duration = body.get("duration_seconds")
    if duration is not None and (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not domain.MIN_SECONDS <= duration <= domain.MAX_SECONDS
    ):
        raise Invalid(
            f"duration_seconds must be null or whole seconds from {domain.MIN_SECONDS}"
            f" to {domain.MAX_SECONDS}",
            field="duration_seconds",
        )
    question = text_field(body, "question", max_length=domain.MAX_QUESTION, required=False)
    return domain.Opening(body.get("subject"), scale, secret, duration, question or None)


async def _vote(request: Request, charter: CharterRecord) -> VoteRecord:
    raw = request.path_params["vote_id"]
    try:
        vote_id = int(raw)
    except ValueError as exc:
        raise NotFoundError(f"no vote {raw!r}") from exc
    return await domain.get(services(request), charter, vote_id)


async def open_vote(request: Request) -> Response:
    """``{"subject", "scale": "simple" | "consent", "secret", "duration_seconds"?,
    "question"?}``."""
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    opening = _opening(await json_object(request))
    record = await domain.open_vote(services(request), charter, who, opening)
    return JSONResponse(domain.vote_json(record, who.participant_id), status_code=201)


async def list_votes(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    found = await domain.listed(services(request), charter)
    return JSONResponse({"votes": [domain.vote_json(r, who.participant_id) for r in found]})


async def get_vote(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    record = await _vote(request, charter)
    return JSONResponse(domain.vote_json(record, who.participant_id))


async def cast(request: Request) -> Response:
    """``{"choice": one of the vote's choices | null}`` (null: withdraw one's ballot)."""
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    body = await json_object(request)
    if "choice" not in body:
        raise Invalid("choice is required (null withdraws the ballot)", field="choice")
    choice = body["choice"]
    if choice is not None and not isinstance(choice, str):
        raise Invalid("choice must be a string or null", field="choice")
    record = await _vote(request, charter)
    fresh = await domain.ballot(services(request), charter, record, who, choice)
    return JSONResponse(domain.vote_json(fresh, who.participant_id))


async def close_vote(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    record = await _vote(request, charter)
    closed = await domain.close(services(request), charter, record, who)
    return JSONResponse(domain.vote_json(closed, who.participant_id))


routes = [
    Route("/api/charters/{slug}/votes", open_vote, methods=["POST"]),
    Route("/api/charters/{slug}/votes", list_votes, methods=["GET"]),
    Route("/api/charters/{slug}/votes/{vote_id}", get_vote, methods=["GET"]),
    Route("/api/charters/{slug}/votes/{vote_id}/ballot", cast, methods=["PUT"]),
    Route("/api/charters/{slug}/votes/{vote_id}/close", close_vote, methods=["POST"]),
]
