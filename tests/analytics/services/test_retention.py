"""Retention of raw clicks and engagement snapshots: only old rows the rollups have
counted are deleted, in id-range batches, and no number anywhere changes."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.models import (
    Click,
    DailyTotals,
    EngagementSnapshot,
    ItemDay,
    PointsEntry,
    PointsMonth,
    ShareDay,
)
from analytics.periods import utc_day
from analytics.services import retention
from analytics.services.retention import raw_rows_purge
from analytics.services.rollups import ID_OVERLAP, rollup_run
from analytics.tasks import purge_raw
from tests.analytics.conftest import posted_share

pytestmark = pytest.mark.django_db

OLD, RECENT = 400, 10  # days ago (retention: 395)
COUNTERS = ("shares", "clicks", "unique_clicks", "previews", "reactions", "comments", "reshares", "impressions",
            "potential_reach", "estimated_impressions")


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.ANALYTICS_CLICK_RETENTION_DAYS = 395
    settings.ANALYTICS_SNAPSHOT_RETENTION_DAYS = 395


@pytest.fixture
def small_overlap(monkeypatch):
    """The sweep re-reads the last 500 ids; with a handful of rows that would keep them all."""
    monkeypatch.setattr(retention, "ID_OVERLAP", 0)


def click(share, *, days_ago: int, visitor: str = "v") -> Click:
    at = timezone.now() - timedelta(days=days_ago)
    return Click.objects.create(event_id=uuid.uuid4(), share=share, occurred_at=at, day=utc_day(at),
                                visitor_key=visitor)


def snapshot(share, *, days_ago: int, reactions: int) -> EngagementSnapshot:
    at = timezone.now() - timedelta(days=days_ago)
    return EngagementSnapshot.objects.create(share=share, taken_at=at, day=utc_day(at), reactions=reactions,
                                             d_reactions=reactions)


def numbers() -> dict:
    def sums(model):
        return model.objects.aggregate(**{c: Sum(c) for c in COUNTERS})

    return {"share_day": sums(ShareDay), "daily": sums(DailyTotals), "items": sums(ItemDay),
            "share_day_rows": ShareDay.objects.count(), "points": PointsEntry.objects.aggregate(p=Sum("points")),
            "months": PointsMonth.objects.aggregate(p=Sum("points"))}


@pytest.fixture
def history(no_redis, settings):
    """Two shares, one posted 400 days ago: old and recent clicks and snapshots, rolled up
    (as they were when they were new: the sweep does not count rows past retention)."""
    old_share = posted_share(posted_at=timezone.now() - timedelta(days=OLD + 1))
    new_share = posted_share(posted_at=timezone.now() - timedelta(days=RECENT + 1))
    old = [click(old_share, days_ago=OLD, visitor=f"o{i}") for i in range(7)]
    old += [snapshot(old_share, days_ago=OLD, reactions=3), snapshot(old_share, days_ago=OLD - 1, reactions=2)]
    recent = [click(old_share, days_ago=RECENT), click(new_share, days_ago=RECENT, visitor="n"),
              snapshot(new_share, days_ago=RECENT, reactions=4)]
    settings.ANALYTICS_CLICK_RETENTION_DAYS = settings.ANALYTICS_SNAPSHOT_RETENTION_DAYS = 0
    rollup_run()
    settings.ANALYTICS_CLICK_RETENTION_DAYS = settings.ANALYTICS_SNAPSHOT_RETENTION_DAYS = 395
    return old, recent


def test_old_counted_rows_go_in_batches_and_nothing_changes(history, small_overlap):
    old, recent = history
    before = numbers()
    with CaptureQueriesContext(connection) as queries:
        result = raw_rows_purge(batch_size=3)
    assert (result.clicks, result.snapshots, result.more) == (7, 2, False)
    assert result.batches == 3 + 1  # 7 clicks in threes, 2 snapshots
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 4 and all(">=" in sql and "<=" in sql and " IN " not in sql for sql in deletes)
    assert not Click.objects.filter(pk__in=[r.pk for r in old if isinstance(r, Click)]).exists()
    assert not EngagementSnapshot.objects.filter(pk__in=[r.pk for r in old if isinstance(r, EngagementSnapshot)]).exists()
    assert Click.objects.count() + EngagementSnapshot.objects.count() == len(recent)
    assert numbers() == before
    # Rollups rebuilt later for what is still raw (a new click today) leave old days alone.
    click(recent[1].share, days_ago=0, visitor="later")
    rollup_run()
    after = numbers()
    assert after["share_day"]["clicks"] == before["share_day"]["clicks"] + 1
    assert after["share_day"]["reactions"] == before["share_day"]["reactions"]


def test_a_late_row_dated_before_the_window_does_not_lower_a_purged_day(history, small_overlap):
    old, _ = history
    raw_rows_purge()
    before = numbers()
    click(old[0].share, days_ago=OLD, visitor="late import")  # that day's other clicks are gone
    rollup_run()
    assert numbers() == before


def test_running_twice_deletes_nothing_more(history, small_overlap):
    raw_rows_purge()
    before = numbers()
    again = raw_rows_purge()
    assert (again.clicks, again.snapshots, again.batches, again.more) == (0, 0, 0, False)
    assert numbers() == before


def test_rows_the_sweep_has_not_counted_are_kept(history, small_overlap):
    """An old-dated row the sweep has not read yet (above its cursor) waits until it has."""
    share = history[0][0].share
    late = click(share, days_ago=OLD, visitor="late")
    raw_rows_purge()
    assert Click.objects.filter(pk=late.pk).exists()
    rollup_run()
    before = numbers()
    assert raw_rows_purge().clicks == 1
    assert numbers() == before


def test_rows_the_sweep_may_read_again_are_kept(history):
    """With the real overlap, the last ID_OVERLAP ids below the cursor are still re-read
    by the sweep: they stay."""
    assert ID_OVERLAP > 10
    assert raw_rows_purge().clicks == 0
    assert Click.objects.filter(day__lt=utc_day(timezone.now()) - timedelta(days=395)).count() == 7


def test_zero_keeps_forever(history, small_overlap, settings):
    settings.ANALYTICS_CLICK_RETENTION_DAYS = 0
    result = raw_rows_purge()
    assert result.clicks == 0 and result.snapshots == 2
    assert Click.objects.count() == 9


def test_a_backlog_is_worked_off_in_bounded_runs(history, small_overlap, settings,
                                                 django_capture_on_commit_callbacks):
    settings.ANALYTICS_RETENTION_BATCH, settings.ANALYTICS_RETENTION_MAX_BATCHES = 2, 1
    before = numbers()
    first = raw_rows_purge()
    assert (first.clicks, first.batches, first.more) == (2, 1, True)
    # The task queues the next run itself while old rows remain (tasks are eager here).
    with django_capture_on_commit_callbacks(execute=True):
        purge_raw()
    assert not Click.objects.filter(day__lt=utc_day(timezone.now()) - timedelta(days=395)).exists()
    assert not EngagementSnapshot.objects.filter(day__lt=utc_day(timezone.now()) - timedelta(days=395)).exists()
    assert numbers() == before


def test_the_settings_refuse_a_retention_shorter_than_polling(monkeypatch):
    from chorus.settings import analytics as analytics_settings

    monkeypatch.setenv("SOME_RETENTION_DAYS", "14")
    with pytest.raises(ImproperlyConfigured, match="at least 60 days"):
        analytics_settings._retention_days("SOME_RETENTION_DAYS", 395)
    monkeypatch.setenv("SOME_RETENTION_DAYS", "0")
    assert analytics_settings._retention_days("SOME_RETENTION_DAYS", 395) == 0
    monkeypatch.delenv("SOME_RETENTION_DAYS")
    assert analytics_settings._retention_days("SOME_RETENTION_DAYS", 395) == 395


def test_beat_runs_it_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["metrics-purge-raw"]
    assert entry["task"] == "metrics.purge_raw"
