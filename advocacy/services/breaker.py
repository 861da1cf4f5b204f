"""A circuit breaker per network, shared by every worker process through Redis.

When LinkedIn or X is down, every share posted to it would fail, back off and try again,
each on its own schedule: hundreds of requests into an outage, and a stampede when it ends.
The breaker turns that into a handful:

- **closed** (normal): every share may call the network. Each outage-type failure (a 5xx, a
  timeout, a connection error: see ``posting._is_outage``) adds one to a count of
  consecutive failures; any answer from the network (a post, a refusal, a 429) resets it.
  ``SHARE_BREAKER_THRESHOLD`` consecutive failures open the breaker.
- **open**: nobody calls the network. ``breaker_allow`` hands each share a release time at
  least ``SHARE_BREAKER_COOLDOWN_SECONDS`` away, one ``SHARE_BREAKER_DRAIN_SPACING_SECONDS``
  apart from the previous one, so the held shares come back one by one, not all at once.
- **half-open**: once the cool-down is over, exactly one share (the *probe*) is let through;
  everyone else is held a little longer. The probe's success closes the breaker (the held
  shares then drain at their spaced release times); its failure opens it again with twice
  the cool-down, up to ``SHARE_BREAKER_MAX_COOLDOWN_SECONDS``. A probe that never reports
  (its worker died, or it did not call the network after all) loses its lease after
  ``SHARE_BREAKER_PROBE_LEASE_SECONDS`` (or at once with ``breaker_release_probe``) and the
  next share probes.

Every decision is one Lua script, so concurrent workers see one consistent breaker. If
Redis cannot be reached the breaker fails open (every share may call the network): the
per-share backoff still spaces the retries, and a Redis outage must not stop all posting.
Times are ``time.time()`` seconds, so tests move them with a fake clock.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings

from advocacy.services.budgets import lua_script
from core.redis import get_redis

logger = logging.getLogger(__name__)

KEY_TTL = 86_400  # seconds the state of a quiet breaker is kept

# KEYS[1] = breaker hash; ARGV = now, probe lease, drain spacing, half-open hold.
# Returns {"allow"|"probe"|"hold", seconds to wait}.
_ALLOW = """
local key = KEYS[1]
local now, lease, spacing, hold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HGET', key, 'state')
if not state or state == 'closed' then return {'allow', '0'} end
local open_until = tonumber(redis.call('HGET', key, 'open_until') or '0')
local probe_until = tonumber(redis.call('HGET', key, 'probe_until') or '0')
if (state == 'open' and now >= open_until) or (state == 'half_open' and now >= probe_until) then
  redis.call('HSET', key, 'state', 'half_open', 'probe_until', tostring(now + lease))
  redis.call('EXPIRE', key, ARGV[5])
  return {'probe', '0'}
end
local release = open_until
if state == 'half_open' then release = now + hold end
local slot = tonumber(redis.call('HGET', key, 'next_slot') or '0')
if slot > release then release = slot end
redis.call('HSET', key, 'next_slot', tostring(release + spacing))
redis.call('EXPIRE', key, ARGV[5])
return {'hold', tostring(release - now)}
"""

# KEYS[1] = breaker hash; ARGV = now, was this the probe (0/1), threshold, base and max
# cool-down, ttl. Returns the state afterwards.
_FAILURE = """
local key = KEYS[1]
local now, probe, threshold = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local base, max = tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HGET', key, 'state') or 'closed'
local failures = redis.call('HINCRBY', key, 'failures', 1)
if state == 'half_open' and probe == 1 then
  local cooldown = math.min(math.max(tonumber(redis.call('HGET', key, 'cooldown') or '0') * 2, base), max)
  redis.call('HSET', key, 'state', 'open', 'open_until', tostring(now + cooldown), 'cooldown', tostring(cooldown),
             'opened', tostring(tonumber(redis.call('HGET', key, 'opened') or '0') + 1))
  redis.call('HDEL', key, 'probe_until')
  state = 'open'
elseif state == 'closed' and failures >= threshold then
  redis.call('HSET', key, 'state', 'open', 'open_until', tostring(now + base), 'cooldown', tostring(base),
             'opened', tostring(tonumber(redis.call('HGET', key, 'opened') or '0') + 1))
  redis.call('HDEL', key, 'next_slot')
  state = 'open'
end
redis.call('EXPIRE', key, ARGV[6])
return state
"""


@dataclass(frozen=True)
class Gate:
    """``breaker_allow``'s answer: call the network (as the probe, maybe), or wait ``retry_in``."""

    allowed: bool
    probe: bool = False
    retry_in: float = 0.0


def _key(network: str) -> str:
    return f"breaker:{network}"


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def breaker_allow(network: str, *, now: float | None = None) -> Gate:
    """May a share of ``network`` call it now? Held shares get their release time."""
    now = time.time() if now is None else now
    try:
        client = get_redis()
        kind, wait = lua_script(client, _ALLOW)(
            keys=[_key(network)],
            args=[
                now,
                _setting("SHARE_BREAKER_PROBE_LEASE_SECONDS", 120),
                _setting("SHARE_BREAKER_DRAIN_SPACING_SECONDS", 1),
                _setting("SHARE_BREAKER_COOLDOWN_SECONDS", 30),
                KEY_TTL,
            ],
        )
    except Exception as exc:  # Redis down: fail open
        logger.warning("circuit breaker skipped: %s", type(exc).__name__)
        return Gate(True)
    kind = kind.decode() if isinstance(kind, bytes) else str(kind)
    if kind == "hold":
        return Gate(False, retry_in=max(float(wait), 1.0))
    return Gate(True, probe=kind == "probe")


def breaker_failure(network: str, *, probe: bool = False, now: float | None = None) -> str:
    """An outage-type failure on ``network``; returns the breaker's state afterwards."""
    now = time.time() if now is None else now
    try:
        state = lua_script(get_redis(), _FAILURE)(
            keys=[_key(network)],
            args=[
                now,
                1 if probe else 0,
                int(_setting("SHARE_BREAKER_THRESHOLD", 5)),
                _setting("SHARE_BREAKER_COOLDOWN_SECONDS", 30),
                _setting("SHARE_BREAKER_MAX_COOLDOWN_SECONDS", 300),
                KEY_TTL,
            ],
        )
    except Exception as exc:
        logger.warning("circuit breaker not told of a failure: %s", type(exc).__name__)
        return "closed"
    state = state.decode() if isinstance(state, bytes) else str(state)
    if state == "open":
        logger.warning("circuit breaker for %s is open", network)
    return state


def breaker_success(network: str) -> None:
    """``network`` answered: close the breaker and forget the failures."""
    try:
        get_redis().delete(_key(network))
    except Exception as exc:
        logger.warning("circuit breaker not told of a success: %s", type(exc).__name__)


def breaker_release_probe(network: str) -> None:
    """The probe did not call the network after all (a budget wait, no token): let the next
    share probe now instead of after the lease."""
    try:
        client = get_redis()
        if client.hget(_key(network), "state") in (b"half_open", "half_open"):
            client.hset(_key(network), "probe_until", "0")
    except Exception as exc:
        logger.warning("circuit breaker probe not released: %s", type(exc).__name__)


def breaker_state(network: str, *, now: float | None = None) -> dict[str, float | str | bool]:
    """The breaker as stored (for the stale sweep, admins and tests): ``state`` is
    ``closed``, ``open`` or ``half_open``; ``waiting`` is True while shares are held."""
    now = time.time() if now is None else now
    try:
        raw = get_redis().hgetall(_key(network))
    except Exception:
        return {"state": "closed", "waiting": False}
    data = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
        for k, v in raw.items()
    }
    state = data.get("state", "closed")
    if state == "open":
        waiting = now < float(data.get("open_until", 0))
    else:
        waiting = state == "half_open" and now < float(data.get("probe_until", 0))
    result: dict[str, float | str | bool] = {"state": state, "waiting": waiting}
    for name in ("failures", "open_until", "cooldown", "probe_until", "next_slot", "opened"):
        if name in data:
            result[name] = float(data[name])
    return result
