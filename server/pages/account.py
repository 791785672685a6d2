"""The participant's "my account" page (no script: plain forms) and the page an e-mail's
verification link opens."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from persistence.repo import CharterRecord, NotFound
from server.access import Action, Principal, decide
from server.api.common import bearer, check_origin, services
from server.domain import account, mail
from server.errors import DomainError
from server.identity import COOKIE, COOKIE_MAX_AGE
from server.pages.site import _form, render

NOTICES = ("email_sent", "email_removed")


async def _participant(request: Request) -> tuple[CharterRecord, Principal] | Response:
    svc = services(request)
    try:
        charter = await svc.repo.get_charter(request.path_params["slug"])
    except NotFound:
        return render(request, "not_found.html", {}, 404)
    who = await svc.identity.resolve(charter, bearer(request), request.cookies)
    if (
        who is None
        or who.participant_id is None
        or not decide(who, Action.READ, charter.id).allowed
    ):
        return render(request, "private.html", {"charter": charter}, 403)
    return charter, who


async def _context(request: Request, charter: CharterRecord, who: Principal) -> dict[str, Any]:
    svc = services(request)
    assert who.participant_id is not None
    notice = request.query_params.get("done")
    return {
        "charter": charter,
        "who": who,
        "email": await svc.stores.accounts.email(who.participant_id),
        "mail_configured": mail.configured(svc.settings),
        "notice": notice if notice in NOTICES else None,
        "error": None,
        "typed": "",
    }


async def account_page(request: Request) -> Response:
    found = await _participant(request)
    if isinstance(found, Response):
        return found
    return render(request, "account.html", await _context(request, *found))


async def account_submit(request: Request) -> Response:
    """One form per action: ``email`` (add or change), ``remove_email``, ``delete``."""
    found = await _participant(request)
    if isinstance(found, Response):
        return found
    charter, who = found
    svc = services(request)
    form = await _form(request, False)
    action = form.get("action")
    here = f"/charters/{charter.slug}/account"
    try:
        if who.via == "cookie":
            check_origin(request)
        if action == "email":
            await account.change_email(svc, charter, who, form.get("email", ""))
            return RedirectResponse(f"{here}?done=email_sent", status_code=303)
        if action == "remove_email":
            await account.remove_email(svc, who)
            return RedirectResponse(f"{here}?done=email_removed", status_code=303)
        if action == "delete" and form.get("confirm") == "yes":
            pseudonym = await account.delete_account(svc, charter, who)
            return _deleted(request, charter, pseudonym)
    except DomainError as exc:
        context = await _context(request, charter, who)
        error = "this e-mail address does not look valid" if exc.field == "email" else exc.message
        context.update(error=error, typed=str(form.get("email", ""))[:254])
        return render(request, "account.html", context, 422)
    context = await _context(request, charter, who)
    context.update(error="account_confirm_missing")
    return render(request, "account.html", context, 422)


def _deleted(request: Request, charter: CharterRecord, pseudonym: str) -> Response:
    """The account is gone: so is its token in the browser's cookie."""
    response = render(request, "account_deleted.html", {"charter": charter, "pseudonym": pseudonym})
    identity = services(request).identity
    tokens = identity.cookie_tokens(request.cookies)
    tokens.pop(str(charter.id), None)
    response.set_cookie(
        COOKIE,
        identity.cookie_value(tokens),
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=services(request).settings.base_url.startswith("https://"),
    )
    return response


async def verify_page(request: Request) -> Response:
    """The link of a verification e-mail: the address becomes the participant's."""
    try:
        verified = await account.verify(services(request), request.path_params["token"])
    except DomainError as exc:
        return render(request, "mail_verify.html", {"problem": exc.field, "verified": None}, 400)
    return render(request, "mail_verify.html", {"problem": None, "verified": verified})


routes = [
    Route("/charters/{slug}/account", account_page, methods=["GET"]),
    Route("/charters/{slug}/account", account_submit, methods=["POST"]),
    Route("/mail/verify/{token}", verify_page, methods=["GET"]),
]
