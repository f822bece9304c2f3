"""The money path's statements, prepared once per database connection (PostgreSQL).

A decision sends two statements: the read of its rows (a five-table join of a hundred
columns) and the write (the ledger move with its rows). PostgreSQL spends more time
parsing and planning each of them than running it (about 0.4 ms planning against
0.1–0.2 ms executing, parse analysis on top), and under 50 clients on two cores that
is CPU every other decision waits for (bench/mdf_contention.py). So each is sent once
per connection as `PREPARE` and then as `EXECUTE name(values)`: through Django's own
cursor, so query logging, `CaptureQueriesContext` and error translation see them.
The name comes from the statement's text, so each shape of statement is prepared once.
The values are bound into the `EXECUTE` as literals by psycopg's own adapters, as its
client-side cursor binds them, but without parsing the text for placeholders again:
psycopg caches that parse only for statements of at most 50 values, and a decision's
write has 45–70 (per call it cost more client CPU than the rest of the binding).
A prepared statement lives as long as its session and survives a rolled-back
transaction; behind a transaction-pooling proxy (PgBouncer) it would not, so do not
put one in front of this database without switching this off (`PREPARED = False`).
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Sequence
from functools import cache, lru_cache

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import postgres
from psycopg.adapt import Transformer
from psycopg.pq import Format

PREPARED = True
_PLACEHOLDER = re.compile(r"%s")
_prepared: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()


def _numbered(sql: str) -> str:
    """Django's `%s` placeholders as PostgreSQL's `$1`, `$2`, …"""
    if "%%" in sql:
        raise ValueError("a literal % in a prepared statement is not supported")
    counter = iter(range(1, sql.count("%s") + 1))
    return _PLACEHOLDER.sub(lambda _match: f"${next(counter)}", sql)


@lru_cache(maxsize=256)
def _name(sql: str) -> str:
    """The statement's name, from its text (hashed once per text, not per call)."""
    return "mdf_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()


def execute(cursor, sql: str, params: Sequence[object]) -> None:
    """`cursor.execute(sql, params)`, as a statement prepared on this connection."""
    db = cursor.db  # Django's connection of this cursor (not the per-thread proxy)
    if not PREPARED or db.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    names = _prepared.setdefault(db.connection, set())
    name = _name(sql)
    if name not in names:
        cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
        names.add(name)
    raw = cursor.cursor  # psycopg's, under Django's wrapper
    bind = cursor.__dict__.get("bind_literal") or Transformer.from_context(raw).as_literal
    values = b", ".join(map(bind, params))  # None binds as NULL
    cursor.execute(f"EXECUTE {name}({values.decode(raw.connection.info.encoding)})")


def fetchone(sql: str, params: Sequence[object]) -> tuple | None:
    """Run the statement (prepared, on PostgreSQL) and return its one row, or None.

    On PostgreSQL one cursor per database connection serves every call: making a
    Django cursor (its wrapper, psycopg's cursor, their checks) cost a decision more
    client CPU than binding its values. The cursor is Django's (`create_cursor`, in
    its `CursorWrapper`), so transaction checks and error translation apply; while
    queries are logged (DEBUG, CaptureQueriesContext) a fresh cursor is made per call,
    as Django does, so the log sees the statement."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql" or db.queries_logged:
        with db.cursor() as cursor:
            execute(cursor, sql, params)
            return cursor.fetchone()
    db.close_if_health_check_failed()
    db.ensure_connection()
    # Kept on Django's connection wrapper (one per thread), replaced with the connection.
    cursor = getattr(db, "mdf_kept_cursor", None)
    if cursor is None or cursor.cursor.connection is not db.connection:
        cursor = db.mdf_kept_cursor = _kept_cursor(db)
    execute(cursor, sql, params)
    return cursor.fetchone()


def _kept_cursor(db):
    """The connection's cursor for the money path. Its timestamps are read by psycopg's
    own (compiled) loader: Django's, which stamps the connection's time zone on each,
    runs in Python, and a decision's read has eight; with the session's time zone
    the one Django sets (it does so on connect), both give the same aware datetime.
    It keeps psycopg's binder too, which remembers the adapter of each type it bound."""
    cursor = db.make_cursor(db.create_cursor())
    raw = cursor.cursor
    if raw.connection.info.parameter_status("TimeZone") == db.timezone_name:
        oid = postgres.types["timestamptz"].oid
        raw.adapters.register_loader(oid, psycopg.adapters.get_loader(oid, Format.TEXT))
    cursor.bind_literal = Transformer.from_context(raw).as_literal
    return cursor


@cache
def on_postgresql() -> bool:
    """Whether the default database is PostgreSQL (asked once: it cannot change)."""
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
