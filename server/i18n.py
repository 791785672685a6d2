# ruff: noqa: E501  (sentences read better unbroken)
"""Interface text in French and English. French by default; chosen by a remembered
switch (the ``lang`` cookie), else by the browser's Accept-Language."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("fr", "en")
DEFAULT = "fr"

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "back_to_live": "← Retour à la charte en direct",
        "first_version": "Première version\u00a0: {words_added} mot(s).",
        "invite_unknown_title": "Lien d’invitation non valable",
        "invite_used_title": "Cette invitation a déjà servi",
        "invite_expired_title": "Cette invitation a expiré",
        "invite_revoked_title": "Cette invitation a été retirée",
        "shell_loading": "Chargement…",
        "shell_noscript": "Cette page a besoin de JavaScript pour le travail en direct.",
        "shell_read": "Lire la charte sans JavaScript",
        "shell_unbuilt": "L’application web n’est pas construite sur ce serveur (lancez «\u00a0make web\u00a0»).",
        "version_auto": "Version automatique du {at:%d/%m/%Y %H:%M} UTC",
        "version_before_amendment": "Avant l’amendement «\u00a0{title}\u00a0»",
        "version_after_amendment": "Après l’amendement «\u00a0{title}\u00a0»",
        "version_before_restore_article": "Avant restauration de l’article «\u00a0{article}\u00a0» (version «\u00a0{version}\u00a0»)",
        "version_before_restore_charter": "Avant restauration de la version «\u00a0{version}\u00a0»",
        "charters": "Chartes",
        "no_charter": "Aucune charte visible. Demandez un lien d’invitation à l’équipe d’animation.",
        "not_found": "Page introuvable",
        "home": "Accueil",
        "private": "Cette charte n’est pas publique. Ouvrez le lien d’invitation que l’équipe d’animation vous a donné.",
        "contents": "Sommaire",
        "join_title": "Rejoindre «\u00a0{title}\u00a0»",
        "join_intro": "Vous êtes invité·e comme {role}. Indiquez le nom que les autres verront.",
        "name": "Votre nom",
        "name_hint": "Prénom, ou prénom et nom. 64 caractères au plus.",
        "badge": "Vous participez en tant que (facultatif)",
        "badge_none": "— Je préfère ne pas le dire —",
        "badge_citizen": "Citoyen·ne",
        "badge_elected": "Élu·e",
        "badge_organiser": "Organisateur·rice",
        "join": "Rejoindre",
        "name_taken": "{name} est déjà là — ajoutez une initiale\u00a0? Vous pouvez aussi garder ce nom\u00a0: appuyez à nouveau sur «\u00a0Rejoindre\u00a0».",
        "already": "Vous participez déjà à cette charte sous le nom {name}.",
        "continue": "Continuer vers la charte",
        "invite_invalid": "Ce lien d’invitation n’est pas valable. Demandez-en un nouveau à l’équipe d’animation.",
        "this invitation has been revoked": "Cette invitation a été retirée.",
        "a name is required": "Indiquez un nom.",
        "a name has at most 64 characters": "Un nom compte au plus 64 caractères.",
        "a name cannot contain control characters": "Un nom ne peut pas contenir de caractères de contrôle.",
        "badge must be one of citizen, elected, organiser": "Choisissez un rôle dans la liste.",
        "this invitation has expired": "Cette invitation a expiré.",
        "this invitation has been used up": "Cette invitation a déjà servi le nombre de fois prévu.",
        "role_facilitator": "animateur·rice",
        "role_editor": "rédacteur·rice",
        "role_commenter": "commentateur·rice",
        "role_reader": "lecteur·rice",
        "language": "Langue",
        "switch_language": "English",
        "guide_title": "Les cinq premières minutes",
        "authors_share": "Mots écrits par des citoyen·nes\u00a0: {citizen}, des élu·es\u00a0: {elected}, l’organisation\u00a0: {organiser}\u00a0; par amendement\u00a0: {amendment}.",
        "authors_in_charter": "Dans toute la charte.",
        "guide_link": "Première fois\u00a0? Les cinq premières minutes, en une page",
        # versions, comparisons and exports (server/pages/versions.py, server/pages/exports.py)
        "versions": "Versions",
        "versions_of": "Versions de «\u00a0{title}\u00a0»",
        "timeline": "Historique",
        "no_versions": "Aucune version enregistrée pour l’instant.",
        "version_n": "version {id}",
        "saved_by": "enregistrée par {name}",
        "automatic": "automatique",
        "summary": "{words_added} mot(s) ajouté(s), {words_removed} retiré(s), {articles_changed} article(s) modifié(s).",
        "words": "{added} mot(s) ajouté(s), {removed} retiré(s).",
        "compare": "Comparer",
        "comparison": "Comparaison",
        "compare_previous": "Comparer avec la version précédente",
        "compare_live": "Comparer avec le texte actuel",
        "compare_error": "Comparaison impossible",
        "from": "Depuis",
        "to": "Jusqu’à",
        "live": "Texte actuel",
        "feed": "Flux Atom des versions",
        "reading_view": "Lire la charte",
        "participants": "Participant·es",
        "colon": "\u00a0: ",  # French: a no-break space before the colon
        "no_participants": "Personne n’a modifié le texte entre ces deux moments.",
        "edits": "{n} modification(s)",
        "changed_articles": "Articles changés",
        "unchanged_articles": "Articles inchangés",
        "nothing_changed": "Aucun article n’a changé.",
        "status_added": "ajouté",
        "status_removed": "supprimé",
        "status_moved": "déplacé",
        "status_renamed": "renommé",
        "status_changed": "modifié",
        "status_unchanged": "inchangé",
        "inserted": "ajout",
        "deleted": "suppression",
        "previously": "Auparavant\u00a0:",
        "side_by_side": "Voir côte à côte",
        "whole_charter": "Toute la charte",
        "before": "Avant",
        "after": "Après",
        "article_absent": "Cet article n’existe pas de ce côté.",
        "published_under": "Texte publié sous la licence",
        "licence": "Licence",
        "exported_at": "Exporté le {date} UTC",
        "live_text": "Texte en cours d’écriture",
        "contents_print": "Sommaire",
        "amendments": "Amendements",
        "discussions": "Discussions",
    },
    "en": {
        "back_to_live": "← Back to the live charter",
        "first_version": "First version: {words_added} word(s).",
        "invite_unknown_title": "Invitation link not valid",
        "invite_used_title": "This invitation has been used",
        "invite_expired_title": "This invitation has expired",
        "invite_revoked_title": "This invitation has been revoked",
        "shell_loading": "Loading…",
        "shell_noscript": "This page needs JavaScript for working live.",
        "shell_read": "Read the charter without JavaScript",
        "shell_unbuilt": "The web app is not built on this server (run “make web”).",
        "version_auto": "Automatic version, {at:%Y-%m-%d %H:%M} UTC",
        "version_before_amendment": "Before amendment “{title}”",
        "version_after_amendment": "After amendment “{title}”",
        "version_before_restore_article": "Before restoring article “{article}” (version “{version}”)",
        "version_before_restore_charter": "Before restoring version “{version}”",
        "charters": "Charters",
        "no_charter": "No charter to show. Ask the facilitators for an invitation link.",
        "not_found": "Page not found",
        "home": "Home",
        "private": "This charter is not public. Open the invitation link the facilitators gave you.",
        "contents": "Contents",
        "join_title": "Join “{title}”",
        "join_intro": "You are invited as {role}. Give the name the others will see.",
        "name": "Your name",
        "name_hint": "First name, or first and last name. At most 64 characters.",
        "badge": "You take part as (optional)",
        "badge_none": "— I would rather not say —",
        "badge_citizen": "Citizen",
        "badge_elected": "Elected official",
        "badge_organiser": "Organiser",
        "join": "Join",
        "name_taken": "{name} is already here — add an initial? You can also keep this name: press “Join” again.",
        "already": "You already take part in this charter as {name}.",
        "continue": "Go on to the charter",
        "invite_invalid": "This invitation link is not valid. Ask the facilitators for a new one.",
        "this invitation has been revoked": "This invitation has been revoked.",
        "a name is required": "Please give a name.",
        "a name has at most 64 characters": "A name has at most 64 characters.",
        "a name cannot contain control characters": "A name cannot contain control characters.",
        "badge must be one of citizen, elected, organiser": "Choose from the list.",
        "this invitation has expired": "This invitation has expired.",
        "this invitation has been used up": "This invitation has been used as many times as planned.",
        "role_facilitator": "facilitator",
        "role_editor": "editor",
        "role_commenter": "commenter",
        "role_reader": "reader",
        "language": "Language",
        "switch_language": "Français",
        "guide_title": "The first five minutes",
        "authors_share": "Words written by citizens: {citizen}, elected officials: {elected}, organisers: {organiser}; through amendments: {amendment}.",
        "authors_in_charter": "In the whole charter.",
        "guide_link": "First time? The first five minutes, on one page",
        # versions, comparisons and exports (server/pages/versions.py, server/pages/exports.py)
        "versions": "Versions",
        "versions_of": "Versions of “{title}”",
        "timeline": "Timeline",
        "no_versions": "No version saved yet.",
        "version_n": "version {id}",
        "saved_by": "saved by {name}",
        "automatic": "automatic",
        "summary": "{words_added} word(s) added, {words_removed} removed, {articles_changed} article(s) changed.",
        "words": "{added} word(s) added, {removed} removed.",
        "compare": "Compare",
        "comparison": "Comparison",
        "compare_previous": "Compare with the previous version",
        "compare_live": "Compare with the current text",
        "compare_error": "Cannot compare",
        "from": "From",
        "to": "To",
        "live": "Current text",
        "feed": "Atom feed of versions",
        "reading_view": "Read the charter",
        "participants": "Participants",
        "colon": ": ",
        "no_participants": "Nobody edited the text between these two moments.",
        "edits": "{n} edit(s)",
        "changed_articles": "Changed articles",
        "unchanged_articles": "Unchanged articles",
        "nothing_changed": "No article changed.",
        "status_added": "added",
        "status_removed": "removed",
        "status_moved": "moved",
        "status_renamed": "renamed",
        "status_changed": "changed",
        "status_unchanged": "unchanged",
        "inserted": "inserted",
        "deleted": "deleted",
        "previously": "Previously:",
        "side_by_side": "See side by side",
        "whole_charter": "Whole charter",
        "before": "Before",
        "after": "After",
        "article_absent": "This article does not exist on this side.",
        "published_under": "Published under the licence",
        "licence": "Licence",
        "exported_at": "Exported on {date} UTC",
        "live_text": "Text being written",
        "contents_print": "Contents",
        "amendments": "Amendments",
        "discussions": "Discussions",
    },
}


def pick(cookies: Mapping[str, str], accept_language: str | None) -> str:
    chosen = cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best, best_q = DEFAULT, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def content_language(language: str) -> str:
    """The interface language for a charter written in ``language`` (a BCP 47 tag): its
    primary subtag when we have it, else English."""
    primary = language.split("-")[0].lower()
    return primary if primary in LANGUAGES else "en"


def translate(lang: str, key: str, **values: object) -> str:
    text = MESSAGES.get(lang, MESSAGES[DEFAULT]).get(key) or MESSAGES[DEFAULT].get(key, key)
    return text.format(**values) if values else text
