"""comment threads on an amendment's text

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FK = "fk_comment_threads_amendment_id_amendments"
# What a rebuild of comment_threads on SQLite would take with it (see _keeping_comments).
CHILDREN = ("comments", "comment_revisions")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.add_column("comment_threads", sa.Column("amendment_id", ID, nullable=True))
        op.create_foreign_key(
            FK, "comment_threads", "amendments", ["amendment_id"], ["id"], ondelete="CASCADE"
        )
    else:
        with _keeping_comments(), op.batch_alter_table("comment_threads") as batch:
            batch.add_column(sa.Column("amendment_id", ID, nullable=True))
            batch.create_foreign_key(FK, "amendments", ["amendment_id"], ["id"], ondelete="CASCADE")
    op.create_index("ix_comment_threads_amendment", "comment_threads", ["amendment_id"])


def downgrade() -> None:
    # The threads on amendments go with the column: on their article alone they would
    # point at text that is not there.
    op.execute("DELETE FROM comment_threads WHERE amendment_id IS NOT NULL")
    op.drop_index("ix_comment_threads_amendment", table_name="comment_threads")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK, "comment_threads", type_="foreignkey")
        op.drop_column("comment_threads", "amendment_id")
        return
    with _keeping_comments(), op.batch_alter_table("comment_threads") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
        batch.drop_column("amendment_id")


@contextmanager
def _keeping_comments() -> Iterator[None]:
    """SQLite adds a foreign key by copying the table and dropping the old one; foreign
    keys are on (and cannot be turned off inside the migration's transaction), so the drop
    would delete every comment through ON DELETE CASCADE. The comments and their revisions
    are copied aside first and put back after, in the same transaction."""
    for table in CHILDREN:
        op.execute(f"CREATE TEMP TABLE kept_{table} AS SELECT * FROM {table}")
    yield
    for table in CHILDREN:
        op.execute(f"INSERT OR IGNORE INTO {table} SELECT * FROM kept_{table}")
        op.execute(f"DROP TABLE kept_{table}")
