"""The unsubscribe link of every e-mail (server/domain/digest_mail.py): it works without
logging in, the signed token being the credential. ``GET`` shows what it will stop, one
click (``POST``, also what mail clients send for RFC 8058 one-click unsubscribe) stops
digests and instant notices."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from persistence.people import ParticipantRecord
from persistence.repo import CharterRecord, NotFound
from server.api.common import services
from server.domain.digest_mail import participant_of_token
from server.pages.site import render


async def _whose(request: Request) -> tuple[ParticipantRecord, CharterRecord] | None:
    svc = services(request)
    participant_id = participant_of_token(svc, request.path_params["token"])
    if participant_id is None:
        return None
    try:
        person = await svc.people.get_participant(participant_id)
    except NotFound:
        return None
    charter = next((c for c in await svc.repo.list_charters() if c.id == person.charter_id), None)
    return (person, charter) if charter is not None else None


async def unsubscribe_page(request: Request) -> Response:
    found = await _whose(request)
    if found is None:
        return render(request, "unsubscribe.html", {"person": None}, 404)
    person, charter = found
    return render(request, "unsubscribe.html", {"person": person, "charter": charter})


async def unsubscribe(request: Request) -> Response:
    found = await _whose(request)
    if found is None:
        return render(request, "unsubscribe.html", {"person": None}, 404)
    person, charter = found
    await services(request).stores.follows.set_preferences(person.id, "none", False)
    context = {"person": person, "charter": charter, "done": True}
    return render(request, "unsubscribe.html", context)


routes = [
    Route("/mail/unsubscribe/{token}", unsubscribe_page, methods=["GET"]),
    Route("/mail/unsubscribe/{token}", unsubscribe, methods=["POST"]),
]
