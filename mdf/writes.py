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
from functools import lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model

from mdf import prepared


class StaleRow(Exception):  # noqa: N818 - an outcome the caller handles: decide again
    """A row the decision read has changed since; nothing was written."""


@dataclass
class _Write:
    obj: Model
    fields: list[str] | None  # None: insert


def saved_pk(obj: Model | None) -> Any:
    """The key of a row to point a foreign key at (None for none), as `save()` would
    store it for a related object, and, as `save()` does, refused for an object that
    is not saved yet. Making a row with keys (`partner_id=…`) rather than objects
    skips the related-object descriptors: a decision makes two such rows, and setting
    their five objects cost more client CPU than the rest of making them."""
    if obj is None:
        return None
    if obj.pk is None:
        raise ValueError(f"{obj!r} is not saved: nothing can point at it yet")
    return obj.pk


@lru_cache(maxsize=256)
def _attname(model: type[Model], name: str) -> tuple[str, bool]:
    """The field's attribute name, and whether `pre_save` sets it (auto_now)."""
    model_field = model._meta.get_field(name)
    return model_field.attname, getattr(model_field, "auto_now", False)  # type: ignore[union-attr]


def _changed(obj: Model, name: str, loaded: dict[str, object]) -> bool:
    attname, auto_now = _attname(type(obj), name)
    if auto_now:  # set by pre_save: always written
        return True
    return attname not in loaded or getattr(obj, attname) != loaded[attname]


# The statements' texts depend only on which models and fields they write (their
# shape): they are built once per shape, the values are converted on every call.


def _shape(write: _Write) -> tuple[type[Model], tuple[str, ...] | None, bool]:
    return (
        type(write.obj),
        None if write.fields is None else tuple(write.fields),
        write.obj.pk is None,
    )


@lru_cache(maxsize=64)
def _fields(model: type[Model], names: tuple[str, ...]) -> list[Field]:
    return [model._meta.get_field(name) for name in names]  # type: ignore[misc]


@lru_cache(maxsize=64)
def _insert_columns(model: type[Model], new_key: bool) -> list[Field]:
    meta = model._meta
    return [f for f in meta.local_concrete_fields if not (f is meta.auto_field and new_key)]


@lru_cache(maxsize=64)
def _fresh_text(models: tuple[type[Model], ...]) -> str:
    if not models:
        return "fresh AS (SELECT 1)"
    quote = connection.ops.quote_name
    tables, conditions = [], []
    for number, model in enumerate(models):
        alias = f"g{number}"
        tables.append(f"{quote(model._meta.db_table)} {alias}")
        conditions.append(f"{alias}.{quote(model._meta.pk.column)} = %s AND {alias}.xmin = %s::xid")
    aliases = ", ".join(f"g{number}" for number in range(len(models)))
    return (
        f"fresh AS (SELECT 1 FROM {' CROSS JOIN '.join(tables)} "  # noqa: S608
        f"WHERE {' AND '.join(conditions)} FOR UPDATE OF {aliases})"
    )


@lru_cache(maxsize=64)
def _cte_texts(
    shapes: tuple[tuple[type[Model], tuple[str, ...] | None, bool], ...], source: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # Identifiers come from model metadata; every value is a parameter.
    quote = connection.ops.quote_name
    texts: list[str] = []
    new_keys: list[str] = []
    for number, (model, fields, new_key) in enumerate(shapes):
        meta = model._meta
        name = f"w{number}"
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        if fields is not None:
            sets = ", ".join(f"{quote(f.column)} = %s" for f in _fields(model, fields))
            texts.append(
                f"{name} AS (UPDATE {table} SET {sets} "  # noqa: S608
                f"FROM {source} WHERE {table}.{pk} = %s)"
            )
            continue
        columns = _insert_columns(model, new_key)
        names = ", ".join(quote(f.column) for f in columns)
        texts.append(
            f"{name} AS (INSERT INTO {table} ({names}) "  # noqa: S608
            f"SELECT {', '.join(['%s'] * len(columns))} FROM {source} RETURNING {pk})"
        )
        new_keys.append(f"(SELECT {pk} FROM {name})")  # noqa: S608
    return tuple(texts), tuple(new_keys)


@lru_cache(maxsize=64)
def _apply_text(fresh: str, texts: tuple[str, ...], new_keys: tuple[str, ...]) -> str:
    """`RowWrites.apply`'s statement, built once per shape (see `_cte_texts`)."""
    return (
        f"WITH {', '.join([fresh, *texts])} "  # noqa: S608 - identifiers from metadata
        f"SELECT EXISTS (SELECT 1 FROM fresh){''.join(', ' + key for key in new_keys)}"
    )


def _now_loaded(obj: Model, fields: list[str]) -> None:
    """After an update: what the row now holds is what the object holds."""
    loaded = getattr(obj, "_loaded_values", None)
    if loaded is not None:
        for name in fields:
            attname = _attname(type(obj), name)[0]
            loaded[attname] = getattr(obj, attname)


@dataclass
class RowWrites:
    """Updates and inserts to write together with a ledger move, in order."""

    writes: list[_Write] = field(default_factory=list)
    expected: list[Model] = field(default_factory=list)

    def expect(self, obj: Model) -> None:
        """Write nothing unless `obj`'s row is still the version it was read as."""
        if prepared.on_postgresql() and not hasattr(obj, "_row_version"):
            raise ValueError(f"{obj!r} was not read with its row version (RowLock)")
        self.expected.append(obj)

    def fresh(self) -> tuple[str, list[object]]:
        """The `fresh` CTE: one row, with the expected rows locked, if every one of them
        is still the version read; no row otherwise. Rows lock in `expect` order."""
        params: list[object] = []
        for obj in self.expected:
            params += [obj.pk, obj._row_version]  # type: ignore[attr-defined]
        return _fresh_text(tuple(type(obj) for obj in self.expected)), params

    def apply(self) -> None:
        """Write them now, with no money move: on PostgreSQL in one statement that
        writes nothing and raises StaleRow if an expected row changed."""
        if not prepared.on_postgresql():
            self.save()
            return
        fresh, params = self.fresh()
        texts, write_params, new_keys = self.ctes("fresh")
        sql = _apply_text(fresh, tuple(texts), tuple(new_keys))
        is_fresh, *keys = prepared.fetchone(sql, params + write_params)
        if not is_fresh:
            raise StaleRow
        self.written(keys)

    def update(self, obj: Model, fields: list[str]) -> None:
        """`obj.save(update_fields=fields)`, deferred to the move (see `_to_write`)."""
        self.writes.append(_Write(obj, list(fields)))

    def _to_write(self) -> list[_Write]:
        """The writes as they stand now; of an update of an object read by RowLock only
        the fields that differ from what was read (each is a value to convert and
        send, and maybe an index entry to maintain), and none if nothing differs.
        Leaving the others out writes the same row: it is still the version read
        (`expect`), or, when the caller holds its lock, the row cannot have changed."""
        result = []
        for write in self.writes:
            loaded = getattr(write.obj, "_loaded_values", None)
            if write.fields is not None and loaded is not None:
                fields = [name for name in write.fields if _changed(write.obj, name, loaded)]
                if not fields:
                    continue
                write = _Write(write.obj, fields)
            result.append(write)
        return result

    def insert(self, obj: Model) -> None:
        """`obj.save(force_insert=True)`, deferred to the move; `obj.pk` is set after."""
        self.writes.append(_Write(obj, None))

    def save(self) -> None:
        """Write them now through the ORM, one statement each (SQLite, where one
        writer runs at a time and the caller's transaction holds them together)."""
        for write in self._to_write():
            if write.fields is None:
                write.obj.save(force_insert=True)
            else:
                write.obj.save(update_fields=write.fields)
                _now_loaded(write.obj, write.fields)

    def ctes(self, source: str) -> tuple[list[str], list[object], list[str]]:
        """The writes as CTEs that run once per row of `source` (the move: one row,
        or none when it was refused). Returns (CTE texts, their parameters in order,
        the expressions giving each insert's new primary key)."""
        db = connections[DEFAULT_DB_ALIAS]
        writes = self._to_write()
        params: list[object] = []
        for write in writes:
            obj, meta = write.obj, write.obj._meta
            if write.fields is not None:
                for model_field in _fields(type(obj), tuple(write.fields)):
                    params.append(
                        model_field.get_db_prep_save(model_field.pre_save(obj, False), db)
                    )
                params.append(meta.pk.get_db_prep_value(obj.pk, db))
            else:
                params += [
                    f.get_db_prep_save(f.pre_save(obj, True), db)
                    for f in _insert_columns(type(obj), obj.pk is None)
                ]
        texts, new_keys = _cte_texts(tuple(_shape(write) for write in writes), source)
        return list(texts), params, list(new_keys)

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
            else:
                _now_loaded(write.obj, write.fields)
            write.obj._state.db = DEFAULT_DB_ALIAS
