"""An amendment's co-authors: who may choose them (its authors and the facilitators), who
may be chosen (participants who may comment, not blocked), adding one."""

from __future__ import annotations

from persistence.amendments import AmendmentRecord
from persistence.people import ParticipantRecord
from persistence.repo import NotFound
from server.access import Action, Principal, Role, Scope, decide
from server.domain.amendments import changed
from server.errors import ConflictError, Forbidden, Invalid
from server.services import Services


def may_invite(record: AmendmentRecord, principal: Principal) -> bool:
    """Who chooses co-authors: the amendment's authors and the facilitators."""
    scope = Scope(kind="amendment", authors=frozenset(record.authors))
    return decide(principal, Action.CHOOSE_COAUTHORS, record.charter_id, scope).allowed


def may_co_write(member: ParticipantRecord) -> bool:
    """Co-writing is proposing, which is commenting: commenters and up, not blocked."""
    role = Role(member.role)
    return (
        not member.blocked
        and decide(
            Principal(member.id, member.name, role, member.charter_id),
            Action.COMMENT,
            member.charter_id,
        ).allowed
    )


async def candidates(
    services: Services, record: AmendmentRecord, principal: Principal
) -> list[ParticipantRecord]:
    """The participants its authors may invite: who may co-write and is not an author yet."""
    if not may_invite(record, principal):
        raise Forbidden("only the amendment's authors and the facilitators choose co-authors")
    found = await services.people.list_participants(record.charter_id)
    return [p for p in found if may_co_write(p) and p.id not in record.authors]


async def add_author(
    services: Services, record: AmendmentRecord, principal: Principal, participant_id: int
) -> AmendmentRecord:
    if not may_invite(record, principal):
        raise Forbidden("only the amendment's authors and the facilitators invite co-authors")
    if not record.editable:
        raise ConflictError(f"this amendment is {record.status}: its authors no longer change")
    try:
        member = await services.people.get_participant(participant_id)
    except NotFound:
        member = None
    if member is None or member.charter_id != record.charter_id:
        raise Invalid("no such participant in this charter", field="participant_id")
    if not may_co_write(member):
        why = "is blocked" if member.blocked else f"is a {member.role}"
        raise Invalid(
            f"{member.name} {why}: only commenters, editors and facilitators co-write",
            field="participant_id",
        )
    if participant_id in record.authors or not await services.amendments.add_author(
        record.id, participant_id
    ):
        raise ConflictError(f"{member.name} already is one of this amendment's authors")
    await services.refresh_scope(record.document_id)
    return await changed(services, record, "authors")
