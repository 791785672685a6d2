"""the drafting history kept through compaction: one snapshot per minute of writing and at
each saved version's position (crdt/history.py)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "doc_history",
        sa.Column(
            "document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("deletions", sa.Text(), server_default="{}", nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_doc_history_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "position", name=op.f("pk_doc_history")),
    )


def downgrade() -> None:
    op.drop_table("doc_history")
