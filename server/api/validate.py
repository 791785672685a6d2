"""Small, explicit validators for JSON bodies: each failure names its field."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request

from server.errors import Invalid

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


async def json_object(request: Request, limit: int = 1024 * 1024) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > limit:
        raise Invalid("request body too large")
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise Invalid(f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object")
    return body


def text_field(
    body: dict[str, Any], name: str, *, max_length: int = 200, required: bool = True
) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise Invalid(f"{name} is required", field=name)
        return None
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string", field=name)
    value = value.strip()
    if required and not value:
        raise Invalid(f"{name} must not be empty", field=name)
    if len(value) > max_length:
        raise Invalid(f"{name} is longer than {max_length} characters", field=name)
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise Invalid(f"{name} contains control characters", field=name)
    return value


def pattern_field(body: dict[str, Any], name: str, pattern: re.Pattern[str], hint: str) -> str:
    value = text_field(body, name, max_length=64)
    assert value is not None
    if not pattern.match(value):
        raise Invalid(f"{name} must be {hint}", field=name)
    return value
