"""Tokens, cookies and origins: turning a request into a Principal.

A participant's secret is random, stored only as a SHA-256 hash, and compared in
constant time. Tokens look like ``{participant_id}.{secret}``; the browser keeps them in
one signed, HttpOnly, SameSite=Lax cookie (a map charter id -> token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import Connection

from persistence import lookups
from persistence.engine import OneTrip
from persistence.people import InviteRecord, ParticipantRecord, People
from persistence.repo import CharterRecord, NotFound
from server.access import Principal, Role, administrator
from server.settings import Settings

COOKIE = "charter_session"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie

# Dark enough for text on white (WCAG AA), distinct enough side by side.
PALETTE = (
    "#1f5fa6",
    "#b3261e",
    "#1b7a3a",
    "#8a4baf",
    "#b35900",
    "#00756f",
    "#a3186b",
    "#5a6b00",
    "#3f51b5",
    "#8d4a2a",
    "#006c9e",
    "#6b4f00",
)


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_token(record_id: int, secret: str) -> str:
    return f"{record_id}.{secret}"


def parse_token(token: str) -> tuple[int, str] | None:
    head, _, secret = token.partition(".")
    if not head.isdigit() or not secret or len(token) > 200:
        return None
    return int(head), secret


def matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def color_for(participant_id: int) -> str:
    return PALETTE[participant_id % len(PALETTE)]


def principal_of(participant: ParticipantRecord, via: str) -> Principal:
    return Principal(
        participant_id=participant.id,
        name=participant.name,
        role=Role(participant.role),
        charter_id=participant.charter_id,
        badge=participant.badge,
        color=color_for(participant.id),
        via=via,
        blocked=participant.blocked,
    )


class Identity:
    def __init__(self, people: People, reads: OneTrip, settings: Settings, secret_key: str) -> None:
        self.people = people
        self._reads = reads
        self.settings = settings
        self._key = secret_key.encode()
        self._cookies = URLSafeSerializer(secret_key, salt="charter-session")
        self._admin_hash = hash_secret(settings.admin_token) if settings.admin_token else None

    def timed(self, salt: str) -> URLSafeTimedSerializer:
        """Signs values with the server key and a date (links that expire, such as the
        verification of an e-mail address)."""
        return URLSafeTimedSerializer(self._key.decode(), salt=salt)

    # -- invitation links: the secret is an HMAC, so a facilitator can show a link again --

    def invite_token(self, invite: InviteRecord) -> str:
        message = f"invite:{invite.id}:{invite.nonce}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:18]
        return make_token(invite.id, base64.urlsafe_b64encode(digest).decode())

    def invite_link(self, invite: InviteRecord) -> str:
        return f"{self.settings.base_url}/join/{self.invite_token(invite)}"

    async def invite_from_token(self, token: str) -> InviteRecord | None:
        parsed = parse_token(token)
        if parsed is None:
            return None
        try:
            invite = await self.people.get_invite(parsed[0])
        except NotFound:
            return None
        if not hmac.compare_digest(self.invite_token(invite), token):
            return None
        return invite

    # -- participants --

    async def from_token(self, token: str, via: str = "token") -> Principal | None:
        return await self._reads.run(lambda conn: self.token_principal(conn, token, via))

    def token_principal(self, conn: Connection, token: str, via: str = "token") -> Principal | None:
        """The principal a token stands for, or None (in a ``OneTrip`` run)."""
        if self._admin_hash is not None and hmac.compare_digest(
            hash_secret(token), self._admin_hash
        ):
            return administrator()
        parsed = parse_token(token)
        if parsed is None:
            return None
        participant = lookups.participant(conn, parsed[0])
        if participant is None or not matches(parsed[1], participant.secret_hash):
            return None
        return principal_of(participant, via)

    def cookie_tokens(self, cookies: Mapping[str, str]) -> dict[str, str]:
        raw = cookies.get(COOKIE)
        if not raw:
            return {}
        try:
            value = self._cookies.loads(raw)
        except BadSignature:
            return {}
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def cookie_value(self, tokens: dict[str, str]) -> str:
        return str(self._cookies.dumps(tokens))

    async def resolve(
        self, charter: CharterRecord, token: str | None, cookies: Mapping[str, str]
    ) -> Principal | None:
        return await self._reads.run(lambda conn: self.principal(conn, charter, token, cookies))

    def principal(
        self,
        conn: Connection,
        charter: CharterRecord,
        token: str | None,
        cookies: Mapping[str, str],
    ) -> Principal | None:
        """Token first (scripts), then the browser's cookie, then public reading (in a
        ``OneTrip`` run)."""
        if token:
            return self.token_principal(conn, token)
        cookie_token = self.cookie_tokens(cookies).get(str(charter.id))
        if cookie_token:
            principal = self.token_principal(conn, cookie_token, via="cookie")
            if principal is not None:
                return principal
        if charter.public_read:
            return Principal(None, "", Role.READER, charter_id=charter.id, via="public")
        return None

    def allowed_origin(self, origin: str | None, host: str | None, scheme: str) -> bool:
        """For cookie-authenticated requests: only our own origin or the allow-list."""
        if not origin or origin == "null":
            return False
        allowed = {o.strip().rstrip("/") for o in self.settings.allowed_origins.split(",") if o}
        if self.settings.public_url:
            parts = urlsplit(self.settings.public_url)
            allowed.add(f"{parts.scheme}://{parts.netloc}")
        if host:
            allowed.add(f"{scheme}://{host}")
        return origin.rstrip("/") in allowed
