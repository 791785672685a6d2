"""sub-groups drafting an article in parallel, and bundles of amendments

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subgroups",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("charter_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("amendment_id", ID, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("letter", sa.String(length=4), nullable=False),
        sa.Column("colour", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charters.id"],
            name=op.f("fk_subgroups_charter_id_charters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_subgroups_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["amendment_id"],
            ["amendments.id"],
            name=op.f("fk_subgroups_amendment_id_amendments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subgroups")),
        sa.UniqueConstraint("amendment_id", name=op.f("uq_subgroups_amendment_id")),
    )
    op.create_index("ix_subgroups_article_id", "subgroups", ["article_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_subgroups_article_id", table_name="subgroups")
    op.drop_table("subgroups")
