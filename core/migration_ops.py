"""Migration operations Chorus needs beyond Django's.

``keep_sqlite_sequence``: on SQLite, Django adds most columns by rebuilding the table (a new
table, the rows copied, the old one dropped), and the rebuilt table's AUTOINCREMENT counter
restarts at the highest id left, so the ids of rows deleted from the end would be handed out
again — a new notification, share or suggestion taking the id an email link, a webhook or an
API client still holds for a deleted one. Wrap the operations that rebuild a table::

    operations = keep_sqlite_sequence(["notifications_notification"], [
        migrations.AddField(...),
    ])

The counters are read before and put back (never lowered) after. Other databases: nothing
to do (their sequences are not touched by these operations).
"""

from collections.abc import Sequence

from django.db import migrations
from django.db.migrations.operations.base import Operation


def keep_sqlite_sequence(tables: Sequence[str], operations: Sequence[Operation]) -> list[Operation]:
    saved: dict[str, int] = {}

    def save(apps, schema_editor) -> None:
        saved.clear()
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            for table in tables:
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                if row is not None:
                    saved[table] = row[0]

    def restore(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            for table, seq in saved.items():
                cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [seq, table])
                if cursor.rowcount == 0:
                    cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, seq])

    return [
        migrations.RunPython(save, migrations.RunPython.noop, elidable=True),
        *operations,
        migrations.RunPython(restore, migrations.RunPython.noop, elidable=True),
    ]
