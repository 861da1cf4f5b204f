"""Notification and digest settings (read from the environment)."""

from celery.schedules import crontab

from .env import env

# Advocates per fan-out task when an item is published (one task, bulk writes per chunk).
NOTIFY_FANOUT_CHUNK_SIZE: int = env.int("NOTIFY_FANOUT_CHUNK_SIZE", default=500)
# Advocates per digest task.
DIGEST_CHUNK_SIZE: int = env.int("DIGEST_CHUNK_SIZE", default=500)
# Items shown in a digest, and how many live items are considered for it.
DIGEST_ITEMS: int = env.int("DIGEST_ITEMS", default=5)
DIGEST_CANDIDATE_ITEMS: int = env.int("DIGEST_CANDIDATE_ITEMS", default=100)
# Don't send a digest to someone with nothing new to share.
SKIP_EMPTY_DIGESTS: bool = env.bool("SKIP_EMPTY_DIGESTS", default=True)
# A digest whose local hour passed while beat was down is still sent this many hours late.
DIGEST_CATCH_UP_HOURS: int = env.int("DIGEST_CATCH_UP_HOURS", default=6)
# Failed emails are retried with growing delays, this many attempts in all.
NOTIFY_MAX_ATTEMPTS: int = env.int("NOTIFY_MAX_ATTEMPTS", default=5)
# "Share now" links in emails expire after this many seconds (14 days).
NOTIFY_SHARE_LINK_MAX_AGE: int = env.int("NOTIFY_SHARE_LINK_MAX_AGE", default=14 * 24 * 3600)
# One-click unsubscribe links keep working this long (a year).
NOTIFY_UNSUBSCRIBE_MAX_AGE: int = env.int("NOTIFY_UNSUBSCRIBE_MAX_AGE", default=365 * 24 * 3600)
# (connect, read) timeout in seconds for Slack incoming webhooks.
SLACK_WEBHOOK_TIMEOUT: tuple[float, float] = tuple(
    env.list("SLACK_WEBHOOK_TIMEOUT", cast=float, default=[3.0, 5.0])
)  # type: ignore[assignment]

NOTIFICATIONS_BEAT_SCHEDULE: dict = {
    # On the hour: whoever's local digest time has come (each run is safe to repeat).
    "notify-digests-due": {"task": "notify.digests_due", "schedule": crontab(minute=0)},
    "notify-retry-due": {"task": "notify.retry_due", "schedule": crontab(minute="*/5")},
    "notify-fanout-sweep": {"task": "notify.fanout_sweep", "schedule": crontab(minute="*/2")},
}
