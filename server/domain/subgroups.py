"""Sub-groups: thematic groups drafting one article in parallel, then merged as one step.

A sub-group is a named, coloured set of members whose branch is an amendment fork of the
article: the amendment's authors are exactly the group's members, so only they (and the
facilitators) write its text live, through the same websocket endpoints as any amendment.
It is shown as "group A's draft", never as an amendment to support on its own. Merging puts
every open group's draft into the live article as one bundle (``server/domain/bundles.py``):
one version before, one server edit, one version after; the groups are then marked merged.

Changes are pushed on the charter channel as ``{"type": "subgroup", "event", "group"}``,
and, since each draft is an amendment, as the usual amendment events too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crdt.amendments import fork_of
from persistence.amendments import AmendmentRecord, NewAmendment
from persistence.repo import ArticleRecord, CharterRecord, NotFound
from persistence.subgroups import SubgroupRecord
from server.access import Principal
from server.domain import bundles
from server.domain.amendments import changed
from server.domain.amendments import event as amendment_event
from server.domain.coauthors import may_co_write
from server.errors import ConflictError, Invalid
from server.i18n import content_language, translate
from server.names import amendment_document
from server.services import Services

# A fixed palette, each colour dark enough for text on white (WCAG AA) and a light tint for
# highlights behind black text. The group's letter always goes with its colour.
PALETTE: dict[str, tuple[str, str]] = {
    "blue": ("#0b5cad", "#d6e6fa"),
    "orange": ("#a34700", "#ffe1c7"),
    "green": ("#1e6b30", "#d5efdb"),
    "purple": ("#6b3fa0", "#e9dcf8"),
    "red": ("#b3261e", "#fbdcd9"),
    "teal": ("#00676b", "#cdeeee"),
}
MAX_GROUPS = 12  # open groups of one article
MAX_MEMBERS = 100


def palette_json() -> list[dict[str, str]]:
    return [{"key": k, "colour": strong, "tint": tint} for k, (strong, tint) in PALETTE.items()]


def group_json(
    charter: CharterRecord, group: SubgroupRecord, record: AmendmentRecord
) -> dict[str, Any]:
    strong, tint = PALETTE.get(group.colour, PALETTE["blue"])
    return {
        "id": group.id,
        "name": group.name,
        "letter": group.letter,
        "colour": group.colour,
        "hex": strong,
        "tint": tint,
        "status": group.status,
        "article": record.article_key,
        "amendment": record.id,
        "document": amendment_document(charter.slug, record.id),
        "members": [
            {"id": pid, "name": name} for pid, name in sorted(record.co_author_names.items())
        ],
    }


def _event(kind: str, charter: CharterRecord, group: SubgroupRecord, key: str) -> dict[str, Any]:
    return {
        "type": "subgroup",
        "event": kind,
        "group": {
            "id": group.id,
            "article": key,
            "name": group.name,
            "letter": group.letter,
            "status": group.status,
        },
    }


async def listed(
    services: Services, charter: CharterRecord, article: ArticleRecord
) -> list[tuple[SubgroupRecord, AmendmentRecord]]:
    groups = await services.stores.subgroups.find(charter.id, article_id=article.id)
    drafts = {r.id: r for r in await services.amendments.find(charter.id, article_id=article.id)}
    return [(g, drafts[g.amendment_id]) for g in groups if g.amendment_id in drafts]


async def members_of(services: Services, charter: CharterRecord, ids: Sequence[int]) -> list[int]:
    """The participants named, each one of the charter who may co-write."""
    if len(ids) > MAX_MEMBERS or len(set(ids)) != len(ids):
        raise Invalid(f"members: at most {MAX_MEMBERS} different participants", field="members")
    for pid in ids:
        try:
            member = await services.people.get_participant(pid)
        except NotFound:
            member = None
        if member is None or member.charter_id != charter.id:
            raise Invalid(f"no participant {pid} in this charter", field="members")
        if not may_co_write(member):
            raise Invalid(f"{member.name} may not write (a reader, or blocked)", field="members")
    return list(ids)


def _colour(colour: str) -> str:
    if colour not in PALETTE:
        raise Invalid(f"colour must be one of {', '.join(PALETTE)}", field="colour")
    return colour


async def create(
    services: Services,
    charter: CharterRecord,
    article: ArticleRecord,
    principal: Principal,
    name: str,
    colour: str,
    members: Sequence[int],
) -> tuple[SubgroupRecord, AmendmentRecord]:
    """A group and its draft: a fork of the article as it stands now."""
    _colour(colour)
    ids = await members_of(services, charter, members)
    already = await services.stores.subgroups.find(charter.id, article_id=article.id, status="open")
    if len(already) >= MAX_GROUPS:
        raise ConflictError(f"this article already has {MAX_GROUPS} open sub-groups")
    fork = fork_of(await services.article_doc(article.document_id))
    record = await services.amendments.create(
        NewAmendment(
            charter.id,
            article.id,
            fork.state,
            fork.base_state_vector,
            name,
            "",
            "open",
            None,  # no author of its own: its members are its authors
            name,
        )
    )
    await services.stores.subgroups.set_members(record.id, ids)
    group = await services.stores.subgroups.create(charter.id, article.id, record.id, name, colour)
    fresh = await services.amendments.get(charter.id, record.id)
    services.publish(charter.id, amendment_event("proposed", fresh))
    services.publish(charter.id, _event("created", charter, group, article.key))
    return group, fresh


async def change(
    services: Services,
    charter: CharterRecord,
    group: SubgroupRecord,
    *,
    name: str | None = None,
    colour: str | None = None,
    members: Sequence[int] | None = None,
) -> tuple[SubgroupRecord, AmendmentRecord]:
    """Rename, recolour, or set the members of an open group (its draft's authors)."""
    if group.status != "open":
        raise ConflictError(f"this sub-group is {group.status}: it no longer changes")
    values = {}
    if name is not None:
        values["name"] = name
    if colour is not None:
        values["colour"] = _colour(colour)
    record = await services.amendments.get(charter.id, group.amendment_id)
    if members is not None:
        await services.stores.subgroups.set_members(
            record.id, await members_of(services, charter, members)
        )
        await services.refresh_scope(record.document_id)  # a removed member writes no more
    if values:
        await services.stores.subgroups.change(group.id, **values)
    fresh = await services.stores.subgroups.get(charter.id, group.id)
    if members is not None:  # other instances refresh the draft's write scope on this
        draft = await changed(services, record, "authors")
    else:
        draft = await services.amendments.get(charter.id, record.id)
    services.publish(charter.id, _event("changed", charter, fresh, draft.article_key))
    return fresh, draft


async def close(
    services: Services, charter: CharterRecord, group: SubgroupRecord, principal: Principal
) -> tuple[SubgroupRecord, AmendmentRecord]:
    """Close a group without merging it: its draft is withdrawn (kept, read-only)."""
    if group.status != "open":
        raise ConflictError(f"this sub-group is {group.status}")
    record = await services.amendments.get(charter.id, group.amendment_id)
    moved = await services.amendments.change_status(
        record.id, ("draft", "open"), "withdrawn", principal.participant_id, principal.name, None
    )
    if not moved:
        raise ConflictError("this sub-group's draft was decided meanwhile")
    await services.refresh_scope(record.document_id)
    await services.stores.subgroups.change(group.id, status="closed")
    fresh = await services.stores.subgroups.get(charter.id, group.id)
    draft = await changed(services, record, "withdrawn")
    services.publish(charter.id, _event("closed", charter, fresh, draft.article_key))
    return fresh, draft


async def merge(
    services: Services,
    charter: CharterRecord,
    article: ArticleRecord,
    principal: Principal,
    choices: Sequence[bundles.Choice],
    reason: str | None,
) -> list[tuple[SubgroupRecord, AmendmentRecord]]:
    """Every open group's draft into the live article as one step; the groups are merged."""
    open_groups = [
        (g, r) for g, r in await listed(services, charter, article) if g.status == "open"
    ]
    if not open_groups:
        raise ConflictError("this article has no open sub-group to merge")
    lang = content_language(charter.language)
    names = ", ".join(f"{g.letter} ({g.name})" for g, _ in open_groups)
    labels = (
        translate(lang, "version_before_merge", names=names),
        translate(lang, "version_after_merge", names=names),
    )
    records = [r for _, r in open_groups]
    done = await bundles.accept(services, charter, records, principal, reason, choices, labels)
    merged = []
    for (group, _), record in zip(open_groups, done, strict=True):
        await services.stores.subgroups.change(group.id, status="merged")
        fresh = await services.stores.subgroups.get(charter.id, group.id)
        services.publish(charter.id, _event("merged", charter, fresh, article.key))
        merged.append((fresh, record))
    return merged
