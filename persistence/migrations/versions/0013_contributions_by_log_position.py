"""who edited what is counted by position in the update log, and each version records its
position: a comparison between two versions is bounded by them, not by minutes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 13:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "doc_contributions_at",
        sa.Column(
            "document_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("participant_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("edits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_doc_contributions_at_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "document_id", "participant_id", "position", name=op.f("pk_doc_contributions_at")
        ),
    )
    with op.batch_alter_table("versions") as batch:
        batch.add_column(sa.Column("log_position", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("versions") as batch:
        batch.drop_column("log_position")
    op.drop_table("doc_contributions_at")
