"""Amendments: propose, list, review, open, vote, withdraw, accept, reject; co-authors
(by name: authorship is public) and who may be invited; phases.

Every change is pushed on the charter's channel as ``{"type": "amendment", ...}``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.amendments import CHOICES, AmendmentRecord
from persistence.repo import CharterRecord, NotFound
from persistence.subgroups import SubgroupRecord
from server.access import Action
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, resolution_items, text_field
from server.domain import amendments as domain
from server.domain import coauthors
from server.domain.subgroups import PALETTE
from server.errors import ConflictError, Invalid, NotFoundError

MAX_RATIONALE = 10_000
PHASES = ("open", "amendments")


def group_brief(group: SubgroupRecord | None) -> dict[str, Any] | None:
    """The sub-group whose draft this amendment is (None for an ordinary amendment)."""
    if group is None:
        return None
    strong, tint = PALETTE.get(group.colour, PALETTE["blue"])
    return {
        "id": group.id,
        "name": group.name,
        "letter": group.letter,
        "hex": strong,
        "tint": tint,
        "status": group.status,
    }


def amendment_json(
    charter: CharterRecord, record: AmendmentRecord, group: SubgroupRecord | None = None
) -> dict[str, Any]:
    return {
        "id": record.id,
        "document": domain.document_name(charter, record),
        "article": {
            "id": record.article_key,
            "title": record.article_title,
            "deleted": record.article_deleted,
        },
        "title": record.title,
        "rationale": record.rationale,
        "status": record.status,
        "author": record.author_name,
        "author_id": record.author_id,
        "author_badge": record.badges.get(record.author_id) if record.author_id else None,
        "co_authors": sorted(a for a in record.authors if a != record.author_id),
        "co_author_names": [
            {"id": pid, "name": name, "badge": record.badges.get(pid)}
            for pid, name in sorted(record.co_author_names.items())
        ],
        "created_at": record.created_at.isoformat() if record.created_at else None,
        "votes": record.tally(),
        "voters": [{"name": v.name, "choice": v.choice, "badge": v.badge} for v in record.votes],
        "choices": {str(v.participant_id): v.choice for v in record.votes},  # by participant
        "version_before": record.version_before_id,
        "version_after": record.version_after_id,
        "group": group_brief(group),
        "history": [
            {
                "status": e.status,
                "by": e.participant_name,
                "reason": e.reason,
                "at": e.at.isoformat() if e.at else None,
            }
            for e in record.events
        ],
    }


async def _record(request: Request, charter: CharterRecord) -> AmendmentRecord:
    raw = request.path_params["amendment_id"]
    try:
        return await services(request).amendments.get(charter.id, int(raw))
    except (ValueError, NotFound) as exc:
        raise NotFoundError(f"no amendment {raw!r}") from exc


async def _alone(request: Request, charter: CharterRecord) -> AmendmentRecord:
    """An amendment supported or decided on its own: not a sub-group's draft (merged with
    the other groups' drafts, or closed with its group: server/api/subgroups.py)."""
    record = await _record(request, charter)
    if await services(request).stores.subgroups.of_amendments([record.id]):
        raise ConflictError(
            "this is a sub-group's draft: it is merged with the other drafts or closed "
            "with its group, not supported or decided on its own"
        )
    return record


async def propose(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    key = request.path_params["key"]
    try:
        article = await services(request).repo.find_article(charter.slug, key)
    except NotFound as exc:
        raise NotFoundError(f"no article {key!r}: it may have been deleted") from exc
    body = await json_object(request)
    title = text_field(body, "title") or ""
    rationale = text_field(body, "rationale", max_length=MAX_RATIONALE) or ""
    open_now = body.get("open", True)
    if not isinstance(open_now, bool):
        raise Invalid("open must be true or false", field="open")
    record = await domain.propose(
        services(request), charter, article, who, title, rationale, open_now=open_now
    )
    fresh = await services(request).amendments.get(charter.id, record.id)
    return JSONResponse(amendment_json(charter, fresh), status_code=201)


async def list_amendments(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    status = request.query_params.get("status")
    if status is not None and status not in ("draft", "open", "accepted", "rejected", "withdrawn"):
        raise Invalid(f"unknown status {status!r}", field="status")
    article_id = None
    key = request.query_params.get("article")
    if key is not None:
        try:
            article_id = (await services(request).repo.find_article(charter.slug, key)).id
        except NotFound as exc:
            raise NotFoundError(f"no article {key!r}") from exc
    found = await services(request).amendments.find(
        charter.id, article_id=article_id, status=status
    )
    groups = await services(request).stores.subgroups.of_amendments(r.id for r in found)
    return JSONResponse(
        {"amendments": [amendment_json(charter, r, groups.get(r.id)) for r in found]}
    )


async def get_amendment(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.READ, charter)
    record = await _record(request, charter)
    review = await domain.review(services(request), record)
    groups = await services(request).stores.subgroups.of_amendments([record.id])
    return JSONResponse(
        {**amendment_json(charter, record, groups.get(record.id)), "review": review}
    )


async def open_amendment(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    record = await domain.open_for_support(services(request), await _record(request, charter), who)
    return JSONResponse(amendment_json(charter, record))


async def withdraw(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    reason = text_field(await json_object(request), "reason", max_length=2000, required=False)
    record = await domain.withdraw(services(request), await _alone(request, charter), who, reason)
    return JSONResponse(amendment_json(charter, record))


async def accept(request: Request) -> Response:
    """``{"reason"?, "resolutions"?: [{"choose": "amendment" | "live" | "both" | "text",
    "text"?}]}``: one resolution per conflict with the live text, in the order the review
    lists them ("both": the words of both, as the merge puts them)."""
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    body = await json_object(request)
    reason = text_field(body, "reason", max_length=2000, required=False)
    resolutions = _resolutions(body.get("resolutions"))
    record = await _alone(request, charter)
    fresh = await services(request).repo.get_charter(charter.slug)
    accepted = await domain.accept(services(request), fresh, record, who, reason, resolutions)
    return JSONResponse(amendment_json(charter, accepted))


def _resolutions(raw: object) -> list[domain.Resolution] | None:
    if raw is None:
        return None
    return [
        domain.Resolution(choose, text) for choose, _, text in resolution_items(raw, with_ids=False)
    ]


async def reject(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    body = await json_object(request)
    reason = text_field(body, "reason", max_length=2000) or ""
    record = await domain.reject(services(request), await _alone(request, charter), who, reason)
    return JSONResponse(amendment_json(charter, record))


async def vote(request: Request) -> Response:
    """``{"choice": "for" | "against" | "abstain" | null}`` (null withdraws the vote)."""
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    body = await json_object(request)
    if "choice" not in body:
        raise Invalid("choice is required: for, against, abstain or null", field="choice")
    choice = body["choice"]
    if choice is not None and choice not in CHOICES:
        raise Invalid("choice must be for, against, abstain or null", field="choice")
    record = await domain.vote(services(request), await _alone(request, charter), who, choice)
    return JSONResponse(amendment_json(charter, record))


async def add_author(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    body = await json_object(request)
    participant_id = body.get("participant_id")
    if not isinstance(participant_id, int) or isinstance(participant_id, bool):
        raise Invalid("participant_id must be a participant's id", field="participant_id")
    record = await coauthors.add_author(
        services(request), await _record(request, charter), who, participant_id
    )
    return JSONResponse(amendment_json(charter, record))


async def candidates(request: Request) -> Response:
    """Who the amendment's authors (and the facilitators) may invite as co-authors:
    participants who may co-write it and are not authors yet, by name."""
    charter = await charter_or_404(request)
    who = await require(request, Action.COMMENT, charter)
    found = await coauthors.candidates(services(request), await _record(request, charter), who)
    return JSONResponse(
        {
            "participants": [
                {"id": p.id, "name": p.name, "role": p.role, "badge": p.badge} for p in found
            ]
        }
    )


def _phase(body: dict[str, Any], *, nullable: bool) -> str | None:
    phase = body.get("phase")
    if phase is None and nullable and "phase" in body:
        return None
    if phase not in PHASES:
        allowed = "open or amendments" + (" or null" if nullable else "")
        raise Invalid(f"phase must be {allowed}", field="phase")
    return str(phase)


async def set_charter_phase(request: Request) -> Response:
    """Between workshops: ``amendments`` refuses direct edits from editors."""
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    phase = _phase(await json_object(request), nullable=False)
    svc = services(request)
    assert phase is not None
    await svc.amendments.set_charter_phase(charter.id, phase)
    for _, article in charter.articles():
        await svc.refresh_scope(article.document_id)
    svc.publish(charter.id, {"type": "phase", "phase": phase, "article": None})
    return JSONResponse({"slug": charter.slug, "phase": phase})


async def set_article_phase(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    key = request.path_params["key"]
    try:
        article = await services(request).repo.find_article(charter.slug, key)
    except NotFound as exc:
        raise NotFoundError(f"no article {key!r}") from exc
    phase = _phase(await json_object(request), nullable=True)
    svc = services(request)
    await svc.amendments.set_article_phase(charter.id, article.id, phase)
    await svc.refresh_scope(article.document_id)
    svc.publish(charter.id, {"type": "phase", "phase": phase, "article": key})
    return JSONResponse({"article": key, "phase": phase})


routes = [
    Route("/api/charters/{slug}/amendments", list_amendments, methods=["GET"]),
    Route("/api/charters/{slug}/articles/{key}/amendments", propose, methods=["POST"]),
    Route("/api/charters/{slug}/amendments/{amendment_id}", get_amendment, methods=["GET"]),
    Route("/api/charters/{slug}/amendments/{amendment_id}/open", open_amendment, methods=["POST"]),
    Route("/api/charters/{slug}/amendments/{amendment_id}/withdraw", withdraw, methods=["POST"]),
    Route("/api/charters/{slug}/amendments/{amendment_id}/accept", accept, methods=["POST"]),
    Route("/api/charters/{slug}/amendments/{amendment_id}/reject", reject, methods=["POST"]),
    Route("/api/charters/{slug}/amendments/{amendment_id}/vote", vote, methods=["PUT"]),
    Route("/api/charters/{slug}/amendments/{amendment_id}/authors", add_author, methods=["POST"]),
    Route(
        "/api/charters/{slug}/amendments/{amendment_id}/candidates",
        candidates,
        methods=["GET"],
    ),
    Route("/api/charters/{slug}/phase", set_charter_phase, methods=["PUT"]),
    Route("/api/charters/{slug}/articles/{key}/phase", set_article_phase, methods=["PUT"]),
]
