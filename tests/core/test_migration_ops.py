"""keep_sqlite_sequence: a table SQLite rebuilds in a migration keeps handing out new ids."""

import pytest
from django.db import connection

from core.migration_ops import keep_sqlite_sequence
from notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def make(user, n: int) -> list[int]:
    return [Notification.objects.create(user=user, kind="new_content", title=f"n{i}").pk for i in range(n)]


def rebuild(operations_around=None) -> None:
    """What Django's SQLite backend does to add most columns: a new table, rows copied."""
    save, restore = (operations_around or [None, None])
    with connection.schema_editor() as editor:
        if save is not None:
            save.code(None, editor)
        editor._remake_table(Notification)
        if restore is not None:
            restore.code(None, editor)


def test_a_rebuilt_table_reuses_deleted_ids_without_it_and_not_with_it():
    user = UserFactory()
    if connection.vendor != "sqlite":
        # Elsewhere the steps leave the sequence alone (PostgreSQL rebuilds no table).
        ids = make(user, 2)
        save, *_, restore = keep_sqlite_sequence([Notification._meta.db_table], [])
        with connection.schema_editor() as editor:
            save.code(None, editor)
            restore.code(None, editor)
        assert make(user, 1)[0] == ids[-1] + 1
        return
    ids = make(user, 3)
    Notification.objects.filter(pk=ids[-1]).delete()
    rebuild()
    assert make(user, 1)[0] == ids[-1]  # the deleted id again: what the operation prevents

    ids = make(user, 2)
    Notification.objects.filter(pk=ids[-1]).delete()
    save, *_, restore = keep_sqlite_sequence([Notification._meta.db_table], [])
    rebuild([save, restore])
    assert make(user, 1)[0] == ids[-1] + 1
