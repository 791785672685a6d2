"""Domain errors as JSON API answers: ``{"error": {"code", "message", "field"?}}``. The only
place that knows which HTTP status each kind of refusal gets."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from server.errors import (
    ConflictError,
    DomainError,
    Forbidden,
    Invalid,
    NotFoundError,
    RateLimited,
    Unauthorized,
)

STATUS: dict[type[DomainError], tuple[int, str]] = {
    Invalid: (422, "invalid"),
    NotFoundError: (404, "not_found"),
    ConflictError: (409, "conflict"),
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    RateLimited: (429, "rate_limited"),
}


def status_of(exc: DomainError) -> tuple[int, str]:
    """(HTTP status, error code) of a refusal; 400 for a kind without its own."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400, "bad_request"


def error_body(exc: DomainError) -> dict[str, object]:
    error: dict[str, object] = {"code": status_of(exc)[1], "message": exc.message}
    if exc.field is not None:
        error["field"] = exc.field
    return {"error": error}


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"retry-after": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
    return JSONResponse(error_body(exc), status_code=status_of(exc)[0], headers=headers)
