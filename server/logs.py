"""Logging set-up: key=value lines (or one JSON object per line), and no secret ever
written to a log.

Secrets can reach a log line inside a logged URL (uvicorn logs each websocket with its
query string, where ``?token=`` lives; a path may hold an invitation ``/join/…``) or a
header. Query parameters are judged by their *decoded* names, as the application reads
them, so that ``?%74oken=…`` is as secret as ``?token=…``.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
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


# ``key=value`` words of our messages become fields of a JSON line (document=12,
# participant=7, code=4403…); a value runs to the next space.
_FIELD = re.compile(r"(?:^|(?<=\s))([a-z_][a-z0-9_]*)=(\S*)")
# Fields that carry no identity never get one: a name or a secret is never a field of ours.
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class JsonLines(logging.Formatter):
    """One JSON object per line: time (UTC, RFC 3339), level, logger, message, and the
    message's ``key=value`` words as fields (numbers as numbers). The message is the
    redacted one: the filters have run before any formatter."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        for key, value in _FIELD.findall(message):
            if key not in line:
                line[key] = (
                    float(value)
                    if "." in value and _NUMBER.fullmatch(value)
                    else (int(value) if _NUMBER.fullmatch(value) else value)
                )
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def install(level: str, form: str = "text") -> None:
    """Set up the root logger: ``form`` is ``text`` (key=value lines) or ``json``."""
    if form not in ("text", "json"):
        raise SystemExit(f"CHARTER_LOG_FORMAT must be text or json, not {form!r}")
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if form == "json":
        for logger in (logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.error")):
            for handler in logger.handlers:
                handler.setFormatter(JsonLines())
    # aiosqlite logs every statement with its parameters at DEBUG: keys and nonces included.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger().level))
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "charter"):
        logger = logging.getLogger(name)
        # Filters on handlers see records from every child logger; filters on loggers do not.
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactSecrets) for f in target.filters):
                target.addFilter(RedactSecrets())
