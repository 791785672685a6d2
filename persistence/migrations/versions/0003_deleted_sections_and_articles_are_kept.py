"""deleted sections and articles are kept

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 16:49:18.857874
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("sections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sections", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
