"""Server-rendered pages: home, the plain reading view of a charter, joining from an invite."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from crdt.markdown import lines_of
from crdt.protocol import link_allowed
from persistence.repo import CharterRecord, NotFound
from server.access import Action, decide
from server.api.common import bearer, services
from server.domain import mail
from server.domain.account import clean_address, start_email
from server.domain.charters import visible_charters
from server.domain.licences import licence_of
from server.domain.participation import (
    ParticipationError,
    clean_badge,
    clean_name,
    join,
    name_in_use,
)
from server.domain.provenance import charter_authors, shares
from server.errors import Invalid
from server.i18n import LANGUAGES, pick, translate
from server.identity import COOKIE, COOKIE_MAX_AGE
from server.services import Services

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def safe_url(url: object) -> str | None:
    """Links typed by participants: only web and mail addresses, never javascript:."""
    text = str(url).strip()
    return text if link_allowed(text) else None


TEMPLATES.env.filters["safe_url"] = safe_url
TEMPLATES.env.globals["licence_of"] = licence_of  # the read pages show the charter's licence


# Server-rendered pages run no script at all; their small stylesheet is inline.
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    lang = pick(request.cookies, request.headers.get("accept-language"))
    context = {**context, "lang": lang, "t": partial(translate, lang)}
    response = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


async def home(request: Request) -> Response:
    svc = services(request)
    token = bearer(request)
    who = await svc.identity.from_token(token) if token else None
    charters = await visible_charters(svc.repo, svc.identity, request.cookies, who)
    return render(request, "home.html", {"charters": charters})


async def readable_charter(request: Request) -> CharterRecord | Response:
    """The charter of the URL if this request may read it; else the not-found or private
    page that says why."""
    svc = services(request)
    try:
        charter = await svc.repo.get_charter(request.path_params["slug"])
    except NotFound:
        return render(request, "not_found.html", {}, 404)
    who = await svc.identity.resolve(charter, bearer(request), request.cookies)
    if not decide(who, Action.READ, charter.id).allowed:
        return render(request, "private.html", {"charter": charter}, 403)
    return charter


async def read_charter(request: Request) -> Response:
    """A plain reading view of the whole charter: no JavaScript, fit for print."""
    charter = await readable_charter(request)
    if isinstance(charter, Response):
        return charter
    svc = services(request)
    bodies = {}
    for _, article in charter.articles():
        doc = await svc.article_doc(article.document_id)
        bodies[article.id] = lines_of(doc.ops())
    # "See where each sentence comes from": every sentence a link to its origins.
    origins = bool(request.query_params.get("origins"))
    sentences = {}
    if origins:
        for _, article in charter.articles():
            doc = await svc.article_doc(article.document_id)
            sentences[article.id] = sentences_of(doc.text())
    # Who wrote what: the share of the words by badge and by amendment, per article.
    authors = await charter_authors(svc, charter)
    shares_of = {a["id"]: shares(a) for a in authors["articles"] if a["words"]}
    context = {
        "charter": charter,
        "bodies": bodies,
        "shares": shares_of,
        "charter_shares": shares(authors["summary"]) if authors["summary"]["words"] else None,
        "origins": origins,
        "sentences": sentences,
    }
    return render(request, "charter.html", context)


SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+|$)\s*")


def sentences_of(text: str) -> list[list[tuple[str, int, int]]]:
    """The text's lines, each as its sentences (text, start, end) in UTF-16 units."""
    found = []
    at = 0
    for line in text.split("\n"):
        sentences = []
        offset = at
        for match in SENTENCE.finditer(line):
            units = len(match[0].encode("utf-16-le")) // 2
            if match[0].strip():
                sentences.append((match[0], offset, offset + units))
            offset += units
        found.append(sentences)
        at += len(line.encode("utf-16-le")) // 2 + 1
    return found


async def _invite_and_charter(request: Request) -> tuple[Any, CharterRecord] | None:
    svc = services(request)
    invite = await svc.identity.invite_from_token(request.path_params["token"])
    if invite is None:
        return None
    charter = next((c for c in await svc.repo.list_charters() if c.id == invite.charter_id), None)
    return (invite, await svc.repo.get_charter(charter.slug)) if charter else None


# The title of the page of an invitation that cannot be used, by the reason it cannot.
INVITE_HEADINGS = {
    "this invitation has been revoked": "invite_revoked_title",
    "this invitation has expired": "invite_expired_title",
    "this invitation has been used up": "invite_used_title",
}


async def join_page(request: Request) -> Response:
    found = await _invite_and_charter(request)
    if found is None:
        return render(request, "join_invalid.html", {"heading": "invite_unknown_title"}, 404)
    invite, charter = found
    reason = invite.unusable_reason(datetime.now(UTC))
    if reason is not None:
        context = {"reason": reason, "heading": INVITE_HEADINGS[reason]}
        return render(request, "join_invalid.html", context, 410)
    svc = services(request)
    current = await svc.identity.resolve(charter, None, request.cookies)
    return render(
        request,
        "join.html",
        {
            "charter": charter,
            "role": invite.role,
            "current": current,
            "error": None,
            "name": "",
            "mail_configured": mail.configured(svc.settings),
        },
    )


async def join_submit(request: Request) -> Response:
    svc = services(request)
    origin = request.headers.get("origin")
    if origin and not svc.identity.allowed_origin(
        origin, request.headers.get("host"), request.url.scheme
    ):
        return JSONResponse(
            {"error": {"code": "forbidden", "message": "cross-site request refused"}}, 403
        )
    found = await _invite_and_charter(request)
    wants_json = "application/json" in request.headers.get("content-type", "")
    if found is None:
        if wants_json:
            return JSONResponse({"error": {"code": "not_found", "message": "invalid invite"}}, 404)
        return render(request, "join_invalid.html", {"heading": "invite_unknown_title"}, 404)
    invite, charter = found
    form = await _form(request, wants_json)
    try:
        name, badge = clean_name(form.get("name")), clean_badge(form.get("badge"))
        address = _join_address(svc, form)
        # A name already in use: a gentle hint, once; the same name again joins.
        if (
            not wants_json
            and form.get("same_name") != name
            and await name_in_use(svc.people, charter.id, name)
        ):
            context = {
                "charter": charter,
                "role": invite.role,
                "current": None,
                "error": None,
                "taken": name,
                "name": name,
                "badge": badge or "",
                "mail_configured": mail.configured(svc.settings),
                "email": str(form.get("email") or ""),
            }
            return render(request, "join.html", context)
        joined = await join(svc.people, invite, name, badge)
        if address is not None:  # a link to confirm it is on its way
            await start_email(svc, charter, joined.participant.id, address)
    except ParticipationError as exc:
        if wants_json:
            error = {"code": "invalid", "message": str(exc), "field": exc.field}
            return JSONResponse({"error": {k: v for k, v in error.items() if v}}, 422)
        context = {
            "charter": charter,
            "role": invite.role,
            "current": None,
            "error": str(exc),
            "name": str(form.get("name") or ""),
            "mail_configured": mail.configured(svc.settings),
            "email": str(form.get("email") or ""),
        }
        return render(request, "join.html", context, 422)
    response: Response
    if wants_json:
        response = JSONResponse(
            {
                "participant_id": joined.participant.id,
                "token": joined.token,
                "charter": charter.slug,
                "role": joined.participant.role,
            },
            status_code=201,
        )
    else:
        response = RedirectResponse(f"/charters/{charter.slug}", status_code=303)
    tokens = svc.identity.cookie_tokens(request.cookies)
    tokens[str(charter.id)] = joined.token
    response.set_cookie(
        COOKIE,
        svc.identity.cookie_value(tokens),
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=svc.settings.base_url.startswith("https://"),
    )
    return response


def _join_address(svc: Services, form: dict[str, Any]) -> str | None:
    """The optional e-mail address typed on the join page (when this server sends mail)."""
    raw = str(form.get("email") or "").strip()
    if not raw or not mail.configured(svc.settings):
        return None
    try:
        return clean_address(raw)
    except Invalid as exc:
        raise ParticipationError("this e-mail address does not look valid", "email") from exc


async def _form(request: Request, wants_json: bool) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > 16_384:
        return {}
    if wants_json:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


async def set_language(request: Request) -> Response:
    lang = request.path_params["lang"]
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=COOKIE_MAX_AGE, samesite="lax")
    return response


routes = [
    Route("/", home),
    Route("/charters/{slug}/read", read_charter),
    Route("/charters/{slug}", read_charter),  # without the web app built: the reading view
    Route("/join/{token}", join_page, methods=["GET"]),
    Route("/join/{token}", join_submit, methods=["POST"]),
    Route("/lang/{lang}", set_language),
]
