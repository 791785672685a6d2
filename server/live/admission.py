"""Who may open which document: the same steps for both websocket endpoints."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection
from starlette.websockets import WebSocket

from persistence.repo import CharterRecord, NotFound
from server.access import Action, Principal, Scope, decide
from server.live import closecodes
from server.live.keys import RoomKey
from server.names import is_document_name
from server.services import Services

NOT_A_NAME = "not a document name: use the name the charter lists"


@dataclass(frozen=True)
class Admission:
    principal: Principal | None = None
    charter_id: int | None = None
    room: RoomKey | None = None
    refused: tuple[int, str] | None = None  # (close code, reason)

    def can_write(self, scope: Scope | None = None) -> bool:
        return decide(self.principal, Action.WRITE, self.charter_id, scope).allowed


async def admit(
    services: Services, websocket: WebSocket, name: str, token: str | None
) -> Admission:
    """Resolve the document, the principal (token, else cookie + Origin, else public), and
    whether they may read it. The document and the principal are read in one trip to the
    database. The caps on sockets are the endpoints' (``Services.take_slot``)."""

    def find(conn: Connection) -> tuple[CharterRecord, RoomKey, Principal | None]:
        charter, key = services.find_document(conn, name)
        return charter, key, services.identity.principal(conn, charter, token, cookies)

    if not is_document_name(name):  # an alias would let one socket join a room many times
        return Admission(refused=(closecodes.NOT_FOUND, NOT_A_NAME))
    cookies = websocket.cookies
    try:
        charter, key, principal = await services.reads.run(find)
    except NotFound:
        return Admission(refused=(closecodes.NOT_FOUND, "unknown document"))
    if (
        principal is not None
        and principal.via == "cookie"
        and not origin_allowed(services, websocket)
    ):
        return Admission(refused=(closecodes.FORBIDDEN, "origin not allowed"))
    decision = decide(principal, Action.READ, charter.id)
    if principal is None:
        return Admission(refused=(closecodes.UNAUTHORIZED, decision.reason))
    if not decision.allowed:
        return Admission(refused=(closecodes.FORBIDDEN, decision.reason))
    return Admission(principal, charter.id, key)


def origin_allowed(services: Services, websocket: WebSocket) -> bool:
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return services.identity.allowed_origin(
        websocket.headers.get("origin"), websocket.headers.get("host"), scheme
    )
