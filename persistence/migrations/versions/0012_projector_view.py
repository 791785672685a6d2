"""what the projector shows of its article (the text, its changes since the last version,
an amendment applied, a chosen passage) is kept with the charter

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 12:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charters") as batch:
        batch.add_column(sa.Column("projector_view", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("charters") as batch:
        batch.drop_column("projector_view")
