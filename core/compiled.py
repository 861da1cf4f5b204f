"""Queries compiled to SQL once per process, run again with other values.

Turning a queryset into SQL is most of what a small query costs in Python: for the API
token check on every request (the token, its owner and the lockout counts as subqueries)
compiling took ~2.3 ms and the database ~0.7 ms. A hot query whose *shape* never changes
(only the values compared with ``=`` or ``>=`` do) can be compiled once and re-bound.

``CompiledQuery(build, field_for)``: ``build(shape, values)`` makes the queryset; ``field_for``
names the model field each value is compared with. The first run of a shape calls ``build`` with
sentinel values, compiles it, and notes where each sentinel's database value sits among
the parameters. Later runs put the real values there, adapted by the same field as a
lookup would, and reuse the SQL, the select list and the converters: the rows become
model instances (with ``select_related`` objects and annotations) as Django's own
iterator makes them.

Only for values that reach the SQL as parameters unchanged; a value that changes the SQL
(``None`` becoming ``IS NULL``, a list's length) belongs in the ``shape`` key.

On PostgreSQL the compiled SQL also runs as a prepared statement (``prepared_cursor``):
Django binds parameters on the client, so PostgreSQL parses and plans every statement anew
— for the token check, planning took 0.29 ms and running it 0.12 ms.
"""

import secrets
import threading
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections, models
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from psycopg.pq import Format


def prepared_cursor(using: str = "default"):
    """A cursor (Django's wrapper: query logging and execute wrappers as usual) whose
    statements PostgreSQL keeps prepared on the connection: each SQL text (with its
    parameter types) is parsed and planned once per connection instead of on every run.

    For hot statements whose text repeats (compiled queries, fixed raw SQL). On other
    databases, with ``DATABASE_PREPARED_STATEMENTS`` off (a pooler such as pgbouncer in
    transaction mode before 1.21 cannot keep prepared statements), or where the connection
    binds on the server already (``server_side_binding``), it is the usual cursor.
    """
    connection = connections[using]
    if (connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS
            or connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        if connection.connection.prepare_threshold is None:
            # Django turns psycopg's preparing off (None), which refuses even an explicit
            # prepare=True. Django's own cursors bind on the client and never prepare, so
            # a threshold they cannot reach leaves them as they were.
            connection.connection.prepare_threshold = 2**31
        raw = _PreparingCursor(connection.connection)
        raw.django_connection = connection
        # As Django's create_cursor does: the connection's time zone for timestamptz values.
        if connection.timezone != connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT).timezone:
            register_tzloader(connection.timezone, raw)
        return connection._prepare_cursor(raw)


class _Statement:
    """What Django's query log reads of a psycopg cursor (``cursor._query.query``), which a
    prepared run leaves unset: the statement with its values, composed only if read."""

    def __init__(self, connection, sql: str, params) -> None:
        self._connection, self._sql, self._params = connection, sql, params

    @property
    def query(self) -> bytes:
        return self._connection.ops.compose_sql(self._sql, self._params).encode()


class _PreparingCursor(psycopg.Cursor):
    """psycopg's server-binding cursor, preparing every statement it runs at once."""

    django_connection = None

    def execute(self, query, params=None, *, prepare=None, binary=None):
        super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)
        if self._query is None and self.django_connection is not None:
            self._query = _Statement(self.django_connection, query, params)
        return self


def _sentinel(field: models.Field) -> Any:
    """A value of ``field``'s type that no real query would carry."""
    if isinstance(field, models.GenericIPAddressField):
        return f"240.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"
    if isinstance(field, models.DateTimeField):
        return datetime(1971, 1, 1, tzinfo=UTC) + timedelta(microseconds=1 + secrets.randbelow(10**12))
    if isinstance(field, models.IntegerField | models.AutoField):
        return 10**12 + secrets.randbelow(10**12)
    if isinstance(field, models.CharField | models.TextField):
        return f"sentinel-{secrets.token_hex(12)}"
    raise TypeError(f"CompiledQuery cannot bind a {type(field).__name__}")


def _adapt(field: models.Field, value: Any, connection) -> Any:
    # What an exact lookup sends for ``value`` (Lookup.get_prep_lookup + get_db_prep_lookup).
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple
    slots: tuple[tuple[str, tuple[int, ...]], ...]  # value name -> its parameter positions
    compiler: Any
    init_list: list[str]
    model_slice: slice
    annotations: tuple[tuple[str, int], ...]
    related: list


class CompiledQuery:
    def __init__(self, build: Callable[[Any, dict[str, Any]], QuerySet], field_for: Callable[[str], models.Field]) -> None:
        self.build = build
        self.field_for = field_for
        self._plans: dict[tuple, _Plan] = {}
        self._lock = threading.Lock()

    def rows(self, values: Mapping[str, Any], *, shape: Hashable = (), using: str = "default") -> list[Model]:
        """The model instances ``build(shape, values)`` would give, without compiling it again."""
        if any(value is None for value in values.values()):
            raise ValueError("CompiledQuery: None is not bound (it makes IS NULL): put it in the shape")
        plan = self._plans.get((using, shape))
        if plan is None:
            with self._lock:
                plan = self._plans.get((using, shape)) or self._plan(values, shape, using)
                self._plans[(using, shape)] = plan
        connection = connections[using]
        params = list(plan.params)
        for name, positions in plan.slots:
            adapted = _adapt(self.field_for(name), values[name], connection)
            for i in positions:
                params[i] = adapted
        with prepared_cursor(using) as cursor:
            cursor.execute(plan.sql, params)
            fetched = cursor.fetchall()
        compiler = plan.compiler
        if compiler.has_extra_select:
            fetched = [row[:compiler.col_count] for row in fetched]
        found = []
        for row in compiler.results_iter([fetched]):
            obj = compiler.query.model.from_db(using, plan.init_list, row[plan.model_slice])
            for populator in plan.related:
                populator.populate(row, obj)
            for name, position in plan.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found

    def _plan(self, values: Mapping[str, Any], shape: Hashable, using: str) -> _Plan:
        connection = connections[using]
        sentinels = {name: _sentinel(self.field_for(name)) for name in values}
        queryset = self.build(shape, sentinels)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = []
        for name, sentinel in sentinels.items():
            adapted = _adapt(self.field_for(name), sentinel, connection)
            positions = tuple(i for i, p in enumerate(params) if type(p) is type(adapted) and p == adapted)
            if not positions:
                raise ValueError(f"CompiledQuery: {name!r} does not reach the SQL as a parameter")
            slots.append((name, positions))
        info = compiler.klass_info
        fields = info["select_fields"]
        return _Plan(
            sql=sql, params=tuple(params), slots=tuple(slots), compiler=compiler,
            init_list=[f[0].target.attname for f in compiler.select[fields[0]:fields[-1] + 1]],
            model_slice=slice(fields[0], fields[-1] + 1),
            annotations=tuple(compiler.annotation_col_map.items()),
            related=get_related_populators(info, compiler.select, using),
        )


_INSERTS: dict[tuple[type[Model], str], tuple[str, list[models.Field], bool]] = {}


def insert_one(instance: Model, using: str = "default") -> Model:
    """Write a new ``instance`` as ``save()`` would for a plain INSERT — every concrete
    column, defaults and ``auto_now_add`` applied (``pre_save``), its key read back — with
    the SQL built once per model and run as a prepared statement. No signals are sent:
    for append-only rows on a hot path (an audit entry per posted share) whose model has
    no receivers that must see them; the caller checks that."""
    connection = connections[using]
    model = type(instance)
    built = _INSERTS.get((model, using))
    if built is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
        quote = connection.ops.quote_name
        returning = connection.features.can_return_columns_from_insert
        columns = ", ".join(quote(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        # Table and column names from the model, values as parameters: no input in the SQL.
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        if returning:
            sql += f" RETURNING {quote(meta.pk.column)}"
        built = _INSERTS[(model, using)] = (sql, fields, returning)
    sql, fields, returning = built
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with prepared_cursor(using) as cursor:
        cursor.execute(sql, params)
        pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = using
    return instance
