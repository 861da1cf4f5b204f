"""Rate budgets checked in Redis *before* calling a network, so Chorus never throttles
itself into provider errors.

Which limits a network has is the network's business: its adapter describes them
(``NetworkAdapter.post_budgets``, a tuple of ``networks.PostBudget``; X has a per-person
15-minute and a per-app 24-hour sliding window, LinkedIn a per-member UTC day). This
module only keeps the counts:

- a sliding window is ``core.ratelimit``'s (a sorted set of reservation times, trimmed and
  counted atomically); a full window says when its oldest entry leaves;
- a UTC day is a counter keyed by the date; a full day waits until midnight UTC.

A post needs room in every budget of its network; the ones already taken are given back
when a later one is full, and ``budget_release`` gives all of them back if the call is not
made. If Redis cannot be reached the check fails open: the provider's 429 handling still
protects us, and a Redis outage must not stop every share.
"""

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.ratelimit import sliding_window_take
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


def _take_sliding(client, key: str, *, window: timedelta, limit: int, member: str, now: float) -> float:
    """Reserve one place in a sliding window; 0, or the seconds until there is room."""
    wait = sliding_window_take(client, [(key, limit)], window_seconds=window.total_seconds(), member=member, now=now)
    return max(wait, 1.0) if wait > 0 else 0.0


def _take_day(client, key: str, *, limit: int, day: datetime) -> float:
    """Count one post for the UTC day; 0, or the seconds until midnight UTC."""
    count = client.incr(key)
    client.expire(key, DAY_KEY_TTL)
    if count > limit:
        client.decr(key)
        return _seconds_to_utc_midnight(day)
    return 0.0


def budget_reserve(
    *, budgets: Sequence[PostBudget], account_id: int, now: float | None = None
) -> Reservation:
    """Reserve one post for ``account_id`` in every one of ``budgets`` (the network's
    ``adapter.post_budgets``), or say how long to wait and why."""
    now = time.time() if now is None else now
    day = datetime.fromtimestamp(now, tz=UTC)
    member = uuid.uuid4().hex
    try:
        client = get_redis()
        taken: list[tuple[str, str]] = []
        for budget in budgets:
            key = _redis_key(budget, account_id=account_id, day=day)
            if budget.window is None:
                wait = _take_day(client, key, limit=budget.limit, day=day)
                held = (key, "")
            else:
                wait = _take_sliding(client, key, window=budget.window, limit=budget.limit, member=member, now=now)
                held = (key, member)
            if wait > 0:
                _release(client, taken)
                return Reservation(False, retry_after=wait, reason=budget.reason)
            taken.append(held)
        return Reservation(True, keys=tuple(taken))
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
