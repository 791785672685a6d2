"""who edited which document, per minute (survives compaction of the update log)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "doc_contributions",
        sa.Column(
            "document_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("participant_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_doc_contributions_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "document_id", "participant_id", "bucket", name=op.f("pk_doc_contributions")
        ),
    )


def downgrade() -> None:
    op.drop_table("doc_contributions")
