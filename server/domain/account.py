"""A participant's own account: their e-mail address (optional, verified by a signed link
that expires, never shown to others), everything about them ("my data"), and deleting the
account, after which their contributions stay under a pseudonym."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired

from persistence.accounts import EmailState
from persistence.people import ParticipantRecord
from persistence.repo import CharterRecord, NotFound
from server.access import Principal, Role
from server.domain import mail
from server.errors import ConflictError, Invalid, NotFoundError, RateLimited
from server.i18n import content_language, translate
from server.identity import hash_secret, new_secret
from server.live import closecodes
from server.services import Services

VERIFY_SALT = "mail-verify"
VERIFY_SECONDS = 48 * 3600  # a verification link works this long
MAX_ADDRESS = 254
LINKS_PER_HOUR = 5  # confirmation links one participant may have sent (no mail-bombing)
_ADDRESS = re.compile(r"^[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+$")


def clean_address(raw: object) -> str:
    if not isinstance(raw, str) or not _ADDRESS.match(raw.strip()):
        raise Invalid("email must be an e-mail address such as name@example.org", field="email")
    address = raw.strip()
    if len(address) > MAX_ADDRESS:
        raise Invalid(f"email must be at most {MAX_ADDRESS} characters", field="email")
    return address


def email_json(state: EmailState, services: Services) -> dict[str, object]:
    return {
        "email": state.address,
        "verified_at": state.verified_at.isoformat() if state.verified_at else None,
        "pending": state.pending,
        "mail": {"configured": mail.configured(services.settings)},
    }


def pseudonym(charter: CharterRecord, participant_id: int) -> str:
    return translate(content_language(charter.language), "pseudonym", number=participant_id)


async def change_email(
    services: Services, charter: CharterRecord, who: Principal, raw: object
) -> EmailState:
    """A new address waits for its link (sent now); the verified one stays in use until
    then. 409 when this server sends no e-mail."""
    address = clean_address(raw)
    if not mail.configured(services.settings):
        raise ConflictError("this server sends no e-mail (CHARTER_SMTP_URL is not set)")
    assert who.participant_id is not None
    return await start_email(services, charter, who.participant_id, address)


async def start_email(
    services: Services, charter: CharterRecord, participant_id: int, address: str
) -> EmailState:
    """``address`` (clean) waits for its link, sent now (the join page calls this too)."""
    accounts = services.stores.accounts
    if (await accounts.email(participant_id)).address == address:
        return await accounts.email(participant_id)
    since = datetime.now(UTC) - timedelta(hours=1)
    if (
        await services.stores.outbox.count_since(f"verify:{participant_id}:", since)
        >= LINKS_PER_HOUR
    ):
        raise RateLimited("too many confirmation links in the last hour", retry_after=3600)
    number = await accounts.set_pending(participant_id, address)
    await _send_link(services, charter, participant_id, address, number)
    return await accounts.email(participant_id)


async def _send_link(
    services: Services, charter: CharterRecord, participant_id: int, address: str, number: int
) -> None:
    token = services.identity.timed(VERIFY_SALT).dumps({"p": participant_id, "e": address})
    link = f"{services.settings.base_url}/mail/verify/{token}"
    lang = content_language(charter.language)
    await services.stores.outbox.enqueue(
        charter_id=charter.id,
        participant_id=participant_id,
        to_address=address,
        key=f"verify:{participant_id}:{number}",
        subject=translate(lang, "mail_verify_subject", title=charter.title),
        text=translate(lang, "mail_verify_text", title=charter.title, link=link, hours=48),
    )


@dataclass(frozen=True)
class Verified:
    participant: ParticipantRecord
    charter: CharterRecord
    address: str


async def verify(services: Services, token: str) -> Verified:
    """The address of a verification link becomes the participant's. Invalid: a link
    expired, forged, or for an address since replaced."""
    try:
        value = services.identity.timed(VERIFY_SALT).loads(token, max_age=VERIFY_SECONDS)
    except SignatureExpired as exc:
        raise Invalid("this link has expired: ask for a new one", field="expired") from exc
    except BadSignature as exc:
        raise Invalid("this link is not valid", field="invalid") from exc
    if not isinstance(value, dict) or not isinstance(value.get("p"), int):
        raise Invalid("this link is not valid", field="invalid")
    participant_id, address = value["p"], str(value.get("e"))
    try:
        participant = await services.people.get_participant(participant_id)
    except NotFound as exc:
        raise Invalid("this link is not valid", field="invalid") from exc
    if not await services.stores.accounts.verify(participant_id, address, datetime.now(UTC)):
        state = await services.stores.accounts.email(participant_id)
        if state.address != address:
            raise Invalid("this link is for an address since replaced", field="replaced")
    slug = await services.stores.accounts.charter_slug(participant_id)
    charter = await services.repo.get_charter(slug)
    return Verified(participant, charter, address)


async def remove_email(services: Services, who: Principal) -> None:
    assert who.participant_id is not None
    if not await services.stores.accounts.remove_email(who.participant_id):
        raise NotFoundError("no e-mail address to remove")


async def export(services: Services, charter: CharterRecord, who: Principal) -> dict[str, Any]:
    """Everything the charter keeps about the participant, as JSON values."""
    assert who.participant_id is not None
    participant = await services.people.get_participant(who.participant_id)
    state = await services.stores.accounts.email(who.participant_id)
    rows = await services.stores.accounts.export(who.participant_id)
    data: dict[str, Any] = _jsonable(
        {
            "charter": {"slug": charter.slug, "title": charter.title},
            "participant": {
                "id": participant.id,
                "name": participant.name,
                "badge": participant.badge,
                "role": participant.role,
                "kind": participant.kind,
            },
            "email": {
                "address": state.address,
                "verified_at": state.verified_at,
                "pending": state.pending,
            },
            **rows,
            "exported_at": datetime.now(UTC),
        }
    )
    return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


async def delete_account(services: Services, charter: CharterRecord, who: Principal) -> str:
    """Delete the participant's account: their name becomes a pseudonym wherever it was
    written, their address and queued e-mails are gone, their links and cookies stop
    working, their open sockets close. What they wrote stays. Their pseudonym."""
    assert who.participant_id is not None
    if who.role is Role.FACILITATOR:
        others = [
            p
            for p in await services.people.list_participants(charter.id)
            if p.role == Role.FACILITATOR.value and not p.blocked and p.id != who.participant_id
        ]
        if not others:
            raise ConflictError("the charter would be left without a facilitator")
    name = pseudonym(charter, who.participant_id)
    await services.stores.accounts.delete(who.participant_id, name, hash_secret(new_secret()))
    await services.stores.outbox.forget(who.participant_id)
    services.disconnect_participant(
        who.participant_id, closecodes.PERMISSIONS_CHANGED, "account deleted"
    )
    services.publish(
        charter.id, {"type": "participant", "event": "renamed", "participant": who.participant_id}
    )
    return name
