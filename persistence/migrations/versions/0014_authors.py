"""who first sent each Yjs client's items of a document, and the server's edits that kept
older authors: every character of an article keeps its author (crdt/authors.py)

The authors of what the update log still holds are recorded from it (each row knows who
sent it); text folded into checkpoints before this revision has no known author.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 17:30:00
"""

import sqlalchemy as sa
from alembic import op
from pycrdt import get_state

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

DOCUMENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _document_column() -> sa.Column[int]:
    return sa.Column("document_id", DOCUMENT_ID, nullable=False)


def _document_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["document_id"],
        ["documents.id"],
        name=op.f(f"fk_{table}_document_id_documents"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "doc_authors",
        _document_column(),
        sa.Column("client_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=True),
        sa.Column("amendment_id", sa.BigInteger(), nullable=True),
        _document_key("doc_authors"),
        sa.PrimaryKeyConstraint("document_id", "client_id", name=op.f("pk_doc_authors")),
    )
    op.create_table(
        "doc_author_ranges",
        sa.Column("id", DOCUMENT_ID, autoincrement=True, nullable=False),
        _document_column(),
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        sa.Column("clock_start", sa.BigInteger(), nullable=False),
        sa.Column("clock_end", sa.BigInteger(), nullable=False),
        sa.Column("participant_id", sa.BigInteger(), nullable=True),
        sa.Column("amendment_id", sa.BigInteger(), nullable=True),
        _document_key("doc_author_ranges"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doc_author_ranges")),
    )
    op.create_index(
        "ix_doc_author_ranges_document_id", "doc_author_ranges", ["document_id"], unique=False
    )
    _record_from_the_log()


def _record_from_the_log() -> None:
    """The first sender of each client in the update log, oldest row first."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            'SELECT document_id, participant_id, "update" FROM doc_updates '
            "WHERE participant_id IS NOT NULL ORDER BY seq"
        )
    )
    first: dict[tuple[int, int], int] = {}
    for document_id, participant_id, update in rows:
        try:
            clients = _clients(get_state(bytes(update)))
        except Exception:  # checked on arrival; should one not read, its authors stay unknown
            continue
        for client in clients:
            first.setdefault((document_id, client), participant_id)
    if first:
        table = sa.table(
            "doc_authors",
            sa.column("document_id"),
            sa.column("client_id"),
            sa.column("participant_id"),
        )
        conn.execute(
            table.insert(),
            [
                {"document_id": d, "client_id": c, "participant_id": p}
                for (d, c), p in first.items()
            ],
        )


def _clients(state_vector: bytes) -> list[int]:
    """The clients of a state vector: varUint count, then varUint client and clock each."""
    values = []
    value = shift = 0
    for byte in state_vector:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            values.append(value)
            value = shift = 0
    count = values[0] if values else 0
    return [values[1 + 2 * i] for i in range(count)]


def downgrade() -> None:
    op.drop_index("ix_doc_author_ranges_document_id", table_name="doc_author_ranges")
    op.drop_table("doc_author_ranges")
    op.drop_table("doc_authors")
