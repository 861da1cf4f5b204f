"""Resilience (read from the environment): how long a web request may wait on Redis, and how
the stale-share sweep tells a lost message from one still waiting for a worker.

The broker's own publish timeout and backoff are in ``celery.py`` (BROKER_PUBLISH_TIMEOUT,
BROKER_BACKOFF_SECONDS)."""

import os
import tempfile

from .celery import CELERY_TASK_TIME_LIMIT
from .env import env

# Redis from inside a web request (throttles, the click buffer; core.redis.web_redis): the
# longest wait per call, and how long a process then leaves Redis alone after a call that
# could not connect or timed out (a hung Redis costs one timeout per process per backoff).
REDIS_WEB_TIMEOUT: float = env.float("REDIS_WEB_TIMEOUT", default=0.2)
REDIS_WEB_BACKOFF_SECONDS: float = env.float("REDIS_WEB_BACKOFF_SECONDS", default=30.0)
# Where that circuit is shared by every process of the machine (a stamp file per Redis URL,
# whose modification time says until when): one gunicorn worker's timeout opens it for all.
# A folder of this user's alone (created 0700); empty = each process finds out for itself.
REDIS_WEB_CIRCUIT_DIR: str = env.str(
    "REDIS_WEB_CIRCUIT_DIR", default=os.path.join(tempfile.gettempdir(), f"chorus-redis-circuit-{os.getuid()}")
)

# The tracked link /r/<code> (analytics.services.clicks.click_follow): each web process keeps
# code -> (share, destination) in memory, so a click reads no database. An entry is used only
# while Redis's "links generation" (replaced after any change of an item's link, its
# campaign's UTM tag or a share's item) is the one it was read under, checked in the same
# round trip as the click's RPUSH; and never longer than LINK_CACHE_SECONDS (the bound on a
# stale destination should the generation's replacement itself have failed).
LINK_CACHE_SECONDS: float = env.float("LINK_CACHE_SECONDS", default=60.0)
LINK_CACHE_SIZE: int = env.int("LINK_CACHE_SIZE", default=20000)
# A click is sent to the Redis buffer by a background thread of its web process, with the
# others of the last ANALYTICS_CLICK_SHIP_SECONDS, in one round trip that also reads the links
# generation; the request waits on nothing. 0: each click is sent within its own request.
ANALYTICS_CLICK_SHIP_SECONDS: float = env.float("ANALYTICS_CLICK_SHIP_SECONDS", default=0.05)
# ... and a remembered destination is then trusted on a generation read at most this long ago
# (how late another machine may follow a changed link; this machine's processes follow it at
# once, through a stamp file in REDIS_WEB_CIRCUIT_DIR). Older: the click's own round trip reads it.
LINK_CACHE_CHECK_SECONDS: float = env.float("LINK_CACHE_CHECK_SECONDS", default=0.25)

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
