"""Table definitions. Alembic migrations in ``migrations/`` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger on PostgreSQL, INTEGER (rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


def _created() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


charters = Table(
    "charters",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("language", String(16), nullable=False),
    _created(),
)

sections = Table(
    "sections",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Index("ix_sections_charter_position", "charter_id", "position"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # "article" | "amendment"
    _created(),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The stable public id used in document names and URLs.
    Column("key", String(32), nullable=False),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("section_id", Id, ForeignKey("sections.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False, unique=True),
    UniqueConstraint("charter_id", "key", name="uq_articles_charter_key"),
    Index("ix_articles_section_position", "section_id", "position"),
)

# The append-only update log. Order is ``seq``, never a timestamp.
doc_updates = Table(
    "doc_updates",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("update", LargeBinary, nullable=False),
    Column("participant_id", BigInteger, nullable=True),
    _created(),
    Index("ix_doc_updates_document_seq", "document_id", "seq"),
    # AUTOINCREMENT: SQLite must never reuse a seq after compaction deleted the top rows,
    # or new updates would hide behind a checkpoint's through_seq.
    sqlite_autoincrement=True,
)

# One full-state checkpoint per document: the fold of every update with seq <= through_seq.
doc_checkpoints = Table(
    "doc_checkpoints",
    metadata,
    Column(
        "document_id",
        Id,
        ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("state", LargeBinary, nullable=False),
    Column("through_seq", BigInteger, nullable=False),
    Column("updates_folded", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

__all__ = [
    "articles",
    "charters",
    "doc_checkpoints",
    "doc_updates",
    "documents",
    "metadata",
    "sections",
]
