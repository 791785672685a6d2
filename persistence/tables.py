"""Table definitions. Alembic migrations in ``migrations/`` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger on PostgreSQL, INTEGER (rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


def _created() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


charters = Table(
    "charters",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("language", String(16), nullable=False),
    # Anyone may read without an invite (open data); writing still needs a role.
    Column("public_read", Boolean, nullable=False, server_default=false()),
    # The open licence its published versions, diffs and exports are released under.
    Column("licence", String(32), nullable=False, server_default="CC-BY-SA-4.0"),
    # Whether open-data exports also carry comments and amendments (with votes, outcomes).
    Column("open_data_discussion", Boolean, nullable=False, server_default=false()),
    # Whether the open data's drafting log names its authors (else pseudonyms: P1, P2, …).
    Column("open_data_names", Boolean, nullable=False, server_default=false()),
    # "open": editors write directly; "amendments": they propose amendments instead.
    Column("phase", String(16), nullable=False, server_default="open"),
    # The key of the article the projector shows (None: the facilitator chose none).
    Column("projector_article", String(32), nullable=True),
    # How it shows that article, as JSON (None: its live text, following the writing).
    Column("projector_view", Text, nullable=True),
    _created(),
)

sections = Table(
    "sections",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    # Deleted sections and articles are kept (their text too) for versions and audit.
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Index("ix_sections_charter_position", "charter_id", "position"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # "article" | "amendment"
    _created(),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # The stable public id used in document names and URLs.
    Column("key", String(32), nullable=False),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("section_id", Id, ForeignKey("sections.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False, unique=True),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    # The article's own phase ("open" | "amendments"); None follows the charter's.
    Column("phase", String(16), nullable=True),
    UniqueConstraint("charter_id", "key", name="uq_articles_charter_key"),
    Index("ix_articles_section_position", "section_id", "position"),
)

# The append-only update log. Order is ``seq``, never a timestamp.
doc_updates = Table(
    "doc_updates",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("update", LargeBinary, nullable=False),
    Column("participant_id", BigInteger, nullable=True),
    _created(),
    Index("ix_doc_updates_document_seq", "document_id", "seq"),
    # AUTOINCREMENT: SQLite must never reuse a seq after compaction deleted the top rows,
    # or new updates would hide behind a checkpoint's through_seq.
    sqlite_autoincrement=True,
)

# One row per commit of the store's writer on a server database (PostgreSQL): a retry after
# the answer to COMMIT was lost finds its key here and stores nothing twice.
doc_batches = Table(
    "doc_batches",
    metadata,
    Column("id", String(32), primary_key=True),
    _created(),
    Index("ix_doc_batches_created_at", "created_at"),
)

# One full-state checkpoint per document: the fold of every update with seq <= through_seq.
doc_checkpoints = Table(
    "doc_checkpoints",
    metadata,
    Column(
        "document_id",
        Id,
        ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("state", LargeBinary, nullable=False),
    Column("through_seq", BigInteger, nullable=False),
    Column("updates_folded", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Links that let people join a charter with a role. The link's secret is not stored: it is
# an HMAC of (id, nonce) under the server key, so facilitators can show a link again.
invites = Table(
    "invites",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("label", String(100), nullable=False, server_default=""),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("max_uses", Integer, nullable=True),
    Column("uses", Integer, nullable=False, server_default="0"),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("created_by", BigInteger, nullable=True),
    _created(),
)

# A person (or a script) taking part in one charter. ``secret_hash`` is the hash of
# their personal secret: the bearer token, also kept in their browser's signed cookie.
participants = Table(
    "participants",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("badge", String(16), nullable=True),
    Column("role", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("blocked", Boolean, nullable=False, server_default=false()),
    Column("invite_id", Id, ForeignKey("invites.id", ondelete="SET NULL"), nullable=True),
    Column("kind", String(16), nullable=False, server_default="person"),
    _created(),
    Column("last_seen_at", DateTime(timezone=True), nullable=True),
    # Their e-mail address (server/domain/account.py): never shown to others. ``email`` is
    # the verified one in use; ``email_pending`` waits for its link to be followed.
    Column("email", String(254), nullable=True),
    Column("email_verified_at", DateTime(timezone=True), nullable=True),
    Column("email_pending", String(254), nullable=True),
    Column("email_sent", Integer, nullable=False, server_default="0"),  # verification links
    Column("deleted_at", DateTime(timezone=True), nullable=True),  # the account was deleted
    Index("ix_participants_charter", "charter_id"),
)

# Saved versions of a whole charter. A version is immutable: its rows are never updated.
versions = Table(
    "versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # "manual" | "auto"
    Column("created_by", BigInteger, nullable=True),
    Column("created_by_name", String(64), nullable=True),
    _created(),
    # The update log's position its states were read at (None: saved before positions were
    # kept; its comparisons fall back to minutes).
    Column("log_position", BigInteger, nullable=True),
    Index("ix_versions_charter", "charter_id"),
)

# Article states, stored once per distinct content (keyed by SHA-256 of the state).
doc_states = Table(
    "doc_states",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("state", LargeBinary, nullable=False),
)

version_articles = Table(
    "version_articles",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("version_id", Id, ForeignKey("versions.id", ondelete="CASCADE"), nullable=False),
    Column("section_id", BigInteger, nullable=False),
    Column("section_title", String(200), nullable=False),
    Column("section_position", Integer, nullable=False),
    Column("article_key", String(32), nullable=False),
    Column("article_title", String(200), nullable=False),
    Column("article_position", Integer, nullable=False),
    Column("state_hash", String(64), ForeignKey("doc_states.hash"), nullable=False),
    Index("ix_version_articles_version", "version_id"),
)

# Who edited which document, per minute: a durable trace of participation that survives
# compaction of the update log (which folds its rows and their participant ids away).
# Written by the DocStore in the same transaction as the updates.
doc_contributions = Table(
    "doc_contributions",
    metadata,
    Column("document_id", Id, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("participant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("bucket", DateTime(timezone=True), primary_key=True),  # the minute, UTC
    Column("edits", Integer, nullable=False),
)

# The same count by position in the update log (the highest seq of the commit that wrote the
# edits): what comparisons between versions read, each version recording its own position.
# ``doc_contributions`` (per minute) keeps what was written before positions were counted.
doc_contributions_at = Table(
    "doc_contributions_at",
    metadata,
    Column("document_id", Id, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("participant_id", BigInteger, primary_key=True, autoincrement=False),
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("edits", Integer, nullable=False),
)

# Who first sent items of each Yjs client of a document (crdt/authors.py): written with the
# updates, untouched by compaction, so that every character keeps its author. amendment_id:
# the client wrote in that amendment's text, whose words came in when it was accepted.
doc_authors = Table(
    "doc_authors",
    metadata,
    Column("document_id", Id, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", BigInteger, primary_key=True, autoincrement=False),
    Column("participant_id", BigInteger, nullable=True),
    Column("amendment_id", BigInteger, nullable=True),
)

# A restored version gives its characters the authors they had in it: the clocks
# [clock_start, clock_end) of a client's items get another origin, the latest range (by id)
# winning where two cover the same characters.
doc_author_ranges = Table(
    "doc_author_ranges",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", BigInteger, nullable=False),
    Column("clock_start", BigInteger, nullable=False),
    Column("clock_end", BigInteger, nullable=False),
    Column("participant_id", BigInteger, nullable=True),
    Column("amendment_id", BigInteger, nullable=True),
    Index("ix_doc_author_ranges_document_id", "document_id"),
)

# The drafting history kept when compaction folds the log (crdt/history.py): one step per
# minute of writing (and at each saved version's position), as a snapshot of that moment.
doc_history = Table(
    "doc_history",
    metadata,
    Column("document_id", Id, ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("snapshot", LargeBinary, nullable=False),
    Column("participants", Text, nullable=False),  # JSON list of participant ids
    # What each of them deleted in it: {participant: {client: [[clock, length], …]}}
    Column("deletions", Text, nullable=False, server_default="{}"),
)

# An amendment: a fork of an article (its own document, first update = the article's full
# state at proposal) with the state vector of that moment, its base.
amendments = Table(
    "amendments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False, unique=True),
    Column("base_state_vector", LargeBinary, nullable=False),
    Column("base_state_hash", String(64), ForeignKey("doc_states.hash"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("rationale", Text, nullable=False),
    Column("status", String(16), nullable=False),  # draft|open|accepted|rejected|withdrawn
    Column("author_id", Id, ForeignKey("participants.id", ondelete="SET NULL"), nullable=True),
    Column("author_name", String(64), nullable=False),
    _created(),
    # Set when accepted: the update applied to the live article, kept for audit.
    Column("merged_update", LargeBinary, nullable=True),
    Column("version_before_id", Id, ForeignKey("versions.id"), nullable=True),
    Column("version_after_id", Id, ForeignKey("versions.id"), nullable=True),
    Index("ix_amendments_charter", "charter_id"),
    Index("ix_amendments_article", "article_id"),
)

# Who may edit an amendment's text besides its author.
amendment_authors = Table(
    "amendment_authors",
    metadata,
    Column("amendment_id", Id, ForeignKey("amendments.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "participant_id", Id, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    ),
)

# Every change of status: who, when, why. Never updated.
amendment_events = Table(
    "amendment_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("amendment_id", Id, ForeignKey("amendments.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("participant_id", BigInteger, nullable=True),
    Column("participant_name", String(64), nullable=False),
    Column("reason", Text, nullable=True),
    _created(),
    Index("ix_amendment_events_amendment", "amendment_id"),
)

# One vote per participant and amendment, changeable while the amendment is open.
amendment_votes = Table(
    "amendment_votes",
    metadata,
    Column("amendment_id", Id, ForeignKey("amendments.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "participant_id", Id, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("choice", String(8), nullable=False),  # for | against | abstain
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A discussion on a passage of an article (or on the whole article): the passage is a pair
# of Yjs relative positions made by the client (NULL: the whole article), kept as given,
# with the text quoted when the thread began.
comment_threads = Table(
    "comment_threads",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("anchor_start", LargeBinary, nullable=True),
    Column("anchor_end", LargeBinary, nullable=True),
    Column("quote", Text, nullable=False, server_default=""),
    Column("status", String(16), nullable=False, server_default="open"),  # open | resolved
    Column("author_id", Id, ForeignKey("participants.id", ondelete="SET NULL"), nullable=True),
    Column("author_name", String(64), nullable=False),
    _created(),
    Column("status_by_name", String(64), nullable=True),  # who resolved or reopened it last
    Column("status_at", DateTime(timezone=True), nullable=True),
    # Set when the passage is in an amendment's fork (article_id is then the amended one).
    Column("amendment_id", Id, ForeignKey("amendments.id", ondelete="CASCADE"), nullable=True),
    Index("ix_comment_threads_charter", "charter_id"),
    Index("ix_comment_threads_article", "article_id"),
    Index("ix_comment_threads_amendment", "amendment_id"),
)

# The comments of a thread, the first one included. Their id is the order (and what unread
# markers count from). Never deleted: deleting or hiding one sets a date.
comments = Table(
    "comments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("thread_id", Id, ForeignKey("comment_threads.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Id, ForeignKey("participants.id", ondelete="SET NULL"), nullable=True),
    Column("author_name", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("stance", String(8), nullable=True),  # for | against | mixed
    _created(),
    Column("edited_at", DateTime(timezone=True), nullable=True),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    Column("hidden_at", DateTime(timezone=True), nullable=True),
    Column("hidden_by_name", String(64), nullable=True),
    Column("hidden_reason", Text, nullable=True),
    Index("ix_comments_thread", "thread_id"),
    sqlite_autoincrement=True,
)

# What a comment said before each edit by its author.
comment_revisions = Table(
    "comment_revisions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("comment_id", Id, ForeignKey("comments.id", ondelete="CASCADE"), nullable=False),
    Column("body", Text, nullable=False),
    Column("stance", String(8), nullable=True),
    _created(),
    Index("ix_comment_revisions_comment", "comment_id"),
)

# Unread markers: the last comment id a participant has seen in an article.
comment_reads = Table(
    "comment_reads",
    metadata,
    Column(
        "participant_id", Id, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("seen_through", BigInteger, nullable=False),
)

# Server-wide values that must survive restarts, such as the key that signs cookies.
server_keys = Table(
    "server_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

__all__ = [
    "amendment_authors",
    "amendment_events",
    "amendment_votes",
    "amendments",
    "articles",
    "charters",
    "comment_reads",
    "comment_revisions",
    "comment_threads",
    "comments",
    "doc_checkpoints",
    "doc_contributions",
    "doc_contributions_at",
    "doc_states",
    "doc_updates",
    "documents",
    "invites",
    "metadata",
    "participants",
    "sections",
    "server_keys",
    "version_articles",
    "versions",
]


# One participant's edits on an article reverted by a facilitator (crdt/moderation.py): the
# public moderation log's record, with the version saved just before (restoring it undoes it).
moderation_reverts = Table(
    "moderation_reverts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("article_key", String(64), nullable=False),
    Column("article_title", String(200), nullable=False),
    Column("participant_id", BigInteger, nullable=True),
    Column("participant_name", String(64), nullable=False),
    Column("since_position", BigInteger, nullable=False),
    Column("since_at", DateTime(timezone=True), nullable=False),
    Column("by_name", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("version_before_id", BigInteger, nullable=True),
    # The update log's position once the revert was written: what they deleted before it
    # has been given back, a later revert starts from there.
    Column("at_position", BigInteger, nullable=False),
    Column("words_removed", Integer, nullable=False),
    Column("words_restored", Integer, nullable=False),
    _created(),
    Index("ix_moderation_reverts_charter_id", "charter_id"),
)

# A live vote of the room (server/domain/votes.py) on an article, the whole charter or a
# bundle of amendments of one article, with the versions of the text it was about.
votes = Table(
    "votes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("subject", String(16), nullable=False),  # article | charter | bundle
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=True),
    Column("amendments", Text, nullable=True),  # a bundle's amendment ids, as JSON
    Column("question", Text, nullable=True),
    Column("scale", String(16), nullable=False),  # simple | consent
    Column("secret", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # open | closed
    Column("opened_by", String(64), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closes_at", DateTime(timezone=True), nullable=True),  # None: until closed
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("version_before_id", Id, ForeignKey("versions.id"), nullable=True),
    Column("version_after_id", Id, ForeignKey("versions.id"), nullable=True),
    Column("text_changed", Boolean, nullable=True),  # known once closed
    Index("ix_votes_charter_id", "charter_id"),
)

# One ballot per participant and vote, changeable (or withdrawn) while the vote is open.
vote_ballots = Table(
    "vote_ballots",
    metadata,
    Column("vote_id", Id, ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "participant_id", Id, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("choice", String(16), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# A sub-group drafting an article in parallel: a named, coloured set of members whose branch
# is an amendment fork (its authors are the members). Merged into the article as one bundle.
subgroups = Table(
    "subgroups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column(
        "amendment_id",
        Id,
        ForeignKey("amendments.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("name", String(80), nullable=False),
    Column("letter", String(4), nullable=False),  # A, B, C…: the cue that is not a colour
    Column("colour", String(16), nullable=False),  # a key of the fixed accessible palette
    Column("status", String(16), nullable=False),  # open | merged | closed
    _created(),
    Index("ix_subgroups_article_id", "article_id"),
)


# E-mails to send (persistence/mail.py): one row per message, ``key`` unique so that the
# same message enqueued twice (two instances) is one row; sent once by whoever claims it.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("participant_id", Id, ForeignKey("participants.id", ondelete="SET NULL"), nullable=True),
    Column("to_address", String(254), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=True),
    Column("unsubscribe_url", Text, nullable=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("status", String(16), nullable=False),  # pending | sending | sent | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    _created(),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

# What a participant follows beyond what they follow by default (what they wrote in,
# commented on or voted on: server/domain/follows.py), and the defaults they muted.
follows = Table(
    "follows",
    metadata,
    Column(
        "participant_id", Id, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("kind", String(16), primary_key=True),  # charter | section | article | amendment
    Column("target_id", BigInteger, primary_key=True, autoincrement=False),
    Column("charter_id", Id, ForeignKey("charters.id", ondelete="CASCADE"), nullable=False),
    Column("origin", String(16), nullable=False),  # explicit | default
    Column("muted", Boolean, nullable=False, server_default=false()),
    Index("ix_follows_charter_id", "charter_id"),
)

# How often a participant wants a digest, and which digest period they last had.
mail_preferences = Table(
    "mail_preferences",
    metadata,
    Column(
        "participant_id", Id, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("frequency", String(8), nullable=False, server_default="none"),  # none|daily|weekly
    Column("instant_replies", Boolean, nullable=False, server_default=false()),
    Column("last_digest_at", DateTime(timezone=True), nullable=True),
    Column("last_digest_period", String(16), nullable=True),
)

# The article as a participant last saw it (a visit, or a digest that showed its changes):
# a snapshot of the text (crdt/history.py) and the update log's position at that moment.
text_marks = Table(
    "text_marks",
    metadata,
    Column(
        "participant_id", Id, ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("article_id", Id, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("snapshot", LargeBinary, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
