"""The Redis client for application use (budgets, locks, throttles). The broker is Celery's business.

Two ways in, by who is waiting:

- :func:`get_redis` for workers and beat: socket timeouts of 2 s, enough for a busy Redis.
- :func:`web_redis` for code that runs inside a web request (throttles, the click buffer):
  ``REDIS_WEB_TIMEOUT`` seconds per call (0.2), no retries, and a per-process *circuit*:
  a call that could not connect or timed out makes this process skip Redis for
  ``REDIS_WEB_BACKOFF_SECONDS`` (30), raising :class:`RedisSkipped` at once. A hung Redis
  (it accepts connections and never answers) then costs one request per process one
  short timeout, not every request a long one. The circuit is per Redis URL and only a
  hint: each web process finds out for itself, and retries once the backoff has passed.

Every caller of :func:`web_redis` decides what failing open means for it (a throttle lets
the request through; the click buffer, which keeps its own client and settings
``ANALYTICS_REDIS_*`` but consults and opens this circuit, inserts the click directly) and
catches ``redis.RedisError``, which :class:`RedisSkipped` is::

    try:
        with web_redis() as client:
            wait = sliding_window_take(client, ...)
    except redis.RedisError:
        ...  # fail open
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# Per process and per Redis URL: until when (time.monotonic()) web requests leave it alone.
_web_down_until: dict[str, float] = {}


class RedisSkipped(redis.ConnectionError):
    """Redis failed a moment ago in this process, so it was not asked (``web_redis``'s circuit)."""


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2, health_check_interval=30)


@lru_cache(maxsize=4)
def _web_client(url: str, timeout: float) -> redis.Redis:
    # No retry on a timeout or a dropped connection (redis-py 6 would retry three times by
    # default): a request waits one timeout at most.
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                retry=Retry(NoBackoff(), 0))


def get_redis() -> redis.Redis:
    """For workers and beat (2 s timeouts). A web request uses :func:`web_redis`."""
    return _client(settings.REDIS_URL)


def web_redis_down() -> bool:
    """Whether this process is skipping Redis right now (a call failed less than
    ``REDIS_WEB_BACKOFF_SECONDS`` ago)."""
    return time.monotonic() < _web_down_until.get(settings.REDIS_URL, 0.0)


def web_redis_failed(exc: BaseException) -> None:
    """Open the circuit: this process leaves Redis alone for ``REDIS_WEB_BACKOFF_SECONDS``."""
    backoff = settings.REDIS_WEB_BACKOFF_SECONDS
    _web_down_until[settings.REDIS_URL] = time.monotonic() + backoff
    logger.warning("Redis did not answer a web request in time (%s): skipping it for %.0f s",
                   type(exc).__name__, backoff)


@contextmanager
def web_redis() -> Iterator[redis.Redis]:
    """A client with the web's short timeouts, or :class:`RedisSkipped` while the circuit is
    open. A connection failure or timeout inside the ``with`` block opens it (and is
    re-raised); other Redis errors (a wrong type, a script error) do not."""
    if web_redis_down():
        raise RedisSkipped("Redis failed a moment ago in this process; not asked")
    try:
        yield _web_client(settings.REDIS_URL, settings.REDIS_WEB_TIMEOUT)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        if not isinstance(exc, RedisSkipped):
            web_redis_failed(exc)
        raise
