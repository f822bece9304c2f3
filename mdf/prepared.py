"""The money path's statements, prepared once per database connection (PostgreSQL).

A decision sends two statements: the read of its rows (a join of four tables) and the
write (the ledger move with its rows). PostgreSQL spends more time parsing and
planning each of them than running it, and under 50 clients on two cores that is CPU
every other decision waits for (bench/mdf_contention.py). So each runs as a prepared
statement: psycopg's own (`prepare=True`), parsed and planned once per connection and
then executed with its values bound server-side, each dumped by psycopg's compiled
adapters. Until 2026-11-23 they were prepared in SQL (`PREPARE`, then `EXECUTE name(…)`
with the values as literals): PostgreSQL then parsed every `EXECUTE` and its literals,
and quoting the literals cost the client more than the rest of binding (server CPU
per decision −12 %, one client, when changed).

The cursor is psycopg's server-binding cursor, run as Django's `CursorWrapper` runs
one (its transaction check and error translation); while queries are logged (DEBUG,
`CaptureQueriesContext`) or execute wrappers are installed, inside Django's wrapper,
so they see the statement.
Django's own queries stay bound client-side (its `ClientCursor` never prepares);
`prepare_threshold` is set on PostgreSQL connections (config/settings.py) only because
psycopg prepares nothing on a connection without one.

psycopg remembers how it parsed a statement's placeholders only for statements of at
most 50 values and 4,096 bytes (psycopg/_queries.py) and parses a longer one again in
Python on every call, which costs more than the rest of a decision's client work: the
money path's statements stay within that (tests/mdf/test_locks.py checks the common
ones). psycopg forgets its prepared statements on a rollback (and deallocates them);
the next call prepares again. Behind a transaction-pooling proxy (PgBouncer before
1.21) prepared statements do not survive: do not put one in front of this database.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorWrapper
from psycopg import postgres
from psycopg.pq import Format


class _PreparingCursor(psycopg.Cursor):
    """psycopg's cursor (values bound server-side) that prepares what it runs."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> _PreparingCursor:
        kwargs["prepare"] = True
        return super().execute(query, params, **kwargs)


def fetchone(sql: str, params: Sequence[object]) -> tuple | None:
    """Run the statement (prepared, on PostgreSQL) and return its one row, or None.

    On PostgreSQL each statement has a cursor of its own, kept for the connection: making
    a cursor (Django's wrapper, psycopg's cursor, their checks) cost a decision more
    client CPU than binding its values, and psycopg keeps the adapters it looked up for
    a statement's values and columns only while its cursor runs that same statement
    again. They are kept on Django's connection wrapper (one per thread) and replaced
    with the connection."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    db.close_if_health_check_failed()
    db.ensure_connection()
    kept = getattr(db, "mdf_kept_cursors", None)
    if kept is None or kept.connection is not db.connection:
        kept = db.mdf_kept_cursors = _KeptCursors(db.connection)
    cursor = kept.get(sql) or kept.add(sql, _kept_cursor(db))
    if db.queries_logged:
        # Logged with its values in place, as Django logs its own queries (its debug
        # wrapper asks the cursor for the text it sent, which a prepared one has not).
        wrapped = db.make_debug_cursor(cursor)
        with wrapped.debug_sql(db.ops.compose_sql(sql, params)):
            CursorWrapper.execute(wrapped, sql, params)
            return wrapped.fetchone()
    if db.execute_wrappers:
        wrapped = db.make_cursor(cursor)
        wrapped.execute(sql, params)
        return wrapped.fetchone()
    # What Django's CursorWrapper does around a statement, without its layers of calls.
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        cursor.execute(sql, params)
        return cursor.fetchone()


class _KeptCursors(dict):
    """A connection's cursors by the statement each runs (a statement's text is one
    object, built once per shape: see mdf/locks.py and mdf/writes.py)."""

    LIMIT = 64  # shapes; past it (texts built afresh per call) start again

    def __init__(self, connection: psycopg.Connection) -> None:
        super().__init__()
        self.connection = connection

    def add(self, sql: str, cursor: _PreparingCursor) -> _PreparingCursor:
        if len(self) >= self.LIMIT:
            self.clear()
        self[sql] = cursor
        return cursor


def _kept_cursor(db) -> _PreparingCursor:
    """A cursor for the money path. Its timestamps are read by psycopg's
    own (compiled) loader: Django's, which stamps the connection's time zone on each,
    runs in Python, and a decision's read has several; with the session's time zone
    the one Django sets (it does so on connect), both give the same aware datetime."""
    raw = _PreparingCursor(db.connection)
    if db.connection.info.parameter_status("TimeZone") == db.timezone_name:
        oid = postgres.types["timestamptz"].oid
        raw.adapters.register_loader(oid, psycopg.adapters.get_loader(oid, Format.TEXT))
    return raw


@cache
def on_postgresql() -> bool:
    """Whether the default database is PostgreSQL (asked once: it cannot change)."""
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
