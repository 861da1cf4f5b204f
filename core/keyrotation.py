"""Key rotation for everything encrypted at rest.

Every ``EncryptedTextField`` column of every installed model is found from the models
themselves (:func:`encrypted_columns`), so a field added tomorrow is rotated without anyone
remembering to list it. :func:`encrypted_values_rotate` re-encrypts each stored value with
the first key of ``TOKEN_ENCRYPTION_KEYS``; ``manage.py rotate_encryption_keys`` runs it.

Why running it twice, or again after an interrupted run, is harmless: a value already under
the first key is left exactly as it is; each batch commits on its own; and each UPDATE only
applies if the stored ciphertext is still the one that was read, so a value the application
re-saved meanwhile (already under the first key) is never overwritten with an older one.
Values go through raw SQL, not ``Model.save()``: no ``auto_now`` stamp moves, no audit entry
or signal fires, and the plaintext never leaves this module.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connections, router, transaction
from django.db.models import Field, Model

from core.crypto import EncryptedTextField, key_index, rotate

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[Model]
    field: Field

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def encrypted_columns() -> list[EncryptedColumn]:
    """Every database column an ``EncryptedTextField`` (or a subclass) stores, in every
    installed model. Inherited fields count once: abstract parents' fields are local to each
    child, a multi-table parent's fields to the parent (whose table holds them)."""
    columns = [
        EncryptedColumn(model, model_field)
        for model in apps.get_models()
        if not model._meta.proxy
        for model_field in model._meta.local_concrete_fields
        if isinstance(model_field, EncryptedTextField)
    ]
    return sorted(columns, key=lambda column: column.label)


@dataclass(frozen=True)
class Undecryptable:
    """A stored value no configured key decrypts (a pk and a field name: never the value)."""

    model: str
    pk: Any
    field: str

    def __str__(self) -> str:
        return f"{self.model} pk={self.pk} field {self.field}"


@dataclass
class ColumnReport:
    label: str
    current: int = 0  # already under the first key when read
    old: int = 0  # under an older key when read
    rotated: int = 0  # re-encrypted with the first key (0 in a dry run)
    changed: int = 0  # under an older key when read, re-saved by the application before the UPDATE
    empty: int = 0  # nothing stored (empty strings are stored as they are)
    undecryptable: list[Undecryptable] = field(default_factory=list)


@dataclass
class RotationReport:
    dry_run: bool
    columns: list[ColumnReport]

    @property
    def old(self) -> int:
        return sum(c.old for c in self.columns)

    @property
    def rotated(self) -> int:
        return sum(c.rotated for c in self.columns)

    @property
    def changed(self) -> int:
        return sum(c.changed for c in self.columns)

    @property
    def undecryptable(self) -> list[Undecryptable]:
        return [u for c in self.columns for u in c.undecryptable]


BatchCallback = Callable[[type[Model], int], None]


def encrypted_values_rotate(*, dry_run: bool = False, batch_size: int = DEFAULT_BATCH_SIZE,
                            on_batch: BatchCallback | None = None) -> RotationReport:
    """Re-encrypt every encrypted value with the first key (``dry_run``: only count them).

    Rows are read in primary-key order, ``batch_size`` at a time, each batch in its own
    transaction; ``on_batch(model, rows)`` is called after each batch has committed. A value
    no configured key decrypts is reported and left untouched; the other values go on.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    by_model: dict[type[Model], list[EncryptedColumn]] = {}
    for column in encrypted_columns():
        by_model.setdefault(column.model, []).append(column)
    reports: list[ColumnReport] = []
    for model, columns in by_model.items():
        model_reports = [ColumnReport(column.label) for column in columns]
        _rotate_model(model, columns, model_reports, dry_run=dry_run, batch_size=batch_size, on_batch=on_batch)
        reports.extend(model_reports)
    return RotationReport(dry_run=dry_run, columns=reports)


def _rotate_model(model: type[Model], columns: list[EncryptedColumn], reports: list[ColumnReport], *,
                  dry_run: bool, batch_size: int, on_batch: BatchCallback | None) -> None:
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    names = ", ".join(quote(column.field.column) for column in columns)
    first_page = f"SELECT {pk}, {names} FROM {table} ORDER BY {pk} LIMIT %s"  # noqa: S608
    next_page = f"SELECT {pk}, {names} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s"  # noqa: S608
    updates = [
        f"UPDATE {table} SET {quote(c.field.column)} = %s WHERE {pk} = %s AND {quote(c.field.column)} = %s"  # noqa: S608
        for c in columns
    ]
    last_pk: Any = None
    while True:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            if last_pk is None:
                cursor.execute(first_page, [batch_size])
            else:
                cursor.execute(next_page, [last_pk, batch_size])
            rows = cursor.fetchall()
            for row in rows:
                row_pk = row[0]
                for value, column, report, update in zip(row[1:], columns, reports, updates, strict=True):
                    if not value:
                        report.empty += 1
                        continue
                    index = key_index(value)
                    if index is None:
                        report.undecryptable.append(Undecryptable(model._meta.label, row_pk, column.field.name))
                    elif index == 0:
                        report.current += 1
                    else:
                        report.old += 1
                        if dry_run:
                            continue
                        cursor.execute(update, [rotate(value), row_pk, value])
                        if cursor.rowcount:
                            report.rotated += 1
                        else:
                            report.changed += 1
        if not rows:
            return
        last_pk = rows[-1][0]
        if on_batch is not None:
            on_batch(model, len(rows))
        if len(rows) < batch_size:
            return
