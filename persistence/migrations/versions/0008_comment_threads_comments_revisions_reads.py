"""comment threads anchored to passages, their comments, revisions and unread markers

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 22:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _created() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "comment_threads",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("charter_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("anchor_start", sa.LargeBinary(), nullable=True),
        sa.Column("anchor_end", sa.LargeBinary(), nullable=True),
        sa.Column("quote", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("author_name", sa.String(length=64), nullable=False),
        _created(),
        sa.Column("status_by_name", sa.String(length=64), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        _fk("comment_threads", "article_id", "articles", "CASCADE"),
        _fk("comment_threads", "author_id", "participants", "SET NULL"),
        _fk("comment_threads", "charter_id", "charters", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_threads")),
    )
    op.create_index("ix_comment_threads_article", "comment_threads", ["article_id"])
    op.create_index("ix_comment_threads_charter", "comment_threads", ["charter_id"])
    op.create_table(
        "comments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("thread_id", ID, nullable=False),
        sa.Column("author_id", ID, nullable=True),
        sa.Column("author_name", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("stance", sa.String(length=8), nullable=True),
        _created(),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_by_name", sa.String(length=64), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        _fk("comments", "author_id", "participants", "SET NULL"),
        _fk("comments", "thread_id", "comment_threads", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_comments_thread", "comments", ["thread_id"])
    op.create_table(
        "comment_revisions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("comment_id", ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("stance", sa.String(length=8), nullable=True),
        _created(),
        _fk("comment_revisions", "comment_id", "comments", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_revisions")),
    )
    op.create_index("ix_comment_revisions_comment", "comment_revisions", ["comment_id"])
    op.create_table(
        "comment_reads",
        sa.Column("participant_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("seen_through", sa.BigInteger(), nullable=False),
        _fk("comment_reads", "article_id", "articles", "CASCADE"),
        _fk("comment_reads", "participant_id", "participants", "CASCADE"),
        sa.PrimaryKeyConstraint("participant_id", "article_id", name=op.f("pk_comment_reads")),
    )


def downgrade() -> None:
    op.drop_table("comment_reads")
    op.drop_index("ix_comment_revisions_comment", table_name="comment_revisions")
    op.drop_table("comment_revisions")
    op.drop_index("ix_comments_thread", table_name="comments")
    op.drop_table("comments")
    op.drop_index("ix_comment_threads_charter", table_name="comment_threads")
    op.drop_index("ix_comment_threads_article", table_name="comment_threads")
    op.drop_table("comment_threads")
