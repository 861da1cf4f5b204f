from django.db import models


class FeedVersion(models.Model):
    """One row (id 1) whose ``token`` the database itself changes, in the same transaction,
    whenever anything the feed shows of an item changes: an item (insert, update, delete —
    also ``QuerySet.update`` and bulk paths, which send no signals), its topics, target
    teams and suggested texts, a topic, a campaign. Triggers do it (migration
    ``0009_feed_version``), so no write path can forget.

    The feed reads the token in the same statement as its page (``advocacy.feed_cache``):
    what is cached under a token is what the database held when that token was current.
    A new token is random (never a counter that a rolled-back transaction could hand out
    twice). No row (e.g. after a test's flush): nothing is cached.

    A new table the feed shows needs its triggers (a migration like ``0009_feed_version``);
    so does a content table SQLite rebuilds in a migration (a rebuilt table loses its
    triggers): ``tests/advocacy/test_feed_cache.py`` checks every write path changes the token.
    """

    id = models.PositiveSmallIntegerField(primary_key=True)
    token = models.BigIntegerField()

    class Meta:
        verbose_name = "feed version"

    def __str__(self) -> str:
        return f"feed version {self.token}"
