"""Row locks of the money paths, written once per process instead of compiled per call.

`RowLock(FundRequest, "allocation__pool", "partner").get(pk)` does what
`FundRequest.objects.select_for_update(of=("self",)).select_related(...).get(pk=pk)`
does: it locks that one row (its own table only) and joins in the rows it points to,
unlocked, as cached related objects. `also_lock=("request",)` locks joined rows too
(`of=("self", "request")`), in the same statement: the row first, then those, in
that order. Every decision that moves money starts with such a lock, and Django
compiles this four-table join on every call, which costs more than the query itself
(bench/mdf_contention.py: about 1.2 ms compiled against 0.3 ms written once, on each
of the 50 clients). The SQL is built from the models' metadata, values pass through
the same database converters the ORM applies, and the objects are made with
`Model.from_db`, as querysets make them.

`only={"partner": ("channel_manager",)}` reads just those fields (and the key) of a
joined row that is not locked, as `.only()` would: the others load when first used.

`read(pk)` loads the same rows without locking them. On PostgreSQL every object of a
lockable table (the row and `also_lock`) then carries its row version (`xmin`, the
transaction that wrote the version read) as `_row_version`: a later write can insist
the row is still that version (mdf/writes.py, `RowWrites.expect`), which is how a
decision stays correct without holding a lock while it thinks.

Each object also keeps the values it was loaded with (`_loaded_values`), so that a
decision writes only the fields it changed (`RowWrites.update`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from mdf import prepared

M = TypeVar("M", bound=Model)


@dataclass
class _Table:
    model: type[Model]
    alias: str
    fields: list[Field]
    parent: int | None  # index of the table whose foreign key leads here
    via: str  # the foreign key's name on the parent
    path: str  # from the locked model, as in select_related ("" for the model itself)
    link: Field | None = None  # that foreign key (None for the model itself)

    @property
    def attnames(self) -> tuple[str, ...]:
        return tuple(f.attname for f in self.fields)


class _Compiled(NamedTuple):
    sql: str
    tables: list[tuple[_Table, tuple[str, ...], int, int]]  # with attnames, start, end
    columns: int  # of the models' fields (the row versions follow)
    converters: list[tuple[int, Any, list[Callable]]]  # (column, col, converters): not all
    versioned: list[str]  # aliases whose row version ends the row


class RowLock(Generic[M]):
    def __init__(
        self,
        model: type[M],
        *paths: str,
        also_lock: tuple[str, ...] = (),
        only: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.model = model
        self.paths = paths
        self.also_lock = also_lock
        self.only = only or {}
        self._compiled: dict[tuple[str, bool], _Compiled] = {}

    def _tables(self) -> list[_Table]:
        tables = [_Table(self.model, "t0", list(self.model._meta.concrete_fields), None, "", "")]
        for path in self.paths:
            parent = 0
            for step in path.split("__"):
                prefix = tables[parent].path
                here = f"{prefix}__{step}" if prefix else step
                known = [i for i, t in enumerate(tables) if t.parent == parent and t.via == step]
                if known:
                    parent = known[0]
                    continue
                field = tables[parent].model._meta.get_field(step)
                if not field.many_to_one or field.null:
                    raise ValueError(f"{path}: only required foreign keys can be joined")
                related = field.related_model
                fields = list(related._meta.concrete_fields)
                if here in self.only:
                    if here in self.also_lock:
                        raise ValueError(f"{here}: a locked row is read whole")
                    named = {related._meta.get_field(name) for name in self.only[here]}
                    fields = [f for f in fields if f.primary_key or f in named]
                tables.append(
                    _Table(
                        related,
                        f"t{len(tables)}",
                        fields,
                        parent,
                        step,
                        here,
                        field,
                    )
                )
                parent = len(tables) - 1
        unjoined = set(self.only) - {table.path for table in tables}
        if unjoined:
            raise ValueError(f"{sorted(unjoined)}: only rows joined by the paths can be narrowed")
        return tables

    def _compile(self, lock: bool) -> _Compiled:
        key = (prepared.on_postgresql(), lock)
        if key not in self._compiled:
            quote = connection.ops.quote_name
            tables = self._tables()
            columns, joins, converters = [], [], []
            spans = []
            for table in tables:
                spans.append(
                    (table, table.attnames, len(columns), len(columns) + len(table.fields))
                )
                for field in table.fields:
                    col = field.get_col(table.alias)
                    field_converters = connection.ops.get_db_converters(
                        col
                    ) + col.get_db_converters(connection)
                    if field_converters:
                        converters.append((len(columns), col, field_converters))
                    columns.append(f"{table.alias}.{quote(field.column)}")
                if table.parent is not None:
                    parent = tables[table.parent]
                    fk = parent.model._meta.get_field(table.via)
                    joins.append(
                        f"JOIN {quote(table.model._meta.db_table)} {table.alias} ON "
                        f"{table.alias}.{quote(table.model._meta.pk.column)} = "
                        f"{parent.alias}.{quote(fk.column)}"
                    )
            locked = ["t0"]
            for path in self.also_lock:
                match = [table.alias for table in tables if table.path == path]
                if not match:
                    raise ValueError(f"{path}: only rows joined by the paths can be locked")
                locked += match
            versioned = locked if prepared.on_postgresql() else []
            width = len(columns)
            columns += [f"{alias}.xmin::text" for alias in versioned]
            locking = lock and connection.features.has_select_for_update_of
            of = f" FOR UPDATE OF {', '.join(locked)}" if locking else ""
            # Identifiers come from model metadata; the key is a parameter.
            table, pk = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
            sql = f"SELECT {', '.join(columns)} FROM {table} t0 {' '.join(joins)} WHERE t0.{pk} = %s{of}"  # noqa: S608, E501
            self._compiled[key] = _Compiled(sql, spans, width, converters, versioned)
        return self._compiled[key]

    def get(self, pk: Any) -> M:
        """The locked row with its related rows; DoesNotExist when there is none."""
        return self._load(pk, lock=True)

    def read(self, pk: Any) -> M:
        """The same rows, not locked, each lockable one with its row version."""
        return self._load(pk, lock=False)

    def _load(self, pk: Any, *, lock: bool) -> M:
        sql, tables, width, converters, versioned = self._compile(lock)
        db = connections[DEFAULT_DB_ALIAS]  # once, not through the per-thread proxy
        row = prepared.fetchone(sql, [pk])
        if row is None:
            raise self.model.DoesNotExist(f"{self.model.__name__} {pk} does not exist")
        values = list(row[:width])
        versions = dict(zip(versioned, row[width:], strict=True))
        for index, col, field_converters in converters:
            for convert in field_converters:
                values[index] = convert(values[index], col, db)
        objects: list[Model] = []
        for table, attnames, start, end in tables:
            loaded = dict(zip(attnames, values[start:end], strict=True))
            obj = _from_row(table.model, db.alias, loaded)
            obj._loaded_values = loaded  # type: ignore[attr-defined]
            if table.link is not None:
                table.link.set_cached_value(objects[table.parent], obj)  # type: ignore[index]
            if table.alias in versions:
                obj._row_version = versions[table.alias]  # type: ignore[attr-defined]
            objects.append(obj)
        return objects[0]  # type: ignore[return-value]


def _from_row(model: type[M], alias: str, loaded: dict[str, Any]) -> M:
    """What `model.from_db(alias, attnames, values)` makes of a row of its concrete
    fields (all, or those `only` names: the others are deferred, as there), with the
    values (by attname) set straight into the instance: Model.__init__ passes each
    through its field's descriptor, and making the read's five objects that way cost a
    decision more client CPU than building and sending its write. A model with its own
    __init__ or with pre_init or post_init receivers (which this would skip) is made the
    ORM's way."""
    if (
        model.__init__ is not Model.__init__
        or pre_init.has_listeners(model)
        or post_init.has_listeners(model)
    ):
        return model.from_db(alias, list(loaded), list(loaded.values()))
    obj = model.__new__(model)
    obj._state = ModelState()
    obj._state.adding = False
    obj._state.db = alias
    obj.__dict__.update(loaded)
    return obj
