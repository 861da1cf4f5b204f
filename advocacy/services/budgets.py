"""Rate budgets checked in Redis *before* calling a network, so Chorus never throttles
itself into provider errors.

- X: 100 posts per 15 minutes per user and 10,000 per 24 hours per app (sliding windows).
- LinkedIn: a configurable number of posts per member per UTC day (default 150); the
  provider's own limit resets at midnight UTC.

A reservation is taken atomically (a Lua script) and released if the call is not made.
If Redis cannot be reached the check fails open: the provider's 429 handling still
protects us, and a Redis outage must not stop every share.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from core.redis import get_redis

logger = logging.getLogger(__name__)

# KEYS[1] = sorted set; ARGV = now, window, limit, member. Returns 0 if reserved, else
# the seconds until the oldest entry leaves the window.
_SLIDING = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, member)
  redis.call('EXPIRE', key, math.ceil(window) + 60)
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(oldest[2] + window - now)
"""


@dataclass(frozen=True)
class Reservation:
    ok: bool
    retry_after: float = 0.0
    reason: str = ""
    keys: tuple[tuple[str, str], ...] = ()  # (key, member) to release


def _seconds_to_utc_midnight(now: datetime) -> float:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


def budget_reserve(*, network: str, account_id: int, now: float | None = None) -> Reservation:
    """Reserve one post for ``account_id`` on ``network`` or say how long to wait."""
    now = time.time() if now is None else now
    member = uuid.uuid4().hex
    try:
        client = get_redis()
        if network == "x":
            buckets = [
                (f"budget:x:user:{account_id}", 15 * 60, settings.X_USER_POSTS_PER_15_MIN,
                 f"X allows {settings.X_USER_POSTS_PER_15_MIN} posts per 15 minutes per person"),
                ("budget:x:app", 24 * 3600, settings.X_APP_POSTS_PER_24_H,
                 f"X allows this app {settings.X_APP_POSTS_PER_24_H:,} posts per day"),
            ]
            script = client.register_script(_SLIDING)
            taken: list[tuple[str, str]] = []
            for key, window, limit, why in buckets:
                wait = float(script(keys=[key], args=[now, window, limit, member]))
                if wait > 0:
                    _release(client, taken)
                    return Reservation(False, retry_after=max(wait, 1.0), reason=why)
                taken.append((key, member))
            return Reservation(True, keys=tuple(taken))
        day = datetime.fromtimestamp(now, tz=UTC)
        key = f"budget:linkedin:member:{account_id}:{day:%Y%m%d}"
        count = client.incr(key)
        client.expire(key, 2 * 86400)
        if count > settings.LINKEDIN_MEMBER_DAILY_POSTS:
            client.decr(key)
            return Reservation(
                False, retry_after=_seconds_to_utc_midnight(day),
                reason=f"LinkedIn allows {settings.LINKEDIN_MEMBER_DAILY_POSTS} posts per person per day",
            )
        return Reservation(True, keys=((key, ""),))
    except Exception as exc:  # Redis down: fail open, the provider's 429 still protects us
        logger.warning("budget check skipped: %s", type(exc).__name__)
        return Reservation(True)


def budget_release(reservation: Reservation) -> None:
    """Give back a reservation whose call was not made."""
    try:
        _release(get_redis(), list(reservation.keys))
    except Exception:
        logger.warning("could not release a budget reservation")


def _release(client, taken: list[tuple[str, str]]) -> None:
    for key, member in taken:
        if member:
            client.zrem(key, member)
        else:
            client.decr(key)
