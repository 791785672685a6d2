"""the store's batch keys: a commit whose answer was lost is not stored twice

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "doc_batches",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_batches")),
    )
    op.create_index("ix_doc_batches_created_at", "doc_batches", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_doc_batches_created_at", table_name="doc_batches")
    op.drop_table("doc_batches")
