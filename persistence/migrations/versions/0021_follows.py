"""what participants follow, how often they want digests, and when they last had one

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 19:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _participant() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("participant_id", ID, nullable=False)


def _participant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["participant_id"],
        ["participants.id"],
        name=op.f(f"fk_{table}_participant_id_participants"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "follows",
        _participant(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("charter_id", ID, nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("muted", sa.Boolean(), server_default=sa.false(), nullable=False),
        _participant_fk("follows"),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charters.id"],
            name=op.f("fk_follows_charter_id_charters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "kind", "target_id", name=op.f("pk_follows")),
    )
    op.create_index("ix_follows_charter_id", "follows", ["charter_id"], unique=False)
    op.create_table(
        "mail_preferences",
        _participant(),
        sa.Column("frequency", sa.String(length=8), server_default="none", nullable=False),
        sa.Column("instant_replies", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_digest_period", sa.String(length=16), nullable=True),
        _participant_fk("mail_preferences"),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_mail_preferences")),
    )
    op.create_table(
        "text_marks",
        _participant(),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("snapshot", sa.LargeBinary(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _participant_fk("text_marks"),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_text_marks_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", "article_id", name=op.f("pk_text_marks")),
    )


def downgrade() -> None:
    op.drop_table("text_marks")
    op.drop_table("mail_preferences")
    op.drop_index("ix_follows_charter_id", table_name="follows")
    op.drop_table("follows")
