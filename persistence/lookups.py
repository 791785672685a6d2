"""Short reads on every socket's way in — which document a name is, whose token this is —
as plain functions of a ``Connection``, so that a socket's admission makes one trip to the
database (``persistence.engine.OneTrip``)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from persistence.people import ParticipantRecord, participant_record
from persistence.repo import CharterRecord, NotFound, charter_record
from persistence.tables import amendments, articles, charters, participants


def charter(conn: Connection, slug: str) -> CharterRecord:
    """The charter's own record, without its outline. NotFound if there is none."""
    row = conn.execute(select(charters).where(charters.c.slug == slug)).first()
    if row is None:
        raise NotFound(f"no charter {slug!r}")
    return charter_record(row)


def article_document(conn: Connection, slug: str, key: str) -> tuple[CharterRecord, int]:
    """The charter (without outline) and the document of a live article."""
    row = conn.execute(
        select(charters, articles.c.document_id)
        .join(articles, articles.c.charter_id == charters.c.id)
        .where(charters.c.slug == slug, articles.c.key == key, articles.c.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFound(f"no article {key!r} in charter {slug!r}")
    return charter_record(row), int(row.document_id)


def amendment_document(conn: Connection, slug: str, amendment_id: int) -> tuple[CharterRecord, int]:
    """The charter (without outline) and the fork document of one of its amendments."""
    row = conn.execute(
        select(charters, amendments.c.document_id)
        .join(amendments, amendments.c.charter_id == charters.c.id)
        .where(charters.c.slug == slug, amendments.c.id == amendment_id)
    ).first()
    if row is None:
        raise NotFound(f"no amendment {amendment_id} in charter {slug!r}")
    return charter_record(row), int(row.document_id)


def participant(conn: Connection, participant_id: int) -> ParticipantRecord | None:
    row = conn.execute(select(participants).where(participants.c.id == participant_id)).first()
    return None if row is None else participant_record(row)
