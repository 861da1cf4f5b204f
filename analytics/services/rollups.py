"""Incremental daily rollups: the sweep that keeps dashboards minutes old.

Every minute (``metrics.rollup``) the sweep

1. flushes the click buffer,
2. finds what changed since it last looked — new clicks and snapshots (by id, re-reading
   a small overlap so a row committed out of order is not missed) and shares that were
   posted (by ``updated_at``, with a ten-minute overlap),
3. rebuilds the ``ShareDay`` rows of exactly the (share, day) pairs touched, from the
   raw rows (so running it twice, or over the same rows, gives the same numbers),
4. rebuilds ``DailyTotals`` and ``ItemDay`` for the days touched, and
5. brings the points ledger up to date for those shares and days.

Rebuilding instead of incrementing is what makes the sweep safe to repeat.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from advocacy.models import Share, ShareStatus
from analytics.models import (
    Click,
    ClickKind,
    EngagementSnapshot,
    RollupCursor,
    ShareDay,
    ShareMetrics,
)
from analytics.periods import utc_day
from analytics.services import points as points_service
from analytics.services.bulk_sql import daily_totals_insert, share_days_insert_range
from analytics.services.clicks import clicks_flush
from core.redis import get_redis

logger = logging.getLogger(__name__)

# When new rows arrived, the sweep re-reads this many ids below its cursor too, in case a
# row committed after one with a higher id (PostgreSQL allocates ids before commit).
ID_OVERLAP = 500
POSTED_OVERLAP = timedelta(minutes=10)
POSTED_BATCH = 5000
CHUNK = 400  # shares per rebuild query (well under SQLite's 999 parameters)
COUNTERS = ("shares", "potential_reach", "estimated_impressions", "clicks", "unique_clicks", "previews",
            "reactions", "comments", "reshares", "impressions")


@dataclass
class RollupResult:
    flushed: int = 0
    pairs: int = 0
    days: set[date] = field(default_factory=set)
    posted: int = 0


def poll_schedule() -> list[timedelta]:
    return [timedelta(seconds=s) for s in settings.ANALYTICS_POLL_SCHEDULE]


def first_poll(posted_at: datetime, now: datetime) -> tuple[int, datetime | None]:
    """The first schedule stage still ahead of ``now``. Stages already missed are
    skipped, not caught up: the next one reads the same totals, later."""
    for stage, offset in enumerate(poll_schedule()):
        if posted_at + offset > now:
            return stage, posted_at + offset
    return len(poll_schedule()), None


@contextmanager
def _sweep_lock(*, wait: bool):
    """One sweep or rebuild at a time (a Redis lock). Yields False when another holds it
    and ``wait`` is off. Without Redis it runs unlocked: two runs then only repeat work,
    and a clash on a unique key fails that run, which the next one redoes."""
    lock = None
    try:
        lock = get_redis().lock("lock:analytics:rollup", timeout=900, blocking_timeout=900 if wait else None)
        if not lock.acquire(blocking=wait):
            yield False
            return
    except redis.RedisError:
        lock = None
    try:
        yield True
    finally:
        if lock is not None:
            try:
                lock.release()
            except redis.RedisError:
                pass


def rollup_settled(*, timeout: float = 120) -> bool:
    """Wait until no sweep is running (True), or ``timeout`` seconds (False), so that a
    reader counting from the rollups next sees the latest sweep's rows. The lock is only
    taken and given back: the next sweep is not held up by what the reader does. Without
    Redis there is no lock to wait for (True)."""
    try:
        lock = get_redis().lock("lock:analytics:rollup", timeout=900, blocking_timeout=timeout)
        if not lock.acquire(blocking=True):
            return False
        try:
            lock.release()
        except redis.RedisError:
            pass
    except redis.RedisError:
        pass
    return True


def rollup_run(*, now: datetime | None = None) -> RollupResult:
    """Beat, every minute. Harmless to run twice: see the module docstring."""
    now = now or timezone.now()
    result = RollupResult()
    with _sweep_lock(wait=False) as acquired:
        if not acquired:
            return result
        try:
            result.flushed = clicks_flush()
        except redis.RedisError as exc:
            logger.warning("click buffer not flushed: %s", type(exc).__name__)
        # Cursors move only after the work they cover is done: a run that fails half-way
        # leaves them where they were, and the next run redoes it (rebuilding is idempotent).
        click_pairs, click_top = _read_id_cursor("clicks", Click)
        snapshot_pairs, snapshot_top = _read_id_cursor("snapshots", EngagementSnapshot)
        click_pairs = _within_retention(click_pairs, raw_rows_cutoff("clicks", now))
        snapshot_pairs = _within_retention(snapshot_pairs, raw_rows_cutoff("snapshots", now))
        posted, posted_to = _recently_posted(now)
        result.posted = len(posted)
        pairs = click_pairs | snapshot_pairs | {(share_id, day) for share_id, day in posted.items()}
        result.pairs = len(pairs)
        result.days = share_days_rebuild(pairs)
        points_service.points_for_shares(share_ids=set(posted))
        _move_cursor("clicks", click_top, now)
        _move_cursor("snapshots", snapshot_top, now)
        if posted_to is not None:
            _move_cursor("posted", posted_to[0], now)
            _move_cursor("posted_pk", posted_to[1], now)
    return result


def raw_rows_cutoff(kind: str, now: datetime) -> date | None:
    """The first day whose raw ``kind`` rows ("clicks", "snapshots") retention keeps; rows of
    earlier days may be gone (``analytics.services.retention``). None: kept forever."""
    days = {"clicks": settings.ANALYTICS_CLICK_RETENTION_DAYS,
            "snapshots": settings.ANALYTICS_SNAPSHOT_RETENTION_DAYS}[kind]
    return utc_day(now) - timedelta(days=days) if days else None


def _within_retention(pairs: set[tuple[int, date]], cutoff: date | None) -> set[tuple[int, date]]:
    """A row dated before the retention cutoff (a late import) is not counted: rebuilding its
    day from the raw rows left would lower a total that was counted when they were there."""
    if cutoff is None:
        return pairs
    kept = {pair for pair in pairs if pair[1] >= cutoff}
    if len(kept) < len(pairs):
        logger.warning("%d (share, day) pairs dated before the retention cutoff %s not rebuilt",
                       len(pairs) - len(kept), cutoff)
    return kept


def _cursor(name: str) -> RollupCursor:
    cursor, _ = RollupCursor.objects.get_or_create(name=name)
    return cursor


def _read_id_cursor(name: str, model) -> tuple[set[tuple[int, date]], int | None]:
    """(share, day) pairs of rows added since the cursor, and where to move it after."""
    cursor = _cursor(name)
    top = model.objects.aggregate(top=Max("id"))["top"] or 0
    if top <= cursor.position:
        return set(), None
    start = max(cursor.position - ID_OVERLAP, 0)
    pairs = set(
        model.objects.filter(id__gt=start, id__lte=top).order_by().values_list("share_id", "day").distinct()
    )
    return pairs, top


def _move_cursor(name: str, position: int | None, now: datetime) -> None:
    if position is not None:
        RollupCursor.objects.filter(name=name).update(position=position, moved_at=now)


def _recently_posted(now: datetime) -> tuple[dict[int, date], tuple[int, int] | None]:
    """Shares posted (or confirmed posted) since the last sweep: give them metrics rows
    and a polling schedule. Returns ({share_id: posted day}, where the cursor goes next).

    Reads forward from a keyset cursor on (updated_at, id), at most POSTED_BATCH rows a
    run so a backlog (a first deployment, a long outage) is worked off in steps, and
    re-reads the last ten minutes every run in case a row committed late."""
    cursor = _cursor("posted")
    cursor_pk = _cursor("posted_pk")
    after = datetime.fromtimestamp(cursor.position // 10**6, tz=UTC) + timedelta(microseconds=cursor.position % 10**6)
    fields = ("id", "posted_at", "updated_at", "remote_id", "user__team_id", "item__campaign_id")
    posted = Share.objects.filter(status=ShareStatus.POSTED, posted_at__isnull=False)
    forward = list(
        posted.filter(Q(updated_at__gt=after) | Q(updated_at=after, pk__gt=cursor_pk.position))
        .order_by("updated_at", "pk").values(*fields)[:POSTED_BATCH]
    )
    recent = list(posted.filter(updated_at__gte=now - POSTED_OVERLAP).order_by().values(*fields)[:POSTED_BATCH])
    shares = list({s["id"]: s for s in forward + recent}.values())
    metrics_ensure(shares, now=now)
    to = (_micros(forward[-1]["updated_at"]), forward[-1]["id"]) if forward else None
    return {s["id"]: utc_day(s["posted_at"]) for s in shares}, to


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 10**6 + moment.microsecond


def posted_cursor_to_end() -> None:
    """Mark every posted share as seen (after a bulk import that built its own rollups)."""
    last = Share.objects.order_by("-updated_at", "-pk").values("updated_at", "id").first()
    if last:
        _cursor("posted"), _cursor("posted_pk")
        RollupCursor.objects.filter(name="posted").update(position=_micros(last["updated_at"]))
        RollupCursor.objects.filter(name="posted_pk").update(position=last["id"])
    for name, model in (("clicks", Click), ("snapshots", EngagementSnapshot)):
        _cursor(name)
        RollupCursor.objects.filter(name=name).update(position=model.objects.aggregate(m=Max("id"))["m"] or 0)


def metrics_ensure(shares: list[dict], *, now: datetime) -> int:
    """Create the ``ShareMetrics`` row of each posted share (team and campaign frozen as
    they are now, polling scheduled from the posting time). Existing rows are kept."""
    rows = []
    for s in shares:
        stage, next_at = first_poll(s["posted_at"], now)
        rows.append(ShareMetrics(
            share_id=s["id"], posted_day=utc_day(s["posted_at"]), team_id=s["user__team_id"],
            campaign_id=s["item__campaign_id"], stage=stage,
            next_poll_at=next_at if s["remote_id"] else None,
            note="" if s["remote_id"] else "No post id from the network: nothing to poll.",
        ))
    ShareMetrics.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def share_days_rebuild(pairs: Iterable[tuple[int, date]]) -> set[date]:
    """Rebuild ShareDay for ``pairs``, and DailyTotals and ItemDay for their days. Returns the days.

    Pairs are taken day by day, so a sweep touching many shares on one day (the usual
    case: today's clicks) and a few old pairs does not multiply shares by days."""
    by_day: dict[date, set[int]] = defaultdict(set)
    for share_id, day in pairs:
        by_day[day].add(share_id)
    touched: set[date] = set()
    for day in sorted(by_day):
        share_ids = sorted(by_day[day])
        for start in range(0, len(share_ids), CHUNK):
            chunk = share_ids[start:start + CHUNK]
            touched |= _rebuild_chunk(chunk, {day})
            points_service.points_for_share_days(share_ids=chunk, days={day})
    daily_totals_rebuild(touched)
    return touched


def share_days_rebuild_all(*, batch: int = 20000) -> int:
    """Rebuild every rollup and the points ledger from the raw rows (demo data, bulk
    imports, repairs), with set-based SQL in share-id ranges."""
    bounds = Share.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0
    with _sweep_lock(wait=True):
        for first in range(bounds["low"], bounds["high"] + 1, batch):
            share_days_insert_range(first, first + batch - 1)
        daily_totals_rebuild(set(), everything=True)
        points_service.points_rebuild_all()
    return bounds["high"] - bounds["low"] + 1


# (share id, day) -> the ShareDay counters of that pair, filled in from each raw source.
DayCounts = dict[tuple[int, date], dict[str, int]]


def _rebuild_chunk(share_ids: list[int], days: set[date] | None) -> set[date]:
    """Recompute ShareDay for shares × days (all days when ``days`` is None). Returns the
    days touched: those that had rows for these shares, and those that have them now."""
    shares = _share_facts(share_ids)
    counts: DayCounts = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    day_filter = Q() if days is None else Q(day__in=days)
    _count_clicks(counts, share_ids, day_filter)
    _count_engagement(counts, share_ids, day_filter)
    _count_postings(counts, shares.values(), days)
    return _replace_share_days(share_ids, days, _share_day_rows(counts, shares))


def _share_facts(share_ids: list[int]) -> dict[int, dict]:
    """What a ShareDay row takes from its share, and the team and campaign frozen in the
    share's metrics row (when the sweep has created it)."""
    return {
        s["id"]: s
        for s in Share.objects.filter(pk__in=share_ids).values(
            "id", "user_id", "item_id", "network", "status", "posted_at", "audience_size",
            "user__team_id", "item__campaign_id", "metrics__share_id", "metrics__team_id",
            "metrics__campaign_id", "metrics__impressions",
        )
    }


def _count_clicks(counts: DayCounts, share_ids: list[int], day_filter: Q) -> None:
    clicks = (
        Click.objects.filter(day_filter, share_id__in=share_ids)
        .values("share_id", "day")
        .annotate(
            n=Count("id", filter=Q(kind=ClickKind.CLICK)),
            u=Count("visitor_key", filter=Q(kind=ClickKind.CLICK), distinct=True),
            p=Count("id", filter=~Q(kind=ClickKind.CLICK)),
        )
        .order_by()
    )
    for c in clicks:
        row = counts[(c["share_id"], c["day"])]
        row["clicks"], row["unique_clicks"], row["previews"] = c["n"], c["u"], c["p"]


def _count_engagement(counts: DayCounts, share_ids: list[int], day_filter: Q) -> None:
    """The day's gains, summed from the snapshot differences recorded by polling."""
    snapshots = (
        EngagementSnapshot.objects.filter(day_filter, share_id__in=share_ids)
        .values("share_id", "day")
        .annotate(r=Sum("d_reactions"), c=Sum("d_comments"), s=Sum("d_reshares"), i=Sum("d_impressions"))
        .order_by()
    )
    for s in snapshots:
        row = counts[(s["share_id"], s["day"])]
        row["reactions"], row["comments"], row["reshares"], row["impressions"] = s["r"], s["c"], s["s"], s["i"]


def _count_postings(counts: DayCounts, shares: Iterable[dict], days: set[date] | None) -> None:
    """A posted share counts once, on its posting day, with its author's audience as reach.
    That reach stands in for impressions only until the network reports real ones."""
    for share in shares:
        if share["status"] != ShareStatus.POSTED or share["posted_at"] is None:
            continue
        day = utc_day(share["posted_at"])
        if days is not None and day not in days:
            continue
        row = counts[(share["id"], day)]
        reach = share["audience_size"] or 0
        row["shares"] = 1
        row["potential_reach"] = reach
        row["estimated_impressions"] = reach if share["metrics__impressions"] is None else 0


def _share_day_rows(counts: DayCounts, shares: dict[int, dict]) -> list[ShareDay]:
    """The rows to store (none for an all-zero pair). Team and campaign are the ones frozen
    in the metrics row once there is one, so moving a person or an item to another team or
    campaign later does not move the share's past numbers with it."""
    objects = []
    for (share_id, day), row in counts.items():
        share = shares.get(share_id)
        if share is None or not any(row.values()):
            continue
        frozen = share["metrics__share_id"] is not None
        objects.append(ShareDay(
            share_id=share_id, day=day, network=share["network"], user_id=share["user_id"],
            item_id=share["item_id"],
            campaign_id=share["metrics__campaign_id"] if frozen else share["item__campaign_id"],
            team_id=share["metrics__team_id"] if frozen else share["user__team_id"],
            **row,
        ))
    return objects


def _replace_share_days(share_ids: list[int], days: set[date] | None, objects: list[ShareDay]) -> set[date]:
    """Swap the stored rows of shares × days for ``objects`` in one transaction, so a reader
    never sees a share's day missing. Returns the days that had rows or have them now."""
    with transaction.atomic():
        existing = ShareDay.objects.filter(share_id__in=share_ids)
        if days is not None:
            existing = existing.filter(day__in=days)
        old_days = set(existing.values_list("day", flat=True).distinct())
        existing.delete()
        ShareDay.objects.bulk_create(objects, batch_size=500)
    return old_days | {o.day for o in objects}


def daily_totals_rebuild(days: set[date], *, everything: bool = False) -> None:
    """Re-sum DailyTotals and ItemDay for ``days`` from ShareDay (all of it when ``everything``)."""
    if everything:
        daily_totals_insert(None)
        return
    ordered = sorted(days)
    for start in range(0, len(ordered), CHUNK):
        daily_totals_insert(ordered[start:start + CHUNK])
