"""Resilience (read from the environment): how long a web request may wait on Redis, and how
the stale-share sweep tells a lost message from one still waiting for a worker.

The broker's own publish timeout and backoff are in ``celery.py`` (BROKER_PUBLISH_TIMEOUT,
BROKER_BACKOFF_SECONDS)."""

from .celery import CELERY_TASK_TIME_LIMIT
from .env import env

# Redis from inside a web request (throttles, the click buffer; core.redis.web_redis): the
# longest wait per call, and how long a process then leaves Redis alone after a call that
# could not connect or timed out (a hung Redis costs one timeout per process per backoff).
REDIS_WEB_TIMEOUT: float = env.float("REDIS_WEB_TIMEOUT", default=0.2)
REDIS_WEB_BACKOFF_SECONDS: float = env.float("REDIS_WEB_BACKOFF_SECONDS", default=30.0)

# The stale sweep re-dispatches a queued share only if no message for it is left in the
# broker: neither waiting in its queue nor reserved by a worker (the Redis transport's
# "unacked" hash). A reservation older than this (from its countdown, if later) is taken for
# a dead worker's — Redis would hand the message back only after the visibility timeout, an
# hour — and the share is sent again, the posting task's claim keeping it to one post. With
# a prefetch of one, a live worker starts a reserved message within one task's time limit.
SHARE_SWEEP_RESERVED_GRACE_SECONDS: int = env.int(
    "SHARE_SWEEP_RESERVED_GRACE_SECONDS", default=2 * CELERY_TASK_TIME_LIMIT
)
# The sweep reads at most this many posting messages (queued, and reserved); more means the
# workers are behind, not that messages were lost: nothing is re-dispatched then.
SHARE_SWEEP_MAX_SCAN: int = env.int("SHARE_SWEEP_MAX_SCAN", default=10000)
