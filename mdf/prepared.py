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
from functools import lru_cache

from psycopg.adapt import Transformer

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
    bind = Transformer.from_context(raw).as_literal
    values = b", ".join(b"NULL" if value is None else bind(value) for value in params)
    cursor.execute(f"EXECUTE {name}({values.decode(raw.connection.info.encoding)})")
