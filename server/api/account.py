"""The participant's own account over JSON: their e-mail address, their data, deleting the
account. Only the participant themself: no facilitator reads another's address."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from persistence.repo import CharterRecord
from server.access import Action, Principal
from server.api.common import charter_or_404, require, services
from server.api.validate import json_object
from server.domain import account
from server.errors import Forbidden, Invalid


async def participant(request: Request, charter: CharterRecord) -> Principal:
    """The request's participant (not the administrator, not an anonymous reader)."""
    who = await require(request, Action.READ, charter)
    if who.participant_id is None:
        raise Forbidden("only a participant of this charter has an account here")
    return who


async def get_email(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await participant(request, charter)
    svc = services(request)
    assert who.participant_id is not None
    state = await svc.stores.accounts.email(who.participant_id)
    return JSONResponse(account.email_json(state, svc))


async def put_email(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await participant(request, charter)
    body = await json_object(request)
    svc = services(request)
    state = await account.change_email(svc, charter, who, body.get("email"))
    return JSONResponse(account.email_json(state, svc))


async def delete_email(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await participant(request, charter)
    svc = services(request)
    await account.remove_email(svc, who)
    assert who.participant_id is not None
    return JSONResponse(
        account.email_json(await svc.stores.accounts.email(who.participant_id), svc)
    )


async def get_export(request: Request) -> Response:
    charter = await charter_or_404(request)
    who = await participant(request, charter)
    data = await account.export(services(request), charter, who)
    name = f"{charter.slug}-my-data-{who.participant_id}.json"
    return JSONResponse(data, headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def delete_me(request: Request) -> Response:
    """Needs ``{"confirm": true}``: deleting an account cannot be undone."""
    charter = await charter_or_404(request)
    who = await participant(request, charter)
    body = await json_object(request)
    if body.get("confirm") is not True:
        raise Invalid("confirm must be true: deleting an account cannot be undone", field="confirm")
    name = await account.delete_account(services(request), charter, who)
    return JSONResponse({"deleted": True, "pseudonym": name})


routes = [
    Route("/api/charters/{slug}/me", delete_me, methods=["DELETE"]),
    Route("/api/charters/{slug}/me/email", get_email, methods=["GET"]),
    Route("/api/charters/{slug}/me/email", put_email, methods=["PUT"]),
    Route("/api/charters/{slug}/me/email", delete_email, methods=["DELETE"]),
    Route("/api/charters/{slug}/me/export", get_export, methods=["GET"]),
]
