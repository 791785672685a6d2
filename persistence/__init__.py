"""SQLAlchemy 2 (async) storage: ordinary rows and opaque CRDT bytes. Never imports pycrdt."""
