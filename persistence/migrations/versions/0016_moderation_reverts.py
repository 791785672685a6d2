"""one participant's edits reverted by a facilitator, in the public moderation log

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "moderation_reverts",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("charter_id", ID, nullable=False),
        sa.Column("article_key", sa.String(length=64), nullable=False),
        sa.Column("article_title", sa.String(length=200), nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=True),
        sa.Column("participant_name", sa.String(length=64), nullable=False),
        sa.Column("since_position", sa.BigInteger(), nullable=False),
        sa.Column("since_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_name", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("version_before_id", sa.BigInteger(), nullable=True),
        sa.Column("at_position", sa.BigInteger(), nullable=False),
        sa.Column("words_removed", sa.Integer(), nullable=False),
        sa.Column("words_restored", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charters.id"],
            name=op.f("fk_moderation_reverts_charter_id_charters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_reverts")),
    )
    op.create_index(
        "ix_moderation_reverts_charter_id", "moderation_reverts", ["charter_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_moderation_reverts_charter_id", table_name="moderation_reverts")
    op.drop_table("moderation_reverts")
