"""Rate budgets checked in Redis *before* calling a network, so Chorus never throttles
itself into provider errors.

Which limits a network has is the network's business: its adapter describes them
(``NetworkAdapter.post_budgets``, a tuple of ``networks.PostBudget``; X has a per-person
15-minute and a per-app 24-hour sliding window, LinkedIn a per-member UTC day). This
module only keeps the counts:

- a sliding window is ``core.ratelimit``'s (a sorted set of reservation times, trimmed and
  counted atomically); a full window says when its oldest entry leaves;
- a UTC day is a counter keyed by the date; a full day waits until midnight UTC.

A post needs room in every budget of its network: one Lua script checks them all and
takes a place in every one or in none (one round trip to Redis per share, and no moment
where a place is held in one budget while another turns out to be full);
``budget_release`` gives all of them back if the call is not made. If Redis cannot be reached the check fails open: the provider's 429 handling still
protects us, and a Redis outage must not stop every share.
"""

import functools
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.redis import get_redis
from networks import PostBudget

logger = logging.getLogger(__name__)

DAY_KEY_TTL = 2 * 86400  # seconds a UTC day's counter outlives its day


@dataclass(frozen=True)
class Reservation:
    ok: bool
    retry_after: float = 0.0
    reason: str = ""
    keys: tuple[tuple[str, str], ...] = ()  # (key, member) to release; no member: a day counter


def _seconds_to_utc_midnight(now: datetime) -> float:
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


def _redis_key(budget: PostBudget, *, account_id: int, day: datetime) -> str:
    key = f"budget:{budget.key}"
    if budget.per_account:
        key += f":{account_id}"
    if budget.window is None:
        key += f":{day:%Y%m%d}"
    return key


# KEYS = the budgets' keys, in the adapter's order; ARGV = now, member, then per key: kind
# ("w" a sliding window, "d" a UTC day's counter), the window's seconds (or the day key's
# TTL), the limit, and the seconds to midnight UTC. A sliding window is a sorted set of
# reservation times (``core.ratelimit``'s layout), a day a counter. Returns {0, "0"} when a
# place was taken in every budget, else {n, seconds}: the first full budget (1-based) and
# how long until it has room; nothing is taken then.
_TAKE = """
local now, member = tonumber(ARGV[1]), ARGV[2]
local full, wait = 0, 0
for i, key in ipairs(KEYS) do
  local at = 2 + (i - 1) * 4
  local kind, span, limit = ARGV[at + 1], tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])
  local w = 0
  if kind == 'w' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
    if redis.call('ZCARD', key) >= limit then
      local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      w = math.max(oldest[2] + span - now, 0.001)
    end
  elseif tonumber(redis.call('GET', key) or '0') >= limit then
    w = tonumber(ARGV[at + 4])
  end
  if w > 0 and full == 0 then full, wait = i, w end
end
if full > 0 then return {full, tostring(wait)} end
for i, key in ipairs(KEYS) do
  local at = 2 + (i - 1) * 4
  if ARGV[at + 1] == 'w' then
    redis.call('ZADD', key, now, member)
    redis.call('EXPIRE', key, math.ceil(tonumber(ARGV[at + 2])) + 60)
  else
    redis.call('INCR', key)
    redis.call('EXPIRE', key, ARGV[at + 2])
  end
end
return {0, '0'}
"""


@functools.lru_cache(maxsize=16)
def lua_script(client, source: str):
    """The script object of ``source`` for ``client``, made once per process (making one hashes
    the source); calling it runs EVALSHA, loading the script first if Redis lost it."""
    return client.register_script(source)


def budget_reserve(
    *, budgets: Sequence[PostBudget], account_id: int, now: float | None = None
) -> Reservation:
    """Reserve one post for ``account_id`` in every one of ``budgets`` (the network's
    ``adapter.post_budgets``), or say how long to wait and why."""
    now = time.time() if now is None else now
    if not budgets:
        return Reservation(True)
    day = datetime.fromtimestamp(now, tz=UTC)
    member = uuid.uuid4().hex
    to_midnight = _seconds_to_utc_midnight(day)
    keys, args, held = [], [now, member], []
    for budget in budgets:
        key = _redis_key(budget, account_id=account_id, day=day)
        keys.append(key)
        if budget.window is None:
            args += ["d", DAY_KEY_TTL, budget.limit, to_midnight]
            held.append((key, ""))
        else:
            args += ["w", budget.window.total_seconds(), budget.limit, 0]
            held.append((key, member))
    try:
        full, wait = lua_script(get_redis(), _TAKE)(keys=keys, args=args)
    except Exception as exc:  # Redis down: fail open, the provider's 429 still protects us
        logger.warning("budget check skipped: %s", type(exc).__name__)
        return Reservation(True)
    if int(full):
        # A sliding window's wait is at least a second (no busy retries).
        return Reservation(False, retry_after=max(float(wait), 1.0), reason=budgets[int(full) - 1].reason)
    return Reservation(True, keys=tuple(held))


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
