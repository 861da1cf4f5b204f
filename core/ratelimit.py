"""Sliding-window limits in Redis, shared by every process.

A window is a sorted set of the times places were taken; one Lua script trims, counts and
takes a place in *all* the given windows or in none, so concurrent workers cannot both
take the last place. Used for the networks' posting budgets and the password-reset limits.
Times are ``time.time()`` seconds, so tests move them with a fake clock.
"""

from collections.abc import Sequence

# KEYS = the windows; ARGV = now, window seconds, member, then one limit per key.
# Returns '0' (a place taken in every window) or the seconds until the fullest has room.
_TAKE = """
local now, window, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, oldest[2] + window - now)
  end
end
if wait > 0 then return tostring(wait) end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('EXPIRE', key, math.ceil(window) + 60)
end
return '0'
"""


def sliding_window_take(
    client, windows: Sequence[tuple[str, int]], *, window_seconds: float, member: str, now: float
) -> float:
    """Take one place (named ``member``) in every ``(key, limit)`` window, or none.

    Returns 0.0 when taken, else the seconds until there is room (at least a millisecond).
    Redis errors propagate: each caller decides whether its limit fails open."""
    keys = [key for key, _ in windows]
    limits = [limit for _, limit in windows]
    wait = float(client.register_script(_TAKE)(keys=keys, args=[now, window_seconds, member, *limits]))
    return max(wait, 0.001) if wait > 0 else 0.0
