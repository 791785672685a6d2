"""live votes of the room on an article, the charter or a bundle of amendments

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "votes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("charter_id", ID, nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("article_id", ID, nullable=True),
        sa.Column("amendments", sa.Text(), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("scale", sa.String(length=16), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version_before_id", ID, nullable=True),
        sa.Column("version_after_id", ID, nullable=True),
        sa.Column("text_changed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charters.id"],
            name=op.f("fk_votes_charter_id_charters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_votes_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_before_id"],
            ["versions.id"],
            name=op.f("fk_votes_version_before_id_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["version_after_id"],
            ["versions.id"],
            name=op.f("fk_votes_version_after_id_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
    )
    op.create_index("ix_votes_charter_id", "votes", ["charter_id"], unique=False)
    op.create_table(
        "vote_ballots",
        sa.Column("vote_id", ID, nullable=False),
        sa.Column("participant_id", ID, nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["votes.id"],
            name=op.f("fk_vote_ballots_vote_id_votes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_vote_ballots_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vote_id", "participant_id", name=op.f("pk_vote_ballots")),
    )


def downgrade() -> None:
    op.drop_table("vote_ballots")
    op.drop_index("ix_votes_charter_id", table_name="votes")
    op.drop_table("votes")
