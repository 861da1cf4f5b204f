"""Analytics settings (read from the environment): click tracking, engagement polling,
rollups, earned media value and the beat schedule of the ``metrics`` queue."""

from datetime import timedelta

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .env import env

# --- click tracking on /r/<code> ---
# "buffer": the redirect pushes one record to a Redis list and beat flushes it in bulk
# (falls back to a direct insert while Redis is unreachable); "direct": one INSERT per
# click. BENCHMARKS.md has the numbers behind the default.
ANALYTICS_CLICK_RECORDING: str = env.str("ANALYTICS_CLICK_RECORDING", default="buffer")
# Seconds the redirect waits for Redis before falling back; after a failure the web
# process skips Redis for ANALYTICS_REDIS_BACKOFF seconds.
ANALYTICS_REDIS_TIMEOUT: float = env.float("ANALYTICS_REDIS_TIMEOUT", default=0.25)
ANALYTICS_REDIS_BACKOFF: float = env.float("ANALYTICS_REDIS_BACKOFF", default=30.0)
# Records taken from the buffer per batch, and batches per flush run.
ANALYTICS_FLUSH_BATCH: int = env.int("ANALYTICS_FLUSH_BATCH", default=5000)
ANALYTICS_FLUSH_MAX_BATCHES: int = env.int("ANALYTICS_FLUSH_MAX_BATCHES", default=40)
# How often beat flushes clicks and refreshes the rollups (seconds): numbers are at most
# this old (plus the run time).
ANALYTICS_ROLLUP_SECONDS: int = env.int("ANALYTICS_ROLLUP_SECONDS", default=60)

# --- engagement polling ---
# Seconds after posting at which engagement is read; after the last one, never again.
ANALYTICS_POLL_SCHEDULE: list[int] = env.list(
    "ANALYTICS_POLL_SCHEDULE", cast=int,
    default=[3600, 6 * 3600, 24 * 3600, 3 * 86400, 7 * 86400, 30 * 86400],
)
ANALYTICS_POLL_SECONDS: int = env.int("ANALYTICS_POLL_SECONDS", default=300)
# Most shares one sweep polls (the rest wait for the next sweep).
ANALYTICS_POLL_MAX_SHARES: int = env.int("ANALYTICS_POLL_MAX_SHARES", default=5000)
# X tweet lookups Chorus allows itself per 15 minutes (the app-auth limit of your plan).
ANALYTICS_X_LOOKUPS_PER_15_MIN: int = env.int("ANALYTICS_X_LOOKUPS_PER_15_MIN", default=300)
# LinkedIn memberCreatorPostAnalytics calls per UTC day (five per post).
ANALYTICS_LINKEDIN_CALLS_PER_DAY: int = env.int("ANALYTICS_LINKEDIN_CALLS_PER_DAY", default=20000)

# --- retention of raw rows ---
# A share's rollups may still be rebuilt from its raw rows while its engagement is polled
# (the last poll, plus a margin for late confirmations): a shorter retention would lose counts.
ANALYTICS_RETENTION_MIN_DAYS: int = max(ANALYTICS_POLL_SCHEDULE, default=0) // 86400 + 30


def _retention_days(name: str, default: int) -> int:
    days = env.int(name, default=default)
    if days < 0 or 0 < days < ANALYTICS_RETENTION_MIN_DAYS:
        raise ImproperlyConfigured(
            f"{name}={days}: use 0 (keep forever) or at least {ANALYTICS_RETENTION_MIN_DAYS} days "
            "(the last engagement poll after posting, plus 30 days)."
        )
    return days


# Days that raw clicks and engagement snapshots are kept (0 = forever). Older rows are
# deleted by beat (``metrics.purge_raw``) once the rollup sweep has counted them:
# dashboards, points, leaderboards and exports read the rollups, so no number changes.
ANALYTICS_CLICK_RETENTION_DAYS: int = _retention_days("ANALYTICS_CLICK_RETENTION_DAYS", 395)
ANALYTICS_SNAPSHOT_RETENTION_DAYS: int = _retention_days("ANALYTICS_SNAPSHOT_RETENTION_DAYS", 395)
# Rows deleted per statement, and at most this many statements per run (the rest next run).
ANALYTICS_RETENTION_BATCH: int = env.int("ANALYTICS_RETENTION_BATCH", default=5000)
ANALYTICS_RETENTION_MAX_BATCHES: int = env.int("ANALYTICS_RETENTION_MAX_BATCHES", default=100)

# --- reporting ---
# Currency of earned media value (EMV rate versions exist per network and currency).
ANALYTICS_CURRENCY: str = env.str("ANALYTICS_CURRENCY", default="USD").upper()
# Dashboard default period in days.
ANALYTICS_DEFAULT_DAYS: int = env.int("ANALYTICS_DEFAULT_DAYS", default=28)
# The analytics page's period-independent panels (funnel, connection health, campaign
# progress) are read from a snapshot at most this many seconds old (0: counted live on
# every view); beat refreshes it every ANALYTICS_PANELS_REFRESH_SECONDS.
ANALYTICS_PANELS_MAX_AGE: int = env.int("ANALYTICS_PANELS_MAX_AGE", default=600)
ANALYTICS_PANELS_REFRESH_SECONDS: int = env.int("ANALYTICS_PANELS_REFRESH_SECONDS", default=240)
# The unfiltered page's figures for these quick periods (keys of analytics.periods.PRESETS;
# the default period is always kept) are counted by the same beat task into a snapshot,
# read by the page while ANALYTICS_PANELS_MAX_AGE allows and it is of today. A period
# whose inputs show no change is only re-dated, but recounted at least every
# ANALYTICS_PAGE_SNAPSHOT_RECOUNT_SECONDS (catches renames, rates edited in place).
ANALYTICS_PAGE_SNAPSHOT_PERIODS: list[str] = env.list(
    "ANALYTICS_PAGE_SNAPSHOT_PERIODS", default=["7d", "28d", "90d", "365d", "month", "last_month", "quarter", "year"])
ANALYTICS_PAGE_SNAPSHOT_RECOUNT_SECONDS: int = env.int("ANALYTICS_PAGE_SNAPSHOT_RECOUNT_SECONDS", default=3600)
_QUICK_PERIODS = {"7d", "28d", "90d", "365d", "month", "last_month", "quarter", "year"}  # analytics.periods.PRESETS
if _unknown := sorted(set(ANALYTICS_PAGE_SNAPSHOT_PERIODS) - _QUICK_PERIODS):
    raise ImproperlyConfigured(f"ANALYTICS_PAGE_SNAPSHOT_PERIODS: unknown period {', '.join(_unknown)} "
                               f"(choose from {', '.join(sorted(_QUICK_PERIODS))})")

ANALYTICS_BEAT_SCHEDULE: dict = {
    "metrics-rollup": {
        "task": "metrics.rollup",
        "schedule": timedelta(seconds=ANALYTICS_ROLLUP_SECONDS),
        "options": {"expires": ANALYTICS_ROLLUP_SECONDS},
    },
    "metrics-poll-due": {
        "task": "metrics.poll_due",
        "schedule": timedelta(seconds=ANALYTICS_POLL_SECONDS),
        "options": {"expires": ANALYTICS_POLL_SECONDS},
    },
    # Hourly keeps today's enrolment snapshot current; the last run of a day freezes it.
    "metrics-enrolment-snapshot": {"task": "metrics.enrolment_snapshot", "schedule": crontab(minute=55)},
    "metrics-panels-refresh": {
        "task": "metrics.panels_refresh",
        "schedule": timedelta(seconds=ANALYTICS_PANELS_REFRESH_SECONDS),
        "options": {"expires": ANALYTICS_PANELS_REFRESH_SECONDS},
    },
    "metrics-purge-salts": {"task": "metrics.purge_salts", "schedule": crontab(minute=7, hour="*/6")},
    # Daily; a run that leaves old rows behind (a backlog: retention switched on over years
    # of clicks) queues the next one itself, so the backlog goes in bounded runs.
    "metrics-purge-raw": {"task": "metrics.purge_raw", "schedule": crontab(minute=23, hour=3),
                          "options": {"expires": 3600}},
}
