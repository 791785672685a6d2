"""the article on the projector is kept with its charter (every instance, every restart)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charters") as batch:
        batch.add_column(sa.Column("projector_article", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("charters") as batch:
        batch.drop_column("projector_article")
