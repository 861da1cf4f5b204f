"""Recording clicks on tracked links without slowing the redirect down.

The redirect builds a small record (no IP, no user agent: see ``visitors``) and either

- pushes it onto a Redis list (``buffer``, the default): one RPUSH on loopback, about a
  tenth of a millisecond; beat drains the list in bulk every minute (``clicks_flush``).
  If Redis cannot be reached the click is inserted directly instead, and the process
  leaves Redis alone for ``ANALYTICS_REDIS_BACKOFF`` seconds so a dead Redis costs one
  timeout, not one per click. The web's shared circuit (``core.redis.web_redis``) is
  consulted and told too: a Redis that just timed out for a throttle is not asked for a
  click, and the other way round; or
- inserts it directly (``direct``): one INSERT per click.

BENCHMARKS.md has the measurements behind the default. Either way the redirect never
fails because recording failed: the visitor gets the article, and the failure is logged.
"""

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import redis
from django.conf import settings
from django.http import HttpRequest

from advocacy.models import Share
from analytics.events import clicks_recorded
from analytics.models import Click, ClickKind, Device
from analytics.services.visitors import (
    classify,
    device_class,
    referrer_domain,
    visitor_key,
)
from core.client import client_ip
from core.redis import get_redis, web_redis_down, web_redis_failed

logger = logging.getLogger(__name__)

BUFFER_KEY = "analytics:clicks"
FLUSH_LOCK = "lock:analytics:flush"

# Per process, and only a hint: "Redis failed a moment ago, don't wait on it again yet".
_redis_down_until = 0.0


@dataclass(frozen=True)
class ClickRecord:
    event_id: str
    share_id: int
    at: float  # epoch seconds
    kind: int
    visitor: str
    device: str
    referrer: str

    def to_json(self) -> str:
        # By hand: dataclasses.asdict deep-copies and costs more than the RPUSH itself.
        return json.dumps({
            "event_id": self.event_id, "share_id": self.share_id, "at": self.at, "kind": self.kind,
            "visitor": self.visitor, "device": self.device, "referrer": self.referrer,
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> "ClickRecord":
        data = json.loads(raw)
        return cls(
            event_id=str(data["event_id"]), share_id=int(data["share_id"]), at=float(data["at"]),
            kind=int(data["kind"]), visitor=str(data.get("visitor", ""))[:32],
            device=str(data.get("device", Device.UNKNOWN))[:8], referrer=str(data.get("referrer", ""))[:120],
        )

    def to_click(self) -> Click:
        occurred = datetime.fromtimestamp(self.at, tz=UTC)
        return Click(
            event_id=uuid.UUID(self.event_id), share_id=self.share_id, occurred_at=occurred,
            day=occurred.date(), kind=self.kind, visitor_key=self.visitor, device=self.device,
            referrer_domain=self.referrer,
        )


def click_build(*, request: HttpRequest, share_id: int, now: float | None = None) -> ClickRecord:
    now = time.time() if now is None else now
    kind = classify(request)
    agent = request.META.get("HTTP_USER_AGENT", "")[:1000]
    visitor = ""
    if kind == ClickKind.CLICK:
        day = datetime.fromtimestamp(now, tz=UTC).date()
        visitor = visitor_key(ip=client_ip(request), user_agent=agent, day=day)
    return ClickRecord(
        event_id=uuid.uuid4().hex,
        share_id=share_id,
        at=now,
        kind=int(kind),
        visitor=visitor,
        device=Device.BOT if kind == ClickKind.BOT else device_class(agent),
        referrer=referrer_domain(request.META.get("HTTP_REFERER", "")),
    )


def click_record(*, request: HttpRequest, share_id: int) -> None:
    """Record one request to a tracked link. Never raises: the redirect comes first."""
    try:
        record = click_build(request=request, share_id=share_id)
        if settings.ANALYTICS_CLICK_RECORDING == "buffer" and _buffer_push(record):
            return
        Click.objects.bulk_create([record.to_click()], ignore_conflicts=True)
    except Exception:
        logger.warning("a click on share %s was not recorded", share_id, exc_info=True)


@lru_cache(maxsize=4)
def _fast_client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def _buffer_push(record: ClickRecord) -> bool:
    global _redis_down_until
    if time.monotonic() < _redis_down_until or web_redis_down():
        return False
    try:
        _fast_client(settings.REDIS_URL, settings.ANALYTICS_REDIS_TIMEOUT).rpush(BUFFER_KEY, record.to_json())
        return True
    except redis.RedisError as exc:
        _redis_down_until = time.monotonic() + settings.ANALYTICS_REDIS_BACKOFF
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
            web_redis_failed(exc)
        logger.warning("click buffer unavailable (%s): inserting directly for %.0fs",
                       type(exc).__name__, settings.ANALYTICS_REDIS_BACKOFF)
        return False


def clicks_insert(records: list[ClickRecord]) -> int:
    """Insert records whose share still exists; a replayed record is ignored."""
    if not records:
        return 0
    known = set(Share.objects.filter(pk__in={r.share_id for r in records}).values_list("pk", flat=True))
    clicks = [r.to_click() for r in records if r.share_id in known]
    Click.objects.bulk_create(clicks, ignore_conflicts=True, batch_size=1000)
    return len(clicks)


def clicks_flush(*, batch: int | None = None, max_batches: int | None = None) -> int:
    """Move buffered clicks into the database; returns how many records were taken.

    Safe to run twice at once or after a crash: one flusher at a time (a Redis lock),
    and records leave the list only after their INSERT committed; a batch replayed
    after a crash between the two is absorbed by the unique ``event_id``.
    """
    batch = batch or settings.ANALYTICS_FLUSH_BATCH
    max_batches = max_batches or settings.ANALYTICS_FLUSH_MAX_BATCHES
    client = get_redis()
    lock = client.lock(FLUSH_LOCK, timeout=600)
    if not lock.acquire(blocking=False):
        return 0
    taken = 0
    counts: dict[int, dict[str, int]] = {}
    times: list[float] = []
    try:
        for _ in range(max_batches):
            raw = client.lrange(BUFFER_KEY, 0, batch - 1)
            if not raw:
                break
            records = []
            for item in raw:
                try:
                    records.append(ClickRecord.from_json(item))
                except (ValueError, KeyError, TypeError):
                    logger.warning("dropped an unreadable click record")
            clicks_insert(records)
            client.ltrim(BUFFER_KEY, len(raw), -1)
            taken += len(raw)
            _count(records, counts, times)
    finally:
        try:
            lock.release()
        except redis.RedisError:
            logger.warning("click flush lock expired before release")
    if counts:  # one announcement per flush, counts per share (analytics.events)
        clicks_recorded.send(sender=Click, counts=counts, first_at=datetime.fromtimestamp(min(times), tz=UTC),
                             last_at=datetime.fromtimestamp(max(times), tz=UTC))
    return taken


def _count(records: list[ClickRecord], counts: dict[int, dict[str, int]], times: list[float]) -> None:
    """Add a batch to the flush's counts per share, and its first and last click time to ``times``."""
    for record in records:
        entry = counts.setdefault(record.share_id, {"clicks": 0, "previews": 0})
        entry["clicks" if record.kind == ClickKind.CLICK else "previews"] += 1
    if records:
        times += [min(r.at for r in records), max(r.at for r in records)]


def clicks_buffered() -> int | None:
    """Records waiting in the buffer (None if Redis cannot be reached). Asked with the
    redirect's short timeout: a page must not wait on a dead Redis for this."""
    if time.monotonic() < _redis_down_until or web_redis_down():
        return None
    try:
        return int(_fast_client(settings.REDIS_URL, settings.ANALYTICS_REDIS_TIMEOUT).llen(BUFFER_KEY))
    except redis.RedisError:
        return None
