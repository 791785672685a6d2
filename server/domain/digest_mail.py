"""Digests and instant notices as e-mails: their text and HTML (in the charter's
language), with absolute links to the exact passage, and the signed unsubscribe link
(which never expires). Queueing them: ``digest_sending.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

from itsdangerous import BadSignature

from persistence.comments import ThreadRecord
from persistence.repo import CharterRecord
from server.domain.digests import (
    AmendmentLine,
    ArticleNews,
    Asked,
    CommentLine,
    Digest,
)
from server.domain.follows import TextChange
from server.i18n import content_language, translate
from server.services import Services

SALT = "charter-unsubscribe"
CONTEXT = 40  # characters of unchanged text shown around a change

Say = Callable[..., str]


def unsubscribe_token(services: Services, participant_id: int) -> str:
    return services.identity.timed(SALT).dumps(participant_id)


def participant_of_token(services: Services, token: str) -> int | None:
    """Whose unsubscribe link this is; None for a forged or mangled one. It never expires."""
    try:
        found = services.identity.timed(SALT).loads(token)
    except BadSignature:
        return None
    return found if isinstance(found, int) else None


def unsubscribe_url(services: Services, participant_id: int) -> str:
    token = unsubscribe_token(services, participant_id)
    return f"{services.settings.base_url}/mail/unsubscribe/{token}"


# -- links --


def article_url(base: str, charter: CharterRecord, key: str) -> str:
    return f"{base}/charters/{charter.slug}/articles/{key}"


def thread_url(base: str, charter: CharterRecord, thread: ThreadRecord) -> str:
    if thread.amendment_id is not None:
        return f"{base}/charters/{charter.slug}/amendments/{thread.amendment_id}#thread-{thread.id}"
    return f"{article_url(base, charter, thread.article_key)}#thread-{thread.id}"


def when(lang: str, at: datetime) -> str:
    at = at.astimezone(UTC)
    day = translate(lang, "digest_days").split()[at.weekday()]
    return f"{day} {at:%d/%m %H:%M} UTC"


def excerpt(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- the word diff, inline: [-removed-]{+added+} in text, <del>/<ins> in HTML --


def _parts(change: TextChange) -> list[tuple[str, str]]:
    """(kind, text) pieces: "=" context (long stretches cut to their ends), "-", "+"."""
    parts: list[tuple[str, str]] = []
    at = 0
    last = len(change.changes) - 1
    for i, (kind, value) in enumerate(change.changes):
        if kind == "+":
            parts.append(("+", str(value)))
            continue
        piece = change.before[at : at + int(value)]
        at += int(value)
        if kind == "-":
            parts.append(("-", piece))
        elif len(piece) > 2 * CONTEXT:
            head = piece[:CONTEXT] if i else ""
            tail = piece[-CONTEXT:] if i < last else ""
            parts.append(("=", f"{head}…{tail}" if head or tail else ""))
        else:
            parts.append(("=", piece))
    return parts


def diff_parts(change: TextChange) -> list[tuple[str, str]]:
    """``_parts`` with the changes on either side of a mere space read as one: "[-un
    mois-]{+quinze jours+}" rather than word by word."""
    parts = _parts(change)
    out: list[tuple[str, str]] = []
    removed: list[str] = []
    added: list[str] = []
    for i, (kind, piece) in enumerate(parts):
        between = kind == "=" and not piece.strip() and i + 1 < len(parts)
        if (
            kind == "-"
            or kind == "+"
            or (between and (removed or added) and parts[i + 1][0] != "=")
        ):
            if kind != "+" and (kind == "-" or removed or not added):
                removed.append(piece)
            if kind != "-" and (kind == "+" or added):
                added.append(piece)
            continue
        out += [("-", "".join(removed))] if removed else []
        out += [("+", "".join(added))] if added else []
        removed, added = [], []
        out.append((kind, piece))
    out += [("-", "".join(removed))] if removed else []
    out += [("+", "".join(added))] if added else []
    return out


def diff_text(change: TextChange) -> str:
    marks = {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}
    return "".join(marks[k].format(t) for k, t in diff_parts(change)).strip()


def diff_html(change: TextChange) -> str:
    tags = {"=": "{}", "-": "<del>{}</del>", "+": "<ins>{}</ins>"}
    return "".join(tags[k].format(escape(t)) for k, t in diff_parts(change)).strip()


# -- a digest's lines: (text, link) --


def votes_of(say: Say, line: AmendmentLine) -> str:
    counts = line.counts()
    return say("digest_votes", pro=counts["for"], con=counts["against"], abstain=counts["abstain"])


def amendment_line(say: Say, line: AmendmentLine) -> str:
    return say(
        f"digest_amendment_{line.state}", title=line.amendment.title, votes=votes_of(say, line)
    )


def comment_line(say: Say, line: CommentLine) -> str:
    key = "digest_mention" if line.mention else "digest_reply"
    return say(key, author=line.comment.author_name, excerpt=excerpt(line.comment.body))


def asked_line(say: Say, lang: str, item: Asked) -> str:
    if item.kind == "amendment":
        return say("digest_asked_amendment", title=item.title)
    if item.ends is not None:
        return say("digest_asked_vote_end", title=item.title, when=when(lang, item.ends))
    return say("digest_asked_vote_open", title=item.title)


def news_lines(
    say: Say, base: str, charter: CharterRecord, news: ArticleNews
) -> list[tuple[str, str]]:
    key = news.article.key
    found: list[tuple[str, str]] = []
    if news.text is not None:
        said = say("digest_text_changed", added=news.text.added, removed=news.text.removed)
        found.append((said, article_url(base, charter, key)))
    for amendment in news.amendments:
        link = f"{base}/charters/{charter.slug}/amendments/{amendment.amendment.id}"
        found.append((amendment_line(say, amendment), link))
    for comment in news.comments:
        found.append((comment_line(say, comment), thread_url(base, charter, comment.thread)))
    return found


def asked_link(base: str, charter: CharterRecord, item: Asked) -> str:
    if item.kind == "amendment":
        return f"{base}/charters/{charter.slug}/amendments/{item.id}"
    if item.article is not None:
        return article_url(base, charter, item.article.key)
    return f"{base}/charters/{charter.slug}"


def render(digest: Digest, base: str, unsubscribe: str) -> tuple[str, str, str]:
    """The subject, the plain text and the HTML of a digest."""
    charter, lang = digest.charter, content_language(digest.charter.language)
    say: Say = lambda key, **values: translate(lang, key, **values)  # noqa: E731
    subject = say("digest_subject", charter=charter.title)
    intro = say("digest_intro", name=digest.participant.name, charter=charter.title)
    text, html = [intro, ""], [f"<p>{escape(intro)}</p>"]
    for news in digest.articles:
        link = article_url(base, charter, news.article.key)
        text += [f"## {news.article.title}", link]
        html.append(f'<h2><a href="{escape(link)}">{escape(news.article.title)}</a></h2><ul>')
        if news.text is not None:
            text.append(diff_text(news.text))
            html.append(f"<p>{diff_html(news.text)}</p>")
        for said, href in news_lines(say, base, charter, news):
            text.append(f"- {said} {href}")
            html.append(f'<li><a href="{escape(href)}">{escape(said)}</a></li>')
        text.append("")
        html.append("</ul>")
    if digest.asked:
        text.append(f"## {say('digest_asked_title')}")
        html.append(f"<h2>{escape(say('digest_asked_title'))}</h2><ul>")
        for item in digest.asked:
            said, href = asked_line(say, lang, item), asked_link(base, charter, item)
            text.append(f"- {said} {href}")
            html.append(f'<li><a href="{escape(href)}">{escape(said)}</a></li>')
        text.append("")
        html.append("</ul>")
    text.append(say("digest_unsubscribe", url=unsubscribe))
    html.append(
        f'<p><a href="{escape(unsubscribe)}">{escape(say("digest_unsubscribe_link"))}</a></p>'
    )
    body = f'<html lang="{lang}"><body>{"".join(html)}</body></html>'
    return subject, "\n".join(text) + "\n", body
