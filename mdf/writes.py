"""The rows a decision writes along with its money move, sent in the move's statement.

A decision that moves money changes its request or claim and records an event; the
ledger move then locks the allocation, the one row every partner's decision waits
for. On PostgreSQL `ledger.append` sends these writes inside its own statement, as
data-modifying CTEs joined to the move: one round trip instead of one per row, and
written only if the move happens (a refused move writes nothing). Under 50 clients
on one allocation, every round trip costs the whole queue (bench/mdf_contention.py).

The values pass through the same `pre_save` / `get_db_prep_save` the ORM applies on
`save()`, so auto_now fields and defaults behave as in `save(update_fields=…)` and
`save(force_insert=True)`. On SQLite `save()` writes them with the ORM itself.

A decision reads its rows without locking them (`RowLock.read`) and `expect`s them
unchanged: the statement first locks those rows *if they are still the version read*
(a `fresh` CTE, `FOR UPDATE`, which PostgreSQL re-checks after any lock wait), and
every write, the money move included, depends on it. If a row changed in between,
nothing is written and `StaleRow` tells the caller to read again and decide again.
So a decision costs two round trips, its read and its statement, and holds no lock
across a round trip to the client: the statement runs and commits by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Model

from mdf import prepared


class StaleRow(Exception):  # noqa: N818 - an outcome the caller handles: decide again
    """A row the decision read has changed since; nothing was written."""


@dataclass
class _Write:
    obj: Model
    fields: list[str] | None  # None: insert


@dataclass
class RowWrites:
    """Updates and inserts to write together with a ledger move, in order."""

    writes: list[_Write] = field(default_factory=list)
    expected: list[Model] = field(default_factory=list)

    def expect(self, obj: Model) -> None:
        """Write nothing unless `obj`'s row is still the version it was read as."""
        if connection.vendor == "postgresql" and not hasattr(obj, "_row_version"):
            raise ValueError(f"{obj!r} was not read with its row version (RowLock)")
        self.expected.append(obj)

    def fresh(self) -> tuple[str, list[object]]:
        """The `fresh` CTE: one row, with the expected rows locked, if every one of them
        is still the version read; no row otherwise. Rows lock in `expect` order."""
        if not self.expected:
            return "fresh AS (SELECT 1)", []
        quote = connection.ops.quote_name
        tables, conditions, params = [], [], []
        for number, obj in enumerate(self.expected):
            meta = obj._meta
            alias = f"g{number}"
            tables.append(f"{quote(meta.db_table)} {alias}")
            conditions.append(f"{alias}.{quote(meta.pk.column)} = %s AND {alias}.xmin = %s::xid")
            params += [obj.pk, obj._row_version]  # type: ignore[attr-defined]
        aliases = ", ".join(f"g{number}" for number in range(len(tables)))
        return (
            f"fresh AS (SELECT 1 FROM {' CROSS JOIN '.join(tables)} "  # noqa: S608
            f"WHERE {' AND '.join(conditions)} FOR UPDATE OF {aliases})",
            params,
        )

    def apply(self) -> None:
        """Write them now, with no money move: on PostgreSQL in one statement that
        writes nothing and raises StaleRow if an expected row changed."""
        if connection.vendor != "postgresql":
            self.save()
            return
        fresh, params = self.fresh()
        texts, write_params, new_keys = self.ctes("fresh")
        with connection.cursor() as cursor:
            prepared.execute(
                cursor,
                f"WITH {fresh}, {', '.join(texts)} "  # noqa: S608 - see ctes()
                f"SELECT EXISTS (SELECT 1 FROM fresh){''.join(', ' + key for key in new_keys)}",
                params + write_params,
            )
            is_fresh, *keys = cursor.fetchone()
        if not is_fresh:
            raise StaleRow
        self.written(keys)

    def update(self, obj: Model, fields: list[str]) -> None:
        """`obj.save(update_fields=fields)`, deferred to the move."""
        self.writes.append(_Write(obj, list(fields)))

    def insert(self, obj: Model) -> None:
        """`obj.save(force_insert=True)`, deferred to the move; `obj.pk` is set after."""
        self.writes.append(_Write(obj, None))

    def save(self) -> None:
        """Write them now through the ORM, one statement each (SQLite, where one
        writer runs at a time and the caller's transaction holds them together)."""
        for write in self.writes:
            if write.fields is None:
                write.obj.save(force_insert=True)
            else:
                write.obj.save(update_fields=write.fields)

    def ctes(self, source: str) -> tuple[list[str], list[object], list[str]]:
        """The writes as CTEs that run once per row of `source` (the move: one row,
        or none when it was refused). Returns (CTE texts, their parameters in order,
        the expressions giving each insert's new primary key)."""
        # Identifiers come from model metadata; every value is a parameter.
        quote = connection.ops.quote_name
        texts: list[str] = []
        params: list[object] = []
        new_keys: list[str] = []
        for number, write in enumerate(self.writes):
            obj, meta = write.obj, write.obj._meta
            name = f"w{number}"
            table, pk = quote(meta.db_table), quote(meta.pk.column)
            if write.fields is not None:
                sets = []
                for field_name in write.fields:
                    model_field = meta.get_field(field_name)
                    sets.append(f"{quote(model_field.column)} = %s")
                    params.append(
                        model_field.get_db_prep_save(model_field.pre_save(obj, False), connection)
                    )
                params.append(meta.pk.get_db_prep_value(obj.pk, connection))
                texts.append(
                    f"{name} AS (UPDATE {table} SET {', '.join(sets)} "  # noqa: S608
                    f"FROM {source} WHERE {table}.{pk} = %s)"
                )
                continue
            columns = [
                f
                for f in meta.local_concrete_fields
                if not (f is meta.auto_field and obj.pk is None)
            ]
            params += [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in columns]
            names = ", ".join(quote(f.column) for f in columns)
            texts.append(
                f"{name} AS (INSERT INTO {table} ({names}) "  # noqa: S608
                f"SELECT {', '.join(['%s'] * len(columns))} FROM {source} RETURNING {pk})"
            )
            new_keys.append(f"(SELECT {pk} FROM {name})")  # noqa: S608
        return texts, params, new_keys

    def written(self, new_keys: list[object]) -> None:
        """Mark the objects saved, as `save()` would, with the inserts' new keys."""
        keys = iter(new_keys)
        for write in self.writes:
            if write.fields is None:
                if write.obj.pk is None:
                    write.obj.pk = next(keys)
                else:
                    next(keys)
                write.obj._state.adding = False
            write.obj._state.db = connection.alias
