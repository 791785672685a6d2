"""E-mail to participants: queued in the outbox (persistence/mail.py) under a unique key,
only to a verified address, and sent over SMTP by whichever instance claims it first. A
failure (the SMTP server away, a refusal) is logged once per attempt and the message is
tried again later; editing never waits for mail."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from persistence.mail import Mail
from server.domain import rounds
from server.services import Services
from server.settings import Settings

log = logging.getLogger("charter.mail")

BATCH = 20  # messages claimed per round
SMTP_TIMEOUT = 20.0


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    tls: bool  # TLS from the start (smtps://)
    starttls: bool | None  # None: when the server offers it
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> Smtp | None:
    """``smtp://USER:PASSWORD@HOST:587?starttls=true`` or ``smtps://HOST:465``; None if
    empty. ValueError if it is not one of these."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("CHARTER_SMTP_URL must look like smtp://HOST:587 or smtps://HOST:465")
    query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
    starttls = {"true": True, "false": False}.get(query.get("starttls", ""))
    tls = parts.scheme == "smtps"
    return Smtp(
        parts.hostname,
        parts.port or (465 if tls else 587),
        tls,
        False if tls else starttls,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_url)


def message_of(mail: Mail, sender: str) -> EmailMessage:
    """The plain text, and the HTML as its alternative when there is one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message


async def enqueue(
    services: Services,
    *,
    charter_id: int,
    participant_id: int,
    key: str,
    subject: str,
    text: str,
    html: str | None = None,
    unsubscribe_url: str | None = None,
) -> bool:
    """Queue one message to the participant's verified address. False when nothing was
    queued: no SMTP configured, no verified address, or this key was queued before."""
    if not configured(services.settings):
        return False
    address = (await services.stores.accounts.email(participant_id)).address
    if address is None:
        return False
    return await services.stores.outbox.enqueue(
        charter_id=charter_id,
        participant_id=participant_id,
        to_address=address,
        key=key,
        subject=subject,
        text=text,
        html=html,
        unsubscribe_url=unsubscribe_url,
    )


async def send_due(services: Services) -> int:
    """Send what is due (claimed by this instance only); how many went out."""
    smtp = parse_smtp_url(services.settings.smtp_url)
    if smtp is None:
        return 0
    outbox = services.stores.outbox
    now = datetime.now(UTC)
    sent = 0
    claimed = await outbox.claim(BATCH, now)
    for n, mail in enumerate(claimed):
        if services.stopping.is_set():  # the rest are due again at once, on the next start
            await outbox.hand_back([m.id for m in claimed[n:]])
            break
        try:
            await _send(smtp, message_of(mail, services.settings.mail_from))
        except (aiosmtplib.SMTPException, OSError) as exc:
            first = timedelta(seconds=services.settings.mail_retry_seconds)
            later = await outbox.retry_later(mail.id, str(exc) or type(exc).__name__, now, first)
            log.warning(
                "mail not sent id=%d key=%s attempt=%d status=%s error=%s",
                mail.id,
                mail.key,
                later.attempts,
                later.status,
                exc,
            )
            continue
        await outbox.sent(mail.id)
        sent += 1
    return sent


async def _send(smtp: Smtp, message: EmailMessage) -> None:
    await aiosmtplib.send(
        message,
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password,
        use_tls=smtp.tls,
        start_tls=smtp.starttls,
        timeout=SMTP_TIMEOUT,
    )


async def sender(services: Services, every: float = 2.0) -> None:
    """Runs in the app's task group (when SMTP is configured): sends what is due, every
    ``every`` seconds; a stop lets the message being sent finish (server/domain/rounds.py)."""
    await rounds.every(services, every, send_due, log, "sending e-mail")
