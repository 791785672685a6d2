"""The operator's commands: ``charter check`` (does every stored document, version and
amendment base still decode, and does a document's checkpoint plus its log give the same
text and state however it is folded?), ``charter check --repair`` (rebuilds what can be
derived from the rest, never history), and ``charter backup PATH`` (a consistent copy
while the server runs)."""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from crdt.article import ArticleDoc, CrdtError, fold
from persistence.engine import normalise_url
from persistence.integrity import drop_orphan_states, stored_documents, stored_states
from server.settings import Settings

if TYPE_CHECKING:
    from server.cli.main import Tools


async def check(tools: Tools, args: argparse.Namespace) -> int:
    """Print one line per problem and a summary; 1 when anything is wrong."""
    engine = tools.stores.engine
    problems = 0
    documents = rows = size = rebuilt = 0
    async for stored in stored_documents(engine):
        documents += 1
        rows += len(stored.updates)
        size += stored.bytes
        pieces = ([stored.checkpoint] if stored.checkpoint else []) + stored.updates
        try:
            loaded = ArticleDoc.from_updates(pieces)  # what a room serves to its clients
            folded = ArticleDoc.from_updates([fold(pieces)])  # what compaction would keep
        except CrdtError as exc:
            problems += 1
            print(f"document {stored.id} ({stored.kind}): does not decode: {exc}")
            continue
        if (folded.text(), folded.state_vector()) != (loaded.text(), loaded.state_vector()):
            problems += 1
            print(f"document {stored.id} ({stored.kind}): its folded state differs from its log")
            continue
        if args.repair and stored.updates:
            if await _rebuild_checkpoint(tools, stored.id, loaded):
                rebuilt += 1
            else:
                problems += 1
        if args.verbose:
            print(
                f"document {stored.id} ({stored.kind}): rows={len(stored.updates)} "
                f"bytes={stored.bytes} characters={len(loaded.text())}"
            )
    dropped = await drop_orphan_states(engine) if args.repair else 0
    states = 0
    async for digest, state, intact in stored_states(engine):
        states += 1
        if not intact:
            problems += 1
            print(f"state {digest[:12]}: its bytes no longer have its hash")
            continue
        try:
            ArticleDoc.from_updates([state])
        except CrdtError as exc:
            problems += 1
            print(f"state {digest[:12]}: does not decode: {exc}")
    if args.repair:
        print(f"repair: {rebuilt} checkpoint(s) rebuilt, {dropped} unused saved state(s) dropped")
    print(
        f"checked {documents} document(s) ({rows} log row(s), {size} bytes) "
        f"and {states} saved state(s): "
        + ("no problem" if not problems else f"{problems} problem(s)")
    )
    return 1 if problems else 0


async def _rebuild_checkpoint(tools: Tools, document_id: int, before: ArticleDoc) -> bool:
    """A fresh checkpoint: the checkpoint and the log folded again (as compaction does,
    under its lock, so while the server runs too), read back and compared with what it
    was. Rows typed meanwhile stay in the log, after the checkpoint."""
    await tools.store.compact(document_id)
    after = ArticleDoc.from_updates(await tools.store.load(document_id))
    if after.would_change(before.full_update()):  # something it held is missing
        print(f"document {document_id}: its rebuilt checkpoint lacks some of its log")
        return False
    return True


def backup(settings: Settings, target: Path) -> int:
    """SQLite: the online backup API, page by page, consistent while the server writes.
    PostgreSQL: pg_dump's custom format (restore with pg_restore)."""
    url = make_url(normalise_url(settings.database_url))
    if target.exists():
        print(f"charter: {target} exists; choose a new file", file=sys.stderr)
        return 1
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        print(f"backed up {url.database} to {target}")
        return 0
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        print(
            "charter: pg_dump is not installed (Debian: apt-get install postgresql-client)",
            file=sys.stderr,
        )
        return 1
    # The server's own connection options (timeouts) are not libpq's: pg_dump gets none.
    plain = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    done = subprocess.run([pg_dump, "--format=custom", "--file", str(target), plain], check=False)
    if done.returncode == 0:
        print(f"backed up {url.database} to {target} (restore with pg_restore)")
    return done.returncode
