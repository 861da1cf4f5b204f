"""seed_demo's activity: plausible, complete, and idempotent."""

import pytest
from django.core.management import call_command

from advocacy.models import Share
from analytics.models import (
    Click,
    DailyTotals,
    EngagementSnapshot,
    PointsEntry,
    ShareDay,
    ShareMetrics,
)

pytestmark = pytest.mark.django_db


def test_seed_demo_generates_weeks_of_activity_once(no_redis, settings):
    call_command("seed_demo", verbosity=0)
    shares = Share.objects.filter(idempotency_key__startswith="demo-activity-")
    counts = (shares.count(), Click.objects.count(), EngagementSnapshot.objects.count())
    assert counts[0] > 50 and counts[1] > counts[0] and counts[2] > 0
    assert not shares.exclude(status="posted").exists() and not shares.filter(remote_id="").exists()
    assert ShareMetrics.objects.filter(next_poll_at__isnull=False).count() == 0  # no network calls, ever
    days = ShareDay.objects.values("day").distinct().count()
    assert days >= 21 and DailyTotals.objects.exists() and PointsEntry.objects.exists()
    call_command("seed_demo", verbosity=0)
    assert (shares.count(), Click.objects.count(), EngagementSnapshot.objects.count()) == counts
