"""The errors the domain raises. They know no HTTP: the JSON API maps each kind to a status
(``server/api/errors.py``), pages and the CLI print the message."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; ``field``: the input it is about, if one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(DomainError):
    """The input is malformed or out of bounds."""


class NotFoundError(DomainError):
    """Nothing of that name, or nothing the caller may see."""


class ConflictError(DomainError):
    """The request contradicts the current state (a closed amendment, a taken slug)."""


class Unauthorized(DomainError):
    """No valid credentials."""


class Forbidden(DomainError):
    """Valid credentials without the right."""


class RateLimited(DomainError):
    """Too many requests of one kind; ``retry_after``: whole seconds until one more fits."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
