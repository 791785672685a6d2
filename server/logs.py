"""Logging set-up: key=value lines, and no secret ever written to a log."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"(token=|/join/|Bearer\s+)[^&\s\"']+", re.IGNORECASE)
_HEADER = re.compile(r"((?:cookie|set-cookie|authorization)\s*:\s*)[^\n]+", re.IGNORECASE)


def redact(text: str) -> str:
    return _HEADER.sub(r"\1[redacted]", _SECRET.sub(r"\1[redacted]", text))


class RedactSecrets(logging.Filter):
    """uvicorn logs each websocket with its query string, where ``?token=`` lives."""

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
