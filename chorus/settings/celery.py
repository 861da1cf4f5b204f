"""Celery: broker, queues, reliability knobs and the beat schedule.

Queues are separate so that a digest run never delays a share: ``shares``
(posting), ``notify`` (emails, in-app), ``metrics`` (engagement polling) and
``default``.
"""

from datetime import timedelta

from kombu import Exchange, Queue

from .base import VAR_DIR
from .env import env

# The embedded default is the redis-server that `make run` starts (manage.py run_redis).
EMBEDDED_REDIS_PORT: int = env.int("EMBEDDED_REDIS_PORT", default=6390)
REDIS_URL: str = env.str("REDIS_URL", default=f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0")

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None  # tasks record their outcome in the database
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True

# A task is acknowledged after it ran, and re-queued if its worker died.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
# Redis redelivers unacknowledged tasks after this long; must exceed the time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 5,
    "socket_connect_timeout": 3,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when Redis is down or hung: the row is in the
# database already and a beat sweep dispatches it later. Every publish (web, beat, tasks
# that enqueue) waits at most BROKER_PUBLISH_TIMEOUT seconds per attempt (chorus/celery.py
# gives the producers' connections these socket timeouts; consumers keep the ones above),
# with one immediate retry on a fresh connection (a Redis that restarted).
BROKER_PUBLISH_TIMEOUT: float = env.float("BROKER_PUBLISH_TIMEOUT", default=0.2)
# After a failed publish, a web process stops trying for this long (the sweeps dispatch
# what it recorded), so a hung Redis does not cost every request the timeout.
BROKER_BACKOFF_SECONDS: float = env.float("BROKER_BACKOFF_SECONDS", default=10.0)
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}

CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name)
    for name in ("shares", "notify", "metrics", "default")
]
CELERY_TASK_ROUTES = {
    "advocacy.share_post": {"queue": "shares"},
    "content.fetch_link_preview": {"queue": "default"},
    "notify.*": {"queue": "notify"},
    "metrics.*": {"queue": "metrics"},
}

CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE: dict = {
    "heartbeat": {
        "task": "advocacy.heartbeat",
        "schedule": timedelta(seconds=30),
        "options": {"queue": "default", "expires": 60},
    },
    "content-publish-due": {"task": "content.publish_due", "schedule": timedelta(minutes=1)},
    "content-expire-due": {"task": "content.expire_due", "schedule": timedelta(minutes=1)},
    "content-poll-feeds": {"task": "content.poll_feeds", "schedule": timedelta(minutes=5)},
    "shares-dispatch-due": {"task": "advocacy.shares_dispatch_due", "schedule": timedelta(minutes=1)},
    "shares-sweep-stale": {"task": "advocacy.shares_sweep_stale", "schedule": timedelta(minutes=2)},
    "tokens-refresh-due": {"task": "advocacy.tokens_refresh_due", "schedule": timedelta(minutes=10)},
    "tokens-warn-expiring": {"task": "advocacy.tokens_warn_expiring", "schedule": timedelta(hours=1)},
    "send-pending-invitations": {
        "task": "accounts.send_pending_invitations",
        "schedule": timedelta(minutes=5),
    },
}

# /healthz: a heartbeat older than this counts as down.
HEARTBEAT_MAX_AGE_SECONDS: int = env.int("HEARTBEAT_MAX_AGE_SECONDS", default=120)
