"""A real SMTP server (aiosmtpd) in the test's event loop, on port 0, that keeps every
message it accepts; it can be stopped and started again on the same port (SMTP down, then
up)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

LINK = re.compile(r"https?://\S+/mail/verify/\S+")


class Recorder:
    """Keeps what it accepts; with ``delay``, takes that long to accept each message (a slow
    relay), counting in ``receiving`` the messages it has begun to take."""

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = delay
        self.receiving = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.receiving += 1
        await asyncio.sleep(self.delay)
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class MailServer:
    def __init__(self, port: int = 0, delay: float = 0.0) -> None:
        self.recorder = Recorder(delay)
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> MailServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self.recorder, hostname="mail.test"), "127.0.0.1", self.port
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.recorder.messages


def text_of(message: EmailMessage) -> str:
    part: Any = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def verify_link(message: EmailMessage) -> str:
    found = LINK.search(text_of(message))
    assert found, text_of(message)
    return found[0]
