"""Following and recording clicks on tracked links without slowing the redirect down.

``click_follow`` is the redirect's whole work: where the code goes, and the request
recorded on the way. A code this process has followed before is answered from memory
(``advocacy.links``: no database at all) while the links generation that entry was read
under is still Redis's; otherwise the database answers, as it does whenever Redis cannot.

The redirect builds a small record (no IP, no user agent: see ``visitors``) and either

- pushes it onto a Redis list (``buffer``, the default); beat drains the list in bulk every
  minute (``clicks_flush``). By default the request only hands the record to its process's
  shipper (``_Shipper``), a thread that sends the clicks of the last
  ``ANALYTICS_CLICK_SHIP_SECONDS`` in one round trip which also reads the links generation:
  on a loaded machine a blocking round trip per request cost more than the rest of the
  redirect (BENCHMARKS.md, B2). ``ANALYTICS_CLICK_SHIP_SECONDS=0`` sends each click within
  its request (one pipelined round trip: the RPUSH and the generation).
  If Redis cannot be reached within ``ANALYTICS_REDIS_TIMEOUT`` the click is inserted
  directly instead, and Redis is left alone for ``ANALYTICS_REDIS_BACKOFF`` seconds so a
  dead Redis costs one timeout, not one per click. The web's circuit
  (``core.redis.web_redis``, shared by every process of the machine) is consulted and told
  too: a Redis that just timed out for a throttle, or for another gunicorn worker, is not
  asked for a click, and the other way round; or
- inserts it directly (``direct``): one INSERT per click.

BENCHMARKS.md has the measurements behind the default. Either way the redirect never
fails because recording failed: the visitor gets the article, and the failure is logged.
"""

import atexit
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpRequest
from redis.backoff import NoBackoff
from redis.retry import Retry

from advocacy.links import (
    GENERATION_KEY,
    link_cached,
    link_forget,
    link_remember,
    link_resolve,
    links_stamp,
)
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


def click_follow(*, request: HttpRequest, code: str) -> str | None:
    """Where ``/r/<code>`` sends this request (None: no such link, nothing recorded), the
    request recorded on the way. Recording never raises; the database lookup may (an outage).

    A code followed before in this process is answered from memory (``advocacy.links``),
    with no query, if the links generation it was read under is still Redis's:

    - with ``ANALYTICS_CLICK_SHIP_SECONDS`` > 0 (the default) as last read by this process's
      click shipper at most ``LINK_CACHE_CHECK_SECONDS`` ago, the machine's links stamp
      unchanged since: the click joins the batch the shipper sends in the background, and
      the request touches neither Redis nor the database;
    - otherwise read in the click's own round trip (its RPUSH and the read, pipelined).

    Otherwise (first time, a destination changed, Redis unreachable) the database answers.
    """
    buffer = settings.ANALYTICS_CLICK_RECORDING == "buffer"
    cached = link_cached(code)
    recorded = False
    if cached is not None:
        record = _build(request, cached.share_id)
        if buffer and settings.ANALYTICS_CLICK_SHIP_SECONDS > 0 and _shipper.trusts(cached.generation):
            if record is not None:
                _shipper.add(record)
            return cached.target
        mine = [record] if record is not None else []
        generation = _round_trip(_shipper.take() + mine if buffer else _shipper.take())
        if not buffer:
            for one in mine:
                _insert([one])
        if generation is not None and generation == cached.generation:
            return cached.target
        # A destination may have moved (or Redis cannot say): the database answers. The
        # share id of a code never changes, so the click recorded stands.
        recorded = True
    else:
        generation = _round_trip(_shipper.take())
    resolved = link_resolve(code)  # read after the generation: see advocacy.links
    if resolved is None:
        link_forget(code)
        return None
    share_id, target = resolved
    if generation is not None:
        link_remember(code, share_id, target, generation)
    if not recorded:
        click_record(request=request, share_id=share_id)
    return target


def _build(request: HttpRequest, share_id: int) -> ClickRecord | None:
    try:
        return click_build(request=request, share_id=share_id)
    except Exception:
        logger.warning("a click on share %s was not recorded", share_id, exc_info=True)
        return None


def _insert(records: list[ClickRecord]) -> None:
    if not records:
        return
    try:
        Click.objects.bulk_create([r.to_click() for r in records], ignore_conflicts=True)
    except Exception:
        logger.warning("%d click(s) were not recorded", len(records), exc_info=True)


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
    # No retry on a timeout: a click waits one ANALYTICS_REDIS_TIMEOUT at most.
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                retry=Retry(NoBackoff(), 0))


def _redis_skipped() -> bool:
    return time.monotonic() < _redis_down_until or web_redis_down()


def _redis_failed(exc: redis.RedisError) -> None:
    global _redis_down_until
    _redis_down_until = time.monotonic() + settings.ANALYTICS_REDIS_BACKOFF
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        web_redis_failed(exc)  # every process of the machine skips it now
    logger.warning("click buffer unavailable (%s): inserting directly for %.0fs",
                   type(exc).__name__, settings.ANALYTICS_REDIS_BACKOFF)


def _round_trip(records: list[ClickRecord]) -> str | None:
    """Push ``records`` and read the links generation (a new one set first if Redis has none,
    e.g. after a restart) in one round trip; the generation, or None when Redis is skipped
    or failed, the records then inserted directly. Either way the records are recorded."""
    if _redis_skipped():
        _shipper.forget()
        _insert(records)
        return None
    stamp = links_stamp()  # before the generation: see advocacy.links._new_generation
    at = time.monotonic()
    try:
        pipe = _fast_client(settings.REDIS_URL, settings.ANALYTICS_REDIS_TIMEOUT).pipeline(transaction=False)
        pipe.set(GENERATION_KEY, uuid.uuid4().hex, nx=True)
        pipe.get(GENERATION_KEY)
        if records:
            pipe.rpush(BUFFER_KEY, *[r.to_json() for r in records])
        replies = pipe.execute()
    except redis.RedisError as exc:
        _shipper.forget()
        _redis_failed(exc)
        _insert(records)
        return None
    generation = replies[1].decode() if replies[1] is not None else None
    _shipper.confirm(generation, at, stamp)
    return generation


class _Shipper:
    """This process's clicks on their way to the Redis buffer, and the links generation
    last read there (with when, and the machine's links stamp read just before).

    A daemon thread, started by the first click of the process, sends the clicks gathered
    every ``ANALYTICS_CLICK_SHIP_SECONDS`` in one round trip (``_round_trip``: their RPUSH
    and a read of the generation), so a request neither waits on Redis nor gives up the
    CPU to it; with Redis unreachable the thread inserts them directly. A click is held in
    memory that long at most: what is left when the process exits is sent then (``atexit``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the pending list
        self._ship_lock = threading.Lock()  # one shipment at a time
        self._pending: list[ClickRecord] = []
        self._work = threading.Event()
        self._pid = 0
        self._seen: tuple[str | None, float, int] = (None, float("-inf"), 0)

    def trusts(self, generation: str) -> bool:
        seen, at, stamp = self._seen
        return (seen == generation and time.monotonic() - at <= settings.LINK_CACHE_CHECK_SECONDS
                and links_stamp() == stamp)

    def confirm(self, generation: str | None, at: float, stamp: int) -> None:
        self._seen = (generation, at, stamp)

    def forget(self) -> None:
        self._seen = (None, float("-inf"), 0)

    def add(self, record: ClickRecord) -> None:
        if self._pid != os.getpid():
            self._start()
        with self._lock:
            self._pending.append(record)
        self._work.set()

    def take(self) -> list[ClickRecord]:
        with self._lock:
            batch, self._pending = self._pending, []
        return batch

    def reset(self) -> None:
        """Drop what is pending and what was read (tests: a fresh process)."""
        with self._ship_lock:
            self.take()
            self.forget()

    def ship(self) -> int:
        """Send what is pending now; how many clicks."""
        with self._ship_lock:
            batch = self.take()
            if batch:
                _round_trip(batch)
            return len(batch)

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pending = []  # a parent process's (forked): the parent sends them
            self._pid = os.getpid()
        threading.Thread(target=self._run, name="chorus-click-shipper", daemon=True).start()

    def _run(self) -> None:
        pid = os.getpid()
        while self._pid == pid:
            self._work.wait()  # idle until a click comes
            time.sleep(settings.ANALYTICS_CLICK_SHIP_SECONDS or 0.05)  # then gather for a while
            self._work.clear()
            try:
                shipped = self.ship()
            except Exception:
                logger.warning("the click shipper failed", exc_info=True)
                shipped = 1
            if shipped:
                connections.close_all()  # this thread's own, if a direct insert opened one


_shipper = _Shipper()
atexit.register(_shipper.ship)


def clicks_ship() -> int:
    """Send this process's pending clicks to the buffer now (done before a flush)."""
    return _shipper.ship()


def _buffer_push(record: ClickRecord) -> bool:
    if _redis_skipped():
        return False
    try:
        _fast_client(settings.REDIS_URL, settings.ANALYTICS_REDIS_TIMEOUT).rpush(BUFFER_KEY, record.to_json())
        return True
    except redis.RedisError as exc:
        _redis_failed(exc)
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
    clicks_ship()  # this process's own pending clicks first
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
    if _redis_skipped():
        return None
    try:
        return int(_fast_client(settings.REDIS_URL, settings.ANALYTICS_REDIS_TIMEOUT).llen(BUFFER_KEY))
    except redis.RedisError:
        return None
