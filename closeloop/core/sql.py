"""Hot-path statements, compiled once per shape and run on Django's own connection.

Opening a ticket or adding a message runs a dozen small statements. Through the ORM each one
costs 0.3–0.6 ms of Python on a 2-core server (query compilation, not the database), which
caps intake far below the 500 tickets/s we promise. These helpers build the SQL for a model
and a fixed column list once, then reuse it; values still go through each field's own
``pre_save`` and ``get_db_prep_save`` and rows come back as model instances, so models stay
the single source of truth for tables, columns and types. Statements run on the DB-API cursor
of Django's own connection (so inside the caller's transaction), with Django's error mapping
but without its execute wrappers and query log, which cost more than SQLite takes to run
the statement. Use them only on measured hot paths; everywhere else the ORM is clearer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, overload

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

ModelT = TypeVar("ModelT", bound=models.Model)

_insert_sql: dict[tuple[Any, ...], str] = {}
_update_sql: dict[tuple[Any, ...], str] = {}


def _connection() -> BaseDatabaseWrapper:
    # Resolved once per statement: each attribute read through the ``connection`` proxy
    # costs a context-local lookup, which adds up to a third of a hot path.
    return connections[DEFAULT_DB_ALIAS]


def _quote(name: str | None) -> str:
    if name is None:
        raise ValueError("a column without a name cannot be written")
    return _connection().ops.quote_name(name)


_sqlite_placeholders: dict[str, str] = {}


def _run(
    connection: BaseDatabaseWrapper, sql: str, params: Sequence[Any], *, fetch: bool
) -> tuple[list[Any], int]:
    """Execute on the connection's DB-API cursor; return the rows (when ``fetch``) and rowcount.

    When something watches the connection (an execute wrapper, the query log of DEBUG or of
    a test's query counter), the statement goes through Django's cursor so it is seen.
    """
    if connection.execute_wrappers or connection.queries_logged:
        with connection.cursor() as django_cursor:
            django_cursor.execute(sql, params)
            return (django_cursor.fetchall() if fetch else []), django_cursor.rowcount
    connection.validate_no_broken_transaction()
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        # Our statements hold no literal percent signs, so the swap is exact.
        converted = _sqlite_placeholders.get(sql)
        if converted is None:
            converted = _sqlite_placeholders[sql] = sql.replace("%s", "?")
        sql = converted
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if fetch else []
            return rows, cursor.rowcount
        finally:
            cursor.close()


def _insert_rows(objects: Sequence[models.Model], *, ignore_conflicts: bool) -> list[Any]:
    """Run one multi-row INSERT … RETURNING the keys of the rows that went in."""
    connection = _connection()
    model = type(objects[0])
    key = (model, len(objects), connection.vendor, ignore_conflicts)
    sql = _insert_sql.get(key)
    if sql is None:
        meta = model._meta
        model_fields = [field for field in meta.concrete_fields if not field.primary_key]
        columns = ", ".join(_quote(field.column) for field in model_fields)
        row = "(" + ", ".join(["%s"] * len(model_fields)) + ")"
        conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        sql = (
            f"INSERT INTO {_quote(meta.db_table)} ({columns}) "  # noqa: S608 - names from models
            f"VALUES {', '.join([row] * len(objects))}{conflict} "
            f"RETURNING {_quote(meta.pk.column)}"
        )
        _insert_sql[key] = sql
    preparers = _preparers(model, connection)
    params = [prepare(obj) for obj in objects for prepare in preparers]
    rows, _count = _run(connection, sql, params, fetch=True)
    return rows


def insert(objects: Sequence[ModelT]) -> Sequence[ModelT]:
    """INSERT the objects (all of one model) with every column but the key; set their keys."""
    if not objects:
        return objects
    keys = _insert_rows(objects, ignore_conflicts=False)
    alias = _connection().alias
    for obj, (primary_key,) in zip(objects, keys, strict=True):
        obj.pk = primary_key
        obj._state.adding = False
        obj._state.db = alias
    return objects


def insert_if_new(obj: models.Model) -> bool:
    """INSERT one object unless it collides with a unique key; set its key and return True
    when it went in. One statement, and no savepoint: a collision fails nothing."""
    keys = _insert_rows([obj], ignore_conflicts=True)
    if not keys:
        return False
    obj.pk = keys[0][0]
    obj._state.adding = False
    obj._state.db = _connection().alias
    return True


def insert_ignoring_conflicts(objects: Sequence[models.Model]) -> int:
    """INSERT … ON CONFLICT DO NOTHING; return how many rows went in (keys are not set)."""
    if not objects:
        return 0
    return len(_insert_rows(objects, ignore_conflicts=True))


# Field types whose Python value is already what the driver takes; every other field goes
# through its own get_db_prep_save, and timestamps through the backend's adapter.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.FloatField,
    models.ForeignKey,
)
_preparer_cache: dict[tuple[Any, ...], list[Callable[[Any], Any]]] = {}


def _preparers(
    model: type[models.Model], connection: BaseDatabaseWrapper
) -> list[Callable[[Any], Any]]:
    """One function per inserted column turning an object into that column's parameter."""
    key = (model, connection.vendor)
    cached = _preparer_cache.get(key)
    if cached is not None:
        return cached
    preparers: list[Callable[[Any], Any]] = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        preparers.append(_preparer(field, connection))
    _preparer_cache[key] = preparers
    return preparers


def _preparer(field: Any, connection: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    attname = field.attname
    prepare = _value_preparer(field, connection)
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: prepare(field.pre_save(obj, True))
    return lambda obj: prepare(getattr(obj, attname))


_value_preparer_cache: dict[tuple[Any, str], Callable[[Any], Any]] = {}


def _value_preparer(field: Any, connection: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """The function turning a Python value of ``field`` into the driver's parameter."""
    key = (field, connection.vendor)
    cached = _value_preparer_cache.get(key)
    if cached is not None:
        return cached
    prepare: Callable[[Any], Any]
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite":
            # What Django's SQLite adapter produces (naive UTC text), without its per-call
            # settings lookups; every datetime we store is aware (USE_TZ).
            prepare = _sqlite_timestamp
        else:
            prepare = connection.ops.adapt_datetimefield_value
    elif isinstance(field, _PLAIN_FIELDS) and not isinstance(field, models.JSONField):
        prepare = _identity
    else:

        def prepare(value: Any) -> Any:
            return field.get_db_prep_save(value, connection)

    _value_preparer_cache[key] = prepare
    return prepare


def _identity(value: Any) -> Any:
    return value


def _sqlite_timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored (USE_TZ)")
    return str(value.astimezone(UTC).replace(tzinfo=None))


def update(
    model: type[models.Model],
    primary_key: Any,
    values: dict[str, Any],
    *,
    expect: dict[str, Any] | None = None,
) -> int:
    """UPDATE one row's fields (by field name); with ``expect``, only if those still hold.

    Returns the number of rows changed: 0 means the row is gone or, with ``expect``, that
    someone changed it first (the guard of a guarded update).
    """
    connection = _connection()
    meta = model._meta
    expect = expect or {}
    key = (model, tuple(values), tuple(expect), connection.vendor)
    set_fields = [_concrete(meta.get_field(name)) for name in values]
    guard_fields = [_concrete(meta.get_field(name)) for name in expect]
    sql = _update_sql.get(key)
    if sql is None:
        assignments = ", ".join(f"{_quote(f.column)} = %s" for f in set_fields)
        conditions = " AND ".join(
            [f"{_quote(meta.pk.column)} = %s"] + [f"{_quote(f.column)} = %s" for f in guard_fields]
        )
        sql = f"UPDATE {_quote(meta.db_table)} SET {assignments} WHERE {conditions}"  # noqa: S608
        _update_sql[key] = sql
    params = [
        _value_preparer(field, connection)(_key_of(value))
        for field, value in zip(set_fields, values.values(), strict=True)
    ]
    params.append(primary_key)
    params += [
        _value_preparer(field, connection)(_key_of(value))
        for field, value in zip(guard_fields, expect.values(), strict=True)
    ]
    _rows, count = _run(connection, sql, params, fetch=False)
    return count


def _concrete(field: Any) -> models.Field[Any, Any]:
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{field} is not a column")
    return field


def _key_of(value: Any) -> Any:
    """A related object stands for its primary key in a foreign-key column."""
    return value.pk if isinstance(value, models.Model) else value


def select(sql: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
    """Run a read written for a hot path; convert values with ``aware`` and ``json_value``."""
    rows, _count = _run(_connection(), sql, list(params), fetch=True)
    return rows


_get_sql: dict[tuple[Any, ...], tuple[str, list[Callable[[Any], Any]], list[str]]] = {}


def get(model: type[ModelT], primary_key: Any, *, for_update: bool = False) -> ModelT:
    """Load one row by key as a model instance (``SELECT … FOR UPDATE`` where supported).

    Raises the model's DoesNotExist, like ``Model.objects.get``.
    """
    connection = _connection()
    key = (model, for_update, connection.vendor)
    compiled = _get_sql.get(key)
    if compiled is None:
        meta = model._meta
        fields = list(meta.concrete_fields)
        columns = ", ".join(_quote(field.column) for field in fields)
        lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""
        statement = (
            f"SELECT {columns} FROM {_quote(meta.db_table)} "  # noqa: S608 - names from models
            f"WHERE {_quote(meta.pk.column)} = %s{lock}"
        )
        compiled = (statement, [_reader(field) for field in fields], [f.attname for f in fields])
        _get_sql[key] = compiled
    statement, readers, attnames = compiled
    rows, _count = _run(connection, statement, [primary_key], fetch=True)
    if not rows:
        raise model.DoesNotExist(f"{model.__name__} {primary_key} does not exist")  # type: ignore[attr-defined]
    values = [read(value) for read, value in zip(readers, rows[0], strict=True)]
    return model.from_db(connection.alias, attnames, values)


def _reader(field: Any) -> Callable[[Any], Any]:
    """How a value read with ``_run`` becomes the field's Python value."""
    if isinstance(field, models.DateTimeField):
        return aware
    if isinstance(field, models.JSONField):
        return json_value
    if isinstance(field, models.BooleanField):
        return lambda value: None if value is None else bool(value)
    return _identity


def table(model: type[models.Model]) -> str:
    """The quoted table name of a model, for hand-written hot-path reads."""
    return _quote(model._meta.db_table)


@overload
def aware(value: datetime | str) -> datetime: ...


@overload
def aware(value: None) -> None: ...


def aware(value: datetime | str | None) -> datetime | None:
    """A timestamp read with ``select`` as an aware datetime (SQLite gives naive UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def json_value(value: Any) -> Any:
    """A JSON column read with ``select`` as Python data (SQLite gives text)."""
    return json.loads(value) if isinstance(value, str | bytes) else value
