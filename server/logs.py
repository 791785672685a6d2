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
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "charter"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
