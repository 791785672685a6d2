"""What every API module needs: the services, the principal, the one permission check."""

from __future__ import annotations

from starlette.requests import Request

from persistence.repo import CharterRecord, NotFound
from server.access import Action, Principal, decide
from server.errors import Forbidden, NotFoundError, Unauthorized
from server.services import Services

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def charter_or_404(request: Request, slug: str | None = None) -> CharterRecord:
    try:
        return await services(request).repo.get_charter(slug or request.path_params["slug"])
    except NotFound as exc:
        raise NotFoundError(str(exc)) from exc


async def principal(request: Request, charter: CharterRecord | None) -> Principal | None:
    identity = services(request).identity
    token = bearer(request)
    if charter is None:
        return await identity.from_token(token) if token else None
    return await identity.resolve(charter, token, request.cookies)


async def require(request: Request, action: Action, charter: CharterRecord | None) -> Principal:
    """The principal of this request if it may do ``action`` on ``charter``; else 401/403."""
    who = await principal(request, charter)
    decision = decide(who, action, charter.id if charter else None)
    if who is None:
        raise Unauthorized(decision.reason)
    if not decision.allowed:
        raise Forbidden(decision.reason)
    if request.method in UNSAFE and who.via == "cookie":
        check_origin(request)
    return who


def check_origin(request: Request) -> None:
    """A state change authenticated by the cookie must come from our own pages."""
    identity = services(request).identity
    if not identity.allowed_origin(
        request.headers.get("origin"), request.headers.get("host"), request.url.scheme
    ):
        raise Forbidden("cross-site request refused: the Origin header is missing or not allowed")
