"""The store writer's hot statements, run through the database driver's own cursor on SQLite.

Every commit of the store's writer runs the same three statements: insert the updates, read
the log's position, count who edited. SQLAlchemy's execution of a Core statement adds its
own work to each (cache key, compiled-cache lookup, execution context, result object); with
the writer's connection kept between commits, running them on the sqlite3 cursor took our
CPU per delivered edit at 20 rooms of 10 from 81 to 59 µs on ``/collab`` (docs/benchmarks.md,
"What this stop changed"). A :class:`Prepared` statement is
still written with SQLAlchemy Core, and compiled by it once per dialect; on SQLite its SQL
and its parameters, in the compiled order, go straight to the cursor, and a driver error
is raised as SQLAlchemy's (``IntegrityError``, ``OperationalError`` …), as the Core path
would. Anywhere else (aiosqlite, PostgreSQL) it is an ordinary ``conn.execute``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable


class Prepared:
    """A Core statement with named parameters ``keys`` (none for a query)."""

    def __init__(self, statement: Executable, keys: Sequence[str] = ()) -> None:
        self.statement = statement
        self._keys = tuple(keys)
        self._sqlite: tuple[str, tuple[str, ...]] | None = None  # SQL, parameter order

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run it once per row, in one call to the driver."""
        if not _on_sqlite3(conn):
            conn.execute(self.statement, list(rows))
            return
        sql, order = self._compiled(conn)
        params = [tuple(row[key] for key in order) for row in rows]
        _on_cursor(conn, sql, params, lambda cursor: cursor.executemany(sql, params))

    def scalar(self, conn: Connection) -> Any:
        """The first column of the first row of a query."""
        if not _on_sqlite3(conn):
            return conn.execute(self.statement).scalar()
        sql, _ = self._compiled(conn)

        def first(cursor: sqlite3.Cursor) -> Any:
            row = cursor.execute(sql).fetchone()
            return None if row is None else row[0]

        return _on_cursor(conn, sql, None, first)

    def _compiled(self, conn: Connection) -> tuple[str, tuple[str, ...]]:
        if self._sqlite is None:
            compiled = self.statement.compile(  # type: ignore[attr-defined]
                dialect=conn.dialect, column_keys=list(self._keys)
            )
            self._sqlite = (str(compiled), tuple(compiled.positiontup or ()))
        return self._sqlite


def _on_sqlite3(conn: Connection) -> bool:
    """The synchronous sqlite3 driver (the writer's); not aiosqlite, not a server database."""
    return conn.dialect.name == "sqlite" and conn.dialect.driver == "pysqlite"


def _on_cursor(conn: Connection, sql: str, params: Any, work: Any) -> Any:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        return work(cursor)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error, dialect=conn.dialect) from exc
    finally:
        cursor.close()
