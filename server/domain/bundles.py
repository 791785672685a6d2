"""Bundles: open amendments of one article applied together.

Each open amendment is compared against the live text (its own changes applied to it, as
the review's preview does): the maximal sets of mutually compatible ones are proposed, and
the pairs that change the same words are shown as alternatives. A set is previewed in memory
and accepted as one step: one version before, every change in one server edit (connected
editors see one change), one version after, every amendment accepted with those versions.
Where amendments of the set overlap — or one of them and the live text changed since its
base (where the CRDT merge alone would glue both) — the facilitator says which words stay
(``Choice``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from crdt.amendments import own_changes
from crdt.authors import clients_of
from crdt.bundles import (
    LIVE,
    MAX_AMENDMENTS,
    Overlap,
    Side,
    bundle_update,
    changes_of,
    compatible_sets,
    disjoint,
    merged,
    overlaps,
    side,
)
from crdt.diff import diff_words
from persistence.amendments import AmendmentRecord
from persistence.repo import ArticleRecord, CharterRecord
from server.access import Principal
from server.domain.amendments import changed, texts
from server.domain.versions import auto_version
from server.errors import ConflictError, Invalid
from server.i18n import content_language, translate
from server.live.rooms import ServerEdit
from server.names import article_document
from server.services import Services


@dataclass(frozen=True)
class Choice:
    """What to keep where amendments of a bundle change the same words."""

    # "amendment" (its words) | "live" (the live text's) | "both" (as the merge has them)
    # | "text"
    choose: str
    amendment: int | None = None  # for "amendment": its id
    text: str = ""  # for "text": the words typed by the facilitator

    def words(self, overlap: Overlap, ids: Sequence[int]) -> str | None:
        if self.choose == "both":
            return None
        if self.choose == "text":
            return self.text
        if self.choose == "live":
            return overlap.base
        for index, words in overlap.versions:
            if index != LIVE and ids[index] == self.amendment:
                return words
        raise Invalid(
            f"amendment {self.amendment} does not change the words «{overlap.base}»",
            field="resolutions",
        )


@dataclass
class Bundle:
    """Open amendments of one article against the live text as it stands."""

    records: list[AmendmentRecord]
    live_text: str
    live_state: bytes
    changes: list[bytes]  # each amendment's own changes
    sides: list[Side]  # each amendment against the live text
    forks: list[tuple[str, str]]  # each amendment's base text and fork text

    @property
    def amended(self) -> list[str]:
        """The live text with each amendment's changes alone."""
        return [s.amended for s in self.sides]

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.records]

    def overlaps(self) -> list[Overlap]:
        return overlaps(self.live_text, self.amended, [s.pinned for s in self.sides])

    def overlap_json(self, overlap: Overlap) -> dict[str, Any]:
        return {
            "start_word": overlap.start,
            "end_word": overlap.end,
            "base": overlap.base,
            "versions": [
                {"amendment": None, "title": None, "text": words, "live": True}
                if i == LIVE
                else {
                    "amendment": self.records[i].id,
                    "title": self.records[i].title,
                    "text": words,
                }
                for i, words in overlap.versions
            ],
        }


async def open_amendments(
    services: Services, charter: CharterRecord, article: ArticleRecord, *, groups: bool = False
) -> list[AmendmentRecord]:
    """The open amendments of the article; with ``groups``, only sub-groups' drafts, else
    only ordinary amendments."""
    found = await services.amendments.find(charter.id, article_id=article.id, status="open")
    drafts = await services.stores.subgroups.of_amendments(r.id for r in found)
    return [r for r in found if (r.id in drafts) is groups]


async def gather(services: Services, records: list[AmendmentRecord]) -> Bundle:
    if records:
        live = await services.article_doc(records[0].article_document_id)
    else:
        raise Invalid("choose at least one amendment", field="amendments")
    state = live.full_update()
    changes, sides, forks = [], [], []
    for record in records:
        base, fork, _ = await texts(services, record)
        changes.append(own_changes(fork, record.base_state_vector))
        forks.append((base, fork.text()))
        sides.append(side(state, changes[-1], base, forks[-1][1]))
    return Bundle(records, live.text(), state, changes, sides, forks)


async def proposals(
    services: Services, charter: CharterRecord, article: ArticleRecord
) -> dict[str, Any]:
    """The maximal sets of mutually compatible open amendments, and the overlapping pairs."""
    records = (await open_amendments(services, charter, article))[:MAX_AMENDMENTS]
    if not records:
        return {"amendments": [], "sets": [], "alternatives": []}
    bundle = await gather(services, records)
    clashes: set[frozenset[int]] = set()
    alternatives = []
    found = [changes_of(bundle.live_text, amended) for amended in bundle.amended]
    for i, j in combinations(range(len(records)), 2):
        if disjoint(found[i], found[j]):
            continue
        clashes.add(frozenset((i, j)))
        pair = overlaps(bundle.live_text, [bundle.amended[i], bundle.amended[j]])
        alternatives.append(
            {
                "amendments": [records[i].id, records[j].id],
                "overlaps": [
                    {"base": o.base, "texts": [words for _, words in o.versions]} for o in pair
                ],
            }
        )
    return {
        "amendments": [{"id": r.id, "title": r.title, "author": r.author_name} for r in records],
        "sets": [[records[i].id for i in s] for s in compatible_sets(len(records), clashes)],
        "alternatives": alternatives,
    }


async def chosen(
    services: Services, charter: CharterRecord, article: ArticleRecord, ids: Sequence[int]
) -> list[AmendmentRecord]:
    """The amendments named, each an open amendment of this article."""
    if not ids or len(ids) > MAX_AMENDMENTS or len(set(ids)) != len(ids):
        raise Invalid(
            f"amendments must name 1 to {MAX_AMENDMENTS} different amendments", field="amendments"
        )
    found = {
        r.id: r
        for r in await services.amendments.find(charter.id, article_id=article.id, status="open")
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise ConflictError(
            f"amendment(s) {', '.join(map(str, missing))} are not open amendments of this article"
        )
    return [found[i] for i in ids]


async def preview(services: Services, records: list[AmendmentRecord]) -> dict[str, Any]:
    """The article as it would read with the set applied (both versions where they
    overlap, until chosen), as a word diff against the live text, and the overlaps."""
    bundle = await gather(services, records)
    text = merged(bundle.live_state, bundle.changes).text()
    found = bundle.overlaps()
    return {
        "amendments": bundle.ids,
        "compatible": not found,
        "preview": [h.to_json() for h in diff_words(bundle.live_text, text).hunks],
        "overlaps": [bundle.overlap_json(o) for o in found],
    }


def _check(bundle: Bundle, given: Sequence[Choice]) -> None:
    found = bundle.overlaps()
    if len(given) != len(found):
        raise ConflictError(
            f"these amendments change the same words in {len(found)} place(s): choose the "
            f"words to keep for each ({len(given)} given)"
        )
    for overlap, choice in zip(found, given, strict=True):
        choice.words(overlap, bundle.ids)  # an amendment that is not part of it: refused


async def accept(
    services: Services,
    charter: CharterRecord,
    records: list[AmendmentRecord],
    principal: Principal,
    reason: str | None,
    given: Sequence[Choice] = (),
    label: tuple[str, str] | None = None,
) -> list[AmendmentRecord]:
    """Merge the set into the live article as one step. ``label``: the versions' labels."""
    bundle = await gather(services, records)
    _check(bundle, given)
    words = {o.key: c.words(o, bundle.ids) for o, c in zip(bundle.overlaps(), given, strict=True)}
    before_label, after_label = label or _labels(charter, bundle.ids)
    before = await auto_version(services, charter, before_label, principal)
    # Claim every amendment first: a second "accept" finds them closed and changes nothing.
    claimed = await services.stores.subgroups.claim_bundle(
        bundle.ids,
        dict(zip(bundle.ids, bundle.changes, strict=True)),
        before,
        (principal.participant_id, principal.name),
        reason,
    )
    if not claimed:
        raise ConflictError("one of these amendments was decided meanwhile")
    credited = next((c.amendment for c in given if c.amendment is not None), records[0].id)
    await _merge_into_live(services, charter, bundle, words, credited)
    after = await auto_version(services, charter, after_label, principal)
    await services.stores.subgroups.set_version_after(bundle.ids, after)
    done = [await changed(services, record, "accepted") for record in records]
    services.publish(
        charter.id,
        {
            "type": "bundle",
            "event": "accepted",
            "article": records[0].article_key,
            "amendments": bundle.ids,
        },
    )
    return done


async def _merge_into_live(
    services: Services,
    charter: CharterRecord,
    bundle: Bundle,
    words: dict[tuple[str, tuple[str, ...]], str | None],
    credited: int,
) -> None:
    """Every change in one server edit; the words typed in the forks keep their authors
    (by way of their amendment), those written where they overlapped come by way of
    ``credited`` (the amendment whose words were chosen first)."""
    first = bundle.records[0]
    for record in bundle.records:
        await services.refresh_scope(record.document_id)
        await services.stores.authors.adopt(
            record.document_id, first.article_document_id, record.id
        )
    update = await services.registry.server_edit(
        first.article_document_id,
        article_document(charter.slug, first.article_key),
        lambda live: bundle_update(
            live, bundle.changes, lambda now: [words.get(o.key) for o in now], bundle.forks
        ),
        ServerEdit("bundle accepted", first.author_id),
    )
    if update is not None:
        await services.stores.authors.through_amendment(
            first.article_document_id, clients_of(update), credited
        )


def _labels(charter: CharterRecord, ids: Sequence[int]) -> tuple[str, str]:
    lang = content_language(charter.language)
    titles = ", ".join(f"#{i}" for i in ids)
    return (
        translate(lang, "version_before_bundle", titles=titles),
        translate(lang, "version_after_bundle", titles=titles),
    )
