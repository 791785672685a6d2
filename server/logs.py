"""Logging set-up: key=value lines, and no secret ever written to a log.

Secrets can reach a log line inside a logged URL (uvicorn logs each websocket with its
query string, where ``?token=`` lives; a path may hold an invitation ``/join/…``) or a
header. Query parameters are judged by their *decoded* names, as the application reads
them, so that ``?%74oken=…`` is as secret as ``?token=…``.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

# Parameter names whose values are secrets, compared after decoding and case-folding.
SECRET_PARAMETERS = frozenset({"token", "access_token", "secret", "password"})
_PARAMETER = re.compile(r"(?:^|(?<=[?&;\s]))([^=&;\s\"'?#]+)=([^&;\s\"'#]*)")
_JOIN = re.compile(
    r"((?:/|%2f)(?:j|%[46]a)(?:o|%[46]f)(?:i|%[46]9)(?:n|%[46]e)(?:/|%2f))[^\s\"'?#&]+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(Bearer\s+)[^\s\"']+", re.IGNORECASE)
_HEADER = re.compile(r"((?:cookie|set-cookie|authorization)\s*:\s*)[^\n]+", re.IGNORECASE)
REDACTED = "[redacted]"


def _decoded(name: str) -> str:
    for _ in range(3):  # %2574oken decodes to %74oken, then to token
        plain = unquote_plus(name)
        if plain == name:
            break
        name = plain
    return name.strip().casefold()


def _parameter(match: re.Match[str]) -> str:
    name = match[1]
    return f"{name}={REDACTED}" if _decoded(name) in SECRET_PARAMETERS else match[0]


def redact(text: str) -> str:
    text = _PARAMETER.sub(_parameter, text)
    text = _JOIN.sub(rf"\1{REDACTED}", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    return _HEADER.sub(rf"\1{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message holds a secret; the secret never reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # aiosqlite logs every statement with its parameters at DEBUG: keys and nonces included.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger().level))
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "charter"):
        logger = logging.getLogger(name)
        # Filters on handlers see records from every child logger; filters on loggers do not.
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactSecrets) for f in target.filters):
                target.addFilter(RedactSecrets())
