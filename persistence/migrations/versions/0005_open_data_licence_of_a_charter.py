"""open-data licence of a charter, and whether exports carry the discussion

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "licence", sa.String(length=32), server_default="CC-BY-SA-4.0", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "open_data_discussion", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("charters", schema=None) as batch_op:
        batch_op.drop_column("open_data_discussion")
        batch_op.drop_column("licence")
