"""A comparison (``server.domain.versions.comparison``) as a file: standalone HTML or plain text,
for ``charter diff``."""

from __future__ import annotations

from typing import Any

from persistence.repo import CharterRecord
from server.domain.licences import licence_of
from server.i18n import content_language, translate
from server.pages.site import TEMPLATES  # the shared Jinja environment (filters, autoescape)


def diff_html(charter: CharterRecord, found: dict[str, Any], base_url: str) -> str:
    """A comparison (``server.domain.versions.comparison``) as one standalone HTML file."""
    lang = content_language(charter.language)
    articles = found["articles"]
    return TEMPLATES.env.get_template("compare_export.html").render(
        charter=charter,
        licence=licence_of(charter.licence),
        c=found,
        changed=[a for a in articles if a["status"] != ["unchanged"]],
        same=[a for a in articles if a["status"] == ["unchanged"]],
        lang=lang,
        t=lambda key, **values: translate(lang, key, **values),
        base_url=base_url,
    )


def diff_text(found: dict[str, Any]) -> str:
    """A comparison as plain text: changed articles, with [-deleted-] and {+inserted+}."""

    def name(side: Any) -> str:
        return "live" if side == "live" else f"{side['id']} ({side['label']})"

    out = [f"from {name(found['from'])} to {name(found['to'])}"]
    out.append(
        f"{found['words_added']} words added, {found['words_removed']} removed, "
        f"{found['articles_changed']} articles changed"
    )
    people = ", ".join(f"{p['name']} ({p['edits']})" for p in found["participants"])
    out.append(f"participants: {people or '-'}")
    marks = {"equal": "{}", "insert": "{{+{}+}}", "delete": "[-{}-]"}
    for item in found["articles"]:
        if item["status"] == ["unchanged"]:
            continue
        out.extend(["", f"## {item['title']} [{', '.join(item['status'])}] ({item['id']})"])
        if item.get("previous"):
            out.append(f"previously: {item['previous']['title']} ({item['previous']['section']})")
        if item.get("diff"):
            out.append("".join(marks[h["kind"]].format(h["text"]) for h in item["diff"]))
    return "\n".join(out) + "\n"
