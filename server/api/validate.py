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


CHOOSE = ("amendment", "live", "both", "text")


def resolution_items(raw: object, *, with_ids: bool) -> list[tuple[str, int | None, str]]:
    """``[{"choose": "amendment" | "live" | "both" | "text", "amendment"?, "text"?}]``: the
    words to keep where a merge meets other words, one per place, as (choose, amendment id,
    text). ``with_ids``: "amendment" names which one (a bundle has several)."""
    problem = 'resolutions must be a list of {"choose": "amendment" | "live" | "both" | "text"}'
    if not isinstance(raw, list) or len(raw) > 500:
        raise Invalid(problem, field="resolutions")
    found: list[tuple[str, int | None, str]] = []
    for item in raw:
        if not isinstance(item, dict) or item.get("choose") not in CHOOSE:
            raise Invalid(problem, field="resolutions")
        amendment = item.get("amendment") if with_ids else None
        if (
            with_ids
            and item["choose"] == "amendment"
            and (not isinstance(amendment, int) or isinstance(amendment, bool))
        ):
            raise Invalid("choose amendment needs the amendment's id", field="resolutions")
        text = item.get("text", "")
        if not isinstance(text, str) or len(text) > 2000 or "\x00" in text:
            raise Invalid("a resolution's text is at most 2000 characters", field="resolutions")
        found.append((item["choose"], amendment, text.strip()))
    return found
