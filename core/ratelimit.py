"""Sliding-window limits in Redis, shared by every process.

A window is a sorted set of the times places were taken; one Lua script trims, counts and
takes a place in *all* the given windows or in none, so concurrent workers cannot both
take the last place. Used for the networks' posting budgets and the password-reset limits.
Times are ``time.time()`` seconds, so tests move them with a fake clock.

``sliding_window_lease`` takes several places of one window at once, for a caller that
hands them out itself (the API throttle: one round trip per lease instead of per request).
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


# KEYS[1] = the window; ARGV = now, window seconds, limit, places wanted, member prefix, then
# the members to give back first (places leased earlier and never used).
# Returns {places taken (0: none), seconds until there is room}.
_LEASE = """
local now, window, limit, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local key = KEYS[1]
for i = 6, #ARGV do redis.call('ZREM', key, ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local room = limit - redis.call('ZCARD', key)
if room <= 0 then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {0, tostring(oldest[2] + window - now)}
end
local taken = math.min(room, want)
local places = {}
for i = 1, taken do
  places[#places + 1] = now
  places[#places + 1] = ARGV[5] .. ':' .. i
end
redis.call('ZADD', key, unpack(places))
redis.call('EXPIRE', key, math.ceil(window) + 60)
return {taken, '0'}
"""


def lease_member(prefix: str, place: int) -> str:
    """The member of a lease's ``place``-th place (from 1)."""
    return f"{prefix}:{place}"


def sliding_window_lease(
    client, key: str, *, limit: int, window_seconds: float, want: int, prefix: str, now: float,
    give_back: Sequence[str] = (),
) -> tuple[int, float]:
    """Take up to ``want`` places in the window ``key`` at once (members ``prefix:1`` ...),
    first giving back ``give_back`` (members of an earlier lease left unused).

    Returns (places taken, 0.0), or (0, seconds until there is room) when it is full."""
    taken, wait = client.register_script(_LEASE)(
        keys=[key], args=[now, window_seconds, limit, want, prefix, *give_back])
    taken, wait = int(taken), float(wait)
    return (taken, 0.0) if taken else (0, max(wait, 0.001))
