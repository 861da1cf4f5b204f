"""Password reset limits, shared by every web process through Redis.

A reset request may send an email only if, in the last hour, its address has had fewer
than ``PASSWORD_RESET_PER_ADDRESS`` and its client fewer than ``PASSWORD_RESET_PER_CLIENT``
requests let through. Refused requests are not counted, so hammering an address does not
keep its owner out once the hour has passed. The page answers the same either way: a
refusal must not tell anyone whether the address has an account.

One Lua script checks and records both counts (sorted sets of request times, a true
sliding hour), so concurrent workers cannot both take the last slot. Addresses are stored
as keyed hashes, never in clear. If Redis cannot be reached the limit fails open (logged):
a Redis outage must not stop people from resetting their password.
Times are ``time.time()`` seconds, so tests move them with a fake clock.
"""

import logging
import time
import uuid

import redis
from django.conf import settings
from django.utils.crypto import salted_hmac

from core.redis import get_redis

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 3600

# KEYS = the address's and the client's sorted sets; ARGV = now, window, the two limits,
# a unique member. Returns 1 (let through, recorded in both) or 0 (refused, not recorded).
_ALLOW = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 1, 2 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[2 + i]) then return 0 end
end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now, ARGV[5])
  redis.call('EXPIRE', KEYS[i], math.ceil(window))
end
return 1
"""


def _address_key(email: str) -> str:
    digest = salted_hmac("chorus.accounts.password-reset", email.strip().casefold()).hexdigest()
    return f"throttle:reset:address:{digest}"


def password_reset_allow(*, email: str, client: str, now: float | None = None) -> bool:
    """May a reset email go to ``email`` for a request from ``client`` (an IP address)?"""
    now = time.time() if now is None else now
    try:
        allowed = get_redis().register_script(_ALLOW)(
            keys=[_address_key(email), f"throttle:reset:client:{client}"],
            args=[
                now,
                WINDOW_SECONDS,
                settings.PASSWORD_RESET_PER_ADDRESS,
                settings.PASSWORD_RESET_PER_CLIENT,
                uuid.uuid4().hex,
            ],
        )
    except redis.RedisError as exc:
        logger.error("password reset limit skipped (Redis unavailable): %s", type(exc).__name__)
        return True
    if not allowed:
        logger.warning("password reset email withheld: limit reached (client=%s)", client)
    return bool(allowed)
