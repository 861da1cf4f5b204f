"""Update many rows, each to its own values, in one statement per batch.

Django's ``bulk_update`` writes ``SET f = CASE WHEN pk = 1 THEN … WHEN pk = 2 THEN … END``
for every field: it builds an expression object per row *and* field and the database
compares every row with every branch, so a batch costs rows × fields × rows. At 100,000
engagement reads that was most of the sweep (BENCHMARKS.md, B5). This joins the table to
the new values instead, linear in the rows::

    UPDATE t SET f1 = v.c1, f2 = v.c2
    FROM (VALUES (%s, %s, %s), (%s, %s, %s)) AS v (c0, c1, c2) WHERE t.pk = v.c0

Portable: PostgreSQL and SQLite ≥ 3.33 (``UPDATE … FROM``; SQLite names a VALUES list's
columns ``column1``, ``column2``, … itself). On PostgreSQL each value is cast to its
column's type (a column of NULLs in a VALUES list would otherwise be text).
Like ``bulk_update``: values are prepared as ``save()`` prepares them, ``pre_save`` hooks
(``auto_now``) are not run, and a row deleted meanwhile is simply not updated.
"""

from collections.abc import Sequence

from django.db import connections, models, router, transaction


def bulk_update_values(objs: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = 1000) -> int:
    """Write ``fields`` of ``objs`` (instances of one model, saved before) to their rows.
    Returns the number of rows updated."""
    if not objs:
        return 0
    if not fields:
        raise ValueError("bulk_update_values needs at least one field name.")
    model = type(objs[0])
    meta = model._meta
    concrete = [meta.get_field(name) for name in fields]
    for field in concrete:
        if not field.concrete or field.many_to_many or field.primary_key or field.model is not model:
            raise ValueError(f"bulk_update_values cannot update {meta.label}.{field.name}.")
    if any(obj.pk is None for obj in objs):
        raise ValueError("bulk_update_values needs saved objects (every object has a primary key).")
    if any(type(obj) is not model for obj in objs):
        raise ValueError(f"bulk_update_values takes instances of one model ({meta.label}).")

    db = router.db_for_write(model, instance=objs[0])
    connection = connections[db]
    quote = connection.ops.quote_name
    pk = meta.pk
    columns = [pk, *concrete]
    if connection.vendor == "postgresql":
        placeholders = [f"CAST(%s AS {field.db_type(connection)})" for field in columns]
        names = [f"c{i}" for i in range(len(columns))]
        alias = f"v ({', '.join(names)})"
    else:
        placeholders = ["%s"] * len(columns)
        names = [f"column{i + 1}" for i in range(len(columns))]
        alias = "v"
    row_sql = f"({', '.join(placeholders)})"
    size = max(1, min(batch_size, connection.ops.bulk_batch_size(columns, objs)))
    table = quote(meta.db_table)
    assignments = ", ".join(f"{quote(field.column)} = v.{names[i]}" for i, field in enumerate(columns) if i)
    updated = 0
    with transaction.atomic(using=db, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start:start + size]
            params: list = []
            for obj in batch:
                for field in columns:
                    value = getattr(obj, field.attname)
                    if hasattr(value, "resolve_expression"):
                        raise ValueError(f"bulk_update_values takes values, not expressions ({field.name}).")
                    params.append(field.get_db_prep_save(value, connection))
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608  (our own names; values are parameters)
                f"FROM (VALUES {', '.join([row_sql] * len(batch))}) AS {alias} "
                f"WHERE {table}.{quote(pk.column)} = v.{names[0]}",
                params,
            )
            updated += cursor.rowcount
    return updated
