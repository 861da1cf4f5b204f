"""A share's row on the posting hot path, read and written without compiling ORM queries.

Two things live here: the claim (``share_claim_and_load``) and the field updates of a
claimed share (``share_row_update``). Both run once or twice for every share a worker
posts, and compiling their ORM queries cost more CPU than anything else a share does
(issue 18, B7); their SQL is built once per process from the models' ``_meta`` instead.

The claim of a share for posting, as one SQL statement (``posting._claim``).

The claim is the lock of the posting state machine (``advocacy.services.posting``, point
1): a conditional UPDATE moves the share from *queued* to *posting*; only the run whose
UPDATE changed the row posts. This module does that UPDATE and loads what posting needs
(the share, its item, its account and its employee) in **one** statement::

    WITH claimed AS (UPDATE advocacy_share SET status = 'posting', ... WHERE id = %s
                     AND status = 'queued' RETURNING *)
    SELECT claimed.*, item.*, account.*, user.* FROM claimed JOIN ... LEFT JOIN ...

It is the same single-row UPDATE as before (one statement in autocommit: committed, and
the row locked by it, before anything else happens), so the guarantee is unchanged; a
run that loses the race gets no row. What it saves is per share: one round trip to the
database, and compiling the ORM's four-table ``select_related`` query (~110 columns),
which cost a worker more CPU than any other step of a share (issue 18, B7). The SQL is
built once per process from the models' ``_meta`` (every concrete column, so a field
added to a model is loaded too), and the instances are made the way the ORM makes them:
each column through its field's database converters (decrypting the tokens), then
``Model.from_db``; the related instances are attached through their descriptors, as
``select_related`` would.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connections, router
from django.db.models import F, Model, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from advocacy.models import SocialAccount
from advocacy.models.shares import Share, ShareStatus
from content.models import ContentItem

# (the attribute on Share, the model, whether the foreign key may be empty)
_RELATED: tuple[tuple[str, type[Model], bool], ...] = (
    ("item", ContentItem, False),
    ("account", SocialAccount, True),
    ("user", User, False),
)


def _columns(model: type[Model], alias: str, connection) -> tuple[list[str], list[str], list[list]]:
    """The quoted column list of ``model`` under ``alias``, its field attnames and each
    column's converters (the backend's and the field's, as the ORM applies them)."""
    quote = connection.ops.quote_name
    fields = list(model._meta.concrete_fields)
    sql = [f"{quote(alias)}.{quote(f.column)}" for f in fields]
    converters = []
    for field in fields:
        col = field.get_col(alias)
        converters.append(connection.ops.get_db_converters(col) + col.get_db_converters(connection))
    return sql, [f.attname for f in fields], converters


@cache
def _plan(alias: str) -> tuple[str, list[tuple[str | None, type[Model], list[str], list[list], slice]]]:
    """The statement (for the database ``alias``) and how to cut each row into instances."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = Share._meta
    share_table = quote(meta.db_table)
    select, parts, start = [], [], 0
    sql, names, converters = _columns(Share, "claimed", connection)
    select += sql
    parts.append((None, Share, names, converters, slice(start, start + len(sql))))
    start += len(sql)
    joins = []
    for index, (attr, model, nullable) in enumerate(_RELATED):
        table_alias = f"r{index}"
        sql, names, converters = _columns(model, table_alias, connection)
        select += sql
        parts.append((attr, model, names, converters, slice(start, start + len(sql))))
        start += len(sql)
        fk = meta.get_field(attr)
        joins.append(
            f"{'LEFT OUTER' if nullable else 'INNER'} JOIN {quote(model._meta.db_table)} {quote(table_alias)} "
            f"ON ({quote('claimed')}.{quote(fk.column)} = {quote(table_alias)}.{quote(fk.target_field.column)})"
        )
    col = {name: quote(meta.get_field(name).column) for name in (
        "id", "status", "posting_started_at", "attempts", "updated_at", "first_attempt_at")}
    # Identifiers only, from the models' own metadata and quoted; every value is a parameter.
    statement = (
        f"WITH {quote('claimed')} AS ("  # noqa: S608
        f"UPDATE {share_table} SET {col['status']} = %s, {col['posting_started_at']} = %s, "
        f"{col['attempts']} = {share_table}.{col['attempts']} + 1, {col['updated_at']} = %s, "
        f"{col['first_attempt_at']} = COALESCE({share_table}.{col['first_attempt_at']}, %s) "
        f"WHERE {share_table}.{col['id']} = %s AND {share_table}.{col['status']} = %s RETURNING *) "
        f"SELECT {', '.join(select)} FROM {quote('claimed')} {' '.join(joins)}"
    )
    return statement, parts


def _instance(model: type[Model], alias: str, names: list[str], converters: list[list], values: tuple,
              connection) -> Model:
    converted = []
    for value, funcs in zip(values, converters, strict=True):
        for func in funcs:
            value = func(value, None, connection)
        converted.append(value)
    return model.from_db(alias, names, converted)


def share_claim_and_load(share_id: int, now: datetime) -> Share | None:
    """Move share ``share_id`` from *queued* to *posting* (one more attempt; ``now`` as its
    posting start, and as its first attempt if it has none) and return it with its item,
    account and employee loaded; None if it was not *queued* (done, cancelled, or another
    worker has it). One statement on PostgreSQL; on SQLite (which cannot put an UPDATE in
    a WITH) the same UPDATE, then the ORM's query."""
    alias = router.db_for_write(Share)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return _claim_with_orm(share_id, now)
    statement, parts = _plan(alias)
    with connection.cursor() as cursor:
        cursor.execute(statement, [ShareStatus.POSTING.value, now, now, now, share_id, ShareStatus.QUEUED.value])
        row = cursor.fetchone()
    if row is None:
        return None
    share: Any = None
    for attr, model, names, converters, cut in parts:
        values = row[cut]
        if attr is None:
            share = _instance(model, alias, names, converters, values, connection)
        elif values[names.index(model._meta.pk.attname)] is None:  # an empty key: the LEFT JOIN found nothing
            if getattr(share, Share._meta.get_field(attr).attname) is None:
                setattr(share, attr, None)
        else:
            setattr(share, attr, _instance(model, alias, names, converters, values, connection))
    return share


def _claim_with_orm(share_id: int, now: datetime) -> Share | None:
    claimed = Share.objects.filter(pk=share_id, status=ShareStatus.QUEUED).update(
        status=ShareStatus.POSTING, posting_started_at=now, attempts=F("attempts") + 1, updated_at=now,
        first_attempt_at=Coalesce("first_attempt_at", Value(now)),
    )
    if not claimed:
        return None
    return Share.objects.select_related(*(attr for attr, _, _ in _RELATED)).get(pk=share_id)


@cache
def _update_sql(alias: str, names: tuple[str, ...]) -> tuple[str, list]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = [Share._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    statement = (f"UPDATE {quote(Share._meta.db_table)} SET {assignments} "  # noqa: S608  (identifiers from _meta)
                 f"WHERE {quote(Share._meta.pk.column)} = %s")
    return statement, fields


def share_row_update(share_id: int, fields: dict[str, Any]) -> int:
    """``Share.objects.filter(pk=share_id).update(**fields)`` for plain values (no
    expressions), with its SQL made once per process and set of fields; each value is
    prepared by its field as the ORM prepares it. Returns the number of rows changed.
    Database errors are Django's (an ``IntegrityError`` for a post another share holds)."""
    if any(hasattr(value, "resolve_expression") or isinstance(value, Model) for value in fields.values()):
        return Share.objects.filter(pk=share_id).update(**fields)  # an expression or an instance: the ORM's
    alias = router.db_for_write(Share)
    connection = connections[alias]
    names = tuple(fields)
    statement, model_fields = _update_sql(alias, names)
    params = [field.get_db_prep_save(fields[name], connection) for name, field in zip(names, model_fields, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, share_id])
        return cursor.rowcount
