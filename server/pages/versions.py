"""Server-rendered pages of versions, without JavaScript, at stable shareable URLs:
the timeline, a whole-charter comparison, one article side by side, and the Atom feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crdt.diff import diff_words
from crdt.markdown import lines_of
from persistence.repo import ArticleRecord, CharterRecord
from server.api.comments import resolvers
from server.api.common import services
from server.domain import vote_readouts, votes
from server.domain.licences import licence_of
from server.domain.provenance import charter_authors, history, shares, state_at_step, why
from server.domain.versions import comparison, timeline, version_json, version_or_404
from server.errors import DomainError, Invalid, NotFoundError
from server.i18n import pick, translate
from server.pages.exports import atom
from server.pages.site import PAGE_CSP, readable_charter, render


def _context(charter: CharterRecord, **values: Any) -> dict[str, Any]:
    return {"charter": charter, "licence": licence_of(charter.licence), **values}


async def versions_page(request: Request) -> Response:
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    items = await timeline(services(request).stores, charter)
    held = await vote_readouts.by_version(services(request), charter.id)  # the room's votes
    for item in items:
        item["votes"] = held.get(item["version"]["id"], [])
    return render(request, "versions.html", _context(charter, items=items[::-1]))


async def _comparison(
    request: Request, charter: CharterRecord, with_text: bool = False
) -> dict[str, Any] | Response:
    origin = request.query_params.get("from") or ""
    target = request.query_params.get("to") or "live"
    svc = services(request)
    try:
        if not origin:
            raise Invalid("from is required: a version id")
        return await comparison(svc.stores, charter, svc.article_doc, origin, target, with_text)
    except DomainError as exc:
        context = _context(charter, message=exc.message)
        status = 404 if isinstance(exc, NotFoundError) else 422
        return render(request, "compare_error.html", context, status)


async def compare_page(request: Request) -> Response:
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    found = await _comparison(request, charter, with_text=True)
    if isinstance(found, Response):
        return found
    changed = [a for a in found["articles"] if a["status"] != ["unchanged"]]
    same = [a for a in found["articles"] if a["status"] == ["unchanged"]]
    context = _context(charter, c=found, changed=changed, same=same)
    # Who wrote the words of the text compared to: shares by badge and by amendment.
    svc = services(request)
    side = found["to"]
    target = None if side == "live" else await svc.stores.versions.get(charter.id, side["id"])
    authors = await charter_authors(svc, charter, target)
    context["shares"] = {a["id"]: shares(a) for a in authors["articles"] if a["words"]}
    return render(request, "compare.html", context)


async def compare_article_page(request: Request) -> Response:
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    found = await _comparison(request, charter, with_text=True)
    if isinstance(found, Response):
        return found
    key = request.path_params["key"]
    item = next((a for a in found["articles"] if a["id"] == key), None)
    if item is None:
        message = f"article {key!r} is in neither version"
        return render(request, "compare_error.html", _context(charter, message=message), 404)
    diff = item.get("diff", [])
    context = _context(
        charter, c=found, item=item, old=_side(diff, "insert"), new=_side(diff, "delete")
    )
    return render(request, "compare_article.html", context)


def _side(diff: list[dict[str, str]], hidden: str) -> list[dict[str, str]]:
    """One side of a word diff: without the other side's hunks, and no leading space."""
    shown = [h for h in diff if h["kind"] != hidden]
    if shown:
        shown[0] = {**shown[0], "text": shown[0]["text"].lstrip()}
    return shown


async def versions_feed(request: Request) -> Response:
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    svc = services(request)
    items = await timeline(svc.stores, charter)
    return Response(
        atom(charter, items, svc.settings.base_url),
        media_type="application/atom+xml; charset=utf-8",
        headers={"content-security-policy": PAGE_CSP},
    )


async def _readable_article(
    request: Request,
) -> tuple[CharterRecord, ArticleRecord] | Response:
    """The charter and article of a page's path, or the page that says why not."""
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    key = request.path_params["key"]
    article = next((a for _, a in charter.articles() if a.key == key), None)
    if article is None:
        return render(request, "not_found.html", _context(charter), 404)
    return charter, article


def _chosen_step(request: Request, count: int) -> int:
    """The step asked for (``?step=N``, from 1), within [0, count); the latest by default."""
    try:
        index = int(request.query_params.get("step") or count) - 1
    except ValueError:
        index = count - 1
    return max(0, min(index, count - 1))


async def history_page(request: Request) -> Response:
    """An article's drafting history, without JavaScript: a slider (a form) over its steps,
    the saved versions marked on it, and the text at the chosen step."""
    page = await _readable_article(request)
    if isinstance(page, Response):
        return page
    charter, article = page
    svc = services(request)
    past = await history(svc, charter, article)
    steps = past.steps
    index = _chosen_step(request, len(steps))
    people = {p.id: p.name for p in await svc.people.list_participants(charter.id)}
    positions = [position for position, _, _, _, _ in steps]
    marks = [
        {
            "version": version,
            "at": _minute(version.created_at),
            "index": positions.index(position) if position in positions else None,
        }
        for version, position in past.marks
    ]
    context = _context(charter, article=article, steps=steps, marks=marks, index=index)
    if steps:
        position, at, _, who, _ = steps[index]
        doc = await state_at_step(svc, article, steps, position)
        context["step"] = {"at": _minute(at), "people": [people[p] for p in who if p in people]}
        context["lines"] = lines_of(doc.ops()) if doc is not None else []
    return render(request, "history.html", context)


async def why_page(request: Request) -> Response:
    """Where a passage of the live text comes from (``start``, ``end``: UTF-16 units), as a
    page: what the reading view's "see where each sentence comes from" links to."""
    page = await _readable_article(request)
    if isinstance(page, Response):
        return page
    charter, article = page
    try:
        start = max(0, int(request.query_params.get("start") or 0))
        end = max(start, int(request.query_params.get("end") or start))
    except ValueError:
        start = end = 0
    svc = services(request)
    found = await why(svc, resolvers(request), charter, article, start, end)
    lang = pick(request.cookies, request.headers.get("accept-language"))
    names = [
        found.people[o.participant_id].name
        + (
            f" ({translate(lang, 'badge_' + b).lower()})"
            if (b := found.people[o.participant_id].badge)
            else ""
        )
        for o in found.origins
        if o.participant_id is not None and o.participant_id in found.people
    ]
    if any(o.participant_id is None for o in found.origins):
        names.append(translate(lang, "origins_unknown", share="").rstrip(" —"))
    amendments = [
        translate(
            lang,
            "origins_amendment",
            number=a.id,
            title=a.title,
            author=a.author_name,
            rationale=a.rationale or "—",
            **a.tally(),
        )
        for a in found.amendments
    ]
    threads = [
        translate(
            lang,
            "why_thread",
            quote=place.text or t.quote,
            author=t.author_name,
            comments=len(t.comments),
            status=translate(
                lang, f"why_thread_{'resolved' if t.status == 'resolved' else 'open'}"
            ),
        )
        for t, place in found.threads
        if not t.hidden
    ]
    context = _context(
        charter,
        article=article,
        why=found,
        names=list(dict.fromkeys(names)),
        since=_minute(found.first_version.created_at) if found.first_version else "",
        amendments=amendments,
        threads=threads,
        votes=[votes.vote_json(v) for v in found.votes],
    )
    return render(request, "why.html", context)


async def charter_history_page(request: Request) -> Response:
    """The whole charter's writing between two versions (``from``, ``to``: version ids or
    ``live``), step by step across its articles, without JavaScript: a slider (a form), and
    for the chosen step its article with the words that step added and removed."""
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    svc = services(request)
    try:
        first = await version_or_404(
            svc.stores.versions, charter.id, request.query_params.get("from") or ""
        )
        target = request.query_params.get("to") or "live"
        last = (
            None
            if target == "live"
            else await version_or_404(svc.stores.versions, charter.id, target)
        )
    except DomainError as exc:
        context = _context(charter, message=exc.message)
        status = 404 if isinstance(exc, NotFoundError) else 422
        return render(request, "compare_error.html", context, status)
    low = first.log_position or 0
    high = last.log_position if last is not None and last.log_position is not None else None
    people = {p.id: p.name for p in await svc.people.list_participants(charter.id)}
    merged = []
    for _, article in charter.articles():
        past = await history(svc, charter, article)
        before = None
        for step in past.steps:
            if step[0] <= low:
                before = step
            elif high is None or step[0] <= high:
                merged.append((step[0], article, step, before, past.steps))
                before = step
    merged.sort(key=lambda item: item[0])
    index = _chosen_step(request, len(merged))
    context = _context(
        charter, first=version_json(first), last=version_json(last) if last else "live"
    )
    context["steps"] = merged
    context["index"] = index
    if merged:
        _, article, step, before, steps = merged[index]
        now = await state_at_step(svc, article, steps, step[0])
        then = await state_at_step(svc, article, steps, before[0]) if before else None
        diff = diff_words(then.text() if then else "", now.text() if now else "")
        context["step"] = {
            "at": _minute(step[1]),
            "article": article,
            "people": [people[p] for p in step[3] if p in people],
            "hunks": [{"kind": h.kind, "text": h.text} for h in diff.hunks],
            "added": diff.words_added,
            "removed": diff.words_removed,
        }
    return render(request, "charter_history.html", context)


def _minute(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


routes = [
    Route("/charters/{slug}/versions", versions_page),
    Route("/charters/{slug}/versions.atom", versions_feed),
    Route("/charters/{slug}/compare", compare_page),
    Route("/charters/{slug}/compare/{key}", compare_article_page),
    Route("/charters/{slug}/articles/{key}/history", history_page),
    Route("/charters/{slug}/history", charter_history_page),
    Route("/charters/{slug}/articles/{key}/why", why_page),
]
