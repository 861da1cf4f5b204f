"""Password reset limits, shared by every web process through Redis.

A reset request may send an email only if, in the last hour, its address has had fewer
than ``PASSWORD_RESET_PER_ADDRESS`` and its client fewer than ``PASSWORD_RESET_PER_CLIENT``
requests let through. Refused requests are not counted, so hammering an address does not
keep its owner out once the hour has passed. The page answers the same either way: a
refusal must not tell anyone whether the address has an account.

Both counts are one ``core.ratelimit`` sliding hour (checked and recorded together, so
concurrent workers cannot both take the last slot). Addresses are stored
as keyed hashes, never in clear. If Redis cannot be reached the limit fails open (logged):
a Redis outage must not stop people from resetting their password, nor make the page wait
(the web's short timeout and backoff, ``core.redis.web_redis``).
Times are ``time.time()`` seconds, so tests move them with a fake clock.
"""

import logging
import time
import uuid

import redis
from django.conf import settings
from django.utils.crypto import salted_hmac

from core.ratelimit import sliding_window_take
from core.redis import RedisSkipped, web_redis

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600


def _address_key(email: str) -> str:
    digest = salted_hmac("chorus.accounts.password-reset", email.strip().casefold()).hexdigest()
    return f"throttle:reset:address:{digest}"


def password_reset_allow(*, email: str, client: str, now: float | None = None) -> bool:
    """May a reset email go to ``email`` for a request from ``client`` (an IP address)?"""
    now = time.time() if now is None else now
    try:
        with web_redis() as redis_client:
            wait = sliding_window_take(
                redis_client,
                [(_address_key(email), settings.PASSWORD_RESET_PER_ADDRESS),
                 (f"throttle:reset:client:{client}", settings.PASSWORD_RESET_PER_CLIENT)],
                window_seconds=WINDOW_SECONDS, member=uuid.uuid4().hex, now=now,
            )
    except RedisSkipped:  # failed a moment ago (logged then)
        return True
    except redis.RedisError as exc:
        logger.error("password reset limit skipped (Redis unavailable): %s", type(exc).__name__)
        return True
    if wait:
        logger.warning("password reset email withheld: limit reached (client=%s)", client)
    return not wait
