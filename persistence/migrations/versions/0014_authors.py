"""who first sent each Yjs client's items of a document, and the server's edits that kept
older authors: every character of an article keeps its author (crdt/authors.py)

The authors of what the update log still holds are recorded from it when the server starts
(persistence/authors.py ``record_from_log``: reading updates is the crdt package's job, not a
migration's); text folded into checkpoints before this revision has no known author.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

DOCUMENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _document_column() -> sa.Column[int]:
    return sa.Column("document_id", DOCUMENT_ID, nullable=False)


def _document_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["document_id"],
        ["documents.id"],
        name=op.f(f"fk_{table}_document_id_documents"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "doc_authors",
        _document_column(),
        sa.Column("client_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=True),
        sa.Column("amendment_id", sa.BigInteger(), nullable=True),
        _document_key("doc_authors"),
        sa.PrimaryKeyConstraint("document_id", "client_id", name=op.f("pk_doc_authors")),
    )
    op.create_table(
        "doc_author_ranges",
        sa.Column("id", DOCUMENT_ID, autoincrement=True, nullable=False),
        _document_column(),
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        sa.Column("clock_start", sa.BigInteger(), nullable=False),
        sa.Column("clock_end", sa.BigInteger(), nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=True),
        sa.Column("amendment_id", sa.BigInteger(), nullable=True),
        _document_key("doc_author_ranges"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_author_ranges")),
    )
    op.create_index(
        "ix_doc_author_ranges_document_id", "doc_author_ranges", ["document_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_doc_author_ranges_document_id", table_name="doc_author_ranges")
    op.drop_table("doc_author_ranges")
    op.drop_table("doc_authors")
