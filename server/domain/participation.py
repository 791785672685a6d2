"""Invites, joining and participants: the operations shared by the API, pages and CLI."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from persistence.engine import OneTrip
from persistence.people import InviteRecord, ParticipantRecord, People
from persistence.repo import CharterRecord, NotFound
from server.access import BADGES, Role
from server.errors import ConflictError, NotFoundError
from server.identity import Identity, color_for, hash_secret, make_token, new_secret
from server.live import closecodes
from server.services import Services
from server.settings import Settings

MAX_NAME = 64
# Bidirectional overrides and isolates would let a name reorder the text around it.
_BIDI = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}


class ParticipationError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Joined:
    participant: ParticipantRecord
    token: str


async def make_identity(people: People, reads: OneTrip, settings: Settings) -> Identity:
    """CHARTER_SECRET_KEY, or a key generated once and kept, so restarts keep everyone in."""
    key = settings.secret_key or await people.server_key("cookie_key", secrets.token_urlsafe(32))
    return Identity(people, reads, settings, key)


async def name_in_use(people: People, charter_id: int, name: str) -> bool:
    """Whether someone of the charter already goes by ``name`` (case and accents of the
    letters as typed, spaces aside): the join page then suggests an initial."""
    wanted = name.casefold()
    return any(
        p.name.casefold() == wanted
        for p in await people.list_participants(charter_id)
        if p.kind == "person"
    )


def clean_name(raw: object, field: str = "name") -> str:
    if not isinstance(raw, str):
        raise ParticipationError("a name is required", field)
    name = unicodedata.normalize("NFC", " ".join(raw.split()))
    if not name:
        raise ParticipationError("a name is required", field)
    if len(name) > MAX_NAME:
        raise ParticipationError(f"a name has at most {MAX_NAME} characters", field)
    if any(unicodedata.category(c) == "Cc" or c in _BIDI for c in name):
        raise ParticipationError("a name cannot contain control characters", field)
    return name


def clean_badge(raw: object) -> str | None:
    if raw in (None, ""):
        return None
    if raw not in BADGES:
        raise ParticipationError(f"badge must be one of {', '.join(BADGES)}", "badge")
    return str(raw)


def clean_role(raw: object) -> Role:
    try:
        return Role(str(raw))
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ParticipationError(f"role must be one of {roles}", "role") from None


async def create_invite(
    people: People,
    charter: CharterRecord,
    role: Role,
    *,
    label: str = "",
    expires_in_hours: float | None = None,
    max_uses: int | None = None,
    created_by: int | None = None,
) -> InviteRecord:
    if max_uses is not None and max_uses < 1:
        raise ParticipationError("max_uses must be at least 1", "max_uses")
    if expires_in_hours is not None and expires_in_hours <= 0:
        raise ParticipationError("expires_in_hours must be positive", "expires_in_hours")
    expires_at = datetime.now(UTC) + timedelta(hours=expires_in_hours) if expires_in_hours else None
    return await people.create_invite(
        charter.id,
        role.value,
        secrets.token_urlsafe(16),
        label=label,
        expires_at=expires_at,
        max_uses=max_uses,
        created_by=created_by,
    )


async def join(people: People, invite: InviteRecord, name: str, badge: str | None) -> Joined:
    reason = invite.unusable_reason(datetime.now(UTC))
    if reason is not None:
        raise ParticipationError(reason)
    secret = new_secret()
    participant = await people.redeem_invite(invite, name, badge, hash_secret(secret))
    if participant is None:
        raise ParticipationError("this invitation has been used up")
    return Joined(participant, make_token(participant.id, secret))


async def create_bot(people: People, charter: CharterRecord, name: str, role: Role) -> Joined:
    """A participant for a script: its bearer token is shown once and stored hashed."""
    secret = new_secret()
    participant = await people.create_participant(
        charter.id, name, role.value, hash_secret(secret), kind="script"
    )
    return Joined(participant, make_token(participant.id, secret))


def invite_json(identity: Identity, invite: InviteRecord) -> dict[str, object]:
    return {
        "id": invite.id,
        "role": invite.role,
        "label": invite.label,
        "link": identity.invite_link(invite),
        "expires_at": invite.expires_at.isoformat() if invite.expires_at else None,
        "max_uses": invite.max_uses,
        "uses": invite.uses,
        "revoked": invite.revoked_at is not None,
    }


def participant_json(participant: ParticipantRecord, online: int = 0) -> dict[str, object]:
    return {
        "id": participant.id,
        "name": participant.name,
        "badge": participant.badge,
        "role": participant.role,
        "blocked": participant.blocked,
        "kind": participant.kind,
        "color": color_for(participant.id),
        "connections": online,
    }


async def change_participant(
    services: Services, charter_id: int, participant_id: int, values: dict[str, object]
) -> ParticipantRecord:
    """A facilitator changes a participant's role, name or block. A charter always keeps an
    unblocked facilitator. New rights take effect now: the participant's live connections
    close and come back with them. So does a new name: presence is stamped from a
    connection's principal, and the person's own pages reload who they are when their
    channel comes back. Everyone else's pages hear of a rename by a ``participant`` event
    on the charter's channel and fetch again what names the person (comments,
    amendments)."""
    try:
        current = await services.people.get_participant(participant_id)
    except NotFound as exc:
        raise NotFoundError("no such participant") from exc
    if current.charter_id != charter_id:
        raise NotFoundError("no such participant")
    demoted = values.get("role", Role.FACILITATOR.value) != Role.FACILITATOR.value
    if current.role == Role.FACILITATOR.value and (demoted or values.get("blocked")):
        others = [
            p
            for p in await services.people.list_participants(charter_id)
            if p.role == Role.FACILITATOR.value and not p.blocked and p.id != participant_id
        ]
        if not others:
            raise ConflictError("the charter would be left without a facilitator")
    updated = await services.people.update_participant(charter_id, participant_id, **values)
    services.disconnect_participant(
        participant_id, closecodes.PERMISSIONS_CHANGED, "permissions changed"
    )
    if updated.name != current.name:
        # Only the id: the pages that show the person fetch them again, with what they may see.
        services.publish(
            charter_id, {"type": "participant", "event": "renamed", "participant": participant_id}
        )
    return updated
