"""Move the in-app ``Notification`` model from the advocacy app to this one, keeping every row.

The database keeps its data: the table is renamed (``advocacy_notification`` →
``notifications_notification``) and its content type moves with it, so the permissions
and admin log entries that point at it still do. ``advocacy.0005`` then forgets the model
in the advocacy app's state (no database change).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    old = ContentType.objects.using(db).filter(app_label="advocacy", model="notification")
    if not ContentType.objects.using(db).filter(app_label="notifications", model="notification").exists():
        old.update(app_label="notifications")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label="notifications", model="notification").update(
        app_label="advocacy"
    )


class Migration(migrations.Migration):

    dependencies = [
        ("advocacy", "0004_posting_day_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("content", "0001_initial"),
        ("notifications", "0002_slack_announcement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The model as it stands in the advocacy app's table, in this app's state only.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("new_content", "New content"), ("share_failed", "Share failed"), ("share_unconfirmed", "Share needs confirmation"), ("reconnect", "Account needs reconnecting"), ("expiring", "Connection expiring soon"), ("suggestion", "Suggestion reviewed"), ("rank", "Weekly rank"), ("system", "System")], max_length=20)),
                        ("title", models.CharField(max_length=200)),
                        ("body", models.TextField(blank=True)),
                        ("url", models.CharField(blank=True, max_length=500)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("dedupe_key", models.CharField(blank=True, max_length=120)),
                        ("item", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to="content.contentitem")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "ordering": ["-created_at", "-pk"],
                        "db_table": "advocacy_notification",
                        "indexes": [models.Index(fields=["user", "read_at"], name="advocacy_no_user_id_83c008_idx")],
                        "constraints": [models.UniqueConstraint(condition=models.Q(("dedupe_key", ""), _negated=True), fields=("user", "dedupe_key"), name="notification_dedupe")],
                    },
                ),
                migrations.AlterField(
                    model_name="emaildelivery",
                    name="notification",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="notifications.notification"),
                ),
            ],
        ),
        # Now for real: the table takes this app's name, the index a name of its own.
        migrations.AlterModelTable(name="notification", table=None),
        migrations.RenameIndex(
            model_name="notification", new_name="notification_user_unread", old_name="advocacy_no_user_id_83c008_idx"
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
