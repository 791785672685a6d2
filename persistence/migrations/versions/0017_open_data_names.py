"""whether the open data's drafting log names its authors (else pseudonyms)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 18:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charters") as batch:
        batch.add_column(
            sa.Column("open_data_names", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("charters") as batch:
        batch.drop_column("open_data_names")
