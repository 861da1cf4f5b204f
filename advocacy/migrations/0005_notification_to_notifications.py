"""``Notification`` now lives in the notifications app (see ``notifications.0003``, which
renamed its table and moved its content type). Only the advocacy app's state forgets it."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("advocacy", "0004_posting_day_indexes"),
        # The notifications app must hold the model (and EmailDelivery point at it) first.
        ("notifications", "0003_notification_from_advocacy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Notification")]),
    ]
