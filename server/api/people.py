"""Invites, participants and the current principal over JSON (facilitators manage)."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.repo import CharterRecord, NotFound
from server.access import Action
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object, text_field
from server.domain import mail
from server.domain.licences import LICENCES
from server.domain.participation import (
    ParticipationError,
    change_participant,
    clean_name,
    clean_role,
    create_invite,
    invite_json,
    participant_json,
)
from server.errors import Invalid, NotFoundError
from server.live import closecodes
from server.services import Services


def _invalid(exc: ParticipationError) -> Invalid:
    return Invalid(str(exc), field=exc.field)


def _optional_number(body: dict[str, object], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{name} must be a number", field=name)
    return float(value)


async def me(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.READ, charter)
    return JSONResponse(
        {
            "participant_id": who.participant_id,
            "name": who.name,
            "role": who.role.value,
            "badge": who.badge,
            "color": who.color,
            "via": who.via,
        }
    )


async def list_invites(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    svc = services(request)
    invites = await svc.people.list_invites(charter.id)
    return JSONResponse({"invites": [invite_json(svc.identity, i) for i in invites]})


async def post_invite(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await require(request, Action.MANAGE, charter)
    body = await json_object(request)
    svc = services(request)
    try:
        role = clean_role(body.get("role"))
        max_uses = _optional_number(body, "max_uses")
        invite = await create_invite(
            svc.people,
            charter,
            role,
            label=text_field(body, "label", max_length=100, required=False) or "",
            expires_in_hours=_optional_number(body, "expires_in_hours"),
            max_uses=int(max_uses) if max_uses is not None else None,
            created_by=who.participant_id,
        )
    except ParticipationError as exc:
        raise _invalid(exc) from exc
    return JSONResponse(invite_json(svc.identity, invite), status_code=201)


async def revoke_invite(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    svc = services(request)
    try:
        invite = await svc.people.revoke_invite(
            charter.id, int(request.path_params["invite_id"]), datetime.now(UTC)
        )
    except (NotFound, ValueError) as exc:
        raise NotFoundError("no such invite") from exc
    return JSONResponse(invite_json(svc.identity, invite))


async def list_participants(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    svc = services(request)
    people = await svc.people.list_participants(charter.id)
    return JSONResponse(
        {"participants": [participant_json(p, svc.connections_of(p.id)) for p in people]}
    )


async def patch_participant(request: Request) -> Response:
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    body = await json_object(request)
    svc = services(request)
    values: dict[str, object] = {}
    try:
        if "role" in body:
            values["role"] = clean_role(body["role"]).value
        if "name" in body:
            values["name"] = clean_name(body["name"])
    except ParticipationError as exc:
        raise _invalid(exc) from exc
    if "blocked" in body:
        if not isinstance(body["blocked"], bool):
            raise Invalid("blocked must be true or false", field="blocked")
        values["blocked"] = body["blocked"]
    if not values:
        raise Invalid("nothing to change: give role, name or blocked")
    try:
        participant_id = int(request.path_params["participant_id"])
    except ValueError as exc:
        raise NotFoundError("no such participant") from exc
    updated = await change_participant(svc, charter.id, participant_id, values)
    return JSONResponse(participant_json(updated, svc.connections_of(participant_id)))


def _settings_json(charter: CharterRecord, svc: Services) -> dict[str, object]:
    return {
        "mail": {"configured": mail.configured(svc.settings)},  # whether e-mail can be sent
        "slug": charter.slug,
        "public_read": charter.public_read,
        "licence": charter.licence,
        "open_data_discussion": charter.open_data_discussion,
        "open_data_names": charter.open_data_names,
        "licences": [licence.to_json() for licence in LICENCES.values()],
    }


async def get_charter_settings(request: Request) -> Response:
    """The charter's settings and the licences it may choose from (for the facilitators'
    form)."""
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    return JSONResponse(_settings_json(charter, services(request)))


async def patch_charter(request: Request) -> Response:
    """Any of ``public_read``, ``licence`` (one of LICENCES), ``open_data_discussion`` and
    ``open_data_names``."""
    charter = await charter_or_404(request)
    await require(request, Action.MANAGE, charter)
    body = await json_object(request)
    if not {"public_read", "licence", "open_data_discussion", "open_data_names"} & set(body):
        raise Invalid(
            "nothing to change: give public_read, licence, open_data_discussion or open_data_names"
        )
    for name in ("public_read", "open_data_discussion", "open_data_names"):
        if name in body and not isinstance(body[name], bool):
            raise Invalid(f"{name} must be true or false", field=name)
    if "licence" in body and body["licence"] not in LICENCES:
        raise Invalid(f"licence must be one of {', '.join(LICENCES)}", field="licence")
    svc = services(request)
    await svc.people.set_open_data(
        charter.id,
        licence=body.get("licence"),
        discussion=body.get("open_data_discussion"),
        names=body.get("open_data_names"),
    )
    if "public_read" in body:
        await svc.people.set_public_read(charter.id, body["public_read"])
        if not body["public_read"]:
            svc.disconnect_public(
                charter.id, closecodes.PERMISSIONS_CHANGED, "charter made private"
            )
    return JSONResponse(_settings_json(await svc.repo.get_charter(charter.slug), svc))


routes = [
    Route("/api/charters/{slug}/me", me, methods=["GET"]),
    Route("/api/charters/{slug}/settings", get_charter_settings, methods=["GET"]),
    Route("/api/charters/{slug}/settings", patch_charter, methods=["PATCH"]),
    Route("/api/charters/{slug}/invites", list_invites, methods=["GET"]),
    Route("/api/charters/{slug}/invites", post_invite, methods=["POST"]),
    Route("/api/charters/{slug}/invites/{invite_id}", revoke_invite, methods=["DELETE"]),
    Route("/api/charters/{slug}/participants", list_participants, methods=["GET"]),
    Route(
        "/api/charters/{slug}/participants/{participant_id}", patch_participant, methods=["PATCH"]
    ),
]
