"""Retention of raw analytics rows: clicks and engagement snapshots older than
``ANALYTICS_CLICK_RETENTION_DAYS`` / ``ANALYTICS_SNAPSHOT_RETENTION_DAYS`` are deleted.

Only rows the rollups have already counted go, so no number anywhere changes: the rollup
sweep reads raw rows by id (``analytics.services.rollups``), and a row at or below its
cursor *minus the overlap it re-reads* is never read again. Everything people see — the
dashboards, ``ShareDay``, ``DailyTotals``, ``ItemDay``, points, leaderboards, campaign
progress, My impact — reads the rollups; the delta of a new snapshot comes from
``ShareMetrics``, not from older snapshots.

Deletion goes in id ranges of ``ANALYTICS_RETENTION_BATCH`` rows, one short statement (and
transaction) each, at most ``ANALYTICS_RETENTION_MAX_BATCHES`` per run or a time budget:
a backlog of years is worked off over several runs, never in one giant DELETE that would
lock the table and bloat the transaction log.

What this means for repairs: ``share_days_rebuild_all`` recomputes the rollups from the
raw rows, so on a database where retention has deleted rows it would lower the numbers of
the days before the retention window (it serves the demo data and the benchmarks). The
incremental sweep rebuilds only the days of new rows, and never a day before the window
(``rollups.raw_rows_cutoff``): a row dated that early arriving late (an import) is left
uncounted rather than lowering a total counted from rows that are gone.
"""

import time
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Model
from django.utils import timezone

from analytics.models import Click, EngagementSnapshot, RollupCursor
from analytics.services.rollups import ID_OVERLAP, raw_rows_cutoff

TIME_BUDGET_SECONDS = 60.0  # well inside the Celery soft time limit


@dataclass
class RetentionResult:
    clicks: int = 0
    snapshots: int = 0
    batches: int = 0
    more: bool = False  # stopped at the batch or time limit: old rows remain for the next run


def counted_ceiling(cursor_name: str) -> int:
    """The highest id of ``cursor_name``'s source that the rollup sweep will never read
    again (0 before its first run: then nothing may go)."""
    position = RollupCursor.objects.filter(name=cursor_name).values_list("position", flat=True).first()
    return max((position or 0) - ID_OVERLAP, 0)


def raw_rows_purge(
    *, now: datetime | None = None, batch_size: int | None = None, max_batches: int | None = None,
    time_budget: float = TIME_BUDGET_SECONDS,
) -> RetentionResult:
    """Delete raw clicks and snapshots past their retention, in batches. Harmless to
    repeat: a second run finds nothing old left (or carries on where the first stopped)."""
    now = now or timezone.now()
    batch_size = batch_size or settings.ANALYTICS_RETENTION_BATCH
    max_batches = settings.ANALYTICS_RETENTION_MAX_BATCHES if max_batches is None else max_batches
    deadline = time.monotonic() + time_budget
    result = RetentionResult()
    plan = (
        ("clicks", Click, settings.ANALYTICS_CLICK_RETENTION_DAYS),
        ("snapshots", EngagementSnapshot, settings.ANALYTICS_SNAPSHOT_RETENTION_DAYS),
    )
    for name, model, days in plan:
        if not days:
            continue  # 0: kept forever
        cutoff = raw_rows_cutoff(name, now)
        deleted, finished = _purge(model, cutoff=cutoff, ceiling=counted_ceiling(name), batch_size=batch_size,
                                   result=result, max_batches=max_batches, deadline=deadline)
        setattr(result, name, deleted)
        if not finished:
            result.more = True
            break
    return result


def _purge(model: type[Model], *, cutoff: date, ceiling: int, batch_size: int, result: RetentionResult,
           max_batches: int, deadline: float) -> tuple[int, bool]:
    """Delete ``model`` rows of days before ``cutoff`` with ids up to ``ceiling``, one id range
    of ``batch_size`` rows at a time. Returns (rows deleted, whether none are left)."""
    old = model.objects.filter(day__lt=cutoff, id__lte=ceiling)
    deleted = 0
    while True:
        first = old.order_by("id").values_list("id", flat=True).first()
        if first is None:
            return deleted, True
        if result.batches >= max_batches or time.monotonic() > deadline:
            return deleted, False
        # The id of the batch_size-th old row: the range [first, last] holds exactly one batch.
        last = old.filter(id__gte=first).order_by("id").values_list("id", flat=True)[batch_size - 1:batch_size]
        upper = next(iter(last), ceiling)
        deleted += old.filter(id__gte=first, id__lte=upper).delete()[0]
        result.batches += 1
