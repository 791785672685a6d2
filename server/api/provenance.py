"""Who wrote what (anyone who may read the charter): an article's text as runs of authors
with the people and the share of words by badge and way; the same summed over the charter.
Names and badges are those the comparisons between versions already show."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.repo import ArticleRecord, CharterRecord
from server.access import Action
from server.api.amendments import amendment_json
from server.api.comments import resolvers
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, text_field
from server.domain import moderation
from server.domain.provenance import (
    article_authors,
    charter_authors,
    history,
    person_json,
    state_at_step,
    why,
)
from server.domain.versions import version_json
from server.domain.votes import vote_json
from server.errors import Invalid, NotFoundError


async def _article(request: Request) -> tuple[CharterRecord, ArticleRecord]:
    record = await charter_or_404(request)
    await require(request, Action.READ, record)
    key = request.path_params["key"]
    found = next((a for _, a in record.articles() if a.key == key), None)
    if found is None:
        raise NotFoundError(f"no article {key!r} in this charter")
    return record, found


async def article(request: Request) -> Response:
    charter, found = await _article(request)
    return JSONResponse(await article_authors(services(request), charter, found))


def _position(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(f"{name} must be a position in the text (UTF-16 units)", field=name) from None
    if value < 0:
        raise Invalid(f"{name} must be a position in the text (UTF-16 units)", field=name)
    return value


async def why_here(request: Request) -> Response:
    """``?start=S&end=E`` (UTF-16 units of the live text; a caret: its sentence): who wrote
    the passage, the amendment that brought it, the first named version that held it, the
    discussions on it."""
    record, found = await _article(request)
    start = _position(request, "start", 0)
    end = _position(request, "end", start)
    if end < start:
        raise Invalid("end must not come before start", field="end")
    svc = services(request)
    origin = await why(svc, resolvers(request), record, found, start, end)
    people = [
        person_json(origin.people[o.participant_id])
        for o in origin.origins
        if o.participant_id is not None and o.participant_id in origin.people
    ]
    version = origin.first_version
    return JSONResponse(
        {
            "passage": {"start": origin.start, "end": origin.end, "text": origin.text},
            "people": list({p["id"]: p for p in people}.values()),
            "unknown": any(o.participant_id is None for o in origin.origins),
            "amendments": [amendment_json(record, a) for a in origin.amendments],
            "votes": [vote_json(v) for v in origin.votes],
            "first_version": None
            if version is None
            else {
                "id": version.id,
                "label": version.label,
                "kind": version.kind,
                "created_at": version.created_at.isoformat(),
            },
            "threads": [
                {
                    "id": t.id,
                    "quote": place.text or t.quote,
                    "status": t.status,
                    "author": t.author_name,
                    "author_badge": t.author_badge,
                    "comments": len(t.comments),
                }
                for t, place in origin.threads
                if not t.hidden
            ],
        }
    )


async def drafting(request: Request) -> Response:
    """The article's drafting history: its steps (a minute of writing each, and one at
    every saved version) with who wrote in each, and the versions marked on them."""
    record, found = await _article(request)
    svc = services(request)
    past = await history(svc, record, found)
    people = {p.id: p for p in await svc.people.list_participants(record.id)}
    return JSONResponse(
        {
            "article": found.key,
            "steps": [
                {
                    "position": position,
                    "at": at.isoformat(),
                    "people": [person_json(people[p]) for p in who if p in people],
                }
                for position, at, _, who, _ in past.steps
            ],
            "marks": [
                {
                    "version": {
                        "id": v.id,
                        "label": v.label,
                        "kind": v.kind,
                        "created_at": v.created_at.isoformat(),
                    },
                    "position": position,
                }
                for v, position in past.marks
            ],
        }
    )


async def drafting_step(request: Request) -> Response:
    """The article's text as it read at one step of its history."""
    record, found = await _article(request)
    try:
        position = int(request.path_params["position"])
    except ValueError:
        raise NotFoundError("no such step in the article's history") from None
    svc = services(request)
    past = await history(svc, record, found)
    doc = await state_at_step(svc, found, past.steps, position)
    if doc is None:
        raise NotFoundError("no such step in the article's history")
    step = next(s for s in past.steps if s[0] == position)
    return JSONResponse(
        {
            "position": position,
            "at": step[1].isoformat(),
            "text": doc.text(),
            "delta": [{"insert": t, **({"attributes": a} if a else {})} for t, a in doc.ops()],
        }
    )


def _int_field(raw: object, name: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise Invalid(f"{name} must be a number", field=name)
    try:
        return int(raw)
    except ValueError:
        raise Invalid(f"{name} must be a number", field=name) from None


async def revert_preview(request: Request) -> Response:
    """``?participant=ID&since=POSITION`` (facilitators): what reverting that participant's
    edits on the article since that step of its history would do, without doing it."""
    record, found = await _article(request)
    await require(request, Action.MANAGE, record)
    participant = _int_field(request.query_params.get("participant"), "participant")
    since = _int_field(request.query_params.get("since"), "since")
    done = await moderation.plan(services(request), record, found, participant, since)
    return JSONResponse(_plan_json(done))


async def revert_edits(request: Request) -> Response:
    """``{"participant": ID, "since": POSITION, "reason": "…"}`` (facilitators): revert,
    after saving the text as a version; listed in the public moderation log."""
    record, found = await _article(request)
    who = await require(request, Action.MANAGE, record)
    body = await json_object(request)
    participant = _int_field(body.get("participant"), "participant")
    since = _int_field(body.get("since"), "since")
    reason = text_field(body, "reason") or ""
    svc = services(request)
    done, plan = await moderation.revert(svc, record, found, participant, since, reason, who)
    version = await svc.stores.versions.get(record.id, done.version_before_id or 0)
    svc.publish(record.id, {"type": "version", "event": "saved", "version": version_json(version)})
    return JSONResponse({**moderation.revert_json(done), "plan": _plan_json(plan)})


def _plan_json(plan: moderation.Plan) -> dict[str, object]:
    return {
        "participant": {"id": plan.participant.id, "name": plan.participant.name},
        "since": plan.since,
        "since_at": plan.since_at.isoformat(),
        "hunks": plan.hunks,
        "words_removed": plan.removed,
        "words_restored": plan.restored,
        "text": plan.after,
        "changes": plan.after != plan.before,
    }


async def charter(request: Request) -> Response:
    record = await charter_or_404(request)
    await require(request, Action.READ, record)
    return JSONResponse(await charter_authors(services(request), record))


routes = [
    Route("/api/charters/{slug}/authors", charter, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/authors", article, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/why", why_here, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/history", drafting, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/revert", revert_preview, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/revert", revert_edits, methods=["POST"]),
    Route("/api/charters/{slug}/articles/{key}/history/{position}", drafting_step, methods=["GET"]),
]
