"""The Redis client for application use (budgets, locks, throttles). The broker is Celery's business.

Two ways in, by who is waiting:

- :func:`get_redis` for workers and beat: socket timeouts of 2 s, enough for a busy Redis.
- :func:`web_redis` for code that runs inside a web request (throttles, the click buffer):
  ``REDIS_WEB_TIMEOUT`` seconds per call (0.2), no retries, and a *circuit*: a call that
  could not connect or timed out makes web requests skip Redis for
  ``REDIS_WEB_BACKOFF_SECONDS`` (30), raising :class:`RedisSkipped` at once. A hung Redis
  (it accepts connections and never answers) then costs one request one short timeout,
  not every request a long one. The circuit is per Redis URL and *machine-wide*: the
  process that saw the failure remembers it, and also stamps a file in
  ``REDIS_WEB_CIRCUIT_DIR`` (its modification time is "skip until"), which every other
  process on the machine checks with one ``stat`` — so four gunicorn workers pay one
  timeout per backoff, not four. An empty ``REDIS_WEB_CIRCUIT_DIR`` keeps the circuit per
  process. It is only a hint either way: once the backoff has passed, Redis is asked again.

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

import hashlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# Per process and per Redis URL: until when (time.monotonic()) web requests leave it alone.
# The machine-wide copy is the stamp file's modification time (wall clock): see _stamp_path.
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


@lru_cache(maxsize=16)
def _stamp_path(folder: str, url: str, kind: str = "down") -> Path | None:
    """The stamp file of ``kind`` for ``url`` in ``folder``, or None when there is none to
    use: no folder configured, or one this user cannot create or does not own alone (another
    local user must not be able to open the circuit, which makes the throttles fail open)."""
    if not folder:
        return None
    path = Path(folder)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError as exc:
        logger.warning("REDIS_WEB_CIRCUIT_DIR %s is unusable (%s): the Redis circuit stays per process", folder, exc)
        return None
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        logger.warning("REDIS_WEB_CIRCUIT_DIR %s is not this user's alone: the Redis circuit stays per process", folder)
        return None
    # The URL may carry a password: only a digest of it names the file.
    return path / f"redis-{hashlib.sha256(url.encode()).hexdigest()[:16]}.{kind}"


def _stamp() -> Path | None:
    return _stamp_path(settings.REDIS_WEB_CIRCUIT_DIR, settings.REDIS_URL)


def machine_stamp(kind: str) -> Path | None:
    """A file every process of this machine using the same Redis can see (in
    ``REDIS_WEB_CIRCUIT_DIR``), for news that must reach them all at once (e.g.
    ``advocacy.links``: a tracked link's destination changed); None if there is none."""
    return _stamp_path(settings.REDIS_WEB_CIRCUIT_DIR, settings.REDIS_URL, kind)


def web_redis_down() -> bool:
    """Whether web requests skip Redis right now: a call failed, in this process or another
    one on the machine, less than ``REDIS_WEB_BACKOFF_SECONDS`` ago."""
    url = settings.REDIS_URL
    now = time.monotonic()
    if now < _web_down_until.get(url, 0.0):
        return True
    path = _stamp()
    if path is None:
        return False
    try:
        left = path.stat().st_mtime - time.time()
    except OSError:  # no stamp: nobody saw Redis fail
        return False
    # A stamp further ahead than one backoff is not ours to trust (a clock set back).
    if 0 < left <= settings.REDIS_WEB_BACKOFF_SECONDS + 1:
        _web_down_until[url] = now + left  # no stat until then
        return True
    return False


def web_redis_failed(exc: BaseException) -> None:
    """Open the circuit: web requests of every process on this machine leave Redis alone
    for ``REDIS_WEB_BACKOFF_SECONDS``."""
    backoff = settings.REDIS_WEB_BACKOFF_SECONDS
    _web_down_until[settings.REDIS_URL] = time.monotonic() + backoff
    path = _stamp()
    if path is not None:
        until = time.time() + backoff
        try:
            path.touch(mode=0o600)
            os.utime(path, (until, until))
        except OSError as exc2:
            logger.warning("could not stamp the Redis circuit for the other processes: %s", exc2)
    logger.warning("Redis did not answer a web request in time (%s): skipping it for %.0f s",
                   type(exc).__name__, backoff)


def web_redis_reset() -> None:
    """Close the circuit of the current Redis URL, in this process and for the machine (a
    fresh start: tests and benchmarks)."""
    _web_down_until.pop(settings.REDIS_URL, None)
    path = _stamp()
    if path is not None:
        path.unlink(missing_ok=True)


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
