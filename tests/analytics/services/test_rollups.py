"""Incremental daily rollups: what they count, and that rebuilding is safe to repeat."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from advocacy.models import Share
from analytics.models import Click, DailyTotals, ItemDay, ShareDay, ShareMetrics
from analytics.periods import utc_day
from analytics.services.rollups import (
    POSTED_BATCH,
    rollup_run,
    share_days_rebuild,
    share_days_rebuild_all,
)
from tests.analytics.conftest import posted_share
from tests.factories import CampaignFactory, TeamFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


def click(share, *, visitor="v1", days_ago=0, kind=1):
    import uuid

    at = timezone.now() - timedelta(days=days_ago)
    return Click.objects.create(event_id=uuid.uuid4(), share=share, occurred_at=at, day=utc_day(at), kind=kind,
                                visitor_key=visitor if kind == 1 else "")


def test_posted_shares_get_metrics_a_schedule_and_a_day_row(no_redis):
    team = TeamFactory(name="Sales")
    campaign = CampaignFactory()
    share = posted_share(user=UserFactory(team=team), item=published_item(campaign=campaign), audience=750)
    rollup_run()
    metrics = ShareMetrics.objects.get(share=share)
    assert (metrics.team, metrics.campaign) == (team, campaign)
    assert metrics.next_poll_at == share.posted_at + timedelta(hours=1)
    day = ShareDay.objects.get(share=share)
    assert (day.shares, day.potential_reach, day.estimated_impressions) == (1, 750, 750)
    assert (day.team_id, day.campaign_id, day.user_id, day.network) == (team.pk, campaign.pk, share.user_id, "linkedin")


def test_frozen_team_survives_a_team_move(no_redis):
    old, new = TeamFactory(name="Old"), TeamFactory(name="New")
    user = UserFactory(team=old)
    share = posted_share(user=user)
    rollup_run()
    user.team = new
    user.save()
    click(share)
    rollup_run()
    assert set(ShareDay.objects.filter(share=share).values_list("team_id", flat=True)) == {old.pk}


def test_rerunning_changes_nothing(no_redis):
    share = posted_share()
    for v in ("a", "b", "a"):
        click(share, visitor=v)
    click(share, kind=2)
    rollup_run()
    columns = [f.attname for f in ShareDay._meta.concrete_fields if f.name != "id"]
    before = list(ShareDay.objects.values(*columns))
    totals = list(DailyTotals.objects.values("day", "clicks", "unique_clicks", "previews", "shares"))
    rollup_run()
    share_days_rebuild({(share.pk, utc_day(timezone.now()))})
    assert list(ShareDay.objects.values(*columns)) == before
    assert list(DailyTotals.objects.values("day", "clicks", "unique_clicks", "previews", "shares")) == totals
    assert totals[0]["clicks"] == 3 and totals[0]["unique_clicks"] == 2 and totals[0]["previews"] == 1


def _per_item_day(model) -> dict:
    fields = ["shares", "clicks", "unique_clicks", "potential_reach"]
    rows = model.objects.values("day", "item_id", "network").annotate(**{f"{f}_": Sum(f) for f in fields})
    return {(r["day"], r["item_id"], r["network"]): tuple(r[f"{f}_"] for f in fields) for r in rows}


def test_daily_totals_and_item_days_add_up_to_the_share_days_and_a_full_rebuild_agrees(no_redis):
    teams = [TeamFactory(name=f"T{i}") for i in range(3)]
    items = [published_item() for _ in range(3)]
    for i in range(12):
        share = posted_share(user=UserFactory(team=teams[i % 3]), network="x" if i % 2 else "linkedin",
                             item=items[i % len(items)], posted_at=timezone.now() - timedelta(days=i % 4, minutes=5))
        for j in range(i):
            click(share, visitor=f"v{j % 3}", days_ago=j % 3)
    rollup_run()
    fields = ["shares", "clicks", "unique_clicks", "potential_reach"]
    share_days = ShareDay.objects.aggregate(**{f: Sum(f) for f in fields})
    assert DailyTotals.objects.aggregate(**{f: Sum(f) for f in fields}) == share_days
    per_item_day = _per_item_day(ShareDay)
    assert _per_item_day(ItemDay) == per_item_day and len(per_item_day) > len(items)
    assert ItemDay.objects.count() == len(per_item_day)  # one row per item, network and day
    incremental = sorted(ShareDay.objects.values_list("share_id", "day", "clicks", "unique_clicks", "shares"))
    ShareDay.objects.all().delete()
    ItemDay.objects.all().delete()
    share_days_rebuild_all()
    assert sorted(ShareDay.objects.values_list("share_id", "day", "clicks", "unique_clicks", "shares")) == incremental
    assert DailyTotals.objects.aggregate(**{f: Sum(f) for f in fields}) == share_days
    assert _per_item_day(ItemDay) == per_item_day


def test_item_days_follow_new_clicks(no_redis):
    item = published_item()
    a, b = posted_share(item=item), posted_share(item=item)
    rollup_run()
    today = utc_day(timezone.now())
    assert ItemDay.objects.get(item=item, day=today).shares == 2
    click(a, visitor="x")
    click(b, visitor="y")
    click(b, visitor="y")
    rollup_run()
    row = ItemDay.objects.get(item=item, day=today)
    assert (row.shares, row.clicks, row.unique_clicks) == (2, 3, 2)


def test_a_backlog_of_posted_shares_is_worked_off_in_batches(no_redis, monkeypatch):
    from analytics.services import rollups

    monkeypatch.setattr(rollups, "POSTED_BATCH", 3)
    monkeypatch.setattr(rollups, "POSTED_OVERLAP", timedelta(seconds=0))
    shares = [posted_share() for _ in range(7)]
    Share.objects.update(updated_at=timezone.now() - timedelta(hours=2))
    seen = [rollup_run().posted for _ in range(4)]
    assert seen == [3, 3, 1, 0]
    assert ShareMetrics.objects.filter(share__in=shares).count() == 7
    assert POSTED_BATCH == 5000


def test_unposted_shares_do_not_count_as_shares(no_redis):
    share = posted_share(status="failed")
    click(share)
    rollup_run()
    row = ShareDay.objects.get(share=share)
    assert (row.shares, row.clicks) == (0, 1)
    assert not ShareMetrics.objects.filter(share=share).exists()


def test_a_sweep_that_fails_half_way_is_redone_by_the_next(no_redis, monkeypatch):
    from analytics.models import PointsEntry
    from analytics.services import points

    share = posted_share()
    click(share, visitor="a")
    real = points.points_for_share_days
    calls = []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(points, "points_for_share_days", flaky)
    with pytest.raises(RuntimeError):
        rollup_run()
    rollup_run()
    assert PointsEntry.objects.filter(kind="click", share=share).get().quantity == 1
    assert ShareDay.objects.get(share=share).clicks == 1
