"""The feed's version token (``advocacy.models.FeedVersion``) and the triggers that change it.

Whatever the feed shows of an item lives in these tables; any insert, update or delete of
one of their rows gives the token a new random value in the same transaction (readers see
it when they see the change). PostgreSQL: a statement-level trigger per table and event
(once per statement that changed rows: an UPDATE matching nothing changes nothing).
SQLite: a row-level trigger per table and event.
"""

from django.db import migrations, models

# What the feed shows of an item: the item, its topics, its target teams, its suggested
# texts, the topics' and campaigns' names (and whether a topic is required).
FEED_TABLES = (
    "content_contentitem",
    "content_contentitem_topics",
    "content_contentitem_target_teams",
    "content_sharetext",
    "content_topic",
    "content_campaign",
)
EVENTS = ("INSERT", "UPDATE", "DELETE")

# Statement-level, with the statement's changed rows ("changed"): a statement that changed
# rows changes the token once, one that changed none (an UPDATE that matched nothing) not.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION advocacy_feed_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed) THEN
        INSERT INTO advocacy_feedversion (id, token)
        VALUES (1, floor((random() - 0.5) * 9007199254740991)::bigint)
        ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    END IF;
    RETURN NULL;
END
$$;
"""
PG_TRIGGERS = {"INSERT": "NEW", "UPDATE": "NEW", "DELETE": "OLD"}


# Two statements, not one upsert: SQLite applies the conflict clause of the statement that
# fired the trigger (Django's m2m ``INSERT OR IGNORE``) to the statements inside it.
SQLITE_BUMP = (
    "UPDATE advocacy_feedversion SET token = random() WHERE id = 1; "
    "INSERT INTO advocacy_feedversion (id, token) SELECT 1, random() "
    "WHERE NOT EXISTS (SELECT 1 FROM advocacy_feedversion WHERE id = 1);"
)


def create_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        for table in FEED_TABLES:
            for event, rows in PG_TRIGGERS.items():
                schema_editor.execute(
                    f"CREATE TRIGGER advocacy_feed_version_{event.lower()} AFTER {event} ON {table} "
                    f"REFERENCING {rows} TABLE AS changed "
                    "FOR EACH STATEMENT EXECUTE FUNCTION advocacy_feed_version_bump()"
                )
        schema_editor.execute(
            "INSERT INTO advocacy_feedversion (id, token) VALUES (1, floor((random() - 0.5) * 9007199254740991)::bigint)"
        )
    elif vendor == "sqlite":
        for table in FEED_TABLES:
            for event in EVENTS:
                schema_editor.execute(
                    f"CREATE TRIGGER advocacy_feed_version_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {SQLITE_BUMP} END"
                )
        schema_editor.execute("INSERT INTO advocacy_feedversion (id, token) VALUES (1, random())")
    else:  # the feed then caches nothing (no row): correct, only slower
        return


def drop_triggers(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in FEED_TABLES:
            for event in EVENTS:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS advocacy_feed_version_{event.lower()} ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS advocacy_feed_version_bump()")
    elif vendor == "sqlite":
        for table in FEED_TABLES:
            for event in EVENTS:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS advocacy_feed_version_{table}_{event.lower()}")


class Migration(migrations.Migration):

    dependencies = [
        ("advocacy", "0008_share_dispatch_id"),
        ("content", "0003_suggestion_merging"),
    ]

    operations = [
        migrations.CreateModel(
            name="FeedVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("token", models.BigIntegerField()),
            ],
            options={
                "verbose_name": "feed version",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
