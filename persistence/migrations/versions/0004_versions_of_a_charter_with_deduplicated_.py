"""versions of a charter with deduplicated article states

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 17:38:13.772374
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "doc_states",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_doc_states")),
    )
    op.create_table(
        "versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "charter_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_by_name", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["charter_id"],
            ["charters.id"],
            name=op.f("fk_versions_charter_id_charters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
    )
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.create_index("ix_versions_charter", ["charter_id"], unique=False)

    op.create_table(
        "version_articles",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("section_id", sa.BigInteger(), nullable=False),
        sa.Column("section_title", sa.String(length=200), nullable=False),
        sa.Column("section_position", sa.Integer(), nullable=False),
        sa.Column("article_key", sa.String(length=32), nullable=False),
        sa.Column("article_title", sa.String(length=200), nullable=False),
        sa.Column("article_position", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["state_hash"],
            ["doc_states.hash"],
            name=op.f("fk_version_articles_state_hash_doc_states"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_version_articles_version_id_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_articles")),
    )
    with op.batch_alter_table("version_articles", schema=None) as batch_op:
        batch_op.create_index("ix_version_articles_version", ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("version_articles", schema=None) as batch_op:
        batch_op.drop_index("ix_version_articles_version")

    op.drop_table("version_articles")
    with op.batch_alter_table("versions", schema=None) as batch_op:
        batch_op.drop_index("ix_versions_charter")

    op.drop_table("versions")
    op.drop_table("doc_states")
