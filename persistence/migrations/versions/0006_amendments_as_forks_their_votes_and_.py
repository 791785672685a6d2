"""amendments as forks, their votes and events; phases

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 19:44:59.273353
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "amendments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "charter_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("base_state_vector", sa.LargeBinary(), nullable=False),
        sa.Column("base_state_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("author_name", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("merged_update", sa.LargeBinary(), nullable=True),
        sa.Column(
            "version_before_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "version_after_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_amendments_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["participants.id"],
            name=op.f("fk_amendments_author_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["base_state_hash"],
            ["doc_states.hash"],
            name=op.f("fk_amendments_base_state_hash_doc_states"),
        ),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charters.id"],
            name=op.f("fk_amendments_charter_id_charters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_amendments_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_after_id"],
            ["versions.id"],
            name=op.f("fk_amendments_version_after_id_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["version_before_id"],
            ["versions.id"],
            name=op.f("fk_amendments_version_before_id_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendments")),
        sa.UniqueConstraint("document_id", name=op.f("uq_amendments_document_id")),
    )
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.create_index("ix_amendments_article", ["article_id"], unique=False)
        batch_op.create_index("ix_amendments_charter", ["charter_id"], unique=False)

    op.create_table(
        "amendment_authors",
        sa.Column(
            "amendment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "participant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["amendment_id"],
            ["amendments.id"],
            name=op.f("fk_amendment_authors_amendment_id_amendments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_amendment_authors_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "amendment_id", "participant_id", name=op.f("pk_amendment_authors")
        ),
    )
    op.create_table(
        "amendment_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "amendment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=True),
        sa.Column("participant_name", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["amendment_id"],
            ["amendments.id"],
            name=op.f("fk_amendment_events_amendment_id_amendments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendment_events")),
    )
    with op.batch_alter_table("amendment_events", schema=None) as batch_op:
        batch_op.create_index("ix_amendment_events_amendment", ["amendment_id"], unique=False)

    op.create_table(
        "amendment_votes",
        sa.Column(
            "amendment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "participant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("choice", sa.String(length=8), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["amendment_id"],
            ["amendments.id"],
            name=op.f("fk_amendment_votes_amendment_id_amendments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_amendment_votes_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("amendment_id", "participant_id", name=op.f("pk_amendment_votes")),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phase", sa.String(length=16), nullable=True))

    with op.batch_alter_table("charters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phase", sa.String(length=16), server_default="open", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("charters", schema=None) as batch_op:
        batch_op.drop_column("phase")

    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("phase")

    op.drop_table("amendment_votes")
    with op.batch_alter_table("amendment_events", schema=None) as batch_op:
        batch_op.drop_index("ix_amendment_events_amendment")

    op.drop_table("amendment_events")
    op.drop_table("amendment_authors")
    with op.batch_alter_table("amendments", schema=None) as batch_op:
        batch_op.drop_index("ix_amendments_charter")
        batch_op.drop_index("ix_amendments_article")

    op.drop_table("amendments")
